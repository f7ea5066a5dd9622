#include "backend/security/aead.h"

#include <memory>
#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace kyc::crypto {

namespace {

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char *bytes(QByteArrayView v)
{
    static const unsigned char empty = 0;
    return v.isEmpty() ? &empty : reinterpret_cast<const unsigned char *>(v.data());
}

Status checkSizes(QByteArrayView key, QByteArrayView nonce)
{
    if (key.size() != kAesGcmKeyBytes)
        return fail(Error::validation(QStringLiteral("key"), QStringLiteral("AES-256-GCM needs a 32-byte key")));
    if (nonce.size() != kAesGcmNonceBytes)
        return fail(Error::validation(QStringLiteral("nonce"), QStringLiteral("AES-256-GCM needs a 12-byte nonce")));
    return {};
}

// Starts a GCM context for `encrypt` with the key, the nonce and the associated data.
Result<CipherCtx> start(bool encrypt, QByteArrayView key, QByteArrayView nonce, QByteArrayView aad)
{
    if (auto s = checkSizes(key, nonce); !s)
        return fail(s.error());
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int len = 0;
    const bool ok = ctx && EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) == 1
        && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, int(nonce.size()), nullptr) == 1
        && EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(nonce), encrypt ? 1 : 0) == 1
        && (aad.isEmpty() || EVP_CipherUpdate(ctx.get(), nullptr, &len, bytes(aad), int(aad.size())) == 1);
    if (!ok)
        return fail(Error::internal(QStringLiteral("AES-256-GCM initialisation failed")));
    return ctx;
}

} // namespace

Result<QByteArray> aes256GcmEncrypt(QByteArrayView key, QByteArrayView nonce, QByteArrayView plaintext, QByteArrayView aad)
{
    auto ctx = start(true, key, nonce, aad);
    if (!ctx)
        return fail(ctx.error());
    QByteArray out(plaintext.size() + kAesGcmTagBytes, Qt::Uninitialized);
    auto *o = reinterpret_cast<unsigned char *>(out.data());
    int len = 0, tail = 0;
    const bool ok = (plaintext.isEmpty() || EVP_CipherUpdate(ctx->get(), o, &len, bytes(plaintext), int(plaintext.size())) == 1)
        && EVP_CipherFinal_ex(ctx->get(), o + len, &tail) == 1
        && EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_GET_TAG, int(kAesGcmTagBytes), o + plaintext.size()) == 1;
    if (!ok || len + tail != plaintext.size())
        return fail(Error::internal(QStringLiteral("AES-256-GCM encryption failed")));
    return out;
}

Result<QByteArray> aes256GcmDecrypt(QByteArrayView key, QByteArrayView nonce, QByteArrayView sealed, QByteArrayView aad)
{
    if (sealed.size() < kAesGcmTagBytes)
        return fail(Error::validation(QStringLiteral("ciphertext"), QStringLiteral("the ciphertext is shorter than its tag")));
    auto ctx = start(false, key, nonce, aad);
    if (!ctx)
        return fail(ctx.error());
    const QByteArrayView body = sealed.first(sealed.size() - kAesGcmTagBytes);
    QByteArray tag = sealed.last(kAesGcmTagBytes).toByteArray();
    QByteArray out(body.size(), Qt::Uninitialized);
    auto *o = reinterpret_cast<unsigned char *>(out.data());
    int len = 0, tail = 0;
    const bool ok = (body.isEmpty() || EVP_CipherUpdate(ctx->get(), o, &len, bytes(body), int(body.size())) == 1)
        && EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_SET_TAG, int(kAesGcmTagBytes), tag.data()) == 1
        && EVP_CipherFinal_ex(ctx->get(), o + len, &tail) == 1;
    if (!ok) {
        OPENSSL_cleanse(out.data(), size_t(out.size()));
        return fail(Error::validation(QStringLiteral("ciphertext"),
                                      QStringLiteral("the ciphertext does not authenticate (wrong key or altered data)")));
    }
    return out;
}

} // namespace kyc::crypto
