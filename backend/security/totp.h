#pragma once

#include "backend/core/result.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace kyc::crypto {

// RFC 4648 base32, upper case, no padding.
[[nodiscard]] QString base32Encode(QByteArrayView data);
// Case-insensitive; ignores white space and '=' padding. Characters outside the alphabet, or a
// length no encoder can produce, fail with ErrorCode::Validation.
[[nodiscard]] Result<QByteArray> base32Decode(QStringView text);

enum class TotpAlgorithm { Sha1, Sha256, Sha512 };

// RFC 6238 TOTP over RFC 4226 HOTP with dynamic truncation: the counter is unixSeconds / period.
// Answers an empty string for inputs no authenticator uses (empty secret, negative time, digits
// outside 6..10, period < 1).
[[nodiscard]] QString totpAt(QByteArrayView secret, qint64 unixSeconds, int digits = 6, int periodSeconds = 30,
                             TotpAlgorithm alg = TotpAlgorithm::Sha1);

// Returns the time step (unixSeconds / period) of the matching code within ±window steps (window
// capped at 10), or nullopt. Every step in the window is compared in constant time; non-digit or
// wrong-length codes are rejected. Callers remember the step to accept each code once only.
[[nodiscard]] std::optional<qint64> totpVerify(QByteArrayView secret, QStringView code, qint64 unixSeconds, int window = 1,
                                               int digits = 6, int periodSeconds = 30);

// otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30
// with the label parts and the issuer percent-encoded.
[[nodiscard]] QString otpauthUrl(const QString &issuer, const QString &account, QByteArrayView secret);

} // namespace kyc::crypto
