#include "app/cli.h"

#include "backend/backend.h"
#include "backend/core/version.h"
#include "backend/http/apirouter.h"
#include "backend/http/controllers/controllers.h"
#include "backend/http/openapi.h"
#include "backend/identity/accountservice.h"
#include "backend/screening/import_tabular.h"
#include "backend/screening/listrefresher.h"
#include "backend/screening/screeningservice.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>
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

const char *kAdminUsage
    = "usage: kyconnect admin verify-audit [--data-dir DIR]\n"
      "       kyconnect admin create-firm --name NAME --country CC --email OWNER_EMAIL --owner-name NAME [--operator]\n"
      "       kyconnect admin create-user --firm-id ID --email EMAIL --owner-name NAME --role ROLE\n"
      "       kyconnect admin set-platform-admin --email EMAIL [--off]\n"
      "       kyconnect admin reset-mfa --email EMAIL\n"
      "       kyconnect admin import-list FORMAT FILE... [--name SOURCE] [--force]\n"
      "       kyconnect admin refresh-lists [SOURCE...]\n"
      "       kyconnect admin openapi|postman\n"
      "  passwords are read from KYCONNECT_ADMIN_PASSWORD or, if unset, the first line of standard input\n"
      "  verify-audit   recompute every audit hash chain and its signed checkpoints;\n"
      "                 exit 0 when intact, 1 when broken, 2 on error\n"
      "  import-list    import a list as a new version of its source; FORMAT is ofac_sdn_csv, ofac_cons_csv,\n"
      "                 un_xml, eu_fsf_xml, uk_xml, bis_dpl_txt, csl_csv, ftm_json, or the id of a shipped\n"
      "                 PEP / adverse-media mapping (pep_us_congress, adv_interpol_red, ... see docs/tabular-mappings.md)\n"
      "  refresh-lists  download the named lists (default: every scheduled one) from their official URLs now;\n"
      "                 exit 1 when one failed (its serving version stays)\n"
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
QString readPassword()
{
    const QString env = qEnvironmentVariable("KYCONNECT_ADMIN_PASSWORD");
    if (!env.isEmpty())
        return env;
    QTextStream in(stdin);
    return in.readLine();
}

int report(const Status &s, const QString &done)
{
    if (!s) {
        err() << "error: " << s.error().message;
        for (const auto &f : s.error().fields)
            err() << "\n  " << f.field << ": " << f.message;
        err() << "\n";
        return s.error().code == ErrorCode::Validation || s.error().code == ErrorCode::NotFound ? 2 : 1;
    }
    out() << done << "\n";
    out().flush();
    return 0;
}

int runAccountCommand(Backend &backend, const QString &command, const Options &o)
{
    const auto &a = o.adminOptions;
    auto need = [&](const QStringList &names) {
        QStringList missing;
        for (const auto &n : names) {
            if (a.value(n).trimmed().isEmpty())
                missing << QStringLiteral("--") + n;
        }
        if (!missing.isEmpty())
            err() << "missing " << missing.join(QStringLiteral(", ")) << "\n" << kAdminUsage;
        return missing.isEmpty();
    };
    auto &accounts = backend.accounts();
    if (command == QStringLiteral("create-firm")) {
        if (!need({QStringLiteral("name"), QStringLiteral("country"), QStringLiteral("email"), QStringLiteral("owner-name")}))
            return 2;
        auto r = accounts.createFirm({a.value(QStringLiteral("name")), a.value(QStringLiteral("country")).toUpper(),
                                      a.value(QStringLiteral("registration-number")), a.value(QStringLiteral("email")),
                                      readPassword(), a.value(QStringLiteral("owner-name")), QString()},
                                     o.adminFlagOperator);
        return report(r ? Status{} : Status(std::unexpected(r.error())),
                      r ? QStringLiteral("created firm %1 (%2) with owner %3").arg(r->first.id, r->first.name, r->second.email)
                        : QString());
    }
    if (command == QStringLiteral("create-user")) {
        if (!need({QStringLiteral("firm-id"), QStringLiteral("email"), QStringLiteral("owner-name"), QStringLiteral("role")}))
            return 2;
        Role role = Role::Viewer;
        if (!parseRole(a.value(QStringLiteral("role")), &role)) {
            err() << "--role must be owner, admin, compliance_officer, analyst or viewer\n";
            return 2;
        }
        auto r = accounts.createUser(Actor::system(a.value(QStringLiteral("firm-id"))), a.value(QStringLiteral("email")),
                                     a.value(QStringLiteral("owner-name")), role, readPassword());
        return report(r ? Status{} : Status(std::unexpected(r.error())),
                      r ? QStringLiteral("created user %1 (%2)").arg(r->id, r->email) : QString());
    }
    if (command == QStringLiteral("set-platform-admin")) {
        if (!need({QStringLiteral("email")}))
            return 2;
        return report(accounts.setPlatformAdmin(a.value(QStringLiteral("email")), !o.adminFlagOff),
                      o.adminFlagOff ? QStringLiteral("platform admin revoked") : QStringLiteral("platform admin granted"));
    }
    if (!need({QStringLiteral("email")}))
        return 2;
    return report(accounts.resetMfa(a.value(QStringLiteral("email"))),
                  QStringLiteral("MFA reset; the user's sessions were revoked"));
}

int runImportList(const Options &o)
{
    const QStringList &cmd = o.adminCommand;
    if (cmd.size() < 4) {
        err() << kAdminUsage;
        return 2;
    }
    // FORMAT is a list format (un_xml, …) or the id of a shipped PEP / adverse-media mapping (pep_us_congress, …).
    QString format = cmd.at(2), source = o.adminOptions.value(QStringLiteral("name"));
    if (!screening::parseFormat(format)) {
        if (!screening::tabularSource(format)) {
            err() << "unknown list format " << cmd.at(2) << "\n" << kAdminUsage;
            return 2;
        }
        source = format;
        format = QStringLiteral("tabular");
    }
    SystemClock clock;
    auto backend = Backend::open(o.config, clock);
    if (!backend) {
        err() << "cannot open " << o.config.dataDir << ": " << backend.error().message << "\n";
        return 2;
    }
    int lastPercent = -1;
    auto progress = [&lastPercent](qint64 done, qint64 total) {
        const int percent = total > 0 ? int(done * 100 / total) : 100;
        if (percent / 10 != lastPercent / 10) {
            err() << "\rimporting… " << percent << "%";
            err().flush();
        }
        lastPercent = percent;
    };
    // An older file than the serving version is refused unless --force (then audited as forced).
    auto v = (*backend)->screening().importList(
        Actor::system(), format, cmd.mid(3), source, progress, {},
        o.adminOptions.contains(QStringLiteral("force")) ? screening::ImportAge::AllowOlder : screening::ImportAge::RefuseOlder);
    err() << "\n";
    if (!v) {
        err() << "import failed: " << v.error().message;
        for (const auto &f : v.error().fields)
            err() << " (" << f.message << ")";
        err() << "; the serving version is unchanged\n";
        return 1;
    }
    out() << "imported " << v->source << " (" << v->format << "): " << v->entityCount << " entities, " << v->nameCount
          << " names, " << v->problemCount << " malformed rows; delta +" << v->added << " ~" << v->changed << " -" << v->removed
          << "; sha256 " << v->sha256 << "\n";
    for (const auto &p : v->problems)
        out() << "  line " << p.toObject().value(QStringLiteral("line")).toInteger() << ": "
              << p.toObject().value(QStringLiteral("message")).toString() << "\n";
    out().flush();
    return 0;
}

// Refreshes lists from their download URLs now: the named sources, or every source the scheduler would.
int runRefreshLists(const Options &o)
{
    SystemClock clock;
    auto backend = Backend::open(o.config, clock);
    if (!backend) {
        err() << "cannot open " << o.config.dataDir << ": " << backend.error().message << "\n";
        return 2;
    }
    auto &refresher = (*backend)->listRefresher();
    QStringList sources = o.adminCommand.mid(2);
    if (sources.isEmpty()) {
        auto status = refresher.status();
        if (!status) {
            err() << status.error().message << "\n";
            return 2;
        }
        for (const auto &st : *status) {
            if (st.scheduled)
                sources << st.source;
        }
        if (sources.isEmpty()) {
            out() << "no list to refresh: import one first, or name sources (see KYCONNECT_LIST_SOURCES_FILE)\n";
            return 0;
        }
    }
    int failed = 0;
    for (const auto &source : sources) {
        auto r = refresher.refreshNow(source);
        if (!r) {
            err() << source << ": " << r.error().message << "\n";
            ++failed;
            continue;
        }
        out() << source << ": " << screening::refreshOutcomeName(r->outcome);
        if (r->outcome == screening::RefreshOutcome::Imported)
            out() << " version " << r->version.version << ", " << r->version.entityCount << " entities, delta +"
                  << r->version.added << " ~" << r->version.changed << " -" << r->version.removed;
        if (!r->error.isEmpty())
            out() << " (" << r->error << "; the serving version is unchanged)";
        out() << "\n";
        failed += r->outcome == screening::RefreshOutcome::Failed ? 1 : 0;
    }
    out().flush();
    return failed ? 1 : 0;
}

} // namespace

QStringList demoEmails()
{
    return {QStringLiteral("owner@demo.kyconnect.local"), QStringLiteral("admin@demo.kyconnect.local"),
            QStringLiteral("officer@demo.kyconnect.local"), QStringLiteral("analyst@demo.kyconnect.local"),
            QStringLiteral("viewer@demo.kyconnect.local")};
}

std::optional<Actor> demoDeskActor(Backend &backend)
{
    QSqlQuery q(backend.database().connection());
    q.prepare(QStringLiteral("SELECT id, firm_id, role FROM users WHERE email = ? AND status = 'active'"));
    q.addBindValue(QStringLiteral("officer@demo.kyconnect.local"));
    if (!q.exec() || !q.next())
        return std::nullopt;
    Actor a;
    a.kind = Actor::Kind::User;
    a.userId = q.value(0).toString();
    a.firmId = q.value(1).toString();
    if (!parseRole(q.value(2).toString(), &a.role))
        return std::nullopt;
    a.ip = QStringLiteral("127.0.0.1");
    return a;
}

Status ensureDemoLists(Backend &backend, const QString &dataRoot, QString *report)
{
    if (dataRoot.isEmpty() || backend.screening().loadedEntities() > 0)
        return {};
    const struct {
        const char *format;
        const char *source;
        const char *file;
    } lists[] = {
        {"un_xml", "", "sanctions/un_consolidated_xml/2026-02-27/UN_consolidated.xml"},
        {"ofac_sdn_csv", "", "sanctions/ofac_sdn_csv/2024-05-03_full/sdn.csv"},
        {"tabular", "pep_us_congress", "pep/us_congress_legislators/legislators-current.yaml"},
        {"tabular", "adv_interpol_red", "adverse/interpol_red_notices_opensanctions_csv/targets.simple.csv"},
    };
    QStringList done;
    for (const auto &l : lists) {
        const QString path = QDir(dataRoot).filePath(QString::fromLatin1(l.file));
        if (!QFileInfo::exists(path))
            continue;
        auto v = backend.screening().importList(Actor::system(), QString::fromLatin1(l.format), {path},
                                                QString::fromLatin1(l.source));
        if (!v)
            return fail(v.error());
        done << QStringLiteral("%1 (%2 entities)").arg(v->source).arg(v->entityCount);
    }
    if (report && !done.isEmpty())
        *report = QStringLiteral("Demo lists loaded from %1: %2").arg(dataRoot, done.join(QStringLiteral(", ")));
    return {};
}

Status ensureDemoFirm(Backend &backend, QString *reportText)
{
    QSqlQuery q(backend.database().connection());
    if (!q.exec(QStringLiteral("SELECT COUNT(*) FROM firms")) || !q.next())
        return fail(Error::internal(QStringLiteral("cannot count firms")));
    if (q.value(0).toInt() > 0)
        return {};
    q.finish();
    const QStringList emails = demoEmails();
    auto firm
        = backend.accounts().createFirm({QStringLiteral("Demo Compliance Ltd"), QStringLiteral("GB"), QStringLiteral("DEMO0001"),
                                         emails[0], kDemoPassword, QStringLiteral("Olivia Owner"), QString()});
    if (!firm)
        return fail(firm.error());
    const Actor system = Actor::system(firm->first.id);
    const std::pair<Role, QString> others[] = {{Role::Admin, QStringLiteral("Adam Admin")},
                                               {Role::ComplianceOfficer, QStringLiteral("Cora Officer")},
                                               {Role::Analyst, QStringLiteral("Alan Analyst")},
                                               {Role::Viewer, QStringLiteral("Vera Viewer")}};
    for (int i = 0; i < 4; ++i) {
        auto u = backend.accounts().createUser(system, emails[i + 1], others[i].second, others[i].first, kDemoPassword);
        if (!u)
            return fail(u.error());
    }
    *reportText = QStringLiteral("Demo firm \"Demo Compliance Ltd\" created. Sign in with password %1 as:\n  %2")
                      .arg(kDemoPassword, emails.join(QStringLiteral("\n  ")));
    return {};
}

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
    const QCommandLineOption demo(QStringLiteral("demo"),
                                  QStringLiteral("Create the demo firm (one user per role) on an empty database."));
    p.addOptions({headless, host, port, dataDir, demo});
    const QStringList valued = {QStringLiteral("name"),
                                QStringLiteral("country"),
                                QStringLiteral("email"),
                                QStringLiteral("owner-name"),
                                QStringLiteral("role"),
                                QStringLiteral("firm-id"),
                                QStringLiteral("registration-number")};
    for (const auto &name : valued)
        p.addOption(QCommandLineOption(name, QStringLiteral("admin commands: %1").arg(name), QStringLiteral("value")));
    const QCommandLineOption operatorFlag(QStringLiteral("operator"), QStringLiteral("admin create-firm: the operator firm"));
    const QCommandLineOption offFlag(QStringLiteral("off"), QStringLiteral("admin set-platform-admin: revoke"));
    const QCommandLineOption forceFlag(QStringLiteral("force"),
                                       QStringLiteral("admin import-list: import a file older than the serving version"));
    p.addOptions({operatorFlag, offFlag, forceFlag});
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
    o.demo = p.isSet(demo);
    for (const auto &name : valued) {
        if (p.isSet(name))
            o.adminOptions.insert(name, p.value(name));
    }
    o.adminFlagOperator = p.isSet(operatorFlag);
    o.adminFlagOff = p.isSet(offFlag);
    if (p.isSet(forceFlag))
        o.adminOptions.insert(QStringLiteral("force"), QStringLiteral("1"));
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
    if (cmd.size() >= 2 && cmd.at(1) == QStringLiteral("import-list"))
        return runImportList(options);
    if (cmd.size() >= 2 && cmd.at(1) == QStringLiteral("refresh-lists"))
        return runRefreshLists(options);
    static const QStringList commands
        = {QStringLiteral("verify-audit"), QStringLiteral("create-firm"), QStringLiteral("create-user"),
           QStringLiteral("set-platform-admin"), QStringLiteral("reset-mfa")};
    if (cmd.size() != 2 || !commands.contains(cmd.at(1))) {
        err() << kAdminUsage;
        return 2;
    }
    // These commands check or change an existing installation: a data directory that is not there
    // (a typo, an unmounted volume) is an error, never a new empty database reported as "intact".
    const QString dataDir = options.config.dataDir;
    if (!QFileInfo(dataDir).isDir()) {
        err() << "error: no data directory at " << dataDir << " (admin " << cmd.at(1)
              << " works on an existing installation and creates nothing; check --data-dir or KYCONNECT_DATA_DIR)\n";
        return 2;
    }
    if (!QFileInfo(Backend::databasePath(dataDir)).isFile()) {
        err() << "error: " << dataDir << " holds no KYConnect database (kyconnect.db); admin " << cmd.at(1)
              << " creates nothing: check --data-dir or KYCONNECT_DATA_DIR\n";
        return 2;
    }
    SystemClock clock;
    auto backend = Backend::open(options.config, clock);
    if (!backend) {
        err() << "cannot open " << options.config.dataDir << ": " << backend.error().message << "\n";
        return 2;
    }
    if (cmd.at(1) != QStringLiteral("verify-audit"))
        return runAccountCommand(**backend, cmd.at(1), options);
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
