#include "backend/identity/tokens.h"

#include "backend/core/ids.h"
#include "backend/security/jwt.h"

namespace kyc::identity {

Tokens::Tokens(QByteArray secret, const Clock &clock)
    : m_secret(std::move(secret))
    , m_clock(clock)
{
}

IssuedTokens Tokens::issue(const AccessClaims &c) const
{
    const qint64 now = m_clock.nowMs() / 1000;
    QJsonObject access{{QStringLiteral("iss"), kIssuer},     {QStringLiteral("sub"), c.userId},
                       {QStringLiteral("firm"), c.firmId},   {QStringLiteral("role"), c.role},
                       {QStringLiteral("sid"), c.sessionId}, {QStringLiteral("typ"), QStringLiteral("access")},
                       {QStringLiteral("iat"), now},         {QStringLiteral("exp"), now + kAccessTokenSeconds},
                       {QStringLiteral("jti"), newId()}};
    if (c.mfaSetupRequired)
        access.insert(QStringLiteral("mfa_setup_required"), true);
    IssuedTokens t;
    t.refreshJti = newId();
    t.refreshExpiresAt = QDateTime::fromSecsSinceEpoch(now + kRefreshTokenSeconds, Qt::UTC);
    const QJsonObject refresh{{QStringLiteral("iss"), kIssuer},     {QStringLiteral("sub"), c.userId},
                              {QStringLiteral("sid"), c.sessionId}, {QStringLiteral("typ"), QStringLiteral("refresh")},
                              {QStringLiteral("iat"), now},         {QStringLiteral("exp"), now + kRefreshTokenSeconds},
                              {QStringLiteral("jti"), t.refreshJti}};
    t.accessToken = crypto::signJwt(access, m_secret);
    t.refreshToken = crypto::signJwt(refresh, m_secret);
    return t;
}

Result<AccessClaims> Tokens::verifyAccess(QStringView token) const
{
    const qint64 now = m_clock.nowMs() / 1000;
    const QString key = token.toString();
    {
        QReadLocker lock(&m_lock);
        auto it = m_verified.constFind(key);
        if (it != m_verified.cend() && it->expiresAt > now)
            return it->claims;
    }
    auto payload = crypto::verifyJwt(token, m_secret, crypto::JwtCheck{kIssuer, now, 0});
    if (!payload)
        return fail(payload.error());
    const QJsonObject &p = *payload;
    if (p.value(QStringLiteral("typ")).toString() != QStringLiteral("access"))
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid or expired token"));
    AccessClaims c;
    c.userId = p.value(QStringLiteral("sub")).toString();
    c.firmId = p.value(QStringLiteral("firm")).toString();
    c.role = p.value(QStringLiteral("role")).toString();
    c.sessionId = p.value(QStringLiteral("sid")).toString();
    c.jti = p.value(QStringLiteral("jti")).toString();
    c.mfaSetupRequired = p.value(QStringLiteral("mfa_setup_required")).toBool();
    if (c.userId.isEmpty() || c.firmId.isEmpty() || c.sessionId.isEmpty())
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid or expired token"));
    QWriteLocker lock(&m_lock);
    if (m_verified.size() > 50'000) {
        for (auto it = m_verified.begin(); it != m_verified.end();)
            it = it->expiresAt <= now ? m_verified.erase(it) : std::next(it);
        if (m_verified.size() > 50'000)
            m_verified.clear();
    }
    m_verified.insert(key, Verified{c, p.value(QStringLiteral("exp")).toInteger()});
    return c;
}

Result<RefreshClaims> Tokens::verifyRefresh(QStringView token) const
{
    auto payload = crypto::verifyJwt(token, m_secret, crypto::JwtCheck{kIssuer, m_clock.nowMs() / 1000, 0});
    if (!payload)
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid or expired refresh token"));
    const QJsonObject &p = *payload;
    if (p.value(QStringLiteral("typ")).toString() != QStringLiteral("refresh"))
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid or expired refresh token"));
    RefreshClaims c{p.value(QStringLiteral("sub")).toString(), p.value(QStringLiteral("sid")).toString(),
                    p.value(QStringLiteral("jti")).toString()};
    if (c.userId.isEmpty() || c.sessionId.isEmpty() || c.jti.isEmpty())
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid or expired refresh token"));
    return c;
}

} // namespace kyc::identity
