#pragma once

#include "backend/core/actor.h"
#include "backend/core/clock.h"
#include "backend/core/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QReadWriteLock>

namespace kyc::identity {

inline constexpr qint64 kAccessTokenSeconds = 15 * 60;
inline constexpr qint64 kRefreshTokenSeconds = 7 * 24 * 3600;
inline const QString kIssuer = QStringLiteral("kyconnect");

struct AccessClaims {
    QString userId;
    QString firmId;
    QString role;
    QString sessionId;
    QString jti;
    bool mfaSetupRequired = false; // the firm requires MFA and the user has not set it up yet
};

struct RefreshClaims {
    QString userId;
    QString sessionId;
    QString jti;
};

struct IssuedTokens {
    QString accessToken;
    QString refreshToken;
    QString refreshJti;
    QDateTime refreshExpiresAt;
};

// JWT HS256 access (15 min) and refresh (7 days) tokens signed with the instance secret.
class Tokens final
{
public:
    Tokens(QByteArray secret, const Clock &clock);
    [[nodiscard]] IssuedTokens issue(const AccessClaims &claims) const;
    [[nodiscard]] Result<AccessClaims> verifyAccess(QStringView token) const;
    [[nodiscard]] Result<RefreshClaims> verifyRefresh(QStringView token) const;

private:
    QByteArray m_secret;
    const Clock &m_clock;
    // Access tokens already verified, until they expire: a token is checked once, not per request.
    struct Verified {
        AccessClaims claims;
        qint64 expiresAt = 0;
    };
    mutable QReadWriteLock m_lock;
    mutable QHash<QString, Verified> m_verified;
};

} // namespace kyc::identity
