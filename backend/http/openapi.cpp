#include "backend/http/openapi.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

// Resources in a static library must be registered by name before first use.
static void initOpenApiResources()
{
    Q_INIT_RESOURCE(openapi);
}

namespace kyc::http {

namespace {

QString cap(const QString &s)
{
    QString out;
    bool up = true;
    for (const QChar c : s) {
        if (c == u'-' || c == u'_') {
            up = true;
            continue;
        }
        out += up ? c.toUpper() : c;
        up = false;
    }
    return out;
}

QJsonObject ref(const QString &kind, const QString &name)
{
    return {{QStringLiteral("$ref"), QStringLiteral("#/components/%1/%2").arg(kind, name)}};
}

struct ErrorDoc {
    int status;
    const char *name;
    const char *description;
};

// The error responses every operation can reference; bodies follow the contract's error format.
constexpr ErrorDoc kErrors[] = {
    {400, "BadRequest", "Validation failed (message is an array of field messages) or malformed JSON"},
    {401, "Unauthorized", "Missing, expired or invalid credentials"},
    {403, "Forbidden", "Role or API key scope too weak"},
    {404, "NotFound", "Not found (another firm's id answers 404 too)"},
    {409, "Conflict", "Duplicate or state mismatch"},
    {413, "PayloadTooLarge", "The request body exceeds the configured limit"},
    {415, "UnsupportedMediaType", "The Content-Type is not accepted by this operation"},
    {422, "UnprocessableEntity", "A business rule was violated"},
    {429, "TooManyRequests", "Rate limited; retry after the number of seconds in Retry-After"},
    {500, "InternalError", "Unexpected failure (no internals are disclosed)"},
    {501, "NotImplemented", "The capability is not available in this build"},
    {503, "ServiceUnavailable", "Not ready; the message names the failing checks"},
};

const ErrorDoc *errorDoc(int status)
{
    for (const auto &e : kErrors) {
        if (e.status == status)
            return &e;
    }
    return nullptr;
}

QJsonObject components(const QJsonObject &docs)
{
    QJsonObject schemas = docs.value(QStringLiteral("schemas")).toObject();
    schemas.insert(
        QStringLiteral("Error"),
        QJsonObject{
            {QStringLiteral("type"), QStringLiteral("object")},
            {QStringLiteral("required"),
             QJsonArray{QStringLiteral("statusCode"), QStringLiteral("message"), QStringLiteral("error")}},
            {QStringLiteral("properties"),
             QJsonObject{
                 {QStringLiteral("statusCode"),
                  QJsonObject{{QStringLiteral("type"), QStringLiteral("integer")}, {QStringLiteral("example"), 400}}},
                 {QStringLiteral("message"),
                  QJsonObject{{QStringLiteral("oneOf"),
                               QJsonArray{QJsonObject{{QStringLiteral("type"), QStringLiteral("string")}},
                                          QJsonObject{{QStringLiteral("type"), QStringLiteral("array")},
                                                      {QStringLiteral("items"),
                                                       QJsonObject{{QStringLiteral("type"), QStringLiteral("string")}}}}}},
                              {QStringLiteral("description"),
                               QStringLiteral("An array of field messages for 400 validation errors, a string otherwise")}}},
                 {QStringLiteral("error"),
                  QJsonObject{{QStringLiteral("type"), QStringLiteral("string")},
                              {QStringLiteral("example"), QStringLiteral("Bad Request")}}}}}});
    schemas.insert(
        QStringLiteral("ListMeta"),
        QJsonObject{
            {QStringLiteral("type"), QStringLiteral("object")},
            {QStringLiteral("required"), QJsonArray{QStringLiteral("page"), QStringLiteral("limit"), QStringLiteral("total")}},
            {QStringLiteral("properties"),
             QJsonObject{{QStringLiteral("page"),
                          QJsonObject{{QStringLiteral("type"), QStringLiteral("integer")}, {QStringLiteral("minimum"), 1}}},
                         {QStringLiteral("limit"),
                          QJsonObject{{QStringLiteral("type"), QStringLiteral("integer")},
                                      {QStringLiteral("minimum"), 1},
                                      {QStringLiteral("maximum"), 100}}},
                         {QStringLiteral("total"),
                          QJsonObject{{QStringLiteral("type"), QStringLiteral("integer")}, {QStringLiteral("minimum"), 0}}}}}});
    QJsonObject responses;
    for (const auto &e : kErrors) {
        QJsonObject r{
            {QStringLiteral("description"), QLatin1String(e.description)},
            {QStringLiteral("content"),
             QJsonObject{{QStringLiteral("application/json"),
                          QJsonObject{{QStringLiteral("schema"), ref(QStringLiteral("schemas"), QStringLiteral("Error"))}}}}}};
        if (e.status == 429) {
            r.insert(QStringLiteral("headers"),
                     QJsonObject{{QStringLiteral("Retry-After"),
                                  QJsonObject{{QStringLiteral("description"), QStringLiteral("Seconds until the window ends")},
                                              {QStringLiteral("schema"),
                                               QJsonObject{{QStringLiteral("type"), QStringLiteral("integer")}}}}}});
        }
        responses.insert(QLatin1String(e.name), r);
    }
    QJsonObject security{
        {QStringLiteral("bearerAuth"),
         QJsonObject{{QStringLiteral("type"), QStringLiteral("http")},
                     {QStringLiteral("scheme"), QStringLiteral("bearer")},
                     {QStringLiteral("bearerFormat"), QStringLiteral("JWT")},
                     {QStringLiteral("description"), QStringLiteral("Access token from POST /auth/login (HS256, 15 minutes)")}}},
        {QStringLiteral("apiKeyAuth"),
         QJsonObject{{QStringLiteral("type"), QStringLiteral("apiKey")},
                     {QStringLiteral("in"), QStringLiteral("header")},
                     {QStringLiteral("name"), QStringLiteral("X-API-Key")},
                     {QStringLiteral("description"),
                      QStringLiteral("A kc_live_ key; the operation names the scope it needs (x-api-key-scopes)")}}},
    };
    return {{QStringLiteral("schemas"), schemas},
            {QStringLiteral("responses"), responses},
            {QStringLiteral("securitySchemes"), security}};
}

QJsonArray securityFor(const AuthSpec &a)
{
    QJsonArray s;
    if (a.jwt)
        s.append(QJsonObject{{QStringLiteral("bearerAuth"), QJsonArray{}}});
    if (a.acceptsApiKey())
        s.append(QJsonObject{{QStringLiteral("apiKeyAuth"), QJsonArray{}}});
    if (a.isPublic && !s.isEmpty())
        s.append(QJsonObject{}); // optional credentials
    return s;
}

} // namespace

QJsonObject operationDocs()
{
    static const bool registered = (initOpenApiResources(), true);
    Q_UNUSED(registered);
    QFile f(QStringLiteral(":/openapi/operations.json"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

QString openApiPath(const QString &contractPath)
{
    QStringList out;
    for (const auto &seg : contractPath.split(u'/'))
        out << (seg.startsWith(u':') ? QStringLiteral("{") + seg.mid(1) + QStringLiteral("}") : seg);
    return out.join(u'/');
}

QString operationId(Method m, const QString &contractPath)
{
    QString id = QString::fromLatin1(methodName(m)).toLower();
    for (const auto &seg : contractPath.split(u'/', Qt::SkipEmptyParts))
        id += seg.startsWith(u':') ? QStringLiteral("By") + cap(seg.mid(1)) : cap(seg);
    return id;
}

QJsonObject buildOpenApi(const QList<Controller> &controllers, const QJsonObject &docs, const QString &version,
                         QStringList *missing)
{
    const QJsonObject ops = docs.value(QStringLiteral("operations")).toObject();
    QJsonObject paths;
    QJsonArray tags;
    int number = 0;
    for (const auto &c : controllers) {
        tags.append(QJsonObject{{QStringLiteral("name"), c.category}, {QStringLiteral("description"), c.description}});
        for (const auto &r : c.routes) {
            const QString key = QString::fromLatin1(methodName(r.method)) + u' ' + r.path;
            if (!ops.contains(key) && missing)
                *missing << key;
            const QJsonObject d = ops.value(key).toObject();
            const AuthSpec auth = AuthSpec::parse(r.auth);

            QJsonObject op;
            op.insert(QStringLiteral("operationId"), operationId(r.method, r.path));
            op.insert(QStringLiteral("tags"), QJsonArray{c.category});
            op.insert(QStringLiteral("summary"), d.value(QStringLiteral("summary")).toString(key));
            QString description = d.value(QStringLiteral("description")).toString();
            description += QStringLiteral("\n\nAuth: `%1`.").arg(r.auth);
            op.insert(QStringLiteral("description"), description.trimmed());
            op.insert(QStringLiteral("security"), securityFor(auth));
            op.insert(QStringLiteral("x-auth"), r.auth);
            op.insert(QStringLiteral("x-contract-number"), ++number);
            if (!auth.minRole.isEmpty())
                op.insert(QStringLiteral("x-required-role"), auth.minRole);
            if (auth.acceptsApiKey())
                op.insert(QStringLiteral("x-api-key-scopes"), QJsonArray::fromStringList(auth.keyScopes));

            QJsonArray params;
            for (const auto &seg : r.path.split(u'/', Qt::SkipEmptyParts)) {
                if (!seg.startsWith(u':'))
                    continue;
                const QString name = seg.mid(1);
                const bool uuid = name == QStringLiteral("id") || name.endsWith(QStringLiteral("Id"));
                QJsonObject schema{{QStringLiteral("type"), QStringLiteral("string")}};
                if (uuid)
                    schema.insert(QStringLiteral("format"), QStringLiteral("uuid"));
                params.append(QJsonObject{{QStringLiteral("name"), name},
                                          {QStringLiteral("in"), QStringLiteral("path")},
                                          {QStringLiteral("required"), true},
                                          {QStringLiteral("schema"), schema}});
            }
            const bool paged = d.value(QStringLiteral("paged")).toBool();
            if (paged) {
                params.append(QJsonObject{{QStringLiteral("name"), QStringLiteral("page")},
                                          {QStringLiteral("in"), QStringLiteral("query")},
                                          {QStringLiteral("required"), false},
                                          {QStringLiteral("schema"),
                                           QJsonObject{{QStringLiteral("type"), QStringLiteral("integer")},
                                                       {QStringLiteral("minimum"), 1},
                                                       {QStringLiteral("default"), 1}}}});
                params.append(QJsonObject{{QStringLiteral("name"), QStringLiteral("limit")},
                                          {QStringLiteral("in"), QStringLiteral("query")},
                                          {QStringLiteral("required"), false},
                                          {QStringLiteral("schema"),
                                           QJsonObject{{QStringLiteral("type"), QStringLiteral("integer")},
                                                       {QStringLiteral("minimum"), 1},
                                                       {QStringLiteral("maximum"), 100},
                                                       {QStringLiteral("default"), 20}}}});
            }
            for (const auto &q : d.value(QStringLiteral("query")).toArray()) {
                QJsonObject p = q.toObject();
                p.insert(QStringLiteral("in"), QStringLiteral("query"));
                params.append(p);
            }
            for (const auto &h : d.value(QStringLiteral("headers")).toArray()) {
                QJsonObject p = h.toObject();
                p.insert(QStringLiteral("in"), QStringLiteral("header"));
                if (!p.contains(QStringLiteral("schema")))
                    p.insert(QStringLiteral("schema"), QJsonObject{{QStringLiteral("type"), QStringLiteral("string")}});
                params.append(p);
            }
            if (!params.isEmpty())
                op.insert(QStringLiteral("parameters"), params);

            const QJsonObject req = d.value(QStringLiteral("request")).toObject();
            if (!req.isEmpty()) {
                QJsonObject content{{req.value(QStringLiteral("contentType")).toString(QStringLiteral("application/json")),
                                     QJsonObject{{QStringLiteral("schema"), req.value(QStringLiteral("schema"))}}}};
                const QJsonObject alt = req.value(QStringLiteral("alternatives")).toObject();
                for (auto it = alt.begin(); it != alt.end(); ++it)
                    content.insert(it.key(), QJsonObject{{QStringLiteral("schema"), it.value()}});
                op.insert(QStringLiteral("requestBody"),
                          QJsonObject{{QStringLiteral("required"), req.value(QStringLiteral("required")).toBool(true)},
                                      {QStringLiteral("content"), content}});
            }

            QJsonObject responses;
            const QJsonObject res = d.value(QStringLiteral("response")).toObject();
            const int status = res.value(QStringLiteral("status")).toInt(200);
            QJsonObject ok{
                {QStringLiteral("description"), res.value(QStringLiteral("description")).toString(QStringLiteral("Success"))}};
            if (status != 204 && res.contains(QStringLiteral("schema"))) {
                QJsonValue schema = res.value(QStringLiteral("schema"));
                if (paged) {
                    schema = QJsonObject{
                        {QStringLiteral("type"), QStringLiteral("object")},
                        {QStringLiteral("required"), QJsonArray{QStringLiteral("data"), QStringLiteral("meta")}},
                        {QStringLiteral("properties"),
                         QJsonObject{
                             {QStringLiteral("data"),
                              QJsonObject{{QStringLiteral("type"), QStringLiteral("array")}, {QStringLiteral("items"), schema}}},
                             {QStringLiteral("meta"), ref(QStringLiteral("schemas"), QStringLiteral("ListMeta"))}}}};
                }
                ok.insert(QStringLiteral("content"),
                          QJsonObject{{res.value(QStringLiteral("contentType")).toString(QStringLiteral("application/json")),
                                       QJsonObject{{QStringLiteral("schema"), schema}}}});
            }
            responses.insert(QString::number(status), ok);

            QList<int> errors;
            for (const auto &e : d.value(QStringLiteral("errors")).toArray())
                errors << e.toInt();
            if (!auth.isPublic)
                errors << 401;
            if (!auth.minRole.isEmpty() || auth.acceptsApiKey() || auth.signedUrl)
                errors << 403;
            if (r.body != BodyKind::None)
                errors << 413 << 415;
            if (!auth.signature)
                errors << 429;
            errors << 500;
            if (r.availability == Availability::Pending) {
                errors << 501;
                op.insert(QStringLiteral("x-available"), false);
            }
            std::sort(errors.begin(), errors.end());
            errors.erase(std::unique(errors.begin(), errors.end()), errors.end());
            for (const int e : errors) {
                if (const auto *doc = errorDoc(e))
                    responses.insert(QString::number(e), ref(QStringLiteral("responses"), QLatin1String(doc->name)));
            }
            op.insert(QStringLiteral("responses"), responses);

            const QString p = openApiPath(r.path);
            QJsonObject item = paths.value(p).toObject();
            item.insert(QString::fromLatin1(methodName(r.method)).toLower(), op);
            paths.insert(p, item);
        }
    }

    return QJsonObject{
        {QStringLiteral("openapi"), QStringLiteral("3.0.3")},
        {QStringLiteral("info"),
         QJsonObject{
             {QStringLiteral("title"), QStringLiteral("KYConnect API")},
             {QStringLiteral("version"), version},
             {QStringLiteral("description"),
              QStringLiteral(
                  "The local HTTP API of the KYConnect compliance workstation: KYC/KYB onboarding, identity "
                  "verification, AML screening, a hash-chained audit trail, billing and e-signature. Errors "
                  "use one body: {statusCode, message, error}. A known path called with another method answers 405 with an "
                  "Allow header; operations marked x-available: false answer 501 until their capability lands.")},
             {QStringLiteral("license"), QJsonObject{{QStringLiteral("name"), QStringLiteral("Proprietary")}}}}},
        {QStringLiteral("servers"),
         QJsonArray{QJsonObject{{QStringLiteral("url"), QStringLiteral("http://localhost:3000/api/v1")},
                                {QStringLiteral("description"), QStringLiteral("The workstation's local API")}}}},
        {QStringLiteral("tags"), tags},
        {QStringLiteral("paths"), paths},
        {QStringLiteral("components"), components(docs)},
    };
}

} // namespace kyc::http
