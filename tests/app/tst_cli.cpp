// The command line (defaults < KYCONNECT_* < arguments) and the real kyconnect executable: serving,
// clean shutdown on signals, a busy port, admin verify-audit, and a database from a newer version.
#include "app/cli.h"
#include "backend/core/version.h"
#include "backend/screening/screeningservice.h"
#include "tests/testsupport/rawdb.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QUuid>
#include <QtTest>

#include <csignal>
#include <memory>
#include <optional>

using namespace kyc;

using kyc::test::RawDb;

namespace {

constexpr int kStartTimeoutMs = 30'000;
constexpr int kStopTimeoutMs = 30'000;

QProcessEnvironment envFrom(const QStringList &pairs)
{
    QProcessEnvironment env;
    for (const auto &p : pairs) {
        const qsizetype eq = p.indexOf(u'=');
        env.insert(p.left(eq), p.mid(eq + 1));
    }
    return env;
}

// A kyconnect child process with everything it has printed so far.
struct Child {
    std::unique_ptr<QProcess> process = std::make_unique<QProcess>();
    QByteArray out;
    QByteArray err;

    void drain()
    {
        out += process->readAllStandardOutput();
        err += process->readAllStandardError();
    }
    [[nodiscard]] QString stdOut() const { return QString::fromUtf8(out); }
    [[nodiscard]] QString stdErr() const { return QString::fromUtf8(err); }
    [[nodiscard]] QByteArray diagnostics() const
    {
        return "exit " + QByteArray::number(process->exitCode()) + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
    }
};

QByteArray fileHash(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(&f);
    return h.result().toHex();
}

} // namespace

class TestCli final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();

    // parseCommandLine
    void precedence_data();
    void precedence();
    void headlessFlag();
    void badPort_data();
    void badPort();
    void badEnvironment();
    void adminCommand();
    void unknownCommandOrOption_data();
    void unknownCommandOrOption();
    void versionExitsZero();
    void defaultDataDirIsXdg();

    // The real executable
    void headlessServesAndStopsOnSignal_data();
    void headlessServesAndStopsOnSignal();
    void environmentConfiguresTheServer();
    void busyPortFails();
    void verifyAuditIntactThenBroken();
    void adminCommandsNeverCreateTheDataDirectory_data();
    void adminCommandsNeverCreateTheDataDirectory();
    void adminCommandTightensAnExistingDataDirectory();
    void createUserWithUnknownFirmSaysSo();
    void newerDatabaseIsRefused();
    void guiModeServesAndStops();
    void importListCommand();
    void importListRefusesAnOlderFileUnlessForced();
    void demoListsFromSharedData();

private:
    [[nodiscard]] QString binary() const { return QStringLiteral(KYC_BINARY_DIR) + QStringLiteral("/app/kyconnect"); }
    Child &start(const QStringList &args, const QStringList &extraEnv = {});
    // Waits for the "API on …" line; returns the port, and the data directory it names.
    std::optional<quint16> waitForApi(Child &c, QString *dataDir = nullptr);
    bool waitForExit(Child &c, int timeoutMs = kStopTimeoutMs);
    // Starts a headless server on the directory, checks it serves, and stops it cleanly.
    void serveOnce(const QString &dataDir);
    Child &runToEnd(const QStringList &args);

    std::vector<std::unique_ptr<Child>> m_children;
    QTemporaryDir m_xdg;
};

void TestCli::initTestCase()
{
    QVERIFY2(QFileInfo(binary()).isExecutable(),
             qPrintable(binary() + QStringLiteral(" is missing: build the kyconnect target")));
    QVERIFY(m_xdg.isValid());
}

void TestCli::cleanup()
{
    for (auto &c : m_children) {
        if (c->process->state() != QProcess::NotRunning) {
            c->process->kill();
            c->process->waitForFinished(5000);
        }
    }
    m_children.clear();
}

Child &TestCli::start(const QStringList &args, const QStringList &extraEnv)
{
    auto c = std::make_unique<Child>();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const auto &key : env.keys()) {
        if (key.startsWith(QLatin1String("KYCONNECT_")))
            env.remove(key);
    }
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    // Never the real home, whatever a default might pick, and never the keychain of whoever runs the tests.
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_xdg.path());
    env.insert(QStringLiteral("KYCONNECT_KEY_STORE"), QStringLiteral("file"));
    for (const auto &p : extraEnv) {
        const qsizetype eq = p.indexOf(u'=');
        env.insert(p.left(eq), p.mid(eq + 1));
    }
    c->process->setProcessEnvironment(env);
    c->process->setProgram(binary());
    c->process->setArguments(args);
    c->process->start();
    m_children.push_back(std::move(c));
    return *m_children.back();
}

std::optional<quint16> TestCli::waitForApi(Child &c, QString *dataDir)
{
    static const QRegularExpression line(
        QStringLiteral("^kyconnect (\\S+): API on http://127\\.0\\.0\\.1:(\\d+)/api/v1 \\(data in (.+)\\)$"),
        QRegularExpression::MultilineOption);
    if (!c.process->waitForStarted(kStartTimeoutMs))
        return std::nullopt;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < kStartTimeoutMs) {
        c.drain();
        const auto m = line.match(c.stdOut());
        if (m.hasMatch()) {
            if (m.captured(1) != version())
                qWarning().noquote() << "unexpected version in" << m.captured(0);
            if (dataDir)
                *dataDir = m.captured(3);
            bool ok = false;
            const uint port = m.captured(2).toUInt(&ok);
            if (!ok || port == 0 || port > 65535)
                return std::nullopt;
            return quint16(port);
        }
        if (c.process->state() == QProcess::NotRunning)
            return std::nullopt;
        c.process->waitForReadyRead(200);
    }
    return std::nullopt;
}

bool TestCli::waitForExit(Child &c, int timeoutMs)
{
    const bool done = c.process->state() == QProcess::NotRunning || c.process->waitForFinished(timeoutMs);
    c.drain();
    return done;
}

Child &TestCli::runToEnd(const QStringList &args)
{
    Child &c = start(args);
    waitForExit(c);
    return c;
}

void TestCli::serveOnce(const QString &dataDir)
{
    Child &c = start(
        {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dataDir, QStringLiteral("--port"), QStringLiteral("0")});
    const auto port = waitForApi(c);
    QVERIFY2(port, c.diagnostics().constData());
    QCOMPARE(test::request(*port, "GET", "/api/v1/health").status, 200);
    c.process->terminate();
    QVERIFY(waitForExit(c));
    QCOMPARE(c.process->exitCode(), 0);
}

// ---------------------------------------------------------------------------------------------
// parseCommandLine

void TestCli::precedence_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("dataDir"); // empty: the default

    const QStringList fullEnv{QStringLiteral("KYCONNECT_HOST=0.0.0.0"), QStringLiteral("KYCONNECT_PORT=4000"),
                              QStringLiteral("KYCONNECT_DATA_DIR=/tmp/from-env")};
    const QStringList fullArgs{QStringLiteral("--host"), QStringLiteral("10.1.2.3"),   QStringLiteral("--port"),
                               QStringLiteral("5000"),   QStringLiteral("--data-dir"), QStringLiteral("/tmp/from-args")};

    QTest::newRow("defaults") << QStringList{} << QStringList{} << QStringLiteral("127.0.0.1") << 3000 << QString();
    QTest::newRow("environment over defaults")
        << QStringList{} << fullEnv << QStringLiteral("0.0.0.0") << 4000 << QStringLiteral("/tmp/from-env");
    QTest::newRow("arguments over defaults")
        << fullArgs << QStringList{} << QStringLiteral("10.1.2.3") << 5000 << QStringLiteral("/tmp/from-args");
    QTest::newRow("arguments over environment")
        << fullArgs << fullEnv << QStringLiteral("10.1.2.3") << 5000 << QStringLiteral("/tmp/from-args");
    QTest::newRow("each from its own level")
        << QStringList{QStringLiteral("--host"), QStringLiteral("::1")} << QStringList{QStringLiteral("KYCONNECT_PORT=4100")}
        << QStringLiteral("::1") << 4100 << QString();
    QTest::newRow("port argument over environment only") << QStringList{QStringLiteral("--port=4200")} << fullEnv
                                                         << QStringLiteral("0.0.0.0") << 4200 << QStringLiteral("/tmp/from-env");
    QTest::newRow("data dir argument over environment only")
        << QStringList{QStringLiteral("--data-dir=/tmp/only-arg")} << fullEnv << QStringLiteral("0.0.0.0") << 4000
        << QStringLiteral("/tmp/only-arg");
    QTest::newRow("port 0 lets the system choose") << QStringList{QStringLiteral("--port"), QStringLiteral("0")} << QStringList{}
                                                   << QStringLiteral("127.0.0.1") << 0 << QString();
    QTest::newRow("highest port") << QStringList{QStringLiteral("--port"), QStringLiteral("65535")} << QStringList{}
                                  << QStringLiteral("127.0.0.1") << 65535 << QString();
}

void TestCli::precedence()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, env);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, dataDir);

    int exitCode = -1;
    const auto o = app::parseCommandLine(QStringList{QStringLiteral("kyconnect")} + args, envFrom(env), &exitCode);
    QVERIFY(o.has_value());
    QCOMPARE(o->config.host, host);
    QCOMPARE(int(o->config.port), port);
    QCOMPARE(o->config.dataDir, dataDir.isEmpty() ? app::defaultDataDir() : dataDir);
    QVERIFY(!o->headless);
    QVERIFY(o->adminCommand.isEmpty());
}

void TestCli::headlessFlag()
{
    int exitCode = -1;
    auto o = app::parseCommandLine({QStringLiteral("kyconnect"), QStringLiteral("--headless")}, {}, &exitCode);
    QVERIFY(o.has_value());
    QVERIFY(o->headless);
    QVERIFY(o->adminCommand.isEmpty());

    o = app::parseCommandLine({QStringLiteral("kyconnect")}, {}, &exitCode);
    QVERIFY(o.has_value());
    QVERIFY(!o->headless);
}

void TestCli::badPort_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("letters") << QStringList{QStringLiteral("--port"), QStringLiteral("abc")};
    QTest::newRow("too big") << QStringList{QStringLiteral("--port"), QStringLiteral("65536")};
    QTest::newRow("negative") << QStringList{QStringLiteral("--port=-1")};
    QTest::newRow("empty") << QStringList{QStringLiteral("--port=")};
    QTest::newRow("trailing junk") << QStringList{QStringLiteral("--port"), QStringLiteral("3000x")};
    QTest::newRow("missing value") << QStringList{QStringLiteral("--port")};
}

void TestCli::badPort()
{
    QFETCH(QStringList, args);
    int exitCode = -1;
    const auto o = app::parseCommandLine(QStringList{QStringLiteral("kyconnect")} + args, {}, &exitCode);
    QVERIFY(!o.has_value());
    QCOMPARE(exitCode, 2);
}

void TestCli::badEnvironment()
{
    int exitCode = -1;
    const auto o
        = app::parseCommandLine({QStringLiteral("kyconnect")}, envFrom({QStringLiteral("KYCONNECT_PORT=http")}), &exitCode);
    QVERIFY(!o.has_value());
    QCOMPARE(exitCode, 2);
}

void TestCli::adminCommand()
{
    int exitCode = -1;
    auto o = app::parseCommandLine({QStringLiteral("kyconnect"), QStringLiteral("admin"), QStringLiteral("verify-audit")},
                                   envFrom({QStringLiteral("KYCONNECT_DATA_DIR=/tmp/env-data")}), &exitCode);
    QVERIFY(o.has_value());
    QCOMPARE(o->adminCommand, (QStringList{QStringLiteral("admin"), QStringLiteral("verify-audit")}));
    QCOMPARE(o->config.dataDir, QStringLiteral("/tmp/env-data"));

    // Options may follow the command.
    o = app::parseCommandLine({QStringLiteral("kyconnect"), QStringLiteral("admin"), QStringLiteral("verify-audit"),
                               QStringLiteral("--data-dir"), QStringLiteral("/tmp/admin-data")},
                              {}, &exitCode);
    QVERIFY(o.has_value());
    QCOMPARE(o->adminCommand, (QStringList{QStringLiteral("admin"), QStringLiteral("verify-audit")}));
    QCOMPARE(o->config.dataDir, QStringLiteral("/tmp/admin-data"));

    // runAdmin rejects an unknown subcommand without touching any data.
    o = app::parseCommandLine({QStringLiteral("kyconnect"), QStringLiteral("admin"), QStringLiteral("frobnicate"),
                               QStringLiteral("--data-dir"), QStringLiteral("/nonexistent/kyc-never-created")},
                              {}, &exitCode);
    QVERIFY(o.has_value());
    QCOMPARE(app::runAdmin(*o), 2);
    QVERIFY(!QFileInfo::exists(QStringLiteral("/nonexistent/kyc-never-created")));
}

void TestCli::unknownCommandOrOption_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("unknown command") << QStringList{QStringLiteral("serve")};
    QTest::newRow("unknown option") << QStringList{QStringLiteral("--bogus")};
}

void TestCli::unknownCommandOrOption()
{
    QFETCH(QStringList, args);
    int exitCode = -1;
    const auto o = app::parseCommandLine(QStringList{QStringLiteral("kyconnect")} + args, {}, &exitCode);
    QVERIFY(!o.has_value());
    QCOMPARE(exitCode, 2);
}

void TestCli::versionExitsZero()
{
    int exitCode = -1;
    const auto o = app::parseCommandLine({QStringLiteral("kyconnect"), QStringLiteral("--version")}, {}, &exitCode);
    QVERIFY(!o.has_value());
    QCOMPARE(exitCode, 0);
}

void TestCli::defaultDataDirIsXdg()
{
    const QString dir = app::defaultDataDir();
    QVERIFY(dir.endsWith(QLatin1String("/kyconnect")));
    QCOMPARE(dir, QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/kyconnect"));
}

// ---------------------------------------------------------------------------------------------
// The real executable

void TestCli::headlessServesAndStopsOnSignal_data()
{
    QTest::addColumn<int>("signal");
    QTest::newRow("SIGTERM") << int(SIGTERM);
    QTest::newRow("SIGINT") << int(SIGINT);
}

void TestCli::headlessServesAndStopsOnSignal()
{
    QFETCH(int, signal);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    Child &c = start(
        {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--port"), QStringLiteral("0")});
    QString printedDir;
    const auto port = waitForApi(c, &printedDir);
    QVERIFY2(port, c.diagnostics().constData());
    QCOMPARE(printedDir, dir.path());
    QVERIFY(QFileInfo::exists(dir.filePath(QStringLiteral("kyconnect.db"))));

    const auto health = test::request(*port, "GET", "/api/v1/health");
    QVERIFY(health.ok);
    QCOMPARE(health.status, 200);
    QCOMPARE(health.json().value(QStringLiteral("status")).toString(), QStringLiteral("ok"));

    if (signal == SIGTERM)
        c.process->terminate();
    else
        QCOMPARE(::kill(pid_t(c.process->processId()), SIGINT), 0);
    QVERIFY2(waitForExit(c), "kyconnect did not stop after the signal");
    QCOMPARE(c.process->exitStatus(), QProcess::NormalExit);
    QVERIFY2(c.process->exitCode() == 0, c.diagnostics().constData());
    QVERIFY2(c.stdOut().contains(QLatin1String("kyconnect: stopped")), c.diagnostics().constData());

    // Stopped means the port is free again.
    QVERIFY(!test::request(*port, "GET", "/api/v1/health", {}, {}, 2000).ok);

    // A clean stop is recorded in the audit trail, after the start.
    RawDb db(dir.filePath(QStringLiteral("kyconnect.db")));
    QVERIFY(db.isOpen());
    const QStringList actions
        = db.column(QStringLiteral("SELECT action FROM audit_events WHERE chain = 'platform' ORDER BY sequence"));
    QCOMPARE(actions, (QStringList{QStringLiteral("system.started"), QStringLiteral("system.stopped")}));
}

void TestCli::environmentConfiguresTheServer()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    Child &c = start({QStringLiteral("--headless")},
                     {QStringLiteral("KYCONNECT_DATA_DIR=") + dir.path(), QStringLiteral("KYCONNECT_PORT=0"),
                      QStringLiteral("KYCONNECT_HOST=127.0.0.1")});
    QString printedDir;
    const auto port = waitForApi(c, &printedDir);
    QVERIFY2(port, c.diagnostics().constData());
    QCOMPARE(printedDir, dir.path());
    QCOMPARE(test::request(*port, "GET", "/api/v1/health").status, 200);
    c.process->terminate();
    QVERIFY(waitForExit(c));
    QCOMPARE(c.process->exitCode(), 0);
}

void TestCli::busyPortFails()
{
    QTemporaryDir first;
    QTemporaryDir second;
    QVERIFY(first.isValid() && second.isValid());
    Child &a = start({QStringLiteral("--headless"), QStringLiteral("--data-dir"), first.path(), QStringLiteral("--port"),
                      QStringLiteral("0")});
    const auto port = waitForApi(a);
    QVERIFY2(port, a.diagnostics().constData());

    Child &b = start({QStringLiteral("--headless"), QStringLiteral("--data-dir"), second.path(), QStringLiteral("--port"),
                      QString::number(*port)});
    QVERIFY2(waitForExit(b), "the second instance kept running on a busy port");
    QCOMPARE(b.process->exitStatus(), QProcess::NormalExit);
    QVERIFY2(b.process->exitCode() != 0, b.diagnostics().constData());
    QVERIFY2(!b.stdErr().trimmed().isEmpty(), b.diagnostics().constData());
    QVERIFY2(b.stdErr().contains(QString::number(*port)), b.diagnostics().constData());
    QVERIFY2(!b.stdOut().contains(QLatin1String("API on")), b.diagnostics().constData());

    // The first instance is unaffected.
    QCOMPARE(test::request(*port, "GET", "/api/v1/health").status, 200);
    a.process->terminate();
    QVERIFY(waitForExit(a));
    QCOMPARE(a.process->exitCode(), 0);
}

void TestCli::verifyAuditIntactThenBroken()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    serveOnce(dir.path());
    if (QTest::currentTestFailed())
        return;

    Child &ok = runToEnd({QStringLiteral("admin"), QStringLiteral("verify-audit"), QStringLiteral("--data-dir"), dir.path()});
    QCOMPARE(ok.process->exitStatus(), QProcess::NormalExit);
    QVERIFY2(ok.process->exitCode() == 0, ok.diagnostics().constData());
    QVERIFY2(ok.stdOut().contains(QLatin1String("intact")), ok.diagnostics().constData());
    QVERIFY2(!ok.stdOut().contains(QLatin1String("BROKEN")), ok.diagnostics().constData());

    {
        RawDb db(dir.filePath(QStringLiteral("kyconnect.db")));
        QVERIFY(db.isOpen());
        QCOMPARE(db.scalar(QStringLiteral("SELECT COUNT(*) FROM audit_events WHERE chain = 'platform'")).toInt(), 2);
        // The trigger stands in the way until it is dropped.
        QVERIFY(!db.exec(QStringLiteral("UPDATE audit_events SET action = 'x' WHERE sequence = 2")).isEmpty());
        QCOMPARE(db.exec(QStringLiteral("DROP TRIGGER audit_events_no_update")), QString());
        QCOMPARE(db.exec(QStringLiteral(
                     "UPDATE audit_events SET action = 'system.tampered' WHERE chain = 'platform' AND sequence = 2")),
                 QString());
    }

    Child &broken = runToEnd({QStringLiteral("admin"), QStringLiteral("verify-audit"), QStringLiteral("--data-dir"), dir.path()});
    QCOMPARE(broken.process->exitStatus(), QProcess::NormalExit);
    QVERIFY2(broken.process->exitCode() == 1, broken.diagnostics().constData());
    QVERIFY2(broken.stdOut().contains(QLatin1String("BROKEN")), broken.diagnostics().constData());
    QVERIFY2(broken.stdOut().contains(QRegularExpression(QStringLiteral("sequence 2\\b"))), broken.diagnostics().constData());
}

// `admin verify-audit --data-dir /no/such/dir` created an empty database and reported it "intact" (exit 0).
void TestCli::adminCommandsNeverCreateTheDataDirectory_data()
{
    QTest::addColumn<QStringList>("command");
    QTest::newRow("verify-audit") << QStringList{QStringLiteral("verify-audit")};
    QTest::newRow("reset-mfa") << QStringList{QStringLiteral("reset-mfa"), QStringLiteral("--email"), QStringLiteral("a@b.test")};
    QTest::newRow("set-platform-admin") << QStringList{QStringLiteral("set-platform-admin"), QStringLiteral("--email"),
                                                       QStringLiteral("a@b.test")};
    QTest::newRow("create-user") << QStringList{
        QStringLiteral("create-user"), QStringLiteral("--firm-id"), QStringLiteral("f"),
        QStringLiteral("--email"),     QStringLiteral("a@b.test"),  QStringLiteral("--owner-name"),
        QStringLiteral("A"),           QStringLiteral("--role"),    QStringLiteral("viewer")};
}

void TestCli::adminCommandsNeverCreateTheDataDirectory()
{
    QFETCH(QStringList, command);
    QTemporaryDir parent;
    QVERIFY(parent.isValid());
    const QString missing = parent.filePath(QStringLiteral("no/such/dir"));
    Child &c = runToEnd(QStringList{QStringLiteral("admin")} + command + QStringList{QStringLiteral("--data-dir"), missing});
    QCOMPARE(c.process->exitStatus(), QProcess::NormalExit);
    QVERIFY2(c.process->exitCode() == 2, c.diagnostics().constData());
    QVERIFY2(c.stdErr().contains(QLatin1String("no data directory")), c.diagnostics().constData());
    QVERIFY2(!c.stdOut().contains(QLatin1String("intact")), c.diagnostics().constData());
    QVERIFY(!QFileInfo::exists(missing));
    QVERIFY(!QFileInfo::exists(parent.filePath(QStringLiteral("no"))));

    // A directory that exists but holds no database is not one either, and stays empty.
    QTemporaryDir empty;
    QVERIFY(empty.isValid());
    Child &e = runToEnd(QStringList{QStringLiteral("admin")} + command + QStringList{QStringLiteral("--data-dir"), empty.path()});
    QVERIFY2(e.process->exitCode() == 2, e.diagnostics().constData());
    QVERIFY2(e.stdErr().contains(QLatin1String("no KYConnect database")), e.diagnostics().constData());
    QVERIFY(QDir(empty.path()).isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System));
}

// The data directory, database and WAL of an installation left readable by others are tightened when
// the admin CLI opens them.
void TestCli::adminCommandTightensAnExistingDataDirectory()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    serveOnce(dir.path());
    if (QTest::currentTestFailed())
        return;
    const QString db = dir.filePath(QStringLiteral("kyconnect.db"));
    QVERIFY(QFile::setPermissions(dir.path(),
                                  QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                      | QFileDevice::ReadGroup | QFileDevice::ExeGroup | QFileDevice::ReadOther
                                      | QFileDevice::ExeOther));
    QVERIFY(QFile::setPermissions(
        db, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup | QFileDevice::ReadOther));
    Child &c = runToEnd({QStringLiteral("admin"), QStringLiteral("verify-audit"), QStringLiteral("--data-dir"), dir.path()});
    QVERIFY2(c.process->exitCode() == 0, c.diagnostics().constData());
    const auto groupOrOther = QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup | QFileDevice::ReadOther
        | QFileDevice::WriteOther | QFileDevice::ExeOther;
    QCOMPARE(QFileInfo(dir.path()).permissions() & groupOrOther, QFileDevice::Permissions());
    QCOMPARE(QFileInfo(db).permissions() & groupOrOther, QFileDevice::Permissions());
    for (const auto &side : {QStringLiteral("-wal"), QStringLiteral("-shm")}) {
        if (QFileInfo::exists(db + side))
            QCOMPARE(QFileInfo(db + side).permissions() & groupOrOther, QFileDevice::Permissions());
    }
}

// `admin create-user` with an unknown firm printed the raw SQL of a foreign-key failure.
void TestCli::createUserWithUnknownFirmSaysSo()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    serveOnce(dir.path());
    if (QTest::currentTestFailed())
        return;
    Child &c = start({QStringLiteral("admin"), QStringLiteral("create-user"), QStringLiteral("--firm-id"),
                      QStringLiteral("00000000-0000-4000-8000-000000000000"), QStringLiteral("--email"),
                      QStringLiteral("new.user@cli.test"), QStringLiteral("--owner-name"), QStringLiteral("New User"),
                      QStringLiteral("--role"), QStringLiteral("analyst"), QStringLiteral("--data-dir"), dir.path()},
                     {QStringLiteral("KYCONNECT_ADMIN_PASSWORD=a long enough password")});
    QVERIFY(waitForExit(c));
    QVERIFY2(c.process->exitCode() == 2, c.diagnostics().constData());
    QVERIFY2(c.stdErr().contains(QLatin1String("No firm has the id 00000000-0000-4000-8000-000000000000")),
             c.diagnostics().constData());
    for (const char *leak : {"SQL", "INSERT", "FOREIGN KEY", "constraint"})
        QVERIFY2(!c.stdErr().contains(QLatin1String(leak), Qt::CaseInsensitive), c.diagnostics().constData());
    RawDb db(dir.filePath(QStringLiteral("kyconnect.db")));
    QVERIFY(db.isOpen());
    QCOMPARE(db.scalar(QStringLiteral("SELECT COUNT(*) FROM users WHERE email = 'new.user@cli.test'")).toInt(), 0);
}

void TestCli::newerDatabaseIsRefused()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    serveOnce(dir.path());
    if (QTest::currentTestFailed())
        return;

    const QString dbPath = dir.filePath(QStringLiteral("kyconnect.db"));
    int eventsBefore = 0;
    {
        RawDb db(dbPath);
        QVERIFY(db.isOpen());
        QCOMPARE(db.exec(QStringLiteral("INSERT INTO schema_migrations (version, name, applied_at) "
                                        "VALUES (999, 'from the future', '2099-01-01T00:00:00.000Z')")),
                 QString());
        eventsBefore = db.scalar(QStringLiteral("SELECT COUNT(*) FROM audit_events")).toInt();
    }
    QVERIFY(eventsBefore > 0);
    const QByteArray hashBefore = fileHash(dbPath);
    QVERIFY(!hashBefore.isEmpty());

    Child &server = start(
        {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--port"), QStringLiteral("0")});
    QVERIFY2(waitForExit(server), "kyconnect kept running on a database from a newer version");
    QCOMPARE(server.process->exitStatus(), QProcess::NormalExit);
    QVERIFY2(server.process->exitCode() != 0, server.diagnostics().constData());
    QVERIFY2(server.stdErr().contains(QLatin1String("newer")), server.diagnostics().constData());
    QVERIFY2(!server.stdOut().contains(QLatin1String("API on")), server.diagnostics().constData());

    Child &admin = runToEnd({QStringLiteral("admin"), QStringLiteral("verify-audit"), QStringLiteral("--data-dir"), dir.path()});
    QVERIFY2(admin.process->exitCode() != 0, admin.diagnostics().constData());
    QVERIFY2(admin.stdErr().contains(QLatin1String("newer")), admin.diagnostics().constData());

    // Refused means untouched.
    QCOMPARE(fileHash(dbPath), hashBefore);
    RawDb db(dbPath);
    QVERIFY(db.isOpen());
    QCOMPARE(db.scalar(QStringLiteral("SELECT MAX(version) FROM schema_migrations")).toInt(), 999);
    QCOMPARE(db.scalar(QStringLiteral("SELECT COUNT(*) FROM audit_events")).toInt(), eventsBefore);
}

void TestCli::guiModeServesAndStops()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    Child &c = start({QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--port"), QStringLiteral("0")});
    const auto port = waitForApi(c);
    QVERIFY2(port, c.diagnostics().constData());
    QCOMPARE(test::request(*port, "GET", "/api/v1/health").status, 200);
    c.process->terminate();
    QVERIFY2(waitForExit(c), "kyconnect (GUI) did not stop on SIGTERM");
    QCOMPARE(c.process->exitStatus(), QProcess::NormalExit);
    QVERIFY2(c.process->exitCode() == 0, c.diagnostics().constData());
    QVERIFY2(c.stdOut().contains(QLatin1String("kyconnect: stopped")), c.diagnostics().constData());
}

// kyconnect admin import-list: a sanctions format and a PEP mapping id; an unknown format is refused.
void TestCli::importListCommand()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString pep = test::sharedDir() + QStringLiteral("/data/pep/us_congress_legislators/executive.yaml");
    int exitCode = -1;
    auto o = app::parseCommandLine({QStringLiteral("kyconnect"), QStringLiteral("admin"), QStringLiteral("import-list"),
                                    QStringLiteral("pep_us_executive"), pep, QStringLiteral("--data-dir"), dir.path()},
                                   {}, &exitCode);
    QVERIFY(o.has_value());
    QCOMPARE(app::runAdmin(*o), 0);
    o = app::parseCommandLine({QStringLiteral("kyconnect"), QStringLiteral("admin"), QStringLiteral("import-list"),
                               QStringLiteral("no_such_format"), pep, QStringLiteral("--data-dir"), dir.path()},
                              {}, &exitCode);
    QVERIFY(o.has_value());
    QCOMPARE(app::runAdmin(*o), 2);
    SystemClock clock;
    Config config;
    config.dataDir = dir.path();
    auto backend = Backend::open(config, clock);
    QVERIFY(backend);
    auto lists = (*backend)->screening().lists(Actor::system());
    QVERIFY(lists);
    QCOMPARE(lists->size(), 1);
    QCOMPARE(lists->first().source, QStringLiteral("pep_us_executive"));
    QCOMPARE(lists->first().format, QStringLiteral("tabular"));
    QCOMPARE(lists->first().entityCount, 80);
}

// Issue 8, wrong answer 4: a BIS DPL file of 2019 over the serving 2022 one is refused (exit 1, the serving
// version stays) unless --force, which is audited.
void TestCli::importListRefusesAnOlderFileUnlessForced()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString dpl = test::sharedDir() + QStringLiteral("/data/sanctions/us_bis_dpl_txt/%1/dpl.txt");
    auto run = [&](const QString &month, bool force) {
        QStringList args{QStringLiteral("kyconnect"),
                         QStringLiteral("admin"),
                         QStringLiteral("import-list"),
                         QStringLiteral("bis_dpl_txt"),
                         dpl.arg(month),
                         QStringLiteral("--data-dir"),
                         dir.path()};
        if (force)
            args << QStringLiteral("--force");
        int exitCode = -1;
        auto o = app::parseCommandLine(args, {}, &exitCode);
        return o ? app::runAdmin(*o) : -1;
    };
    QCOMPARE(run(QStringLiteral("2022-09"), false), 0);
    QCOMPARE(run(QStringLiteral("2019-07"), false), 1);
    {
        SystemClock clock;
        Config config;
        config.dataDir = dir.path();
        auto backend = Backend::open(config, clock);
        QVERIFY(backend);
        auto lists = (*backend)->screening().lists(Actor::system());
        QVERIFY(lists && lists->size() == 1);
        QVERIFY2(lists->first().publicationDate.startsWith(QStringLiteral("2022")), qPrintable(lists->first().publicationDate));
    }
    QCOMPARE(run(QStringLiteral("2019-07"), true), 0);
    SystemClock clock;
    Config config;
    config.dataDir = dir.path();
    auto backend = Backend::open(config, clock);
    QVERIFY(backend);
    auto lists = (*backend)->screening().lists(Actor::system());
    QVERIFY(lists && lists->size() == 1);
    QVERIFY2(lists->first().publicationDate.startsWith(QStringLiteral("2019")), qPrintable(lists->first().publicationDate));
    audit::Filter f;
    f.action = QStringLiteral("list.imported");
    f.entityId = lists->first().id;
    auto events = (*backend)->audit().list(QString(), f, {1, 10});
    QVERIFY(events && events->items.size() == 1);
    QCOMPARE(events->items.first().details.value(QStringLiteral("forced_older")).toBool(), true);
}

// --demo with KYCONNECT_DEMO_DATA: real lists to screen against on a new data directory, once.
void TestCli::demoListsFromSharedData()
{
    test::TempBackend env;
    QVERIFY(env.ok());
    QString report;
    QVERIFY(app::ensureDemoLists(env.backend(), test::sharedDir() + QStringLiteral("/data"), &report));
    QVERIFY2(report.contains(QStringLiteral("un (1003 entities)")), qPrintable(report));
    auto lists = env.backend().screening().lists(Actor::system());
    QVERIFY(lists);
    QCOMPARE(lists->size(), 4);
    const qint64 loaded = env.backend().screening().loadedEntities();
    QString again;
    QVERIFY(app::ensureDemoLists(env.backend(), test::sharedDir() + QStringLiteral("/data"), &again));
    QVERIFY(again.isEmpty()); // lists already loaded: nothing imported twice
    QCOMPARE(env.backend().screening().loadedEntities(), loaded);
    QVERIFY(app::ensureDemoLists(env.backend(), QString(), &again)); // no data folder: nothing to do
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
