#include "backend/http/controllers/identityjson.h"

#include "backend/core/ids.h"

namespace kyc::http {

namespace {
QJsonValue orNull(const QString &s)
{
    return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s);
}
} // namespace

QJsonObject toJson(const identity::User &u)
{
    return {{QStringLiteral("id"), u.id},
            {QStringLiteral("firm_id"), u.firmId},
            {QStringLiteral("email"), u.email},
            {QStringLiteral("name"), u.name},
            {QStringLiteral("role"), roleName(u.role)},
            {QStringLiteral("status"), u.status},
            {QStringLiteral("mfa_enabled"), u.mfaEnabled},
            {QStringLiteral("platform_admin"), u.platformAdmin},
            {QStringLiteral("created_at"), u.createdAt},
            {QStringLiteral("updated_at"), u.updatedAt},
            {QStringLiteral("last_login_at"), orNull(u.lastLoginAt)}};
}

QJsonObject toJson(const identity::Firm &f)
{
    return {{QStringLiteral("id"), f.id},
            {QStringLiteral("name"), f.name},
            {QStringLiteral("country"), f.country},
            {QStringLiteral("registration_number"), orNull(f.registrationNumber)},
            {QStringLiteral("address"), f.address.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(f.address)},
            {QStringLiteral("contact"), f.contact.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(f.contact)},
            {QStringLiteral("logo_storage_key"), orNull(f.logoStorageKey)},
            {QStringLiteral("created_at"), f.createdAt},
            {QStringLiteral("updated_at"), f.updatedAt}};
}

QJsonObject toJson(const identity::Session &s)
{
    return {{QStringLiteral("id"), s.id},
            {QStringLiteral("device"), orNull(s.device)},
            {QStringLiteral("ip"), orNull(s.ip)},
            {QStringLiteral("created_at"), s.createdAt},
            {QStringLiteral("last_used_at"), s.lastUsedAt},
            {QStringLiteral("expires_at"), s.expiresAt},
            {QStringLiteral("current"), s.current}};
}

QJsonObject toJson(const identity::Invitation &i)
{
    return {{QStringLiteral("id"), i.id},
            {QStringLiteral("email"), i.email},
            {QStringLiteral("name"), i.name},
            {QStringLiteral("role"), roleName(i.role)},
            {QStringLiteral("invited_by"), i.invitedBy},
            {QStringLiteral("status"), i.status},
            {QStringLiteral("created_at"), i.createdAt},
            {QStringLiteral("expires_at"), i.expiresAt}};
}

QJsonObject toJson(const identity::ApiKey &k)
{
    return {{QStringLiteral("id"), k.id},
            {QStringLiteral("name"), k.name},
            {QStringLiteral("prefix"), k.prefix},
            {QStringLiteral("scopes"), QJsonArray::fromStringList(k.scopes)},
            {QStringLiteral("created_by"), k.createdBy},
            {QStringLiteral("created_at"), k.createdAt},
            {QStringLiteral("last_used_at"), orNull(k.lastUsedAt)},
            {QStringLiteral("expires_at"), orNull(k.expiresAt)}};
}

QJsonObject toJson(const identity::SignIn &s)
{
    return {{QStringLiteral("access_token"), s.accessToken},
            {QStringLiteral("refresh_token"), s.refreshToken},
            {QStringLiteral("token_type"), QStringLiteral("Bearer")},
            {QStringLiteral("expires_in"), 900},
            {QStringLiteral("user"), toJson(s.user)}};
}

QJsonObject toJson(const audit::Checkpoint &c)
{
    return {{QStringLiteral("firm_id"), c.chain == audit::kPlatformChain ? QJsonValue(QJsonValue::Null) : QJsonValue(c.chain)},
            {QStringLiteral("chain"), c.chain},
            {QStringLiteral("sequence"), c.sequence},
            {QStringLiteral("head_hash"), c.headHash},
            {QStringLiteral("signed_at"), c.signedAt},
            {QStringLiteral("signature"), QString::fromLatin1(c.signature.toBase64())},
            {QStringLiteral("public_key"), QString::fromLatin1(c.publicKey.toBase64())}};
}

std::optional<QString> pathId(const ApiRequest &r, const QString &name)
{
    const QString id = r.params.value(name);
    if (!isValidId(id))
        return std::nullopt;
    return id.toLower();
}

ApiResponse notFound(const QString &what)
{
    return ApiResponse::error(ErrorCode::NotFound, QStringLiteral("%1 not found").arg(what));
}

} // namespace kyc::http
