#pragma once

#include "backend/core/result.h"

#include <QProcessEnvironment>
#include <QString>

namespace kyc {

struct RateRule {
    int limit = 0; // requests per window; 0 means unlimited
    int windowSeconds = 60;
};

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

    // Outgoing mail; without a host, mail stays in the outbox (table and .eml files).
    QString smtpHost;
    quint16 smtpPort = 587;
    QString smtpUser;
    QString smtpPassword;
    QString smtpCaFile; // PEM certificates trusted for the SMTP server besides the system store
    QString mailFrom = QStringLiteral("KYConnect <no-reply@kyconnect.local>");

    // Reads KYCONNECT_HOST, _PORT, _DATA_DIR, _BODY_LIMIT, _MAX_CONNECTIONS, _HEADER_TIMEOUT_MS,
    // _IDLE_TIMEOUT_MS, _RATE_GENERAL, _RATE_LOGIN, _RATE_FORGOT_PASSWORD, _RATE_ONBOARDING
    // (each "LIMIT/SECONDS", LIMIT 0 = unlimited), _AUDIT_CHECKPOINT_MINUTES and _SMTP_HOST,
    // _SMTP_PORT, _SMTP_USER, _SMTP_PASSWORD, _SMTP_CA_FILE, _MAIL_FROM over the defaults.
    [[nodiscard]] static Result<Config> fromEnvironment(const QProcessEnvironment &env);
};

[[nodiscard]] Result<RateRule> parseRateRule(const QString &text);
[[nodiscard]] Result<quint16> parsePort(const QString &text);

} // namespace kyc
