#include "app/cli.h"

#include "backend/backend.h"
#include "backend/core/version.h"
#include "backend/http/apirouter.h"
#include "backend/http/controllers/controllers.h"
#include "backend/http/openapi.h"

#include <QCommandLineParser>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QTextStream>

#include <cstdio>

namespace kyc::app {

namespace {
QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}
QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

const char *kAdminUsage = "usage: kyconnect admin verify-audit [--data-dir DIR]\n"
                          "       kyconnect admin openapi|postman\n"
                          "  verify-audit   recompute every audit hash chain and its signed checkpoints;\n"
                          "                 exit 0 when intact, 1 when broken, 2 on error\n"
                          "  openapi        print the OpenAPI document the server serves\n"
                          "  postman        print the Postman collection the server serves\n";

// The API description exactly as /health/openapi.json builds it, without opening any database.
QJsonObject apiDocument()
{
    SystemClock clock;
    http::ApiRouter router(Config{}, clock);
    for (auto &c : http::makeAllControllers(http::HealthDeps{version(), [] { return qint64(0); }, {}, &router}, nullptr))
        router.addController(std::move(c));
    return http::buildOpenApi(router.controllers(), http::operationDocs(), version());
}
} // namespace

QString defaultDataDir()
{
    const QString base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return base + QStringLiteral("/kyconnect");
}

std::optional<Options> parseCommandLine(const QStringList &arguments, const QProcessEnvironment &env, int *exitCode)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("KYConnect compliance workstation and local /api/v1 server"));
    p.addHelpOption();
    p.addVersionOption();
    const QCommandLineOption headless(QStringLiteral("headless"), QStringLiteral("Serve the API without the GUI."));
    const QCommandLineOption host(QStringLiteral("host"),
                                  QStringLiteral("Address to listen on (KYCONNECT_HOST, default 127.0.0.1)."),
                                  QStringLiteral("address"));
    const QCommandLineOption port(QStringLiteral("port"), QStringLiteral("Port to listen on (KYCONNECT_PORT, default 3000)."),
                                  QStringLiteral("port"));
    const QCommandLineOption dataDir(QStringLiteral("data-dir"),
                                     QStringLiteral("Data directory (KYCONNECT_DATA_DIR, default the XDG data directory)."),
                                     QStringLiteral("dir"));
    p.addOptions({headless, host, port, dataDir});
    p.addPositionalArgument(QStringLiteral("admin"), QStringLiteral("Operator commands: kyconnect admin verify-audit"),
                            QStringLiteral("[admin COMMAND]"));

    if (!p.parse(arguments)) {
        err() << p.errorText() << "\n";
        *exitCode = 2;
        return std::nullopt;
    }
    if (p.isSet(QStringLiteral("help"))) {
        out() << p.helpText() << "\n" << kAdminUsage;
        *exitCode = 0;
        return std::nullopt;
    }
    if (p.isSet(QStringLiteral("version"))) {
        out() << "kyconnect " << version() << "\n";
        *exitCode = 0;
        return std::nullopt;
    }

    auto cfg = Config::fromEnvironment(env);
    if (!cfg) {
        err() << "configuration error: " << cfg.error().fields.value(0).message << "\n";
        *exitCode = 2;
        return std::nullopt;
    }
    Options o;
    o.config = *cfg;
    o.headless = p.isSet(headless);
    if (p.isSet(host))
        o.config.host = p.value(host);
    if (p.isSet(port)) {
        auto v = parsePort(p.value(port));
        if (!v) {
            err() << "--port: " << v.error().fields.value(0).message << "\n";
            *exitCode = 2;
            return std::nullopt;
        }
        o.config.port = *v;
    }
    if (p.isSet(dataDir))
        o.config.dataDir = p.value(dataDir);
    if (o.config.dataDir.isEmpty())
        o.config.dataDir = defaultDataDir();

    const QStringList positional = p.positionalArguments();
    if (!positional.isEmpty()) {
        if (positional.first() != QStringLiteral("admin")) {
            err() << "unknown command: " << positional.first() << "\n";
            *exitCode = 2;
            return std::nullopt;
        }
        o.adminCommand = positional;
    }
    return o;
}

int runAdmin(const Options &options)
{
    const QStringList &cmd = options.adminCommand;
    if (cmd.size() == 2 && (cmd.at(1) == QStringLiteral("openapi") || cmd.at(1) == QStringLiteral("postman"))) {
        const QJsonObject doc = apiDocument();
        out() << QJsonDocument(cmd.at(1) == QStringLiteral("openapi") ? doc : http::buildPostmanCollection(doc)).toJson();
        out().flush();
        return 0;
    }
    if (cmd.size() < 2 || cmd.at(1) != QStringLiteral("verify-audit")) {
        err() << kAdminUsage;
        return 2;
    }
    SystemClock clock;
    auto backend = Backend::open(options.config, clock);
    if (!backend) {
        err() << "cannot open " << options.config.dataDir << ": " << backend.error().message << "\n";
        return 2;
    }
    auto results = (*backend)->audit().verifyAll();
    if (!results) {
        err() << "verification failed: " << results.error().message << "\n";
        return 2;
    }
    bool allValid = true;
    qint64 total = 0;
    for (const auto &r : *results) {
        total += r.checked;
        if (r.valid) {
            out() << "chain " << r.chain << ": intact, " << r.checked << " events, head " << r.headSequence << " " << r.headHash
                  << "\n";
        } else {
            allValid = false;
            out() << "chain " << r.chain << ": BROKEN at sequence " << r.firstInvalidSequence.value_or(0) << " (" << r.reason
                  << "), " << r.checked << " events verified before it\n";
        }
    }
    out() << (allValid ? "audit trail intact: " : "audit trail BROKEN: ") << results->size() << " chain(s), " << total
          << " event(s) verified\n";
    out().flush();
    return allValid ? 0 : 1;
}

} // namespace kyc::app
