#include "backend/security/jwt.h"

#include "backend/security/crypto.h"

#include <QJsonDocument>
#include <QJsonValue>

#include <algorithm>
#include <cmath>
#include <optional>

namespace kyc::crypto {

namespace {

// Access and refresh tokens are a few hundred bytes; anything far larger is not ours.
constexpr qsizetype kMaxTokenChars = 8192;
constexpr qsizetype kHs256SignatureChars = 43; // 32 bytes in unpadded base64url

constexpr QByteArray::Base64Options kB64Url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

QByteArray b64url(QByteArrayView data)
{
    return data.toByteArray().toBase64(kB64Url);
}

// Strict base64url without padding: only the URL alphabet, and only the one spelling that
// re-encodes to the same text (no stray low bits), so a token cannot be altered without changing
// its bytes.
std::optional<QByteArray> fromB64Url(QByteArrayView text)
{
    for (char c : text) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok)
            return std::nullopt;
    }
    const QByteArray ascii = text.toByteArray();
    auto decoded = QByteArray::fromBase64Encoding(ascii, QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || b64url(decoded.decoded) != ascii)
        return std::nullopt;
    return decoded.decoded;
}

std::optional<QJsonObject> parseObject(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    return doc.object();
}

std::optional<double> numericDate(const QJsonValue &v)
{
    if (!v.isDouble() || !std::isfinite(v.toDouble()))
        return std::nullopt;
    return v.toDouble();
}

std::unexpected<Error> rejected()
{
    return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid or expired token"));
}

} // namespace

QString signJwt(const QJsonObject &payload, QByteArrayView secret)
{
    if (secret.size() < kJwtMinSecretBytes)
        return {};
    static const QByteArray header = b64url(QByteArrayView(R"({"alg":"HS256","typ":"JWT"})"));
    QByteArray signingInput = header;
    signingInput += '.';
    signingInput += b64url(QJsonDocument(payload).toJson(QJsonDocument::Compact));
    const QByteArray signature = hmacSha256(secret, signingInput);
    signingInput += '.';
    signingInput += b64url(signature);
    return QString::fromLatin1(signingInput);
}

Result<QJsonObject> verifyJwt(QStringView token, QByteArrayView secret, const JwtCheck &check)
{
    if (secret.size() < kJwtMinSecretBytes || check.issuer.isEmpty() || token.size() > kMaxTokenChars)
        return rejected();
    for (QChar c : token) {
        if (c.unicode() > 0x7e)
            return rejected();
    }
    const QByteArray ascii = token.toLatin1();
    if (ascii.count('.') != 2)
        return rejected();
    const qsizetype dot1 = ascii.indexOf('.');
    const qsizetype dot2 = ascii.indexOf('.', dot1 + 1);
    const QByteArrayView all(ascii);
    const QByteArrayView parts[3] = {all.first(dot1), all.sliced(dot1 + 1, dot2 - dot1 - 1), all.sliced(dot2 + 1)};
    if (parts[0].isEmpty() || parts[1].isEmpty() || parts[2].size() != kHs256SignatureChars)
        return rejected();

    const auto headerJson = fromB64Url(parts[0]);
    const auto payloadJson = fromB64Url(parts[1]);
    const auto signature = fromB64Url(parts[2]);
    if (!headerJson || !payloadJson || !signature)
        return rejected();

    // The algorithm is fixed by us, never chosen by the token: the header must name exactly HS256,
    // and must not ask for extensions we do not implement (RFC 7515 section 4.1.11).
    const auto header = parseObject(*headerJson);
    if (!header || header->value(QLatin1String("alg")) != QJsonValue(QStringLiteral("HS256"))
        || header->contains(QLatin1String("crit")))
        return rejected();

    const QByteArrayView signingInput = all.first(dot2);
    if (!constantTimeEquals(hmacSha256(secret, signingInput), *signature))
        return rejected();

    const auto payload = parseObject(*payloadJson);
    if (!payload)
        return rejected();

    const QJsonValue iss = payload->value(QLatin1String("iss"));
    if (!iss.isString() || iss.toString() != check.issuer)
        return rejected();

    // Seconds as doubles: exact for any plausible time, and no overflow for hostile values.
    const double now = double(check.nowSeconds);
    const double leeway = double(std::max<qint64>(check.leewaySeconds, 0));
    const auto exp = numericDate(payload->value(QLatin1String("exp")));
    if (!exp || !(*exp > now - leeway))
        return rejected();
    for (const QLatin1String claim : {QLatin1String("nbf"), QLatin1String("iat")}) {
        if (!payload->contains(claim))
            continue;
        const auto t = numericDate(payload->value(claim));
        if (!t || *t > now + leeway)
            return rejected();
    }
    return *payload;
}

} // namespace kyc::crypto
