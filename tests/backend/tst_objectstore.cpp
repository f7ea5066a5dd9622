// The object store without HTTP: key and media-type rules, who may upload and download, the files
// on disk (private, atomic, never named by the client), integrity on read, replacement inside a
// caller's transaction, URL signatures and expiry on a fake clock, the signing secret surviving a
// restart, and the configuration that feeds it (KYCONNECT_PUBLIC_URL, KYCONNECT_STORAGE_MAX_BYTES).
#include "backend/core/ids.h"
#include "backend/identity/accountservice.h"
#include "backend/objects/objectstore.h"
#include "backend/security/secretfile.h"
#include "tests/testsupport/testsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QUrlQuery>
#include <QtTest>

using namespace kyc;
using namespace Qt::Literals::StringLiterals;

namespace {

const QString kPassword = u"correct horse battery staple"_s;

QString sha256Of(const QByteArray &bytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());
}

// The parts of a pre-signed URL, as the HTTP adapter reads them.
objects::SignedRequest parse(const QString &url)
{
    const QUrl u(url);
    const QUrlQuery q(u.query(QUrl::FullyEncoded));
    auto v = [&](const char *name) { return q.queryItemValue(QLatin1String(name), QUrl::FullyDecoded); };
    return {u.path().section(u'/', -1), v("firm"), v("method"), v("expires"), v("content_type"), v("by"), v("signature")};
}

QProcessEnvironment envOf(std::initializer_list<std::pair<const char *, const char *>> vars)
{
    QProcessEnvironment env;
    for (const auto &[name, value] : vars)
        env.insert(QLatin1String(name), QString::fromUtf8(value));
    return env;
}

} // namespace

class TestObjectStore : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::TempBackend> m_tb;
    QString m_firmA, m_firmB;
    Actor m_owner, m_analyst, m_viewer, m_ownerB;

    Backend &backend() { return m_tb->backend(); }
    objects::ObjectStore &store() { return backend().objects(); }
    QString objectsDir(const QString &firmId) const { return m_tb->dataDir() + u"/objects/"_s + firmId; }

    static Actor user(const identity::User &u, const QString &firmId, Role role)
    {
        Actor a;
        a.kind = Actor::Kind::User;
        a.userId = u.id;
        a.firmId = firmId;
        a.role = role;
        a.ip = u"10.0.0.1"_s;
        return a;
    }

private slots:
    void initTestCase()
    {
        m_tb = std::make_unique<test::TempBackend>();
        QVERIFY(m_tb->ok());
        auto &accounts = backend().accounts();
        auto a = accounts.createFirm({u"Objects Alpha"_s, u"GB"_s, {}, u"owner@obj-a.test"_s, kPassword, u"Owner A"_s, {}});
        auto b = accounts.createFirm({u"Objects Beta"_s, u"DE"_s, {}, u"owner@obj-b.test"_s, kPassword, u"Owner B"_s, {}});
        QVERIFY(a && b);
        m_firmA = a->first.id;
        m_firmB = b->first.id;
        auto analyst = accounts.createUser(Actor::system(m_firmA), u"analyst@obj-a.test"_s, u"An"_s, Role::Analyst, kPassword);
        auto viewer = accounts.createUser(Actor::system(m_firmA), u"viewer@obj-a.test"_s, u"Vi"_s, Role::Viewer, kPassword);
        QVERIFY(analyst && viewer);
        m_owner = user(a->second, m_firmA, Role::Owner);
        m_analyst = user(*analyst, m_firmA, Role::Analyst);
        m_viewer = user(*viewer, m_firmA, Role::Viewer);
        m_ownerB = user(b->second, m_firmB, Role::Owner);
    }

    void keys_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<bool>("valid");
        QTest::newRow("letters") << u"report"_s << true;
        QTest::newRow("one character") << u"a"_s << true;
        QTest::newRow("digit first") << u"2026-q1.csv"_s << true;
        QTest::newRow("dots, dashes, underscores") << u"a.b-c_d..e"_s << true;
        QTest::newRow("255 characters") << QString(255, u'k') << true;
        QTest::newRow("256 characters") << QString(256, u'k') << false;
        QTest::newRow("empty") << QString() << false;
        QTest::newRow("slash") << u"a/b"_s << false;
        QTest::newRow("backslash") << u"a\\b"_s << false;
        QTest::newRow("dot dot") << u".."_s << false;
        QTest::newRow("leading dot") << u".env"_s << false;
        QTest::newRow("leading dash") << u"-rf"_s << false;
        QTest::newRow("space") << u"a b"_s << false;
        QTest::newRow("percent") << u"a%2Fb"_s << false;
        QTest::newRow("non-ASCII letter") << u"résumé"_s << false;
        QTest::newRow("NUL") << QString(u"a\0b"_s) << false;
    }

    void keys()
    {
        QFETCH(QString, key);
        QFETCH(bool, valid);
        QCOMPARE(objects::ObjectStore::isValidKey(key), valid);
    }

    void contentTypes_data()
    {
        QTest::addColumn<QString>("contentType");
        QTest::addColumn<bool>("valid");
        QTest::newRow("pdf") << u"application/pdf"_s << true;
        QTest::newRow("with a parameter") << u"text/plain; charset=utf-8"_s << true;
        QTest::newRow("vendor type") << u"application/vnd.openxmlformats-officedocument.wordprocessingml.document"_s << true;
        QTest::newRow("no subtype") << u"pdf"_s << false;
        QTest::newRow("empty") << QString() << false;
        QTest::newRow("line break") << u"text/plain\r\nX-Evil: 1"_s << false;
        QTest::newRow("non-ASCII") << u"text/plain; name=é"_s << false;
        QTest::newRow("256 characters") << u"text/"_s + QString(251, u'x') << false;
    }

    void contentTypes()
    {
        QFETCH(QString, contentType);
        QFETCH(bool, valid);
        QCOMPARE(objects::ObjectStore::isValidContentType(contentType), valid);
    }

    void permissions()
    {
        const QByteArray bytes = "permission test";
        QCOMPARE(store().put(m_viewer, u"p.txt"_s, bytes, {}).error().code, ErrorCode::Forbidden);
        QCOMPARE(store().put(Actor{}, u"p.txt"_s, bytes, {}).error().code, ErrorCode::Unauthenticated);
        Actor readKey;
        readKey.kind = Actor::Kind::ApiKey;
        readKey.apiKeyId = newId();
        readKey.firmId = m_firmA;
        readKey.scopes = {objects::kReadScope};
        QCOMPARE(store().put(readKey, u"p.txt"_s, bytes, {}).error().code, ErrorCode::Forbidden);
        Actor noFirm = m_analyst;
        noFirm.firmId.clear();
        QCOMPARE(store().put(noFirm, u"p.txt"_s, bytes, {}).error().code, ErrorCode::Forbidden);
        QCOMPARE(store().put(m_analyst, u"a/b"_s, bytes, {}).error().code, ErrorCode::Validation);
        QCOMPARE(store().put(m_analyst, u"p.txt"_s, bytes, u"bad type"_s).error().code, ErrorCode::Validation);
        QVERIFY(!store().object(m_firmA, u"p.txt"_s));

        auto stored = store().put(m_analyst, u"p.txt"_s, bytes, u"text/plain"_s);
        QVERIFY2(stored, stored ? "" : qPrintable(stored.error().message));
        QVERIFY(store().put(Actor::system(m_firmA), u"p.txt"_s, bytes, {}));

        // Reading: any member, keys with storage:read only.
        QVERIFY(store().read(m_viewer, u"p.txt"_s));
        QVERIFY(store().read(readKey, u"p.txt"_s));
        Actor writeKey = readKey;
        writeKey.scopes = {objects::kWriteScope};
        QCOMPARE(store().read(writeKey, u"p.txt"_s).error().code, ErrorCode::Forbidden);
        QVERIFY(store().put(writeKey, u"p.txt"_s, bytes, {}));

        // Presigning follows the same rules.
        QCOMPARE(store().presign(m_viewer, {u"x"_s, objects::Access::Write, {}, 60}).error().code, ErrorCode::Forbidden);
        QVERIFY(store().presign(m_viewer, {u"x"_s, objects::Access::Read, {}, 60}));
        QCOMPARE(store().presign(Actor{}, {u"x"_s, objects::Access::Read, {}, 60}).error().code, ErrorCode::Unauthenticated);
        QCOMPARE(store().presign(readKey, {u"x"_s, objects::Access::Write, {}, 60}).error().code, ErrorCode::Forbidden);
    }

    void filesOnDisk()
    {
        const QByteArray bytes("\0\1\2binary\r\n\0", 12);
        auto o = store().put(m_analyst, u"evidence-1.bin"_s, bytes, {});
        QVERIFY(o);
        QCOMPARE(o->size, qint64(bytes.size()));
        QCOMPARE(o->sha256, sha256Of(bytes));
        QCOMPARE(o->createdBy, m_analyst.userId);
        QVERIFY(o->contentType.isEmpty());
        const QFileInfo file(o->filePath);
        QVERIFY(file.isAbsolute() && file.exists());
        QCOMPARE(file.absolutePath(), QFileInfo(objectsDir(m_firmA)).absoluteFilePath());
        QVERIFY(!file.fileName().contains(u"evidence"_s));
        QCOMPARE(int(file.permissions() & 0x0077), 0);
        QCOMPARE(int(QFileInfo(objectsDir(m_firmA)).permissions() & 0x0077), 0);
        QCOMPARE(int(QFileInfo(m_tb->dataDir() + u"/objects"_s).permissions() & 0x0077), 0);
        for (const auto &f : QDir(objectsDir(m_firmA)).entryList(QDir::Files | QDir::Hidden))
            QVERIFY2(!f.startsWith(u'.'), qPrintable(f));

        auto back = store().object(m_firmA, u"evidence-1.bin"_s);
        QVERIFY(back);
        QCOMPARE(back->filePath, o->filePath);
        QCOMPARE(back->sha256, o->sha256);
        // Another firm's key answers NotFound, as does a key that cannot exist.
        QCOMPARE(store().object(m_firmB, u"evidence-1.bin"_s).error().code, ErrorCode::NotFound);
        QCOMPARE(store().object(m_firmA, u"../kyconnect.db"_s).error().code, ErrorCode::NotFound);
        QCOMPARE(store().object(u"not-a-firm"_s, u"evidence-1.bin"_s).error().code, ErrorCode::NotFound);
        QCOMPARE(store().read(m_ownerB, u"evidence-1.bin"_s).error().code, ErrorCode::NotFound);

        // The audit event went with the row.
        audit::Filter f;
        f.action = u"storage.object_uploaded"_s;
        f.entityId = u"evidence-1.bin"_s;
        auto events = backend().audit().list(m_firmA, f, {1, 10});
        QVERIFY(events);
        QCOMPARE(events->items.size(), 1);
        QCOMPARE(events->items[0].details.value(u"sha256"_s).toString(), sha256Of(bytes));
        QVERIFY(events->items[0].details.value(u"content_type"_s).isNull());
        QCOMPARE(events->items[0].ip, u"10.0.0.1"_s);
    }

    void tamperedBytesAreRefused()
    {
        auto o = store().put(m_analyst, u"sealed.txt"_s, "the original", u"text/plain"_s);
        QVERIFY(o);
        QVERIFY(store().read(m_viewer, u"sealed.txt"_s));
        QFile f(o->filePath);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("the forgery!");
        f.close();
        const auto r = store().read(m_viewer, u"sealed.txt"_s);
        QVERIFY(!r);
        QCOMPARE(r.error().code, ErrorCode::Internal);
    }

    // A replacement inside a caller's transaction that rolls back leaves the old object whole.
    void replacementFollowsTheOuterTransaction()
    {
        auto v1 = store().put(m_analyst, u"contract.pdf"_s, "%PDF-1.4 version one", u"application/pdf"_s);
        QVERIFY(v1);
        {
            storage::Transaction outer(backend().database());
            QVERIFY(outer.begin());
            auto v2 = store().put(m_analyst, u"contract.pdf"_s, "%PDF-1.4 version two", u"application/pdf"_s);
            QVERIFY(v2);
            QVERIFY(QFile::exists(v1->filePath)); // not before the outer commit
            outer.rollback();
        }
        auto now = store().object(m_firmA, u"contract.pdf"_s);
        QVERIFY(now);
        QCOMPARE(now->sha256, sha256Of("%PDF-1.4 version one"));
        QVERIFY(QFile::exists(v1->filePath));
        auto data = store().read(m_viewer, u"contract.pdf"_s);
        QVERIFY(data);
        QCOMPARE(data->bytes, QByteArray("%PDF-1.4 version one"));

        auto v3 = store().put(m_analyst, u"contract.pdf"_s, "%PDF-1.4 version three", u"application/pdf"_s);
        QVERIFY(v3);
        QVERIFY(!QFile::exists(v1->filePath));
        QCOMPARE(store().read(m_viewer, u"contract.pdf"_s)->bytes, QByteArray("%PDF-1.4 version three"));
    }

    // The service sniffs too (the GUI calls it in-process): a mismatch stores nothing.
    void sniffsDeclaredTypes()
    {
        const auto bad = store().put(m_analyst, u"fake.pdf"_s, "GIF89a not a pdf", u"application/pdf"_s);
        QVERIFY(!bad);
        QCOMPARE(bad.error().code, ErrorCode::UnsupportedMediaType);
        QVERIFY(!store().object(m_firmA, u"fake.pdf"_s));
        QVERIFY(store().put(m_analyst, u"real.pdf"_s, "%PDF-1.7\n", u"Application/PDF"_s));
        QCOMPARE(objects::normaliseMediaType(u"Text/CSV ; Charset=\"UTF-8\" ;header=present"_s),
                 u"text/csv;charset=utf-8;header=present"_s);
        QVERIFY(objects::bytesMatchType(u"application/x-unknown"_s, QByteArray("\0\1\2", 3)));
        QVERIFY(!objects::bytesMatchType(u"text/plain"_s, QByteArray("a\0b", 3)));
    }

    void signatures()
    {
        auto url = store().presign(m_analyst, {u"signed.bin"_s, objects::Access::Write, u"application/pdf"_s, 10});
        QVERIFY(url);
        QCOMPARE(url->expiresAt, QDateTime::fromSecsSinceEpoch(m_tb->clock().now().toSecsSinceEpoch() + 10, Qt::UTC));
        const objects::SignedRequest req = parse(url->url);
        QCOMPARE(req.key, u"signed.bin"_s);
        QCOMPARE(req.firmId, m_firmA);

        auto grant = store().verify(req, objects::Access::Write, u"application/pdf"_s, u"192.0.2.7"_s);
        QVERIFY2(grant, grant ? "" : qPrintable(grant.error().message));
        QCOMPARE(grant->key, u"signed.bin"_s);
        QCOMPARE(grant->contentType, u"application/pdf"_s);
        QCOMPARE(grant->actor.kind, Actor::Kind::User);
        QCOMPARE(grant->actor.userId, m_analyst.userId);
        QCOMPARE(grant->actor.firmId, m_firmA);
        QCOMPARE(grant->actor.ip, u"192.0.2.7"_s);
        // The grant carries the right to upload and nothing more.
        QVERIFY(!grant->actor.atLeast(Role::ComplianceOfficer));

        QCOMPARE(store().verify(req, objects::Access::Read, {}, {}).error().code, ErrorCode::Forbidden);
        QCOMPARE(store().verify(req, objects::Access::Write, u"application/json"_s, {}).error().code, ErrorCode::Forbidden);
        for (auto alter : std::initializer_list<std::function<void(objects::SignedRequest &)>>{
                 [](auto &r) { r.key = u"other.bin"_s; },
                 [&](auto &r) { r.firmId = m_firmB; },
                 [](auto &r) { r.expires = QString::number(r.expires.toLongLong() + 1); },
                 [](auto &r) { r.contentType.clear(); },
                 [](auto &r) { r.issuer = u"system"_s; },
                 [](auto &r) { r.signature = QString(64, u'0'); },
                 [](auto &r) { r.signature.clear(); },
                 [](auto &r) { r.expires = u"1e12"_s; },
             }) {
            objects::SignedRequest altered = req;
            alter(altered);
            const auto g = store().verify(altered, objects::Access::Write, u"application/pdf"_s, {});
            QVERIFY(!g);
            QCOMPARE(g.error().code, ErrorCode::Forbidden);
        }

        // Valid up to its expiry second, not a millisecond after.
        m_tb->clock().advanceMs(10'000);
        QVERIFY(store().verify(req, objects::Access::Write, u"application/pdf"_s, {}));
        m_tb->clock().advanceMs(1);
        const auto late = store().verify(req, objects::Access::Write, u"application/pdf"_s, {});
        QVERIFY(!late);
        QVERIFY(late.error().message.contains(u"expired"_s));
    }

    // The signing secret is made once, kept private and reused: URLs outlive a restart, and a new
    // secret invalidates them all.
    void secretSurvivesRestart()
    {
        QTemporaryDir dir;
        FakeClock clock;
        Config config = test::testConfig();
        config.dataDir = dir.path();
        objects::SignedRequest req;
        {
            auto b = Backend::open(config, clock);
            QVERIFY(b);
            auto firm = (*b)->accounts().createFirm({u"Restart"_s, u"GB"_s, {}, u"o@restart.test"_s, kPassword, u"O"_s, {}});
            QVERIFY(firm);
            auto url = (*b)->objects().presign(Actor::system(firm->first.id), {u"k"_s, objects::Access::Read, {}, 600});
            QVERIFY(url);
            QVERIFY(url->url.startsWith(u"http://127.0.0.1:0/api/v1/storage/objects/k?"_s));
            req = parse(url->url);
            QCOMPARE(req.issuer, u"system"_s);
        }
        const QString keyFile = Backend::storageKeyPath(dir.path());
        QCOMPARE(QFileInfo(keyFile).size(), qint64(32));
        QCOMPARE(int(QFileInfo(keyFile).permissions() & 0x0077), 0);
        {
            auto b = Backend::open(config, clock);
            QVERIFY(b);
            QVERIFY((*b)->objects().verify(req, objects::Access::Read, {}, {}));
        }
        QVERIFY(QFile::remove(keyFile));
        {
            auto b = Backend::open(config, clock);
            QVERIFY(b);
            QCOMPARE((*b)->objects().verify(req, objects::Access::Read, {}, {}).error().code, ErrorCode::Forbidden);
        }
    }

    void configuration()
    {
        auto d = Config::fromEnvironment(QProcessEnvironment());
        QVERIFY(d);
        QVERIFY(d->publicUrl.isEmpty());
        QCOMPARE(d->storageMaxBytes, qint64(64) * 1024 * 1024);
        QCOMPARE(d->publicBaseUrl(), u"http://127.0.0.1:3000"_s);

        auto v6 = Config::fromEnvironment(envOf({{"KYCONNECT_HOST", "::1"}, {"KYCONNECT_PORT", "8080"}}));
        QVERIFY(v6);
        QCOMPARE(v6->publicBaseUrl(), u"http://[::1]:8080"_s);

        auto set = Config::fromEnvironment(
            envOf({{"KYCONNECT_PUBLIC_URL", "https://kyc.example.com/base/"}, {"KYCONNECT_STORAGE_MAX_BYTES", "1048576"}}));
        QVERIFY2(set, set ? "" : qPrintable(set.error().message));
        QCOMPARE(set->publicUrl, u"https://kyc.example.com/base"_s);
        QCOMPARE(set->publicBaseUrl(), u"https://kyc.example.com/base"_s);
        QCOMPARE(set->storageMaxBytes, qint64(1048576));

        for (const char *bad : {"ftp://kyc.example.com", "kyc.example.com", "https://", "https://kyc.example.com/?a=b",
                                "https://kyc.example.com/#top", "https://user:pw@kyc.example.com"}) {
            auto c = Config::fromEnvironment(envOf({{"KYCONNECT_PUBLIC_URL", bad}}));
            QVERIFY2(!c, bad);
            QCOMPARE(c.error().code, ErrorCode::Validation);
        }
        for (const char *bad : {"0", "-1", "abc", "1.5", "99999999999999"}) {
            auto c = Config::fromEnvironment(envOf({{"KYCONNECT_STORAGE_MAX_BYTES", bad}}));
            QVERIFY2(!c, bad);
        }
    }
};

QTEST_GUILESS_MAIN(TestObjectStore)
#include "tst_objectstore.moc"
