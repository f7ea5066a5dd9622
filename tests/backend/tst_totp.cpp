// TOTP: RFC 6238 appendix B, RFC 4226 appendix D, RFC 4648 section 10 base32, otpauth URLs.
#include "backend/security/totp.h"

#include <QUrl>
#include <QUrlQuery>
#include <QtTest>

using namespace kyc;
using namespace kyc::crypto;

Q_DECLARE_METATYPE(kyc::crypto::TotpAlgorithm)

namespace {

// The RFC 6238 seeds: "12345678901234567890" repeated to the hash's output length.
QByteArray rfcSeed(qsizetype length)
{
    QByteArray seed;
    while (seed.size() < length)
        seed += "12345678901234567890";
    return seed.first(length);
}

const QByteArray kSeed = rfcSeed(20);

} // namespace

class TestTotp final : public QObject
{
    Q_OBJECT

private slots:
    void rfc6238_data();
    void rfc6238();
    void rfc4226_data();
    void rfc4226();
    void verifyWindow();
    void verifyRejects_data();
    void verifyRejects();
    void verifyNearTimeZero();
    void invalidParameters();
    void base32Vectors_data();
    void base32Vectors();
    void base32DecodeLeniency();
    void base32DecodeErrors_data();
    void base32DecodeErrors();
    void base32RoundTrip();
    void otpauthUrl();
    void otpauthUrlEncodesLabel();
};

void TestTotp::rfc6238_data()
{
    QTest::addColumn<TotpAlgorithm>("algorithm");
    QTest::addColumn<QByteArray>("seed");
    QTest::addColumn<qint64>("time");
    QTest::addColumn<QString>("expected");

    // RFC 6238 appendix B, every row.
    const struct {
        qint64 time;
        const char *sha1, *sha256, *sha512;
    } rows[] = {
        {59, "94287082", "46119246", "90693936"},         {1111111109, "07081804", "68084774", "25091201"},
        {1111111111, "14050471", "67062674", "99943326"}, {1234567890, "89005924", "91819424", "93441116"},
        {2000000000, "69279037", "90698825", "38618901"}, {20000000000, "65353130", "77737706", "47863826"},
    };
    for (const auto &r : rows) {
        QTest::addRow("SHA1 %lld", r.time) << TotpAlgorithm::Sha1 << rfcSeed(20) << r.time << QString::fromLatin1(r.sha1);
        QTest::addRow("SHA256 %lld", r.time) << TotpAlgorithm::Sha256 << rfcSeed(32) << r.time << QString::fromLatin1(r.sha256);
        QTest::addRow("SHA512 %lld", r.time) << TotpAlgorithm::Sha512 << rfcSeed(64) << r.time << QString::fromLatin1(r.sha512);
    }
}

void TestTotp::rfc6238()
{
    QFETCH(TotpAlgorithm, algorithm);
    QFETCH(QByteArray, seed);
    QFETCH(qint64, time);
    QFETCH(QString, expected);
    QCOMPARE(totpAt(seed, time, 8, 30, algorithm), expected);
    // The same code for the whole 30-second step.
    QCOMPARE(totpAt(seed, time - time % 30, 8, 30, algorithm), expected);
    QCOMPARE(totpAt(seed, time - time % 30 + 29, 8, 30, algorithm), expected);
    // Six digits are the last six of eight.
    QCOMPARE(totpAt(seed, time, 6, 30, algorithm), expected.right(6));
}

void TestTotp::rfc4226_data()
{
    QTest::addColumn<qint64>("counter");
    QTest::addColumn<QString>("expected");
    // RFC 4226 appendix D.
    const char *const codes[]
        = {"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"};
    for (qint64 c = 0; c < 10; ++c)
        QTest::addRow("counter %lld", c) << c << QString::fromLatin1(codes[c]);
}

void TestTotp::rfc4226()
{
    QFETCH(qint64, counter);
    QFETCH(QString, expected);
    // HOTP is TOTP with a one-second period at time = counter.
    QCOMPARE(totpAt(kSeed, counter, 6, 1), expected);
    QCOMPARE(totpVerify(kSeed, expected, counter, 0, 6, 1), std::optional<qint64>(counter));
}

void TestTotp::verifyWindow()
{
    const qint64 now = 1111111111;
    const qint64 step = now / 30;
    for (qint64 offset = -3; offset <= 3; ++offset) {
        const QString code = totpAt(kSeed, (step + offset) * 30);
        QCOMPARE(code.size(), 6);
        const auto matched = totpVerify(kSeed, code, now);
        if (qAbs(offset) <= 1) {
            QVERIFY2(matched.has_value(), qPrintable(QStringLiteral("offset %1").arg(offset)));
            QCOMPARE(*matched, step + offset);
        } else {
            // Guard against an accidental collision of 6-digit codes between steps.
            bool collides = false;
            for (qint64 s = step - 1; s <= step + 1; ++s)
                collides = collides || totpAt(kSeed, s * 30) == code;
            if (!collides)
                QVERIFY2(!matched.has_value(), qPrintable(QStringLiteral("offset %1").arg(offset)));
        }
    }
    // A window of 0 accepts only the current step; a window of 2 reaches step ± 2.
    QCOMPARE(totpVerify(kSeed, totpAt(kSeed, now), now, 0), std::optional<qint64>(step));
    QVERIFY(!totpVerify(kSeed, totpAt(kSeed, now - 30), now, 0).has_value());
    QCOMPARE(totpVerify(kSeed, totpAt(kSeed, now + 60), now, 2), std::optional<qint64>(step + 2));
    // Eight-digit codes and another period.
    QCOMPARE(totpVerify(kSeed, QStringLiteral("14050471"), 1111111111, 1, 8), std::optional<qint64>(step));
    QCOMPARE(totpVerify(kSeed, totpAt(kSeed, now, 6, 60), now, 1, 6, 60), std::optional<qint64>(now / 60));
}

void TestTotp::verifyRejects_data()
{
    QTest::addColumn<QString>("code");
    const QString good = totpAt(kSeed, 1111111111);
    QCOMPARE(good, QStringLiteral("050471"));
    QTest::newRow("empty") << QString();
    QTest::newRow("five digits") << good.left(5);
    QTest::newRow("seven digits") << good + u'0';
    QTest::newRow("eight-digit form") << QStringLiteral("14050471");
    QTest::newRow("letters") << QStringLiteral("O5O471");
    QTest::newRow("all letters") << QStringLiteral("abcdef");
    QTest::newRow("leading space") << u' ' + good.right(5);
    QTest::newRow("trailing space") << good + u' ';
    QTest::newRow("sign") << u'+' + good.right(5);
    QTest::newRow("Arabic-Indic digits") << QStringLiteral("٠٥٠٤٧١");
    QTest::newRow("full-width digits") << QStringLiteral("０５０４７１");
    QTest::newRow("wrong code") << QStringLiteral("050472");
    QTest::newRow("step - 2") << totpAt(kSeed, 1111111111 - 60);
    QTest::newRow("step + 2") << totpAt(kSeed, 1111111111 + 60);
}

void TestTotp::verifyRejects()
{
    QFETCH(QString, code);
    QVERIFY(!totpVerify(kSeed, code, 1111111111).has_value());
}

void TestTotp::verifyNearTimeZero()
{
    // No negative steps: at time 0 only steps 0 and 1 are candidates.
    QCOMPARE(totpVerify(kSeed, totpAt(kSeed, 0), 0), std::optional<qint64>(0));
    QCOMPARE(totpVerify(kSeed, totpAt(kSeed, 30), 0), std::optional<qint64>(1));
}

void TestTotp::invalidParameters()
{
    QVERIFY(totpAt({}, 59).isEmpty());
    QVERIFY(totpAt(kSeed, -1).isEmpty());
    QVERIFY(totpAt(kSeed, 59, 5).isEmpty());
    QVERIFY(totpAt(kSeed, 59, 11).isEmpty());
    QVERIFY(totpAt(kSeed, 59, 6, 0).isEmpty());
    QCOMPARE(totpAt(kSeed, 59, 10).size(), 10);
    QVERIFY(!totpVerify({}, QStringLiteral("000000"), 59).has_value());
    QVERIFY(!totpVerify(kSeed, QStringLiteral("000000"), 59, 1, 6, 0).has_value());
}

void TestTotp::base32Vectors_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QString>("encoded");
    // RFC 4648 section 10, without the padding.
    QTest::newRow("empty") << QByteArray() << QString();
    QTest::newRow("f") << QByteArray("f") << QStringLiteral("MY");
    QTest::newRow("fo") << QByteArray("fo") << QStringLiteral("MZXQ");
    QTest::newRow("foo") << QByteArray("foo") << QStringLiteral("MZXW6");
    QTest::newRow("foob") << QByteArray("foob") << QStringLiteral("MZXW6YQ");
    QTest::newRow("fooba") << QByteArray("fooba") << QStringLiteral("MZXW6YTB");
    QTest::newRow("foobar") << QByteArray("foobar") << QStringLiteral("MZXW6YTBOI");
}

void TestTotp::base32Vectors()
{
    QFETCH(QByteArray, data);
    QFETCH(QString, encoded);
    QCOMPARE(base32Encode(data), encoded);

    auto decoded = base32Decode(encoded);
    QVERIFY(decoded.has_value());
    QCOMPARE(*decoded, data);

    // The padded form of the RFC, and lower case, decode the same.
    QString padded = encoded;
    while (padded.size() % 8)
        padded += u'=';
    auto fromPadded = base32Decode(padded);
    QVERIFY(fromPadded.has_value());
    QCOMPARE(*fromPadded, data);
    auto fromLower = base32Decode(encoded.toLower());
    QVERIFY(fromLower.has_value());
    QCOMPARE(*fromLower, data);
}

void TestTotp::base32DecodeLeniency()
{
    // As authenticator apps show secrets: groups of four, lower case.
    auto decoded = base32Decode(QStringLiteral("gezd gnbv gy3t qojq gezd gnbv gy3t qojq"));
    QVERIFY(decoded.has_value());
    QCOMPARE(*decoded, kSeed);
    QCOMPARE(base32Encode(kSeed), QStringLiteral("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
    auto spaced = base32Decode(QStringLiteral(" MZXW 6YTB OI== "));
    QVERIFY(spaced.has_value());
    QCOMPARE(*spaced, QByteArray("foobar"));
}

void TestTotp::base32DecodeErrors_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("digit 0") << QStringLiteral("MZXW0YQ");
    QTest::newRow("digit 1") << QStringLiteral("MZXW1YQ");
    QTest::newRow("digit 8") << QStringLiteral("MZXW8YQ");
    QTest::newRow("digit 9") << QStringLiteral("MZXW9YQ");
    QTest::newRow("hyphen") << QStringLiteral("MZXW-6YQ");
    QTest::newRow("base64 character") << QStringLiteral("MZXW6+Q");
    QTest::newRow("non-ASCII letter") << QStringLiteral("MZXWÉYQ");
    QTest::newRow("NUL") << QStringLiteral("MZXW").append(QChar(0)).append(QStringLiteral("YQ"));
    // Lengths no encoder produces (1, 3 or 6 symbols past a full group).
    QTest::newRow("one symbol") << QStringLiteral("M");
    QTest::newRow("three symbols") << QStringLiteral("MZX");
    QTest::newRow("six symbols") << QStringLiteral("MZXW6Y");
    QTest::newRow("nine symbols") << QStringLiteral("MZXW6YTBO");
}

void TestTotp::base32DecodeErrors()
{
    QFETCH(QString, text);
    auto decoded = base32Decode(text);
    QVERIFY(!decoded.has_value());
    QCOMPARE(decoded.error().code, ErrorCode::Validation);
}

void TestTotp::base32RoundTrip()
{
    for (int n = 0; n <= 64; ++n) {
        QByteArray data(n, Qt::Uninitialized);
        for (int i = 0; i < n; ++i)
            data[i] = char((i * 73 + n * 151) & 0xff);
        const QString text = base32Encode(data);
        QCOMPARE(text.size(), (n * 8 + 4) / 5);
        auto back = base32Decode(text);
        QVERIFY(back.has_value());
        QCOMPARE(*back, data);
    }
}

void TestTotp::otpauthUrl()
{
    const QString s = crypto::otpauthUrl(QStringLiteral("KYConnect"), QStringLiteral("alice@example.com"), kSeed);
    QCOMPARE(
        s,
        QStringLiteral("otpauth://totp/KYConnect:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=KYConnect"
                       "&algorithm=SHA1&digits=6&period=30"));

    const QUrl url(s, QUrl::StrictMode);
    QVERIFY2(url.isValid(), qPrintable(url.errorString()));
    QCOMPARE(url.scheme(), QStringLiteral("otpauth"));
    QCOMPARE(url.host(), QStringLiteral("totp"));
    QCOMPARE(url.path(), QStringLiteral("/KYConnect:alice@example.com"));
    const QUrlQuery query(url);
    QCOMPARE(query.queryItemValue(QStringLiteral("secret")), base32Encode(kSeed));
    QCOMPARE(query.queryItemValue(QStringLiteral("issuer")), QStringLiteral("KYConnect"));
    QCOMPARE(query.queryItemValue(QStringLiteral("algorithm")), QStringLiteral("SHA1"));
    QCOMPARE(query.queryItemValue(QStringLiteral("digits")), QStringLiteral("6"));
    QCOMPARE(query.queryItemValue(QStringLiteral("period")), QStringLiteral("30"));

    // The secret in the URL is the one codes are made from.
    auto secret = base32Decode(query.queryItemValue(QStringLiteral("secret")));
    QVERIFY(secret.has_value());
    QCOMPARE(totpAt(*secret, 59, 8), QStringLiteral("94287082"));
}

void TestTotp::otpauthUrlEncodesLabel()
{
    // Spaces, ':', '&', '?', '#', '/' and non-ASCII in the issuer or account cannot break the URL.
    const QString issuer = QStringLiteral("KY Connect & Co: Zürich");
    const QString account = QStringLiteral("bob+mfa@example.com?x=1#frag/äöü");
    const QString s = crypto::otpauthUrl(issuer, account, QByteArray("foobar"));
    QVERIFY(s.startsWith(QLatin1String("otpauth://totp/KY%20Connect%20%26%20Co%3A%20Z%C3%BCrich:bob%2Bmfa%40example.com")));
    QVERIFY(!s.contains(u' '));
    QCOMPARE(s.count(u'?'), 1);
    QCOMPARE(s.count(u'#'), 0);

    const QUrl url(s, QUrl::StrictMode);
    QVERIFY2(url.isValid(), qPrintable(url.errorString()));
    QCOMPARE(url.host(), QStringLiteral("totp"));
    QCOMPARE(url.path(QUrl::FullyDecoded), u'/' + issuer + u':' + account);
    QVERIFY(url.fragment().isEmpty());
    const QUrlQuery query(url);
    QCOMPARE(query.queryItemValue(QStringLiteral("issuer"), QUrl::FullyDecoded), issuer);
    QCOMPARE(query.queryItemValue(QStringLiteral("secret")), QStringLiteral("MZXW6YTBOI"));
    QCOMPARE(query.queryItems().size(), 5);
}

QTEST_GUILESS_MAIN(TestTotp)
#include "tst_totp.moc"
