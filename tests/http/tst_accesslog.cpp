// One access-log line per request (method, path, status, duration, request id), and never a
// token, key, password or signed query string in any log line.
#include "backend/http/apirouter.h"
#include "backend/http/controllers/controllers.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QLoggingCategory>
#include <QMutex>
#include <QRegularExpression>
#include <QtTest>

using namespace kyc;
using namespace kyc::http;

namespace {

constexpr char kAccessCategory[] = "kyc.http.access";

const QStringList kSecrets{QStringLiteral("eyJsecret"),   QStringLiteral("token.value"), QStringLiteral("kc_live_supersecret"),
                           QStringLiteral("supersecret"), QStringLiteral("hunter2"),     QStringLiteral("signature="),
                           QStringLiteral("token="),      QStringLiteral("abcdef"),      QStringLiteral("zzz")};

// Messages can come from the server thread, hence the lock.
struct Capture {
    QMutex mutex;
    QStringList access; // kyc.http.access lines
    QStringList all; // every message of every category
    QtMessageHandler previous = nullptr;
    QLoggingCategory::CategoryFilter previousFilter = nullptr;
};

Capture &capture()
{
    static Capture c;
    return c;
}

void captureMessage(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    Capture &c = capture();
    {
        QMutexLocker lock(&c.mutex);
        c.all << message;
        if (context.category && qstrcmp(context.category, kAccessCategory) == 0) {
            c.access << message;
            return;
        }
    }
    if (c.previous)
        c.previous(type, context, message);
}

// ctest runs with QT_LOGGING_RULES=kyc.http.access=false, which outranks setFilterRules(); the
// filter has the last word, so the lines under test are produced whatever the environment says.
void enableAccessCategory(QLoggingCategory *category)
{
    if (capture().previousFilter)
        capture().previousFilter(category);
    if (qstrcmp(category->categoryName(), kAccessCategory) == 0) {
        category->setEnabled(QtInfoMsg, true);
        category->setEnabled(QtWarningMsg, true);
        category->setEnabled(QtCriticalMsg, true);
    }
}

QStringList takeAccessLines()
{
    QMutexLocker lock(&capture().mutex);
    return std::exchange(capture().access, {});
}

QStringList takeAllLines()
{
    QMutexLocker lock(&capture().mutex);
    capture().access.clear();
    return std::exchange(capture().all, {});
}

QString leakIn(const QStringList &lines)
{
    // Request ids are random hex and could spell a short secret such as "abcdef" by chance.
    static const QRegularExpression uuid(QStringLiteral("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"));
    for (const QString &original : lines) {
        QString line = original;
        line.remove(uuid);
        for (const QString &secret : kSecrets) {
            if (line.contains(secret, Qt::CaseInsensitive))
                return QStringLiteral("\"%1\" in: %2").arg(secret, original);
        }
    }
    return QString();
}

QByteArray responseHeader(const ApiResponse &res, QByteArrayView name)
{
    for (const auto &[k, v] : res.headers) {
        if (k.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    }
    return {};
}

// Empty if `line` holds the method, the path, the status, a duration in ms and rid=<id>.
QString lineMismatch(const QString &line, const QString &method, const QString &path, int status, const QString &rid)
{
    const QStringList tokens = line.split(u' ', Qt::SkipEmptyParts);
    static const QRegularExpression duration(QStringLiteral("^\\d+(\\.\\d+)?ms$"));
    if (!tokens.contains(method))
        return QStringLiteral("no method %1 in: %2").arg(method, line);
    if (!tokens.contains(path))
        return QStringLiteral("no path %1 in: %2").arg(path, line);
    if (!tokens.contains(QString::number(status)))
        return QStringLiteral("no status %1 in: %2").arg(status).arg(line);
    if (std::none_of(tokens.begin(), tokens.end(), [](const QString &t) { return duration.match(t).hasMatch(); }))
        return QStringLiteral("no duration ending in ms in: ") + line;
    if (rid.isEmpty() || !tokens.contains(QStringLiteral("rid=") + rid))
        return QStringLiteral("no rid=%1 in: %2").arg(rid, line);
    return QString();
}

const QList<std::pair<QByteArray, QByteArray>> kSecretHeaders{
    {"authorization", "Bearer eyJsecret.token.value"},
    {"x-api-key", "kc_live_supersecret"},
};

} // namespace

class TestAccessLog : public QObject
{
    Q_OBJECT

    FakeClock m_clock;
    Config m_config = test::testConfig();
    std::unique_ptr<ApiRouter> m_router;

private slots:
    void initTestCase()
    {
        capture().previous = qInstallMessageHandler(captureMessage);
        QLoggingCategory::setFilterRules(QStringLiteral("kyc.http.access=true"));
        capture().previousFilter = QLoggingCategory::installFilter(enableAccessCategory);

        m_router = std::make_unique<ApiRouter>(m_config, m_clock);
        for (auto &c :
             makeAllControllers(HealthDeps{QStringLiteral("0.1.0"), [] { return qint64(3); }, {}, m_router.get()}, nullptr))
            m_router->addController(std::move(c));
    }

    void cleanupTestCase()
    {
        m_router.reset();
        QLoggingCategory::installFilter(capture().previousFilter);
        qInstallMessageHandler(capture().previous);
    }

    void init() { takeAllLines(); }

    void oneLinePerRequest_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("query");
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QByteArray>("requestId"); // inbound X-Request-Id, if any
        QTest::addColumn<int>("status");

        const QByteArray query = "signature=abcdef&token=zzz";
        const QByteArray json = "application/json";
        const QByteArray credentials = R"({"email":"a@example.com","password":"hunter2hunter2"})";
        QTest::newRow("GET /health") << QByteArray("GET") << QByteArray("/api/v1/health") << query << QByteArray() << QByteArray()
                                     << QByteArray() << 200;
        QTest::newRow("login with a password") << QByteArray("POST") << QByteArray("/api/v1/onboarding/business") << query << json
                                               << credentials << QByteArray() << 501;
        QTest::newRow("malformed JSON with a password")
            << QByteArray("POST") << QByteArray("/api/v1/onboarding/business") << query << json
            << QByteArray(R"({"password":"hunter2hunter2")") << QByteArray() << 400;
        QTest::newRow("wrong content type with a password")
            << QByteArray("POST") << QByteArray("/api/v1/onboarding/business") << query << QByteArray("text/plain") << credentials
            << QByteArray() << 415;
        QTest::newRow("unknown path") << QByteArray("GET") << QByteArray("/api/v1/nope") << query << QByteArray() << QByteArray()
                                      << QByteArray() << 404;
        QTest::newRow("wrong method") << QByteArray("DELETE") << QByteArray("/api/v1/health") << query << QByteArray()
                                      << QByteArray() << QByteArray() << 405;
        QTest::newRow("key-capable operation") << QByteArray("GET") << QByteArray("/api/v1/onboarding/cases") << query
                                               << QByteArray() << QByteArray() << QByteArray() << 501;
        QTest::newRow("secret in a pending operation")
            << QByteArray("PUT") << QByteArray("/api/v1/docusign/config") << query << json
            << QByteArray(R"({"current_password":"hunter2hunter2","new_password":"hunter2hunter2x"})") << QByteArray() << 501;
        QTest::newRow("inbound request id") << QByteArray("GET") << QByteArray("/api/v1/health/ready") << query << QByteArray()
                                            << QByteArray() << QByteArray("client-rid-1") << 200;
    }

    void oneLinePerRequest()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, query);
        QFETCH(QByteArray, contentType);
        QFETCH(QByteArray, body);
        QFETCH(QByteArray, requestId);
        QFETCH(int, status);

        IncomingRequest in;
        in.method = method;
        in.encodedPath = path;
        in.encodedQuery = query;
        in.headers = kSecretHeaders;
        if (!contentType.isEmpty())
            in.headers.append(std::make_pair(QByteArray("content-type"), contentType));
        if (!requestId.isEmpty())
            in.headers.append(std::make_pair(QByteArray("x-request-id"), requestId));
        in.body = body;
        in.ip = QStringLiteral("127.0.0.1");

        QString rid;
        const ApiResponse res = m_router->dispatch(in, &rid);
        QCOMPARE(res.status, status);
        const QByteArray headerId = responseHeader(res, "x-request-id");
        QCOMPARE(QString::fromLatin1(headerId), rid);
        if (!requestId.isEmpty())
            QCOMPARE(headerId, requestId);

        const QStringList lines = takeAccessLines();
        QCOMPARE(lines.size(), 1);
        const QString mismatch = lineMismatch(lines.first(), QString::fromLatin1(method), QString::fromLatin1(path), status,
                                              QString::fromLatin1(headerId));
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        const QString leak = leakIn(lines);
        QVERIFY2(leak.isEmpty(), qPrintable(leak));
    }

    // Secrets reach no log line of any category, whatever the request.
    void noSecretInAnyLogLine()
    {
        IncomingRequest in;
        in.method = "POST";
        in.encodedPath = "/api/v1/onboarding/business";
        in.encodedQuery = "signature=abcdef&token=zzz";
        in.headers = kSecretHeaders;
        in.headers.append(std::make_pair(QByteArray("content-type"), QByteArray("application/json")));
        in.body = R"({"email":"a@example.com","password":"hunter2hunter2"})";
        in.ip = QStringLiteral("127.0.0.1");
        for (int i = 0; i < 3; ++i)
            (void)m_router->dispatch(in);
        const QStringList lines = takeAllLines();
        QVERIFY(!lines.isEmpty());
        const QString leak = leakIn(lines);
        QVERIFY2(leak.isEmpty(), qPrintable(leak));
    }

    // Over a real socket too there is exactly one line per request, carrying the id the client got.
    void socketRequestLogsOnce()
    {
        test::TestServer server;
        QVERIFY(server.port());
        takeAllLines();

        test::Headers headers{{"Authorization", "Bearer eyJsecret.token.value"}, {"X-API-Key", "kc_live_supersecret"}};
        const test::HttpResult r = test::request(server.port(), "POST", "/api/v1/onboarding/business?signature=abcdef&token=zzz",
                                                 R"({"email":"a@example.com","password":"hunter2hunter2"})", headers);
        QVERIFY(r.ok);
        QCOMPARE(r.status, 501);
        const QString rid = QString::fromLatin1(r.headers.value("x-request-id"));
        QVERIFY(!rid.isEmpty());

        // The line is written before the answer leaves, but give the server thread room anyway.
        QStringList lines;
        QTRY_VERIFY_WITH_TIMEOUT((lines += takeAccessLines(), !lines.isEmpty()), 10000);
        QTest::qWait(50);
        lines += takeAccessLines();
        QCOMPARE(lines.size(), 1);
        const QString mismatch
            = lineMismatch(lines.first(), QStringLiteral("POST"), QStringLiteral("/api/v1/onboarding/business"), 501, rid);
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        const QString leak = leakIn(lines);
        QVERIFY2(leak.isEmpty(), qPrintable(leak));
        const QString anyLeak = leakIn(takeAllLines());
        QVERIFY2(anyLeak.isEmpty(), qPrintable(anyLeak));
    }
};

QTEST_GUILESS_MAIN(TestAccessLog)
#include "tst_accesslog.moc"
