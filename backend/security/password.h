#pragma once

#include "backend/core/result.h"

#include <QByteArray>
#include <QString>

namespace kyc::crypto {

// scrypt cost parameters: N = 2^log2N, block size r, parallelism p. The defaults are the ones
// new hashes use; stored hashes carry their own, so the defaults can be raised later.
struct ScryptParams {
    int log2N = 15;
    int r = 8;
    int p = 1;
};

// Raw scrypt (RFC 7914). Rejects parameters outside what this build will ever compute
// (log2N 1..20, r and p 1..64, dkLen 1..1024, at most ~1 GiB of memory) with ErrorCode::Validation.
[[nodiscard]] Result<QByteArray> scrypt(QByteArrayView password, QByteArrayView salt, int log2N, int r, int p, int dkLen);

// Self-describing: "scrypt$<log2N>$<r>$<p>$<salt base64>$<hash base64>", 16-byte random salt, 32-byte hash.
// The password is hashed as the UTF-8 of the string (no normalisation).
[[nodiscard]] Result<QString> hashPassword(QStringView password, ScryptParams params = {});
// Parses the stored form (any parameters within the bounds a login may spend: at most 256 MiB and
// p <= 16), recomputes, compares in constant time. Malformed → false.
[[nodiscard]] bool verifyPassword(QStringView password, const QString &stored);
// True when the stored hash was made with other parameters than `current` (or cannot be parsed), so
// the caller should store a fresh hash after the next successful login.
[[nodiscard]] bool needsRehash(const QString &stored, ScryptParams current = {});

} // namespace kyc::crypto
