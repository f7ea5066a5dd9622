#include "backend/security/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace kyc::crypto {

QByteArray sha256(QByteArrayView data)
{
    QByteArray out(SHA256_DIGEST_LENGTH, Qt::Uninitialized);
    SHA256(reinterpret_cast<const unsigned char *>(data.data()), size_t(data.size()),
           reinterpret_cast<unsigned char *>(out.data()));
    return out;
}

QByteArray sha256Hex(QByteArrayView data)
{
    return sha256(data).toHex();
}

void sha256HexInto(QByteArrayView data, char *hex64)
{
    static constexpr char digits[] = "0123456789abcdef";
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char *>(data.data()), size_t(data.size()), md);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
        hex64[2 * i] = digits[md[i] >> 4];
        hex64[2 * i + 1] = digits[md[i] & 0xF];
    }
}

namespace {
QByteArray hmac(const EVP_MD *md, QByteArrayView key, QByteArrayView data)
{
    QByteArray out(EVP_MAX_MD_SIZE, Qt::Uninitialized);
    unsigned int len = 0;
    HMAC(md, key.data(), int(key.size()), reinterpret_cast<const unsigned char *>(data.data()), size_t(data.size()),
         reinterpret_cast<unsigned char *>(out.data()), &len);
    out.resize(len);
    return out;
}
} // namespace

QByteArray hmacSha256(QByteArrayView key, QByteArrayView data)
{
    return hmac(EVP_sha256(), key, data);
}

QByteArray hmacSha512(QByteArrayView key, QByteArrayView data)
{
    return hmac(EVP_sha512(), key, data);
}

Result<QByteArray> randomBytes(qsizetype n)
{
    QByteArray out(n, Qt::Uninitialized);
    if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char *>(out.data()), int(n)) != 1)
        return fail(Error::internal(QStringLiteral("RAND_bytes failed")));
    return out;
}

bool constantTimeEquals(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    if (a.isEmpty())
        return true;
    return CRYPTO_memcmp(a.data(), b.data(), size_t(a.size())) == 0;
}

Sha256::Sha256()
    : m_ctx(EVP_MD_CTX_new())
{
    EVP_DigestInit_ex(static_cast<EVP_MD_CTX *>(m_ctx), EVP_sha256(), nullptr);
}

Sha256::~Sha256()
{
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(m_ctx));
}

void Sha256::add(QByteArrayView data)
{
    EVP_DigestUpdate(static_cast<EVP_MD_CTX *>(m_ctx), data.data(), size_t(data.size()));
}

QByteArray Sha256::finish()
{
    QByteArray out(SHA256_DIGEST_LENGTH, Qt::Uninitialized);
    unsigned int len = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX *>(m_ctx), reinterpret_cast<unsigned char *>(out.data()), &len);
    return out;
}

} // namespace kyc::crypto
