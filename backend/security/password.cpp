#include "backend/security/password.h"

#include "backend/security/crypto.h"

#include <QList>

#include <algorithm>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <optional>

namespace kyc::crypto {

namespace {

constexpr qsizetype kSaltBytes = 16;
constexpr qsizetype kHashBytes = 32;
constexpr qsizetype kMinSaltBytes = 16; // salts accepted when parsing
constexpr qsizetype kMaxSaltBytes = 64;
constexpr int kMaxLog2N = 20;
constexpr int kMaxR = 64;
constexpr int kMaxP = 64;
constexpr int kMaxDkLen = 1024;
// Enough for RFC 7914's largest vector (N=2^20, r=8: 1 GiB) and no more.
constexpr quint64 kMaxScryptMemory = (quint64(1) << 30) + (quint64(1) << 20);
// A stored hash decides how much a login spends; a row edited to absurd parameters must not be
// able to take the server's memory or CPU.
constexpr quint64 kMaxLoginMemory = quint64(256) << 20;
constexpr int kMaxLoginP = 16;
// OpenSSL 3.0 refuses N=2^15, r=8 with its 32 MiB default limit; give it room, and more when the
// parameters need it.
constexpr quint64 kMinMaxMem = quint64(128) << 20;

// The memory OpenSSL's scrypt allocates: B (128·r·p) plus V and X/T (128·r·(N+2)).
quint64 scryptMemory(int log2N, int r, int p)
{
    return 128 * quint64(r) * ((quint64(1) << log2N) + 2) + 128 * quint64(r) * quint64(p);
}

bool paramsInRange(int log2N, int r, int p)
{
    return log2N >= 1 && log2N <= kMaxLog2N && r >= 1 && r <= kMaxR && p >= 1 && p <= kMaxP;
}

bool loginAffordable(const ScryptParams &params)
{
    return paramsInRange(params.log2N, params.r, params.p) && params.p <= kMaxLoginP
        && scryptMemory(params.log2N, params.r, params.p) <= kMaxLoginMemory;
}

struct Stored {
    ScryptParams params;
    QByteArray salt;
    QByteArray hash;
};

// A small decimal without sign, spaces or leading zeros, so that one hash has one spelling.
std::optional<int> parseSmallInt(QStringView s)
{
    if (s.isEmpty() || s.size() > 3 || (s.size() > 1 && s.front() == u'0'))
        return std::nullopt;
    int v = 0;
    for (QChar c : s) {
        if (c < u'0' || c > u'9')
            return std::nullopt;
        v = v * 10 + (c.unicode() - u'0');
    }
    return v;
}

// Strict standard base64 (with padding): anything that would not re-encode to the same text is refused.
std::optional<QByteArray> parseBase64(QStringView s, qsizetype minBytes, qsizetype maxBytes)
{
    const QByteArray ascii = s.toLatin1();
    auto decoded = QByteArray::fromBase64Encoding(ascii, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.toBase64() != ascii)
        return std::nullopt;
    if (decoded.decoded.size() < minBytes || decoded.decoded.size() > maxBytes)
        return std::nullopt;
    return decoded.decoded;
}

std::optional<Stored> parseStored(const QString &stored)
{
    if (stored.size() > 512)
        return std::nullopt;
    const QList<QStringView> parts = QStringView(stored).split(u'$');
    if (parts.size() != 6 || parts[0] != u"scrypt")
        return std::nullopt;
    const auto log2N = parseSmallInt(parts[1]);
    const auto r = parseSmallInt(parts[2]);
    const auto p = parseSmallInt(parts[3]);
    auto salt = parseBase64(parts[4], kMinSaltBytes, kMaxSaltBytes);
    // Exactly 32 bytes: a shorter scrypt output is a prefix of the longer one, so accepting any
    // length would let a truncated (weaker) hash pass.
    auto hash = parseBase64(parts[5], kHashBytes, kHashBytes);
    if (!log2N || !r || !p || !salt || !hash || !paramsInRange(*log2N, *r, *p))
        return std::nullopt;
    return Stored{{*log2N, *r, *p}, std::move(*salt), std::move(*hash)};
}

// The password as UTF-8, wiped from memory when it goes out of scope.
class Utf8Secret final
{
public:
    explicit Utf8Secret(QStringView s)
        : m_bytes(s.toUtf8())
    {
    }
    ~Utf8Secret()
    {
        if (!m_bytes.isEmpty())
            OPENSSL_cleanse(m_bytes.data(), size_t(m_bytes.size()));
    }
    Utf8Secret(const Utf8Secret &) = delete;
    Utf8Secret &operator=(const Utf8Secret &) = delete;
    [[nodiscard]] QByteArrayView view() const { return m_bytes; }

private:
    QByteArray m_bytes;
};

} // namespace

Result<QByteArray> scrypt(QByteArrayView password, QByteArrayView salt, int log2N, int r, int p, int dkLen)
{
    if (!paramsInRange(log2N, r, p) || dkLen < 1 || dkLen > kMaxDkLen || scryptMemory(log2N, r, p) > kMaxScryptMemory)
        return fail(Error::validation(QStringLiteral("params"), QStringLiteral("scrypt parameters out of range")));
    const quint64 maxmem = std::max(kMinMaxMem, scryptMemory(log2N, r, p) + (quint64(1) << 20));
    QByteArray out(dkLen, Qt::Uninitialized);
    // OpenSSL treats a null pointer with length 0 as the empty string, which is what an empty view is.
    const int ok = EVP_PBE_scrypt(password.data(), size_t(password.size()), reinterpret_cast<const unsigned char *>(salt.data()),
                                  size_t(salt.size()), quint64(1) << log2N, quint64(r), quint64(p), maxmem,
                                  reinterpret_cast<unsigned char *>(out.data()), size_t(dkLen));
    if (ok != 1)
        return fail(Error::internal(QStringLiteral("EVP_PBE_scrypt failed (log2N=%1 r=%2 p=%3)").arg(log2N).arg(r).arg(p)));
    return out;
}

Result<QString> hashPassword(QStringView password, ScryptParams params)
{
    if (!loginAffordable(params))
        return fail(Error::validation(QStringLiteral("params"), QStringLiteral("scrypt parameters out of range")));
    auto salt = randomBytes(kSaltBytes);
    if (!salt)
        return fail(salt.error());
    const Utf8Secret utf8(password);
    auto hash = scrypt(utf8.view(), *salt, params.log2N, params.r, params.p, int(kHashBytes));
    if (!hash)
        return fail(hash.error());
    return QStringLiteral("scrypt$%1$%2$%3$%4$%5")
        .arg(params.log2N)
        .arg(params.r)
        .arg(params.p)
        .arg(QString::fromLatin1(salt->toBase64()), QString::fromLatin1(hash->toBase64()));
}

bool verifyPassword(QStringView password, const QString &stored)
{
    const auto parsed = parseStored(stored);
    if (!parsed || !loginAffordable(parsed->params))
        return false;
    const Utf8Secret utf8(password);
    const auto hash
        = scrypt(utf8.view(), parsed->salt, parsed->params.log2N, parsed->params.r, parsed->params.p, int(kHashBytes));
    return hash && constantTimeEquals(*hash, parsed->hash);
}

bool needsRehash(const QString &stored, ScryptParams current)
{
    const auto parsed = parseStored(stored);
    if (!parsed)
        return true;
    const ScryptParams &p = parsed->params;
    return p.log2N != current.log2N || p.r != current.r || p.p != current.p || parsed->salt.size() != kSaltBytes;
}

} // namespace kyc::crypto
