#include "backend/backend.h"
#include "backend/core/json.h"
#include "backend/core/validation.h"
#include "backend/http/controllers/controllers.h"
#include "backend/http/controllers/identityjson.h"
#include "backend/identity/accountservice.h"
#include "backend/identity/apikeyservice.h"
#include "backend/objects/objectstore.h"

namespace kyc::http {

namespace {

QJsonObject presignedJson(const objects::PresignedUrl &p)
{
    QJsonObject o{{QStringLiteral("url"), p.url},
                  {QStringLiteral("method"), objects::methodOf(p.access)},
                  {QStringLiteral("key"), p.key},
                  {QStringLiteral("expires_at"), isoUtc(p.expiresAt)}};
    if (!p.contentType.isEmpty())
        o.insert(QStringLiteral("headers"), QJsonObject{{QStringLiteral("Content-Type"), p.contentType}});
    return o;
}

QJsonObject storedJson(const objects::StoredObject &s)
{
    return {{QStringLiteral("key"), s.key},
            {QStringLiteral("size"), s.size},
            {QStringLiteral("sha256"), s.sha256},
            {QStringLiteral("content_type"), s.contentType.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s.contentType)},
            {QStringLiteral("created_at"), s.createdAt}};
}

objects::SignedRequest signedRequest(const ApiRequest &r)
{
    return {r.params.value(QStringLiteral("key")),        r.queryValue(QStringLiteral("firm")),
            r.queryValue(QStringLiteral("method")),       r.queryValue(QStringLiteral("expires")),
            r.queryValue(QStringLiteral("content_type")), r.queryValue(QStringLiteral("by")),
            r.queryValue(QStringLiteral("signature"))};
}

// A URL works only while its issuer could still issue it: a deactivated or deleted user, a user
// who lost the role it needs, a revoked or expired API key, or one that lost the scope, stops its
// URLs. (Keys belong to the firm: a key's URLs do not depend on the user who created the key.)
Status issuerStillAllowed(Backend *backend, const objects::Grant &grant)
{
    const Actor &issuer = grant.actor;
    const Actor system = Actor::system(issuer.firmId);
    const auto revoked = [] {
        return fail(ErrorCode::Forbidden, QStringLiteral("The pre-signed URL's issuer can no longer grant this access"));
    };
    switch (issuer.kind) {
    case Actor::Kind::User: {
        const auto user = backend->accounts().user(system, issuer.userId);
        if (!user || user->status != QStringLiteral("active"))
            return revoked();
        Actor now = issuer;
        now.role = user->role;
        if (grant.access == objects::Access::Write && !now.atLeast(Role::Analyst))
            return revoked();
        return {};
    }
    case Actor::Kind::ApiKey: {
        const auto key = backend->apiKeys().get(system, issuer.apiKeyId); // revoked keys are not found
        if (!key)
            return revoked();
        if (!key->expiresAt.isEmpty() && QDateTime::fromString(key->expiresAt, Qt::ISODateWithMs) <= backend->clock().now())
            return revoked();
        if (!key->scopes.contains(grant.access == objects::Access::Write ? objects::kWriteScope : objects::kReadScope))
            return revoked();
        return {};
    }
    case Actor::Kind::System:
    case Actor::Kind::Anonymous: break;
    }
    return {};
}

// verify() and then the issuer check: the whole check of a presented URL.
Result<objects::Grant> checkUrl(Backend *backend, const ApiRequest &r, objects::Access access)
{
    auto grant = backend->objects().verify(
        signedRequest(r), access, access == objects::Access::Write ? QString::fromLatin1(r.header("content-type")) : QString(),
        r.ip);
    if (!grant)
        return grant;
    if (auto s = issuerStillAllowed(backend, *grant); !s)
        return fail(s.error());
    return grant;
}

} // namespace

// Storage: pre-signed URLs (operations 91–93). Uploads and downloads carry no credentials but the
// URL's signature, which the object store checks.
Controller makeStorageController(Backend *backend)
{
    auto store = [backend]() -> objects::ObjectStore & { return backend->objects(); };

    auto presign = [store](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("key"), QStringLiteral("method"), QStringLiteral("content_type"), QStringLiteral("expires_in")});
        const auto key = v.string(QStringLiteral("key"), false, 1, 255);
        const auto method = v.oneOf(QStringLiteral("method"), {QStringLiteral("PUT"), QStringLiteral("GET")}, true);
        const auto contentType = v.string(QStringLiteral("content_type"), false, 1, 255);
        qint64 expiresIn = objects::ObjectStore::kDefaultExpiresIn;
        const QJsonValue e = r.json.value(QStringLiteral("expires_in"));
        if (!e.isUndefined() && !e.isNull()) {
            if (!json::isInteger(e) || e.toInteger() < 1 || e.toInteger() > objects::ObjectStore::kMaxExpiresIn)
                v.add(QStringLiteral("expires_in"),
                      QStringLiteral("expires_in must be an integer from 1 to %1 seconds")
                          .arg(objects::ObjectStore::kMaxExpiresIn));
            else
                expiresIn = e.toInteger();
        }
        if (!v.ok())
            return ApiResponse::error(v.error());
        objects::PresignRequest req;
        req.key = key.value_or(QString());
        req.access = *method == QStringLiteral("GET") ? objects::Access::Read : objects::Access::Write;
        req.contentType = contentType.value_or(QString());
        req.expiresIn = expiresIn;
        return answer(store().presign(r.actor, req), presignedJson);
    };
    // From the head alone, before the body is read: signature, expiry, method and content type.
    auto uploadHead = [backend](const ApiRequest &r) -> std::optional<ApiResponse> {
        const auto grant = checkUrl(backend, r, objects::Access::Write);
        if (!grant)
            return ApiResponse::error(grant.error());
        return std::nullopt;
    };
    auto upload = [store, backend](const ApiRequest &r) {
        const auto grant = checkUrl(backend, r, objects::Access::Write);
        if (!grant)
            return ApiResponse::error(grant.error());
        return answer(store().put(grant->actor, grant->key, r.body, grant->contentType), storedJson, 201);
    };
    auto download = [store, backend](const ApiRequest &r) {
        const auto grant = checkUrl(backend, r, objects::Access::Read);
        if (!grant)
            return ApiResponse::error(grant.error());
        auto data = store().read(grant->actor, grant->key);
        if (!data)
            return ApiResponse::error(data.error());
        const QByteArray sha = data->object.sha256.toLatin1();
        ApiResponse res;
        res.status = 200;
        res.contentType
            = data->object.contentType.isEmpty() ? QByteArray("application/octet-stream") : data->object.contentType.toLatin1();
        res.body = std::move(data->bytes);
        res.withHeader("ETag", '"' + sha + '"');
        res.withHeader("X-Content-SHA256", sha);
        // Never rendered in place: the content type is the uploader's word, the origin is ours.
        res.withHeader("Content-Disposition", "attachment; filename=\"" + data->object.key.toLatin1() + '"');
        return res;
    };

    using A = Availability;
    using E = Execution;
    return Controller{
        QStringLiteral("Storage"),
        QStringLiteral("pre-signed URLs"),
        {
            {Method::Post, QStringLiteral("/storage/presign"),
             QStringLiteral("jwt | key:storage:write (upload) or key:storage:read (download)"), presign, BodyKind::Json}, // 91
            // Uploads fsync and downloads hash up to the size limit: off the server thread.
            {Method::Put, QStringLiteral("/storage/objects/:key"), QStringLiteral("signed URL"), upload, BodyKind::Raw,
             A::Available, E::Worker, backend ? backend->config().storageMaxBytes : Config().storageMaxBytes, uploadHead}, // 92
            {Method::Get, QStringLiteral("/storage/objects/:key"), QStringLiteral("signed URL"), download, BodyKind::None,
             A::Available, E::Worker}, // 93
        },
    };
}

} // namespace kyc::http
