#include "backend/identity/outbox.h"

#include "backend/core/ids.h"
#include "backend/mail/message.h"
#include "backend/mail/smtpclient.h"
#include "backend/security/secretbox.h"

#include <QDir>
#include <QFile>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QSqlQuery>

#include <sys/stat.h>

Q_LOGGING_CATEGORY(lcOutbox, "kyc.mail")

namespace kyc::identity {

namespace {
// Delivered or abandoned: the body (and the token in it) is no longer kept.
// An empty (not null: the column is NOT NULL) string.
const QString kScrubbed = QStringLiteral("");
} // namespace

Outbox::Outbox(storage::Database &db, const Clock &clock, QString dataDir, std::unique_ptr<mail::SmtpConfig> smtp,
               const crypto::SecretBox &secrets, QString from)
    : m_db(db)
    , m_clock(clock)
    , m_dir(QDir(dataDir).filePath(QStringLiteral("outbox")))
    , m_smtp(std::move(smtp))
    , m_secrets(secrets)
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
    auto sealed = m_secrets.seal(body.toUtf8(), id.toUtf8());
    if (!sealed)
        return fail(sealed.error());
    QSqlQuery &q
        = m_db.prepare(QStringLiteral("INSERT INTO mail_outbox (id, firm_id, to_address, subject, body, kind, created_at, "
                                      "eml_file) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(id);
    q.addBindValue(firmId.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(firmId));
    q.addBindValue(to);
    q.addBindValue(subject);
    q.addBindValue(*sealed);
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
    // The drop holds tokens: only the service's user may read it.
    QDir().mkpath(m_dir);
    ::chmod(QFile::encodeName(m_dir).constData(), 0700);
    const bool smtp = m_smtp && !m_smtp->host.isEmpty();
    for (const auto &p : pending) {
        auto body = m_secrets.open(p.body, p.id.toUtf8());
        if (!body) {
            qCWarning(lcOutbox).noquote() << "mail" << p.id << "cannot be unsealed:" << body.error().message;
            continue;
        }
        mail::Message m{m_from, {p.to}, p.subject, QString::fromUtf8(*body), p.id + QStringLiteral("@kyconnect.local")};
        const QDateTime date = QDateTime::fromString(p.created, Qt::ISODateWithMs);
        const QString path = QDir(m_dir).filePath(p.file);
        if (!QFile::exists(path)) {
            const mode_t old = ::umask(0077);
            QSaveFile f(path);
            const bool written = f.open(QIODevice::WriteOnly) && f.write(mail::toEml(m, date)) >= 0 && f.commit();
            ::umask(old);
            if (!written) {
                qCWarning(lcOutbox) << "cannot write" << p.file;
                continue;
            }
        }
        ::chmod(QFile::encodeName(path).constData(), 0600);
        if (!smtp) {
            // Without SMTP the .eml file is the delivery: the row keeps no token from now on.
            QSqlQuery done(m_db.connection());
            done.prepare(QStringLiteral("UPDATE mail_outbox SET body = ?, sent_at = ? WHERE id = ? AND sent_at IS NULL"));
            done.addBindValue(kScrubbed);
            done.addBindValue(isoUtc(m_clock.now()));
            done.addBindValue(p.id);
            if (!done.exec())
                qCWarning(lcOutbox) << "cannot mark" << p.id << "delivered";
            continue;
        }
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
                    QStringLiteral("UPDATE mail_outbox SET body = ?, sent_at = ?, last_error = NULL, next_attempt_at = NULL "
                                   "WHERE id = ?"));
                r.addBindValue(kScrubbed);
                r.addBindValue(isoUtc(m_clock.now()));
            } else if (attempt >= kMaxAttempts) {
                // Abandoned: nothing will send it any more, so nothing keeps its token.
                qCWarning(lcOutbox).noquote() << "SMTP delivery failed for the last time:" << sent.error().message;
                r.prepare(QStringLiteral("UPDATE mail_outbox SET body = ?, last_error = ?, next_attempt_at = NULL WHERE id = ?"));
                r.addBindValue(kScrubbed);
                r.addBindValue(sent.error().message);
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

Status Outbox::protectStoredBodies()
{
    storage::Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return s;
    QSqlQuery scrub(m_db.connection());
    scrub.prepare(QStringLiteral("UPDATE mail_outbox SET body = ? WHERE body <> ? AND (sent_at IS NOT NULL OR attempts >= ?)"));
    scrub.addBindValue(kScrubbed);
    scrub.addBindValue(kScrubbed);
    scrub.addBindValue(kMaxAttempts);
    if (auto s = storage::exec(scrub); !s)
        return s;
    QSqlQuery clear(m_db.connection());
    clear.prepare(QStringLiteral("SELECT id, body FROM mail_outbox WHERE sent_at IS NULL AND body NOT LIKE 'gcm1:%'"));
    if (auto s = storage::exec(clear); !s)
        return s;
    QList<std::pair<QString, QString>> toSeal;
    while (clear.next())
        toSeal.append({clear.value(0).toString(), clear.value(1).toString()});
    clear.finish();
    for (const auto &[id, body] : toSeal) {
        auto sealed = m_secrets.seal(body.toUtf8(), id.toUtf8());
        if (!sealed)
            return fail(sealed.error());
        QSqlQuery u(m_db.connection());
        u.prepare(QStringLiteral("UPDATE mail_outbox SET body = ? WHERE id = ?"));
        u.addBindValue(*sealed);
        u.addBindValue(id);
        if (auto s = storage::exec(u); !s)
            return s;
    }
    return tx.commit();
}

} // namespace kyc::identity
