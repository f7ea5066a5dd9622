#pragma once

#include "backend/core/result.h"

#include <QProcessEnvironment>
#include <QString>

namespace kyc {

struct RateRule {
    int limit = 0; // requests per window; 0 means unlimited
    int windowSeconds = 60;
};

// Where the data key that seals stored secrets (TOTP secrets, queued mail) lives (KYCONNECT_KEY_STORE):
// the OS keychain when one answers, else a 0600 file under the data directory (Auto); the keychain
// or nothing (Keychain); always the file (File).
enum class KeyStore { Auto, Keychain, File };

// Process-wide settings. Defaults, then KYCONNECT_* environment variables, then the command line
// (app/ applies the last step).
struct Config {
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 3000;
    QString dataDir; // empty: the XDG data directory

    qint64 bodyLimitBytes = 1024 * 1024;
    int maxConnections = 256;
    int headerTimeoutMs = 10'000;
    int idleTimeoutMs = 60'000;

    RateRule generalRate{100, 60};
    RateRule loginRate{10, 3600};
    RateRule forgotPasswordRate{10, 3600};
    RateRule onboardingRate{5, 7200};

    int auditCheckpointMinutes = 60;

    KeyStore keyStore = KeyStore::Auto;

    // Outgoing mail; without a host, mail stays in the outbox (table and .eml files).
    QString smtpHost;
    quint16 smtpPort = 587;
    QString smtpUser;
    QString smtpPassword;
    QString smtpCaFile; // PEM certificates trusted for the SMTP server besides the system store
    QString mailFrom = QStringLiteral("KYConnect <no-reply@kyconnect.local>");

    // Scheduled refresh of the sanctions lists from their official URLs (backend/screening/listrefresher.h):
    // a JSON table replacing the built-in one (resources/screening/list-sources.json; its sources are then
    // refreshed even before a first import), the interval (0: no scheduled refresh) and the age after which a
    // loaded list makes /health/ready fail (0: never).
    QString listSourcesFile;
    int listRefreshHours = 24;
    int listMaxAgeHours = 72;

    // Object storage: the base of the pre-signed URLs handed out (empty: http://<host>:<port>), and
    // the largest object an upload may carry (it raises the body limit of the upload route only).
    QString publicUrl;
    qint64 storageMaxBytes = 64 * 1024 * 1024;
    // Declared body bytes the HTTP server holds for requests in progress, per client address and
    // in all; past either a new request with a body is answered 503 before its body is read.
    qint64 bufferedBytesPerClient = 128 * 1024 * 1024;
    qint64 bufferedBytesTotal = 256 * 1024 * 1024;
    // Reverse proxies whose X-Forwarded-For names the client (addresses or CIDR ranges, comma
    // separated); empty: none, the peer address is the client.
    QString trustedProxies;
    // publicUrl, or http://<host>:<port> from the listening address; never a trailing slash.
    [[nodiscard]] QString publicBaseUrl() const;

    // Reads KYCONNECT_HOST, _PORT, _DATA_DIR, _BODY_LIMIT, _MAX_CONNECTIONS, _HEADER_TIMEOUT_MS,
    // _IDLE_TIMEOUT_MS, _RATE_GENERAL, _RATE_LOGIN, _RATE_FORGOT_PASSWORD, _RATE_ONBOARDING
    // (each "LIMIT/SECONDS", LIMIT 0 = unlimited), _AUDIT_CHECKPOINT_MINUTES, _LIST_SOURCES_FILE,
    // _LIST_REFRESH_HOURS, _LIST_MAX_AGE_HOURS and _SMTP_HOST,
    // _SMTP_PORT, _SMTP_USER, _SMTP_PASSWORD, _SMTP_CA_FILE, _MAIL_FROM, _PUBLIC_URL and
    // _STORAGE_MAX_BYTES, _BUFFERED_BYTES_PER_CLIENT, _BUFFERED_BYTES_TOTAL, _TRUSTED_PROXIES and _KEY_STORE
    // (auto, keychain, file) over the defaults.
    [[nodiscard]] static Result<Config> fromEnvironment(const QProcessEnvironment &env);
};

[[nodiscard]] Result<RateRule> parseRateRule(const QString &text);
[[nodiscard]] Result<quint16> parsePort(const QString &text);

} // namespace kyc
