// The guarded listening socket: body limit (answered from the headers alone), chunked bodies,
// oversized headers, slowloris and idle connections, keep-alive, and the connection cap. No
// assertion here measures time: timeouts are configured tiny and waited for generously.
#include "backend/http/apirouter.h"
#include "backend/identity/accountservice.h"
#include "backend/identity/authservice.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpSocket>
#include <QTimer>
#include <QtTest>

#include <array>

using namespace kyc;
using namespace kyc::http;

namespace {

constexpr int kGenerous = 10000;

QString reasonFor(int status)
{
    switch (status) {
    case 408: return QStringLiteral("Request Timeout");
    case 411: return QStringLiteral("Length Required");
    case 413: return QStringLiteral("Payload Too Large");
    case 431: return QStringLiteral("Request Header Fields Too Large");
    case 503: return QStringLiteral("Service Unavailable");
    default: return QString();
    }
}

// Empty when `body` is exactly the contract's error body for `status` (message a string).
QString contractErrorMismatch(const QByteArray &body, int status)
{
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    QStringList keys = o.keys();
    keys.sort();
    if (keys != QStringList{QStringLiteral("error"), QStringLiteral("message"), QStringLiteral("statusCode")})
        return QStringLiteral("keys are not exactly error, message, statusCode: ") + QString::fromUtf8(body);
    if (o.value(QStringLiteral("statusCode")).toDouble() != double(status))
        return QStringLiteral("statusCode is not %1: ").arg(status) + QString::fromUtf8(body);
    if (o.value(QStringLiteral("error")).toString() != reasonFor(status))
        return QStringLiteral("error is not \"%1\": ").arg(reasonFor(status)) + QString::fromUtf8(body);
    if (!o.value(QStringLiteral("message")).isString() || o.value(QStringLiteral("message")).toString().isEmpty())
        return QStringLiteral("message is not a non-empty string: ") + QString::fromUtf8(body);
    return QString();
}

// A JSON object of exactly `size` bytes.
QByteArray jsonOfSize(qsizetype size)
{
    const QByteArray head = R"({"email":"a@example.com","pad":")";
    const QByteArray tail = R"("})";
    return head + QByteArray(size - head.size() - tail.size(), 'x') + tail;
}

// One connection driven from the test thread; the server runs on its own thread.
class Connection
{
public:
    bool open(quint16 port)
    {
        m_socket.connectToHost(QStringLiteral("127.0.0.1"), port);
        return m_socket.waitForConnected(kGenerous);
    }
    void send(const QByteArray &bytes)
    {
        m_socket.write(bytes);
        m_socket.flush();
    }
    // The next complete response on this connection (ok false if none arrives).
    test::HttpResult readResponse()
    {
        test::HttpResult r;
        QDeadlineTimer deadline(kGenerous);
        for (;;) {
            m_buffer += m_socket.readAll();
            const qsizetype used = test::parseResponse(m_buffer, r);
            if (used >= 0) {
                m_buffer.remove(0, used);
                return r;
            }
            if (deadline.hasExpired() || m_socket.state() != QAbstractSocket::ConnectedState)
                break;
            m_socket.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
        }
        m_buffer += m_socket.readAll();
        r = {};
        if (const qsizetype used = test::parseResponse(m_buffer, r); used >= 0)
            m_buffer.remove(0, used);
        return r;
    }
    [[nodiscard]] bool isClosed() const { return m_socket.state() == QAbstractSocket::UnconnectedState; }
    // What arrived and was not read as a response yet.
    QByteArray unread()
    {
        m_buffer += m_socket.readAll();
        return m_buffer;
    }
    QTcpSocket &socket() { return m_socket; }

private:
    QTcpSocket m_socket;
    QByteArray m_buffer;
};

Config limitsConfig()
{
    Config c = test::testConfig();
    c.bodyLimitBytes = 4096;
    return c;
}

} // namespace

class TestLimits : public QObject
{
    Q_OBJECT

private slots:
    // The headers alone tell the size: the server answers 413 without waiting for the body, then
    // closes the connection.
    void bodyLimitAnsweredFromHeaders_data()
    {
        QTest::addColumn<QByteArray>("extraHeaders");
        QTest::newRow("plain") << QByteArray();
        QTest::newRow("Expect: 100-continue") << QByteArray("Expect: 100-continue\r\n");
    }

    void bodyLimitAnsweredFromHeaders()
    {
        QFETCH(QByteArray, extraHeaders);

        test::TestServer server(limitsConfig());
        QVERIFY(server.port());
        Connection c;
        QVERIFY(c.open(server.port()));
        c.send("POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               "Content-Length: 10485760\r\n"
               + extraHeaders + "\r\n");
        // Not a byte of the body is sent: an answer can only come from the headers.
        while (!c.unread().contains("\r\n") && !c.isClosed())
            QVERIFY(c.socket().waitForReadyRead(kGenerous));
        QVERIFY2(c.unread().startsWith("HTTP/1.1 413"), c.unread().left(40).constData()); // no 100 Continue first
        const test::HttpResult r = c.readResponse();
        QVERIFY(r.ok);
        QCOMPARE(r.status, 413);
        const QString mismatch = contractErrorMismatch(r.body, 413);
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        QCOMPARE(r.headers.value("connection").toLower(), QByteArray("close"));
        QTRY_VERIFY_WITH_TIMEOUT(c.isClosed(), kGenerous);

        // The server is not stuck on the abandoned request.
        QCOMPARE(test::request(server.port(), "GET", "/api/v1/health").status, 200);
    }

    void bodySizes_data()
    {
        QTest::addColumn<int>("size");
        QTest::addColumn<bool>("tooLarge");
        QTest::newRow("2 KiB") << 2048 << false;
        QTest::newRow("exactly the limit") << 4096 << false;
        QTest::newRow("one byte over") << 4097 << true;
        QTest::newRow("8 KiB") << 8192 << true;
        QTest::newRow("256 KiB") << 256 * 1024 << true;
    }

    void bodySizes()
    {
        QFETCH(int, size);
        QFETCH(bool, tooLarge);

        test::TestServer server(limitsConfig());
        QVERIFY(server.port());
        const QByteArray body = jsonOfSize(size);
        QCOMPARE(body.size(), size);
        const test::HttpResult r = test::request(server.port(), "POST", "/api/v1/onboarding/business", body);
        QVERIFY2(r.ok, "no complete response");
        if (tooLarge) {
            QCOMPARE(r.status, 413);
            const QString mismatch = contractErrorMismatch(r.body, 413);
            QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        } else {
            QVERIFY2(r.status != 413, r.body.constData());
            QVERIFY2(r.status != 400 && r.status != 415, r.body.constData()); // the body reached the route intact
        }
        QCOMPARE(test::request(server.port(), "GET", "/api/v1/health").status, 200);
    }

    // A realistic batch of the documented maximum (10 000 subjects with name, birth date, country
    // and reference, ~1.5 MB) is over the general 1 MiB limit: the batch route has its own, and
    // still answers 413 from the headers past it.
    void batchRouteFitsItsDocumentedMaximum()
    {
        test::TestServer server; // the default general limit, 1 MiB
        QVERIFY(server.port());
        auto firm = server.backend().accounts().createFirm({QStringLiteral("Batch Ltd"),
                                                            QStringLiteral("GB"),
                                                            {},
                                                            QStringLiteral("owner@batch.test"),
                                                            QStringLiteral("correct horse battery staple"),
                                                            QStringLiteral("Batch Owner"),
                                                            {}});
        QVERIFY(firm);
        auto session = server.backend().auth().openSession(firm->second, QStringLiteral("127.0.0.1"), QStringLiteral("t"));
        QVERIFY(session);
        const QByteArray bearer = "Bearer " + session->accessToken.toLatin1();

        static const char *const kCountries[] = {"GB", "DE", "FR", "IR", "RU", "US", "CN", "NG", "BR", "IN"};
        QJsonArray subjects;
        for (int i = 0; i < 10'000; ++i) {
            subjects.append(QJsonObject{
                {QStringLiteral("name"), QStringLiteral("Subject Number %1 Alexandria Konstantinopoulou-Smythe").arg(i)},
                {QStringLiteral("type"), QStringLiteral("person")},
                {QStringLiteral("birth_date"),
                 QStringLiteral("19%1-%2-%3")
                     .arg(10 + i % 90)
                     .arg(1 + i % 12, 2, 10, QLatin1Char('0'))
                     .arg(1 + i % 28, 2, 10, QLatin1Char('0'))},
                {QStringLiteral("country"), QString::fromLatin1(kCountries[i % 10])},
                {QStringLiteral("reference"), QStringLiteral("CUST-2026-%1-ONBOARDING-REVIEW").arg(i, 8, 10, QLatin1Char('0'))}});
        }
        const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("subjects"), subjects}}).toJson(QJsonDocument::Compact);
        QVERIFY2(body.size() > 1'400'000, QByteArray::number(body.size()).constData());

        const test::HttpResult r
            = test::request(server.port(), "POST", "/api/v1/aml/screen/batch", body, {{"Authorization", bearer}}, 60'000);
        QVERIFY2(r.ok, "no complete response");
        QVERIFY2(r.status != 413, r.body.constData());
        QVERIFY2(r.status == 202 || r.status == 422, r.body.constData()); // accepted, or refused for a business reason

        // Past its own limit the batch route answers from the headers, like every other.
        Connection c;
        QVERIFY(c.open(server.port()));
        c.send("POST /api/v1/aml/screen/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               "Authorization: "
               + bearer + "\r\nContent-Length: " + QByteArray::number(64 * 1024 * 1024) + "\r\n\r\n");
        const test::HttpResult over = c.readResponse();
        QVERIFY(over.ok);
        QCOMPARE(over.status, 413);
        // And the general limit still holds elsewhere.
        QCOMPARE(test::request(server.port(), "POST", "/api/v1/aml/screen", body, {{"Authorization", bearer}}).status, 413);
    }

    // Without sockets, the router applies the same limit to a body it is handed.
    void routerRejectsOversizedBody()
    {
        const Config config = limitsConfig();
        FakeClock clock;
        ApiRouter router(config, clock);
        Route r;
        r.method = Method::Post;
        r.path = QStringLiteral("/echo");
        r.auth = QStringLiteral("public");
        r.body = BodyKind::Json;
        r.handler = [](const ApiRequest &) { return ApiResponse::json(QJsonObject{{QStringLiteral("ok"), true}}); };
        Controller c;
        c.category = QStringLiteral("Test");
        c.routes << r;
        router.addController(std::move(c));

        IncomingRequest in;
        in.method = "POST";
        in.encodedPath = "/api/v1/echo";
        in.ip = QStringLiteral("127.0.0.1");
        in.headers.append(std::make_pair(QByteArray("content-type"), QByteArray("application/json")));
        in.body = jsonOfSize(8192);
        const ApiResponse big = router.dispatch(in);
        QCOMPARE(big.status, 413);
        const QString mismatch = contractErrorMismatch(big.body, 413);
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        in.body = jsonOfSize(2048);
        QCOMPARE(router.dispatch(in).status, 200);
    }

    void chunkedBodyIs411_data()
    {
        QTest::addColumn<QByteArray>("transferEncoding");
        QTest::newRow("chunked") << QByteArray("chunked");
        QTest::newRow("Chunked") << QByteArray("Chunked");
        QTest::newRow("gzip, chunked") << QByteArray("gzip, chunked");
    }

    void chunkedBodyIs411()
    {
        QFETCH(QByteArray, transferEncoding);

        test::TestServer server(limitsConfig());
        QVERIFY(server.port());
        Connection c;
        QVERIFY(c.open(server.port()));
        c.send("POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: "
               + transferEncoding + "\r\n\r\n7\r\n{\"a\":1}\r\n0\r\n\r\n");
        const test::HttpResult r = c.readResponse();
        QVERIFY2(r.ok, "no complete response");
        QCOMPARE(r.status, 411);
        const QString mismatch = contractErrorMismatch(r.body, 411);
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        QTRY_VERIFY_WITH_TIMEOUT(c.isClosed(), kGenerous);
        QCOMPARE(test::request(server.port(), "GET", "/api/v1/health").status, 200);
    }

    void headerSizes_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<int>("status");

        const QByteArray start = "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        QByteArray many = start;
        for (int i = 0; i < 200; ++i)
            many += "X-Filler-" + QByteArray::number(i).rightJustified(3, '0') + ": " + QByteArray(84, 'f') + "\r\n";
        QVERIFY(many.size() > 16 * 1024 + 1024);

        QTest::newRow("one 17 KiB header") << QByteArray(start + "X-Big: " + QByteArray(17 * 1024, 'a') + "\r\n\r\n") << 431;
        QTest::newRow("200 headers, 20 KiB") << QByteArray(many + "\r\n") << 431;
        QTest::newRow("20 KiB never terminated") << QByteArray(start + "X-Big: " + QByteArray(20 * 1024, 'a')) << 431;
        QTest::newRow("12 KiB in three fields, under the limit")
            << QByteArray(start + "X-Big-1: " + QByteArray(4 * 1024, 'a') + "\r\nX-Big-2: " + QByteArray(4 * 1024, 'a')
                          + "\r\nX-Big-3: " + QByteArray(4 * 1024, 'a') + "\r\n\r\n")
            << 200;
        // QHttpServer 6.4 drops every header of a block with a field over 8 KiB: refused instead.
        QTest::newRow("one 9 KiB field") << QByteArray(start + "X-Big: " + QByteArray(9 * 1024, 'a') + "\r\n\r\n") << 431;
    }

    void headerSizes()
    {
        QFETCH(QByteArray, raw);
        QFETCH(int, status);

        test::TestServer server(limitsConfig());
        QVERIFY(server.port());
        const test::HttpResult r = test::sendRaw(server.port(), raw);
        QVERIFY2(r.ok, "no complete response");
        QCOMPARE(r.status, status);
        if (status != 200) {
            const QString mismatch = contractErrorMismatch(r.body, status);
            QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        }
        QCOMPARE(test::request(server.port(), "GET", "/api/v1/health").status, 200);
    }

    // A client that starts a request and never finishes its headers is disconnected; everyone else
    // keeps being served, during and after.
    void slowloris_data()
    {
        QTest::addColumn<bool>("trickle"); // keeps sending a header byte every 100 ms, never the end
        QTest::newRow("silent after two header lines") << false;
        QTest::newRow("trickling one byte at a time") << true;
    }

    void slowloris()
    {
        QFETCH(bool, trickle);

        Config config = test::testConfig();
        config.headerTimeoutMs = 300;
        test::TestServer server(config);
        QVERIFY(server.port());

        Connection slow;
        QVERIFY(slow.open(server.port()));
        slow.send("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n");
        QTimer dribble;
        if (trickle) {
            slow.send("X-Slow: ");
            QObject::connect(&dribble, &QTimer::timeout, &slow.socket(), [&slow] {
                if (!slow.isClosed())
                    slow.send("a");
            });
            dribble.start(100);
        }

        // Meanwhile, others are served.
        const test::HttpResult during = test::request(server.port(), "GET", "/api/v1/health");
        QCOMPARE(during.status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(slow.isClosed(), kGenerous);
        dribble.stop();

        // If the server said anything before closing, it was a well-formed 408.
        const QByteArray said = slow.unread();
        if (!said.isEmpty()) {
            test::HttpResult r;
            QVERIFY2(test::parseResponse(said, r) >= 0, said.constData());
            QCOMPARE(r.status, 408);
            const QString mismatch = contractErrorMismatch(r.body, 408);
            QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        }

        const test::HttpResult after = test::request(server.port(), "GET", "/api/v1/health");
        QCOMPARE(after.status, 200);
    }

    void idleConnectionClosed_data()
    {
        QTest::addColumn<bool>("afterRequest");
        QTest::newRow("after one request and response") << true;
        QTest::newRow("connected, never sent anything") << false;
    }

    void idleConnectionClosed()
    {
        QFETCH(bool, afterRequest);

        Config config = test::testConfig();
        config.idleTimeoutMs = 300;
        test::TestServer server(config);
        QVERIFY(server.port());
        Connection c;
        QVERIFY(c.open(server.port()));
        if (afterRequest) {
            c.send("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            const test::HttpResult r = c.readResponse();
            QVERIFY(r.ok);
            QCOMPARE(r.status, 200);
            QVERIFY(r.headers.value("connection").toLower() != "close");
        }
        QTRY_VERIFY_WITH_TIMEOUT(c.isClosed(), kGenerous);
        QCOMPARE(test::request(server.port(), "GET", "/api/v1/health").status, 200);
    }

    void keepAliveServesSeveralRequests()
    {
        test::TestServer server;
        QVERIFY(server.port());
        Connection c;
        QVERIFY(c.open(server.port()));

        const QByteArray login = R"({"email":"a@example.com","password":"a-long-passphrase"})";
        const QList<std::pair<QByteArray, int>> exchanges{
            {"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200},
            {"GET /api/v1/nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404},
            {"POST /api/v1/onboarding/business HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                 + QByteArray::number(login.size()) + "\r\n\r\n" + login,
             501},
            {"GET /api/v1/health/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200},
        };
        QSet<QByteArray> ids;
        for (const auto &[raw, status] : exchanges) {
            QVERIFY2(!c.isClosed(), "the server closed a keep-alive connection");
            c.send(raw);
            const test::HttpResult r = c.readResponse();
            QVERIFY2(r.ok, raw.constData());
            QCOMPARE(r.status, status);
            ids.insert(r.headers.value("x-request-id"));
        }
        QCOMPARE(ids.size(), exchanges.size());
        QVERIFY(!c.isClosed());
    }

    // Past maxConnections, when every connection has a request in progress, a new connection is
    // answered 503 and closed; a freed slot is reusable. (Idle connections give way instead:
    // tst_connectioncap.)
    void connectionCap()
    {
        Config config = test::testConfig();
        config.maxConnections = 3;
        test::TestServer server(config);
        QVERIFY(server.port());
        auto *guard = server.server().router()->findChild<GuardedTcpServer *>();
        QVERIFY(guard);

        std::array<Connection, 3> idle;
        for (auto &c : idle) {
            QVERIFY(c.open(server.port()));
            c.send("POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   "Content-Length: 100\r\n\r\n{");
        }
        // Every head has been read: the declared bodies are reserved, the requests in progress.
        QTRY_COMPARE_WITH_TIMEOUT(guard->bufferedBytes(), qint64(300), kGenerous);

        const test::HttpResult refused = test::request(server.port(), "GET", "/api/v1/health");
        QVERIFY2(refused.ok, "no complete response");
        QCOMPARE(refused.status, 503);
        const QString mismatch = contractErrorMismatch(refused.body, 503);
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));

        // A refused connection is closed by the server.
        Connection fourth;
        QVERIFY(fourth.open(server.port()));
        QTRY_VERIFY_WITH_TIMEOUT(fourth.isClosed(), kGenerous);

        for (auto &c : idle)
            QVERIFY(!c.isClosed()); // the admitted ones are untouched
        for (auto &c : idle)
            c.socket().disconnectFromHost();
        QTRY_COMPARE_WITH_TIMEOUT(test::request(server.port(), "GET", "/api/v1/health").status, 200, kGenerous);
    }
};

QTEST_GUILESS_MAIN(TestLimits)
#include "tst_limits.moc"
