#include "backend/core/validation.h"

#include <QFile>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

// Outside any namespace, as Q_INIT_RESOURCE requires.
static void initIsoResources()
{
    Q_INIT_RESOURCE(iso);
}

namespace {

// The first column of a shipped code list (resources/iso/), '#' lines left out.
QSet<QString> codeList(const QString &resource)
{
    initIsoResources();
    QSet<QString> codes;
    QFile f(resource);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text))
        return codes;
    while (!f.atEnd()) {
        const QString line = QString::fromUtf8(f.readLine());
        if (!line.startsWith(u'#') && !line.trimmed().isEmpty())
            codes.insert(line.section(u'\t', 0, 0).trimmed());
    }
    return codes;
}
} // namespace

namespace kyc {

bool isCountryCode(QStringView code)
{
    static const QSet<QString> codes = codeList(QStringLiteral(":/iso/iso3166-1-alpha2.txt"));
    return code.size() == 2 && codes.contains(code.toString());
}

bool isCurrencyCode(QStringView code)
{
    static const QSet<QString> codes = codeList(QStringLiteral(":/iso/iso4217.txt"));
    return code.size() == 3 && codes.contains(code.toString());
}

bool isValidEmail(const QString &email)
{
    static const QRegularExpression re(
        QStringLiteral("^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"));
    return email.size() <= 254 && re.match(email).hasMatch();
}

std::optional<QString> passwordProblem(const QString &password, const QString &email)
{
    // One rule for every way a password is set (registration, invitation, reset, change, admin CLI).
    if (password.isEmpty())
        return QStringLiteral("password must not be empty");
    if (password.trimmed().isEmpty())
        return QStringLiteral("password must not be only white space");
    if (password.size() < 12)
        return QStringLiteral("password must be at least 12 characters long");
    if (password.size() > 256)
        return QStringLiteral("password must be at most 256 characters long");
    const QString lower = password.toLower();
    const QString mail = email.trimmed().toLower();
    if (!mail.isEmpty() && (lower == mail || lower == mail.section(u'@', 0, 0)))
        return QStringLiteral("password must not be the email address");
    return std::nullopt;
}

std::optional<QString> Validator::string(const QString &field, bool required, int minLength, int maxLength)
{
    const QJsonValue v = m_body.value(field);
    if (v.isUndefined() || v.isNull()) {
        if (required)
            add(field, QStringLiteral("%1 is required").arg(field));
        return std::nullopt;
    }
    if (!v.isString()) {
        add(field, QStringLiteral("%1 must be a string").arg(field));
        return std::nullopt;
    }
    const QString s = v.toString().trimmed();
    if (s.isEmpty() && minLength > 0) {
        add(field, QStringLiteral("%1 must not be empty").arg(field));
        return std::nullopt;
    }
    if (s.size() < minLength || s.size() > maxLength) {
        add(field,
            minLength > 1 || required
                ? QStringLiteral("%1 must be %2 to %3 characters long").arg(field).arg(minLength).arg(maxLength)
                : QStringLiteral("%1 must be at most %2 characters long").arg(field).arg(maxLength));
        return std::nullopt;
    }
    for (const QChar c : s) {
        if (c.category() == QChar::Other_Control) {
            add(field, QStringLiteral("%1 must not contain control characters").arg(field));
            return std::nullopt;
        }
    }
    return s;
}

std::optional<QString> Validator::email(const QString &field, bool required)
{
    auto s = string(field, required, 3, 254);
    if (!s)
        return std::nullopt;
    if (!isValidEmail(*s)) {
        add(field, QStringLiteral("%1 must be a valid email").arg(field));
        return std::nullopt;
    }
    return s->toLower();
}

std::optional<QString> Validator::password(const QString &field, const QString &email)
{
    const QJsonValue v = m_body.value(field);
    if (!v.isString()) {
        add(field, QStringLiteral("%1 is required").arg(field));
        return std::nullopt;
    }
    if (auto problem = passwordProblem(v.toString(), email)) {
        add(field, QString(*problem).replace(QStringLiteral("password"), field));
        return std::nullopt;
    }
    return v.toString(); // passwords are taken as typed, never trimmed
}

std::optional<QString> Validator::oneOf(const QString &field, const QStringList &allowed, bool required)
{
    auto s = string(field, required, 1, 64);
    if (!s)
        return std::nullopt;
    if (!allowed.contains(*s)) {
        add(field, QStringLiteral("%1 must be one of: %2").arg(field, allowed.join(QStringLiteral(", "))));
        return std::nullopt;
    }
    return s;
}

std::optional<bool> Validator::boolean(const QString &field, bool required)
{
    const QJsonValue v = m_body.value(field);
    if (v.isUndefined() || v.isNull()) {
        if (required)
            add(field, QStringLiteral("%1 is required").arg(field));
        return std::nullopt;
    }
    if (!v.isBool()) {
        add(field, QStringLiteral("%1 must be true or false").arg(field));
        return std::nullopt;
    }
    return v.toBool();
}

std::optional<QStringList> Validator::stringList(const QString &field, const QStringList &allowed, bool required)
{
    const QJsonValue v = m_body.value(field);
    if (v.isUndefined() || v.isNull()) {
        if (required)
            add(field, QStringLiteral("%1 is required").arg(field));
        return std::nullopt;
    }
    if (!v.isArray()) {
        add(field, QStringLiteral("%1 must be an array").arg(field));
        return std::nullopt;
    }
    QStringList out;
    for (const auto &e : v.toArray()) {
        if (!e.isString() || !allowed.contains(e.toString())) {
            add(field, QStringLiteral("%1 must contain only: %2").arg(field, allowed.join(QStringLiteral(", "))));
            return std::nullopt;
        }
        if (!out.contains(e.toString()))
            out << e.toString();
    }
    return out;
}

void Validator::only(const QStringList &allowed)
{
    for (auto it = m_body.begin(); it != m_body.end(); ++it) {
        if (!allowed.contains(it.key()))
            add(it.key(), QStringLiteral("property %1 should not exist").arg(it.key()));
    }
}

} // namespace kyc
