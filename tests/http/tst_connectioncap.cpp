// The connection cap under a burst (issue 8, load): a thousand clients at once against a server
// capped at a few connections. Every client gets a complete answer, 200 or the canned 503, none
// is reset or left hanging; the server answers /health afterwards, and its count of open and
// draining connections returns to zero. No assertion measures time.
// Also: `Connection: close` and HTTP/1.0 end the connection after their answer (nothing pipelined
// behind them is answered), and idle keep-alive connections or incomplete heads give way to a new
// client at the cap, while requests in progress keep their places.
#include "backend/http/apirouter.h"
#include "backend/http/guardedtcpserver.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QDeadlineTimer>
#include <QJsonObject>
#include <QTcpSocket>
#include <QtTest>

#include <memory>
#include <vector>

using namespace kyc;
using namespace kyc::http;

namespace {

constexpr int kClients = 1000;
constexpr int kCap = 8;

const QByteArray kHealth = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n";

std::unique_ptr<QTcpSocket> connectTo(quint16 port)
{
    auto s = std::make_unique<QTcpSocket>();
    s->connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!s->waitForConnected(10000))
        return nullptr;
    return s;
}

// Reads until one complete response has arrived.
test::HttpResult readResponse(QTcpSocket &s, QByteArray &buffer)
{
    test::HttpResult r;
    QDeadlineTimer deadline(10000);
    for (;;) {
        buffer += s.readAll();
        if (const qsizetype used = test::parseResponse(buffer, r); used >= 0) {
            buffer.remove(0, used);
            return r;
        }
        if (deadline.hasExpired() || !s.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime()))))
            break;
    }
    buffer += s.readAll();
    return r;
}

// Reads everything until the server closes the connection; `closed` is false if it did not.
struct Received {
    QByteArray data;
    bool closed = false;
};
Received readToEnd(QTcpSocket &s)
{
    Received r;
    QDeadlineTimer deadline(10000);
    while (!deadline.hasExpired() && s.state() == QAbstractSocket::ConnectedState) {
        if (!s.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime()))))
            break;
        r.data += s.readAll();
    }
    r.data += s.readAll();
    r.closed = s.state() != QAbstractSocket::ConnectedState;
    return r;
}

struct Client {
    std::unique_ptr<QTcpSocket> socket;
    QByteArray received;
    int status = 0; // 0 until a complete answer arrived
    bool ended = false; // answered, or closed without an answer
};

} // namespace

class TestConnectionCap : public QObject
{
    Q_OBJECT

private slots:
    void burstOverTheCap()
    {
        Config config = test::testConfig();
        config.maxConnections = kCap;
        test::TestServer server(config);
        QVERIFY(server.port());
        auto *guard = server.server().router()->findChild<GuardedTcpServer *>();
        QVERIFY(guard);

        std::vector<Client> clients(kClients);
        int ended = 0;
        for (auto &c : clients) {
            c.socket = std::make_unique<QTcpSocket>();
            QTcpSocket *s = c.socket.get();
            Client *client = &c;
            connect(s, &QTcpSocket::connected, s, [s] { s->write("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); });
            connect(s, &QTcpSocket::readyRead, s, [s, client, &ended] {
                client->received += s->readAll();
                test::HttpResult r;
                if (client->ended || test::parseResponse(client->received, r) < 0)
                    return;
                client->status = r.status;
                client->ended = true;
                ++ended;
                s->disconnectFromHost();
            });
            connect(s, &QTcpSocket::disconnected, s, [client, &ended] {
                if (!client->ended) {
                    client->ended = true;
                    ++ended;
                }
            });
            connect(s, &QTcpSocket::errorOccurred, s, [client, &ended](QAbstractSocket::SocketError e) {
                if (e != QAbstractSocket::RemoteHostClosedError && !client->ended) {
                    client->ended = true;
                    ++ended;
                }
            });
            s->connectToHost(QStringLiteral("127.0.0.1"), server.port());
        }
        QDeadlineTimer deadline(120'000);
        while (ended < kClients && !deadline.hasExpired())
            QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        QCOMPARE(ended, kClients);

        int ok = 0, refused = 0;
        QStringList other;
        for (const auto &c : clients) {
            if (c.status == 200)
                ++ok;
            else if (c.status == 503)
                ++refused;
            else
                other << QStringLiteral("%1: %2").arg(c.status).arg(QString::fromLatin1(c.received.left(60)));
        }
        QVERIFY2(other.isEmpty(),
                 qPrintable(QStringLiteral("%1 answers neither 200 nor 503, e.g. ").arg(other.size())
                            + other.mid(0, 5).join(QStringLiteral(" | "))));
        QVERIFY(ok >= 1);
        QVERIFY(refused >= 1);
        QCOMPARE(ok + refused, kClients);
        QVERIFY(guard->refusedConnections() >= refused);

        clients.clear();
        // Everything is released, and the server answers as before.
        QTRY_COMPARE_WITH_TIMEOUT(guard->activeConnections(), 0, 30'000);
        QTRY_COMPARE_WITH_TIMEOUT(guard->drainingConnections(), 0, 30'000);
        const test::HttpResult health = test::request(server.port(), "GET", "/api/v1/health");
        QCOMPARE(health.status, 200);
        QCOMPARE(health.json().value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
        QTRY_COMPARE_WITH_TIMEOUT(guard->activeConnections(), 0, 30'000);
    }

    // The canned 503 is the contract's error body, with Connection: close.
    void refusalIsTheContractBody()
    {
        Config config = test::testConfig();
        config.maxConnections = 1;
        test::TestServer server(config);
        QVERIFY(server.port());
        QTcpSocket holder;
        holder.connectToHost(QStringLiteral("127.0.0.1"), server.port());
        QVERIFY(holder.waitForConnected(10000));
        // The holder has a request in progress (its body still arriving): it keeps its place.
        holder.write("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: 100\r\n\r\n{");
        auto *guard = server.server().router()->findChild<GuardedTcpServer *>();
        QTRY_COMPARE_WITH_TIMEOUT(guard->activeConnections(), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(guard->bufferedBytes(), qint64(100), 10000);

        const test::HttpResult r = test::request(server.port(), "GET", "/api/v1/health");
        QVERIFY(r.ok);
        QCOMPARE(r.status, 503);
        QCOMPARE(r.headers.value("connection").toLower(), QByteArray("close"));
        const QJsonObject o = r.json();
        QCOMPARE(o.value(QStringLiteral("statusCode")).toInt(), 503);
        QCOMPARE(o.value(QStringLiteral("error")).toString(), QStringLiteral("Service Unavailable"));
        QVERIFY(!o.value(QStringLiteral("message")).toString().isEmpty());
        QCOMPARE(o.keys().size(), 3);
        holder.disconnectFromHost();
        // (Not QTRY on a request: with a cap of one, each try holds the slot the next one needs.)
        QTRY_COMPARE_WITH_TIMEOUT(guard->activeConnections(), 0, 10000);
        QCOMPARE(test::request(server.port(), "GET", "/api/v1/health").status, 200);
    }

    // `Connection: close`, and HTTP/1.0 without keep-alive: the answer, then EOF from the server.
    // A request pipelined behind it is not answered.
    void closeIsHonoured_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::newRow("HTTP/1.1 Connection: close")
            << QByteArray("GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        QTest::newRow("close among other tokens")
            << QByteArray("GET /api/v1/health HTTP/1.1\r\nHost: x\r\nconnection: TE, Close\r\n\r\n");
        QTest::newRow("HTTP/1.0") << QByteArray("GET /api/v1/health HTTP/1.0\r\nHost: x\r\n\r\n");
        QTest::newRow("pipelined after close")
            << QByteArray("GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") + kHealth + kHealth;
        QTest::newRow("pipelined after HTTP/1.0") << QByteArray("GET /api/v1/health HTTP/1.0\r\n\r\n") + kHealth;
        QTest::newRow("garbage pipelined after close")
            << QByteArray("GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nNOT HTTP AT ALL\r\n\r\n");
        QTest::newRow("POST with a body, then close")
            << QByteArray("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
                          "application/json\r\nContent-Length: 2\r\n\r\n{}")
                + kHealth;
    }
    void closeIsHonoured()
    {
        QFETCH(QByteArray, raw);
        test::TestServer server;
        QVERIFY(server.port());
        auto *guard = server.server().router()->findChild<GuardedTcpServer *>();
        auto s = connectTo(server.port());
        QVERIFY(s);
        s->write(raw);
        QVERIFY(s->waitForBytesWritten(10000));
        // The client keeps its side open and only reads: the server must end the connection.
        const Received got = readToEnd(*s);
        QVERIFY2(got.closed, "the server kept the connection open");
        test::HttpResult r;
        const qsizetype used = test::parseResponse(got.data, r);
        QVERIFY2(used > 0, got.data.constData());
        QVERIFY(r.status == 200 || r.status == 400 || r.status == 401 || r.status == 422);
        QCOMPARE(r.headers.value("connection").toLower(), QByteArray("close"));
        // Exactly one answer: nothing for what was pipelined behind it.
        QCOMPARE(got.data.size(), used);
        QTRY_COMPARE_WITH_TIMEOUT(guard->activeConnections(), 0, 10000);
    }

    // Without a close request the connection stays usable: HTTP/1.1 by default, HTTP/1.0 with
    // keep-alive.
    void keepAliveStaysOpen_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::newRow("HTTP/1.1") << kHealth;
        QTest::newRow("HTTP/1.0 keep-alive") << QByteArray("GET /api/v1/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    }
    void keepAliveStaysOpen()
    {
        QFETCH(QByteArray, raw);
        test::TestServer server;
        QVERIFY(server.port());
        auto s = connectTo(server.port());
        QVERIFY(s);
        QByteArray buffer;
        for (int i = 0; i < 3; ++i) {
            s->write(raw);
            const test::HttpResult r = readResponse(*s, buffer);
            QVERIFY(r.ok);
            QCOMPARE(r.status, 200);
            QVERIFY(r.headers.value("connection").toLower() != "close");
        }
        QVERIFY(buffer.isEmpty());
        QCOMPARE(s->state(), QAbstractSocket::ConnectedState);
    }

    // At the cap, idle keep-alive connections and incomplete heads (slowloris) give way to a new
    // client: idle ones first, then the oldest head, which gets the canned 503.
    void idleAndIncompleteHeadsGiveWay()
    {
        Config config = test::testConfig();
        config.maxConnections = kCap;
        test::TestServer server(config);
        QVERIFY(server.port());
        auto *guard = server.server().router()->findChild<GuardedTcpServer *>();
        QVERIFY(guard);

        // kCap keep-alive connections, each having done one request and never reading again.
        std::vector<std::unique_ptr<QTcpSocket>> idle;
        for (int i = 0; i < kCap; ++i) {
            idle.push_back(connectTo(server.port()));
            QVERIFY(idle.back());
            QByteArray buffer;
            idle.back()->write(kHealth);
            QCOMPARE(readResponse(*idle.back(), buffer).status, 200);
        }
        QCOMPARE(guard->activeConnections(), kCap);
        QCOMPARE(guard->evictedConnections(), 0);

        // Only connections idle for a while give way (a busy client between two requests never does).
        QTest::qWait(1200);
        // kCap slowloris connections, each with half a head: each takes the place of an idle one.
        const QByteArray half = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n";
        std::vector<std::unique_ptr<QTcpSocket>> slow;
        for (int i = 0; i < kCap; ++i) {
            slow.push_back(connectTo(server.port()));
            QVERIFY(slow.back());
            slow.back()->write(half);
            QVERIFY(slow.back()->waitForBytesWritten(10000));
        }
        for (auto &s : idle) {
            const Received got = readToEnd(*s);
            QVERIFY2(got.closed, "an idle connection was kept at the cap");
            QVERIFY(got.data.isEmpty()); // an idle connection is just closed
        }
        QCOMPARE(guard->evictedConnections(), kCap);
        // (The server thread counts the new connection just after closing the old one.)
        QTRY_COMPARE_WITH_TIMEOUT(guard->activeConnections(), kCap, 10000);

        // A new client is answered: an incomplete head gives way (once it has been stuck for a while).
        QTest::qWait(1200);
        const test::HttpResult health = test::request(server.port(), "GET", "/api/v1/health");
        QCOMPARE(health.status, 200);
        QCOMPARE(guard->evictedConnections(), kCap + 1);
        // The oldest head gave way: it got the canned 503 and the end of the connection.
        const Received got = readToEnd(*slow.front());
        QVERIFY(got.closed);
        test::HttpResult r;
        QVERIFY2(test::parseResponse(got.data, r) > 0, got.data.constData());
        QCOMPARE(r.status, 503);

        idle.clear();
        slow.clear();
        QTRY_COMPARE_WITH_TIMEOUT(guard->activeConnections(), 0, 30'000);
        QTRY_COMPARE_WITH_TIMEOUT(guard->drainingConnections(), 0, 30'000);
    }

    // Connections with a request in progress (head complete, body still arriving) are never closed
    // to make room: a new client then gets the canned 503.
    void requestsInProgressKeepTheirPlaces()
    {
        Config config = test::testConfig();
        config.maxConnections = kCap;
        test::TestServer server(config);
        QVERIFY(server.port());
        auto *guard = server.server().router()->findChild<GuardedTcpServer *>();
        QVERIFY(guard);

        const QByteArray post = "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                "Content-Length: 100\r\n\r\n{\"email\":";
        std::vector<std::unique_ptr<QTcpSocket>> busy;
        for (int i = 0; i < kCap; ++i) {
            busy.push_back(connectTo(server.port()));
            QVERIFY(busy.back());
            busy.back()->write(post);
            QVERIFY(busy.back()->waitForBytesWritten(10000));
        }
        // Every head has been read: its declared body is reserved.
        QTRY_COMPARE_WITH_TIMEOUT(guard->bufferedBytes(), qint64(kCap) * 100, 10000);

        const test::HttpResult r = test::request(server.port(), "GET", "/api/v1/health");
        QVERIFY(r.ok);
        QCOMPARE(r.status, 503);
        QCOMPARE(guard->evictedConnections(), 0);
        QCOMPARE(guard->activeConnections(), kCap);
        for (auto &s : busy)
            QCOMPARE(s->state(), QAbstractSocket::ConnectedState);

        busy.clear();
        QTRY_COMPARE_WITH_TIMEOUT(guard->activeConnections(), 0, 30'000);
        QCOMPARE(test::request(server.port(), "GET", "/api/v1/health").status, 200);
    }
};

QTEST_GUILESS_MAIN(TestConnectionCap)
#include "tst_connectioncap.moc"
