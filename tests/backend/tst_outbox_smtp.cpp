// The mail outbox end to end through the real services: AuthService::forgotPassword and
// AccountService::invite queue mail in their transactions, the outbox writes the .eml files and
// delivers them on its worker thread with the real SMTP client, built by Backend from Config, to a
// fake STARTTLS submission server on 127.0.0.1 (certificate made at run time, trusted only through
// Config::smtpCaFile). The fake server runs on a thread of its own, so the test thread can block in
// Outbox::waitForDelivery() while the worker talks to it.
#include "backend/identity/accountservice.h"
#include "backend/identity/authservice.h"
#include "backend/identity/outbox.h"
#include "tests/testsupport/testsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMutex>
#include <QProcess>
#include <QRegularExpression>
#include <QSemaphore>
#include <QSqlQuery>
#include <QSslKey>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <algorithm>
#include <memory>

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

struct Scenario {
    int rcptCode = 250;
    // A careless server quoting what it was sent: the rejection repeats the credentials, raw and base64.
    bool echoCredentials = false;
};

struct Command {
    QByteArray line;
    bool overTls = false;
};

// What the fake server saw on one connection.
struct SmtpSession {
    QList<Command> commands;
    bool tlsEstablished = false;
    QByteArray authMechanism;
    QByteArray authUser;
    QByteArray authPassword;
    QByteArray mailFrom;
    QList<QByteArray> rcptTo;
    QByteArray data;
    bool dataComplete = false;
    bool quit = false;

    [[nodiscard]] qsizetype indexOf(const QByteArray &verb) const
    {
        for (qsizetype i = 0; i < commands.size(); ++i) {
            if (commands.at(i).line.toUpper().startsWith(verb))
                return i;
        }
        return -1;
    }
    [[nodiscard]] bool sawCommand(const QByteArray &verb) const { return indexOf(verb) >= 0; }
};

// A submission server (RFC 5321 + 3207 + 4954) recording every connection. Lives in its thread.
class FakeSmtpServer final : public QTcpServer
{
public:
    FakeSmtpServer(Scenario scenario, QSslCertificate certificate, QSslKey key)
        : m_scenario(scenario)
        , m_certificate(std::move(certificate))
        , m_key(std::move(key))
    {
    }
    Q_DISABLE_COPY_MOVE(FakeSmtpServer)

    QList<SmtpSession> sessions;

protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto *socket = new QSslSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            return;
        }
        const qsizetype index = sessions.size();
        sessions.append(SmtpSession{});
        auto state = std::make_shared<State>(State::Command);
        socket->setLocalCertificate(m_certificate);
        socket->setPrivateKey(m_key);
        socket->setPeerVerifyMode(QSslSocket::VerifyNone);
        connect(socket, &QSslSocket::encrypted, this, [this, index] { sessions[index].tlsEstablished = true; });
        connect(socket, &QSslSocket::readyRead, this, [this, socket, index, state] {
            while (socket->canReadLine()) {
                QByteArray line = socket->readLine();
                line.chop(line.endsWith("\r\n") ? 2 : 1);
                if (!handle(socket, sessions[index], *state, line))
                    return;
            }
        });
        connect(socket, &QSslSocket::disconnected, socket, &QObject::deleteLater);
        socket->write("220 fake.test ESMTP ready\r\n");
    }

private:
    enum class State { Command, Data, AuthPlain, AuthLoginUser, AuthLoginPassword };

    // Returns false when the socket must not be read further now (TLS starting, closing).
    bool handle(QSslSocket *socket, SmtpSession &s, State &state, const QByteArray &line)
    {
        switch (state) {
        case State::Data:
            if (line == ".") {
                s.dataComplete = true;
                state = State::Command;
                socket->write("250 2.0.0 Ok: queued as FAKE123\r\n");
            } else {
                s.data += (line.startsWith('.') ? line.mid(1) : line) + "\r\n";
            }
            return true;
        case State::AuthPlain: state = State::Command; return checkPlain(socket, s, line);
        case State::AuthLoginUser:
            s.authUser = QByteArray::fromBase64(line);
            state = State::AuthLoginPassword;
            socket->write("334 UGFzc3dvcmQ6\r\n");
            return true;
        case State::AuthLoginPassword:
            s.authPassword = QByteArray::fromBase64(line);
            state = State::Command;
            socket->write(credentialsOk(s) ? "235 2.7.0 Authentication successful\r\n" : "535 5.7.8 Bad credentials\r\n");
            return true;
        case State::Command: break;
        }

        s.commands.append({line, socket->isEncrypted()});
        const QList<QByteArray> words = line.split(' ');
        const QByteArray verb = words.constFirst().toUpper();
        if (verb == "EHLO") {
            QList<QByteArray> lines{"fake.test greets you"};
            if (!socket->isEncrypted())
                lines.append("STARTTLS");
            lines.append("SIZE 10485760");
            lines.append("8BITMIME");
            lines.append("AUTH PLAIN LOGIN");
            QByteArray reply;
            for (qsizetype i = 0; i < lines.size(); ++i)
                reply += "250" + QByteArray(i + 1 < lines.size() ? "-" : " ") + lines.at(i) + "\r\n";
            socket->write(reply);
        } else if (verb == "STARTTLS" && !socket->isEncrypted()) {
            socket->write("220 2.0.0 Ready to start TLS\r\n");
            socket->flush();
            socket->startServerEncryption();
            return false;
        } else if (verb == "AUTH" && words.size() >= 2) {
            s.authMechanism = words.at(1).toUpper();
            if (s.authMechanism == "PLAIN" && words.size() >= 3)
                return checkPlain(socket, s, words.at(2));
            if (s.authMechanism == "PLAIN") {
                state = State::AuthPlain;
                socket->write("334 \r\n");
            } else if (s.authMechanism == "LOGIN") {
                state = State::AuthLoginUser;
                socket->write("334 VXNlcm5hbWU6\r\n");
            } else {
                socket->write("504 5.5.4 Unrecognized authentication type\r\n");
            }
        } else if (line.toUpper().startsWith("MAIL FROM:")) {
            s.mailFrom = line.mid(10);
            socket->write("250 2.1.0 Ok\r\n");
        } else if (line.toUpper().startsWith("RCPT TO:")) {
            s.rcptTo.append(line.mid(8));
            QByteArray reply = "250 2.1.5 Ok";
            if (m_scenario.rcptCode != 250) {
                reply = QByteArray::number(m_scenario.rcptCode) + " 5.1.1 " + line.mid(8)
                    + ": Recipient address rejected: User unknown in virtual mailbox table";
                if (m_scenario.echoCredentials) {
                    const qsizetype auth = s.indexOf("AUTH");
                    reply += " (you said " + s.authPassword + " " + s.authPassword.toBase64() + " "
                        + (auth >= 0 ? s.commands.at(auth).line : QByteArray()) + ")";
                }
            }
            socket->write(reply + "\r\n");
        } else if (verb == "DATA") {
            state = State::Data;
            socket->write("354 End data with <CR><LF>.<CR><LF>\r\n");
        } else if (verb == "QUIT") {
            s.quit = true;
            socket->write("221 2.0.0 Bye\r\n");
            socket->disconnectFromHost();
            return false;
        } else if (verb == "RSET" || verb == "NOOP") {
            socket->write("250 2.0.0 Ok\r\n");
        } else {
            socket->write("502 5.5.2 Error: command not recognized\r\n");
        }
        return true;
    }

    static bool checkPlain(QSslSocket *socket, SmtpSession &s, const QByteArray &base64)
    {
        const QList<QByteArray> parts = QByteArray::fromBase64(base64).split('\0');
        if (parts.size() == 3) {
            s.authUser = parts.at(1);
            s.authPassword = parts.at(2);
        }
        socket->write(parts.size() == 3 && parts.at(0).isEmpty() && credentialsOk(s) ? "235 2.7.0 Authentication successful\r\n"
                                                                                     : "535 5.7.8 Bad credentials\r\n");
        return true;
    }

    [[nodiscard]] static bool credentialsOk(const SmtpSession &s)
    {
        return s.authUser == kSmtpUser.toUtf8() && s.authPassword == kSmtpPassword.toUtf8();
    }

    Scenario m_scenario;
    QSslCertificate m_certificate;
    QSslKey m_key;
};

// Runs a FakeSmtpServer on its own event loop. What it recorded is read after stop(), once the thread
// has finished (QThread::wait() orders those writes before the reads).
class SmtpServerThread final : public QThread
{
public:
    SmtpServerThread(Scenario scenario, QSslCertificate certificate, QSslKey key)
        : m_scenario(scenario)
        , m_certificate(std::move(certificate))
        , m_key(std::move(key))
    {
    }
    ~SmtpServerThread() override { stop(); }
    Q_DISABLE_COPY_MOVE(SmtpServerThread)

    [[nodiscard]] bool startServer()
    {
        start();
        m_ready.acquire();
        return m_port != 0;
    }
    [[nodiscard]] quint16 port() const { return m_port; }

    QList<SmtpSession> stop()
    {
        if (isRunning()) {
            quit();
            wait();
        }
        return m_sessions;
    }

protected:
    void run() override
    {
        {
            FakeSmtpServer server(m_scenario, m_certificate, m_key);
            if (server.listen(QHostAddress::LocalHost, 0))
                m_port = server.serverPort();
            m_ready.release();
            if (m_port == 0)
                return;
            exec();
            m_sessions = server.sessions;
        }
    }

private:
    Scenario m_scenario;
    QSslCertificate m_certificate;
    QSslKey m_key;
    QSemaphore m_ready;
    quint16 m_port = 0;
    QList<SmtpSession> m_sessions;
};

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
    QTemporaryDir m_dir;
    QString m_certPath;
    QSslCertificate m_certificate;
    QSslKey m_key;

    [[nodiscard]] Config smtpConfig(quint16 port) const
    {
        Config c = test::testConfig();
        c.smtpHost = u"127.0.0.1"_s;
        c.smtpPort = port;
        c.smtpUser = kSmtpUser;
        c.smtpPassword = kSmtpPassword;
        c.smtpCaFile = m_certPath;
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

    static const SmtpSession *sessionTo(const QList<SmtpSession> &sessions, const QString &to)
    {
        const QList<QByteArray> rcpt{'<' + to.toUtf8() + '>'};
        const auto it = std::find_if(sessions.begin(), sessions.end(), [&](const SmtpSession &s) { return s.rcptTo == rcpt; });
        return it == sessions.end() ? nullptr : &*it;
    }

    // EHLO and STARTTLS in the clear, then the handshake, then everything (AUTH first) over TLS with the
    // configured credentials.
    static void verifyTlsThenAuth(const SmtpSession &s)
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
    void initTestCase()
    {
        if (!QSslSocket::supportsSsl())
            QSKIP("no TLS backend");
        const QString openssl = QStandardPaths::findExecutable(u"openssl"_s);
        if (openssl.isEmpty())
            QSKIP("the openssl command is needed to make a test certificate");
        QVERIFY(m_dir.isValid());
        const QString keyPath = m_dir.filePath(u"key.pem"_s);
        m_certPath = m_dir.filePath(u"cert.pem"_s);
        QProcess p;
        p.start(openssl,
                {u"req"_s, u"-x509"_s, u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s, u"ec_paramgen_curve:prime256v1"_s, u"-nodes"_s,
                 u"-subj"_s, u"/CN=127.0.0.1"_s, u"-addext"_s, u"subjectAltName=IP:127.0.0.1"_s, u"-days"_s, u"1"_s, u"-keyout"_s,
                 keyPath, u"-out"_s, m_certPath});
        QVERIFY(p.waitForFinished(30000));
        QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, p.readAllStandardError().constData());

        QFile keyFile(keyPath);
        QVERIFY(keyFile.open(QIODevice::ReadOnly));
        m_key = QSslKey(keyFile.readAll(), QSsl::Ec, QSsl::Pem, QSsl::PrivateKey);
        QVERIFY(!m_key.isNull());
        const QList<QSslCertificate> certs = QSslCertificate::fromPath(m_certPath);
        QCOMPARE(certs.size(), 1);
        m_certificate = certs.constFirst();
    }

    void deliversResetAndInvitationOverStartTls()
    {
        SmtpServerThread server({}, m_certificate, m_key);
        QVERIFY(server.startServer());
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
        const QList<SmtpSession> sessions = server.stop();

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

            // The token in the row is the real single-use token: its hash is the one stored.
            const QString token = tokenIn(row->body);
            QVERIFY2(!token.isEmpty(), qPrintable(row->body));
            QCOMPARE(e.tokenHashes, QStringList{sha256Hex(token)});

            // The .eml file holds the same mail.
            const QString emlPath = QDir(outboxDir).filePath(row->emlFile);
            QVERIFY2(QFileInfo::exists(emlPath), qPrintable(emlPath));
            const QByteArray eml = readFile(emlPath);
            QVERIFY(!eml.isEmpty());
            QCOMPARE(headerValue(eml, "To"), e.to);
            QCOMPARE(headerValue(eml, "Subject"), e.subject);
            QCOMPARE(tokenIn(decodedBodyOf(eml)), token);

            // And the server received exactly that mail, for that recipient only, over TLS after AUTH.
            const SmtpSession *s = sessionTo(sessions, e.to);
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
        Scenario scenario;
        scenario.rcptCode = 550;
        SmtpServerThread server(scenario, m_certificate, m_key);
        QVERIFY(server.startServer());
        test::TempBackend tb(smtpConfig(server.port()));
        QVERIFY(tb.ok());
        QString firmId;
        QString ownerId;
        QVERIFY(createFirm(tb, firmId, ownerId));

        QVERIFY_THROWS_NO_EXCEPTION(tb.backend().auth().forgotPassword(kOwnerEmail, u"127.0.0.1"_s));
        tb.backend().outbox().waitForDelivery();
        const QList<SmtpSession> sessions = server.stop();

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

        // The .eml file is still there, with the token whose hash was stored.
        const QString token = tokenIn(row.body);
        QVERIFY(!token.isEmpty());
        QCOMPARE(tokenHashes(tb.backend(), u"SELECT token_hash FROM password_resets"_s), QStringList{sha256Hex(token)});
        const QString emlPath = QDir(tb.backend().outbox().directory()).filePath(row.emlFile);
        QVERIFY2(QFileInfo::exists(emlPath), qPrintable(emlPath));
        QCOMPARE(tokenIn(decodedBodyOf(readFile(emlPath))), token);

        // One attempt: TLS, AUTH, the refused RCPT, no DATA, a polite QUIT.
        QCOMPARE(sessions.size(), 1);
        const SmtpSession &s = sessions.constFirst();
        verifyTlsThenAuth(s);
        QCOMPARE(s.rcptTo, QList<QByteArray>{'<' + kOwnerEmail.toUtf8() + '>'});
        QVERIFY(!s.sawCommand("DATA"));
        QVERIFY(s.data.isEmpty());
        QVERIFY(s.quit);
    }

    void rejectionQuotingCredentialsIsRedacted()
    {
        // The server's reply is stored in last_error; credentials it quotes back must not be.
        Scenario scenario;
        scenario.rcptCode = 550;
        scenario.echoCredentials = true;
        SmtpServerThread server(scenario, m_certificate, m_key);
        QVERIFY(server.startServer());
        test::TempBackend tb(smtpConfig(server.port()));
        QVERIFY(tb.ok());
        QString firmId;
        QString ownerId;
        QVERIFY(createFirm(tb, firmId, ownerId));

        QVERIFY_THROWS_NO_EXCEPTION(tb.backend().auth().forgotPassword(kOwnerEmail, u"127.0.0.1"_s));
        tb.backend().outbox().waitForDelivery();
        const QList<SmtpSession> sessions = server.stop();
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

    void withoutSmtpMailStaysInOutbox()
    {
        // A server is listening on the configured port, but without a host SMTP is off: it must hear nothing.
        SmtpServerThread server({}, m_certificate, m_key);
        QVERIFY(server.startServer());
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
        const QList<SmtpSession> sessions = server.stop();

        QVERIFY(sessions.isEmpty());
        const QList<OutboxRow> rows = outboxRows(tb.backend());
        QCOMPARE(rows.size(), 2);
        for (const auto &[to, subject] : {std::pair{kOwnerEmail, kResetSubject}, std::pair{kAnalystEmail, kInviteSubject}}) {
            const OutboxRow *row = rowTo(rows, to);
            QVERIFY2(row, qPrintable(to));
            QCOMPARE(row->subject, subject);
            QVERIFY2(row->sentAt.isNull(), qPrintable(row->sentAt.toString()));
            QVERIFY2(row->lastError.isNull(), qPrintable(row->lastError.toString()));
            const QString token = tokenIn(row->body);
            QVERIFY(!token.isEmpty());
            const QString emlPath = QDir(tb.backend().outbox().directory()).filePath(row->emlFile);
            QVERIFY2(QFileInfo::exists(emlPath), qPrintable(emlPath));
            const QByteArray eml = readFile(emlPath);
            QCOMPARE(headerValue(eml, "To"), to);
            QCOMPARE(headerValue(eml, "Subject"), subject);
            QCOMPARE(tokenIn(decodedBodyOf(eml)), token);
        }
    }
};

QTEST_GUILESS_MAIN(TstOutboxSmtp)
#include "tst_outbox_smtp.moc"
