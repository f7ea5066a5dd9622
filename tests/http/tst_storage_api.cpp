// Object storage over HTTP (operations 91–93) against the real server on a loopback port: pre-signed
// URLs for each role and API-key scope, validation in the contract's format, binary round trips with
// their SHA-256, size and audit event, replacement on re-upload, expiry on the server's FakeClock,
// every way of altering a URL (403), the size limit answered from the headers (413, nothing stored)
// while every other route keeps the general body limit, and tenant isolation (404).
#include "backend/core/ids.h"
#include "backend/http/apirouter.h"
#include "backend/http/controllers/controllers.h"
#include "backend/http/guardedtcpserver.h"
#include "backend/identity/accountservice.h"
#include "backend/identity/apikeyservice.h"
#include "backend/identity/authservice.h"
#include "backend/objects/objectstore.h"
#include "tests/testsupport/apiassert.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QUrlQuery>
#include <QtTest>

#include <array>

using namespace kyc;
using namespace Qt::Literals::StringLiterals;
using test::HttpResult;
using test::messages;

namespace {

const QString kPassword = u"correct horse battery staple"_s;
constexpr qint64 kStorageMax = 3 * 1024 * 1024; // above the general 1 MiB body limit
// Mode 0600 as Qt reports it to the file's owner.
const QFile::Permissions kOwnerReadWrite = QFile::ReadOwner | QFile::WriteOwner | QFile::ReadUser | QFile::WriteUser;

QJsonObject J(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json)).object();
}

QString sha256Of(const QByteArray &bytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());
}

// Every byte value, CR LF pairs, NULs and a blank line: nothing about it is text.
QByteArray binaryBytes(qsizetype size, char seed)
{
    QByteArray b;
    b.reserve(size);
    for (qsizetype i = 0; i < size; ++i)
        b.append(char((i * 31 + seed) & 0xff));
    b.replace(0, 6, QByteArray("\r\n\r\n\0\0", 6));
    return b;
}

// The request target of a pre-signed URL: from /api/v1/ on.
QByteArray targetOf(const QString &url)
{
    const qsizetype at = url.indexOf(u"/api/v1/"_s);
    return at < 0 ? QByteArray() : url.mid(at).toUtf8();
}

// The same target with one query parameter set to `value` in its place (removed when `value` is
// null), every other byte as it was.
QByteArray withParam(const QByteArray &target, const QString &name, const QString &value)
{
    const qsizetype q = target.indexOf('?');
    const QByteArray prefix = name.toLatin1() + '=';
    QByteArrayList out;
    bool done = false;
    for (const QByteArray &part : target.mid(q + 1).split('&')) {
        if (!part.startsWith(prefix)) {
            out << part;
        } else if (!value.isNull()) {
            out << prefix + QUrl::toPercentEncoding(value);
            done = true;
        }
    }
    if (!done && !value.isNull())
        out << prefix + QUrl::toPercentEncoding(value);
    return target.left(q) + '?' + out.join('&');
}

QString paramOf(const QByteArray &target, const QString &name)
{
    return QUrlQuery(QString::fromUtf8(target.mid(target.indexOf('?') + 1))).queryItemValue(name, QUrl::FullyDecoded);
}

} // namespace

class TestStorageApi : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::TestServer> m_server;
    QString m_firmA, m_firmB;
    QString m_analystId, m_ownerBId;
    QString m_owner, m_analyst, m_viewer, m_ownerB; // access tokens
    QString m_writeKey, m_readKey, m_casesKey, m_writeKeyId;

    quint16 port() const { return m_server->port(); }
    Backend &backend() { return m_server->backend(); }

    HttpResult presign(const QJsonObject &body, const QString &token = {}, const QString &key = {})
    {
        test::Headers h;
        if (!token.isEmpty())
            h.append({"Authorization", "Bearer " + token.toLatin1()});
        if (!key.isEmpty())
            h.append({"X-API-Key", key.toLatin1()});
        return test::request(port(), "POST", "/api/v1/storage/presign", QJsonDocument(body).toJson(QJsonDocument::Compact), h);
    }
    // A pre-signed URL's target, or empty (with a failed check) when presigning did not succeed.
    QByteArray urlFor(const QString &method, const QString &objectKey, const QString &token, const QString &contentType = {},
                      int expiresIn = 0)
    {
        QJsonObject body{{u"method"_s, method}};
        if (!objectKey.isEmpty())
            body.insert(u"key"_s, objectKey);
        if (!contentType.isEmpty())
            body.insert(u"content_type"_s, contentType);
        if (expiresIn > 0)
            body.insert(u"expires_in"_s, expiresIn);
        const HttpResult r = presign(body, token);
        if (r.status != 200) {
            qWarning().noquote() << "presign failed:" << r.status << r.body;
            return {};
        }
        return targetOf(r.json().value(u"url"_s).toString());
    }
    HttpResult put(const QByteArray &target, const QByteArray &bytes, const QByteArray &contentType = "application/octet-stream")
    {
        return test::request(port(), "PUT", target, bytes, {{"Content-Type", contentType}});
    }
    HttpResult get(const QByteArray &target) { return test::request(port(), "GET", target); }
    // Uploads `bytes` under `objectKey` as `token`; the answer of the PUT.
    HttpResult upload(const QString &objectKey, const QByteArray &bytes, const QString &token,
                      const QByteArray &contentType = "application/octet-stream")
    {
        return put(urlFor(u"PUT"_s, objectKey, token), bytes, contentType);
    }
    HttpResult download(const QString &objectKey, const QString &token) { return get(urlFor(u"GET"_s, objectKey, token)); }

    qint64 count(const QString &sql, const QVariantList &binds = {}) { return test::count(backend().database(), sql, binds); }
    qint64 rows(const QString &firmId) { return count(u"SELECT COUNT(*) FROM storage_objects WHERE firm_id = ?"_s, {firmId}); }
    // Files of a firm's object directory, temporary ones included.
    QStringList files(const QString &firmId)
    {
        return QDir(m_server->dataDir() + u"/objects/"_s + firmId).entryList(QDir::Files | QDir::Hidden);
    }
    QList<audit::Event> events(const QString &firmId, const QString &action, const QString &entityId = {})
    {
        audit::Filter f;
        f.action = action;
        f.entityId = entityId;
        auto page = backend().audit().list(firmId, f, {1, 100});
        return page ? page->items : QList<audit::Event>{};
    }
    QString sessionFor(const identity::User &user)
    {
        auto s = backend().auth().openSession(user, u"127.0.0.1"_s, u"storage api test"_s);
        return s ? s->accessToken : QString();
    }

private slots:
    void initTestCase()
    {
        Config config = test::testConfig();
        config.storageMaxBytes = kStorageMax;
        QCOMPARE(config.bodyLimitBytes, qint64(1024 * 1024));
        m_server = std::make_unique<test::TestServer>(config);
        QVERIFY(m_server->ok() && port());

        auto &accounts = backend().accounts();
        auto a = accounts.createFirm({u"Storage Alpha"_s, u"GB"_s, {}, u"owner@store-a.test"_s, kPassword, u"Alpha Owner"_s, {}});
        auto b = accounts.createFirm({u"Storage Beta"_s, u"FR"_s, {}, u"owner@store-b.test"_s, kPassword, u"Beta Owner"_s, {}});
        QVERIFY(a && b);
        m_firmA = a->first.id;
        m_firmB = b->first.id;
        m_ownerBId = b->second.id;
        auto analyst
            = accounts.createUser(Actor::system(m_firmA), u"analyst@store-a.test"_s, u"Ana Lyst"_s, Role::Analyst, kPassword);
        auto viewer
            = accounts.createUser(Actor::system(m_firmA), u"viewer@store-a.test"_s, u"Vi Ewer"_s, Role::Viewer, kPassword);
        QVERIFY(analyst && viewer);
        m_analystId = analyst->id;
        m_owner = sessionFor(a->second);
        m_ownerB = sessionFor(b->second);
        m_analyst = sessionFor(*analyst);
        m_viewer = sessionFor(*viewer);
        QVERIFY(!m_owner.isEmpty() && !m_ownerB.isEmpty() && !m_analyst.isEmpty() && !m_viewer.isEmpty());

        auto owner = backend().auth().authenticate(m_owner, u"127.0.0.1"_s);
        QVERIFY(owner);
        auto write = backend().apiKeys().create(*owner, {u"uploads"_s, {u"storage:write"_s}, {}});
        auto read = backend().apiKeys().create(*owner, {u"downloads"_s, {u"storage:read"_s}, {}});
        auto cases = backend().apiKeys().create(*owner, {u"cases only"_s, {u"cases:read"_s}, {}});
        QVERIFY(write && read && cases);
        m_writeKey = write->secret;
        m_writeKeyId = write->key.id;
        m_readKey = read->secret;
        m_casesKey = cases->secret;

        // The signing secret is made on first start, private to the owner.
        const QFileInfo secret(Backend::storageKeyPath(m_server->dataDir()));
        QVERIFY(secret.exists());
        QCOMPARE(secret.size(), qint64(32));
        QCOMPARE(int(secret.permissions() & 0x7777), int(kOwnerReadWrite));
    }

    void presignAnswer()
    {
        const QDateTime now = backend().clock().now();
        const HttpResult r = presign({{u"method"_s, u"PUT"_s}, {u"key"_s, u"kyc-pack.zip"_s}}, m_analyst);
        EXPECT(r, 200);
        const QJsonObject o = r.json();
        QCOMPARE(o.value(u"method"_s).toString(), u"PUT"_s);
        QCOMPARE(o.value(u"key"_s).toString(), u"kyc-pack.zip"_s);
        QCOMPARE(o.value(u"expires_at"_s).toString(),
                 isoUtc(QDateTime::fromSecsSinceEpoch(now.toSecsSinceEpoch() + 900, Qt::UTC))); // default 900 s
        QVERIFY(!o.contains(u"headers"_s));
        const QString url = o.value(u"url"_s).toString();
        QVERIFY2(url.startsWith(backend().config().publicBaseUrl() + u"/api/v1/storage/objects/kyc-pack.zip?"_s),
                 qPrintable(url));
        const QByteArray target = targetOf(url);
        QCOMPARE(paramOf(target, u"firm"_s), m_firmA);
        QCOMPARE(paramOf(target, u"method"_s), u"PUT"_s);
        QCOMPARE(paramOf(target, u"expires"_s).toLongLong(), now.toSecsSinceEpoch() + 900);
        QCOMPARE(paramOf(target, u"by"_s), u"user:"_s + m_analystId);
        QVERIFY(QRegularExpression(u"^[0-9a-f]{64}$"_s).match(paramOf(target, u"signature"_s)).hasMatch());

        // Without a key, one is made; a bound content type comes back as the header to send.
        const HttpResult gen = presign(J(R"({"method":"PUT","content_type":"application/pdf","expires_in":60})"), m_analyst);
        EXPECT(gen, 200);
        const QString generated = gen.json().value(u"key"_s).toString();
        QVERIFY2(isValidId(generated), qPrintable(generated));
        QCOMPARE(gen.json().value(u"headers"_s).toObject().value(u"Content-Type"_s).toString(), u"application/pdf"_s);
        QCOMPARE(paramOf(targetOf(gen.json().value(u"url"_s).toString()), u"content_type"_s), u"application/pdf"_s);
        QCOMPARE(gen.json().value(u"expires_at"_s).toString(),
                 isoUtc(QDateTime::fromSecsSinceEpoch(now.toSecsSinceEpoch() + 60, Qt::UTC)));
        QCOMPARE(rows(m_firmA), 0); // presigning stores nothing
    }

    void presignCredentials_data()
    {
        QTest::addColumn<QString>("caller");
        QTest::addColumn<QString>("method");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("mentions"); // in the 403 message

        QTest::newRow("PUT owner") << u"owner"_s << u"PUT"_s << 200 << QString();
        QTest::newRow("PUT analyst") << u"analyst"_s << u"PUT"_s << 200 << QString();
        QTest::newRow("PUT viewer") << u"viewer"_s << u"PUT"_s << 403 << u"analyst"_s;
        QTest::newRow("PUT storage:write key") << u"write_key"_s << u"PUT"_s << 200 << QString();
        QTest::newRow("PUT storage:read key") << u"read_key"_s << u"PUT"_s << 403 << u"storage:write"_s;
        QTest::newRow("PUT cases:read key") << u"cases_key"_s << u"PUT"_s << 403 << u"storage:"_s;
        QTest::newRow("PUT no credentials") << u"none"_s << u"PUT"_s << 401 << QString();
        QTest::newRow("PUT bad token") << u"bad_token"_s << u"PUT"_s << 401 << QString();
        QTest::newRow("PUT unknown key") << u"bad_key"_s << u"PUT"_s << 401 << QString();
        QTest::newRow("GET owner") << u"owner"_s << u"GET"_s << 200 << QString();
        QTest::newRow("GET viewer") << u"viewer"_s << u"GET"_s << 200 << QString();
        QTest::newRow("GET storage:read key") << u"read_key"_s << u"GET"_s << 200 << QString();
        QTest::newRow("GET storage:write key") << u"write_key"_s << u"GET"_s << 403 << u"storage:read"_s;
        QTest::newRow("GET cases:read key") << u"cases_key"_s << u"GET"_s << 403 << u"storage:"_s;
        QTest::newRow("GET no credentials") << u"none"_s << u"GET"_s << 401 << QString();
    }

    void presignCredentials()
    {
        QFETCH(QString, caller);
        QFETCH(QString, method);
        QFETCH(int, status);
        QFETCH(QString, mentions);

        const QHash<QString, QString> tokens{
            {u"owner"_s, m_owner}, {u"analyst"_s, m_analyst}, {u"viewer"_s, m_viewer}, {u"bad_token"_s, u"not.a.token"_s}};
        const QHash<QString, QString> keys{{u"write_key"_s, m_writeKey},
                                           {u"read_key"_s, m_readKey},
                                           {u"cases_key"_s, m_casesKey},
                                           {u"bad_key"_s, u"kc_live_thisisnotakey"_s}};
        const HttpResult r
            = presign({{u"method"_s, method}, {u"key"_s, u"evidence.bin"_s}}, tokens.value(caller), keys.value(caller));
        EXPECT(r, status);
        if (status == 200) {
            const QByteArray target = targetOf(r.json().value(u"url"_s).toString());
            QCOMPARE(paramOf(target, u"firm"_s), m_firmA);
            if (caller == u"write_key"_s || caller == u"read_key"_s)
                QVERIFY(paramOf(target, u"by"_s).startsWith(u"api_key:"_s));
        }
        if (!mentions.isEmpty())
            QVERIFY2(r.json().value(u"message"_s).toString().contains(mentions), r.body.constData());
    }

    void presignValidation_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("field");

        QTest::newRow("key with a slash") << QByteArray(R"({"method":"PUT","key":"a/b"})") << u"key"_s;
        QTest::newRow("key ..") << QByteArray(R"({"method":"PUT","key":".."})") << u"key"_s;
        QTest::newRow("key with a leading dot") << QByteArray(R"({"method":"PUT","key":".hidden"})") << u"key"_s;
        QTest::newRow("key with a space") << QByteArray(R"({"method":"PUT","key":"my file.pdf"})") << u"key"_s;
        QTest::newRow("key of 256 characters")
            << QByteArray(R"({"method":"PUT","key":")" + QByteArray(256, 'k') + R"("})") << u"key"_s;
        QTest::newRow("key not a string") << QByteArray(R"({"method":"PUT","key":42})") << u"key"_s;
        QTest::newRow("GET without a key") << QByteArray(R"({"method":"GET"})") << u"key"_s;
        QTest::newRow("expires_in 0") << QByteArray(R"({"method":"PUT","expires_in":0})") << u"expires_in"_s;
        QTest::newRow("expires_in 3601") << QByteArray(R"({"method":"PUT","expires_in":3601})") << u"expires_in"_s;
        QTest::newRow("expires_in -5") << QByteArray(R"({"method":"PUT","expires_in":-5})") << u"expires_in"_s;
        QTest::newRow("expires_in 1.5") << QByteArray(R"({"method":"PUT","expires_in":1.5})") << u"expires_in"_s;
        QTest::newRow("expires_in a string") << QByteArray(R"({"method":"PUT","expires_in":"60"})") << u"expires_in"_s;
        QTest::newRow("method DELETE") << QByteArray(R"({"method":"DELETE","key":"a"})") << u"method"_s;
        QTest::newRow("method lower case") << QByteArray(R"({"method":"put","key":"a"})") << u"method"_s;
        QTest::newRow("method missing") << QByteArray(R"({"key":"a"})") << u"method"_s;
        QTest::newRow("content_type on GET")
            << QByteArray(R"({"method":"GET","key":"a","content_type":"text/plain"})") << u"content_type"_s;
        QTest::newRow("content_type not a media type")
            << QByteArray(R"({"method":"PUT","content_type":"pdf"})") << u"content_type"_s;
        QTest::newRow("unknown field") << QByteArray(R"({"method":"PUT","bucket":"x"})") << u"bucket"_s;
    }

    void presignValidation()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, field);

        const HttpResult r = test::request(port(), "POST", "/api/v1/storage/presign", body,
                                           {{"Authorization", "Bearer " + m_analyst.toLatin1()}});
        EXPECT(r, 400);
        QVERIFY2(messages(r).contains(field), r.body.constData());

        // Malformed JSON is 400 in the same format.
        const HttpResult broken = test::request(port(), "POST", "/api/v1/storage/presign",
                                                "{\"method\":", {{"Authorization", "Bearer " + m_analyst.toLatin1()}});
        EXPECT(broken, 400);
    }

    void roundTrip()
    {
        // A PDF header (uploads are sniffed), then every byte value.
        const QByteArray bytes = "%PDF-1.7\n" + binaryBytes(200'000, 7);
        const QString sha = sha256Of(bytes);
        const QByteArray putTarget = urlFor(u"PUT"_s, u"passport-scan.pdf"_s, m_analyst, u"application/pdf"_s);
        QVERIFY(!putTarget.isEmpty());
        const HttpResult stored = put(putTarget, bytes, "application/pdf");
        EXPECT(stored, 201);
        const QJsonObject o = stored.json();
        QStringList keys = o.keys();
        keys.sort();
        QCOMPARE(keys, (QStringList{u"content_type"_s, u"created_at"_s, u"key"_s, u"sha256"_s, u"size"_s}));
        QCOMPARE(o.value(u"key"_s).toString(), u"passport-scan.pdf"_s);
        QCOMPARE(o.value(u"size"_s).toInteger(), qint64(bytes.size()));
        QCOMPARE(o.value(u"sha256"_s).toString(), sha);
        QCOMPARE(o.value(u"content_type"_s).toString(), u"application/pdf"_s);
        QCOMPARE(o.value(u"created_at"_s).toString(), isoUtc(backend().clock().now()));

        // The row, the file (under a name of the server's choosing, private) and the audit event.
        QSqlQuery q(backend().database().connection());
        q.prepare(
            u"SELECT size, sha256, content_type, created_by, file FROM storage_objects WHERE firm_id = ? AND object_key = ?"_s);
        q.addBindValue(m_firmA);
        q.addBindValue(u"passport-scan.pdf"_s);
        QVERIFY(q.exec() && q.next());
        QCOMPARE(q.value(0).toLongLong(), qint64(bytes.size()));
        QCOMPARE(q.value(1).toString(), sha);
        QCOMPARE(q.value(2).toString(), u"application/pdf"_s);
        QCOMPARE(q.value(3).toString(), m_analystId);
        const QString file = q.value(4).toString();
        QVERIFY2(file.startsWith(u"objects/"_s + m_firmA + u'/') && !file.contains(u"passport"_s), qPrintable(file));
        QFile onDisk(QDir(m_server->dataDir()).filePath(file));
        QVERIFY(onDisk.open(QIODevice::ReadOnly));
        QCOMPARE(onDisk.readAll(), bytes);
        QCOMPARE(int(onDisk.permissions() & 0x7777), int(kOwnerReadWrite));
        for (const auto &f : files(m_firmA))
            QVERIFY2(!f.startsWith(u'.'), qPrintable(u"a temporary file was left behind: "_s + f));

        const auto ev = events(m_firmA, u"storage.object_uploaded"_s, u"passport-scan.pdf"_s);
        QCOMPARE(ev.size(), 1);
        QCOMPARE(ev[0].actorType, u"user"_s);
        QCOMPARE(ev[0].actorId, m_analystId);
        QCOMPARE(ev[0].entityType, u"storage_object"_s);
        QCOMPARE(ev[0].details.value(u"key"_s).toString(), u"passport-scan.pdf"_s);
        QCOMPARE(ev[0].details.value(u"size"_s).toInteger(), qint64(bytes.size()));
        QCOMPARE(ev[0].details.value(u"sha256"_s).toString(), sha);

        // For other modules: the metadata and the local file.
        auto meta = backend().objects().object(m_firmA, u"passport-scan.pdf"_s);
        QVERIFY(meta);
        QCOMPARE(meta->size, qint64(bytes.size()));
        QCOMPARE(meta->sha256, sha);
        QCOMPARE(meta->contentType, u"application/pdf"_s);
        QVERIFY(QFileInfo(meta->filePath).isAbsolute());
        QCOMPARE(QFileInfo(meta->filePath).canonicalFilePath(), QFileInfo(onDisk).canonicalFilePath());

        // Down again, byte for byte, by any member.
        const HttpResult got = download(u"passport-scan.pdf"_s, m_viewer);
        EXPECT(got, 200);
        QCOMPARE(got.body, bytes);
        QCOMPARE(got.headers.value("content-type"), QByteArray("application/pdf"));
        QCOMPARE(got.headers.value("content-length").toLongLong(), qint64(bytes.size()));
        QCOMPARE(got.headers.value("etag"), '"' + sha.toLatin1() + '"');
        QCOMPARE(got.headers.value("x-content-sha256"), sha.toLatin1());
        QVERIFY(got.headers.value("content-disposition").startsWith("attachment"));
        // The same URL may be used while it lasts; downloading changes nothing.
        const QByteArray getTarget = urlFor(u"GET"_s, u"passport-scan.pdf"_s, m_owner);
        QCOMPARE(get(getTarget).body, bytes);
        QCOMPARE(get(getTarget).body, bytes);
        QCOMPARE(events(m_firmA, u"storage.object_uploaded"_s, u"passport-scan.pdf"_s).size(), 1);
    }

    void roundTripWithApiKeys()
    {
        const QByteArray bytes = QByteArray("2026-01-31;opening balance;1200.00 EUR\r\n").repeated(100);
        const HttpResult p = presign(J(R"({"method":"PUT","key":"statement.txt"})"), {}, m_writeKey);
        EXPECT(p, 200);
        // Without a bound type, the upload's own Content-Type is stored.
        const HttpResult stored = put(targetOf(p.json().value(u"url"_s).toString()), bytes, "text/plain; charset=utf-8");
        EXPECT(stored, 201);
        QCOMPARE(stored.json().value(u"content_type"_s).toString(), u"text/plain; charset=utf-8"_s);
        const auto ev = events(m_firmA, u"storage.object_uploaded"_s, u"statement.txt"_s);
        QCOMPARE(ev.size(), 1);
        QCOMPARE(ev[0].actorType, u"api_key"_s);
        QCOMPARE(ev[0].actorId, m_writeKeyId);
        QCOMPARE(count(u"SELECT COUNT(*) FROM storage_objects WHERE object_key = 'statement.txt' AND created_by = ?"_s,
                       {m_writeKeyId}),
                 1);

        const HttpResult g = presign(J(R"({"method":"GET","key":"statement.txt"})"), {}, m_readKey);
        EXPECT(g, 200);
        const HttpResult got = get(targetOf(g.json().value(u"url"_s).toString()));
        EXPECT(got, 200);
        QCOMPARE(got.body, bytes);
        QCOMPARE(got.headers.value("content-type"), QByteArray("text/plain; charset=utf-8"));

        // An empty object is an object.
        const HttpResult empty = upload(u"empty.bin"_s, {}, m_analyst);
        EXPECT(empty, 201);
        QCOMPARE(empty.json().value(u"size"_s).toInteger(), 0);
        QCOMPARE(empty.json().value(u"sha256"_s).toString(), sha256Of({}));
        const HttpResult none = download(u"empty.bin"_s, m_viewer);
        EXPECT(none, 200);
        QVERIFY(none.body.isEmpty());
    }

    void reuploadReplaces()
    {
        // CSV text (uploads declared text/csv are sniffed as text).
        const QByteArray v1 = QByteArray("subject,score\nAlpha Ltd,12\n").repeated(400),
                         v2 = QByteArray("subject,score\nBeta GmbH,7\n").repeated(500);
        EXPECT(upload(u"risk-report.csv"_s, v1, m_analyst, "text/csv"), 201);
        const QString firstFile = backend().objects().object(m_firmA, u"risk-report.csv"_s)->filePath;
        QVERIFY(QFile::exists(firstFile));
        const qint64 before = rows(m_firmA);

        const HttpResult second = upload(u"risk-report.csv"_s, v2, m_owner, "text/csv");
        EXPECT(second, 201);
        QCOMPARE(second.json().value(u"sha256"_s).toString(), sha256Of(v2));
        QCOMPARE(rows(m_firmA), before); // replaced, not added
        const auto meta = backend().objects().object(m_firmA, u"risk-report.csv"_s);
        QVERIFY(meta);
        QCOMPARE(meta->size, qint64(v2.size()));
        QVERIFY(meta->filePath != firstFile);
        QVERIFY2(!QFile::exists(firstFile), "the replaced bytes were not removed");
        QCOMPARE(download(u"risk-report.csv"_s, m_viewer).body, v2);

        const auto ev = events(m_firmA, u"storage.object_uploaded"_s, u"risk-report.csv"_s);
        QCOMPARE(ev.size(), 2);
        QStringList replaced;
        for (const auto &e : ev)
            replaced << e.details.value(u"replaced_sha256"_s).toString();
        QVERIFY2(replaced.contains(sha256Of(v1)), qPrintable(replaced.join(u", "_s)));
    }

    void expiredUrl()
    {
        const QByteArray bytes = binaryBytes(1000, 3);
        const QByteArray putTarget = urlFor(u"PUT"_s, u"late.bin"_s, m_analyst, {}, 60);
        QVERIFY(!putTarget.isEmpty());
        m_server->clock().advanceMs(61'000);
        const HttpResult late = put(putTarget, bytes);
        EXPECT(late, 403);
        QVERIFY2(late.json().value(u"message"_s).toString().contains(u"expired"_s), late.body.constData());
        QVERIFY(!backend().objects().object(m_firmA, u"late.bin"_s));

        EXPECT(upload(u"late.bin"_s, bytes, m_analyst), 201);
        const QByteArray getTarget = urlFor(u"GET"_s, u"late.bin"_s, m_viewer, {}, 30);
        m_server->clock().advanceMs(30'000);
        EXPECT(get(getTarget), 200); // valid up to its expiry
        m_server->clock().advanceMs(1'000);
        EXPECT(get(getTarget), 403);
    }

    void alteredUrl_data()
    {
        QTest::addColumn<QString>("how");
        QTest::addColumn<QByteArray>("method"); // of the URL the alteration starts from

        for (const char *m : {"PUT", "GET"}) {
            for (const char *how : {"signature", "signature case", "signature truncated", "signature missing", "key", "firm",
                                    "expiry", "method", "issuer", "issuer role", "no query", "used with the other method"})
                QTest::addRow("%s: %s", m, how) << QString::fromLatin1(how) << QByteArray(m);
        }
        QTest::newRow("PUT: content type unbound") << u"content type removed"_s << QByteArray("PUT");
        QTest::newRow("PUT: content type changed") << u"content type changed"_s << QByteArray("PUT");
    }

    void alteredUrl()
    {
        QFETCH(QString, how);
        QFETCH(QByteArray, method);

        const QByteArray bytes = binaryBytes(2048, 5);
        EXPECT(upload(u"target.bin"_s, bytes, m_analyst), 201);
        EXPECT(upload(u"other.bin"_s, bytes, m_analyst), 201);
        const QString contentType = method == "PUT" ? u"application/pdf"_s : QString();
        QByteArray t = urlFor(QString::fromLatin1(method), u"target.bin"_s, m_analyst, contentType);
        QVERIFY(!t.isEmpty());
        const QString sig = paramOf(t, u"signature"_s);
        QByteArray requestMethod = method;
        if (how == u"signature"_s) {
            QString s = sig;
            s[10] = s[10] == u'0' ? u'1' : u'0';
            t = withParam(t, u"signature"_s, s);
        } else if (how == u"signature case"_s) {
            t = withParam(t, u"signature"_s, sig.toUpper() == sig ? sig.toLower() : sig.toUpper());
            // Hex is hex in either case: the signature is still right, so this one must succeed.
        } else if (how == u"signature truncated"_s) {
            t = withParam(t, u"signature"_s, sig.left(63));
        } else if (how == u"signature missing"_s) {
            t = withParam(t, u"signature"_s, QString());
        } else if (how == u"key"_s) {
            t.replace("/target.bin?", "/other.bin?");
        } else if (how == u"firm"_s) {
            t = withParam(t, u"firm"_s, m_firmB);
        } else if (how == u"expiry"_s) {
            t = withParam(t, u"expires"_s, QString::number(paramOf(t, u"expires"_s).toLongLong() + 3600));
        } else if (how == u"method"_s) {
            requestMethod = method == "PUT" ? "GET" : "PUT";
            t = withParam(t, u"method"_s, QString::fromLatin1(requestMethod));
        } else if (how == u"issuer"_s) {
            t = withParam(t, u"by"_s, u"user:"_s + m_ownerBId);
        } else if (how == u"issuer role"_s) {
            t = withParam(t, u"by"_s, u"system"_s);
        } else if (how == u"no query"_s) {
            t = t.left(t.indexOf('?'));
        } else if (how == u"used with the other method"_s) {
            requestMethod = method == "PUT" ? "GET" : "PUT";
        } else if (how == u"content type removed"_s) {
            t = withParam(t, u"content_type"_s, QString());
        } else if (how == u"content type changed"_s) {
            t = withParam(t, u"content_type"_s, u"image/png"_s);
        }

        const qint64 rowsBefore = rows(m_firmA);
        const QString shaBefore = backend().objects().object(m_firmA, u"target.bin"_s)->sha256;
        const QByteArray newBytes = "%PDF-1.7\n" + binaryBytes(3000, 42);
        const HttpResult r = requestMethod == "PUT" ? put(t, newBytes, "application/pdf") : get(t);
        if (how == u"signature case"_s) {
            EXPECT(r, method == "PUT" ? 201 : 200);
            return;
        }
        EXPECT(r, 403);
        QVERIFY2(!r.body.contains(sig.toLatin1()), "the answer echoes the signature");
        QCOMPARE(rows(m_firmA), rowsBefore);
        QCOMPARE(backend().objects().object(m_firmA, u"target.bin"_s)->sha256, shaBefore);
        QCOMPARE(backend().objects().object(m_firmA, u"other.bin"_s)->sha256, sha256Of(bytes));
        QVERIFY(!backend().objects().object(m_firmB, u"target.bin"_s));
    }

    void contentTypeMismatch()
    {
        const QByteArray target = urlFor(u"PUT"_s, u"bound.pdf"_s, m_analyst, u"application/pdf"_s);
        const HttpResult png = put(target, "\x89PNG....", "image/png");
        EXPECT(png, 403);
        QVERIFY2(png.json().value(u"message"_s).toString().contains(u"application/pdf"_s), png.body.constData());
        EXPECT(put(target, "%PDF-1.7", "application/pdf; charset=binary"), 403);
        QVERIFY(!backend().objects().object(m_firmA, u"bound.pdf"_s));
        EXPECT(put(target, "%PDF-1.7", "application/pdf"), 201);
        QCOMPARE(backend().objects().object(m_firmA, u"bound.pdf"_s)->contentType, u"application/pdf"_s);

        // An unbound upload with a Content-Type that could not go back out as a header is refused.
        const HttpResult bad = put(urlFor(u"PUT"_s, u"odd.bin"_s, m_analyst), "x", "not a media type");
        EXPECT(bad, 400);
        QVERIFY(!backend().objects().object(m_firmA, u"odd.bin"_s));
    }

    // The upload route has its own body limit (KYCONNECT_STORAGE_MAX_BYTES), above the general
    // one; everything else keeps the general limit.
    void sizeLimit()
    {
        const QByteArray twoMiB = binaryBytes(2 * 1024 * 1024, 11);
        const HttpResult big = upload(u"large-scan.tiff"_s, twoMiB, m_analyst, "image/tiff");
        EXPECT(big, 201);
        QCOMPARE(big.json().value(u"size"_s).toInteger(), qint64(twoMiB.size()));
        QCOMPARE(download(u"large-scan.tiff"_s, m_viewer).body, twoMiB);

        const qint64 rowsBefore = rows(m_firmA);
        const QStringList filesBefore = files(m_firmA);
        const HttpResult over = upload(u"too-large.bin"_s, QByteArray(kStorageMax + 1, 'x'), m_analyst);
        EXPECT(over, 413);
        QVERIFY(!backend().objects().object(m_firmA, u"too-large.bin"_s));
        QCOMPARE(rows(m_firmA), rowsBefore);
        QCOMPARE(files(m_firmA), filesBefore);
        EXPECT(upload(u"exactly-the-limit.bin"_s, QByteArray(kStorageMax, 'y'), m_analyst), 201);

        // Answered from the headers alone: not a byte of the body is sent.
        const QByteArray target = urlFor(u"PUT"_s, u"never-sent.bin"_s, m_analyst);
        QTcpSocket s;
        s.connectToHost(u"127.0.0.1"_s, port());
        QVERIFY(s.waitForConnected(10000));
        s.write("PUT " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                + QByteArray::number(kStorageMax + 1) + "\r\n\r\n");
        QByteArray answer;
        while (!answer.contains("\r\n\r\n") && s.waitForReadyRead(10000))
            answer += s.readAll();
        QVERIFY2(answer.startsWith("HTTP/1.1 413"), answer.left(60).constData());
        QVERIFY(!backend().objects().object(m_firmA, u"never-sent.bin"_s));

        // Other routes keep the general limit of 1 MiB, the upload path's neighbours included.
        const QByteArray twoMiBJson = "{\"pad\":\"" + QByteArray(2 * 1024 * 1024, 'p') + "\"}";
        EXPECT(test::request(port(), "POST", "/api/v1/storage/presign", twoMiBJson,
                             {{"Authorization", "Bearer " + m_analyst.toLatin1()}}),
               413);
        EXPECT(test::request(port(), "POST", "/api/v1/onboarding/business", twoMiBJson), 413);
        EXPECT(test::request(port(), "PUT", "/api/v1/storage/objects/a/b", twoMiB), 413);
        EXPECT(test::request(port(), "PUT", "/api/v1/storage/objects/", twoMiB), 413);
        EXPECT(test::request(port(), "POST", "/api/v1/storage/objects/x", twoMiB), 413);
        QCOMPARE(test::request(port(), "GET", "/api/v1/health").status, 200);
    }

    // Attack 5: an upload's URL is checked from the head, before a byte of the body is read. The
    // answer arrives while the client has sent only 64 KiB of the declared size, and the guard has
    // counted no body byte and buffers nothing.
    void uploadRefusedBeforeTheBody_data()
    {
        QTest::addColumn<QString>("how");
        QTest::addColumn<int>("status");
        QTest::newRow("anonymous, no URL") << u"anonymous"_s << 403;
        QTest::newRow("forged signature") << u"forged"_s << 403;
        QTest::newRow("URL of another key") << u"other key"_s << 403;
        QTest::newRow("download URL") << u"download URL"_s << 403;
        QTest::newRow("expired") << u"expired"_s << 403;
        QTest::newRow("not the bound content type") << u"content type"_s << 403;
        QTest::newRow("over the size limit") << u"too large"_s << 413;
    }

    void uploadRefusedBeforeTheBody()
    {
        QFETCH(QString, how);
        QFETCH(int, status);

        qint64 declared = kStorageMax;
        QByteArray contentType = "application/octet-stream";
        QByteArray target;
        if (how == u"anonymous"_s) {
            target = "/api/v1/storage/objects/anon.bin";
        } else if (how == u"forged"_s) {
            target = withParam(urlFor(u"PUT"_s, u"anon.bin"_s, m_analyst), u"signature"_s, QString(64, u'a'));
        } else if (how == u"other key"_s) {
            target = urlFor(u"PUT"_s, u"other-key.bin"_s, m_analyst);
            target.replace("/other-key.bin?", "/anon.bin?");
        } else if (how == u"download URL"_s) {
            EXPECT(upload(u"anon.bin"_s, "x", m_analyst), 201);
            target = urlFor(u"GET"_s, u"anon.bin"_s, m_viewer);
        } else if (how == u"expired"_s) {
            target = urlFor(u"PUT"_s, u"anon.bin"_s, m_analyst, {}, 5);
            m_server->clock().advanceMs(6'000);
        } else if (how == u"content type"_s) {
            target = urlFor(u"PUT"_s, u"anon.bin"_s, m_analyst, u"application/pdf"_s);
        } else if (how == u"too large"_s) {
            target = urlFor(u"PUT"_s, u"anon.bin"_s, m_analyst);
            declared = kStorageMax + 1;
        }
        QVERIFY(!target.isEmpty());
        auto *guard = m_server->server().router()->findChild<http::GuardedTcpServer *>();
        QVERIFY(guard);
        const qint64 bodyBefore = guard->bodyBytesReceived();
        const QByteArray shaBefore = backend().objects().object(m_firmA, u"anon.bin"_s)
            ? backend().objects().object(m_firmA, u"anon.bin"_s)->sha256.toLatin1()
            : QByteArray();

        QTcpSocket s;
        s.connectToHost(u"127.0.0.1"_s, port());
        QVERIFY(s.waitForConnected(10000));
        s.write("PUT " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + contentType
                + "\r\nContent-Length: " + QByteArray::number(declared) + "\r\n\r\n");
        s.write(QByteArray(64 * 1024, 'b')); // and not a byte more
        QByteArray answer;
        HttpResult r;
        while (test::parseResponse(answer, r) < 0 && s.waitForReadyRead(10000))
            answer += s.readAll();
        QVERIFY2(r.ok, answer.constData());
        QCOMPARE(r.status, status);
        QCOMPARE(r.headers.value("connection").toLower(), QByteArray("close"));
        QCOMPARE(guard->bodyBytesReceived(), bodyBefore);
        QCOMPARE(guard->bufferedBytes(), qint64(0));
        const auto after = backend().objects().object(m_firmA, u"anon.bin"_s);
        QCOMPARE(after ? after->sha256.toLatin1() : QByteArray(), shaBefore);
    }

    // Issue 8's own attack: six anonymous 60 MiB PUTs at once against the default 64 MiB limit.
    // Each is refused from its head; no body byte is buffered.
    void anonymousLargeUploadsBufferNothing()
    {
        test::TestServer server; // default limits
        QVERIFY(server.port());
        auto *guard = server.server().router()->findChild<http::GuardedTcpServer *>();
        QVERIFY(guard);
        std::array<QTcpSocket, 6> sockets;
        for (auto &s : sockets) {
            s.connectToHost(u"127.0.0.1"_s, server.port());
            QVERIFY(s.waitForConnected(10000));
            s.write("PUT /api/v1/storage/objects/big.bin?firm=" + newId().toLatin1()
                    + "&method=PUT&expires=9999999999&by=system&signature=" + QByteArray(64, '0')
                    + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                    + QByteArray::number(60 * 1024 * 1024) + "\r\n\r\n" + QByteArray(64 * 1024, 'z'));
        }
        for (auto &s : sockets) {
            QByteArray answer;
            HttpResult r;
            while (test::parseResponse(answer, r) < 0 && s.waitForReadyRead(10000))
                answer += s.readAll();
            QVERIFY2(r.ok, answer.constData());
            QCOMPARE(r.status, 403);
        }
        QCOMPARE(guard->bodyBytesReceived(), qint64(0));
        QCOMPARE(guard->peakBufferedBytes(), qint64(0));
    }

    // Declared body bytes in progress are capped per client address: a second upload while the
    // first is still arriving is 503 (answered from its head); once the first is done, uploads
    // are accepted again.
    void bufferedBytesCapped()
    {
        Config config = test::testConfig();
        config.storageMaxBytes = 2 * 1024 * 1024;
        config.bufferedBytesPerClient = 3 * 1024 * 1024;
        test::TestServer server(config);
        QVERIFY(server.port());
        auto &accounts = server.backend().accounts();
        auto firm = accounts.createFirm({u"Cap Ltd"_s, u"GB"_s, {}, u"owner@cap.test"_s, kPassword, u"Cap Owner"_s, {}});
        QVERIFY(firm);
        auto session = server.backend().auth().openSession(firm->second, u"127.0.0.1"_s, u"test"_s);
        QVERIFY(session);
        auto presignFor = [&](const QString &key) {
            const QByteArray body = QJsonDocument(QJsonObject{{u"method"_s, u"PUT"_s}, {u"key"_s, key}}).toJson();
            const HttpResult r = test::request(server.port(), "POST", "/api/v1/storage/presign", body,
                                               {{"Authorization", "Bearer " + session->accessToken.toLatin1()}});
            return targetOf(r.json().value(u"url"_s).toString());
        };
        auto *guard = server.server().router()->findChild<http::GuardedTcpServer *>();
        const qint64 size = 2 * 1024 * 1024;
        const QByteArray bytes(size, 'q');

        QTcpSocket first;
        first.connectToHost(u"127.0.0.1"_s, server.port());
        QVERIFY(first.waitForConnected(10000));
        first.write("PUT " + presignFor(u"first.bin"_s) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                    + QByteArray::number(size) + "\r\n\r\n" + bytes.left(1024));
        first.flush();
        QTRY_COMPARE_WITH_TIMEOUT(guard->bufferedBytes(), size, 10000);

        const HttpResult second = test::request(server.port(), "PUT", presignFor(u"second.bin"_s), bytes,
                                                {{"Content-Type", "application/octet-stream"}});
        EXPECT(second, 503);
        QVERIFY(!server.backend().objects().object(firm->first.id, u"second.bin"_s));

        first.write(bytes.mid(1024));
        QByteArray answer;
        HttpResult r;
        while (test::parseResponse(answer, r) < 0 && first.waitForReadyRead(10000))
            answer += first.readAll();
        QCOMPARE(r.status, 201);
        first.disconnectFromHost();
        QTRY_COMPARE_WITH_TIMEOUT(guard->bufferedBytes(), qint64(0), 10000);
        EXPECT(test::request(server.port(), "PUT", presignFor(u"third.bin"_s), bytes,
                             {{"Content-Type", "application/octet-stream"}}),
               201);
        // Never two uploads' worth at once (the small presign bodies aside).
        QVERIFY(guard->peakBufferedBytes() >= size && guard->peakBufferedBytes() < size + 64 * 1024);
    }

    // A bound content type is a media type: compared case-insensitively, parameters normalised.
    void boundContentTypeComparesAsMediaType_data()
    {
        QTest::addColumn<QString>("bound");
        QTest::addColumn<QByteArray>("sent");
        QTest::addColumn<int>("status");
        QTest::newRow("case") << u"application/pdf"_s << QByteArray("Application/PDF") << 201;
        QTest::newRow("charset case, quotes, spaces")
            << u"text/csv; charset=utf-8"_s << QByteArray("Text/CSV ;Charset=\"UTF-8\"") << 201;
        QTest::newRow("parameter order") << u"text/plain; charset=utf-8; format=flowed"_s
                                         << QByteArray("text/plain;format=flowed;charset=UTF-8") << 201;
        QTest::newRow("parameter missing") << u"text/csv; charset=utf-8"_s << QByteArray("text/csv") << 403;
        QTest::newRow("parameter added") << u"application/pdf"_s << QByteArray("application/pdf; charset=binary") << 403;
        QTest::newRow("other subtype") << u"text/csv"_s << QByteArray("text/plain") << 403;
    }

    void boundContentTypeComparesAsMediaType()
    {
        QFETCH(QString, bound);
        QFETCH(QByteArray, sent);
        QFETCH(int, status);
        const QString key = u"typed-"_s + QString::number(qHash(QString::fromLatin1(sent) + bound));
        const QByteArray bytes
            = bound.startsWith(u"application/pdf"_s) ? QByteArray("%PDF-1.7\n1 0 obj") : QByteArray("a,b\n1,2\n");
        EXPECT(put(urlFor(u"PUT"_s, key, m_analyst, bound), bytes, sent), status);
        QCOMPARE(bool(backend().objects().object(m_firmA, key)), status == 201);
    }

    // Stored objects are what they say they are: the bytes are sniffed for the types the product
    // works with, and a mismatch is 415 with nothing stored.
    void sniffedContent_data()
    {
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("status");
        const QByteArray png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
        QTest::newRow("PDF") << QByteArray("application/pdf") << QByteArray("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n") << 201;
        QTest::newRow("not a PDF") << QByteArray("application/pdf") << QByteArray("MZ\x90\0\x03\0\0\0", 8) << 415;
        QTest::newRow("HTML as PDF") << QByteArray("application/pdf") << QByteArray("<html><script>x</script>") << 415;
        QTest::newRow("PNG") << QByteArray("image/png") << png << 201;
        QTest::newRow("PDF as PNG") << QByteArray("image/png") << QByteArray("%PDF-1.4") << 415;
        QTest::newRow("JPEG") << QByteArray("image/jpeg") << QByteArray("\xff\xd8\xff\xe0\0\x10JFIF", 10) << 201;
        QTest::newRow("PNG as JPEG") << QByteArray("image/jpeg") << png << 415;
        QTest::newRow("XML") << QByteArray("application/xml") << QByteArray("\xef\xbb\xbf<?xml version=\"1.0\"?><a/>") << 201;
        QTest::newRow("not XML") << QByteArray("text/xml") << QByteArray("{\"a\":1}") << 415;
        QTest::newRow("JSON") << QByteArray("application/json") << QByteArray(" [1,2]") << 201;
        QTest::newRow("not JSON") << QByteArray("application/json") << png << 415;
        QTest::newRow("CSV") << QByteArray("text/csv; charset=utf-8") << QByteArray("name,country\nJos\xc3\xa9,FR\n") << 201;
        QTest::newRow("binary as CSV") << QByteArray("text/csv") << QByteArray("a,b\0\0\0\x01\x02", 9) << 415;
        QTest::newRow("binary as text") << QByteArray("text/plain") << png << 415;
        QTest::newRow("empty PDF") << QByteArray("application/pdf") << QByteArray() << 415;
        QTest::newRow("octet-stream: not sniffed") << QByteArray("application/octet-stream") << png << 201;
    }

    void sniffedContent()
    {
        QFETCH(QByteArray, contentType);
        QFETCH(QByteArray, bytes);
        QFETCH(int, status);
        const QString key
            = u"sniffed-"_s + QString::fromLatin1(QTest::currentDataTag()).replace(QRegularExpression(u"[^A-Za-z0-9]"_s), u"-"_s);
        const qint64 rowsBefore = rows(m_firmA);
        const HttpResult r = put(urlFor(u"PUT"_s, key, m_analyst), bytes, contentType);
        EXPECT(r, status);
        QCOMPARE(bool(backend().objects().object(m_firmA, key)), status == 201);
        QCOMPARE(rows(m_firmA), rowsBefore + (status == 201 ? 1 : 0));
    }

    // A URL stops working once its issuer could not issue it any more.
    void urlDiesWithItsIssuer_data()
    {
        QTest::addColumn<QString>("change");
        QTest::addColumn<int>("putStatus");
        QTest::addColumn<int>("getStatus");
        QTest::newRow("user deactivated") << u"deactivate"_s << 403 << 403;
        QTest::newRow("analyst made viewer") << u"viewer"_s << 403 << 200;
        QTest::newRow("nothing changed") << u"none"_s << 201 << 200;
    }

    void urlDiesWithItsIssuer()
    {
        QFETCH(QString, change);
        QFETCH(int, putStatus);
        QFETCH(int, getStatus);
        static int n = 0;
        const QString email = u"issuer%1@store-a.test"_s.arg(++n);
        auto user = backend().accounts().createUser(Actor::system(m_firmA), email, u"Issuer"_s, Role::Analyst, kPassword);
        QVERIFY(user);
        const QString token = sessionFor(*user);
        const QString key = u"issued-%1.bin"_s.arg(n);
        EXPECT(upload(key, "first", token), 201);
        const QByteArray putUrl = urlFor(u"PUT"_s, key, token);
        const QByteArray getUrl = urlFor(u"GET"_s, key, token);
        QVERIFY(!putUrl.isEmpty() && !getUrl.isEmpty());

        auto owner = backend().auth().authenticate(m_owner, u"127.0.0.1"_s);
        QVERIFY(owner);
        identity::UserPatch patch;
        if (change == u"deactivate"_s)
            patch.status = u"deactivated"_s;
        else if (change == u"viewer"_s)
            patch.role = Role::Viewer;
        if (change != u"none"_s)
            QVERIFY(backend().accounts().updateUser(*owner, user->id, patch));

        EXPECT(put(putUrl, "second"), putStatus);
        EXPECT(get(getUrl), getStatus);
        // Refused from the head as well, before a body byte.
        if (putStatus == 403) {
            QTcpSocket s;
            s.connectToHost(u"127.0.0.1"_s, port());
            QVERIFY(s.waitForConnected(10000));
            s.write("PUT " + putUrl + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n");
            QByteArray answer;
            while (!answer.contains("\r\n\r\n") && s.waitForReadyRead(10000))
                answer += s.readAll();
            QVERIFY2(answer.startsWith("HTTP/1.1 403"), answer.constData());
        }
        const auto stored = backend().objects().object(m_firmA, key);
        QVERIFY(stored);
        QCOMPARE(stored->sha256, sha256Of(putStatus == 201 ? QByteArray("second") : QByteArray("first")));
    }

    // An API key's URLs die with the key (revoked), not with the user who created the key.
    void urlDiesWithItsKey()
    {
        auto owner = backend().auth().authenticate(m_owner, u"127.0.0.1"_s);
        QVERIFY(owner);
        auto key = backend().apiKeys().create(*owner, {u"short-lived uploads"_s, {u"storage:write"_s, u"storage:read"_s}, {}});
        QVERIFY(key);
        const HttpResult p = presign(QJsonObject{{u"method"_s, u"PUT"_s}, {u"key"_s, u"by-key.bin"_s}}, {}, key->secret);
        EXPECT(p, 200);
        const QByteArray putUrl = targetOf(p.json().value(u"url"_s).toString());
        EXPECT(put(putUrl, "one"), 201);
        QVERIFY(backend().apiKeys().revoke(*owner, key->key.id));
        EXPECT(put(putUrl, "two"), 403);
        QCOMPARE(backend().objects().object(m_firmA, u"by-key.bin"_s)->sha256, sha256Of("one"));
    }

    // The service refuses too much on its own as well (the GUI calls it in-process).
    void sizeLimitInTheService()
    {
        auto analyst = backend().auth().authenticate(m_analyst, u"127.0.0.1"_s);
        QVERIFY(analyst);
        const QStringList before = files(m_firmA);
        auto tooBig = backend().objects().put(*analyst, u"gui-upload.bin"_s, QByteArray(kStorageMax + 1, 'z'), {});
        QVERIFY(!tooBig);
        QCOMPARE(tooBig.error().code, ErrorCode::PayloadTooLarge);
        QCOMPARE(files(m_firmA), before);
        auto ok = backend().objects().put(*analyst, u"gui-upload.bin"_s, "from the desktop", u"text/plain"_s);
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message));
        QCOMPARE(ok->createdBy, m_analystId);
    }

    // Firm B's own URL for the same key reaches firm B's objects only.
    void tenantIsolation()
    {
        const QByteArray alpha = binaryBytes(5000, 21), beta = binaryBytes(6000, 22);
        EXPECT(upload(u"shared-name.pdf"_s, alpha, m_analyst), 201);

        const QByteArray bUrl = urlFor(u"GET"_s, u"shared-name.pdf"_s, m_ownerB);
        QVERIFY(!bUrl.isEmpty());
        QCOMPARE(paramOf(bUrl, u"firm"_s), m_firmB);
        const HttpResult denied = get(bUrl);
        EXPECT(denied, 404);
        QVERIFY(!denied.body.contains(alpha.left(16)));

        EXPECT(upload(u"shared-name.pdf"_s, beta, m_ownerB), 201);
        QCOMPARE(get(bUrl).body, beta);
        QCOMPARE(download(u"shared-name.pdf"_s, m_viewer).body, alpha);
        QCOMPARE(backend().objects().object(m_firmA, u"shared-name.pdf"_s)->sha256, sha256Of(alpha));
        QCOMPARE(backend().objects().object(m_firmB, u"shared-name.pdf"_s)->sha256, sha256Of(beta));
        QCOMPARE(events(m_firmB, u"storage.object_uploaded"_s, u"shared-name.pdf"_s).size(), 1);
        QVERIFY(!files(m_firmB).isEmpty());
    }

    void missingObject()
    {
        const HttpResult r = download(u"never-uploaded.bin"_s, m_viewer);
        EXPECT(r, 404);
    }

    // The router itself applies the per-path limit to a body it is handed (no sockets).
    void routerUsesThePathLimit()
    {
        Config config = test::testConfig();
        config.bodyLimitBytes = 4096;
        config.storageMaxBytes = 8192;
        FakeClock clock;
        http::ApiRouter router(config, clock);
        http::Controller c;
        c.category = u"Test"_s;
        for (const http::Method m : {http::Method::Put, http::Method::Post}) {
            http::Route r;
            r.method = m;
            r.path = u"/storage/objects/:key"_s;
            r.auth = u"signed URL"_s;
            r.body = http::BodyKind::Raw;
            r.handler = [](const http::ApiRequest &req) {
                return http::ApiResponse::json(QJsonObject{{u"size"_s, req.body.size()}});
            };
            if (m == http::Method::Put)
                r.bodyLimitBytes = config.storageMaxBytes;
            c.routes << r;
        }
        router.addController(std::move(c));

        auto send = [&](const QByteArray &method, const QByteArray &path, qsizetype size) {
            http::IncomingRequest in;
            in.method = method;
            in.encodedPath = path;
            in.encodedQuery = "firm=x&signature=y";
            in.ip = u"127.0.0.1"_s;
            in.body = QByteArray(size, 'b');
            return router.dispatch(in).status;
        };
        QCOMPARE(send("PUT", "/api/v1/storage/objects/k", 6000), 200);
        QCOMPARE(send("PUT", "/api/v1/storage/objects/k", 8192), 200);
        QCOMPARE(send("PUT", "/api/v1/storage/objects/k", 8193), 413);
        QCOMPARE(send("POST", "/api/v1/storage/objects/k", 6000), 413);
        QCOMPARE(send("POST", "/api/v1/storage/objects/k", 4096), 200);
    }

    void pathLimitMatching_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<bool>("matches");

        QTest::newRow("key") << QByteArray("PUT") << QByteArray("/api/v1/storage/objects/a.pdf") << true;
        QTest::newRow("key and query") << QByteArray("PUT") << QByteArray("/api/v1/storage/objects/a?x=/y") << true;
        QTest::newRow("GET") << QByteArray("GET") << QByteArray("/api/v1/storage/objects/a") << false;
        QTest::newRow("put (case)") << QByteArray("put") << QByteArray("/api/v1/storage/objects/a") << false;
        QTest::newRow("no key") << QByteArray("PUT") << QByteArray("/api/v1/storage/objects/") << false;
        QTest::newRow("no key, query") << QByteArray("PUT") << QByteArray("/api/v1/storage/objects/?a=b") << false;
        QTest::newRow("two segments") << QByteArray("PUT") << QByteArray("/api/v1/storage/objects/a/b") << false;
        QTest::newRow("dot segments") << QByteArray("PUT") << QByteArray("/api/v1/storage/objects/../../auth/login") << false;
        QTest::newRow("other prefix") << QByteArray("PUT") << QByteArray("/api/v1/storage/objectsX/a") << false;
        QTest::newRow("absolute form") << QByteArray("PUT") << QByteArray("http://h/api/v1/storage/objects/a") << false;
    }

    // Only the upload route itself has the larger limit: the router resolves the target as it
    // routes it, so nothing can borrow the limit by sharing a prefix.
    void pathLimitMatching()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, target);
        QFETCH(bool, matches);

        Config config = test::testConfig();
        config.bodyLimitBytes = 100;
        config.storageMaxBytes = 5000;
        FakeClock clock;
        http::ApiRouter router(config, clock);
        router.addController(http::makeStorageController(&backend()));
        QCOMPARE(router.bodyLimitFor(method, target), matches ? qint64(backend().config().storageMaxBytes) : qint64(100));
    }

    void auditChainStillVerifies()
    {
        auto all = backend().audit().verifyAll();
        QVERIFY(all);
        for (const auto &v : *all)
            QVERIFY2(v.valid, qPrintable(v.chain + u": "_s + v.reason));
    }
};

QTEST_GUILESS_MAIN(TestStorageApi)
#include "tst_storage_api.moc"
