// The mail outbox end to end through the real services: AuthService::forgotPassword and
// AccountService::invite queue mail in their transactions, the outbox writes the .eml files and
// delivers them on its worker thread with the real SMTP client, built by Backend from Config, to a
// fake STARTTLS submission server on 127.0.0.1 (certificate made at run time, trusted only through
// Config::smtpCaFile). The fake server runs on a thread of its own, so the test thread can block in
// Outbox::waitForDelivery() while the worker talks to it.
#include "backend/identity/accountservice.h"
#include "backend/identity/authservice.h"
#include "backend/identity/outbox.h"
#include "tests/testsupport/fakesmtpserver.h"
#include "tests/testsupport/testsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QtTest>

#include <algorithm>

using namespace kyc;
using namespace kyc::identity;
using namespace Qt::Literals::StringLiterals;

namespace {

const QString kSmtpUser = u"mailer@kyconnect.local"_s;
const QString kSmtpPassword = u"s3cret-Pässw0rd!"_s;
const QString kAccountPassword = u"correct horse battery staple"_s;
const QString kOwnerEmail = u"owner@alpha.test"_s;
const QString kAnalystEmail = u"analyst@alpha.test"_s;
const QString kResetSubject = u"Reset your KYConnect password"_s;
const QString kInviteSubject = u"You are invited to KYConnect"_s;

// The fake server accepting the configured SMTP credentials; every recipient accepted.
test::SmtpScenario smtpScenario()
{
    test::SmtpScenario scenario;
    scenario.user = kSmtpUser;
    scenario.password = kSmtpPassword;
    return scenario;
}

struct OutboxRow {
    QString id;
    QString firmId;
    QString to;
    QString subject;
    QString body;
    QString kind;
    QString emlFile;
    QVariant sentAt;
    int attempts = -1;
    QVariant lastError;
};

QList<OutboxRow> outboxRows(Backend &backend)
{
    QList<OutboxRow> rows;
    QSqlQuery q(backend.database().connection());
    if (!q.exec(u"SELECT id, firm_id, to_address, subject, body, kind, eml_file, sent_at, attempts, last_error "
                "FROM mail_outbox ORDER BY created_at, rowid"_s))
        return rows;
    while (q.next())
        rows.append({q.value(0).toString(), q.value(1).toString(), q.value(2).toString(), q.value(3).toString(),
                     q.value(4).toString(), q.value(5).toString(), q.value(6).toString(), q.value(7), q.value(8).toInt(),
                     q.value(9)});
    return rows;
}

qint64 count(Backend &backend, const QString &sql, const QVariantList &binds = {})
{
    QSqlQuery q(backend.database().connection());
    q.prepare(sql);
    for (const QVariant &v : binds)
        q.addBindValue(v);
    if (!q.exec() || !q.next())
        return -1;
    return q.value(0).toLongLong();
}

QStringList tokenHashes(Backend &backend, const QString &sql)
{
    QStringList hashes;
    QSqlQuery q(backend.database().connection());
    if (!q.exec(sql))
        return hashes;
    while (q.next())
        hashes.append(q.value(0).toString());
    return hashes;
}

// The single-use token the services put on a line of its own, indented by four spaces.
QString tokenIn(const QString &text)
{
    static const QRegularExpression re(u"^    ([A-Za-z0-9_-]{32,})\\r?$"_s, QRegularExpression::MultilineOption);
    const QRegularExpressionMatch m = re.match(text);
    return m.hasMatch() ? m.captured(1) : QString();
}

QString sha256Hex(const QString &token)
{
    return QString::fromLatin1(QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256).toHex());
}

// RFC 2045 quoted-printable, soft line breaks included.
QByteArray qpDecode(const QByteArray &in)
{
    QByteArray out;
    for (qsizetype i = 0; i < in.size(); ++i) {
        const char c = in.at(i);
        if (c != '=') {
            out += c;
            continue;
        }
        if (in.mid(i + 1, 2) == "\r\n") {
            i += 2;
        } else if (in.mid(i + 1, 1) == "\n") {
            i += 1;
        } else if (i + 2 < in.size()) {
            out += QByteArray::fromHex(in.mid(i + 1, 2));
            i += 2;
        }
    }
    return out;
}

QByteArray headersOf(const QByteArray &eml)
{
    const qsizetype end = eml.indexOf("\r\n\r\n");
    return end < 0 ? QByteArray() : eml.left(end + 2);
}

QString decodedBodyOf(const QByteArray &eml)
{
    const qsizetype end = eml.indexOf("\r\n\r\n");
    return end < 0 ? QString() : QString::fromUtf8(qpDecode(eml.mid(end + 4)));
}

// An unfolded header value ("" when absent).
QString headerValue(const QByteArray &eml, const QByteArray &name)
{
    const QByteArray unfolded = QByteArray(headersOf(eml)).replace("\r\n ", " ").replace("\r\n\t", " ");
    const QByteArray prefix = name.toLower() + ':';
    for (const QByteArray &line : unfolded.split('\n')) {
        const QByteArray l = line.endsWith('\r') ? line.chopped(1) : line;
        if (l.toLower().startsWith(prefix))
            return QString::fromUtf8(l.mid(name.size() + 1).trimmed());
    }
    return QString();
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

Actor ownerActor(const QString &firmId, const QString &userId)
{
    Actor a;
    a.kind = Actor::Kind::User;
    a.role = Role::Owner;
    a.firmId = firmId;
    a.userId = userId;
    a.ip = u"127.0.0.1"_s;
    return a;
}

} // namespace

class TstOutboxSmtp : public QObject
{
    Q_OBJECT

private:
    test::TestCertificate m_tls;

    [[nodiscard]] Config smtpConfig(quint16 port) const
    {
        Config c = test::testConfig();
        c.smtpHost = u"127.0.0.1"_s;
        c.smtpPort = port;
        c.smtpUser = kSmtpUser;
        c.smtpPassword = kSmtpPassword;
        c.smtpCaFile = m_tls.certificatePath();
        return c;
    }

    // The firm "Alpha" and its owner; false (with a failed check) when it cannot be made.
    static bool createFirm(test::TempBackend &tb, QString &firmId, QString &ownerId)
    {
        auto created = tb.backend().accounts().createFirm(
            {u"Alpha Ltd"_s, u"GB"_s, {}, kOwnerEmail, kAccountPassword, u"Alice Owner"_s, u"127.0.0.1"_s});
        if (!created) {
            qWarning().noquote() << "createFirm failed:" << created.error().message;
            return false;
        }
        firmId = created->first.id;
        ownerId = created->second.id;
        return !firmId.isEmpty() && !ownerId.isEmpty();
    }

    static const OutboxRow *rowTo(const QList<OutboxRow> &rows, const QString &to)
    {
        const auto it = std::find_if(rows.begin(), rows.end(), [&](const OutboxRow &r) { return r.to == to; });
        return it == rows.end() ? nullptr : &*it;
    }

    static const test::SmtpSession *sessionTo(const QList<test::SmtpSession> &sessions, const QString &to)
    {
        const QList<QByteArray> rcpt{'<' + to.toUtf8() + '>'};
        const auto it
            = std::find_if(sessions.begin(), sessions.end(), [&](const test::SmtpSession &s) { return s.rcptTo == rcpt; });
        return it == sessions.end() ? nullptr : &*it;
    }

    // EHLO and STARTTLS in the clear, then the handshake, then everything (AUTH first) over TLS with the
    // configured credentials.
    static void verifyTlsThenAuth(const test::SmtpSession &s)
    {
        QVERIFY(s.tlsEstablished);
        QVERIFY(s.commands.size() >= 4);
        QVERIFY(s.commands.at(0).line.toUpper().startsWith("EHLO "));
        QVERIFY(!s.commands.at(0).overTls);
        QCOMPARE(s.commands.at(1).line, QByteArray("STARTTLS"));
        QVERIFY(!s.commands.at(1).overTls);
        for (qsizetype i = 2; i < s.commands.size(); ++i)
            QVERIFY2(s.commands.at(i).overTls, s.commands.at(i).line.constData());
        QVERIFY(s.commands.at(2).line.toUpper().startsWith("EHLO "));
        const qsizetype auth = s.indexOf("AUTH");
        QVERIFY(auth >= 3);
        QVERIFY(s.indexOf("MAIL FROM") > auth);
        QCOMPARE(s.authMechanism, QByteArray("PLAIN"));
        QCOMPARE(s.authUser, kSmtpUser.toUtf8());
        QCOMPARE(s.authPassword, kSmtpPassword.toUtf8());
        QCOMPARE(s.mailFrom, QByteArray("<no-reply@kyconnect.local>"));
    }

    static void verifyNoSecretIn(const QVariant &lastError)
    {
        if (lastError.isNull())
            return;
        const QString text = lastError.toString();
        QVERIFY2(!text.contains(kSmtpPassword), qPrintable(text));
        QVERIFY2(!text.contains(QString::fromLatin1(kSmtpPassword.toUtf8().toBase64())), qPrintable(text));
        QByteArray plain;
        plain.append('\0').append(kSmtpUser.toUtf8()).append('\0').append(kSmtpPassword.toUtf8());
        QVERIFY2(!text.contains(QString::fromLatin1(plain.toBase64())), qPrintable(text));
        QVERIFY2(!text.contains(kAccountPassword), qPrintable(text));
    }

private slots:
    void initTestCase() { m_tls.createOrSkip(); }

    void deliversResetAndInvitationOverStartTls()
    {
        test::FakeSmtpServer server(smtpScenario(), m_tls, test::FakeSmtpServer::Threading::OwnThread);
        QVERIFY(server.isListening());
        test::TempBackend tb(smtpConfig(server.port()));
        QVERIFY(tb.ok());
        QString firmId;
        QString ownerId;
        QVERIFY(createFirm(tb, firmId, ownerId));

        QVERIFY_THROWS_NO_EXCEPTION(tb.backend().auth().forgotPassword(kOwnerEmail, u"127.0.0.1"_s));
        const auto invitation
            = tb.backend().accounts().invite(ownerActor(firmId, ownerId), {kAnalystEmail, u"Bob Analyst"_s, Role::Analyst});
        QVERIFY2(invitation.has_value(), qPrintable(invitation ? QString() : invitation.error().message));

        tb.backend().outbox().waitForDelivery();
        server.stop();
        const QList<test::SmtpSession> sessions = server.sessions();

        const QString outboxDir = QDir(tb.dataDir()).filePath(u"outbox"_s);
        QCOMPARE(tb.backend().outbox().directory(), outboxDir);
        const QList<OutboxRow> rows = outboxRows(tb.backend());
        QCOMPARE(rows.size(), 2);
        QCOMPARE(sessions.size(), 2);

        struct Expected {
            QString to;
            QString subject;
            QString kind;
            QStringList tokenHashes;
        };
        const QList<Expected> expected{
            {kOwnerEmail, kResetSubject, u"password_reset"_s,
             tokenHashes(tb.backend(), u"SELECT token_hash FROM password_resets"_s)},
            {kAnalystEmail, kInviteSubject, u"invitation"_s, tokenHashes(tb.backend(), u"SELECT token_hash FROM invitations"_s)},
        };
        for (const Expected &e : expected) {
            // The row: sent once, successfully.
            const OutboxRow *row = rowTo(rows, e.to);
            QVERIFY2(row, qPrintable(e.to));
            QCOMPARE(row->firmId, firmId);
            QCOMPARE(row->subject, e.subject);
            QCOMPARE(row->kind, e.kind);
            QCOMPARE(row->attempts, 1);
            QVERIFY2(!row->sentAt.isNull() && !row->sentAt.toString().isEmpty(), qPrintable(e.to));
            QVERIFY(QDateTime::fromString(row->sentAt.toString(), Qt::ISODateWithMs).isValid());
            QVERIFY2(row->lastError.isNull(), qPrintable(row->lastError.toString()));
            verifyNoSecretIn(row->lastError);

            // Delivered: the row keeps no body (and so no token) any more.
            QCOMPARE(row->body, QString());

            // The .eml file holds the mail with the real single-use token: its hash is the one stored.
            const QString emlPath = QDir(outboxDir).filePath(row->emlFile);
            QVERIFY2(QFileInfo::exists(emlPath), qPrintable(emlPath));
            const QByteArray eml = readFile(emlPath);
            QVERIFY(!eml.isEmpty());
            QCOMPARE(headerValue(eml, "To"), e.to);
            QCOMPARE(headerValue(eml, "Subject"), e.subject);
            const QString token = tokenIn(decodedBodyOf(eml));
            QVERIFY2(!token.isEmpty(), eml.constData());
            QCOMPARE(e.tokenHashes, QStringList{sha256Hex(token)});

            // And the server received exactly that mail, for that recipient only, over TLS after AUTH.
            const test::SmtpSession *s = sessionTo(sessions, e.to);
            QVERIFY2(s, qPrintable(e.to));
            verifyTlsThenAuth(*s);
            QVERIFY(s->indexOf("RCPT TO") > s->indexOf("MAIL FROM"));
            QVERIFY(s->dataComplete);
            QVERIFY(s->quit);
            QCOMPARE(headerValue(s->data, "To"), e.to);
            QCOMPARE(headerValue(s->data, "Subject"), e.subject);
            QCOMPARE(tokenIn(decodedBodyOf(s->data)), token);
            QCOMPARE(s->data, eml);
        }
    }

    void rejectedRecipientKeepsMailQueued()
    {
        test::SmtpScenario scenario = smtpScenario();
        scenario.rcptCode = 550;
        test::FakeSmtpServer server(scenario, m_tls, test::FakeSmtpServer::Threading::OwnThread);
        QVERIFY(server.isListening());
        test::TempBackend tb(smtpConfig(server.port()));
        QVERIFY(tb.ok());
        QString firmId;
        QString ownerId;
        QVERIFY(createFirm(tb, firmId, ownerId));

        QVERIFY_THROWS_NO_EXCEPTION(tb.backend().auth().forgotPassword(kOwnerEmail, u"127.0.0.1"_s));
        tb.backend().outbox().waitForDelivery();
        server.stop();
        const QList<test::SmtpSession> sessions = server.sessions();

        // The request itself went through whole: one reset, one mail.
        QCOMPARE(count(tb.backend(), u"SELECT COUNT(*) FROM password_resets"_s), 1);
        QCOMPARE(count(tb.backend(), u"SELECT COUNT(*) FROM password_resets WHERE used_at IS NULL"_s), 1);
        const QList<OutboxRow> rows = outboxRows(tb.backend());
        QCOMPARE(rows.size(), 1);
        const OutboxRow &row = rows.constFirst();
        QCOMPARE(row.to, kOwnerEmail);
        QCOMPARE(row.subject, kResetSubject);

        // Not sent, and the reason is the server's reply.
        QVERIFY2(row.sentAt.isNull(), qPrintable(row.sentAt.toString()));
        QCOMPARE(row.attempts, 1);
        QVERIFY(!row.lastError.isNull());
        const QString error = row.lastError.toString();
        QVERIFY2(error.contains(u"550 5.1.1"_s), qPrintable(error));
        QVERIFY2(error.contains(u"Recipient address rejected: User unknown in virtual mailbox table"_s), qPrintable(error));
        QVERIFY2(error.contains(kOwnerEmail), qPrintable(error));
        verifyNoSecretIn(row.lastError);

        // The .eml file is still there, with the token whose hash was stored; the row, waiting for a
        // retry, keeps the body sealed (never the token in clear).
        const QString emlPath = QDir(tb.backend().outbox().directory()).filePath(row.emlFile);
        QVERIFY2(QFileInfo::exists(emlPath), qPrintable(emlPath));
        const QString token = tokenIn(decodedBodyOf(readFile(emlPath)));
        QVERIFY(!token.isEmpty());
        QCOMPARE(tokenHashes(tb.backend(), u"SELECT token_hash FROM password_resets"_s), QStringList{sha256Hex(token)});
        QVERIFY2(row.body.startsWith(u"gcm1:"_s), qPrintable(row.body));
        QVERIFY(!row.body.contains(token));

        // One attempt: TLS, AUTH, the refused RCPT, no DATA, a polite QUIT.
        QCOMPARE(sessions.size(), 1);
        const test::SmtpSession &s = sessions.constFirst();
        verifyTlsThenAuth(s);
        QCOMPARE(s.rcptTo, QList<QByteArray>{'<' + kOwnerEmail.toUtf8() + '>'});
        QVERIFY(!s.sawCommand("DATA"));
        QVERIFY(s.data.isEmpty());
        QVERIFY(s.quit);
    }

    void rejectionQuotingCredentialsIsRedacted()
    {
        // The server's reply is stored in last_error; credentials it quotes back must not be.
        test::SmtpScenario scenario = smtpScenario();
        scenario.rcptCode = 550;
        scenario.echoCredentials = true;
        test::FakeSmtpServer server(scenario, m_tls, test::FakeSmtpServer::Threading::OwnThread);
        QVERIFY(server.isListening());
        test::TempBackend tb(smtpConfig(server.port()));
        QVERIFY(tb.ok());
        QString firmId;
        QString ownerId;
        QVERIFY(createFirm(tb, firmId, ownerId));

        QVERIFY_THROWS_NO_EXCEPTION(tb.backend().auth().forgotPassword(kOwnerEmail, u"127.0.0.1"_s));
        tb.backend().outbox().waitForDelivery();
        server.stop();
        const QList<test::SmtpSession> sessions = server.sessions();
        QCOMPARE(sessions.size(), 1);
        QCOMPARE(sessions.constFirst().authPassword, kSmtpPassword.toUtf8());

        const QList<OutboxRow> rows = outboxRows(tb.backend());
        QCOMPARE(rows.size(), 1);
        QVERIFY(rows.constFirst().sentAt.isNull());
        const QString error = rows.constFirst().lastError.toString();
        QVERIFY2(error.contains(u"550 5.1.1"_s), qPrintable(error));
        QVERIFY2(error.contains(u"User unknown"_s), qPrintable(error));
        verifyNoSecretIn(rows.constFirst().lastError);
    }

    // A mail whose delivery is given up (kMaxAttempts refusals) keeps no body, so no token, in the database.
    void abandonedMailKeepsNoToken()
    {
        test::SmtpScenario scenario = smtpScenario();
        scenario.rcptCode = 550;
        test::FakeSmtpServer server(scenario, m_tls, test::FakeSmtpServer::Threading::OwnThread);
        QVERIFY(server.isListening());
        test::TempBackend tb(smtpConfig(server.port()));
        QVERIFY(tb.ok());
        QString firmId;
        QString ownerId;
        QVERIFY(createFirm(tb, firmId, ownerId));
        QVERIFY_THROWS_NO_EXCEPTION(tb.backend().auth().forgotPassword(kOwnerEmail, u"127.0.0.1"_s));
        tb.backend().outbox().waitForDelivery();
        for (int i = 1; i < identity::Outbox::kMaxAttempts; ++i) {
            const QList<OutboxRow> rows = outboxRows(tb.backend());
            QCOMPARE(rows.size(), 1);
            QCOMPARE(rows.constFirst().attempts, i);
            QVERIFY2(rows.constFirst().body.startsWith(u"gcm1:"_s),
                     qPrintable(rows.constFirst().body)); // kept, sealed, for the retry
            tb.clock().advanceMs(3600'000);
            tb.backend().outbox().flush();
            tb.backend().outbox().waitForDelivery();
        }
        server.stop();
        const QList<OutboxRow> rows = outboxRows(tb.backend());
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.constFirst().attempts, identity::Outbox::kMaxAttempts);
        QVERIFY(rows.constFirst().sentAt.isNull());
        QCOMPARE(rows.constFirst().body, QString());
        QCOMPARE(server.sessions().size(), identity::Outbox::kMaxAttempts);
    }

    void withoutSmtpMailStaysInOutbox()
    {
        // A server is listening on the configured port, but without a host SMTP is off: it must hear nothing.
        test::FakeSmtpServer server(smtpScenario(), m_tls, test::FakeSmtpServer::Threading::OwnThread);
        QVERIFY(server.isListening());
        Config config = smtpConfig(server.port());
        config.smtpHost.clear();
        test::TempBackend tb(config);
        QVERIFY(tb.ok());
        QString firmId;
        QString ownerId;
        QVERIFY(createFirm(tb, firmId, ownerId));

        QVERIFY_THROWS_NO_EXCEPTION(tb.backend().auth().forgotPassword(kOwnerEmail, u"127.0.0.1"_s));
        const auto invitation
            = tb.backend().accounts().invite(ownerActor(firmId, ownerId), {kAnalystEmail, u"Bob Analyst"_s, Role::Analyst});
        QVERIFY2(invitation.has_value(), qPrintable(invitation ? QString() : invitation.error().message));
        tb.backend().outbox().waitForDelivery();
        server.stop();
        const QList<test::SmtpSession> sessions = server.sessions();

        QVERIFY(sessions.isEmpty());
        const QList<OutboxRow> rows = outboxRows(tb.backend());
        QCOMPARE(rows.size(), 2);
        for (const auto &[to, subject] : {std::pair{kOwnerEmail, kResetSubject}, std::pair{kAnalystEmail, kInviteSubject}}) {
            const OutboxRow *row = rowTo(rows, to);
            QVERIFY2(row, qPrintable(to));
            QCOMPARE(row->subject, subject);
            // Without SMTP the .eml file is the delivery: the row is marked sent and keeps no body.
            QVERIFY2(!row->sentAt.isNull(), "the .eml drop is the delivery");
            QVERIFY2(row->lastError.isNull(), qPrintable(row->lastError.toString()));
            QCOMPARE(row->body, QString());
            const QString emlPath = QDir(tb.backend().outbox().directory()).filePath(row->emlFile);
            QVERIFY2(QFileInfo::exists(emlPath), qPrintable(emlPath));
            const QByteArray eml = readFile(emlPath);
            QCOMPARE(headerValue(eml, "To"), to);
            QCOMPARE(headerValue(eml, "Subject"), subject);
            QVERIFY(!tokenIn(decodedBodyOf(eml)).isEmpty());
        }
    }
};

QTEST_GUILESS_MAIN(TstOutboxSmtp)
#include "tst_outbox_smtp.moc"
