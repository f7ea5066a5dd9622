#include "backend/http/openapi.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUuid>

#include <map>

namespace kyc::http {

namespace {

QJsonValue resolve(const QJsonObject &root, const QJsonValue &schema, int depth = 0)
{
    const QJsonObject s = schema.toObject();
    const QString r = s.value(QStringLiteral("$ref")).toString();
    if (r.isEmpty() || depth > 8)
        return schema;
    QJsonValue cur = root;
    for (const auto &part : r.mid(2).split(u'/'))
        cur = cur.toObject().value(part);
    return resolve(root, cur, depth + 1);
}

// An example value for a schema, so each request opens in Postman with a body to edit.
QJsonValue example(const QJsonObject &root, const QJsonValue &schemaValue, int depth = 0)
{
    const QJsonObject s = resolve(root, schemaValue).toObject();
    if (s.contains(QStringLiteral("example")))
        return s.value(QStringLiteral("example"));
    if (s.contains(QStringLiteral("enum")))
        return s.value(QStringLiteral("enum")).toArray().first();
    if (depth > 6)
        return QJsonValue();
    for (const char *comb : {"oneOf", "anyOf", "allOf"}) {
        const auto arr = s.value(QLatin1String(comb)).toArray();
        if (!arr.isEmpty())
            return example(root, arr.first(), depth + 1);
    }
    const QString type = s.value(QStringLiteral("type")).toString();
    const QString format = s.value(QStringLiteral("format")).toString();
    if (type == QStringLiteral("object") || s.contains(QStringLiteral("properties"))) {
        QJsonObject o;
        const QJsonObject props = s.value(QStringLiteral("properties")).toObject();
        for (auto it = props.begin(); it != props.end(); ++it)
            o.insert(it.key(), example(root, it.value(), depth + 1));
        return o;
    }
    if (type == QStringLiteral("array"))
        return QJsonArray{example(root, s.value(QStringLiteral("items")), depth + 1)};
    if (type == QStringLiteral("integer"))
        return s.value(QStringLiteral("minimum")).toInt(1);
    if (type == QStringLiteral("number"))
        return s.value(QStringLiteral("minimum")).toDouble(0.5);
    if (type == QStringLiteral("boolean"))
        return true;
    if (format == QStringLiteral("email"))
        return QStringLiteral("name@example.com");
    if (format == QStringLiteral("uuid"))
        return QStringLiteral("00000000-0000-4000-8000-000000000000");
    if (format == QStringLiteral("date-time"))
        return QStringLiteral("2026-01-01T00:00:00Z");
    if (format == QStringLiteral("date"))
        return QStringLiteral("1980-01-31");
    if (format == QStringLiteral("password"))
        return QStringLiteral("a-long-passphrase");
    return QStringLiteral("string");
}

QJsonObject authFor(const QJsonObject &op)
{
    const QJsonArray sec = op.value(QStringLiteral("security")).toArray();
    bool bearer = false, key = false;
    for (const auto &s : sec) {
        bearer |= s.toObject().contains(QStringLiteral("bearerAuth"));
        key |= s.toObject().contains(QStringLiteral("apiKeyAuth"));
    }
    if (bearer) {
        return {{QStringLiteral("type"), QStringLiteral("bearer")},
                {QStringLiteral("bearer"),
                 QJsonArray{QJsonObject{{QStringLiteral("key"), QStringLiteral("token")},
                                        {QStringLiteral("value"), QStringLiteral("{{KYCONNECT_JWT}}")},
                                        {QStringLiteral("type"), QStringLiteral("string")}}}}};
    }
    if (key) {
        return {{QStringLiteral("type"), QStringLiteral("apikey")},
                {QStringLiteral("apikey"),
                 QJsonArray{QJsonObject{{QStringLiteral("key"), QStringLiteral("key")},
                                        {QStringLiteral("value"), QStringLiteral("X-API-Key")},
                                        {QStringLiteral("type"), QStringLiteral("string")}},
                            QJsonObject{{QStringLiteral("key"), QStringLiteral("value")},
                                        {QStringLiteral("value"), QStringLiteral("{{KYCONNECT_API_KEY}}")},
                                        {QStringLiteral("type"), QStringLiteral("string")}},
                            QJsonObject{{QStringLiteral("key"), QStringLiteral("in")},
                                        {QStringLiteral("value"), QStringLiteral("header")},
                                        {QStringLiteral("type"), QStringLiteral("string")}}}}};
    }
    return {{QStringLiteral("type"), QStringLiteral("noauth")}};
}

} // namespace

QJsonObject buildPostmanCollection(const QJsonObject &root)
{
    // Operations grouped by tag, in the contract's order.
    std::map<QString, std::map<int, QJsonObject>> byTag;
    const QJsonObject paths = root.value(QStringLiteral("paths")).toObject();
    for (auto p = paths.begin(); p != paths.end(); ++p) {
        const QJsonObject item = p.value().toObject();
        for (auto m = item.begin(); m != item.end(); ++m) {
            const QJsonObject op = m.value().toObject();
            const QString tag = op.value(QStringLiteral("tags")).toArray().first().toString();
            const int n = op.value(QStringLiteral("x-contract-number")).toInt();

            QJsonArray pathSegments, variables, query, headers;
            QString raw = QStringLiteral("{{KYCONNECT_BASE_URL}}");
            for (const auto &seg : p.key().split(u'/', Qt::SkipEmptyParts)) {
                const bool param = seg.startsWith(u'{');
                const QString s = param ? u':' + seg.mid(1, seg.size() - 2) : seg;
                pathSegments.append(s);
                raw += u'/' + s;
            }
            QStringList queryParts;
            for (const auto &pv : op.value(QStringLiteral("parameters")).toArray()) {
                const QJsonObject prm = pv.toObject();
                const QString in = prm.value(QStringLiteral("in")).toString();
                const QString name = prm.value(QStringLiteral("name")).toString();
                const QJsonValue ex = example(root, prm.value(QStringLiteral("schema")));
                const QString value = ex.isDouble() ? QString::number(ex.toInteger()) : ex.toString();
                if (in == QStringLiteral("path")) {
                    variables.append(
                        QJsonObject{{QStringLiteral("key"), name},
                                    {QStringLiteral("value"), QString()},
                                    {QStringLiteral("description"), prm.value(QStringLiteral("description")).toString()}});
                } else if (in == QStringLiteral("query")) {
                    const bool required = prm.value(QStringLiteral("required")).toBool();
                    query.append(
                        QJsonObject{{QStringLiteral("key"), name},
                                    {QStringLiteral("value"), value},
                                    {QStringLiteral("disabled"), !required},
                                    {QStringLiteral("description"), prm.value(QStringLiteral("description")).toString()}});
                    if (required)
                        queryParts << name + u'=' + value;
                } else if (in == QStringLiteral("header")) {
                    headers.append(QJsonObject{{QStringLiteral("key"), name},
                                               {QStringLiteral("value"), value},
                                               {QStringLiteral("disabled"), !prm.value(QStringLiteral("required")).toBool()}});
                }
            }
            if (!queryParts.isEmpty())
                raw += u'?' + queryParts.join(u'&');

            // Operations that take a JWT or an API key use the JWT; one click on this header switches.
            const QJsonObject auth = authFor(op);
            if (auth.value(QStringLiteral("type")).toString() == QStringLiteral("bearer")
                && op.value(QStringLiteral("x-api-key-scopes")).toArray().size() > 0) {
                headers.append(QJsonObject{{QStringLiteral("key"), QStringLiteral("X-API-Key")},
                                           {QStringLiteral("value"), QStringLiteral("{{KYCONNECT_API_KEY}}")},
                                           {QStringLiteral("disabled"), true},
                                           {QStringLiteral("description"),
                                            QStringLiteral("Enable (and disable Authorization) to call with an API key")}});
            }
            QJsonObject request{{QStringLiteral("method"), m.key().toUpper()},
                                {QStringLiteral("description"), op.value(QStringLiteral("description")).toString()},
                                {QStringLiteral("auth"), auth}};
            const QJsonObject content
                = op.value(QStringLiteral("requestBody")).toObject().value(QStringLiteral("content")).toObject();
            if (content.contains(QStringLiteral("application/json"))) {
                headers.append(QJsonObject{{QStringLiteral("key"), QStringLiteral("Content-Type")},
                                           {QStringLiteral("value"), QStringLiteral("application/json")}});
                const QJsonValue body
                    = example(root, content.value(QStringLiteral("application/json")).toObject().value(QStringLiteral("schema")));
                request.insert(QStringLiteral("body"),
                               QJsonObject{{QStringLiteral("mode"), QStringLiteral("raw")},
                                           {QStringLiteral("raw"),
                                            QString::fromUtf8(QJsonDocument(body.toObject()).toJson(QJsonDocument::Indented))},
                                           {QStringLiteral("options"),
                                            QJsonObject{{QStringLiteral("raw"),
                                                         QJsonObject{{QStringLiteral("language"), QStringLiteral("json")}}}}}});
            } else if (!content.isEmpty()) {
                headers.append(QJsonObject{{QStringLiteral("key"), QStringLiteral("Content-Type")},
                                           {QStringLiteral("value"), content.keys().first()}});
                request.insert(
                    QStringLiteral("body"),
                    QJsonObject{{QStringLiteral("mode"), QStringLiteral("file")}, {QStringLiteral("file"), QJsonObject()}});
            }
            request.insert(QStringLiteral("header"), headers);
            QJsonObject url{{QStringLiteral("raw"), raw},
                            {QStringLiteral("host"), QJsonArray{QStringLiteral("{{KYCONNECT_BASE_URL}}")}},
                            {QStringLiteral("path"), pathSegments}};
            if (!variables.isEmpty())
                url.insert(QStringLiteral("variable"), variables);
            if (!query.isEmpty())
                url.insert(QStringLiteral("query"), query);
            request.insert(QStringLiteral("url"), url);
            byTag[tag][n] = QJsonObject{{QStringLiteral("name"), op.value(QStringLiteral("summary")).toString()},
                                        {QStringLiteral("request"), request},
                                        {QStringLiteral("response"), QJsonArray{}}};
        }
    }

    QJsonArray folders;
    for (const auto &t : root.value(QStringLiteral("tags")).toArray()) {
        const QString name = t.toObject().value(QStringLiteral("name")).toString();
        QJsonArray items;
        for (const auto &[n, item] : byTag[name])
            items.append(item);
        folders.append(QJsonObject{{QStringLiteral("name"), name},
                                   {QStringLiteral("description"), t.toObject().value(QStringLiteral("description")).toString()},
                                   {QStringLiteral("item"), items}});
    }
    const QJsonObject info = root.value(QStringLiteral("info")).toObject();
    const QString base
        = root.value(QStringLiteral("servers")).toArray().first().toObject().value(QStringLiteral("url")).toString();
    return QJsonObject{
        {QStringLiteral("info"),
         QJsonObject{
             {QStringLiteral("_postman_id"),
              QUuid::createUuidV5(QUuid(), info.value(QStringLiteral("version")).toString()).toString(QUuid::WithoutBraces)},
             {QStringLiteral("name"), info.value(QStringLiteral("title")).toString()},
             {QStringLiteral("description"), info.value(QStringLiteral("description")).toString()},
             {QStringLiteral("schema"), QStringLiteral("https://schema.getpostman.com/json/collection/v2.1.0/collection.json")}}},
        {QStringLiteral("item"), folders},
        {QStringLiteral("auth"),
         QJsonObject{{QStringLiteral("type"), QStringLiteral("bearer")},
                     {QStringLiteral("bearer"),
                      QJsonArray{QJsonObject{{QStringLiteral("key"), QStringLiteral("token")},
                                             {QStringLiteral("value"), QStringLiteral("{{KYCONNECT_JWT}}")},
                                             {QStringLiteral("type"), QStringLiteral("string")}}}}}},
        {QStringLiteral("variable"),
         QJsonArray{QJsonObject{{QStringLiteral("key"), QStringLiteral("KYCONNECT_BASE_URL")},
                                {QStringLiteral("value"), base},
                                {QStringLiteral("type"), QStringLiteral("string")}},
                    QJsonObject{{QStringLiteral("key"), QStringLiteral("KYCONNECT_JWT")},
                                {QStringLiteral("value"), QString()},
                                {QStringLiteral("type"), QStringLiteral("string")}},
                    QJsonObject{{QStringLiteral("key"), QStringLiteral("KYCONNECT_API_KEY")},
                                {QStringLiteral("value"), QString()},
                                {QStringLiteral("type"), QStringLiteral("string")}}}},
    };
}

} // namespace kyc::http
