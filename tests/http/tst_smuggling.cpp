// Request framing (issue 8, attack 4): the guard is the one authority on where a request ends.
// The classic smuggling vectors (CL.CL, CL.TE, TE.CL, TE.TE obfuscations, bare LF, NUL bytes,
// oversized chunk sizes, a header name outside the token set with a second request in the body)
// are each answered once, in the contract's error format, and the connection is closed: the
// request appended behind them never runs (the router serves nothing, no second answer arrives)
// and no body byte is counted as buffered. The head check is also exercised as a pure function.
#include "backend/http/apirouter.h"
#include "backend/http/guardedtcpserver.h"
#include "backend/http/requesthead.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QtTest>

#include <atomic>

using namespace kyc;
using namespace kyc::http;

namespace {

constexpr int kGenerous = 10000;

// What a request appended behind a vector would look like; it must never be answered.
const QByteArray kNul(1, '\0');
const QByteArray kSmuggled = "GET /api/v1/health/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

// Sends `raw`, then reads until the server closes the connection (or the deadline passes).
QByteArray exchange(quint16 port, const QByteArray &raw, bool *closed)
{
    QTcpSocket s;
    s.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!s.waitForConnected(kGenerous))
        return {};
    s.write(raw);
    s.flush();
    QByteArray got;
    QDeadlineTimer deadline(kGenerous);
    while (!deadline.hasExpired() && s.state() == QAbstractSocket::ConnectedState) {
        s.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
        got += s.readAll();
    }
    got += s.readAll();
    *closed = s.state() != QAbstractSocket::ConnectedState;
    return got;
}

// All complete responses in `data`.
QList<test::HttpResult> responses(QByteArray data)
{
    QList<test::HttpResult> out;
    for (;;) {
        test::HttpResult r;
        const qsizetype used = test::parseResponse(data, r);
        if (used < 0)
            break;
        out << r;
        data.remove(0, used);
    }
    return out;
}

QString reasonFor(int status)
{
    return QString::fromLatin1(reasonPhrase(status));
}

QByteArray post(const QByteArray &headers, const QByteArray &body)
{
    return "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + headers + "\r\n" + body;
}

} // namespace

class TestSmuggling : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::TestServer> m_server;
    std::atomic<int> m_served{0};

    GuardedTcpServer *guard() { return m_server->server().router()->findChild<GuardedTcpServer *>(); }

private slots:
    void initTestCase()
    {
        m_server = std::make_unique<test::TestServer>();
        QVERIFY(m_server->port());
        QVERIFY(guard());
        ApiRouter *router = m_server->server().router();
        QObject::connect(
            router, &ApiRouter::requestServed, router, [this](int) { ++m_served; }, Qt::DirectConnection);
    }

    void vectorsOverTheWire_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<int>("status");

        const QByteArray json = R"({"email":"a@example.com","password":"x"})";
        const QByteArray cl = "Content-Length: " + QByteArray::number(json.size()) + "\r\n";

        // CL.CL: the guard used to take the last, QHttpServer the first.
        QTest::newRow("CL.CL, large then small") << post("Content-Length: 3000000\r\nContent-Length: 10\r\n", json) << 400;
        QTest::newRow("CL.CL, small then large") << post("Content-Length: 10\r\nContent-Length: 3000000\r\n", json) << 400;
        QTest::newRow("CL.CL, equal") << post(cl + cl, json) << 400;
        QTest::newRow("CL list") << post("Content-Length: 41, 41\r\n", json) << 400;
        QTest::newRow("CL signed +") << post("Content-Length: +41\r\n", json) << 400;
        QTest::newRow("CL negative") << post("Content-Length: -1\r\n", json) << 400;
        QTest::newRow("CL hex") << post("Content-Length: 0x29\r\n", json) << 400;
        QTest::newRow("CL oversized") << post("Content-Length: 99999999999999999999999\r\n", json) << 400;
        QTest::newRow("CL empty") << post("Content-Length: \r\n", json) << 400;
        // CL.TE and TE.CL.
        QTest::newRow("CL.TE") << post("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nG") << 400;
        QTest::newRow("TE.CL") << post("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "8\r\nSMUGGLED\r\n0\r\n\r\n")
                               << 400;
        // TE.TE obfuscations: whatever the spelling, never a body of unknown length.
        QTest::newRow("TE space before colon") << post("Transfer-Encoding : chunked\r\n", "0\r\n\r\n") << 400;
        QTest::newRow("TE xchunked") << post("Transfer-Encoding: xchunked\r\n", "0\r\n\r\n") << 411;
        QTest::newRow("TE tab") << post("Transfer-Encoding:\tchunked\r\n", "0\r\n\r\n") << 411;
        QTest::newRow("TE duplicated") << post("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", "0\r\n\r\n")
                                       << 411;
        QTest::newRow("TE identity") << post("Transfer-Encoding: identity\r\n", "") << 411;
        QTest::newRow("TE folded") << post("X-A: b\r\n Transfer-Encoding: chunked\r\n", "0\r\n\r\n") << 400;
        QTest::newRow("TE name split by CRLF") << post("Transfer-Encoding\r\n: chunked\r\n", "0\r\n\r\n") << 400;
        QTest::newRow("TE with NUL") << post("Transfer-Encoding: chunked" + kNul + "\r\n", "0\r\n\r\n") << 400;
        QTest::newRow("oversized chunk size")
            << post("Transfer-Encoding: chunked\r\n", "FFFFFFFFFFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n") << 411;
        // Line ends and control bytes.
        QTest::newRow("bare LF everywhere") << QByteArray("GET /api/v1/health HTTP/1.1\nHost: 127.0.0.1\n\n") << 400;
        QTest::newRow("bare LF in a header")
            << QByteArray("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\nX-A: b\r\n\r\n") << 400;
        QTest::newRow("bare LF ends the head") << QByteArray("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\n") << 400;
        QTest::newRow("bare LF, CL hidden") << QByteArray("POST /api/v1/auth/login HTTP/1.1\r\nX: y\nContent-Length: 41\r\n\r\n")
                + json << 400;
        QTest::newRow("bare CR in a value") << QByteArray("GET /api/v1/health HTTP/1.1\r\nX-A: a\rb\r\n\r\n") << 400;
        QTest::newRow("NUL in a value") << QByteArray("GET /api/v1/health HTTP/1.1\r\nX-A: a" + kNul + "b\r\n\r\n") << 400;
        QTest::newRow("NUL in a name") << QByteArray("GET /api/v1/health HTTP/1.1\r\nX-" + kNul + "A: b\r\n\r\n") << 400;
        QTest::newRow("DEL in a value") << QByteArray("GET /api/v1/health HTTP/1.1\r\nX-A: a\x7f\r\n\r\n") << 400;
        // The name Qt 6.4 dropped every header for, with a second request as the body.
        QTest::newRow("Bad Name with a request as body")
            << QByteArray("POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Name: x\r\nContent-Length: "
                          + QByteArray::number(kSmuggled.size()) + "\r\n\r\n" + kSmuggled)
            << 400;
        QTest::newRow("name with a slash") << QByteArray("GET /api/v1/health HTTP/1.1\r\nX/Y: b\r\n\r\n") << 400;
        QTest::newRow("empty name") << QByteArray("GET /api/v1/health HTTP/1.1\r\n: b\r\n\r\n") << 400;
        QTest::newRow("no colon") << QByteArray("GET /api/v1/health HTTP/1.1\r\nJunk\r\n\r\n") << 400;
        QTest::newRow("two Hosts") << QByteArray("GET /api/v1/health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") << 400;
        QTest::newRow("Host with a slash") << QByteArray("GET /api/v1/health HTTP/1.1\r\nHost: a/b\r\n\r\n") << 400;
        QTest::newRow("websocket upgrade") << QByteArray(
            "GET /api/v1/health HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
                                           << 400;
        // Request lines.
        QTest::newRow("leading CRLF") << QByteArray("\r\nGET /api/v1/health HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("double space") << QByteArray("GET  /api/v1/health HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("no version") << QByteArray("GET /api/v1/health\r\n\r\n") << 400;
        QTest::newRow("HTTP/2.0") << QByteArray("GET /api/v1/health HTTP/2.0\r\n\r\n") << 505;
        QTest::newRow("unknown method") << QByteArray("FOO /api/v1/health HTTP/1.1\r\n\r\n") << 501;
        QTest::newRow("absolute form") << QByteArray("GET http://evil/api/v1/health HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("authority in path") << QByteArray("GET //evil/api/v1/health HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("dot segment") << QByteArray("GET /api/v1/x/../health HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("encoded dot segment") << QByteArray("GET /api/v1/x/%2e%2E/health HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("fragment") << QByteArray("GET /api/v1/health#x HTTP/1.1\r\n\r\n") << 400;
        // Sizes QHttpServer's header parser would drop every header for.
        QByteArray many = "GET /api/v1/health HTTP/1.1\r\n";
        for (int i = 0; i < 101; ++i)
            many += "X-" + QByteArray::number(i) + ": v\r\n";
        QTest::newRow("101 fields") << QByteArray(many + "\r\n") << 431;
        QTest::newRow("one 9 KiB field") << QByteArray("GET /api/v1/health HTTP/1.1\r\nX-Big: " + QByteArray(9 * 1024, 'a')
                                                       + "\r\n\r\n")
                                         << 431;
    }

    // Each vector, with a request appended behind it: one answer with the expected status in the
    // contract's format, the connection closed, nothing routed, no body byte counted as received.
    void vectorsOverTheWire()
    {
        QFETCH(QByteArray, raw);
        QFETCH(int, status);

        const int servedBefore = m_served.load();
        const qint64 bodyBefore = guard()->bodyBytesReceived();
        bool closed = false;
        const QByteArray got = exchange(m_server->port(), raw + kSmuggled, &closed);
        QVERIFY2(closed, "the server kept the connection open");
        const auto answers = responses(got);
        QVERIFY2(answers.size() == 1, got.constData());
        QCOMPARE(answers[0].status, status);
        const QJsonObject o = answers[0].json();
        QCOMPARE(o.value(QStringLiteral("statusCode")).toInt(), status);
        QCOMPARE(o.value(QStringLiteral("error")).toString(), reasonFor(status));
        QVERIFY(!o.value(QStringLiteral("message")).toString().isEmpty());
        QCOMPARE(answers[0].headers.value("connection").toLower(), QByteArray("close"));
        QVERIFY2(!got.contains("openapi"), "the smuggled request was answered");
        QCOMPARE(m_served.load(), servedBefore); // nothing reached the router
        QCOMPARE(guard()->bodyBytesReceived(), bodyBefore);
        QCOMPARE(guard()->bufferedBytes(), qint64(0));

        // The server is fine afterwards.
        QCOMPARE(test::request(m_server->port(), "GET", "/api/v1/health").status, 200);
    }

    // The same vectors sent one byte at a time: every line is judged as it completes.
    void vectorsByteByByte_data() { vectorsOverTheWire_data(); }

    void vectorsByteByByte()
    {
        QFETCH(QByteArray, raw);
        QFETCH(int, status);

        const int servedBefore = m_served.load();
        QTcpSocket s;
        s.connectToHost(QStringLiteral("127.0.0.1"), m_server->port());
        QVERIFY(s.waitForConnected(kGenerous));
        s.setSocketOption(QAbstractSocket::LowDelayOption, 1);
        const QByteArray all = raw + kSmuggled;
        for (qsizetype i = 0; i < all.size() && s.state() == QAbstractSocket::ConnectedState; ++i) {
            s.write(all.constData() + i, 1);
            s.waitForBytesWritten(kGenerous);
            if (i % 16 == 0)
                s.waitForReadyRead(1); // let the server see the pieces separately now and then
        }
        QByteArray got;
        QDeadlineTimer deadline(kGenerous);
        while (!deadline.hasExpired() && s.state() == QAbstractSocket::ConnectedState) {
            s.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
            got += s.readAll();
        }
        got += s.readAll();
        const auto answers = responses(got);
        QVERIFY2(answers.size() == 1, got.constData());
        QCOMPARE(answers[0].status, status);
        QVERIFY(!got.contains("openapi"));
        QCOMPARE(m_served.load(), servedBefore);
    }

    // What must keep working: optional whitespace around values, obs-text (UTF-8) in values,
    // pipelined requests with bodies, HTTP/1.0, Content-Length 0.
    void wellFormedRequestsPass()
    {
        const QByteArray json = R"({"email":"a@example.com","password":"x"})";
        const QByteArray raw
            = "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:80\r\nX-Name: \xc3\xa9t\xc3\xa9\r\nX-Empty:\r\n\r\n"
              "POST /api/v1/onboarding/business HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              "Content-Length:   "
            + QByteArray::number(json.size()) + "  \r\n\r\n" + json
            + "GET /api/v1/health?x=%2F HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
              "GET /api/v1/health HTTP/1.0\r\n\r\n";
        bool closed = false;
        QTcpSocket s;
        s.connectToHost(QStringLiteral("127.0.0.1"), m_server->port());
        QVERIFY(s.waitForConnected(kGenerous));
        s.write(raw);
        QByteArray got;
        QDeadlineTimer deadline(kGenerous);
        while (responses(got).size() < 4 && !deadline.hasExpired() && s.state() == QAbstractSocket::ConnectedState) {
            s.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
            got += s.readAll();
        }
        Q_UNUSED(closed);
        const auto answers = responses(got);
        QCOMPARE(answers.size(), 4);
        QCOMPARE(answers[0].status, 200);
        QVERIFY2(answers[1].status != 400 && answers[1].status != 411, answers[1].body.constData());
        QCOMPARE(answers[2].status, 200);
        QCOMPARE(answers[3].status, 200);
    }

    // The pure function the guard and the fuzz target use.
    void checkRequestHead_data()
    {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<int>("status");
        QTest::addColumn<bool>("complete");
        QTest::addColumn<qint64>("length");

        QTest::newRow("minimal") << QByteArray("GET / HTTP/1.1\r\n\r\n") << 0 << true << qint64(0);
        QTest::newRow("with length") << QByteArray("PUT /a?b=c HTTP/1.1\r\nContent-Length: 12\r\n\r\n") << 0 << true
                                     << qint64(12);
        QTest::newRow("incomplete") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\n") << 0 << false << qint64(0);
        QTest::newRow("incomplete line") << QByteArray("GET / HTTP/1.1\r\nHo") << 0 << false << qint64(0);
        QTest::newRow("incomplete but bad") << QByteArray("GET / HTTP/1.1\r\nBad Name: x\r\nHo") << 400 << false << qint64(0);
        QTest::newRow("empty") << QByteArray() << 0 << false << qint64(0);
        QTest::newRow("only CRLF") << QByteArray("\r\n") << 400 << false << qint64(0);
        QTest::newRow("bytes after the head are ignored")
            << QByteArray("GET / HTTP/1.1\r\n\r\n" + kNul + "\n\n garbage") << 0 << true << qint64(0);
        QTest::newRow("15 digits") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 999999999999999\r\n\r\n") << 0 << true
                                   << qint64(999999999999999);
        QTest::newRow("16 digits") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1000000000000000\r\n\r\n") << 400 << false
                                   << qint64(0);
        QTest::newRow("TE and CL") << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n")
                                   << 400 << false << qint64(0);
        QTest::newRow("long target") << QByteArray("GET /" + QByteArray(9000, 'a') + " HTTP/1.1\r\n\r\n") << 414 << false
                                     << qint64(0);
    }

    void checkRequestHead()
    {
        QFETCH(QByteArray, head);
        QFETCH(int, status);
        QFETCH(bool, complete);
        QFETCH(qint64, length);

        const HeadVerdict v = http::checkRequestHead(head);
        QCOMPARE(v.status, status);
        if (status == 0) {
            QCOMPARE(v.complete, complete);
            QCOMPARE(v.contentLength, length);
        }
    }
};

QTEST_GUILESS_MAIN(TestSmuggling)
#include "tst_smuggling.moc"
