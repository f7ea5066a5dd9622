// The guard's header stash (HeaderStash): long header blocks are shortened before QHttpServer reads
// them and restored for the router. Credentials keep working whichever way a request arrives
// (whole, in pieces, pipelined, with a body), a forged reference never resolves, least of all to
// another connection's lines, short blocks are left alone, the restored headers are exactly those
// QHttpServer reads from the original block, and the stash stays bounded.
#include "backend/http/apirouter.h"
#include "backend/http/guardedtcpserver.h"
#include "backend/identity/accountservice.h"
#include "backend/identity/authservice.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QAbstractHttpServer>
#include <QDeadlineTimer>
#include <QHttpServerRequest>
#include <QJsonObject>
#include <QSemaphore>
#include <QTcpSocket>
#include <QThread>
#include <QtTest>

using namespace kyc;
using namespace kyc::http;
using namespace Qt::Literals::StringLiterals;

namespace {

constexpr int kGenerous = 10000;
const QString kPassword = u"correct horse battery staple"_s;

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
    // Sends `bytes` in pieces cut at `cuts`, pausing so that each piece arrives on its own.
    void sendInPieces(const QByteArray &bytes, QList<qsizetype> cuts)
    {
        cuts << bytes.size();
        qsizetype from = 0;
        for (const qsizetype cut : cuts) {
            send(bytes.mid(from, cut - from));
            from = cut;
            QThread::msleep(40);
        }
    }
    test::HttpResult readResponse()
    {
        test::HttpResult r;
        QDeadlineTimer deadline(kGenerous);
        for (;;) {
            m_buffer += m_socket.readAll();
            if (const qsizetype used = test::parseResponse(m_buffer, r); used >= 0) {
                m_buffer.remove(0, used);
                return r;
            }
            if (deadline.hasExpired() || m_socket.state() != QAbstractSocket::ConnectedState)
                return {};
            m_socket.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
        }
    }
    [[nodiscard]] bool isClosed() const { return m_socket.state() == QAbstractSocket::UnconnectedState; }

private:
    QTcpSocket m_socket;
    QByteArray m_buffer;
};

QByteArray bearer(const QString &token)
{
    return "Authorization: Bearer " + token.toLatin1() + "\r\n";
}

QByteArray get(const QByteArray &path, const QByteArray &headers = {})
{
    return "GET /api/v1" + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n";
}

QByteArray post(const QByteArray &path, const QByteArray &headers, const QByteArray &body)
{
    return "POST /api/v1" + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers
        + "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

QString emailOf(const test::HttpResult &r)
{
    return r.json().value(u"user"_s).toObject().value(u"email"_s).toString();
}

// The references held by each open connection of the GuardedTcpServers below `owner`, read on
// the server's thread.
QList<QList<QByteArray>> stashesOf(QObject *owner)
{
    QList<QList<QByteArray>> out;
    QMetaObject::invokeMethod(
        owner,
        [&] {
            for (auto *tcp : owner->findChildren<GuardedTcpServer *>()) {
                for (auto *s : tcp->findChildren<QTcpSocket *>(QString(), Qt::FindDirectChildrenOnly)) {
                    if (s->state() != QAbstractSocket::ConnectedState)
                        continue;
                    if (auto *stash = HeaderStash::of(s))
                        out << stash->references();
                }
            }
        },
        Qt::BlockingQueuedConnection);
    return out;
}

qsizetype largestStash(QObject *owner)
{
    qsizetype largest = 0;
    for (const auto &refs : stashesOf(owner))
        largest = std::max(largest, refs.size());
    return largest;
}

// Answers every request with its headers, one "name: value" line each, in order. `Restore` puts
// stashed lines back the way ApiRouter does; `Raw` shows what QHttpServer itself read.
class EchoServer final : public QAbstractHttpServer
{
public:
    enum class Mode { Restore, Raw };
    explicit EchoServer(Mode mode)
        : m_mode(mode)
    {
    }

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override
    {
        HeaderStash::Lines raw;
        for (const auto &[k, v] : request.headers())
            raw.append({k, v});
        const HeaderStash::Lines headers
            = m_mode == Mode::Restore ? HeaderStash::restore(HeaderStash::of(socket), raw) : HeaderStash::restore(nullptr, raw);
        QByteArray body;
        for (const auto &[k, v] : headers)
            body += k + ": " + v + '\n';
        socket->write("HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body);
        return true;
    }
    void missingHandler(const QHttpServerRequest &, QTcpSocket *) override { }

private:
    Mode m_mode;
};

// An EchoServer on its own thread, behind a GuardedTcpServer or (guarded false) a plain one.
class EchoThread
{
public:
    EchoThread(EchoServer::Mode mode, bool guarded)
    {
        m_thread.start();
        m_context = new QObject;
        m_context->moveToThread(&m_thread);
        QSemaphore ready;
        QMetaObject::invokeMethod(
            m_context,
            [&] {
                auto *server = new EchoServer(mode);
                server->setParent(m_context);
                if (guarded) {
                    auto *tcp = new GuardedTcpServer(GuardedTcpServer::Limits{}, server);
                    if (tcp->listen(QHostAddress::LocalHost, 0)) {
                        server->bind(tcp);
                        m_port = tcp->serverPort();
                    }
                } else {
                    m_port = server->listen(QHostAddress::LocalHost, 0);
                }
                ready.release();
            },
            Qt::QueuedConnection);
        ready.acquire();
    }
    ~EchoThread()
    {
        QMetaObject::invokeMethod(
            m_context, [this] { delete m_context; }, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    [[nodiscard]] quint16 port() const { return m_port; }
    // The EchoServer, parent of the listening socket.
    [[nodiscard]] QObject *server() const { return m_context->children().value(0); }

private:
    QThread m_thread;
    QObject *m_context = nullptr;
    quint16 m_port = 0;
};

// The echoed headers sorted by name, order kept within a name (the order of different names is
// the one thing the stash may change).
QList<QByteArray> sortedLines(const QByteArray &body)
{
    QList<QByteArray> lines = body.split('\n');
    lines.removeAll(QByteArray());
    std::stable_sort(lines.begin(), lines.end(),
                     [](const QByteArray &a, const QByteArray &b) { return a.left(a.indexOf(':')) < b.left(b.indexOf(':')); });
    return lines;
}

} // namespace

class TestHeaderStash : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        m_server = std::make_unique<test::TestServer>();
        QVERIFY(m_server->port());
        auto &accounts = m_server->backend().accounts();
        QVERIFY(accounts.createFirm({u"Alpha Ltd"_s, u"GB"_s, {}, u"alice@alpha.test"_s, kPassword, u"Alice"_s, {}}));
        QVERIFY(accounts.createFirm({u"Beta Ltd"_s, u"DE"_s, {}, u"bob@beta.test"_s, kPassword, u"Bob"_s, {}}));
        auto alice = m_server->backend().auth().login({u"alice@alpha.test"_s, kPassword, {}, {}, {}});
        auto bob = m_server->backend().auth().login({u"bob@beta.test"_s, kPassword, {}, {}, {}});
        QVERIFY(alice && bob);
        m_alice = alice->accessToken;
        m_bob = bob->accessToken;
        QVERIFY(bearer(m_alice).size() > 200); // long enough to be moved
    }

    void cleanupTestCase() { m_server.reset(); }

    // A JWT, and an API key made by a POST whose body follows a shortened header block.
    void credentialsStillWork()
    {
        Connection c;
        QVERIFY(c.open(port()));
        c.send(get("/auth/me", bearer(m_alice)));
        test::HttpResult me = c.readResponse();
        QCOMPARE(me.status, 200);
        QCOMPARE(emailOf(me), u"alice@alpha.test"_s);

        c.send(post("/api-keys", bearer(m_alice), R"({"name":"CI","scopes":["audit:read"]})"));
        const test::HttpResult created = c.readResponse();
        QVERIFY2(created.status == 201, created.body.constData());
        const QByteArray key = created.json().value(u"key"_s).toString().toLatin1();
        QVERIFY(key.startsWith("kc_live_"));
        c.send(post("/api-keys", bearer(m_alice), R"({"name":"Cases","scopes":["cases:read"]})"));
        const QByteArray otherScope = c.readResponse().json().value(u"key"_s).toString().toLatin1();
        QVERIFY(!otherScope.isEmpty());

        c.send(get("/audit/logs", "X-API-Key: " + key + "\r\n"));
        QCOMPARE(c.readResponse().status, 200);
        c.send(get("/audit/logs", "X-API-Key: " + otherScope + "\r\n"));
        QCOMPARE(c.readResponse().status, 403); // resolved, and its scopes checked
        c.send(get("/audit/logs", "X-API-Key: kc_live_" + QByteArray(54, 'x') + "\r\n"));
        QCOMPARE(c.readResponse().status, 401);
        // The moved lines come back whole: the request id is echoed.
        c.send(get("/auth/me", bearer(m_bob) + "X-Request-Id: moved-along-0042\r\n"));
        me = c.readResponse();
        QCOMPARE(me.status, 200);
        QCOMPARE(emailOf(me), u"bob@beta.test"_s);
        QCOMPARE(me.headers.value("x-request-id"), QByteArray("moved-along-0042"));
        QCOMPARE(largestStash(router()), 0); // every stashed block was claimed
    }

    void headerInPieces_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<QList<qsizetype>>("cuts");
        QTest::addColumn<int>("status");

        const QByteArray me = get("/auth/me", bearer(m_alice));
        const qsizetype auth = me.indexOf("Authorization");
        QTest::newRow("in the request line") << me << QList<qsizetype>{5} << 200;
        QTest::newRow("in the header name") << me << QList<qsizetype>{auth + 6} << 200;
        QTest::newRow("in the token, three pieces") << me << QList<qsizetype>{auth + 30, auth + 200} << 200;
        QTest::newRow("before the blank line") << me << QList<qsizetype>{me.size() - 2} << 200;
        QTest::newRow("one byte short") << me << QList<qsizetype>{me.size() - 1} << 200;
        const QByteArray withBody = post("/api-keys", bearer(m_alice), R"({"name":"Split","scopes":["audit:read"]})");
        QTest::newRow("whole header, body in two") << withBody << QList<qsizetype>{withBody.size() - 20} << 201;
    }

    // Only a block complete at a request boundary is shortened; the others go to QHttpServer as sent.
    void headerInPieces()
    {
        QFETCH(QByteArray, raw);
        QFETCH(QList<qsizetype>, cuts);
        QFETCH(int, status);

        Connection c;
        QVERIFY(c.open(port()));
        c.sendInPieces(raw, cuts);
        const test::HttpResult r = c.readResponse();
        QCOMPARE(r.status, status);
        if (status == 200)
            QCOMPARE(emailOf(r), u"alice@alpha.test"_s);
        else
            QCOMPARE(r.json().value(u"name"_s).toString(), u"Split"_s);
        // And the connection goes on normally.
        c.send(get("/auth/me", bearer(m_bob)));
        QCOMPARE(emailOf(c.readResponse()), u"bob@beta.test"_s);
    }

    // Several requests in one write, each with its own token: answered in order, each as its caller.
    void pipelined()
    {
        Connection c;
        QVERIFY(c.open(port()));
        const QByteArray body = R"({"name":"Piped","scopes":["audit:read"]})";
        c.send(get("/auth/me", bearer(m_alice)) + get("/auth/me", bearer(m_bob)) + get("/health")
               + post("/api-keys", bearer(m_bob), body) + get("/auth/me", bearer(m_alice))
               + get("/auth/me", "Authorization: x\r\n"));
        test::HttpResult r = c.readResponse();
        QCOMPARE(r.status, 200);
        QCOMPARE(emailOf(r), u"alice@alpha.test"_s);
        r = c.readResponse();
        QCOMPARE(r.status, 200);
        QCOMPARE(emailOf(r), u"bob@beta.test"_s);
        QCOMPARE(c.readResponse().status, 200);
        r = c.readResponse();
        QCOMPARE(r.status, 201);
        QCOMPARE(r.json().value(u"name"_s).toString(), u"Piped"_s);
        r = c.readResponse();
        QCOMPARE(r.status, 200);
        QCOMPARE(emailOf(r), u"alice@alpha.test"_s);
        QCOMPARE(c.readResponse().status, 401);
        QCOMPARE(largestStash(router()), 0);
    }

    // The guard's framing stays right around a shortened block: a pipelined POST whose body comes
    // later, then more requests on the same connection, with a header deadline that a miscount
    // would trip.
    void framingAfterShortening()
    {
        Config config = test::testConfig();
        config.headerTimeoutMs = 300;
        test::TestServer server(config);
        QVERIFY(server.port());
        QVERIFY(server.backend().accounts().createFirm({u"Gamma"_s, u"FR"_s, {}, u"gus@gamma.test"_s, kPassword, u"Gus"_s, {}}));
        const auto signIn = server.backend().auth().login({u"gus@gamma.test"_s, kPassword, {}, {}, {}});
        QVERIFY(signIn);
        const QString token = signIn->accessToken;
        Connection c;
        QVERIFY(c.open(server.port()));
        // A body longer than the header block, padded with JSON whitespace: a guard that counted the
        // pipelined block twice would take the end of this body for the start of a header block.
        const QByteArray body = R"({"name":"Late body",)" + QByteArray(2000, ' ') + R"("scopes":["audit:read"]})";
        const QByteArray second = post("/api-keys", bearer(token), body);
        const qsizetype cut = second.size() - body.size() + 10;
        c.send(get("/auth/me", bearer(token)) + second.left(cut));
        QCOMPARE(emailOf(c.readResponse()), u"gus@gamma.test"_s);
        QThread::msleep(500); // past the header deadline: only a miscounted body would count as headers
        c.send(second.mid(cut));
        const test::HttpResult created = c.readResponse();
        QVERIFY2(created.status == 201, created.body.constData());
        QThread::msleep(500);
        QVERIFY(!c.isClosed());
        c.send(get("/auth/me", bearer(token)));
        QCOMPARE(emailOf(c.readResponse()), u"gus@gamma.test"_s);

        // A body over the limit is still refused from the headers alone.
        Connection big;
        QVERIFY(big.open(server.port()));
        big.send(post("/api-keys", bearer(token), {}).replace("Content-Length: 0", "Content-Length: 99999999"));
        QCOMPARE(big.readResponse().status, 413);
    }

    // A reference only resolves on the connection that made it, and only as the guard's own line.
    void forgedReferences()
    {
        // A request whose body is held back keeps its stashed lines waiting on connection A.
        Connection a;
        QVERIFY(a.open(port()));
        a.send(get("/auth/me", bearer(m_alice)).replace("\r\n\r\n", "\r\nContent-Length: 5\r\n\r\n"));
        QByteArray reference;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const auto &refs : stashesOf(router())) {
                    if (!refs.isEmpty())
                        reference = refs.first();
                }
                return !reference.isEmpty();
            }(),
            kGenerous);
        QVERIFY(reference.startsWith('#'));

        const QList<QByteArray> forgeries{
            "K: " + reference + "\r\n",
            "K:" + reference + "\r\n",
            "Authorization: " + reference + "\r\n",
            "Authorization: Bearer " + reference + "\r\n",
            "K: " + reference + "\r\nX-Padding: " + QByteArray(100, 'p') + "\r\n", // B's own block moved too
            "Authorization: Bearer #AAAAAAAA.1\r\n",
            "K: #AAAAAAAA.1\r\n",
        };
        Connection b;
        QVERIFY(b.open(port()));
        for (const QByteArray &headers : forgeries) {
            b.send(get("/auth/me", headers));
            const test::HttpResult r = b.readResponse();
            QVERIFY2(r.status == 401, headers.constData());
            QVERIFY(!r.body.contains("alice"));
        }
        // With B's own token, B is B, whatever else it sends.
        b.send(get("/auth/me", "K: " + reference + "\r\n" + bearer(m_bob)));
        const test::HttpResult own = b.readResponse();
        QCOMPARE(own.status, 200);
        QCOMPARE(emailOf(own), u"bob@beta.test"_s);

        // A's lines are still there, untouched, and A's request completes as A.
        bool stillThere = false;
        for (const auto &refs : stashesOf(router()))
            stillThere |= refs.contains(reference);
        QVERIFY(stillThere);
        a.send("12345");
        const test::HttpResult r = a.readResponse();
        QCOMPARE(r.status, 200);
        QCOMPARE(emailOf(r), u"alice@alpha.test"_s);
        QCOMPARE(largestStash(router()), 0);
    }

    // Short blocks are left as they are: nothing is stashed for them.
    void shortBlocksUntouched()
    {
        Connection c;
        QVERIFY(c.open(port()));
        c.send("POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Request-Id: "
               "short-one\r\nContent-Length: 4\r\n\r\n");
        QTest::qWait(200);
        for (const auto &refs : stashesOf(router()))
            QVERIFY(refs.isEmpty());
        c.send("{}\r\n");
        const test::HttpResult r = c.readResponse();
        QCOMPARE(r.status, 400);
        QCOMPARE(r.headers.value("x-request-id"), QByteArray("short-one"));
        c.send(get("/health"));
        QCOMPARE(c.readResponse().status, 200);
    }

    // What the router gets back is what QHttpServer reads from the block as sent.
    void restoredHeadersAreTheOriginals_data()
    {
        QTest::addColumn<QByteArray>("headers");
        QTest::newRow("one long header") << QByteArray("Authorization: Bearer " + QByteArray(300, 't') + "\r\n");
        QTest::newRow("spacing, case, duplicates")
            << QByteArray("X-A:   spaced value   \r\nx-a: second " + QByteArray(80, 'a')
                          + "\r\nCookie: a=1; b=2\r\n"
                            "COOKIE:"
                          + QByteArray(70, 'c') + "\r\nConnection: keep-alive\r\nAccept: */*\r\n");
        QTest::newRow("a client K header") << QByteArray("K: #not-a-reference.1\r\nX-Long: " + QByteArray(100, 'l')
                                                         + "\r\nk:\r\n");
        QTest::newRow("kept lines between moved ones")
            << QByteArray("User-Agent: " + QByteArray(90, 'u') + "\r\nContent-Length: 0\r\nX-B: b\r\nExpect: \r\n");
    }

    void restoredHeadersAreTheOriginals()
    {
        QFETCH(QByteArray, headers);
        const QByteArray raw = "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n";
        EchoThread plain(EchoServer::Mode::Raw, false);
        EchoThread guarded(EchoServer::Mode::Restore, true);
        EchoThread unclaimed(EchoServer::Mode::Raw, true);
        QVERIFY(plain.port() && guarded.port() && unclaimed.port());
        const test::HttpResult expected = test::sendRaw(plain.port(), raw);
        const test::HttpResult restored = test::sendRaw(guarded.port(), raw);
        const test::HttpResult shortened = test::sendRaw(unclaimed.port(), raw);
        QVERIFY(expected.ok && restored.ok && shortened.ok);
        QCOMPARE(sortedLines(restored.body), sortedLines(expected.body));
        // The block QHttpServer read was indeed the short one.
        QVERIFY2(shortened.body.contains("\nk: #") && shortened.body.size() < 80, shortened.body.constData());
    }

    // A consumer that never claims its references (here: the echo server without restore) still
    // leaves at most one block's lines per connection, however many requests it serves.
    void stashBounded()
    {
        EchoThread unclaimed(EchoServer::Mode::Raw, true);
        Connection c;
        QVERIFY(c.open(unclaimed.port()));
        const QByteArray request = "GET /x HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer " + QByteArray(300, 'z') + "\r\n\r\n";
        QSet<QByteArray> references;
        for (int i = 0; i < 60; ++i) {
            c.send(i % 3 == 0 ? request + request : request); // some pipelined
            for (int n = i % 3 == 0 ? 2 : 1; n > 0; --n) {
                const test::HttpResult r = c.readResponse();
                QVERIFY(r.ok);
                const QByteArray k = r.body.mid(r.body.indexOf("k: ") + 3).split('\n').value(0);
                QVERIFY2(k.startsWith('#'), r.body.constData());
                references.insert(k);
            }
            QVERIFY(largestStash(unclaimed.server()) <= 1);
        }
        QCOMPARE(references.size(), 80); // each block its own reference
        QVERIFY(largestStash(unclaimed.server()) <= HeaderStash::kMaxEntries);

        // And with the router, which claims them all, nothing is left behind.
        Connection d;
        QVERIFY(d.open(port()));
        for (int i = 0; i < 50; ++i) {
            d.send(get("/auth/me", bearer(i % 2 ? m_alice : m_bob)) + get("/auth/me", bearer(m_alice)));
            QCOMPARE(d.readResponse().status, 200);
            QCOMPARE(d.readResponse().status, 200);
        }
        QCOMPARE(largestStash(router()), 0);
    }

private:
    [[nodiscard]] quint16 port() const { return m_server->port(); }
    [[nodiscard]] ApiRouter *router() const { return m_server->server().router(); }

    std::unique_ptr<test::TestServer> m_server;
    QString m_alice, m_bob;
};

QTEST_GUILESS_MAIN(TestHeaderStash)
#include "tst_headerstash.moc"
