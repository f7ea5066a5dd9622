#pragma once

#include "backend/core/result.h"

#include <QByteArray>

namespace kyc::crypto {

// AES-256-GCM (NIST SP 800-38D) over OpenSSL's EVP interface: a 32-byte key, a 12-byte nonce that
// must never repeat under one key, and a 16-byte tag appended to the ciphertext.
inline constexpr qsizetype kAesGcmKeyBytes = 32;
inline constexpr qsizetype kAesGcmNonceBytes = 12;
inline constexpr qsizetype kAesGcmTagBytes = 16;

// Returns ciphertext || tag. A key or nonce of the wrong size is ErrorCode::Validation.
[[nodiscard]] Result<QByteArray> aes256GcmEncrypt(QByteArrayView key, QByteArrayView nonce, QByteArrayView plaintext,
                                                  QByteArrayView aad = {});
// Takes ciphertext || tag; a wrong key, nonce, associated data or any altered byte fails (ErrorCode::Validation)
// without releasing any plaintext.
[[nodiscard]] Result<QByteArray> aes256GcmDecrypt(QByteArrayView key, QByteArrayView nonce, QByteArrayView sealed,
                                                  QByteArrayView aad = {});

} // namespace kyc::crypto
