#include "backend/backend.h"

#include <QDir>
#include <QSqlQuery>

namespace kyc {

Backend::Backend(const Config &config, const Clock &clock)
    : m_config(config)
    , m_clock(clock)
    , m_startedMs(clock.monotonicMs())
{
}

Backend::~Backend() = default;

QString Backend::databasePath(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("kyconnect.db"));
}

QString Backend::auditKeyPath(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("keys/audit-ed25519.pem"));
}

Result<std::unique_ptr<Backend>> Backend::open(const Config &config, const Clock &clock)
{
    if (config.dataDir.isEmpty())
        return fail(Error::validation(QStringLiteral("data_dir"), QStringLiteral("no data directory configured")));
    std::unique_ptr<Backend> b(new Backend(config, clock));
    auto db = storage::Database::open(databasePath(config.dataDir));
    if (!db)
        return fail(db.error());
    b->m_db = std::move(*db);
    auto key = crypto::Ed25519Key::loadOrCreate(auditKeyPath(config.dataDir));
    if (!key)
        return fail(key.error());
    b->m_audit = std::make_unique<audit::AuditLog>(*b->m_db, clock, std::move(*key));
    return b;
}

qint64 Backend::uptimeSeconds() const
{
    return (m_clock.monotonicMs() - m_startedMs) / 1000;
}

QList<HealthCheck> Backend::readinessChecks()
{
    return {
        {QStringLiteral("database"),
         [this]() -> Result<QString> {
             QSqlQuery q(m_db->connection());
             if (!q.exec(QStringLiteral("SELECT 1")) || !q.next())
                 return fail(ErrorCode::Unavailable, QStringLiteral("the database does not answer"));
             return QStringLiteral("reachable");
         }},
        {QStringLiteral("migrations"),
         [this]() -> Result<QString> {
             auto v = m_db->appliedVersion();
             if (!v)
                 return fail(ErrorCode::Unavailable, QStringLiteral("schema version unreadable"));
             if (*v != m_db->latestVersion())
                 return fail(ErrorCode::Unavailable,
                             QStringLiteral("schema at version %1, expected %2").arg(*v).arg(m_db->latestVersion()));
             return QStringLiteral("schema version %1").arg(*v);
         }},
    };
}

Status Backend::checkpointAll()
{
    auto chains = m_audit->chains();
    if (!chains)
        return fail(chains.error());
    for (const auto &c : *chains) {
        if (auto cp = m_audit->checkpoint(c); !cp)
            return fail(cp.error());
    }
    return {};
}

} // namespace kyc
