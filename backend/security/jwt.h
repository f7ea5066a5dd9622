#pragma once

#include "backend/core/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace kyc::crypto {

// JSON Web Tokens (RFC 7519), HS256 only (RFC 7515 compact serialisation, RFC 7518 section 3.2).
// A secret shorter than 32 bytes is refused (RFC 7518 requires a key at least as long as the
// hash): signJwt then returns an empty string and verifyJwt fails.
inline constexpr qsizetype kJwtMinSecretBytes = 32;

// HS256 only. Header {"alg":"HS256","typ":"JWT"}; base64url without padding.
[[nodiscard]] QString signJwt(const QJsonObject &payload, QByteArrayView secret);

struct JwtCheck {
    QString issuer;
    qint64 nowSeconds = 0;
    qint64 leewaySeconds = 0;
};

// Verifies: three segments, header alg exactly "HS256" (anything else, "none" included, fails; so
// does a "crit" header), signature (constant-time), payload JSON object, "iss" equals issuer, "exp"
// present and > now - leeway, "nbf"/"iat" not in the future beyond leeway. Any failure →
// ErrorCode::Unauthenticated with a short generic message that never echoes the token.
[[nodiscard]] Result<QJsonObject> verifyJwt(QStringView token, QByteArrayView secret, const JwtCheck &check);

} // namespace kyc::crypto
