#pragma once

#include "backend/core/result.h"

#include <QByteArray>
#include <QString>

namespace kyc::crypto {

// Seals small secrets for storage (TOTP secrets, queued mail) with AES-256-GCM under the instance's
// data key: a fresh random nonce per sealing, the caller's context (e.g. the user id) as associated
// data, so a sealed value copied to another row does not open. The stored form is text:
// "gcm1:" + base64(nonce || ciphertext || tag).
class SecretBox final
{
public:
    explicit SecretBox(QByteArray key);
    ~SecretBox();
    SecretBox(const SecretBox &) = delete;
    SecretBox &operator=(const SecretBox &) = delete;

    [[nodiscard]] Result<QString> seal(QByteArrayView plaintext, QByteArrayView context) const;
    [[nodiscard]] Result<QByteArray> open(QStringView sealed, QByteArrayView context) const;
    // True for text in the sealed form (anything else is a value stored before sealing existed).
    [[nodiscard]] static bool isSealed(QStringView text);

private:
    QByteArray m_key;
};

} // namespace kyc::crypto
