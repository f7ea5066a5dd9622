#pragma once

#include "backend/audit/auditlog.h"
#include "backend/core/clock.h"
#include "backend/core/config.h"
#include "backend/core/health.h"
#include "backend/storage/database.h"

#include <memory>

namespace kyc {

// The composition root of the domain: one database, the services over it. app/ builds one and
// hands it to the GUI and the API server; tests build one over a temporary directory.
class Backend final
{
public:
    ~Backend();
    Backend(const Backend &) = delete;
    Backend &operator=(const Backend &) = delete;

    // Opens (and migrates) <dataDir>/kyconnect.db and loads or creates the instance keys.
    [[nodiscard]] static Result<std::unique_ptr<Backend>> open(const Config &config, const Clock &clock);

    [[nodiscard]] const Config &config() const { return m_config; }
    [[nodiscard]] const Clock &clock() const { return m_clock; }
    [[nodiscard]] storage::Database &database() { return *m_db; }
    [[nodiscard]] audit::AuditLog &audit() { return *m_audit; }
    [[nodiscard]] qint64 uptimeSeconds() const;
    [[nodiscard]] QList<HealthCheck> readinessChecks();
    // Signs the head of every audit chain (run at start and on a timer).
    [[nodiscard]] Status checkpointAll();

    [[nodiscard]] static QString databasePath(const QString &dataDir);
    [[nodiscard]] static QString auditKeyPath(const QString &dataDir);

private:
    Backend(const Config &config, const Clock &clock);

    Config m_config;
    const Clock &m_clock;
    qint64 m_startedMs = 0;
    std::unique_ptr<storage::Database> m_db;
    std::unique_ptr<audit::AuditLog> m_audit;
};

} // namespace kyc
