// Secrets at rest (issue 8, attack 6): AES-256-GCM against published vectors, the sealed-secret
// format, the data key in the OS keychain (run under a private Secret Service by the
// tst_secrets_at_rest_keychain ctest entry) or in a 0600 file, the modes of the data directory, the
// database and its WAL, the mail drop, and that neither a reset token nor a TOTP secret can be read
// from the database files, including ones written in clear by an earlier version.
#include "backend/identity/accountservice.h"
#include "backend/identity/authservice.h"
#include "backend/identity/outbox.h"
#include "backend/security/aead.h"
#include "backend/security/datakey.h"
#include "backend/security/secretbox.h"
#include "backend/security/totp.h"
#include "tests/testsupport/testsupport.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>

using namespace kyc;
using namespace Qt::StringLiterals;

namespace {

const QString kPassword = u"correct horse battery"_s;

QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text));
}

int modeOf(const QString &path)
{
    struct stat st = {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return -1;
    return int(st.st_mode & 07777);
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Every byte of the database as it lies on disk: the main file, its WAL and shared memory.
QByteArray databaseBytes(const QString &dataDir)
{
    const QString db = Backend::databasePath(dataDir);
    return QByteArray(readAll(db) + readAll(db + u"-wal"_s) + readAll(db + u"-shm"_s));
}

QString tokenIn(const QByteArray &eml)
{
    QByteArray text = eml;
    text.replace("=\r\n", "");
    return QRegularExpression(u"\r?\n    (\\S+)\r?\n"_s).match(QString::fromUtf8(text)).captured(1);
}

// The newest .eml file in the mail drop.
QString newestEml(const QString &dataDir)
{
    const QDir dir(QDir(dataDir).filePath(u"outbox"_s));
    const auto files = dir.entryInfoList({u"*.eml"_s}, QDir::Files, QDir::Time);
    return files.isEmpty() ? QString() : files.first().absoluteFilePath();
}

QVariant scalar(Backend &b, const QString &sql, const QVariantList &binds = {})
{
    QSqlQuery q(b.database().connection());
    q.prepare(sql);
    for (const auto &v : binds)
        q.addBindValue(v);
    return q.exec() && q.next() ? q.value(0) : QVariant();
}

Config fileConfig(const QString &dir)
{
    Config c = test::testConfig();
    c.dataDir = dir;
    return c;
}

} // namespace

class TstSecretsAtRest : public QObject
{
    Q_OBJECT

private slots:
    // NIST: the AES-256 cases of the GCM specification (McGrew & Viega, test cases 13 to 16), which
    // NIST SP 800-38D's validation material carries: empty input, one zero block, four blocks, and
    // 60 bytes with 20 bytes of associated data.
    void aesGcmNistVectors_data()
    {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QByteArray>("iv");
        QTest::addColumn<QByteArray>("plaintext");
        QTest::addColumn<QByteArray>("aad");
        QTest::addColumn<QByteArray>("ciphertext");
        QTest::addColumn<QByteArray>("tag");
        const QByteArray zeroKey(32, '\0'), zeroIv(12, '\0');
        QTest::newRow("case 13") << zeroKey << zeroIv << QByteArray() << QByteArray() << QByteArray()
                                 << hex("530f8afbc74536b9a963b4f1c4cb738b");
        QTest::newRow("case 14") << zeroKey << zeroIv << QByteArray(16, '\0') << QByteArray()
                                 << hex("cea7403d4d606b6e074ec5d3baf39d18") << hex("d0d1c8a799996bf0265b98b5d48ab919");
        const QByteArray key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
        const QByteArray iv = hex("cafebabefacedbaddecaf888");
        QTest::newRow("case 15") << key << iv
                                 << hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
                                        "49a6b525b16aedf5aa0de657ba637b391aafd255")
                                 << QByteArray()
                                 << hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10"
                                        "56828838c5f61e6393ba7a0abcc9f662898015ad")
                                 << hex("b094dac5d93471bdec1a502270e3cc6c");
        QTest::newRow("case 16") << key << iv
                                 << hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
                                        "49a6b525b16aedf5aa0de657ba637b39")
                                 << hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
                                 << hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10"
                                        "56828838c5f61e6393ba7a0abcc9f662")
                                 << hex("76fc6ece0f4e1768cddf8853bb2d551b");
    }
    void aesGcmNistVectors()
    {
        QFETCH(QByteArray, key);
        QFETCH(QByteArray, iv);
        QFETCH(QByteArray, plaintext);
        QFETCH(QByteArray, aad);
        QFETCH(QByteArray, ciphertext);
        QFETCH(QByteArray, tag);
        auto sealed = crypto::aes256GcmEncrypt(key, iv, plaintext, aad);
        QVERIFY(sealed);
        QCOMPARE(sealed->toHex(), QByteArray(ciphertext + tag).toHex());
        auto opened = crypto::aes256GcmDecrypt(key, iv, *sealed, aad);
        QVERIFY(opened);
        QCOMPARE(*opened, plaintext);
        // Any altered byte, and other associated data, fail without plaintext.
        for (qsizetype i = 0; i < sealed->size(); ++i) {
            QByteArray bad = *sealed;
            bad[i] = char(bad.at(i) ^ 0x01);
            QVERIFY2(!crypto::aes256GcmDecrypt(key, iv, bad, aad), qPrintable(u"byte %1"_s.arg(i)));
        }
        QVERIFY(!crypto::aes256GcmDecrypt(key, iv, *sealed, QByteArray(aad + "x")));
        QVERIFY(!crypto::aes256GcmDecrypt(key, iv, sealed->left(sealed->size() - 1), aad));
        // Wrong sizes are refused, not truncated or padded.
        QCOMPARE(crypto::aes256GcmEncrypt(key.left(16), iv, plaintext, aad).error().code, ErrorCode::Validation);
        QCOMPARE(crypto::aes256GcmEncrypt(key, iv.left(8), plaintext, aad).error().code, ErrorCode::Validation);
    }

    void secretBoxSealsWithAFreshNonceAndItsContext()
    {
        const crypto::SecretBox box(QByteArray(32, 'k'));
        auto a = box.seal("JBSWY3DPEHPK3PXP", "user-1");
        auto b = box.seal("JBSWY3DPEHPK3PXP", "user-1");
        QVERIFY(a && b);
        QVERIFY(crypto::SecretBox::isSealed(*a));
        QVERIFY(!a->contains(u"JBSWY3DPEHPK3PXP"_s));
        QVERIFY(*a != *b); // a nonce per sealing
        QCOMPARE(box.open(*a, "user-1").value_or(QByteArray()), QByteArray("JBSWY3DPEHPK3PXP"));
        QCOMPARE(box.open(*b, "user-1").value_or(QByteArray()), QByteArray("JBSWY3DPEHPK3PXP"));
        // Moved to another user's row, it does not open; neither under another key.
        QVERIFY(!box.open(*a, "user-2"));
        QVERIFY(!crypto::SecretBox(QByteArray(32, 'j')).open(*a, "user-1"));
        QVERIFY(!box.open(u"JBSWY3DPEHPK3PXP"_s, "user-1"));
        QVERIFY(!box.open(u"gcm1:!!!"_s, "user-1"));
    }

    // No keychain wanted (or none reachable): keys/data.key, 0600 in a 0700 folder, the same key every time.
    void dataKeyFileFallback()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto key = crypto::loadOrCreateDataKey(dir.path(), {KeyStore::File});
        QVERIFY2(key, qPrintable(key ? QString() : key.error().message));
        QCOMPARE(key->where, crypto::DataKey::Where::File);
        QCOMPARE(key->key.size(), 32);
        const QString file = crypto::dataKeyFilePath(dir.path());
        QCOMPARE(key->location, file);
        QCOMPARE(modeOf(file), 0600);
        QCOMPARE(modeOf(QFileInfo(file).absolutePath()), 0700);
        QCOMPARE(readAll(file), key->key);
        auto again = crypto::loadOrCreateDataKey(dir.path(), {KeyStore::Auto});
        QVERIFY(again);
        QCOMPARE(again->key, key->key); // a key in the file stays in the file
        QVERIFY(!QFileInfo::exists(crypto::dataKeyMarkerPath(dir.path())));
    }

    // A key that was put in the keychain is only ever looked for there: without its entry, no new key.
    void keychainKeyIsNeverSilentlyReplaced()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(QDir().mkpath(dir.filePath(u"keys"_s)));
        QFile marker(crypto::dataKeyMarkerPath(dir.path()));
        QVERIFY(marker.open(QIODevice::WriteOnly));
        marker.write("data-key:/no/such/entry/for/kyconnect/tests\n");
        marker.close();
        crypto::DataKeyOptions options{KeyStore::Auto};
        options.keychainTimeoutMs = 3000;
        auto key = crypto::loadOrCreateDataKey(dir.path(), options);
        QVERIFY(!key);
        QCOMPARE(key.error().code, ErrorCode::Unavailable);
        QVERIFY2(key.error().message.contains(u"keychain"_s), qPrintable(key.error().message));
        QVERIFY(!QFileInfo::exists(crypto::dataKeyFilePath(dir.path())));
    }

    // Under tst_secrets_at_rest_keychain (a private D-Bus session with gnome-keyring's Secret Service),
    // the key goes to the keychain, nothing but a marker goes to disk, and the server opens with it.
    void keychainHoldsTheDataKey()
    {
        if (qEnvironmentVariable("KYC_TEST_KEYCHAIN") != u"1"_s)
            QSKIP("run by the tst_secrets_at_rest_keychain ctest entry, under its own Secret Service");
        QVERIFY2(crypto::keychainSupported(), "this build has no QtKeychain");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        crypto::DataKeyOptions options{KeyStore::Keychain};
        auto key = crypto::loadOrCreateDataKey(dir.path(), options);
        QVERIFY2(key, qPrintable(key ? QString() : key.error().message));
        QCOMPARE(key->where, crypto::DataKey::Where::Keychain);
        QCOMPARE(key->key.size(), 32);
        QVERIFY(key->location.contains(crypto::keychainAccount(dir.path())));
        QVERIFY(!QFileInfo::exists(crypto::dataKeyFilePath(dir.path())));
        QCOMPARE(modeOf(crypto::dataKeyMarkerPath(dir.path())), 0600);
        QVERIFY(!readAll(crypto::dataKeyMarkerPath(dir.path())).contains(key->key.toBase64()));
        auto again = crypto::loadOrCreateDataKey(dir.path(), {KeyStore::Auto});
        QVERIFY(again);
        QCOMPARE(again->where, crypto::DataKey::Where::Keychain);
        QCOMPARE(again->key, key->key);

        // A whole server on it: MFA works, the key is nowhere on disk.
        {
            Config config = test::testConfig();
            config.dataDir = dir.path();
            config.keyStore = KeyStore::Auto;
            FakeClock clock;
            auto b = Backend::open(config, clock);
            QVERIFY2(b, qPrintable(b ? QString() : b.error().message));
            QVERIFY((*b)->dataKeyLocation().startsWith(u"KYConnect/data-key:"_s));
            auto firm = (*b)->accounts().createFirm(
                {u"Keyring Ltd"_s, u"GB"_s, {}, u"owner@keyring.test"_s, kPassword, u"Kim Owner"_s, {}});
            QVERIFY(firm);
            auto signIn = (*b)->auth().login({u"owner@keyring.test"_s, kPassword, {}, {}, {}});
            QVERIFY(signIn);
            auto actor = (*b)->auth().authenticate(signIn->accessToken, {});
            QVERIFY(actor);
            auto setup = (*b)->auth().mfaSetup(*actor);
            QVERIFY(setup);
            const auto raw = crypto::base32Decode(setup->secret);
            QVERIFY(raw);
            QVERIFY((*b)->auth().mfaVerify(*actor, crypto::totpAt(*raw, clock.now().toSecsSinceEpoch())));
            QVERIFY(!databaseBytes(dir.path()).contains(setup->secret.toLatin1()));
        }
        QDirIterator it(dir.path(), QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            QVERIFY2(!readAll(path).contains(key->key), qPrintable(path));
        }

        QVERIFY(crypto::deleteKeychainDataKey(dir.path(), options));
        auto gone = crypto::loadOrCreateDataKey(dir.path(), {KeyStore::Auto});
        QVERIFY(!gone); // the marker says "keychain": no silent new key
        QCOMPARE(gone.error().code, ErrorCode::Unavailable);
    }

    // Data directory 0700, database, WAL and shared memory 0600, also when an earlier version left them looser.
    void dataDirectoryAndDatabaseAreOwnerOnly()
    {
        QTemporaryDir parent;
        QVERIFY(parent.isValid());
        const QString dir = parent.filePath(u"data"_s);
        FakeClock clock;
        {
            auto b = Backend::open(fileConfig(dir), clock);
            QVERIFY2(b, qPrintable(b ? QString() : b.error().message));
            QVERIFY(
                (*b)->accounts().createFirm({u"Modes Ltd"_s, u"GB"_s, {}, u"owner@modes.test"_s, kPassword, u"M Owner"_s, {}}));
            const QString db = Backend::databasePath(dir);
            QCOMPARE(modeOf(dir), 0700);
            QCOMPARE(modeOf(db), 0600);
            QVERIFY(QFileInfo::exists(db + u"-wal"_s));
            QCOMPARE(modeOf(db + u"-wal"_s), 0600);
            QCOMPARE(modeOf(db + u"-shm"_s), 0600);
            QCOMPARE(modeOf(crypto::dataKeyFilePath(dir)), 0600);
        }
        // As an earlier version (or a careless copy) left them.
        const QString db = Backend::databasePath(dir);
        QCOMPARE(::chmod(QFile::encodeName(dir).constData(), 0755), 0);
        for (const QString &f : QStringList{db, db + u"-wal"_s, db + u"-shm"_s}) {
            if (QFileInfo::exists(f))
                QCOMPARE(::chmod(QFile::encodeName(f).constData(), 0644), 0);
        }
        {
            auto b = Backend::open(fileConfig(dir), clock);
            QVERIFY(b);
            QCOMPARE(modeOf(dir), 0700);
            QCOMPARE(modeOf(db), 0600);
            for (const QString &f : QStringList{db + u"-wal"_s, db + u"-shm"_s}) {
                if (QFileInfo::exists(f))
                    QCOMPARE(modeOf(f), 0600);
            }
        }
    }

    // A reset token reaches its reader (the .eml drop, owner-only) and nowhere else: the row keeps no
    // copy once delivered, and the database files never held one.
    void resetTokenIsNotKeptInTheDatabase()
    {
        test::TempBackend tb;
        QVERIFY(tb.ok());
        auto &b = tb.backend();
        QVERIFY(b.accounts().createFirm({u"Tokens Ltd"_s, u"GB"_s, {}, u"owner@tokens.test"_s, kPassword, u"T Owner"_s, {}}));
        b.auth().forgotPassword(u"owner@tokens.test"_s, u"127.0.0.1"_s);
        const QString eml = newestEml(tb.dataDir());
        QVERIFY(!eml.isEmpty());
        QCOMPARE(modeOf(eml), 0600);
        QCOMPARE(modeOf(QFileInfo(eml).absolutePath()), 0700);
        const QString token = tokenIn(readAll(eml));
        QVERIFY(token.size() >= 20);
        QCOMPARE(scalar(b, u"SELECT body FROM mail_outbox WHERE to_address = ?"_s, {u"owner@tokens.test"_s}).toString(),
                 QString());
        QVERIFY(!scalar(b, u"SELECT sent_at FROM mail_outbox WHERE to_address = ?"_s, {u"owner@tokens.test"_s}).isNull());
        QVERIFY(!databaseBytes(tb.dataDir()).contains(token.toLatin1()));
        // And the token works.
        QVERIFY(b.auth().resetPassword(token, u"a new long passphrase"_s, {}));
    }

    // TOTP secrets are stored sealed (pending and enabled), and MFA works with them.
    void totpSecretIsStoredSealed()
    {
        test::TempBackend tb;
        QVERIFY(tb.ok());
        auto &b = tb.backend();
        auto firm = b.accounts().createFirm({u"Totp Ltd"_s, u"GB"_s, {}, u"owner@totp.test"_s, kPassword, u"T Owner"_s, {}});
        QVERIFY(firm);
        const QString userId = firm->second.id;
        auto signIn = b.auth().login({u"owner@totp.test"_s, kPassword, {}, {}, {}});
        QVERIFY(signIn);
        auto actor = b.auth().authenticate(signIn->accessToken, {});
        QVERIFY(actor);
        auto setup = b.auth().mfaSetup(*actor);
        QVERIFY(setup);
        const QString pending = scalar(b, u"SELECT mfa_pending_secret FROM users WHERE id = ?"_s, {userId}).toString();
        QVERIFY2(pending.startsWith(u"gcm1:"_s), qPrintable(pending));
        QVERIFY(!databaseBytes(tb.dataDir()).contains(setup->secret.toLatin1()));
        const auto raw = crypto::base32Decode(setup->secret);
        QVERIFY(raw);
        QVERIFY(b.auth().mfaVerify(*actor, crypto::totpAt(*raw, tb.clock().now().toSecsSinceEpoch())));
        const QString stored = scalar(b, u"SELECT mfa_secret FROM users WHERE id = ?"_s, {userId}).toString();
        QVERIFY2(stored.startsWith(u"gcm1:"_s), qPrintable(stored));
        QVERIFY(!databaseBytes(tb.dataDir()).contains(setup->secret.toLatin1()));
        tb.clock().advanceMs(30'000);
        auto withCode = b.auth().login(
            {u"owner@totp.test"_s, kPassword, crypto::totpAt(*raw, tb.clock().now().toSecsSinceEpoch()), {}, {}});
        QVERIFY2(withCode, qPrintable(withCode ? QString() : withCode.error().message));
        // Copied to another user's row, the sealed secret does not open (the user id is its context).
        auto other
            = b.accounts().createUser(Actor::system(firm->first.id), u"second@totp.test"_s, u"Second"_s, Role::Viewer, kPassword);
        QVERIFY(other);
        QSqlQuery copy(b.database().connection());
        copy.prepare(u"UPDATE users SET mfa_enabled = 1, mfa_secret = ? WHERE id = ?"_s);
        copy.addBindValue(stored);
        copy.addBindValue(other->id);
        QVERIFY(copy.exec());
        tb.clock().advanceMs(30'000);
        QVERIFY(!b.auth().login(
            {u"second@totp.test"_s, kPassword, crypto::totpAt(*raw, tb.clock().now().toSecsSinceEpoch()), {}, {}}));
    }

    // A database from before sealing: clear TOTP secrets and mail bodies are sealed (waiting mail) or
    // blanked (delivered mail) when it is opened, and MFA keeps working.
    void clearSecretsFromEarlierVersionsAreMigrated()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        FakeClock clock;
        const QString b32 = u"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"_s;
        QString userId;
        {
            auto b = Backend::open(fileConfig(dir.path()), clock);
            QVERIFY(b);
            auto firm
                = (*b)->accounts().createFirm({u"Old Ltd"_s, u"GB"_s, {}, u"owner@old.test"_s, kPassword, u"O Owner"_s, {}});
            QVERIFY(firm);
            userId = firm->second.id;
            QSqlQuery q((*b)->database().connection());
            q.prepare(u"UPDATE users SET mfa_enabled = 1, mfa_secret = ? WHERE id = ?"_s);
            q.addBindValue(b32);
            q.addBindValue(userId);
            QVERIFY(q.exec());
            for (const auto &[id, sent] : {std::pair{u"m-waiting"_s, false}, std::pair{u"m-delivered"_s, true}}) {
                QSqlQuery m((*b)->database().connection());
                m.prepare(u"INSERT INTO mail_outbox (id, to_address, subject, body, kind, created_at, eml_file, sent_at) "
                          "VALUES (?, 'x@old.test', 'Reset', ?, 'password_reset', '2026-01-01T00:00:00.000Z', ?, ?)"_s);
                m.addBindValue(id);
                m.addBindValue(u"Your token:\n\n    clear-token-%1\n"_s.arg(id));
                m.addBindValue(QString(id + u".eml"_s));
                m.addBindValue(sent ? QVariant(u"2026-01-01T00:00:01.000Z"_s) : QVariant(QMetaType::fromType<QString>()));
                QVERIFY(m.exec());
            }
        }
        auto b = Backend::open(fileConfig(dir.path()), clock);
        QVERIFY(b);
        const QString secret = scalar(**b, u"SELECT mfa_secret FROM users WHERE id = ?"_s, {userId}).toString();
        QVERIFY2(secret.startsWith(u"gcm1:"_s), qPrintable(secret));
        const QString waiting = scalar(**b, u"SELECT body FROM mail_outbox WHERE id = 'm-waiting'"_s).toString();
        QVERIFY2(waiting.startsWith(u"gcm1:"_s), qPrintable(waiting));
        QCOMPARE(scalar(**b, u"SELECT body FROM mail_outbox WHERE id = 'm-delivered'"_s).toString(), QString());
        // The waiting mail is still delivered whole.
        (*b)->outbox().flush();
        QCOMPARE(tokenIn(readAll(QDir((*b)->outbox().directory()).filePath(u"m-waiting.eml"_s))), u"clear-token-m-waiting"_s);
        const auto raw = crypto::base32Decode(b32);
        QVERIFY(raw);
        auto signIn
            = (*b)->auth().login({u"owner@old.test"_s, kPassword, crypto::totpAt(*raw, clock.now().toSecsSinceEpoch()), {}, {}});
        QVERIFY2(signIn, qPrintable(signIn ? QString() : signIn.error().message));
    }
};

QTEST_GUILESS_MAIN(TstSecretsAtRest)
#include "tst_secrets_at_rest.moc"
