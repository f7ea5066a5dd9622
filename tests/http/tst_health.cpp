// Operations 1–4: liveness, readiness (503 naming the failing check), the OpenAPI document and the
// Postman collection generated from it.
#include "backend/http/apirouter.h"
#include "backend/http/controllers/controllers.h"
#include "backend/screening/screeningservice.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QtTest>

using namespace kyc;
using namespace kyc::http;

namespace {

const QStringList kHttpMethods{QStringLiteral("get"),    QStringLiteral("put"),     QStringLiteral("post"),
                               QStringLiteral("delete"), QStringLiteral("options"), QStringLiteral("head"),
                               QStringLiteral("patch"),  QStringLiteral("trace")};

IncomingRequest get(const QByteArray &path)
{
    IncomingRequest in;
    in.method = "GET";
    in.encodedPath = path;
    in.ip = QStringLiteral("127.0.0.1");
    return in;
}

QJsonObject objectOf(const QByteArray &body)
{
    return QJsonDocument::fromJson(body).object();
}

// The key of the request's auth entry named `key` (Postman keeps auth parameters as key/value lists).
QString authValue(const QJsonObject &auth, const QString &type, const QString &key)
{
    for (const auto &v : auth.value(type).toArray()) {
        if (v.toObject().value(QStringLiteral("key")).toString() == key)
            return v.toObject().value(QStringLiteral("value")).toString();
    }
    return QString();
}

// Whether a Postman request can send {{KYCONNECT_API_KEY}} in the X-API-Key header: through an
// apikey auth, or a header entry (possibly disabled, to be switched on).
bool canUseApiKey(const QJsonObject &request)
{
    const QJsonObject auth = request.value(QStringLiteral("auth")).toObject();
    if (auth.value(QStringLiteral("type")).toString() == QStringLiteral("apikey")
        && authValue(auth, QStringLiteral("apikey"), QStringLiteral("key"))
                .compare(QStringLiteral("X-API-Key"), Qt::CaseInsensitive)
            == 0
        && authValue(auth, QStringLiteral("apikey"), QStringLiteral("value")) == QStringLiteral("{{KYCONNECT_API_KEY}}")
        && authValue(auth, QStringLiteral("apikey"), QStringLiteral("in")) != QStringLiteral("query"))
        return true;
    for (const auto &h : request.value(QStringLiteral("header")).toArray()) {
        const QJsonObject o = h.toObject();
        if (o.value(QStringLiteral("key")).toString().compare(QStringLiteral("X-API-Key"), Qt::CaseInsensitive) == 0
            && o.value(QStringLiteral("value")).toString() == QStringLiteral("{{KYCONNECT_API_KEY}}"))
            return true;
    }
    return false;
}

} // namespace

class TestHealth : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::TestServer> m_server;
    QJsonObject m_openApi;
    QJsonObject m_postman;
    test::HttpResult m_postmanResponse;

    // "METHOD /path" of each OpenAPI operation → the operation.
    QHash<QString, QJsonObject> operations() const
    {
        QHash<QString, QJsonObject> out;
        const QJsonObject paths = m_openApi.value(QStringLiteral("paths")).toObject();
        for (auto p = paths.begin(); p != paths.end(); ++p) {
            const QJsonObject item = p.value().toObject();
            for (auto m = item.begin(); m != item.end(); ++m) {
                if (kHttpMethods.contains(m.key()))
                    out.insert(m.key().toUpper() + u' ' + p.key(), m.value().toObject());
            }
        }
        return out;
    }

    // The Postman request for an OpenAPI operation, found by method and path.
    QJsonObject postmanRequest(const QString &method, const QString &openApiPath) const
    {
        QString postmanPath = openApiPath;
        postmanPath.replace(QRegularExpression(QStringLiteral("\\{(\\w+)\\}")), QStringLiteral(":\\1"));
        for (const auto &f : m_postman.value(QStringLiteral("item")).toArray()) {
            for (const auto &i : f.toObject().value(QStringLiteral("item")).toArray()) {
                const QJsonObject req = i.toObject().value(QStringLiteral("request")).toObject();
                QStringList segs;
                for (const auto &s : req.value(QStringLiteral("url")).toObject().value(QStringLiteral("path")).toArray())
                    segs << s.toString();
                if (req.value(QStringLiteral("method")).toString() == method && u'/' + segs.join(u'/') == postmanPath)
                    return req;
            }
        }
        return {};
    }

private slots:
    void initTestCase()
    {
        m_server = std::make_unique<test::TestServer>();
        QVERIFY(m_server->ok());
        QVERIFY(m_server->port());
    }

    void cleanupTestCase() { m_server.reset(); }

    void liveness()
    {
        const test::HttpResult r = test::request(m_server->port(), "GET", "/api/v1/health");
        QVERIFY(r.ok);
        QCOMPARE(r.status, 200);
        QVERIFY(r.headers.value("content-type").startsWith("application/json"));
        const QJsonObject o = r.json();
        QStringList keys = o.keys();
        keys.sort();
        QCOMPARE(keys, (QStringList{QStringLiteral("status"), QStringLiteral("uptime_s"), QStringLiteral("version")}));
        QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
        QCOMPARE(o.value(QStringLiteral("version")).toString(), QStringLiteral("0.1.0"));
        const QJsonValue uptime = o.value(QStringLiteral("uptime_s"));
        QVERIFY(uptime.isDouble());
        QCOMPARE(uptime.toDouble(), double(uptime.toInteger()));
        QVERIFY(uptime.toInteger() >= 0);
        // A whole number on the wire, not 0.0 or 1e3.
        QVERIFY2(QRegularExpression(QStringLiteral("\"uptime_s\":\\d+[,}]")).match(QString::fromUtf8(r.body)).hasMatch(),
                 r.body.constData());
    }

    void livenessReportsTheUptime()
    {
        Config config;
        FakeClock clock;
        ApiRouter router(config, clock);
        router.addController(makeHealthController(HealthDeps{QStringLiteral("9.8.7"), [] { return qint64(4242); }, {}, &router}));
        const ApiResponse res = router.dispatch(get("/api/v1/health"));
        QCOMPARE(res.status, 200);
        const QJsonObject o = objectOf(res.body);
        QCOMPARE(o.value(QStringLiteral("uptime_s")).toInteger(), 4242);
        QCOMPARE(o.value(QStringLiteral("version")).toString(), QStringLiteral("9.8.7"));
    }

    void readiness()
    {
        // With no sanctions list loaded the instance is not ready, and says why.
        const test::HttpResult empty = test::request(m_server->port(), "GET", "/api/v1/health/ready");
        QCOMPARE(empty.status, 503);
        QVERIFY2(empty.json().value(QStringLiteral("message")).toString().contains(QStringLiteral("sanctions_lists")),
                 empty.body.constData());
        QCOMPARE(empty.json().value(QStringLiteral("statusCode")).toInt(), 503);
        auto imported = m_server->backend().screening().importList(
            kyc::Actor::system(), kyc::screening::ListFormat::UnXml,
            {test::sharedDir() + QStringLiteral("/data/sanctions/un_consolidated_xml/2026-02-27/UN_consolidated.xml")});
        QVERIFY2(imported.has_value(), imported ? "" : qPrintable(imported.error().message));

        const test::HttpResult r = test::request(m_server->port(), "GET", "/api/v1/health/ready");
        QVERIFY(r.ok);
        QCOMPARE(r.status, 200);
        const QJsonObject o = r.json();
        QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("ready"));
        QHash<QString, bool> checks;
        for (const auto &c : o.value(QStringLiteral("checks")).toArray()) {
            const QJsonObject check = c.toObject();
            QVERIFY2(check.value(QStringLiteral("ok")).isBool(), qPrintable(QString::fromUtf8(QJsonDocument(check).toJson())));
            checks.insert(check.value(QStringLiteral("name")).toString(), check.value(QStringLiteral("ok")).toBool());
        }
        QVERIFY2(checks.contains(QStringLiteral("database")), r.body.constData());
        QVERIFY2(checks.contains(QStringLiteral("migrations")), r.body.constData());
        QVERIFY2(checks.contains(QStringLiteral("sanctions_lists")), r.body.constData());
        for (auto it = checks.cbegin(); it != checks.cend(); ++it)
            QVERIFY2(it.value(), qPrintable(it.key()));
    }

    void notReadyNamesTheFailingCheck_data()
    {
        QTest::addColumn<QStringList>("failing");
        QTest::newRow("lists not loaded") << QStringList{QStringLiteral("sanctions_lists")};
        QTest::newRow("two failing") << QStringList{QStringLiteral("migrations"), QStringLiteral("sanctions_lists")};
    }

    void notReadyNamesTheFailingCheck()
    {
        QFETCH(QStringList, failing);

        QList<HealthCheck> checks;
        for (const QString &name :
             {QStringLiteral("database"), QStringLiteral("migrations"), QStringLiteral("sanctions_lists")}) {
            const bool fails = failing.contains(name);
            checks << HealthCheck{name, [fails]() -> Result<QString> {
                                      if (fails)
                                          return fail(ErrorCode::Unavailable, QStringLiteral("lists not loaded"));
                                      return QStringLiteral("fine");
                                  }};
        }
        Config config;
        FakeClock clock;
        ApiRouter router(config, clock);
        router.addController(
            makeHealthController(HealthDeps{QStringLiteral("0.1.0"), [] { return qint64(1); }, checks, &router}));

        const ApiResponse res = router.dispatch(get("/api/v1/health/ready"));
        QCOMPARE(res.status, 503);
        const QJsonObject o = objectOf(res.body);
        QStringList keys = o.keys();
        keys.sort();
        QCOMPARE(keys,
                 (QStringList{QStringLiteral("checks"), QStringLiteral("error"), QStringLiteral("message"),
                              QStringLiteral("statusCode")}));
        QCOMPARE(o.value(QStringLiteral("statusCode")).toInt(), 503);
        QCOMPARE(o.value(QStringLiteral("error")).toString(), QStringLiteral("Service Unavailable"));
        QVERIFY(o.value(QStringLiteral("message")).isString());
        const QString message = o.value(QStringLiteral("message")).toString();
        for (const QString &name : failing)
            QVERIFY2(message.contains(name), qPrintable(message));
        QVERIFY2(!message.contains(QStringLiteral("database")), qPrintable(message)); // only failing checks are named

        const QJsonArray reported = o.value(QStringLiteral("checks")).toArray();
        QCOMPARE(reported.size(), 3);
        for (const auto &c : reported) {
            const QJsonObject check = c.toObject();
            const QString name = check.value(QStringLiteral("name")).toString();
            QVERIFY(check.value(QStringLiteral("ok")).isBool());
            QCOMPARE(check.value(QStringLiteral("ok")).toBool(), !failing.contains(name));
            if (failing.contains(name))
                QCOMPARE(check.value(QStringLiteral("detail")).toString(), QStringLiteral("lists not loaded"));
        }
    }

    void openApiDocument()
    {
        const test::HttpResult r = test::request(m_server->port(), "GET", "/api/v1/health/openapi.json");
        QVERIFY(r.ok);
        QCOMPARE(r.status, 200);
        QVERIFY(r.headers.value("content-type").startsWith("application/json"));
        QJsonParseError pe{};
        m_openApi = QJsonDocument::fromJson(r.body, &pe).object();
        QCOMPARE(pe.error, QJsonParseError::NoError);
        QCOMPARE(m_openApi.value(QStringLiteral("openapi")).toString(), QStringLiteral("3.0.3"));
        QCOMPARE(m_openApi.value(QStringLiteral("info")).toObject().value(QStringLiteral("version")).toString(),
                 QStringLiteral("0.1.0"));
        QVERIFY(!m_openApi.value(QStringLiteral("info")).toObject().value(QStringLiteral("title")).toString().isEmpty());

        const auto ops = operations();
        QCOMPARE(ops.size(), 96);
        QVERIFY(ops.contains(QStringLiteral("GET /health")));
        QVERIFY(ops.contains(QStringLiteral("GET /users/{id}")));
        QVERIFY(ops.contains(QStringLiteral("POST /billing/webhooks/{provider}")));
        QVERIFY(!ops.contains(QStringLiteral("GET /users/:id")));

        // Security schemes the operations refer to exist.
        const QJsonObject schemes
            = m_openApi.value(QStringLiteral("components")).toObject().value(QStringLiteral("securitySchemes")).toObject();
        const QJsonObject bearer = schemes.value(QStringLiteral("bearerAuth")).toObject();
        QCOMPARE(bearer.value(QStringLiteral("type")).toString(), QStringLiteral("http"));
        QCOMPARE(bearer.value(QStringLiteral("scheme")).toString().toLower(), QStringLiteral("bearer"));
        const QJsonObject key = schemes.value(QStringLiteral("apiKeyAuth")).toObject();
        QCOMPARE(key.value(QStringLiteral("type")).toString(), QStringLiteral("apiKey"));
        QCOMPARE(key.value(QStringLiteral("in")).toString(), QStringLiteral("header"));
        QCOMPARE(key.value(QStringLiteral("name")).toString(), QStringLiteral("X-API-Key"));
        for (auto it = ops.cbegin(); it != ops.cend(); ++it) {
            for (const auto &s : it.value().value(QStringLiteral("security")).toArray()) {
                for (const QString &name : s.toObject().keys())
                    QVERIFY2(schemes.contains(name), qPrintable(it.key() + u' ' + name));
            }
        }
        // Public health operations need no credentials; a jwt one does.
        QVERIFY(ops.value(QStringLiteral("GET /health")).value(QStringLiteral("security")).toArray().isEmpty());
        QVERIFY(!ops.value(QStringLiteral("GET /auth/me")).value(QStringLiteral("security")).toArray().isEmpty());
    }

    void postmanCollection()
    {
        m_postmanResponse = test::request(m_server->port(), "GET", "/api/v1/health/postman-collection");
        QVERIFY(m_postmanResponse.ok);
        QCOMPARE(m_postmanResponse.status, 200);
        QCOMPARE(m_postmanResponse.headers.value("content-disposition"),
                 QByteArray("attachment; filename=\"kyconnect_postman_collection.json\""));
        QVERIFY(m_postmanResponse.headers.value("content-type").startsWith("application/json"));
        QJsonParseError pe{};
        m_postman = QJsonDocument::fromJson(m_postmanResponse.body, &pe).object();
        QCOMPARE(pe.error, QJsonParseError::NoError);

        const QJsonObject info = m_postman.value(QStringLiteral("info")).toObject();
        QCOMPARE(info.value(QStringLiteral("schema")).toString(),
                 QStringLiteral("https://schema.getpostman.com/json/collection/v2.1.0/collection.json"));
        QVERIFY(!info.value(QStringLiteral("name")).toString().isEmpty());
        QVERIFY(!info.value(QStringLiteral("_postman_id")).toString().isEmpty());

        // One folder per category, in the contract's order, 96 requests in all.
        const QJsonArray folders = m_postman.value(QStringLiteral("item")).toArray();
        QCOMPARE(folders.size(), 15);
        QCOMPARE(folders.first().toObject().value(QStringLiteral("name")).toString(), QStringLiteral("Health"));
        QSet<QString> folderNames;
        int requests = 0;
        for (const auto &f : folders) {
            const QJsonObject folder = f.toObject();
            folderNames.insert(folder.value(QStringLiteral("name")).toString());
            const QJsonArray items = folder.value(QStringLiteral("item")).toArray();
            QVERIFY2(!items.isEmpty(), qPrintable(folder.value(QStringLiteral("name")).toString()));
            for (const auto &i : items) {
                const QJsonObject item = i.toObject();
                QVERIFY(!item.value(QStringLiteral("name")).toString().isEmpty());
                const QJsonObject req = item.value(QStringLiteral("request")).toObject();
                QVERIFY2(!req.isEmpty(), "a folder holds a nested folder instead of a request");
                const QJsonObject url = req.value(QStringLiteral("url")).toObject();
                QVERIFY(url.value(QStringLiteral("raw")).toString().startsWith(QStringLiteral("{{KYCONNECT_BASE_URL}}/")));
                QCOMPARE(url.value(QStringLiteral("host")).toArray(), QJsonArray{QStringLiteral("{{KYCONNECT_BASE_URL}}")});
                ++requests;
            }
        }
        QCOMPARE(folderNames.size(), 15);
        QCOMPARE(requests, 96);

        QHash<QString, QString> variables;
        for (const auto &v : m_postman.value(QStringLiteral("variable")).toArray())
            variables.insert(v.toObject().value(QStringLiteral("key")).toString(),
                             v.toObject().value(QStringLiteral("value")).toString());
        QCOMPARE(variables.size(), 3);
        QVERIFY(variables.contains(QStringLiteral("KYCONNECT_BASE_URL")));
        QVERIFY(variables.contains(QStringLiteral("KYCONNECT_JWT")));
        QVERIFY(variables.contains(QStringLiteral("KYCONNECT_API_KEY")));
        QVERIFY2(variables.value(QStringLiteral("KYCONNECT_BASE_URL")).endsWith(QStringLiteral("/api/v1")),
                 qPrintable(variables.value(QStringLiteral("KYCONNECT_BASE_URL"))));
    }

    void postmanAuthFollowsTheOperations()
    {
        if (m_openApi.isEmpty() || m_postman.isEmpty())
            QSKIP("needs openApiDocument and postmanCollection");

        // A jwt operation sends the JWT variable as a bearer token.
        const QJsonObject me = postmanRequest(QStringLiteral("GET"), QStringLiteral("/auth/me"));
        QVERIFY(!me.isEmpty());
        const QJsonObject meAuth = me.value(QStringLiteral("auth")).toObject();
        QCOMPARE(meAuth.value(QStringLiteral("type")).toString(), QStringLiteral("bearer"));
        QCOMPARE(authValue(meAuth, QStringLiteral("bearer"), QStringLiteral("token")), QStringLiteral("{{KYCONNECT_JWT}}"));

        // A public operation sends no credentials (rather than inheriting the collection's).
        const QJsonObject health = postmanRequest(QStringLiteral("GET"), QStringLiteral("/health"));
        QVERIFY(!health.isEmpty());
        QCOMPARE(health.value(QStringLiteral("auth")).toObject().value(QStringLiteral("type")).toString(),
                 QStringLiteral("noauth"));

        // Every operation that needs a JWT gets it; every webhook (signature) sends none.
        const auto ops = operations();
        for (auto it = ops.cbegin(); it != ops.cend(); ++it) {
            const QString method = it.key().section(u' ', 0, 0);
            const QString path = it.key().section(u' ', 1);
            const QJsonObject req = postmanRequest(method, path);
            QVERIFY2(!req.isEmpty(), qPrintable(QStringLiteral("no Postman request for ") + it.key()));
            const QString xauth = it.value().value(QStringLiteral("x-auth")).toString();
            const QJsonObject auth = req.value(QStringLiteral("auth")).toObject();
            if (xauth.startsWith(QStringLiteral("jwt"))) {
                const bool bearer = auth.value(QStringLiteral("type")).toString() == QStringLiteral("bearer")
                    && authValue(auth, QStringLiteral("bearer"), QStringLiteral("token")) == QStringLiteral("{{KYCONNECT_JWT}}");
                QVERIFY2(bearer, qPrintable(it.key()));
            } else if (xauth == QStringLiteral("sig")) {
                QCOMPARE(auth.value(QStringLiteral("type")).toString(), QStringLiteral("noauth"));
            }
        }
    }

    // KYCONNECT_API_KEY is wired in: every operation that takes an API key can send
    // {{KYCONNECT_API_KEY}} in X-API-Key.
    void postmanApiKeyWired()
    {
        if (m_openApi.isEmpty() || m_postman.isEmpty())
            QSKIP("needs openApiDocument and postmanCollection");
        QStringList unwired;
        int keyCapable = 0;
        const auto ops = operations();
        for (auto it = ops.cbegin(); it != ops.cend(); ++it) {
            if (it.value().value(QStringLiteral("x-api-key-scopes")).toArray().isEmpty())
                continue;
            ++keyCapable;
            const QJsonObject req = postmanRequest(it.key().section(u' ', 0, 0), it.key().section(u' ', 1));
            if (!canUseApiKey(req))
                unwired << it.key();
        }
        QVERIFY(keyCapable > 0);
        unwired.sort();
        QVERIFY2(unwired.isEmpty(),
                 qPrintable(QStringLiteral("%1 of %2 key-capable operations cannot send {{KYCONNECT_API_KEY}} in X-API-Key: ")
                                .arg(unwired.size())
                                .arg(keyCapable)
                            + unwired.join(QStringLiteral(", "))));
    }
};

QTEST_GUILESS_MAIN(TestHealth)
#include "tst_health.moc"
