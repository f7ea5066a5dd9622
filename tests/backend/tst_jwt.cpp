// HS256 JSON Web Tokens: round trip, the RFC 7515 appendix A.1 example, and a table of forgeries.
#include "backend/security/crypto.h"
#include "backend/security/jwt.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

using namespace kyc;
using namespace kyc::crypto;

namespace {

const QByteArray kSecret = QByteArray::fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const QString kIssuer = QStringLiteral("kyconnect");
constexpr qint64 kNow = 1700000000;

QByteArray b64url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray compactJson(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// A token with any header and payload bytes, signed with HMAC-SHA-256 over exactly those bytes.
QString forge(const QByteArray &headerJson, const QByteArray &payloadJson, const QByteArray &secret = kSecret)
{
    const QByteArray input = b64url(headerJson) + '.' + b64url(payloadJson);
    return QString::fromLatin1(input + '.' + b64url(hmacSha256(secret, input)));
}

QJsonObject claims(qint64 now = kNow)
{
    return QJsonObject{{QStringLiteral("sub"), QStringLiteral("user-1")},
                       {QStringLiteral("firm"), QStringLiteral("firm-1")},
                       {QStringLiteral("role"), QStringLiteral("analyst")},
                       {QStringLiteral("sid"), QStringLiteral("session-1")},
                       {QStringLiteral("jti"), QStringLiteral("token-1")},
                       {QStringLiteral("iss"), kIssuer},
                       {QStringLiteral("iat"), now},
                       {QStringLiteral("exp"), now + 900}};
}

QJsonObject without(QJsonObject o, const char *key)
{
    o.remove(QLatin1String(key));
    return o;
}

QJsonObject with(QJsonObject o, const char *key, const QJsonValue &value)
{
    o.insert(QLatin1String(key), value);
    return o;
}

const QByteArray kHs256Header = R"({"alg":"HS256","typ":"JWT"})";

JwtCheck checkAt(qint64 now, qint64 leeway = 0)
{
    return JwtCheck{kIssuer, now, leeway};
}

} // namespace

class TestJwt final : public QObject
{
    Q_OBJECT

private slots:
    void roundTrip();
    void headerAndEncoding();
    void rfc7515AppendixA1();
    void timeClaims_data();
    void timeClaims();
    void rejects_data();
    void rejects();
    void errorsDoNotEchoTheToken();
    void refusesShortSecrets();
};

void TestJwt::roundTrip()
{
    const QJsonObject payload = with(claims(), "scopes", QJsonArray{QStringLiteral("cases:read"), QStringLiteral("audit:read")});
    const QString token = signJwt(payload, kSecret);
    QVERIFY(!token.isEmpty());
    auto verified = verifyJwt(token, kSecret, checkAt(kNow));
    QVERIFY2(verified.has_value(), qPrintable(verified ? QString() : verified.error().message));
    QCOMPARE(*verified, payload);

    // Signing is deterministic for the same payload and secret.
    QCOMPARE(signJwt(payload, kSecret), token);
}

void TestJwt::headerAndEncoding()
{
    const QString token = signJwt(claims(), kSecret);
    const QStringList parts = token.split(u'.');
    QCOMPARE(parts.size(), 3);
    for (const QString &part : parts) {
        QVERIFY(!part.contains(u'='));
        QVERIFY(!part.contains(u'+'));
        QVERIFY(!part.contains(u'/'));
    }
    QCOMPARE(QByteArray::fromBase64(parts.at(0).toLatin1(), QByteArray::Base64UrlEncoding), kHs256Header);
    QCOMPARE(parts.at(2).size(), 43);
    const QByteArray input = parts.at(0).toLatin1() + '.' + parts.at(1).toLatin1();
    QCOMPARE(parts.at(2).toLatin1(), b64url(hmacSha256(kSecret, input)));
}

void TestJwt::rfc7515AppendixA1()
{
    // RFC 7515 appendix A.1: the JWK "k" and the compact serialisation, verbatim. The header and
    // payload contain CR LF and spaces, so this also shows the signature covers the bytes as sent.
    const QByteArray key = QByteArray::fromBase64(
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow", QByteArray::Base64UrlEncoding);
    QCOMPARE(key.size(), 64);
    const QString token = QStringLiteral(
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9p"
        "c19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");

    auto ok = verifyJwt(token, key, JwtCheck{QStringLiteral("joe"), 1300819379, 0});
    QVERIFY2(ok.has_value(), qPrintable(ok ? QString() : ok.error().message));
    QCOMPARE(ok->value(QLatin1String("iss")).toString(), QStringLiteral("joe"));
    QCOMPARE(ok->value(QLatin1String("exp")).toInteger(), 1300819380);
    QCOMPARE(ok->value(QLatin1String("http://example.com/is_root")).toBool(), true);

    // exp is the first instant the token is no longer valid.
    QVERIFY(!verifyJwt(token, key, JwtCheck{QStringLiteral("joe"), 1300819380, 0}).has_value());
    auto late = verifyJwt(token, key, JwtCheck{QStringLiteral("joe"), 1300819381, 0});
    QVERIFY(!late.has_value());
    QCOMPARE(late.error().code, ErrorCode::Unauthenticated);
    // Leeway stretches it, by exactly the leeway.
    QVERIFY(verifyJwt(token, key, JwtCheck{QStringLiteral("joe"), 1300819381, 2}).has_value());
    QVERIFY(!verifyJwt(token, key, JwtCheck{QStringLiteral("joe"), 1300819382, 2}).has_value());
    // Wrong issuer, and a different key.
    QVERIFY(!verifyJwt(token, key, JwtCheck{QStringLiteral("Joe"), 1300819379, 0}).has_value());
    QVERIFY(!verifyJwt(token, kSecret, JwtCheck{QStringLiteral("joe"), 1300819379, 0}).has_value());
}

void TestJwt::timeClaims_data()
{
    QTest::addColumn<QJsonObject>("payload");
    QTest::addColumn<qint64>("now");
    QTest::addColumn<qint64>("leeway");
    QTest::addColumn<bool>("valid");

    const QJsonObject base = claims(kNow);
    QTest::newRow("fresh") << base << kNow << qint64(0) << true;
    QTest::newRow("one second before exp") << base << kNow + 899 << qint64(0) << true;
    QTest::newRow("at exp") << base << kNow + 900 << qint64(0) << false;
    QTest::newRow("at exp with leeway 30") << base << kNow + 900 << qint64(30) << true;
    QTest::newRow("exp + leeway") << base << kNow + 930 << qint64(30) << false;
    QTest::newRow("iat in the future") << base << kNow - 1 << qint64(0) << false;
    QTest::newRow("iat in the future within leeway") << base << kNow - 5 << qint64(5) << true;
    QTest::newRow("iat in the future beyond leeway") << base << kNow - 6 << qint64(5) << false;
    QTest::newRow("nbf in the future") << with(base, "nbf", kNow + 60) << kNow << qint64(0) << false;
    QTest::newRow("nbf reached") << with(base, "nbf", kNow + 60) << kNow + 60 << qint64(0) << true;
    QTest::newRow("nbf within leeway") << with(base, "nbf", kNow + 60) << kNow + 30 << qint64(30) << true;
    QTest::newRow("no iat") << without(base, "iat") << kNow << qint64(0) << true;
    QTest::newRow("fractional exp") << with(base, "exp", double(kNow) + 0.5) << kNow << qint64(0) << true;
    QTest::newRow("negative leeway counts as none") << base << kNow + 900 << qint64(-100) << false;
    QTest::newRow("huge leeway does not overflow") << base << kNow << std::numeric_limits<qint64>::max() << true;
    QTest::newRow("exp as string") << with(base, "exp", QString::number(kNow + 900)) << kNow << qint64(0) << false;
    QTest::newRow("exp null") << with(base, "exp", QJsonValue::Null) << kNow << qint64(0) << false;
    QTest::newRow("iat as string") << with(base, "iat", QString::number(kNow)) << kNow << qint64(0) << false;
    QTest::newRow("nbf as bool") << with(base, "nbf", true) << kNow << qint64(0) << false;
}

void TestJwt::timeClaims()
{
    QFETCH(QJsonObject, payload);
    QFETCH(qint64, now);
    QFETCH(qint64, leeway);
    QFETCH(bool, valid);
    auto result = verifyJwt(signJwt(payload, kSecret), kSecret, checkAt(now, leeway));
    QCOMPARE(result.has_value(), valid);
    if (!valid)
        QCOMPARE(result.error().code, ErrorCode::Unauthenticated);
}

void TestJwt::rejects_data()
{
    QTest::addColumn<QString>("token");
    QTest::addColumn<QByteArray>("secret");
    QTest::addColumn<QString>("issuer");

    const QByteArray payload = compactJson(claims());
    const QString good = signJwt(claims(), kSecret);
    QVERIFY(verifyJwt(good, kSecret, checkAt(kNow)).has_value());
    const QStringList parts = good.split(u'.');
    QCOMPARE(parts.size(), 3);

    // The classic algorithm confusions.
    QTest::newRow("alg none, empty signature")
        << QString::fromLatin1(b64url(R"({"alg":"none","typ":"JWT"})") + '.' + b64url(payload) + '.') << kSecret << kIssuer;
    QTest::newRow("alg none, HS256 signature") << forge(R"({"alg":"none","typ":"JWT"})", payload) << kSecret << kIssuer;
    QTest::newRow("alg HS512, HS256 signature") << forge(R"({"alg":"HS512","typ":"JWT"})", payload) << kSecret << kIssuer;
    {
        const QByteArray input = b64url(R"({"alg":"HS512","typ":"JWT"})") + '.' + b64url(payload);
        QTest::newRow("alg HS512, HS512 signature")
            << QString::fromLatin1(input + '.' + b64url(hmacSha512(kSecret, input))) << kSecret << kIssuer;
    }
    QTest::newRow("alg RS256, HS256 signature") << forge(R"({"alg":"RS256","typ":"JWT"})", payload) << kSecret << kIssuer;
    QTest::newRow("alg hs256 (lower case)") << forge(R"({"alg":"hs256","typ":"JWT"})", payload) << kSecret << kIssuer;
    QTest::newRow("alg Hs256 (mixed case)") << forge(R"({"alg":"Hs256","typ":"JWT"})", payload) << kSecret << kIssuer;
    QTest::newRow("header key ALG") << forge(R"({"ALG":"HS256","typ":"JWT"})", payload) << kSecret << kIssuer;
    QTest::newRow("missing alg") << forge(R"({"typ":"JWT"})", payload) << kSecret << kIssuer;
    QTest::newRow("alg null") << forge(R"({"alg":null,"typ":"JWT"})", payload) << kSecret << kIssuer;
    QTest::newRow("alg as array") << forge(R"({"alg":["HS256"],"typ":"JWT"})", payload) << kSecret << kIssuer;
    QTest::newRow("alg with trailing space") << forge(R"({"alg":"HS256 ","typ":"JWT"})", payload) << kSecret << kIssuer;
    QTest::newRow("crit header") << forge(R"({"alg":"HS256","typ":"JWT","crit":["exp"]})", payload) << kSecret << kIssuer;
    QTest::newRow("header not an object") << forge(R"(["HS256"])", payload) << kSecret << kIssuer;
    QTest::newRow("header not JSON") << forge("alg=HS256", payload) << kSecret << kIssuer;

    // Signature.
    {
        QByteArray sig = QByteArray::fromBase64(parts.at(2).toLatin1(), QByteArray::Base64UrlEncoding);
        sig[5] = char(sig.at(5) ^ 0x10);
        QTest::newRow("flipped signature bit")
            << parts.at(0) + u'.' + parts.at(1) + u'.' + QString::fromLatin1(b64url(sig)) << kSecret << kIssuer;
        sig = QByteArray::fromBase64(parts.at(2).toLatin1(), QByteArray::Base64UrlEncoding);
        QTest::newRow("truncated signature")
            << parts.at(0) + u'.' + parts.at(1) + u'.' + QString::fromLatin1(b64url(sig.first(31))) << kSecret << kIssuer;
        QTest::newRow("signature with padding") << good + QStringLiteral("=") << kSecret << kIssuer;
        QTest::newRow("signature in standard base64")
            << parts.at(0) + u'.' + parts.at(1) + u'.' + QString::fromLatin1(sig.toBase64(QByteArray::OmitTrailingEquals))
            << kSecret << kIssuer;
    }
    // The last base64url character of a 32-byte value carries 2 unused bits: a different spelling
    // of the same bytes is still refused.
    {
        QString other = good;
        const QChar last = other.back();
        const QByteArray alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const qsizetype idx = alphabet.indexOf(char(last.unicode()));
        other.back() = QLatin1Char(alphabet.at((idx & ~3) | ((idx + 1) & 3)));
        QTest::newRow("non-canonical signature encoding") << other << kSecret << kIssuer;
    }
    QTest::newRow("empty signature") << parts.at(0) + u'.' + parts.at(1) + u'.' << kSecret << kIssuer;
    QTest::newRow("wrong secret") << good << QByteArray(32, 'k') << kIssuer;
    QTest::newRow("secret with last bit flipped") << good << QByteArray(kSecret).replace(31, 1, "\x1e") << kIssuer;
    QTest::newRow("secret one byte longer") << good << kSecret + 'x' << kIssuer;
    QTest::newRow("payload swapped") << parts.at(0) + u'.'
            + QString::fromLatin1(b64url(compactJson(with(claims(), "role", QStringLiteral("owner"))))) + u'.'
            + parts.at(2) << kSecret << kIssuer;

    // Claims.
    QTest::newRow("wrong issuer") << good << kSecret << QStringLiteral("someone-else");
    QTest::newRow("issuer differs in case") << good << kSecret << QStringLiteral("KYConnect");
    QTest::newRow("missing iss") << signJwt(without(claims(), "iss"), kSecret) << kSecret << kIssuer;
    QTest::newRow("iss not a string") << signJwt(with(claims(), "iss", 7), kSecret) << kSecret << kIssuer;
    QTest::newRow("iss as array") << signJwt(with(claims(), "iss", QJsonArray{kIssuer}), kSecret) << kSecret << kIssuer;
    QTest::newRow("empty expected issuer") << signJwt(with(claims(), "iss", QString()), kSecret) << kSecret << QString();
    QTest::newRow("expired") << signJwt(with(claims(), "exp", kNow - 1), kSecret) << kSecret << kIssuer;
    QTest::newRow("missing exp") << signJwt(without(claims(), "exp"), kSecret) << kSecret << kIssuer;
    QTest::newRow("payload not an object") << forge(kHs256Header, R"(["iss","kyconnect"])") << kSecret << kIssuer;
    QTest::newRow("payload a string") << forge(kHs256Header, R"("kyconnect")") << kSecret << kIssuer;
    QTest::newRow("payload not JSON") << forge(kHs256Header, "iss=kyconnect") << kSecret << kIssuer;
    QTest::newRow("payload empty") << forge(kHs256Header, "") << kSecret << kIssuer;

    // Shape.
    QTest::newRow("two segments") << parts.at(0) + u'.' + parts.at(1) << kSecret << kIssuer;
    QTest::newRow("four segments") << good + QStringLiteral(".") + parts.at(2) << kSecret << kIssuer;
    QTest::newRow("trailing dot") << good + QStringLiteral(".") << kSecret << kIssuer;
    QTest::newRow("one segment") << parts.at(0) << kSecret << kIssuer;
    QTest::newRow("empty header") << u'.' + parts.at(1) + u'.' + parts.at(2) << kSecret << kIssuer;
    QTest::newRow("empty") << QString() << kSecret << kIssuer;
    QTest::newRow("dots only") << QStringLiteral("..") << kSecret << kIssuer;
    QTest::newRow("non-base64 character in payload")
        << parts.at(0) + u'.' + parts.at(1).left(5) + u'*' + parts.at(1).mid(6) + u'.' + parts.at(2) << kSecret << kIssuer;
    QTest::newRow("non-base64 character in header") << u'!' + good.mid(1) << kSecret << kIssuer;
    QTest::newRow("space inside") << parts.at(0) + QStringLiteral(". ") + parts.at(1) + u'.' + parts.at(2) << kSecret << kIssuer;
    QTest::newRow("leading space") << u' ' + good << kSecret << kIssuer;
    QTest::newRow("trailing newline") << good + u'\n' << kSecret << kIssuer;
    QTest::newRow("Bearer prefix") << QStringLiteral("Bearer ") + good << kSecret << kIssuer;
    QTest::newRow("non-ASCII character") << good.left(10) + QChar(0x00e9) + good.mid(11) << kSecret << kIssuer;
    QTest::newRow("oversized") << forge(kHs256Header, compactJson(with(claims(), "pad", QString(9000, u'x')))) << kSecret
                               << kIssuer;
}

void TestJwt::rejects()
{
    QFETCH(QString, token);
    QFETCH(QByteArray, secret);
    QFETCH(QString, issuer);
    auto result = verifyJwt(token, secret, JwtCheck{issuer, kNow, 0});
    QVERIFY(!result.has_value());
    QCOMPARE(result.error().code, ErrorCode::Unauthenticated);
    QVERIFY(!result.error().message.isEmpty());
}

void TestJwt::errorsDoNotEchoTheToken()
{
    const QString token = signJwt(with(claims(), "exp", kNow - 10), kSecret);
    const QString parts[] = {token, token.section(u'.', 0, 0), token.section(u'.', 1, 1), token.section(u'.', 2, 2)};
    for (const QString &t : {token, QString(token + u'x'), token.section(u'.', 0, 1)}) {
        auto result = verifyJwt(t, kSecret, checkAt(kNow));
        QVERIFY(!result.has_value());
        QVERIFY(result.error().message.size() < 64);
        for (const QString &part : parts)
            QVERIFY(!result.error().message.contains(part));
        QVERIFY(result.error().fields.isEmpty());
    }
}

void TestJwt::refusesShortSecrets()
{
    // RFC 7518 section 3.2: an HS256 key is at least 256 bits.
    QVERIFY(signJwt(claims(), QByteArray(31, 's')).isEmpty());
    QVERIFY(signJwt(claims(), {}).isEmpty());
    const QString shortToken = forge(kHs256Header, compactJson(claims()), QByteArray(31, 's'));
    QVERIFY(!verifyJwt(shortToken, QByteArray(31, 's'), checkAt(kNow)).has_value());
    const QString emptyKeyToken = forge(kHs256Header, compactJson(claims()), QByteArray());
    QVERIFY(!verifyJwt(emptyKeyToken, QByteArray(), checkAt(kNow)).has_value());
    QVERIFY(verifyJwt(signJwt(claims(), QByteArray(32, 's')), QByteArray(32, 's'), checkAt(kNow)).has_value());
}

QTEST_GUILESS_MAIN(TestJwt)
#include "tst_jwt.moc"
