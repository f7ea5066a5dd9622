// Parser limits where outside input arrives (issue 8, attack 3): over HTTP, a list file of 200 000 nested
// elements uploaded and imported through POST /aml/lists/import is a 422 naming the limit, the serving
// version stays and the server keeps answering; a request body nested deeper than the JSON limit is a 400
// naming it; and the admin CLI (a real kyconnect process) refuses the same file with a message and exit 1
// instead of dying of a stack overflow (exit 139 before).
#include "backend/identity/accountservice.h"
#include "backend/identity/authservice.h"
#include "backend/screening/screeningservice.h"
#include "tests/testsupport/apiassert.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

using namespace kyc;
using namespace Qt::Literals::StringLiterals;
using test::HttpResult;

namespace {

const QString kPassword = u"correct horse battery staple"_s;

// The file of the report: 1.4 MB, 200 000 elements nested inside one UN record.
QByteArray deepUnXml()
{
    QByteArray out = "<?xml version=\"1.0\"?>\n<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>";
    out.reserve(1'500'000);
    for (int i = 0; i < 200'000; ++i)
        out += "<a>";
    for (int i = 0; i < 200'000; ++i)
        out += "</a>";
    out += "</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>\n";
    return out;
}

} // namespace

class TestImportLimitsApi : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::TestServer> m_server;
    QString m_owner;
    QString m_unVersion;

    Backend &backend() { return m_server->backend(); }
    quint16 port() const { return m_server->port(); }

    HttpResult send(const QByteArray &method, const QString &path, const QByteArray &body, const QString &token = {})
    {
        test::Headers h;
        if (!token.isEmpty())
            h.append({"Authorization", "Bearer " + token.toLatin1()});
        return test::request(port(), method, "/api/v1" + path.toUtf8(), body, h);
    }
    HttpResult post(const QString &path, const QJsonObject &body, const QString &token = {})
    {
        return send("POST", path, QJsonDocument(body).toJson(QJsonDocument::Compact), token);
    }
    bool upload(const QString &key, const QByteArray &bytes)
    {
        const HttpResult p = post(u"/storage/presign"_s, {{u"method"_s, u"PUT"_s}, {u"key"_s, key}}, m_owner);
        if (p.status != 200)
            return false;
        const QString url = p.json().value(u"url"_s).toString();
        const QByteArray target = url.mid(url.indexOf(u"/api/v1/"_s)).toUtf8();
        return test::request(port(), "PUT", target, bytes, {{"Content-Type", "application/octet-stream"}}).status == 201;
    }
    qint64 count(const QString &sql) { return test::count(backend().database(), sql, {}); }

private slots:
    void initTestCase()
    {
        m_server = std::make_unique<test::TestServer>();
        QVERIFY(m_server->ok() && port());
        auto v = backend().screening().importList(
            Actor::system(), screening::ListFormat::UnXml,
            {test::sharedDir() + u"/data/sanctions/un_consolidated_xml/2026-02-27/UN_consolidated.xml"_s});
        QVERIFY2(v, v ? "" : qPrintable(v.error().message));
        m_unVersion = v->id;
        auto firm = backend().accounts().createFirm(
            {u"Limits Ltd"_s, u"GB"_s, {}, u"owner@limits.test"_s, kPassword, u"Lim Its"_s, {}});
        QVERIFY(firm);
        auto session = backend().auth().openSession(firm->second, u"127.0.0.1"_s, u"limits test"_s);
        QVERIFY(session);
        m_owner = session->accessToken;
    }

    void deepXmlIsA422NamingTheLimit()
    {
        // A firm-private list (firm admins may import those; official lists are the platform's).
        QVERIFY(upload(u"deep.xml"_s, deepUnXml()));
        const qint64 versions = count(u"SELECT COUNT(*) FROM list_versions"_s);
        const HttpResult r = post(
            u"/aml/lists/import"_s,
            {{u"source"_s, u"firm:deep_xml"_s}, {u"format"_s, u"un_xml"_s}, {u"storage_keys"_s, QJsonArray{u"deep.xml"_s}}},
            m_owner);
        QCOMPARE(r.status, 422);
        QVERIFY2(r.body.contains("nesting depth limit"), r.body.constData());
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_versions"_s), versions);
        QCOMPARE(
            count(u"SELECT COUNT(*) FROM list_versions WHERE source = 'un' AND active = 1 AND id = '"_s + m_unVersion + u"'"_s),
            1);
        // The server is alive and still screens against the serving version.
        QCOMPARE(test::request(port(), "GET", "/api/v1/health").status, 200);
    }

    void deepJsonBodyIsA400NamingTheLimit()
    {
        const QByteArray deep = "{\"email\":" + QByteArray(100'000, '[') + QByteArray(100'000, ']') + "}";
        const HttpResult r = send("POST", u"/auth/login"_s, deep);
        QCOMPARE(r.status, 400);
        QVERIFY2(r.body.contains("JSON nesting depth over the limit of 32 levels"), r.body.constData());
        const QByteArray wide = "{\"email\":\"" + QByteArray(2 << 20, 'a') + "\"}";
        const HttpResult w = send("POST", u"/auth/login"_s, wide);
        QVERIFY2(w.status == 400 || w.status == 413, w.body.constData()); // the body limit may answer first
        QCOMPARE(test::request(port(), "GET", "/api/v1/health").status, 200);
    }

    // The admin CLI on the same file: a message naming the limit and exit 1, not a crash.
    void cliRefusesTheDeepFile()
    {
        const QString binary = QStringLiteral(KYC_BINARY_DIR) + u"/app/kyconnect"_s;
        if (!QFile::exists(binary))
            QSKIP("build the kyconnect target");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString file = dir.filePath(u"deep.xml"_s);
        {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(deepUnXml());
        }
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
        p.setProcessEnvironment(env);
        p.start(binary, {u"admin"_s, u"import-list"_s, u"un_xml"_s, file, u"--data-dir"_s, dir.filePath(u"data"_s)});
        QVERIFY(p.waitForFinished(120'000));
        const QByteArray err = p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() != 0, err.constData());
        QVERIFY2(err.contains("deep.xml: line 2: over the nesting depth limit (64 levels)"), err.constData());
    }
};

QTEST_GUILESS_MAIN(TestImportLimitsApi)
#include "tst_import_limits_api.moc"
