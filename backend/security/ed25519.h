#pragma once

#include "backend/core/result.h"

#include <QByteArray>
#include <QString>

#include <memory>

namespace kyc::crypto {

// An Ed25519 key pair (RFC 8032) held by OpenSSL.
class Ed25519Key final
{
public:
    ~Ed25519Key();
    Ed25519Key(Ed25519Key &&) noexcept;
    Ed25519Key &operator=(Ed25519Key &&) noexcept;

    [[nodiscard]] static Result<Ed25519Key> generate();
    [[nodiscard]] static Result<Ed25519Key> fromSeed(QByteArrayView seed32);
    // Loads a PKCS#8 PEM private key, or creates one (file mode 0600, folder 0700) when absent.
    [[nodiscard]] static Result<Ed25519Key> loadOrCreate(const QString &pemPath);

    [[nodiscard]] QByteArray publicKey() const; // 32 raw bytes
    [[nodiscard]] Result<QByteArray> sign(QByteArrayView message) const; // 64 bytes
    [[nodiscard]] Result<QByteArray> privatePem() const;

private:
    explicit Ed25519Key(void *pkey);
    void *m_pkey = nullptr;
};

[[nodiscard]] bool ed25519Verify(QByteArrayView publicKey32, QByteArrayView message, QByteArrayView signature64);

} // namespace kyc::crypto
