#include "backend/security/ed25519.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

namespace kyc::crypto {

namespace {
EVP_PKEY *pk(void *p)
{
    return static_cast<EVP_PKEY *>(p);
}
} // namespace

Ed25519Key::Ed25519Key(void *pkey)
    : m_pkey(pkey)
{
}

Ed25519Key::~Ed25519Key()
{
    EVP_PKEY_free(pk(m_pkey));
}

Ed25519Key::Ed25519Key(Ed25519Key &&o) noexcept
    : m_pkey(std::exchange(o.m_pkey, nullptr))
{
}

Ed25519Key &Ed25519Key::operator=(Ed25519Key &&o) noexcept
{
    if (this != &o) {
        EVP_PKEY_free(pk(m_pkey));
        m_pkey = std::exchange(o.m_pkey, nullptr);
    }
    return *this;
}

Result<Ed25519Key> Ed25519Key::generate()
{
    EVP_PKEY *key = nullptr;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
    const bool ok = ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &key) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok)
        return fail(Error::internal(QStringLiteral("Ed25519 key generation failed")));
    return Ed25519Key(key);
}

Result<Ed25519Key> Ed25519Key::fromSeed(QByteArrayView seed)
{
    if (seed.size() != 32)
        return fail(Error::validation(QStringLiteral("seed"), QStringLiteral("an Ed25519 seed is 32 bytes")));
    EVP_PKEY *key
        = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char *>(seed.data()), 32);
    if (!key)
        return fail(Error::internal(QStringLiteral("Ed25519 key from seed failed")));
    return Ed25519Key(key);
}

Result<Ed25519Key> Ed25519Key::loadOrCreate(const QString &pemPath)
{
    QFile f(pemPath);
    if (f.exists()) {
        if (!f.open(QIODevice::ReadOnly))
            return fail(Error::internal(QStringLiteral("cannot read key file %1").arg(pemPath)));
        const QByteArray pem = f.readAll();
        BIO *bio = BIO_new_mem_buf(pem.constData(), int(pem.size()));
        EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
        BIO_free(bio);
        if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
            EVP_PKEY_free(key);
            return fail(Error::internal(QStringLiteral("key file %1 is not an Ed25519 private key").arg(pemPath)));
        }
        // Keep the key private even if someone loosened the mode.
        ::chmod(QFile::encodeName(pemPath).constData(), 0600);
        return Ed25519Key(key);
    }
    auto key = generate();
    if (!key)
        return key;
    auto pem = key->privatePem();
    if (!pem)
        return fail(pem.error());
    const QString dir = QFileInfo(pemPath).absolutePath();
    if (!QDir().mkpath(dir))
        return fail(Error::internal(QStringLiteral("cannot create %1").arg(dir)));
    ::chmod(QFile::encodeName(dir).constData(), 0700);
    // Create with 0600 before any byte is written, so the key is never readable by others.
    const mode_t old = ::umask(0077);
    QSaveFile out(pemPath);
    const bool written = out.open(QIODevice::WriteOnly) && out.write(*pem) == pem->size() && out.commit();
    ::umask(old);
    if (!written)
        return fail(Error::internal(QStringLiteral("cannot write key file %1").arg(pemPath)));
    ::chmod(QFile::encodeName(pemPath).constData(), 0600);
    return key;
}

QByteArray Ed25519Key::publicKey() const
{
    QByteArray out(32, Qt::Uninitialized);
    size_t len = 32;
    if (EVP_PKEY_get_raw_public_key(pk(m_pkey), reinterpret_cast<unsigned char *>(out.data()), &len) != 1)
        return {};
    return out;
}

Result<QByteArray> Ed25519Key::sign(QByteArrayView message) const
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    QByteArray sig(64, Qt::Uninitialized);
    size_t len = 64;
    const bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, pk(m_pkey)) == 1
        && EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(sig.data()), &len,
                          reinterpret_cast<const unsigned char *>(message.data()), size_t(message.size()))
            == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok || len != 64)
        return fail(Error::internal(QStringLiteral("Ed25519 signing failed")));
    return sig;
}

Result<QByteArray> Ed25519Key::privatePem() const
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio || PEM_write_bio_PrivateKey(bio, pk(m_pkey), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        BIO_free(bio);
        return fail(Error::internal(QStringLiteral("cannot encode the private key")));
    }
    char *data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    QByteArray pem(data, len);
    BIO_free(bio);
    return pem;
}

bool ed25519Verify(QByteArrayView publicKey, QByteArrayView message, QByteArrayView signature)
{
    if (publicKey.size() != 32 || signature.size() != 64)
        return false;
    EVP_PKEY *key
        = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char *>(publicKey.data()), 32);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const bool ok = key && ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1
        && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char *>(signature.data()), 64,
                            reinterpret_cast<const unsigned char *>(message.data()), size_t(message.size()))
            == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return ok;
}

} // namespace kyc::crypto
