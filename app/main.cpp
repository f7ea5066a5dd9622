// kyconnect: the workstation (GUI + API server), the API alone (--headless), or operator commands.
#include "app/cli.h"
#include "app/signals.h"
#include "backend/backend.h"
#include "backend/core/version.h"
#include "backend/http/apiserver.h"
#include "backend/identity/outbox.h"
#include "backend/screening/listrefresher.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QLoggingCategory>
#include <QTimer>

#include <cstdio>
#include <memory>
#include <sys/stat.h>

Q_LOGGING_CATEGORY(lcApp, "kyc.app")

namespace {

bool wantsGui(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const QByteArrayView a(argv[i]);
        if (a == "--headless" || a == "admin" || a == "--help" || a == "-h" || a == "--version" || a == "-v")
            return false;
    }
    return true;
}

void recordLifecycle(kyc::Backend &backend, const QString &action, bool headless)
{
    auto e = backend.audit().append(
        {QString(), QStringLiteral("system"), QStringLiteral("kyconnect"), action, QStringLiteral("instance"), QString(),
         QString(),
         QJsonObject{{QStringLiteral("version"), kyc::version()},
                     {QStringLiteral("mode"), headless ? QStringLiteral("headless") : QStringLiteral("gui")}}});
    if (!e)
        qCWarning(lcApp).noquote() << "could not record" << action << ":" << e.error().message;
}

} // namespace

int main(int argc, char **argv)
{
    // Everything KYConnect writes (database, WAL, keys, mail drop, list files, objects) is for the
    // service's user alone.
    ::umask(0077);
    const bool gui = wantsGui(argc, argv);
    std::unique_ptr<QCoreApplication> app
        = gui ? std::make_unique<QApplication>(argc, argv) : std::make_unique<QCoreApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("kyconnect"));
    QCoreApplication::setApplicationVersion(kyc::version());

    int exitCode = 0;
    const auto options = kyc::app::parseCommandLine(app->arguments(), QProcessEnvironment::systemEnvironment(), &exitCode);
    if (!options)
        return exitCode;
    if (!options->adminCommand.isEmpty())
        return kyc::app::runAdmin(*options);

    kyc::SystemClock clock;
    auto backend = kyc::Backend::open(options->config, clock);
    if (!backend) {
        std::fprintf(stderr, "kyconnect: %s\n", qPrintable(backend.error().message));
        return 2;
    }
    kyc::Backend &b = **backend;
    recordLifecycle(b, QStringLiteral("system.started"), options->headless);
    if (options->demo) {
        QString demoReport;
        if (auto s = kyc::app::ensureDemoFirm(b, &demoReport); !s)
            std::fprintf(stderr, "kyconnect: demo firm not created: %s\n", qPrintable(s.error().message));
        else if (!demoReport.isEmpty())
            std::fprintf(stdout, "%s\n", qPrintable(demoReport));
        QString listsReport;
        if (auto s = kyc::app::ensureDemoLists(b, qEnvironmentVariable("KYCONNECT_DEMO_DATA"), &listsReport); !s)
            std::fprintf(stderr, "kyconnect: demo lists not loaded: %s\n", qPrintable(s.error().message));
        else if (!listsReport.isEmpty())
            std::fprintf(stdout, "%s\n", qPrintable(listsReport));
    }
    if (auto s = b.checkpointAll(); !s)
        qCWarning(lcApp).noquote() << "audit checkpoint failed:" << s.error().message;
    QTimer checkpoints;
    if (options->config.auditCheckpointMinutes > 0) {
        QObject::connect(&checkpoints, &QTimer::timeout, [&b] {
            if (auto s = b.checkpointAll(); !s)
                qCWarning(lcApp).noquote() << "audit checkpoint failed:" << s.error().message;
        });
        checkpoints.start(options->config.auditCheckpointMinutes * 60 * 1000);
    }
    // Loaded sanctions lists (and every source of KYCONNECT_LIST_SOURCES_FILE) are refreshed from their
    // official URLs on the refresher's own thread; KYCONNECT_LIST_REFRESH_HOURS=0 turns it off.
    b.listRefresher().start();

    // Mail whose SMTP delivery failed is retried with back-off.
    QTimer mailRetry;
    QObject::connect(&mailRetry, &QTimer::timeout, [&b] { b.outbox().flush(); });
    mailRetry.start(60 * 1000);

    kyc::app::quitOnTerminationSignals();
    kyc::http::ApiServer server(b);
    std::unique_ptr<kyc::ui::MainWindow> window;
    if (gui) {
        // Until the window has a sign-in, the demo acts as the demo firm's compliance officer.
        const auto deskActor = options->demo ? kyc::app::demoDeskActor(b) : std::nullopt;
        window = deskActor ? std::make_unique<kyc::ui::MainWindow>(b, *deskActor) : std::make_unique<kyc::ui::MainWindow>(b);
        QObject::connect(&server, &kyc::http::ApiServer::stateChanged, window.get(),
                         [w = window.get()](kyc::http::ApiServer::State s, const QString &detail) {
                             using S = kyc::http::ApiServer::State;
                             using A = kyc::ui::MainWindow::ApiState;
                             w->setApiStatus(s == S::Listening ? A::Listening : s == S::Failed ? A::Failed : A::Stopped, detail);
                         });
        window->show();
    }
    const auto started = server.start(options->config.host, options->config.port);
    if (!started) {
        std::fprintf(stderr, "kyconnect: %s\n", qPrintable(started.error().message));
        if (!gui)
            return 1;
    } else {
        std::fprintf(stdout, "kyconnect %s: API on %s (data in %s)\n", qPrintable(kyc::version()), qPrintable(server.baseUrl()),
                     qPrintable(options->config.dataDir));
        std::fflush(stdout);
    }

    const int rc = app->exec();
    b.listRefresher().stop();
    server.stop();
    window.reset();
    recordLifecycle(b, QStringLiteral("system.stopped"), options->headless);
    std::fprintf(stdout, "kyconnect: stopped\n");
    return rc;
}
