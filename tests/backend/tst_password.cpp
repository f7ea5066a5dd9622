// scrypt (RFC 7914 section 12 vectors) and the self-describing password hashes built on it.
#include "backend/security/password.h"

#include <QtTest>

using namespace kyc;
using namespace kyc::crypto;

namespace {

QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text));
}

// Replaces field `index` of a "scrypt$…" string.
QString withField(const QString &stored, int index, const QString &value)
{
    QStringList parts = stored.split(u'$');
    parts[index] = value;
    return parts.join(u'$');
}

// A base64 string of the same length that decodes to different bytes.
QString changedBase64(const QString &b64)
{
    QByteArray bytes = QByteArray::fromBase64(b64.toLatin1());
    bytes[0] = char(bytes.at(0) ^ 0x01);
    return QString::fromLatin1(bytes.toBase64());
}

// Cheap parameters for tests that only exercise the format.
constexpr ScryptParams kFast{10, 8, 1};

} // namespace

class TestPassword final : public QObject
{
    Q_OBJECT

private slots:
    void scryptVectors_data();
    void scryptVectors();
    void scryptRejectsBadParameters();
    void roundTripDefaultParameters();
    void wrongPasswordFails_data();
    void wrongPasswordFails();
    void hashesAreSalted();
    void storedFormat();
    void tamperedStoredStringsFail_data();
    void tamperedStoredStringsFail();
    void verifiesOtherParameters();
    void refusesExpensiveStoredParameters();
    void needsRehash_data();
    void needsRehash();
    void hashPasswordRejectsBadParameters();
};

void TestPassword::scryptVectors_data()
{
    QTest::addColumn<QByteArray>("password");
    QTest::addColumn<QByteArray>("salt");
    QTest::addColumn<int>("log2N");
    QTest::addColumn<int>("r");
    QTest::addColumn<int>("p");
    QTest::addColumn<QByteArray>("expected");

    // RFC 7914 section 12 (dkLen 64).
    QTest::newRow("empty, N=16 r=1 p=1") << QByteArray() << QByteArray() << 4 << 1 << 1
                                         << hex("77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8"
                                                "326a753a0fc81f17e8d3e0fb2e0d3628cf"
                                                "35e20c38d18906");
    QTest::newRow("password/NaCl, N=1024 r=8 p=16") << QByteArray("password") << QByteArray("NaCl") << 10 << 8 << 16
                                                    << hex("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf3"
                                                           "0d92e22a3886ff109279d9830dac727afb94a83ee6d83"
                                                           "60cbdfa2cc0640");
    QTest::newRow("pleaseletmein/SodiumChloride, N=16384 r=8 p=1")
        << QByteArray("pleaseletmein") << QByteArray("SodiumChloride") << 14 << 8 << 1
        << hex("7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40d"
               "f"
               "cf017b45575887");
    // The fourth vector needs 1 GiB and several seconds: only on request.
    if (qEnvironmentVariableIsSet("KYC_SLOW_TESTS")) {
        QTest::newRow("pleaseletmein/SodiumChloride, N=1048576 r=8 p=1")
            << QByteArray("pleaseletmein") << QByteArray("SodiumChloride") << 20 << 8 << 1
            << hex("2101cb9b6a511aaeaddbbe09cf70f881ec568d574a2ffd4dabe5ee9820adaa478e56fd8f4ba5d09ffa1c6d927c40f4c337304049e8a95"
                   "2"
                   "fbcbf45c6fa77a41a4");
    }
}

void TestPassword::scryptVectors()
{
    QFETCH(QByteArray, password);
    QFETCH(QByteArray, salt);
    QFETCH(int, log2N);
    QFETCH(int, r);
    QFETCH(int, p);
    QFETCH(QByteArray, expected);

    auto key = crypto::scrypt(password, salt, log2N, r, p, 64);
    QVERIFY2(key.has_value(), qPrintable(key ? QString() : key.error().message));
    QCOMPARE(key->toHex(), expected.toHex());

    // A shorter output is a prefix of the longer one (PBKDF2 expansion).
    auto shorter = crypto::scrypt(password, salt, log2N, r, p, 32);
    QVERIFY(shorter.has_value());
    QCOMPARE(shorter->toHex(), expected.first(32).toHex());
}

void TestPassword::scryptRejectsBadParameters()
{
    const struct {
        int log2N, r, p, dkLen;
    } cases[] = {{0, 8, 1, 32},
                 {21, 8, 1, 32},
                 {-1, 8, 1, 32},
                 {10, 0, 1, 32},
                 {10, 8, 0, 32},
                 {10, 65, 1, 32},
                 {10, 8, 65, 32},
                 {10, 8, 1, 0},
                 {10, 8, 1, -1},
                 {10, 8, 1, 1025},
                 // More than 1 GiB.
                 {20, 9, 1, 32},
                 {20, 64, 1, 32}};
    for (const auto &c : cases) {
        auto key = crypto::scrypt("pw", "salt", c.log2N, c.r, c.p, c.dkLen);
        QVERIFY2(!key.has_value(), qPrintable(QStringLiteral("%1 %2 %3 %4").arg(c.log2N).arg(c.r).arg(c.p).arg(c.dkLen)));
        QCOMPARE(key.error().code, ErrorCode::Validation);
    }
}

void TestPassword::roundTripDefaultParameters()
{
    const QString password = QStringLiteral("correct horse battery staple");
    auto stored = hashPassword(password);
    QVERIFY2(stored.has_value(), qPrintable(stored ? QString() : stored.error().message));
    QVERIFY(stored->startsWith(QLatin1String("scrypt$15$8$1$")));
    QVERIFY(verifyPassword(password, *stored));
    QVERIFY(!crypto::needsRehash(*stored));

    // Non-ASCII passwords hash as UTF-8.
    const QString unicode = QStringLiteral("pässwörd-日本語-🔑");
    auto u = hashPassword(unicode, kFast);
    QVERIFY(u.has_value());
    QVERIFY(verifyPassword(unicode, *u));
    QVERIFY(!verifyPassword(QStringLiteral("passwörd-日本語-🔑"), *u));
}

void TestPassword::wrongPasswordFails_data()
{
    QTest::addColumn<QString>("candidate");
    QTest::newRow("different") << QStringLiteral("Tr0ub4dor&3");
    QTest::newRow("empty") << QString();
    QTest::newRow("case changed") << QStringLiteral("Correct horse battery staple");
    QTest::newRow("extra character") << QStringLiteral("correct horse battery staple ");
    QTest::newRow("one character short") << QStringLiteral("correct horse battery stapl");
    // (A trailing NUL would not count: HMAC pads short keys with zeros, in every scrypt implementation.)
    QTest::newRow("NUL instead of a space")
        << QStringLiteral("correct horse battery").append(QChar(0)).append(QStringLiteral("staple"));
}

void TestPassword::wrongPasswordFails()
{
    QFETCH(QString, candidate);
    auto stored = hashPassword(QStringLiteral("correct horse battery staple"), kFast);
    QVERIFY(stored.has_value());
    QVERIFY(!verifyPassword(candidate, *stored));
}

void TestPassword::hashesAreSalted()
{
    const QString password = QStringLiteral("same password twice");
    auto a = hashPassword(password, kFast);
    auto b = hashPassword(password, kFast);
    QVERIFY(a.has_value());
    QVERIFY(b.has_value());
    QVERIFY(*a != *b);
    QVERIFY(a->split(u'$').at(4) != b->split(u'$').at(4));
    QVERIFY(verifyPassword(password, *a));
    QVERIFY(verifyPassword(password, *b));
}

void TestPassword::storedFormat()
{
    auto stored = hashPassword(QStringLiteral("format check"), ScryptParams{12, 4, 2});
    QVERIFY(stored.has_value());
    const QStringList parts = stored->split(u'$');
    QCOMPARE(parts.size(), 6);
    QCOMPARE(parts.at(0), QStringLiteral("scrypt"));
    QCOMPARE(parts.at(1), QStringLiteral("12"));
    QCOMPARE(parts.at(2), QStringLiteral("4"));
    QCOMPARE(parts.at(3), QStringLiteral("2"));
    const QByteArray salt = QByteArray::fromBase64(parts.at(4).toLatin1());
    const QByteArray hash = QByteArray::fromBase64(parts.at(5).toLatin1());
    QCOMPARE(salt.size(), 16);
    QCOMPARE(hash.size(), 32);
    // The stored hash is plain scrypt over the UTF-8 password, so any scrypt implementation can check it.
    auto expected = crypto::scrypt("format check", salt, 12, 4, 2, 32);
    QVERIFY(expected.has_value());
    QCOMPARE(hash.toHex(), expected->toHex());
}

void TestPassword::tamperedStoredStringsFail_data()
{
    QTest::addColumn<QString>("stored");

    auto made = hashPassword(QStringLiteral("hunter2hunter2"), kFast);
    QVERIFY(made.has_value());
    const QString good = *made;
    QVERIFY(verifyPassword(QStringLiteral("hunter2hunter2"), good));
    const QStringList parts = good.split(u'$');

    QTest::newRow("changed salt") << withField(good, 4, changedBase64(parts.at(4)));
    QTest::newRow("changed hash") << withField(good, 5, changedBase64(parts.at(5)));
    QTest::newRow("changed log2N") << withField(good, 1, QStringLiteral("11"));
    QTest::newRow("changed r") << withField(good, 2, QStringLiteral("7"));
    QTest::newRow("changed p") << withField(good, 3, QStringLiteral("2"));
    QTest::newRow("log2N with leading zero") << withField(good, 1, QStringLiteral("010"));
    QTest::newRow("log2N with sign") << withField(good, 1, QStringLiteral("+10"));
    QTest::newRow("log2N zero") << withField(good, 1, QStringLiteral("0"));
    QTest::newRow("log2N not a number") << withField(good, 1, QStringLiteral("ten"));
    QTest::newRow("r zero") << withField(good, 2, QStringLiteral("0"));
    QTest::newRow("p empty") << withField(good, 3, QString());
    QTest::newRow("other algorithm") << withField(good, 0, QStringLiteral("bcrypt"));
    QTest::newRow("upper-case algorithm") << withField(good, 0, QStringLiteral("SCRYPT"));
    // Shorter scrypt output is a prefix of the longer, so a truncated hash must not pass as a shorter dkLen.
    QTest::newRow("hash truncated to 30 bytes") << withField(good, 5, parts.at(5).left(parts.at(5).size() - 4));
    QTest::newRow("hash truncated to 16 bytes")
        << withField(good, 5, QString::fromLatin1(QByteArray::fromBase64(parts.at(5).toLatin1()).first(16).toBase64()));
    QTest::newRow("hash empty") << withField(good, 5, QString());
    QTest::newRow("salt empty") << withField(good, 4, QString());
    QTest::newRow("salt not base64") << withField(good, 4, QStringLiteral("!!!!!!!!!!!!!!!!!!!!!!!!"));
    QTest::newRow("hash without padding") << withField(good, 5, parts.at(5).chopped(1));
    QTest::newRow("trailing field") << good + QStringLiteral("$");
    QTest::newRow("missing field") << parts.mid(0, 5).join(u'$');
    QTest::newRow("leading space") << QStringLiteral(" ") + good;
    QTest::newRow("trailing newline") << good + QStringLiteral("\n");
    QTest::newRow("garbage") << QStringLiteral("not a password hash");
    QTest::newRow("dollars only") << QStringLiteral("$$$$$");
    QTest::newRow("empty") << QString();
    QTest::newRow("plain text password") << QStringLiteral("hunter2hunter2");
}

void TestPassword::tamperedStoredStringsFail()
{
    QFETCH(QString, stored);
    QVERIFY(!verifyPassword(QStringLiteral("hunter2hunter2"), stored));
}

void TestPassword::verifiesOtherParameters()
{
    // A hash made elsewhere with other parameters (here by raw scrypt) verifies: parameters travel with the hash.
    const QByteArray salt = QByteArray::fromHex("000102030405060708090a0b0c0d0e0f");
    auto hash = crypto::scrypt("legacy password", salt, 11, 4, 3, 32);
    QVERIFY(hash.has_value());
    const QString stored
        = QStringLiteral("scrypt$11$4$3$%1$%2").arg(QString::fromLatin1(salt.toBase64()), QString::fromLatin1(hash->toBase64()));
    QVERIFY(verifyPassword(QStringLiteral("legacy password"), stored));
    QVERIFY(!verifyPassword(QStringLiteral("legacy passwore"), stored));
    QVERIFY(crypto::needsRehash(stored));
}

void TestPassword::refusesExpensiveStoredParameters()
{
    // A row edited to ask for 1 GiB (or p = 64) is refused outright instead of being computed.
    auto made = hashPassword(QStringLiteral("hunter2hunter2"), kFast);
    QVERIFY(made.has_value());
    QElapsedTimer timer;
    timer.start();
    QVERIFY(!verifyPassword(QStringLiteral("hunter2hunter2"), withField(*made, 1, QStringLiteral("20"))));
    QVERIFY(!verifyPassword(QStringLiteral("hunter2hunter2"), withField(*made, 3, QStringLiteral("64"))));
    QVERIFY(!verifyPassword(QStringLiteral("hunter2hunter2"), withField(*made, 1, QStringLiteral("999"))));
    QVERIFY(timer.elapsed() < 2000);
}

void TestPassword::needsRehash_data()
{
    QTest::addColumn<int>("log2N");
    QTest::addColumn<int>("r");
    QTest::addColumn<int>("p");
    QTest::addColumn<bool>("expected");
    QTest::newRow("current") << 15 << 8 << 1 << false;
    QTest::newRow("log2N 14") << 14 << 8 << 1 << true;
    QTest::newRow("log2N 16") << 16 << 8 << 1 << true;
    QTest::newRow("r 4") << 15 << 4 << 1 << true;
    QTest::newRow("p 2") << 15 << 8 << 2 << true;
}

void TestPassword::needsRehash()
{
    QFETCH(int, log2N);
    QFETCH(int, r);
    QFETCH(int, p);
    QFETCH(bool, expected);
    auto stored = hashPassword(QStringLiteral("rehash me please"), ScryptParams{log2N, r, p});
    QVERIFY(stored.has_value());
    QCOMPARE(crypto::needsRehash(*stored), expected);
    QCOMPARE(crypto::needsRehash(*stored, ScryptParams{log2N, r, p}), false);
    QVERIFY(verifyPassword(QStringLiteral("rehash me please"), *stored));
}

void TestPassword::hashPasswordRejectsBadParameters()
{
    for (const ScryptParams params : {ScryptParams{0, 8, 1}, ScryptParams{21, 8, 1}, ScryptParams{15, 0, 1},
                                      ScryptParams{15, 8, 0}, ScryptParams{15, 8, 17}, ScryptParams{20, 8, 1}}) {
        auto stored = hashPassword(QStringLiteral("pw"), params);
        QVERIFY(!stored.has_value());
        QCOMPARE(stored.error().code, ErrorCode::Validation);
    }
    QVERIFY(crypto::needsRehash(QString()));
    QVERIFY(crypto::needsRehash(QStringLiteral("garbage")));
}

QTEST_GUILESS_MAIN(TestPassword)
#include "tst_password.moc"
