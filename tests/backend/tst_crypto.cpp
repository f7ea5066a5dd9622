// Known-answer tests for the crypto wrappers: FIPS 180 SHA-256, RFC 4231 HMAC, RFC 8032 Ed25519.
#include "backend/security/crypto.h"
#include "backend/security/ed25519.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>

using namespace kyc;
using namespace kyc::crypto;

namespace {

enum class Hmac { Sha256, Sha512 };

QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text));
}

QByteArray flipBit(QByteArray data, qsizetype byte, int bit)
{
    data[byte] = char(data.at(byte) ^ (1 << bit));
    return data;
}

QByteArray withExtraByte(QByteArray data)
{
    data.append('\0');
    return data;
}

// The permission bits of a path, or -1 when it cannot be stat()ed.
int modeOf(const QString &path)
{
    struct stat st = {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return -1;
    return int(st.st_mode & 07777);
}

// RFC 8032 section 7.1, TEST 1024: a 1023-byte message.
const char *const kTest1024Message
    = "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73"
      "be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd"
      "2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903"
      "401aa62100ab5d1a36553e06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc103b"
      "6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed185ce81bd84359d44254d95629e"
      "9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad607"
      "9cad88425de6bde1a9187ebb6092cf67bf2b13fd65f27088d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485"
      "bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128bab2"
      "7af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af"
      "58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb751fb73e666c6c655ade8297297d07ad1ba5e43f1bca3230165"
      "1339e22904cc8c42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b"
      "65e614ad6808d6f6ee34dff7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca798"
      "4a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e488acba6b965610b5480109c8b1"
      "7b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43d"
      "d497f01f17c0e2cb3797aa2a2f256656168e6c496afc5fb93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c"
      "225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380db2"
      "eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0"
      "b9d0";

} // namespace

Q_DECLARE_METATYPE(Hmac)

class TestCrypto final : public QObject
{
    Q_OBJECT

private slots:
    void sha256_data();
    void sha256();
    void hmac_data();
    void hmac();
    void ed25519_data();
    void ed25519();
    void ed25519RejectsMalformedInput();
    void ed25519GeneratedKeysSignAndVerify();
    void constantTimeEquals_data();
    void constantTimeEquals();
    void randomBytes_data();
    void randomBytes();
    void loadOrCreateCreatesPrivateFile();
    void loadOrCreateLoadsExistingPem();
    void loadOrCreateRefusesGarbage();
};

void TestCrypto::sha256_data()
{
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<QByteArray>("digestHex");

    // FIPS 180-2 appendix B and the empty message.
    QTest::newRow("abc") << QByteArray("abc") << QByteArray("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    QTest::newRow("empty") << QByteArray() << QByteArray("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    QTest::newRow("two blocks") << QByteArray("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                                << QByteArray("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

void TestCrypto::sha256()
{
    QFETCH(QByteArray, message);
    QFETCH(QByteArray, digestHex);

    QCOMPARE(crypto::sha256(message).toHex(), digestHex);
    QCOMPARE(crypto::sha256Hex(message), digestHex);

    // The incremental hasher agrees whatever the split.
    for (qsizetype split = 0; split <= message.size(); ++split) {
        Sha256 h;
        h.add(QByteArrayView(message).first(split));
        h.add(QByteArrayView(message).sliced(split));
        QCOMPARE(h.finish().toHex(), digestHex);
    }
}

void TestCrypto::hmac_data()
{
    QTest::addColumn<Hmac>("algorithm");
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QByteArray>("expected"); // raw bytes; a prefix when RFC 4231 truncates

    struct Case {
        const char *name;
        QByteArray key;
        QByteArray data;
        const char *sha256;
        const char *sha512;
    };
    QByteArray key4;
    for (char c = 0x01; c <= 0x19; ++c)
        key4.append(c);
    const Case cases[] = {
        {"case 1", QByteArray(20, '\x0b'), QByteArray("Hi There"),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
         "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e69"
         "6c203a"
         "126854"},
        {"case 2", QByteArray("Jefe"), QByteArray("what do ya want for nothing?"),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
         "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e"
         "070a38"
         "bce737"},
        {"case 3", QByteArray(20, '\xaa'), QByteArray(50, '\xdd'),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
         "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee894267427"
         "8859e1"
         "3292fb"},
        {"case 4", key4, QByteArray(50, '\xcd'), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
         "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2ad"
         "ebeb10"
         "a298dd"},
        // Test case 5 publishes only the first 128 bits of the output.
        {"case 5 (truncated to 128 bits)", QByteArray(20, '\x0c'), QByteArray("Test With Truncation"),
         "a3b6167473100ee06e0c796c2955552b", "415fad6271580a531d4179bc891d87a6"},
        {"case 6", QByteArray(131, '\xaa'), QByteArray("Test Using Larger Than Block-Size Key - Hash Key First"),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
         "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b91"
         "5a985d"
         "786598"},
        {"case 7", QByteArray(131, '\xaa'),
         QByteArray(
             "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed "
             "before being used by the HMAC algorithm."),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
         "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c9"
         "7440fa"
         "8c6a58"},
    };
    for (const auto &c : cases) {
        QTest::addRow("HMAC-SHA-256 %s", c.name) << Hmac::Sha256 << c.key << c.data << hex(c.sha256);
        QTest::addRow("HMAC-SHA-512 %s", c.name) << Hmac::Sha512 << c.key << c.data << hex(c.sha512);
    }
}

void TestCrypto::hmac()
{
    QFETCH(Hmac, algorithm);
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, data);
    QFETCH(QByteArray, expected);

    const QByteArray mac = algorithm == Hmac::Sha256 ? hmacSha256(key, data) : hmacSha512(key, data);
    QCOMPARE(mac.size(), algorithm == Hmac::Sha256 ? 32 : 64);
    QCOMPARE(mac.first(expected.size()).toHex(), expected.toHex());
}

void TestCrypto::ed25519_data()
{
    QTest::addColumn<QByteArray>("secret");
    QTest::addColumn<QByteArray>("publicKey");
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<QByteArray>("signature");

    // RFC 8032 section 7.1.
    QTest::newRow("TEST 1")
        << hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        << hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a") << QByteArray()
        << hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25b"
               "f5f0595bbe24655141438e7a100b");
    QTest::newRow("TEST 2")
        << hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
        << hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c") << hex("72")
        << hex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b"
               "2eaeb4302aeeb00d291612bb0c00");
    QTest::newRow("TEST 3")
        << hex("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7")
        << hex("fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025") << hex("af82")
        << hex("6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c"
               "15e9716ed28dc027beceea1ec40a");
    QTest::newRow("TEST 1024")
        << hex("f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5")
        << hex("278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e") << hex(kTest1024Message)
        << hex("0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b"
               "5e8fcd4f681e30a6ac00a9704a188a03");
}

void TestCrypto::ed25519()
{
    QFETCH(QByteArray, secret);
    QFETCH(QByteArray, publicKey);
    QFETCH(QByteArray, message);
    QFETCH(QByteArray, signature);
    QCOMPARE(secret.size(), 32);
    QCOMPARE(publicKey.size(), 32);
    QCOMPARE(signature.size(), 64);
    if (QByteArrayView(QTest::currentDataTag()) == "TEST 1024")
        QCOMPARE(message.size(), 1023);

    auto key = Ed25519Key::fromSeed(secret);
    QVERIFY2(key.has_value(), qPrintable(key ? QString() : key.error().message));
    QCOMPARE(key->publicKey().toHex(), publicKey.toHex());

    auto sig = key->sign(message);
    QVERIFY(sig.has_value());
    QCOMPARE(sig->toHex(), signature.toHex());
    QVERIFY(ed25519Verify(publicKey, message, signature));

    // A changed message: a flipped bit in every byte position tried, or an extra byte for the empty one.
    if (message.isEmpty()) {
        QVERIFY(!ed25519Verify(publicKey, QByteArray(1, '\0'), signature));
    } else {
        QVERIFY(!ed25519Verify(publicKey, flipBit(message, 0, 0), signature));
        QVERIFY(!ed25519Verify(publicKey, flipBit(message, message.size() - 1, 7), signature));
        QVERIFY(!ed25519Verify(publicKey, withExtraByte(message), signature));
    }
    // A flipped bit in R, in S, and in the public key.
    QVERIFY(!ed25519Verify(publicKey, message, flipBit(signature, 0, 0)));
    QVERIFY(!ed25519Verify(publicKey, message, flipBit(signature, 40, 3)));
    QVERIFY(!ed25519Verify(publicKey, message, flipBit(signature, 63, 6)));
    QVERIFY(!ed25519Verify(flipBit(publicKey, 0, 0), message, signature));
    QVERIFY(!ed25519Verify(flipBit(publicKey, 17, 5), message, signature));
}

void TestCrypto::ed25519RejectsMalformedInput()
{
    const QByteArray seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    const QByteArray pub = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    const QByteArray sig
        = hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25b"
              "f5f0595bbe24655141438e7a100b");
    QVERIFY(ed25519Verify(pub, {}, sig));
    QVERIFY(!ed25519Verify(pub.first(31), {}, sig));
    QVERIFY(!ed25519Verify(withExtraByte(pub), {}, sig));
    QVERIFY(!ed25519Verify(pub, {}, sig.first(63)));
    QVERIFY(!ed25519Verify(pub, {}, withExtraByte(sig)));
    QVERIFY(!ed25519Verify({}, {}, {}));

    auto shortSeed = Ed25519Key::fromSeed(seed.first(31));
    QVERIFY(!shortSeed.has_value());
    QCOMPARE(shortSeed.error().code, ErrorCode::Validation);
    QVERIFY(!Ed25519Key::fromSeed(withExtraByte(seed)).has_value());
}

void TestCrypto::ed25519GeneratedKeysSignAndVerify()
{
    auto a = Ed25519Key::generate();
    auto b = Ed25519Key::generate();
    QVERIFY(a.has_value());
    QVERIFY(b.has_value());
    QCOMPARE(a->publicKey().size(), 32);
    QVERIFY(a->publicKey() != b->publicKey());

    const QByteArray message("checkpoint");
    auto sig = a->sign(message);
    QVERIFY(sig.has_value());
    QCOMPARE(sig->size(), 64);
    QVERIFY(ed25519Verify(a->publicKey(), message, *sig));
    QVERIFY(!ed25519Verify(b->publicKey(), message, *sig));

    // The PEM form is PKCS#8.
    auto pem = a->privatePem();
    QVERIFY(pem.has_value());
    QVERIFY(pem->startsWith("-----BEGIN PRIVATE KEY-----"));

    // A moved key keeps signing as itself.
    Ed25519Key moved = std::move(*a);
    QVERIFY(ed25519Verify(moved.publicKey(), message, *sig));
}

void TestCrypto::constantTimeEquals_data()
{
    QTest::addColumn<QByteArray>("a");
    QTest::addColumn<QByteArray>("b");
    QTest::addColumn<bool>("equal");

    QTest::newRow("same") << QByteArray("secret-token") << QByteArray("secret-token") << true;
    QTest::newRow("both empty") << QByteArray() << QByteArray() << true;
    QTest::newRow("differs in first byte") << QByteArray("secret-token") << QByteArray("Secret-token") << false;
    QTest::newRow("differs in last byte") << QByteArray("secret-token") << QByteArray("secret-tokeN") << false;
    QTest::newRow("differs in one bit") << QByteArray("\x00\x01", 2) << QByteArray("\x00\x03", 2) << false;
    QTest::newRow("prefix") << QByteArray("secret") << QByteArray("secret-token") << false;
    QTest::newRow("longer") << QByteArray("secret-token!") << QByteArray("secret-token") << false;
    QTest::newRow("empty vs non-empty") << QByteArray() << QByteArray("x") << false;
    QTest::newRow("embedded NUL") << QByteArray("a\0b", 3) << QByteArray("a\0c", 3) << false;
    QTest::newRow("binary equal") << QByteArray(64, '\xff') << QByteArray(64, '\xff') << true;
}

void TestCrypto::constantTimeEquals()
{
    QFETCH(QByteArray, a);
    QFETCH(QByteArray, b);
    QFETCH(bool, equal);
    QCOMPARE(crypto::constantTimeEquals(a, b), equal);
    QCOMPARE(crypto::constantTimeEquals(b, a), equal);
}

void TestCrypto::randomBytes_data()
{
    QTest::addColumn<qsizetype>("n");
    QTest::newRow("0") << qsizetype(0);
    QTest::newRow("1") << qsizetype(1);
    QTest::newRow("16") << qsizetype(16);
    QTest::newRow("32") << qsizetype(32);
    QTest::newRow("4096") << qsizetype(4096);
}

void TestCrypto::randomBytes()
{
    QFETCH(qsizetype, n);
    auto a = crypto::randomBytes(n);
    auto b = crypto::randomBytes(n);
    QVERIFY(a.has_value());
    QVERIFY(b.has_value());
    QCOMPARE(a->size(), n);
    QCOMPARE(b->size(), n);
    // Two draws of 128 bits or more colliding would mean a broken generator.
    if (n >= 16) {
        QVERIFY(*a != *b);
        QVERIFY(*a != QByteArray(n, '\0'));
    }
}

void TestCrypto::loadOrCreateCreatesPrivateFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString keyDir = dir.filePath(QStringLiteral("keys"));
    const QString path = keyDir + QStringLiteral("/audit-ed25519.pem");
    QVERIFY(!QFileInfo::exists(path));

    auto created = Ed25519Key::loadOrCreate(path);
    QVERIFY2(created.has_value(), qPrintable(created ? QString() : created.error().message));
    QVERIFY(QFileInfo::exists(path));
    QCOMPARE(modeOf(path), 0600);
    QCOMPARE(QFileInfo(path).permissions(), QFile::ReadOwner | QFile::WriteOwner | QFile::ReadUser | QFile::WriteUser);
    QCOMPARE(modeOf(keyDir), 0700);

    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray pem = f.readAll();
    f.close();
    QVERIFY(pem.startsWith("-----BEGIN PRIVATE KEY-----"));

    // The second call loads the same key and leaves the file as it was.
    auto loaded = Ed25519Key::loadOrCreate(path);
    QVERIFY(loaded.has_value());
    QCOMPARE(loaded->publicKey().toHex(), created->publicKey().toHex());
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), pem);
    f.close();

    auto sig = loaded->sign("message");
    QVERIFY(sig.has_value());
    QVERIFY(ed25519Verify(created->publicKey(), "message", *sig));

    // A mode loosened by someone else is tightened again on load.
    QVERIFY(::chmod(QFile::encodeName(path).constData(), 0644) == 0);
    QVERIFY(Ed25519Key::loadOrCreate(path).has_value());
    QCOMPARE(modeOf(path), 0600);
}

void TestCrypto::loadOrCreateLoadsExistingPem()
{
    // A key written elsewhere (here, from the RFC 8032 TEST 1 seed) is loaded, not replaced.
    auto key = Ed25519Key::fromSeed(hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
    QVERIFY(key.has_value());
    auto pem = key->privatePem();
    QVERIFY(pem.has_value());

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("given.pem"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QCOMPARE(f.write(*pem), pem->size());
    f.close();

    auto loaded = Ed25519Key::loadOrCreate(path);
    QVERIFY(loaded.has_value());
    QCOMPARE(loaded->publicKey().toHex(), QByteArray("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
    QCOMPARE(modeOf(path), 0600);
}

void TestCrypto::loadOrCreateRefusesGarbage()
{
    // A damaged key file must not be silently replaced: that would orphan every signed checkpoint.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("broken.pem"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("not a key\n");
    f.close();

    auto loaded = Ed25519Key::loadOrCreate(path);
    QVERIFY(!loaded.has_value());
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("not a key\n"));
}

QTEST_GUILESS_MAIN(TestCrypto)
#include "tst_crypto.moc"
