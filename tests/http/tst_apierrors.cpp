// Every non-2xx answer of the router, over a real socket, is the contract's error body:
// {"statusCode": n, "message": string-or-array, "error": reason phrase}, with the headers the
// contract and HTTP ask for (Allow on 405, X-Request-Id everywhere).
#include "backend/http/apirouter.h"
#include "backend/identity/accountservice.h"
#include "backend/identity/authservice.h"
#include "tests/testsupport/apiassert.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QtTest>

#include <stdexcept>

using namespace kyc;
using namespace kyc::http;

namespace {

constexpr char kUserId[] = "3f1c2b6e-8a4d-4e1f-9b7a-2c5d6e7f8a9b";

// A path with a UUID in it, e.g. withId("/api/v1/users/") (a QByteArray, as the data columns need).
QByteArray withId(const char *prefix, const char *suffix = "")
{
    return QByteArray(prefix).append(kUserId).append(suffix);
}

QString reasonFor(int status)
{
    switch (status) {
    case 400: return QStringLiteral("Bad Request");
    case 404: return QStringLiteral("Not Found");
    case 405: return QStringLiteral("Method Not Allowed");
    case 415: return QStringLiteral("Unsupported Media Type");
    case 500: return QStringLiteral("Internal Server Error");
    case 501: return QStringLiteral("Not Implemented");
    default: return QString();
    }
}

// Empty when `body` is exactly the contract's error body for `status`; otherwise what is wrong.
QString contractErrorMismatch(const QByteArray &body, int status, bool messageIsArray)
{
    QJsonParseError pe{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject())
        return QStringLiteral("body is not a JSON object: ") + QString::fromUtf8(body);
    const QJsonObject o = doc.object();
    QStringList keys = o.keys();
    keys.sort();
    if (keys != QStringList{QStringLiteral("error"), QStringLiteral("message"), QStringLiteral("statusCode")})
        return QStringLiteral("keys are not exactly error, message, statusCode: ") + QString::fromUtf8(body);
    const QJsonValue code = o.value(QStringLiteral("statusCode"));
    if (!code.isDouble() || code.toDouble() != double(status))
        return QStringLiteral("statusCode is not %1: ").arg(status) + QString::fromUtf8(body);
    if (o.value(QStringLiteral("error")).toString() != reasonFor(status))
        return QStringLiteral("error is not \"%1\": ").arg(reasonFor(status)) + QString::fromUtf8(body);
    const QJsonValue message = o.value(QStringLiteral("message"));
    if (messageIsArray) {
        if (!message.isArray() || message.toArray().isEmpty())
            return QStringLiteral("message is not a non-empty array: ") + QString::fromUtf8(body);
        for (const auto &m : message.toArray()) {
            if (!m.isString() || m.toString().isEmpty())
                return QStringLiteral("message array holds a non-string: ") + QString::fromUtf8(body);
        }
    } else if (!message.isString() || message.toString().isEmpty()) {
        return QStringLiteral("message is not a non-empty string: ") + QString::fromUtf8(body);
    }
    return QString();
}

QByteArrayList allowList(const QByteArray &header)
{
    QByteArrayList out;
    for (const auto &m : header.split(','))
        out << m.trimmed();
    std::sort(out.begin(), out.end());
    return out;
}

bool isSafeId(const QByteArray &id)
{
    static const QRegularExpression safe(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    return safe.match(QString::fromLatin1(id)).hasMatch();
}

struct HeadResult {
    int status = 0;
    QMap<QByteArray, QByteArray> headers;
    test::HttpResult next; // the answer to a GET sent after it on the same connection
    QByteArray nextRaw; // the bytes that followed the HEAD answer's headers
};

// A HEAD answer carries no body: read up to the end of its headers, then send a GET on the same
// connection, whose answer must follow the HEAD headers directly.
HeadResult headThenGet(quint16 port, const QByteArray &path)
{
    HeadResult r;
    QTcpSocket s;
    s.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!s.waitForConnected(10000))
        return r;
    s.write("HEAD " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QByteArray data;
    while (!data.contains("\r\n\r\n") && s.waitForReadyRead(10000))
        data += s.readAll();
    const qsizetype end = data.indexOf("\r\n\r\n");
    if (end < 0)
        return r;
    const auto lines = data.left(end).split('\n');
    r.status = lines.value(0).split(' ').value(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            r.headers.insert(line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed());
    }
    if (s.state() != QAbstractSocket::ConnectedState)
        return r;
    s.write("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    data = data.mid(end + 4);
    while (test::parseResponse(data, r.next) < 0 && s.waitForReadyRead(10000))
        data += s.readAll();
    r.nextRaw = data;
    return r;
}

IncomingRequest incoming(const QByteArray &method, const QByteArray &path)
{
    IncomingRequest in;
    in.method = method;
    in.encodedPath = path;
    in.ip = QStringLiteral("127.0.0.1");
    return in;
}

} // namespace

class TestApiErrors : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::TestServer> m_server;

    quint16 port() const { return m_server->port(); }

private slots:
    void initTestCase()
    {
        m_server = std::make_unique<test::TestServer>();
        QVERIFY(m_server->ok());
        QVERIFY(m_server->port() != 0);
    }

    void cleanupTestCase() { m_server.reset(); }

    // The contract's order is authentication, then permission, then validation: a body's format or content
    // never answers before the caller is known and allowed.
    void authenticationAndPermissionBeforeTheBody_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("text body, admin route")
            << QByteArray("POST") << QByteArray("/api/v1/users/invite") << QByteArray("text/plain") << QByteArray("hello");
        QTest::newRow("broken JSON, admin route") << QByteArray("POST") << QByteArray("/api/v1/users/invite")
                                                  << QByteArray("application/json") << QByteArray("{\"email\":");
        QTest::newRow("empty JSON, admin route")
            << QByteArray("POST") << QByteArray("/api/v1/api-keys") << QByteArray("application/json") << QByteArray("{}");
        QTest::newRow("multipart garbage, import") << QByteArray("POST") << QByteArray("/api/v1/aml/lists/import")
                                                   << QByteArray("multipart/form-data; boundary=x") << QByteArray("junk");
        QTest::newRow("xml body, owner route") << QByteArray("PATCH") << QByteArray("/api/v1/firms/current/settings")
                                               << QByteArray("application/xml") << QByteArray("<a/>");
    }
    void authenticationAndPermissionBeforeTheBody()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, contentType);
        QFETCH(QByteArray, body);
        auto &accounts = m_server->backend().accounts();
        static QString viewerToken;
        if (viewerToken.isEmpty()) {
            auto firm = accounts.createFirm({QStringLiteral("Order Ltd"),
                                             QStringLiteral("GB"),
                                             {},
                                             QStringLiteral("owner@order.test"),
                                             QStringLiteral("correct horse battery staple"),
                                             QStringLiteral("Or Der"),
                                             {}});
            QVERIFY(firm);
            auto viewer
                = accounts.createUser(Actor::system(firm->first.id), QStringLiteral("viewer@order.test"),
                                      QStringLiteral("Vi Ewer"), Role::Viewer, QStringLiteral("correct horse battery staple"));
            QVERIFY(viewer);
            auto session = m_server->backend().auth().openSession(*viewer, QStringLiteral("127.0.0.1"), QStringLiteral("order"));
            QVERIFY(session);
            viewerToken = session->accessToken;
        }
        const test::HttpResult anonymous = test::request(port(), method, path, body, {{"Content-Type", contentType}});
        EXPECT(anonymous, 401);
        const test::HttpResult viewer = test::request(
            port(), method, path, body, {{"Content-Type", contentType}, {"Authorization", "Bearer " + viewerToken.toLatin1()}});
        EXPECT(viewer, 403);
    }

    void errorResponses_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<int>("status");
        QTest::addColumn<bool>("messageIsArray");
        QTest::addColumn<QByteArrayList>("allow"); // sorted; empty: no Allow header expected

        const QByteArray user = withId("/api/v1/onboarding/cases/"); // a pending operation: 501 once routed
        const QByteArray documents = withId("/api/v1/onboarding/cases/", "/documents");
        const QByteArray login = "/api/v1/auth/login";
        const QByteArray json = "application/json";
        const QByteArray credentials = R"({"email":"a@example.com","password":"a-long-passphrase"})";

        // Unknown paths, inside and outside /api/v1.
        QTest::newRow("unknown path") << QByteArray("GET") << QByteArray("/api/v1/nope") << QByteArray() << QByteArray() << 404
                                      << false << QByteArrayList();
        QTest::newRow("unknown below a known path") << QByteArray("GET") << QByteArray("/api/v1/health/nope") << QByteArray()
                                                    << QByteArray() << 404 << false << QByteArrayList();
        QTest::newRow("another API version") << QByteArray("GET") << QByteArray("/api/v2/health") << QByteArray() << QByteArray()
                                             << 404 << false << QByteArrayList();
        QTest::newRow("site root") << QByteArray("GET") << QByteArray("/") << QByteArray() << QByteArray() << 404 << false
                                   << QByteArrayList();
        QTest::newRow("API root") << QByteArray("GET") << QByteArray("/api/v1") << QByteArray() << QByteArray() << 404 << false
                                  << QByteArrayList();
        QTest::newRow("base prefix without a slash") << QByteArray("GET") << QByteArray("/api/v1health") << QByteArray()
                                                     << QByteArray() << 404 << false << QByteArrayList();
        QTest::newRow("unknown path with a POST body")
            << QByteArray("POST") << QByteArray("/api/v1/nope") << credentials << json << 404 << false << QByteArrayList();

        // Known paths, other methods.
        QTest::newRow("DELETE /health") << QByteArray("DELETE") << QByteArray("/api/v1/health") << QByteArray() << QByteArray()
                                        << 405 << false << QByteArrayList{"GET", "HEAD"};
        QTest::newRow("POST /health/ready") << QByteArray("POST") << QByteArray("/api/v1/health/ready") << QByteArray()
                                            << QByteArray() << 405 << false << QByteArrayList{"GET", "HEAD"};
        QTest::newRow("GET /auth/login") << QByteArray("GET") << login << QByteArray() << QByteArray() << 405 << false
                                         << QByteArrayList{"POST"};
        QTest::newRow("PUT /users/:id") << QByteArray("PUT") << user << credentials << json << 405 << false
                                        << QByteArrayList{"GET", "HEAD", "PATCH"};
        QTest::newRow("POST /users/:id") << QByteArray("POST") << user << credentials << json << 405 << false
                                         << QByteArrayList{"GET", "HEAD", "PATCH"};
        QTest::newRow("DELETE /onboarding/cases")
            << QByteArray("DELETE") << QByteArray("/api/v1/onboarding/cases") << QByteArray() << QByteArray() << 405 << false
            << QByteArrayList{"GET", "HEAD"};
        QTest::newRow("GET /api-keys/:id/rotate") << QByteArray("GET") << withId("/api/v1/api-keys/", "/rotate") << QByteArray()
                                                  << QByteArray() << 405 << false << QByteArrayList{"POST"};

        // Bodies a JSON route cannot take.
        QTest::newRow("malformed JSON") << QByteArray("POST") << login << QByteArray("{bad") << json << 400 << true
                                        << QByteArrayList();
        QTest::newRow("truncated JSON") << QByteArray("POST") << login << QByteArray(R"({"email":"a@example.com")") << json << 400
                                        << true << QByteArrayList();
        QTest::newRow("JSON array body") << QByteArray("POST") << login << QByteArray(R"([{"email":"a@example.com"}])") << json
                                         << 400 << true << QByteArrayList();
        QTest::newRow("JSON string body") << QByteArray("POST") << login << QByteArray(R"("a@example.com")") << json << 400
                                          << true << QByteArrayList();
        QTest::newRow("text/plain body") << QByteArray("POST") << login << credentials << QByteArray("text/plain") << 415 << false
                                         << QByteArrayList();
        QTest::newRow("form body") << QByteArray("POST") << login << QByteArray("email=a%40example.com")
                                   << QByteArray("application/x-www-form-urlencoded") << 415 << false << QByteArrayList();
        QTest::newRow("text/plain on a JSON-or-multipart route") << QByteArray("POST") << documents << QByteArray("hello")
                                                                 << QByteArray("text/plain") << 415 << false << QByteArrayList();

        // Operations whose capability has not landed yet.
        const QByteArray business = "/api/v1/onboarding/business";
        QTest::newRow("POST /onboarding/business, valid JSON")
            << QByteArray("POST") << business << credentials << json << 501 << false << QByteArrayList();
        QTest::newRow("JSON with a charset parameter")
            << QByteArray("POST") << business << credentials << QByteArray("application/json; charset=utf-8") << 501 << false
            << QByteArrayList();
        QTest::newRow("GET /onboarding/cases/:id")
            << QByteArray("GET") << user << QByteArray() << QByteArray() << 501 << false << QByteArrayList();
        QTest::newRow("multipart on a JSON-or-multipart route")
            << QByteArray("POST") << documents
            << QByteArray("--b\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\npassport\r\n--b--\r\n")
            << QByteArray("multipart/form-data; boundary=b") << 501 << false << QByteArrayList();
        QTest::newRow("GET /billing/plans") << QByteArray("GET") << QByteArray("/api/v1/billing/plans") << QByteArray()
                                            << QByteArray() << 501 << false << QByteArrayList();

        // An encoded slash stays inside its path parameter; a literal one makes another segment.
        QTest::newRow("%2F inside :id") << QByteArray("GET") << QByteArray("/api/v1/onboarding/cases/a%2Fb") << QByteArray()
                                        << QByteArray() << 501 << false << QByteArrayList();
        QTest::newRow("%2f (lower case) inside :id") << QByteArray("GET") << QByteArray("/api/v1/onboarding/cases/a%2fb")
                                                     << QByteArray() << QByteArray() << 501 << false << QByteArrayList();
        QTest::newRow("literal slash instead of %2F") << QByteArray("GET") << QByteArray("/api/v1/onboarding/cases/a/b")
                                                      << QByteArray() << QByteArray() << 404 << false << QByteArrayList();
    }

    void errorResponses()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, body);
        QFETCH(QByteArray, contentType);
        QFETCH(int, status);
        QFETCH(bool, messageIsArray);
        QFETCH(QByteArrayList, allow);

        test::Headers headers;
        if (!contentType.isEmpty())
            headers.append({"Content-Type", contentType});
        const test::HttpResult r = test::request(port(), method, path, body, headers);
        QVERIFY2(r.ok, "no complete response");
        QCOMPARE(r.status, status);
        const QString mismatch = contractErrorMismatch(r.body, status, messageIsArray);
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        QVERIFY2(r.headers.value("content-type").startsWith("application/json"), r.headers.value("content-type").constData());
        QVERIFY2(isSafeId(r.headers.value("x-request-id")), r.headers.value("x-request-id").constData());
        if (allow.isEmpty()) {
            QVERIFY2(!r.headers.contains("allow"), r.headers.value("allow").constData());
        } else {
            QVERIFY2(r.headers.contains("allow"), "405 without an Allow header");
            QCOMPARE(allowList(r.headers.value("allow")), allow);
        }
    }

    void optionsAnswersAllow_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArrayList>("allow"); // sorted

        QTest::newRow("/health") << QByteArray("/api/v1/health") << QByteArrayList{"GET", "HEAD", "OPTIONS"};
        QTest::newRow("/auth/login") << QByteArray("/api/v1/auth/login") << QByteArrayList{"OPTIONS", "POST"};
        QTest::newRow("/onboarding/cases/:id")
            << withId("/api/v1/onboarding/cases/") << QByteArrayList{"GET", "HEAD", "OPTIONS", "PATCH"};
        QTest::newRow("/api-keys/:id") << withId("/api/v1/api-keys/")
                                       << QByteArrayList{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH"};
    }

    void optionsAnswersAllow()
    {
        QFETCH(QByteArray, path);
        QFETCH(QByteArrayList, allow);

        const test::HttpResult r = test::request(port(), "OPTIONS", path);
        QVERIFY2(r.ok, "no complete response");
        QCOMPARE(r.status, 204);
        QVERIFY(r.body.isEmpty());
        QCOMPARE(allowList(r.headers.value("allow")), allow);
        QVERIFY(isSafeId(r.headers.value("x-request-id")));
    }

    void optionsOnUnknownPathIs404()
    {
        const test::HttpResult r = test::request(port(), "OPTIONS", "/api/v1/nope");
        QVERIFY2(r.ok, "no complete response");
        QCOMPARE(r.status, 404);
        const QString mismatch = contractErrorMismatch(r.body, 404, false);
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    }

    // HEAD answers like GET without the body: same status and headers, Content-Length of the GET
    // body (RFC 9110 9.3.2).
    void headAnswersLikeGet_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<int>("status");

        QTest::newRow("/health") << QByteArray("/api/v1/health") << 200;
        QTest::newRow("/health/openapi.json") << QByteArray("/api/v1/health/openapi.json") << 200;
        QTest::newRow("/onboarding/cases/:id") << withId("/api/v1/onboarding/cases/") << 501;
        QTest::newRow("unknown path") << QByteArray("/api/v1/nope") << 404;
        QTest::newRow("POST-only path") << QByteArray("/api/v1/auth/login") << 405;
    }

    void headAnswersLikeGet()
    {
        QFETCH(QByteArray, path);
        QFETCH(int, status);

        const test::HttpResult get = test::request(port(), "GET", path);
        QVERIFY(get.ok);
        const HeadResult r = headThenGet(port(), path);
        QCOMPARE(r.status, status);
        QCOMPARE(get.status, status);
        QCOMPARE(r.headers.value("content-type"), get.headers.value("content-type"));
        if (path.endsWith("openapi.json")) // the others say the method or the uptime
            QCOMPARE(r.headers.value("content-length"), get.headers.value("content-length"));
        else
            QVERIFY(r.headers.value("content-length").toLongLong() > 0);
        QVERIFY(isSafeId(r.headers.value("x-request-id")));
        if (status == 405)
            QCOMPARE(allowList(r.headers.value("allow")), QByteArrayList{"POST"});
    }

    // RFC 9110 9.3.2: no content in an answer to HEAD, or the bytes are read as the start of the
    // next answer on a keep-alive connection.
    void headAnswerHasNoBody_data() { headAnswersLikeGet_data(); }

    void headAnswerHasNoBody()
    {
        QFETCH(QByteArray, path);

        const HeadResult r = headThenGet(port(), path);
        QVERIFY2(r.next.ok, "the answer to the following GET did not arrive");
        QVERIFY2(
            r.next.status == 200,
            qPrintable(QStringLiteral("bytes after the HEAD answer's headers are not the next answer (status %1), they start: %2")
                           .arg(r.next.status)
                           .arg(QString::fromUtf8(r.nextRaw.left(80)))));
        QCOMPARE(r.next.json().value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    }

    void trailingSlashAnswersLikeWithout_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<int>("status");

        QTest::newRow("/health/") << QByteArray("/api/v1/health/") << 200;
        QTest::newRow("/health/openapi.json/") << QByteArray("/api/v1/health/openapi.json/") << 200;
        QTest::newRow("/onboarding/cases/:id/") << withId("/api/v1/onboarding/cases/", "/") << 501;
    }

    void trailingSlashAnswersLikeWithout()
    {
        QFETCH(QByteArray, path);
        QFETCH(int, status);

        const test::HttpResult withSlash = test::request(port(), "GET", path);
        const test::HttpResult without = test::request(port(), "GET", path.chopped(1));
        QVERIFY(withSlash.ok && without.ok);
        QCOMPARE(withSlash.status, status);
        QCOMPARE(without.status, status);
        QCOMPARE(withSlash.json().keys(), without.json().keys());
        if (status == 200)
            QCOMPARE(withSlash.json().value(QStringLiteral("status")), without.json().value(QStringLiteral("status")));
        else
            QCOMPARE(withSlash.body, without.body);
    }

    void requestId_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("inbound"); // empty: none sent
        QTest::addColumn<bool>("echoed");

        const QByteArray max(64, 'a');
        const QByteArray tooLong(65, 'a');
        QTest::newRow("none, 200") << QByteArray("GET") << QByteArray("/api/v1/health") << QByteArray() << false;
        QTest::newRow("none, 404") << QByteArray("GET") << QByteArray("/api/v1/nope") << QByteArray() << false;
        QTest::newRow("safe, 200") << QByteArray("GET") << QByteArray("/api/v1/health") << QByteArray("abc-123_DEF.4") << true;
        QTest::newRow("safe, 404") << QByteArray("GET") << QByteArray("/api/v1/nope") << QByteArray("req-404") << true;
        QTest::newRow("safe, 405") << QByteArray("DELETE") << QByteArray("/api/v1/health") << QByteArray("req-405") << true;
        QTest::newRow("safe, 501") << QByteArray("GET") << QByteArray("/api/v1/billing/plans") << QByteArray("req-501") << true;
        QTest::newRow("uuid") << QByteArray("GET") << QByteArray("/api/v1/health") << QByteArray(kUserId) << true;
        QTest::newRow("64 characters") << QByteArray("GET") << QByteArray("/api/v1/health") << max << true;
        QTest::newRow("65 characters") << QByteArray("GET") << QByteArray("/api/v1/health") << tooLong << false;
        QTest::newRow("with spaces") << QByteArray("GET") << QByteArray("/api/v1/health") << QByteArray("has a space") << false;
        QTest::newRow("with quotes") << QByteArray("GET") << QByteArray("/api/v1/health") << QByteArray("x\"y") << false;
        QTest::newRow("log injection") << QByteArray("GET") << QByteArray("/api/v1/health") << QByteArray("a%0d%0aforged")
                                       << false;
        QTest::newRow("unsafe, 404") << QByteArray("GET") << QByteArray("/api/v1/nope") << QByteArray("has a space") << false;
    }

    void requestId()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, inbound);
        QFETCH(bool, echoed);

        test::Headers headers;
        if (!inbound.isEmpty())
            headers.append({"X-Request-Id", inbound});
        const test::HttpResult r = test::request(port(), method, path, {}, headers);
        QVERIFY2(r.ok, "no complete response");
        const QByteArray id = r.headers.value("x-request-id");
        QVERIFY2(isSafeId(id), id.constData());
        if (echoed)
            QCOMPARE(id, inbound);
        else
            QVERIFY(id != inbound);
    }

    void requestIdsAreFreshWhenNotGiven()
    {
        QSet<QByteArray> ids;
        for (int i = 0; i < 5; ++i) {
            const test::HttpResult r = test::request(port(), "GET", "/api/v1/health");
            QVERIFY(r.ok);
            ids.insert(r.headers.value("x-request-id"));
        }
        QCOMPARE(ids.size(), 5);
    }

    // A service's internal error names files and SQL; the answer carries a generic message with
    // the request id (in the contract's three fields), the detail goes to the log only.
    void internalErrorHidesItsDetail()
    {
        Config config;
        FakeClock clock;
        ApiRouter router(config, clock);
        Route failing;
        failing.method = Method::Get;
        failing.path = QStringLiteral("/failing");
        failing.auth = QStringLiteral("public");
        failing.handler = [](const ApiRequest &) {
            return ApiResponse::error(Error::internal(
                QStringLiteral("cannot open /var/lib/kyconnect/objects/f00/secret.bin: SELECT file FROM storage_objects")));
        };
        Controller c;
        c.category = QStringLiteral("Test");
        c.routes << failing;
        router.addController(std::move(c));

        QString rid;
        const ApiResponse res = router.dispatch(incoming("GET", "/api/v1/failing"), &rid);
        QCOMPARE(res.status, 500);
        const QString mismatch = contractErrorMismatch(res.body, 500, false);
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        QVERIFY2(!res.body.contains("/var/lib"), res.body.constData());
        QVERIFY2(!res.body.contains("secret"), res.body.constData());
        QVERIFY2(!res.body.contains("SELECT"), res.body.constData());
        QVERIFY(!rid.isEmpty());
        QVERIFY2(res.body.contains(rid.toLatin1()), res.body.constData());
    }

    // A handler that throws answers 500 without the exception's text; no sockets involved.
    void unhandledExceptionIs500WithoutInternals_data()
    {
        QTest::addColumn<int>("kind");
        QTest::newRow("std::runtime_error") << 0;
        QTest::newRow("std::logic_error") << 1;
        QTest::newRow("not a std::exception") << 2;
    }

    void unhandledExceptionIs500WithoutInternals()
    {
        QFETCH(int, kind);

        Config config;
        FakeClock clock;
        ApiRouter router(config, clock);
        Route boom;
        boom.method = Method::Post;
        boom.path = QStringLiteral("/boom/:id");
        boom.auth = QStringLiteral("public");
        boom.body = BodyKind::Json;
        boom.handler = [kind](const ApiRequest &) -> ApiResponse {
            if (kind == 0)
                throw std::runtime_error("secret SQL detail: SELECT password_hash FROM users");
            if (kind == 1)
                throw std::logic_error("secret SQL detail");
            throw QStringLiteral("secret SQL detail");
        };
        Controller c;
        c.category = QStringLiteral("Test");
        c.description = QStringLiteral("throws");
        c.routes << boom;
        router.addController(std::move(c));

        IncomingRequest in = incoming("POST", "/api/v1/boom/42");
        in.headers.append(std::make_pair(QByteArray("content-type"), QByteArray("application/json")));
        in.body = R"({"a":1})";
        QString rid;
        const ApiResponse res = router.dispatch(in, &rid);
        QCOMPARE(res.status, 500);
        const QString mismatch = contractErrorMismatch(res.body, 500, false);
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        QVERIFY2(!res.body.contains("secret"), res.body.constData());
        QVERIFY2(!res.body.contains("SQL"), res.body.constData());
        QVERIFY2(!res.body.contains("SELECT"), res.body.constData());
        QVERIFY(!rid.isEmpty());
        bool hasId = false;
        for (const auto &[k, v] : res.headers) {
            if (k.compare("x-request-id", Qt::CaseInsensitive) == 0)
                hasId = v == rid.toLatin1();
        }
        QVERIFY(hasId);

        // The router keeps serving after the exception.
        in.body = R"({"a":2})";
        QCOMPARE(router.dispatch(in).status, 500);
        QCOMPARE(router.dispatch(incoming("GET", "/api/v1/boom/42")).status, 405);
    }
};

QTEST_GUILESS_MAIN(TestApiErrors)
#include "tst_apierrors.moc"
