#include "backend/backend.h"

#include "backend/identity/accountservice.h"
#include "backend/identity/apikeyservice.h"
#include "backend/identity/auditaccess.h"
#include "backend/identity/authservice.h"
#include "backend/mail/smtpclient.h"
#include "backend/objects/objectstore.h"
#include "backend/screening/listrefresher.h"
#include "backend/screening/screeningservice.h"
#include "backend/security/datakey.h"
#include "backend/security/secretbox.h"
#include "backend/security/secretfile.h"

#include <QDir>
#include <QFile>
#include <QSqlQuery>
#include <QSslCertificate>

#include <sys/stat.h>

namespace kyc {

Backend::Backend(const Config &config, const Clock &clock)
    : m_config(config)
    , m_clock(clock)
    , m_startedMs(clock.monotonicMs())
{
}

Backend::~Backend()
{
    if (m_listRefresher)
        m_listRefresher->stop();
    if (m_outbox)
        m_outbox->waitForDelivery();
}

QString Backend::jwtSecretPath(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("keys/jwt-hs256.key"));
}

QString Backend::storageKeyPath(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("keys/storage-hmac.key"));
}

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
    // The data directory holds keys, tokens and personal data: only the service's user may enter it,
    // also when it already existed with looser rights.
    if (!QDir().mkpath(config.dataDir))
        return fail(
            Error::make(ErrorCode::Unavailable, QStringLiteral("cannot create the data directory %1").arg(config.dataDir)));
    if (::chmod(QFile::encodeName(config.dataDir).constData(), 0700) != 0)
        return fail(Error::make(ErrorCode::Unavailable,
                                QStringLiteral("cannot restrict the data directory %1 to its owner").arg(config.dataDir)));
    std::unique_ptr<Backend> b(new Backend(config, clock));
    auto dataKey = crypto::loadOrCreateDataKey(config.dataDir, crypto::DataKeyOptions{config.keyStore});
    if (!dataKey)
        return fail(dataKey.error());
    b->m_dataKeyLocation = dataKey->location;
    b->m_secrets = std::make_unique<crypto::SecretBox>(std::move(dataKey->key));
    auto db = storage::Database::open(databasePath(config.dataDir));
    if (!db)
        return fail(db.error());
    b->m_db = std::move(*db);
    auto key = crypto::Ed25519Key::loadOrCreate(auditKeyPath(config.dataDir));
    if (!key)
        return fail(key.error());
    b->m_audit = std::make_unique<audit::AuditLog>(*b->m_db, clock, std::move(*key));

    auto secret = crypto::loadOrCreateSecret(jwtSecretPath(config.dataDir), 32);
    if (!secret)
        return fail(secret.error());
    b->m_tokens = std::make_unique<identity::Tokens>(*secret, clock);
    b->m_sessions = std::make_unique<identity::SessionCache>(*b->m_db, clock);
    auto smtp = std::make_unique<mail::SmtpConfig>();
    smtp->host = config.smtpHost;
    smtp->port = config.smtpPort;
    smtp->username = config.smtpUser;
    smtp->password = config.smtpPassword;
    if (!config.smtpCaFile.isEmpty()) {
        smtp->extraCaCertificates = QSslCertificate::fromPath(config.smtpCaFile);
        if (smtp->extraCaCertificates.isEmpty())
            return fail(Error::validation(QStringLiteral("KYCONNECT_SMTP_CA_FILE"),
                                          QStringLiteral("no PEM certificate could be read from the file")));
    }
    b->m_outbox
        = std::make_unique<identity::Outbox>(*b->m_db, clock, config.dataDir, std::move(smtp), *b->m_secrets, config.mailFrom);
    if (auto s = b->m_outbox->protectStoredBodies(); !s)
        return fail(s.error());
    b->m_identity.reset(new identity::IdentityContext{*b->m_db, clock, *b->m_audit, *b->m_tokens, *b->m_sessions, *b->m_outbox,
                                                      *b->m_secrets, &b->m_identityEpoch});
    b->m_authService = std::make_unique<identity::AuthService>(*b->m_identity);
    if (auto s = b->m_authService->sealStoredMfaSecrets(); !s)
        return fail(s.error());
    b->m_accounts = std::make_unique<identity::AccountService>(*b->m_identity, *b->m_authService);
    b->m_apiKeys = std::make_unique<identity::ApiKeyService>(*b->m_identity);
    b->m_auditAccess = std::make_unique<identity::AuditAccess>(*b->m_audit);
    auto storageKey = crypto::loadOrCreateSecret(storageKeyPath(config.dataDir), 32);
    if (!storageKey)
        return fail(storageKey.error());
    b->m_objects = std::make_unique<objects::ObjectStore>(
        *b->m_db, clock, *b->m_audit, std::move(*storageKey),
        objects::ObjectStoreOptions{config.dataDir, config.publicBaseUrl(), config.storageMaxBytes});
    b->m_screening = std::make_unique<screening::ScreeningService>(*b->m_db, clock, *b->m_audit);
    if (auto s = b->m_screening->load(); !s)
        return fail(s.error());
    auto sources = config.listSourcesFile.isEmpty() ? screening::defaultListSources()
                                                    : screening::readListSourcesFile(config.listSourcesFile);
    if (!sources)
        return fail(sources.error());
    b->m_listRefresher
        = std::make_unique<screening::ListRefresher>(*b->m_db, clock, *b->m_audit, *b->m_screening, std::move(*sources),
                                                     screening::RefreshSchedule{config.listRefreshHours, config.listMaxAgeHours},
                                                     QDir(config.dataDir).filePath(QStringLiteral("lists")));
    b->m_screening->startBatchWorker(); // batches left unfinished by an earlier run continue
    b->m_accounts->setListNameCheck([screening = b->m_screening.get()](const QString &firmId, const QStringList &names) {
        return screening->checkListNames(firmId, names, QStringLiteral("screening_lists"));
    });
    return b;
}

qint64 Backend::uptimeSeconds() const
{
    return (m_clock.monotonicMs() - m_startedMs) / 1000;
}

QList<HealthCheck> Backend::readinessChecks()
{
    return {
        {QStringLiteral("sanctions_lists"),
         [this]() -> Result<QString> {
             const qint64 n = m_screening->officialEntities();
             if (n == 0)
                 return fail(ErrorCode::Unavailable,
                             QStringLiteral("no official sanctions list is loaded (kyconnect admin import-list)"));
             return QStringLiteral("%1 listed entities loaded").arg(n);
         }},
        {QStringLiteral("list_freshness"), [this]() -> Result<QString> { return m_listRefresher->freshness(); }},
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
