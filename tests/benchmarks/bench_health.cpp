// GET /api/v1/health through KYConnect's router against a bare QHttpServer route answering the
// same JSON, both measured with wrk in the same run (target: KYConnect ≥ 80% of bare).
#include "tests/testsupport/testsupport.h"

#include <QCoreApplication>
#include <QHttpServer>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QProcess>
#include <QRegularExpression>
#include <QSemaphore>
#include <QStandardPaths>
#include <QThread>

#include <cstdio>

using namespace kyc;

namespace {

double wrk(quint16 port, const QString &duration)
{
    QProcess p;
    QStringList args{QStringLiteral("-t2"), QStringLiteral("-c32"), QStringLiteral("-d") + duration};
    // KYC_BENCH_HEADER adds a header to every request, e.g. a JWT-sized Authorization header.
    if (const QString h = qEnvironmentVariable("KYC_BENCH_HEADER"); !h.isEmpty())
        args << QStringLiteral("-H") << h;
    args << QStringLiteral("http://127.0.0.1:%1/api/v1/health").arg(port);
    p.start(QStringLiteral("wrk"), args);
    p.waitForFinished(120000);
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    std::printf("%s", qPrintable(out));
    const auto m = QRegularExpression(QStringLiteral("Requests/sec:\\s+([0-9.]+)")).match(out);
    if (out.contains(QStringLiteral("Non-2xx")))
        std::printf("WARNING: non-2xx responses in this run\n");
    return m.hasMatch() ? m.captured(1).toDouble() : 0;
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

    // The bare server: one QHttpServer route on its own thread, as a reference.
    QThread bareThread;
    bareThread.start();
    quint16 barePort = 0;
    QSemaphore ready;
    auto *context = new QObject;
    context->moveToThread(&bareThread);
    QMetaObject::invokeMethod(
        context,
        [&] {
            auto *server = new QHttpServer(context);
            server->route(QStringLiteral("/api/v1/health"), [] {
                return QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")},
                                   {QStringLiteral("version"), QStringLiteral("0.1.0")},
                                   {QStringLiteral("uptime_s"), 1}};
            });
            barePort = server->listen(QHostAddress::LocalHost, 0);
            ready.release();
        },
        Qt::QueuedConnection);
    ready.acquire();

    Config cfg = test::testConfig();
    cfg.generalRate = {1'000'000'000, 60}; // the limiter stays in the path, with a limit wrk cannot reach
    test::TestServer kyc(cfg);
    QLoggingCategory::setFilterRules(QStringLiteral("kyc.http.access=false"));
    if (!kyc.port() || !barePort)
        return 1;

    std::printf("== bare QHttpServer route ==\n");
    const double bare = wrk(barePort, duration);
    std::printf("== KYConnect ApiRouter ==\n");
    const double ours = wrk(kyc.port(), duration);
    std::printf(
        "\nGET /api/v1/health, wrk -t2 -c32 -d%s: bare %.0f req/s, KYConnect %.0f req/s = %.0f%% of bare (target >= 80%%)\n",
        qPrintable(duration), bare, ours, bare > 0 ? 100.0 * ours / bare : 0.0);

    QMetaObject::invokeMethod(
        context, [context] { delete context; }, Qt::BlockingQueuedConnection);
    bareThread.quit();
    bareThread.wait();
    return 0;
}
