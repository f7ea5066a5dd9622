#include "backend/security/secretbox.h"

#include "backend/security/aead.h"
#include "backend/security/crypto.h"

#include <openssl/crypto.h>

namespace kyc::crypto {

namespace {
constexpr QLatin1StringView kPrefix("gcm1:");
}

SecretBox::SecretBox(QByteArray key)
    : m_key(std::move(key))
{
}

SecretBox::~SecretBox()
{
    if (!m_key.isEmpty())
        OPENSSL_cleanse(m_key.data(), size_t(m_key.size()));
}

bool SecretBox::isSealed(QStringView text)
{
    return text.startsWith(kPrefix);
}

Result<QString> SecretBox::seal(QByteArrayView plaintext, QByteArrayView context) const
{
    auto nonce = randomBytes(kAesGcmNonceBytes);
    if (!nonce)
        return fail(nonce.error());
    auto sealed = aes256GcmEncrypt(m_key, *nonce, plaintext, context);
    if (!sealed)
        return fail(sealed.error());
    const QByteArray stored = *nonce + *sealed;
    return kPrefix + QString::fromLatin1(stored.toBase64());
}

Result<QByteArray> SecretBox::open(QStringView sealed, QByteArrayView context) const
{
    if (!isSealed(sealed))
        return fail(Error::validation(QStringLiteral("sealed"), QStringLiteral("the value is not sealed")));
    const auto decoded
        = QByteArray::fromBase64Encoding(sealed.mid(kPrefix.size()).toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.size() < kAesGcmNonceBytes + kAesGcmTagBytes)
        return fail(Error::validation(QStringLiteral("sealed"), QStringLiteral("the sealed value is malformed")));
    const QByteArrayView bytes(decoded.decoded);
    return aes256GcmDecrypt(m_key, bytes.first(kAesGcmNonceBytes), bytes.sliced(kAesGcmNonceBytes), context);
}

} // namespace kyc::crypto
