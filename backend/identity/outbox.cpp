#include "backend/identity/outbox.h"

#include "backend/core/ids.h"
#include "backend/mail/message.h"
#include "backend/mail/smtpclient.h"

#include <QDir>
#include <QFile>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QSqlQuery>

Q_LOGGING_CATEGORY(lcOutbox, "kyc.mail")

namespace kyc::identity {

Outbox::Outbox(storage::Database &db, const Clock &clock, QString dataDir, std::unique_ptr<mail::SmtpConfig> smtp, QString from)
    : m_db(db)
    , m_clock(clock)
    , m_dir(QDir(dataDir).filePath(QStringLiteral("outbox")))
    , m_smtp(std::move(smtp))
    , m_from(std::move(from))
{
    m_senders.setMaxThreadCount(1);
}

Outbox::~Outbox()
{
    m_senders.waitForDone();
}

Status Outbox::queue(const QString &firmId, const QString &to, const QString &subject, const QString &body, const QString &kind)
{
    const QString id = newId();
    QSqlQuery &q
        = m_db.prepare(QStringLiteral("INSERT INTO mail_outbox (id, firm_id, to_address, subject, body, kind, created_at, "
                                      "eml_file) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(id);
    q.addBindValue(firmId.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(firmId));
    q.addBindValue(to);
    q.addBindValue(subject);
    q.addBindValue(body);
    q.addBindValue(kind);
    q.addBindValue(isoUtc(m_clock.now()));
    q.addBindValue(QString(id + QStringLiteral(".eml")));
    return storage::exec(q);
}

void Outbox::flush()
{
    struct Pending {
        QString id, to, subject, body, file, created;
        int attempts = 0;
    };
    const QString now = isoUtc(m_clock.now());
    QList<Pending> pending;
    {
        // Everything unsent whose next attempt is due: new mail, and mail whose delivery failed
        // (retried with back-off, at most kMaxAttempts times).
        QSqlQuery q(m_db.connection());
        q.prepare(QStringLiteral("SELECT id, to_address, subject, body, eml_file, created_at, attempts FROM mail_outbox "
                                 "WHERE sent_at IS NULL AND attempts < ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
                                 "ORDER BY created_at"));
        q.addBindValue(kMaxAttempts);
        q.addBindValue(now);
        if (!q.exec())
            return;
        while (q.next())
            pending << Pending{q.value(0).toString(), q.value(1).toString(), q.value(2).toString(), q.value(3).toString(),
                               q.value(4).toString(), q.value(5).toString(), q.value(6).toInt()};
    }
    if (pending.isEmpty())
        return;
    QDir().mkpath(m_dir);
    const bool smtp = m_smtp && !m_smtp->host.isEmpty();
    for (const auto &p : pending) {
        mail::Message m{m_from, {p.to}, p.subject, p.body, p.id + QStringLiteral("@kyconnect.local")};
        const QDateTime date = QDateTime::fromString(p.created, Qt::ISODateWithMs);
        const QString path = QDir(m_dir).filePath(p.file);
        if (!QFile::exists(path)) {
            QSaveFile f(path);
            if (!f.open(QIODevice::WriteOnly) || f.write(mail::toEml(m, date)) < 0 || !f.commit()) {
                qCWarning(lcOutbox) << "cannot write" << p.file;
                continue;
            }
        }
        if (!smtp)
            continue; // the .eml file is the delivery; SMTP picks the row up once configured
        // Claimed before the send, so a second flush does not send it twice.
        QSqlQuery claim(m_db.connection());
        claim.prepare(QStringLiteral(
            "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ? AND sent_at IS NULL"));
        claim.addBindValue(isoUtc(m_clock.now().addSecs(600)));
        claim.addBindValue(p.id);
        if (!claim.exec())
            continue;
        const mail::SmtpConfig config = *m_smtp;
        const int attempt = p.attempts + 1;
        m_senders.start([this, config, m, date, id = p.id, attempt] {
            const auto sent = mail::sendSmtp(config, m, date);
            QSqlQuery r(m_db.connection());
            if (sent) {
                r.prepare(
                    QStringLiteral("UPDATE mail_outbox SET sent_at = ?, last_error = NULL, next_attempt_at = NULL WHERE id = ?"));
                r.addBindValue(isoUtc(m_clock.now()));
            } else {
                qCWarning(lcOutbox).noquote() << "SMTP delivery failed:" << sent.error().message;
                // Back-off: 1, 4, 9, 16 minutes.
                r.prepare(QStringLiteral("UPDATE mail_outbox SET last_error = ?, next_attempt_at = ? WHERE id = ?"));
                r.addBindValue(sent.error().message);
                r.addBindValue(isoUtc(m_clock.now().addSecs(60LL * attempt * attempt)));
            }
            r.addBindValue(id);
            r.exec();
        });
    }
}

void Outbox::waitForDelivery()
{
    m_senders.waitForDone();
}

} // namespace kyc::identity
