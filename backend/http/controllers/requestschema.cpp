#include "backend/http/controllers/requestschema.h"

#include "backend/core/json.h"
#include "backend/core/validation.h"
#include "backend/http/openapi.h"

#include <QHash>
#include <QJsonArray>
#include <QMutex>
#include <QRegularExpression>
#include <QSet>

namespace kyc::http {

namespace {

constexpr int kMaxSchemaDepth = 16; // $ref chains and nesting in the shipped document are far shallower

QString typeWord(const QString &type)
{
    if (type == QStringLiteral("string"))
        return QStringLiteral("a string");
    if (type == QStringLiteral("integer"))
        return QStringLiteral("an integer");
    if (type == QStringLiteral("number"))
        return QStringLiteral("a number");
    if (type == QStringLiteral("boolean"))
        return QStringLiteral("true or false");
    if (type == QStringLiteral("array"))
        return QStringLiteral("an array");
    return QStringLiteral("an object");
}

bool hasType(const QJsonValue &v, const QString &type)
{
    if (type == QStringLiteral("string"))
        return v.isString();
    if (type == QStringLiteral("integer"))
        return json::isInteger(v);
    if (type == QStringLiteral("number"))
        return v.isDouble();
    if (type == QStringLiteral("boolean"))
        return v.isBool();
    if (type == QStringLiteral("array"))
        return v.isArray();
    if (type == QStringLiteral("object"))
        return v.isObject();
    return true;
}

// Patterns are compiled once each.
const QRegularExpression &patternFor(const QString &pattern)
{
    static QMutex lock;
    static QHash<QString, QRegularExpression> cache;
    QMutexLocker locker(&lock);
    auto it = cache.find(pattern);
    if (it == cache.end())
        it = cache.insert(pattern, QRegularExpression(pattern));
    return *it;
}

QString number(double d)
{
    return QString::number(d, 'g', 15);
}

class Checker
{
public:
    Checker(const QJsonObject &components, QList<FieldError> &errors)
        : m_components(components)
        , m_errors(errors)
    {
    }

    void check(const QJsonValue &v, QJsonObject schema, const QString &name, int depth)
    {
        if (depth > kMaxSchemaDepth)
            return;
        // {"allOf": [X], "nullable": true}: X, and null allowed (the OpenAPI 3.0 spelling of a nullable $ref).
        if (const QJsonArray all = schema.value(QStringLiteral("allOf")).toArray(); all.size() == 1 && all.first().isObject()) {
            QJsonObject inner = all.first().toObject();
            for (auto it = schema.begin(); it != schema.end(); ++it) {
                if (it.key() != QStringLiteral("allOf"))
                    inner.insert(it.key(), it.value());
            }
            schema = inner;
        }
        QString refName;
        while (schema.contains(QStringLiteral("$ref")) && depth <= kMaxSchemaDepth) {
            refName = schema.value(QStringLiteral("$ref")).toString().section(u'/', -1);
            const bool nullable = schema.value(QStringLiteral("nullable")).toBool();
            const QString description = schema.value(QStringLiteral("description")).toString();
            schema = m_components.value(refName).toObject();
            if (nullable)
                schema.insert(QStringLiteral("nullable"), true);
            if (!description.isEmpty() && !schema.contains(QStringLiteral("description")))
                schema.insert(QStringLiteral("description"), description);
            ++depth;
        }
        if (v.isNull()) {
            if (!schema.value(QStringLiteral("nullable")).toBool())
                add(name, QStringLiteral("%1 must not be null").arg(name));
            return;
        }
        const QString type = schema.value(QStringLiteral("type")).toString();
        if (!type.isEmpty() && !hasType(v, type)) {
            add(name, QStringLiteral("%1 must be %2").arg(name, typeWord(type)));
            return;
        }
        if (schema.contains(QStringLiteral("enum"))) {
            const QJsonArray allowed = schema.value(QStringLiteral("enum")).toArray();
            if (!allowed.contains(v)) {
                QStringList words;
                for (const auto &a : allowed)
                    words << (a.isString() ? a.toString() : a.toVariant().toString());
                add(name, QStringLiteral("%1 must be one of: %2").arg(name, words.join(QStringLiteral(", "))));
                return;
            }
        }
        if (v.isString())
            checkString(v.toString(), schema, name, refName);
        else if (v.isDouble())
            checkNumber(v.toDouble(), schema, name, type);
        else if (v.isArray())
            checkArray(v.toArray(), schema, name, depth);
        else if (v.isObject())
            checkObject(v.toObject(), schema, name, depth);
    }

private:
    void add(const QString &field, const QString &message) { m_errors << FieldError{field, message}; }

    void checkString(const QString &raw, const QJsonObject &schema, const QString &name, const QString &refName)
    {
        // Text is stored trimmed, so its length is the trimmed one; a password is taken as typed.
        const QString s = schema.value(QStringLiteral("format")).toString() == QStringLiteral("password") ? raw : raw.trimmed();
        const qsizetype minLength = schema.value(QStringLiteral("minLength")).toInteger(0);
        const qsizetype maxLength = schema.value(QStringLiteral("maxLength")).toInteger(-1);
        const bool patternRefusesEmpty = schema.contains(QStringLiteral("pattern"))
            && !patternFor(schema.value(QStringLiteral("pattern")).toString()).match(QString()).hasMatch();
        if (s.isEmpty()
            && (minLength > 0 || patternRefusesEmpty
                || schema.value(QStringLiteral("format")).toString() == QStringLiteral("email"))) {
            add(name, QStringLiteral("%1 must not be empty").arg(name));
            return;
        }
        if (maxLength >= 0 && s.size() > maxLength) {
            add(name, QStringLiteral("%1 must be at most %2 characters long").arg(name).arg(maxLength));
            return;
        }
        if (s.size() < minLength) {
            add(name, QStringLiteral("%1 must be at least %2 characters long").arg(name).arg(minLength));
            return;
        }
        for (const QChar c : s) {
            if (c.category() == QChar::Other_Control) {
                add(name, QStringLiteral("%1 must not contain control characters").arg(name));
                return;
            }
        }
        const QString description = schema.value(QStringLiteral("description")).toString();
        if (schema.contains(QStringLiteral("pattern"))
            && !patternFor(schema.value(QStringLiteral("pattern")).toString()).match(raw).hasMatch()) {
            add(name,
                description.isEmpty() ? QStringLiteral("%1 does not have the expected form").arg(name)
                                      : QStringLiteral("%1 is not valid: %2").arg(name, description));
            return;
        }
        if (schema.value(QStringLiteral("format")).toString() == QStringLiteral("email") && !isValidEmail(s)) {
            add(name, QStringLiteral("%1 must be a valid email").arg(name));
            return;
        }
        // Well-formed is not enough for codes: they must exist.
        if (refName == QStringLiteral("CountryCode") && !isCountryCode(raw))
            add(name, QStringLiteral("%1 must be an assigned ISO 3166-1 alpha-2 country code such as GB").arg(name));
        else if (refName == QStringLiteral("Currency") && !isCurrencyCode(raw))
            add(name, QStringLiteral("%1 must be an ISO 4217 currency code such as EUR").arg(name));
    }

    void checkNumber(double d, const QJsonObject &schema, const QString &name, const QString &type)
    {
        const bool hasMin = schema.contains(QStringLiteral("minimum")), hasMax = schema.contains(QStringLiteral("maximum"));
        const double min = schema.value(QStringLiteral("minimum")).toDouble();
        const double max = schema.value(QStringLiteral("maximum")).toDouble();
        if ((hasMin && d < min) || (hasMax && d > max)) {
            const QString what = type == QStringLiteral("integer") ? QStringLiteral("an integer") : QStringLiteral("a number");
            if (hasMin && hasMax)
                add(name, QStringLiteral("%1 must be %2 from %3 to %4").arg(name, what, number(min), number(max)));
            else if (hasMin)
                add(name, QStringLiteral("%1 must be %2 of at least %3").arg(name, what, number(min)));
            else
                add(name, QStringLiteral("%1 must be %2 of at most %3").arg(name, what, number(max)));
        }
    }

    void checkArray(const QJsonArray &a, const QJsonObject &schema, const QString &name, int depth)
    {
        if (schema.contains(QStringLiteral("minItems")) && a.size() < schema.value(QStringLiteral("minItems")).toInteger()) {
            add(name,
                QStringLiteral("%1 must have at least %2 items")
                    .arg(name)
                    .arg(schema.value(QStringLiteral("minItems")).toInteger()));
            return;
        }
        if (schema.contains(QStringLiteral("maxItems")) && a.size() > schema.value(QStringLiteral("maxItems")).toInteger()) {
            add(name,
                QStringLiteral("%1 must have at most %2 items")
                    .arg(name)
                    .arg(schema.value(QStringLiteral("maxItems")).toInteger()));
            return;
        }
        if (schema.value(QStringLiteral("uniqueItems")).toBool()) {
            QSet<QByteArray> seen;
            for (const auto &e : a) {
                const QByteArray key = json::compact(QJsonObject{{QStringLiteral("v"), e}});
                if (seen.contains(key)) {
                    add(name, QStringLiteral("%1 must not repeat an item").arg(name));
                    return;
                }
                seen.insert(key);
            }
        }
        const QJsonObject items = schema.value(QStringLiteral("items")).toObject();
        if (items.isEmpty())
            return;
        for (qsizetype i = 0; i < a.size(); ++i)
            check(a.at(i), items, QStringLiteral("%1[%2]").arg(name).arg(i), depth + 1);
    }

    void checkObject(const QJsonObject &o, const QJsonObject &schema, const QString &name, int depth)
    {
        const QString prefix = name.isEmpty() ? QString() : name + u'.';
        const QJsonObject properties = schema.value(QStringLiteral("properties")).toObject();
        if (schema.contains(QStringLiteral("minProperties"))
            && o.size() < schema.value(QStringLiteral("minProperties")).toInteger()) {
            add(name.isEmpty() ? QStringLiteral("body") : name,
                QStringLiteral("at least one of %1 is required").arg(properties.keys().join(QStringLiteral(", "))));
            return;
        }
        for (const auto &r : schema.value(QStringLiteral("required")).toArray()) {
            const QString key = r.toString();
            if (!o.contains(key) || o.value(key).isNull())
                add(prefix + key, QStringLiteral("%1 is required").arg(prefix + key));
        }
        const bool closed = schema.contains(QStringLiteral("additionalProperties"))
            && !schema.value(QStringLiteral("additionalProperties")).toBool(true);
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (!properties.contains(it.key())) {
                if (closed)
                    add(prefix + it.key(), QStringLiteral("property %1 should not exist").arg(prefix + it.key()));
                continue;
            }
            if (it.value().isNull() && schema.value(QStringLiteral("required")).toArray().contains(it.key()))
                continue; // already "is required"
            check(it.value(), properties.value(it.key()).toObject(), prefix + it.key(), depth + 1);
        }
    }

    const QJsonObject &m_components;
    QList<FieldError> &m_errors;
};

} // namespace

QList<FieldError> schemaErrors(const QJsonValue &body, const QJsonObject &schema, const QJsonObject &components)
{
    QList<FieldError> errors;
    Checker(components, errors).check(body, schema, QString(), 0);
    return errors;
}

QJsonObject requestSchema(Method method, const QString &path)
{
    static const QJsonObject docs = operationDocs();
    const QString key = QString::fromLatin1(methodName(method)) + u' ' + path;
    return docs.value(QStringLiteral("operations"))
        .toObject()
        .value(key)
        .toObject()
        .value(QStringLiteral("request"))
        .toObject()
        .value(QStringLiteral("schema"))
        .toObject();
}

std::optional<Error> loneSurrogateError(QByteArrayView text)
{
    auto hexAt = [&](qsizetype i) -> int {
        if (i + 4 > text.size())
            return -1;
        bool ok = false;
        const int v = QByteArray(text.sliced(i, 4).data(), 4).toInt(&ok, 16);
        return ok ? v : -1;
    };
    for (qsizetype i = 0; i + 1 < text.size(); ++i) {
        if (text[i] != '\\')
            continue;
        if (text[i + 1] != 'u') {
            ++i; // an escape of one character (\\, \", \n …): skip it whole
            continue;
        }
        const int unit = hexAt(i + 2);
        if (unit < 0xD800 || unit > 0xDFFF) {
            i += 5;
            continue;
        }
        const bool high = unit <= 0xDBFF;
        const int next = (high && i + 7 < text.size() && text[i + 6] == '\\' && text[i + 7] == 'u') ? hexAt(i + 8) : -1;
        if (!high || next < 0xDC00 || next > 0xDFFF)
            return Error::validation(QStringLiteral("body"),
                                     QStringLiteral("the JSON text holds a lone UTF-16 surrogate (\\u%1): text must be valid "
                                                    "Unicode")
                                         .arg(QString::number(unit, 16).toUpper()));
        i += 11; // the pair
    }
    return std::nullopt;
}

QStringList schemaCheckedOperations()
{
    return {QStringLiteral("POST /auth/login"),
            QStringLiteral("POST /auth/mfa/verify"),
            QStringLiteral("POST /auth/mfa/disable"),
            QStringLiteral("POST /firms/register"),
            QStringLiteral("PATCH /firms/current"),
            QStringLiteral("POST /api-keys"),
            QStringLiteral("PATCH /api-keys/:id"),
            QStringLiteral("POST /api-keys/:id/rotate"),
            QStringLiteral("POST /users/invite"),
            QStringLiteral("PATCH /users/:id"),
            QStringLiteral("POST /users/invitations/accept"),
            QStringLiteral("POST /auth/refresh"),
            QStringLiteral("POST /auth/forgot-password"),
            QStringLiteral("POST /auth/reset-password"),
            QStringLiteral("POST /auth/change-password")};
}

Controller withRequestChecks(Controller c, const QStringList &schemaChecked)
{
    static const QJsonObject components = operationDocs().value(QStringLiteral("schemas")).toObject();
    for (auto &route : c.routes) {
        if (route.body != BodyKind::Json && route.body != BodyKind::JsonOrMultipart)
            continue;
        const QString key = QString::fromLatin1(methodName(route.method)) + u' ' + route.path;
        const QJsonObject schema = schemaChecked.contains(key) ? requestSchema(route.method, route.path) : QJsonObject();
        // Permission comes before validation: a user below the route's role gets the service's 403,
        // not a list of what is wrong with the body.
        std::optional<Role> minRole;
        const AuthSpec auth = AuthSpec::parse(route.auth);
        const QString roleName = !auth.minRole.isEmpty() || !auth.jwt || auth.acceptsApiKey() ? auth.minRole : categoryMinRole(c);
        if (Role role; parseRole(roleName, &role))
            minRole = role;
        route.handler = [schema, minRole, inner = std::move(route.handler)](const ApiRequest &r) {
            const bool jsonBody = r.header("content-type").toLower().contains("json");
            if (auto e = jsonBody ? loneSurrogateError(r.body) : std::nullopt)
                return ApiResponse::error(*e);
            const bool permitted = !minRole || !r.actor.isUser() || r.actor.atLeast(*minRole);
            if (permitted && jsonBody && !schema.isEmpty() && !r.body.trimmed().isEmpty()) {
                if (auto errors = schemaErrors(r.json, schema, components); !errors.isEmpty())
                    return ApiResponse::error(Error::validation(errors));
            }
            return inner(r);
        };
    }
    return c;
}

} // namespace kyc::http
