#include "backend/backend.h"
#include "backend/core/json.h"
#include "backend/core/validation.h"
#include "backend/http/controllers/controllers.h"
#include "backend/http/controllers/identityjson.h"
#include "backend/identity/apikeyservice.h"

namespace kyc::http {

namespace {
QJsonObject created(const identity::CreatedApiKey &c)
{
    QJsonObject o = toJson(c.key);
    o.insert(QStringLiteral("key"), c.secret);
    return o;
}
} // namespace

// API Keys: machine-to-machine credentials, role ≥ admin (operations 17–22).
Controller makeApiKeysController(Backend *backend)
{
    auto keys = [backend]() -> identity::ApiKeyService & { return backend->apiKeys(); };

    auto list = [keys](const ApiRequest &r) {
        const auto page = pageFrom(r);
        if (!page)
            return ApiResponse::error(page.error());
        const auto result = keys().list(r.actor, *page);
        if (!result)
            return ApiResponse::error(result.error());
        QJsonArray data;
        for (const auto &k : result->items)
            data.append(toJson(k));
        return ApiResponse::page(data, *page, result->total);
    };
    auto create = [keys](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("name"), QStringLiteral("scopes"), QStringLiteral("expires_at")});
        const auto name = v.string(QStringLiteral("name"), true, 1, 100);
        const auto scopes = v.stringList(QStringLiteral("scopes"), identity::kApiKeyScopes, true);
        const auto expires = v.string(QStringLiteral("expires_at"), false, 10, 40);
        if (!v.ok())
            return ApiResponse::error(v.error());
        return answer(keys().create(r.actor, {*name, *scopes, expires.value_or(QString())}), created, 201);
    };
    auto get = [keys](const ApiRequest &r) {
        const auto id = pathId(r);
        if (!id)
            return notFound(QStringLiteral("API key"));
        return answer(keys().get(r.actor, *id), [](const identity::ApiKey &k) { return toJson(k); });
    };
    auto patch = [keys](const ApiRequest &r) {
        const auto id = pathId(r);
        if (!id)
            return notFound(QStringLiteral("API key"));
        Validator v(r.json);
        v.only({QStringLiteral("name"), QStringLiteral("scopes")});
        const auto name = v.string(QStringLiteral("name"), false, 1, 100);
        const auto scopes = v.stringList(QStringLiteral("scopes"), identity::kApiKeyScopes, false);
        if (!v.ok())
            return ApiResponse::error(v.error());
        if (!name && !scopes)
            return ApiResponse::error(Error::validation(QStringLiteral("name"), QStringLiteral("name or scopes is required")));
        return answer(keys().update(r.actor, *id, name, scopes), [](const identity::ApiKey &k) { return toJson(k); });
    };
    auto rotate = [keys](const ApiRequest &r) {
        const auto id = pathId(r);
        if (!id)
            return notFound(QStringLiteral("API key"));
        Validator v(r.json);
        v.only({QStringLiteral("grace_period_s")});
        const QJsonValue grace = r.json.value(QStringLiteral("grace_period_s"));
        if (!grace.isUndefined() && !grace.isNull() && !json::isInteger(grace))
            v.add(QStringLiteral("grace_period_s"), QStringLiteral("grace_period_s must be an integer number of seconds"));
        if (!v.ok())
            return ApiResponse::error(v.error());
        return answer(keys().rotate(r.actor, *id, grace.toInteger(0)), created);
    };
    auto revoke = [keys](const ApiRequest &r) {
        const auto id = pathId(r);
        if (!id)
            return notFound(QStringLiteral("API key"));
        const auto s = keys().revoke(r.actor, *id);
        return s ? ApiResponse::noContent() : ApiResponse::error(s.error());
    };

    return Controller{
        QStringLiteral("API Keys"),
        QStringLiteral("machine-to-machine credentials (role ≥ admin)"),
        {
            {Method::Get, QStringLiteral("/api-keys"), QStringLiteral("jwt"), list, BodyKind::None}, // 17
            {Method::Post, QStringLiteral("/api-keys"), QStringLiteral("jwt"), create, BodyKind::Json}, // 18
            {Method::Get, QStringLiteral("/api-keys/:id"), QStringLiteral("jwt"), get, BodyKind::None}, // 19
            {Method::Patch, QStringLiteral("/api-keys/:id"), QStringLiteral("jwt"), patch, BodyKind::Json}, // 20
            {Method::Post, QStringLiteral("/api-keys/:id/rotate"), QStringLiteral("jwt"), rotate, BodyKind::Json}, // 21
            {Method::Delete, QStringLiteral("/api-keys/:id"), QStringLiteral("jwt"), revoke, BodyKind::None}, // 22
        },
    };
}

} // namespace kyc::http
