// The connection cap under a burst (issue 8, load): a thousand clients at once against a server
// capped at a few connections. Every client gets a complete answer, 200 or the canned 503, none
// is reset or left hanging; the server answers /health afterwards, and its count of open and
// draining connections returns to zero. No assertion measures time.
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
        auto *guard = server.server().router()->findChild<GuardedTcpServer *>();
        QTRY_COMPARE_WITH_TIMEOUT(guard->activeConnections(), 1, 10000);

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
};

QTEST_GUILESS_MAIN(TestConnectionCap)
#include "tst_connectioncap.moc"
