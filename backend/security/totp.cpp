#include "backend/security/totp.h"

#include "backend/security/crypto.h"

#include <QUrl>

#include <algorithm>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace kyc::crypto {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr int kMinDigits = 6;
constexpr int kMaxDigits = 10; // the truncated value has 31 bits, at most 10 decimal digits
constexpr int kMaxWindow = 10;

int base32Value(char16_t c)
{
    if (c >= u'A' && c <= u'Z')
        return c - u'A';
    if (c >= u'a' && c <= u'z')
        return c - u'a';
    if (c >= u'2' && c <= u'7')
        return c - u'2' + 26;
    return -1;
}

bool isIgnorable(QChar c)
{
    return c == u'=' || c.isSpace();
}

const EVP_MD *digestOf(TotpAlgorithm alg)
{
    switch (alg) {
    case TotpAlgorithm::Sha1: return EVP_sha1();
    case TotpAlgorithm::Sha256: return EVP_sha256();
    case TotpAlgorithm::Sha512: return EVP_sha512();
    }
    return EVP_sha1();
}

bool paramsValid(QByteArrayView secret, int digits, int periodSeconds)
{
    return !secret.isEmpty() && digits >= kMinDigits && digits <= kMaxDigits && periodSeconds >= 1;
}

// RFC 4226 section 5.3: HMAC over the big-endian counter, dynamic truncation, modulo 10^digits.
QString hotp(QByteArrayView secret, quint64 counter, int digits, TotpAlgorithm alg)
{
    unsigned char message[8];
    for (int i = 7; i >= 0; --i) {
        message[i] = static_cast<unsigned char>(counter & 0xff);
        counter >>= 8;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(digestOf(alg), secret.data(), int(secret.size()), message, sizeof message, mac, &len) || len < 20)
        return {};
    const unsigned offset = mac[len - 1] & 0x0f;
    const quint64 binary = (quint64(mac[offset] & 0x7f) << 24) | (quint64(mac[offset + 1]) << 16)
        | (quint64(mac[offset + 2]) << 8) | quint64(mac[offset + 3]);
    quint64 modulus = 1;
    for (int i = 0; i < digits; ++i)
        modulus *= 10;
    return QStringLiteral("%1").arg(binary % modulus, digits, 10, QLatin1Char('0'));
}

} // namespace

QString base32Encode(QByteArrayView data)
{
    QString out;
    out.reserve((data.size() * 8 + 4) / 5);
    quint32 buffer = 0;
    int bits = 0;
    for (char byte : data) {
        buffer = (buffer << 8) | quint8(byte);
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out += QLatin1Char(kAlphabet[(buffer >> bits) & 0x1f]);
        }
    }
    if (bits > 0)
        out += QLatin1Char(kAlphabet[(buffer << (5 - bits)) & 0x1f]);
    return out;
}

Result<QByteArray> base32Decode(QStringView text)
{
    QByteArray out;
    out.reserve(text.size() * 5 / 8);
    quint32 buffer = 0;
    int bits = 0;
    qsizetype symbols = 0;
    for (QChar c : text) {
        if (isIgnorable(c))
            continue;
        const int v = base32Value(c.unicode());
        if (v < 0)
            return fail(Error::validation(QStringLiteral("secret"), QStringLiteral("not valid base32")));
        ++symbols;
        buffer = (buffer << 5) | quint32(v);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out += char((buffer >> bits) & 0xff);
        }
    }
    // 1, 3 or 6 symbols past a full 8-symbol group carry less than one whole byte: no encoder
    // produces them.
    const qsizetype tail = symbols % 8;
    if (tail == 1 || tail == 3 || tail == 6)
        return fail(Error::validation(QStringLiteral("secret"), QStringLiteral("not valid base32")));
    return out;
}

QString totpAt(QByteArrayView secret, qint64 unixSeconds, int digits, int periodSeconds, TotpAlgorithm alg)
{
    if (!paramsValid(secret, digits, periodSeconds) || unixSeconds < 0)
        return {};
    return hotp(secret, quint64(unixSeconds / periodSeconds), digits, alg);
}

std::optional<qint64> totpVerify(QByteArrayView secret, QStringView code, qint64 unixSeconds, int window, int digits,
                                 int periodSeconds)
{
    if (!paramsValid(secret, digits, periodSeconds) || unixSeconds < 0 || code.size() != digits)
        return std::nullopt;
    if (!std::all_of(code.begin(), code.end(), [](QChar c) { return c >= u'0' && c <= u'9'; }))
        return std::nullopt;
    const QByteArray given = code.toLatin1();
    const qint64 step = unixSeconds / periodSeconds;
    const int w = std::clamp(window, 0, kMaxWindow);
    std::optional<qint64> match;
    // Look at every step, even after a match, so the time taken does not tell which one matched.
    for (qint64 s = step - w; s <= step + w; ++s) {
        if (s < 0)
            continue;
        const QByteArray expected = hotp(secret, quint64(s), digits, TotpAlgorithm::Sha1).toLatin1();
        if (constantTimeEquals(expected, given) && !match)
            match = s;
    }
    return match;
}

QString otpauthUrl(const QString &issuer, const QString &account, QByteArrayView secret)
{
    const QString encodedIssuer = QString::fromLatin1(QUrl::toPercentEncoding(issuer));
    const QString encodedAccount = QString::fromLatin1(QUrl::toPercentEncoding(account));
    return QStringLiteral("otpauth://totp/%1:%2?secret=%3&issuer=%4&algorithm=SHA1&digits=6&period=30")
        .arg(encodedIssuer, encodedAccount, base32Encode(secret), encodedIssuer);
}

} // namespace kyc::crypto
