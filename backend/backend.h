#pragma once

#include "backend/audit/auditlog.h"
#include "backend/core/clock.h"
#include "backend/core/config.h"
#include "backend/core/health.h"
#include "backend/storage/database.h"

#include <atomic>
#include <memory>

namespace kyc::screening {
class ScreeningService;
class ListRefresher;
} // namespace kyc::screening

namespace kyc::objects {
class ObjectStore;
}

namespace kyc::crypto {
class SecretBox;
}

namespace kyc::identity {
class Tokens;
class SessionCache;
class Outbox;
struct IdentityContext;
class AuthService;
class AccountService;
class ApiKeyService;
class AuditAccess;
} // namespace kyc::identity

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
    [[nodiscard]] identity::AuthService &auth() { return *m_authService; }
    [[nodiscard]] identity::AccountService &accounts() { return *m_accounts; }
    [[nodiscard]] identity::ApiKeyService &apiKeys() { return *m_apiKeys; }
    [[nodiscard]] identity::AuditAccess &auditAccess() { return *m_auditAccess; }
    [[nodiscard]] identity::Outbox &outbox() { return *m_outbox; }
    [[nodiscard]] screening::ScreeningService &screening() { return *m_screening; }
    // Keeps the sanctions lists current from their official URLs; app/ starts its timer, tests call refreshNow().
    [[nodiscard]] screening::ListRefresher &listRefresher() { return *m_listRefresher; }
    [[nodiscard]] objects::ObjectStore &objects() { return *m_objects; }
    // Moves whenever identity data changes (caches of profiles compare against it).
    [[nodiscard]] quint64 identityEpoch() const { return m_identityEpoch.load(); }
    [[nodiscard]] qint64 uptimeSeconds() const;
    [[nodiscard]] QList<HealthCheck> readinessChecks();
    // Signs the head of every audit chain (run at start and on a timer).
    [[nodiscard]] Status checkpointAll();

    // Where the data key that seals stored secrets is kept: "KYConnect/data-key:…" in the OS keychain, or a file path.
    [[nodiscard]] QString dataKeyLocation() const { return m_dataKeyLocation; }

    [[nodiscard]] static QString databasePath(const QString &dataDir);
    [[nodiscard]] static QString auditKeyPath(const QString &dataDir);
    [[nodiscard]] static QString jwtSecretPath(const QString &dataDir);
    [[nodiscard]] static QString storageKeyPath(const QString &dataDir);

private:
    Backend(const Config &config, const Clock &clock);

    Config m_config;
    const Clock &m_clock;
    qint64 m_startedMs = 0;
    QString m_dataKeyLocation;
    std::unique_ptr<crypto::SecretBox> m_secrets; // before the services that hold a reference to it
    std::unique_ptr<storage::Database> m_db;
    std::unique_ptr<audit::AuditLog> m_audit;
    std::atomic<quint64> m_identityEpoch{0};
    std::unique_ptr<identity::Tokens> m_tokens;
    std::unique_ptr<identity::SessionCache> m_sessions;
    std::unique_ptr<identity::Outbox> m_outbox;
    std::unique_ptr<identity::IdentityContext> m_identity;
    std::unique_ptr<identity::AuthService> m_authService;
    std::unique_ptr<identity::AccountService> m_accounts;
    std::unique_ptr<identity::ApiKeyService> m_apiKeys;
    std::unique_ptr<identity::AuditAccess> m_auditAccess;
    std::unique_ptr<screening::ScreeningService> m_screening;
    std::unique_ptr<screening::ListRefresher> m_listRefresher; // after m_screening: destroyed (stopped) before it
    std::unique_ptr<objects::ObjectStore> m_objects;
};

} // namespace kyc
