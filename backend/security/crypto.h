#pragma once

#include "backend/core/result.h"

#include <QByteArray>

namespace kyc::crypto {

// Thin wrappers over OpenSSL 3; no OpenSSL type crosses this header.
[[nodiscard]] QByteArray sha256(QByteArrayView data);
[[nodiscard]] QByteArray sha256Hex(QByteArrayView data);
// Allocation-free form for hot loops: writes 64 lower-case hex digits to `hex64`.
void sha256HexInto(QByteArrayView data, char *hex64);
[[nodiscard]] QByteArray hmacSha256(QByteArrayView key, QByteArrayView data);
[[nodiscard]] QByteArray hmacSha512(QByteArrayView key, QByteArrayView data);
// Cryptographically secure random bytes (OpenSSL's DRBG); fails only if the DRBG cannot seed.
[[nodiscard]] Result<QByteArray> randomBytes(qsizetype n);
// Compares in time that depends on the lengths only, never on where the inputs differ.
[[nodiscard]] bool constantTimeEquals(QByteArrayView a, QByteArrayView b);

// Incremental SHA-256 for exports and large files.
class Sha256 final
{
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;
    void add(QByteArrayView data);
    [[nodiscard]] QByteArray finish();

private:
    void *m_ctx;
};

} // namespace kyc::crypto
