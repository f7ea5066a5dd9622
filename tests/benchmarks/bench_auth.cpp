// Identity hot paths, measured with wrk against the real server:
//  - GET /auth/me with a valid JWT: target ≥ 25 000 req/s and ≥ 80% of /health in the same run;
//  - POST /auth/login from 20 concurrent clients for 10 s: no error but 429, and /health p99 < 20 ms meanwhile.
#include "backend/identity/accountservice.h"
#include "tests/testsupport/testsupport.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <cstdio>
#include <unistd.h>

using namespace kyc;

namespace {

struct WrkResult {
    double rps = 0;
    qint64 requests = 0;
    QString p99;
    qint64 non2xx = 0;
    QString raw;
};

QProcess *startWrk(const QStringList &args)
{
    auto *p = new QProcess;
    p->start(QStringLiteral("wrk"), args);
    return p;
}

WrkResult finishWrk(QProcess *p)
{
    p->waitForFinished(120000);
    WrkResult r;
    r.raw = QString::fromUtf8(p->readAllStandardOutput());
    delete p;
    if (auto m = QRegularExpression(QStringLiteral("Requests/sec:\\s+([0-9.]+)")).match(r.raw); m.hasMatch())
        r.rps = m.captured(1).toDouble();
    if (auto m = QRegularExpression(QStringLiteral("(\\d+) requests in")).match(r.raw); m.hasMatch())
        r.requests = m.captured(1).toLongLong();
    if (auto m = QRegularExpression(QStringLiteral("99%\\s+(\\S+)")).match(r.raw); m.hasMatch())
        r.p99 = m.captured(1);
    if (auto m = QRegularExpression(QStringLiteral("Non-2xx or 3xx responses:\\s+(\\d+)")).match(r.raw); m.hasMatch())
        r.non2xx = m.captured(1).toLongLong();
    return r;
}

// CPU time (user + system) the named thread of this process has used, in seconds; -1 if not found.
// Per request, it tells the server's own cost apart from wrk's share of the two cores.
double threadCpuSeconds(const QString &name)
{
    const QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile comm(tasks.filePath(tid + QStringLiteral("/comm")));
        if (!comm.open(QIODevice::ReadOnly) || comm.readAll().trimmed() != name.toUtf8())
            continue;
        QFile stat(tasks.filePath(tid + QStringLiteral("/stat")));
        if (!stat.open(QIODevice::ReadOnly))
            return -1;
        const QByteArray line = stat.readAll();
        // Fields after the command's closing parenthesis, from the state (field 3) on.
        const QList<QByteArray> f = line.mid(line.lastIndexOf(')') + 2).split(' ');
        if (f.size() < 13)
            return -1;
        return double(f[11].toLongLong() + f[12].toLongLong()) / double(sysconf(_SC_CLK_TCK));
    }
    return -1;
}

// wrk against the server, with the server thread's CPU time per request.
WrkResult measure(const QStringList &args, double *cpuUsPerRequest)
{
    const double before = threadCpuSeconds(QStringLiteral("kyc-api"));
    WrkResult r = finishWrk(startWrk(args));
    const double after = threadCpuSeconds(QStringLiteral("kyc-api"));
    *cpuUsPerRequest = before >= 0 && r.requests > 0 ? (after - before) * 1e6 / double(r.requests) : 0;
    return r;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString duration = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QStringLiteral("10s");
    if (QStandardPaths::findExecutable(QStringLiteral("wrk")).isEmpty()) {
        std::fprintf(stderr, "wrk is not installed (apt-get install wrk)\n");
        return 2;
    }
    Config cfg = test::testConfig();
    cfg.generalRate = {1'000'000'000, 60};
    cfg.loginRate = {1'000'000'000, 3600};
    test::TestServer server(cfg);
    QLoggingCategory::setFilterRules(QStringLiteral("kyc.http.access=false\nkyc.*.info=false"));
    if (!server.port())
        return 1;
    const QString password = QStringLiteral("bench-password-2026");
    auto firm = server.backend().accounts().createFirm({QStringLiteral("Bench Ltd"), QStringLiteral("GB"), QString(),
                                                        QStringLiteral("bench@example.com"), password, QStringLiteral("Bench"),
                                                        QString()});
    if (!firm)
        return 1;
    // The server's clock is a fake one fixed at start: tokens stay valid for the whole run.
    auto signIn = server.backend().auth().login({QStringLiteral("bench@example.com"), password, QString(), QString(), QString()});
    if (!signIn)
        return 1;
    const QString base = QStringLiteral("http://127.0.0.1:%1/api/v1").arg(server.port());

    // In-process cost of the two steps behind GET /auth/me, for reading the HTTP figure.
    {
        QElapsedTimer t;
        t.start();
        constexpr int n = 20000;
        Result<Actor> actor = fail(ErrorCode::Internal, QString());
        for (int i = 0; i < n; ++i)
            actor = server.backend().auth().authenticate(signIn->accessToken, QStringLiteral("127.0.0.1"));
        const double authUs = double(t.nsecsElapsed()) / 1e3 / n;
        t.restart();
        for (int i = 0; i < n && actor; ++i)
            (void)server.backend().auth().me(*actor);
        const double meUs = double(t.nsecsElapsed()) / 1e3 / n;
        std::printf("in process: authenticate a JWT %.1f us, load the profile %.1f us\n", authUs, meUs);
    }

    // KYC_BENCH_ROUNDS alternates the two runs that many times, for a range on a busy machine.
    const int rounds = std::max(1, qEnvironmentVariableIntValue("KYC_BENCH_ROUNDS"));
    double lowest = 1e9, highest = 0;
    for (int round = 0; round < rounds; ++round) {
        double healthCpu = 0, meCpu = 0;
        const WrkResult health = measure(
            {QStringLiteral("-t2"), QStringLiteral("-c32"), QStringLiteral("-d") + duration, base + QStringLiteral("/health")},
            &healthCpu);
        const WrkResult me
            = measure({QStringLiteral("-t2"), QStringLiteral("-c32"), QStringLiteral("-d") + duration, QStringLiteral("-H"),
                       QStringLiteral("Authorization: Bearer ") + signIn->accessToken, base + QStringLiteral("/auth/me")},
                      &meCpu);
        const double ratio = health.rps > 0 ? 100.0 * me.rps / health.rps : 0.0;
        lowest = std::min(lowest, ratio);
        highest = std::max(highest, ratio);
        std::printf(
            "GET /auth/me (JWT), wrk -t2 -c32 -d%s: %.0f req/s (target >= 25000), /health %.0f req/s, ratio %.0f%% (target "
            ">= 80%%)%s\n",
            qPrintable(duration), me.rps, health.rps, ratio, me.non2xx ? " WARNING: non-2xx answers" : "");
        std::printf("  server thread CPU per request: /auth/me %.1f us, /health %.1f us\n", meCpu, healthCpu);
        std::fflush(stdout);
    }
    if (rounds > 1)
        std::printf("ratio over %d rounds: %.0f%%-%.0f%%\n", rounds, lowest, highest);

    if (argc > 2 && QByteArrayView(argv[2]) == "me-only")
        return 0;
    QTemporaryDir dir;
    const QString script = dir.filePath(QStringLiteral("login.lua"));
    QFile f(script);
    if (!f.open(QIODevice::WriteOnly))
        return 1;
    f.write(QStringLiteral("wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
                           "wrk.body = '{\"email\":\"bench@example.com\",\"password\":\"%1\"}'\n")
                .arg(password)
                .toUtf8());
    f.close();
    QProcess *logins = startWrk({QStringLiteral("-t2"), QStringLiteral("-c20"), QStringLiteral("-d") + duration,
                                 QStringLiteral("-s"), script, base + QStringLiteral("/auth/login")});
    QProcess *probe = startWrk({QStringLiteral("-t1"), QStringLiteral("-c1"), QStringLiteral("-d") + duration,
                                QStringLiteral("--latency"), base + QStringLiteral("/health")});
    const WrkResult probeResult = finishWrk(probe);
    const WrkResult loginResult = finishWrk(logins);
    std::printf("POST /auth/login, 20 concurrent clients for %s: %.1f logins/s, %lld non-2xx answers (target: none but 429); "
                "/health meanwhile p99 %s (target < 20ms)\n",
                qPrintable(duration), loginResult.rps, static_cast<long long>(loginResult.non2xx), qPrintable(probeResult.p99));
    return 0;
}
