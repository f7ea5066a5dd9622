#include "backend/http/backendauthenticator.h"

#include "backend/backend.h"
#include "backend/identity/apikeyservice.h"
#include "backend/identity/authservice.h"

namespace kyc::http {

BackendAuthenticator::BackendAuthenticator(Backend &backend)
    : m_backend(backend)
{
}

Result<Actor> BackendAuthenticator::authenticate(const ApiRequest &request, const AuthSpec &auth, bool optional)
{
    const QByteArray authorization = request.header("authorization");
    const QByteArray key = request.header("x-api-key");
    const bool hasBearer = authorization.size() > 7 && authorization.first(7).compare("Bearer ", Qt::CaseInsensitive) == 0;

    if (!key.isEmpty() && (auth.acceptsApiKey() || !hasBearer)) {
        if (!auth.acceptsApiKey())
            return fail(ErrorCode::Forbidden, QStringLiteral("This operation does not accept API keys"));
        auto actor = m_backend.apiKeys().authenticate(QString::fromLatin1(key), request.ip);
        if (!actor)
            return actor;
        for (const auto &scope : auth.keyScopes) {
            if (actor->scopes.contains(scope))
                return actor;
        }
        return fail(ErrorCode::Forbidden,
                    QStringLiteral("The API key lacks the %1 scope").arg(auth.keyScopes.join(QStringLiteral(" or "))));
    }
    if (hasBearer) {
        if (!auth.jwt)
            return fail(ErrorCode::Forbidden, QStringLiteral("This operation takes an API key, not a user token"));
        auto actor = m_backend.auth().authenticate(QString::fromLatin1(authorization.sliced(7).trimmed()), request.ip);
        if (!actor)
            return actor;
        // A firm that requires MFA lets a user without it do nothing but set it up.
        if (actor->scopes.contains(QStringLiteral("mfa_setup_only"))) {
            static const QStringList allowed = {QStringLiteral("/auth/me"), QStringLiteral("/auth/mfa/setup"),
                                                QStringLiteral("/auth/mfa/verify"), QStringLiteral("/auth/logout")};
            if (!allowed.contains(request.path))
                return fail(ErrorCode::Forbidden, QStringLiteral("Your firm requires MFA: set it up first (/auth/mfa/setup)"));
            actor->scopes.clear();
        }
        return actor;
    }
    if (optional) {
        Actor anonymous;
        anonymous.ip = request.ip;
        return anonymous;
    }
    return fail(ErrorCode::Unauthenticated, QStringLiteral("Authentication required"));
}

} // namespace kyc::http
