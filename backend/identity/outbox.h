#pragma once

#include "backend/core/clock.h"
#include "backend/core/result.h"
#include "backend/storage/database.h"

#include <QThreadPool>

#include <memory>

namespace kyc::mail {
struct SmtpConfig;
}
namespace kyc::crypto {
class SecretBox;
}

namespace kyc::identity {

// Outgoing mail: a row in mail_outbox written in the caller's transaction, then, once committed,
// an .eml file in <data dir>/outbox/ (0600, folder 0700) and, where SMTP is configured, delivery on a
// worker thread. Mail carries single-use tokens, so the row's body is sealed with the data key
// (the mail id as context) while it waits, and blanked once the mail is delivered (sent, or dropped
// as the .eml file when no SMTP is configured) or abandoned after kMaxAttempts.
class Outbox final
{
public:
    Outbox(storage::Database &db, const Clock &clock, QString dataDir, std::unique_ptr<mail::SmtpConfig> smtp,
           const crypto::SecretBox &secrets, QString from = QStringLiteral("KYConnect <no-reply@kyconnect.local>"));
    ~Outbox();

    [[nodiscard]] Status queue(const QString &firmId, const QString &to, const QString &subject, const QString &body,
                               const QString &kind);
    // Writes the .eml files of queued mail and starts (or retries) SMTP delivery; call after the
    // commit that queued mail, and now and then for retries.
    void flush();
    static constexpr int kMaxAttempts = 5;
    [[nodiscard]] QString directory() const { return m_dir; }
    void waitForDelivery();
    // Seals the bodies of waiting mail stored in clear by earlier versions, and blanks those of mail
    // already delivered or abandoned (run once at open).
    [[nodiscard]] Status protectStoredBodies();

private:
    storage::Database &m_db;
    const Clock &m_clock;
    QString m_dir;
    std::unique_ptr<mail::SmtpConfig> m_smtp;
    const crypto::SecretBox &m_secrets;
    QString m_from;
    QThreadPool m_senders;
};

} // namespace kyc::identity
