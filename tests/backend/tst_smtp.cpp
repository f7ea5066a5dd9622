// The SMTP client against a fake server that speaks the real protocol on 127.0.0.1, STARTTLS included
// (with a certificate made at run time). The client blocks, so it runs in a worker thread while the
// server runs on this thread's event loop.
#include "backend/mail/smtpclient.h"

#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QSslKey>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QThread>
#include <QTimeZone>
#include <QTimer>
#include <QtTest>

#include <memory>

using namespace kyc;
using namespace kyc::mail;

namespace {

const QDateTime kDate(QDate(2024, 3, 5), QTime(14, 7, 9), QTimeZone::utc());
const QString kUser = QStringLiteral("mailer@kyconnect.local");
const QString kPassword = QStringLiteral("s3cret-Pässw0rd!");

struct Scenario {
    bool offerStartTls = true;
    QByteArray authLine = "AUTH PLAIN LOGIN"; // advertised before and after TLS
    int rcptCode = 250;
    bool silent = false; // accepts the connection, never says a word
    bool injectAfterStartTls = false; // CVE-2011-0411: plaintext pipelined behind the 220
};

struct Command {
    QByteArray line;
    bool overTls = false;
};

// One connection's worth of a submission server (RFC 5321 + 3207 + 4954), recording what it saw.
class FakeSmtpServer final : public QTcpServer
{
public:
    FakeSmtpServer(Scenario scenario, QSslCertificate certificate, QSslKey key)
        : m_scenario(std::move(scenario))
        , m_certificate(std::move(certificate))
        , m_key(std::move(key))
    {
    }
    Q_DISABLE_COPY_MOVE(FakeSmtpServer)

    QList<Command> commands;
    QByteArray authMechanism;
    QByteArray authUser;
    QByteArray authPassword;
    QByteArray mailFrom;
    QList<QByteArray> rcptTo;
    QByteArray data;
    bool dataComplete = false;
    bool tlsEstablished = false;
    bool quit = false;

    [[nodiscard]] bool sawCommand(const QByteArray &verb) const
    {
        return std::any_of(commands.begin(), commands.end(), [&](const Command &c) { return c.line.toUpper().startsWith(verb); });
    }

protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto *socket = new QSslSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            return;
        }
        socket->setLocalCertificate(m_certificate);
        socket->setPrivateKey(m_key);
        socket->setPeerVerifyMode(QSslSocket::VerifyNone);
        connect(socket, &QSslSocket::encrypted, this, [this] { tlsEstablished = true; });
        connect(socket, &QSslSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QSslSocket::disconnected, socket, &QObject::deleteLater);
        if (!m_scenario.silent)
            socket->write("220 fake.test ESMTP ready\r\n");
    }

private:
    enum class State { Command, Data, AuthPlain, AuthLoginUser, AuthLoginPassword };

    void onReadyRead(QSslSocket *socket)
    {
        while (socket->canReadLine()) {
            QByteArray line = socket->readLine();
            line.chop(line.endsWith("\r\n") ? 2 : 1);
            if (!handle(socket, line))
                return;
        }
    }

    // Returns false when the socket must not be read further now (TLS starting, closing).
    bool handle(QSslSocket *socket, const QByteArray &line)
    {
        switch (m_state) {
        case State::Data:
            if (line == ".") {
                dataComplete = true;
                m_state = State::Command;
                socket->write("250 2.0.0 Ok: queued as FAKE123\r\n");
            } else {
                data += (line.startsWith('.') ? line.mid(1) : line) + "\r\n";
            }
            return true;
        case State::AuthPlain: m_state = State::Command; return checkPlain(socket, line);
        case State::AuthLoginUser:
            authUser = QByteArray::fromBase64(line);
            m_state = State::AuthLoginPassword;
            socket->write("334 UGFzc3dvcmQ6\r\n");
            return true;
        case State::AuthLoginPassword:
            authPassword = QByteArray::fromBase64(line);
            m_state = State::Command;
            socket->write(credentialsOk() ? "235 2.7.0 Authentication successful\r\n" : "535 5.7.8 Bad credentials\r\n");
            return true;
        case State::Command: break;
        }

        commands.append({line, socket->isEncrypted()});
        const QList<QByteArray> words = line.split(' ');
        const QByteArray verb = words.constFirst().toUpper();
        if (verb == "EHLO") {
            QList<QByteArray> lines{"fake.test greets you"};
            if (m_scenario.offerStartTls && !socket->isEncrypted())
                lines.append("STARTTLS");
            lines.append("SIZE 10485760");
            lines.append("8BITMIME");
            if (!m_scenario.authLine.isEmpty())
                lines.append(m_scenario.authLine);
            QByteArray reply;
            for (qsizetype i = 0; i < lines.size(); ++i)
                reply += "250" + QByteArray(i + 1 < lines.size() ? "-" : " ") + lines.at(i) + "\r\n";
            socket->write(reply);
        } else if (verb == "STARTTLS" && m_scenario.offerStartTls && !socket->isEncrypted()) {
            socket->write("220 2.0.0 Ready to start TLS\r\n");
            if (m_scenario.injectAfterStartTls)
                socket->write("250 2.0.0 injected in the clear\r\n");
            socket->flush();
            socket->startServerEncryption();
            return false;
        } else if (verb == "AUTH" && words.size() >= 2) {
            authMechanism = words.at(1).toUpper();
            if (authMechanism == "PLAIN" && words.size() >= 3)
                return checkPlain(socket, words.at(2));
            if (authMechanism == "PLAIN") {
                m_state = State::AuthPlain;
                socket->write("334 \r\n");
            } else if (authMechanism == "LOGIN") {
                m_state = State::AuthLoginUser;
                socket->write("334 VXNlcm5hbWU6\r\n");
            } else {
                socket->write("504 5.5.4 Unrecognized authentication type\r\n");
            }
        } else if (line.toUpper().startsWith("MAIL FROM:")) {
            mailFrom = line.mid(10);
            socket->write("250 2.1.0 Ok\r\n");
        } else if (line.toUpper().startsWith("RCPT TO:")) {
            rcptTo.append(line.mid(8));
            socket->write(m_scenario.rcptCode == 250
                              ? QByteArray("250 2.1.5 Ok\r\n")
                              : QByteArray(QByteArray::number(m_scenario.rcptCode) + " 5.1.1 " + line.mid(8)
                                           + ": Recipient address rejected: User unknown\r\n"));
        } else if (verb == "DATA") {
            m_state = State::Data;
            socket->write("354 End data with <CR><LF>.<CR><LF>\r\n");
        } else if (verb == "QUIT") {
            quit = true;
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

    bool checkPlain(QSslSocket *socket, const QByteArray &base64)
    {
        const QList<QByteArray> parts = QByteArray::fromBase64(base64).split('\0');
        if (parts.size() == 3) {
            authUser = parts.at(1);
            authPassword = parts.at(2);
        }
        socket->write(parts.size() == 3 && parts.at(0).isEmpty() && credentialsOk() ? "235 2.7.0 Authentication successful\r\n"
                                                                                    : "535 5.7.8 Bad credentials\r\n");
        return true;
    }

    [[nodiscard]] bool credentialsOk() const { return authUser == kUser.toUtf8() && authPassword == kPassword.toUtf8(); }

    Scenario m_scenario;
    QSslCertificate m_certificate;
    QSslKey m_key;
    State m_state = State::Command;
};

Message sampleMessage()
{
    Message m;
    m.from = QStringLiteral("KYConnect <no-reply@kyconnect.local>");
    m.to = {QStringLiteral("Alice <alice@example.com>")};
    m.subject = QStringLiteral("Prüfung ✓");
    m.textBody = QStringLiteral("Hello Alice,\n"
                                ".this line starts with a dot\n"
                                ".\n"
                                "..two dots\n"
                                "Grüße – ✓\n")
        + QString(120, QLatin1Char('x')) + QStringLiteral("\nend.\n");
    m.messageId = QStringLiteral("<smtp-test@kyconnect.local>");
    return m;
}

} // namespace

class TstSmtp : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QSslCertificate m_certificate;
    QSslKey m_key;

    SmtpConfig config(const FakeSmtpServer &server) const
    {
        SmtpConfig c;
        c.host = QStringLiteral("127.0.0.1");
        c.port = server.serverPort();
        c.username = kUser;
        c.password = kPassword;
        c.extraCaCertificates = {m_certificate};
        c.timeoutMs = 5000;
        return c;
    }

    // Runs the blocking client in a worker thread while this thread's event loop serves it.
    static Status send(const SmtpConfig &c, const Message &m)
    {
        Status result;
        std::unique_ptr<QThread> worker(QThread::create([&] { result = sendSmtp(c, m, kDate); }));
        QEventLoop loop;
        QObject::connect(worker.get(), &QThread::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(60000, &loop, &QEventLoop::quit);
        worker->start();
        loop.exec();
        worker->wait();
        // Let the server see the client's last bytes and the close.
        QTest::qWait(50);
        return result;
    }

    static QString failureText(const Status &s) { return s ? QStringLiteral("(succeeded)") : s.error().message; }

private slots:
    void initTestCase()
    {
        if (!QSslSocket::supportsSsl())
            QSKIP("no TLS backend");
        const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
        if (openssl.isEmpty())
            QSKIP("the openssl command is needed to make a test certificate");
        QVERIFY(m_dir.isValid());
        const QString keyPath = m_dir.filePath(QStringLiteral("key.pem"));
        const QString certPath = m_dir.filePath(QStringLiteral("cert.pem"));
        QProcess p;
        p.start(openssl,
                {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("ec"),
                 QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                 QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"),
                 QStringLiteral("subjectAltName=IP:127.0.0.1"), QStringLiteral("-days"), QStringLiteral("1"),
                 QStringLiteral("-keyout"), keyPath, QStringLiteral("-out"), certPath});
        QVERIFY(p.waitForFinished(30000));
        QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, p.readAllStandardError().constData());

        QFile keyFile(keyPath);
        QVERIFY(keyFile.open(QIODevice::ReadOnly));
        m_key = QSslKey(keyFile.readAll(), QSsl::Ec, QSsl::Pem, QSsl::PrivateKey);
        QVERIFY(!m_key.isNull());
        const QList<QSslCertificate> certs = QSslCertificate::fromPath(certPath);
        QCOMPARE(certs.size(), 1);
        m_certificate = certs.constFirst();
    }

    void deliversOverStartTlsWithAuthPlain()
    {
        FakeSmtpServer server({}, m_certificate, m_key);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        const Message message = sampleMessage();

        const Status s = send(config(server), message);
        QVERIFY2(s.has_value(), qPrintable(failureText(s)));

        // The certificate was trusted only through extraCaCertificates (see untrustedCertificateFails).
        QVERIFY(server.tlsEstablished);
        QCOMPARE(server.authMechanism, QByteArray("PLAIN"));
        QCOMPARE(server.authUser, kUser.toUtf8());
        QCOMPARE(server.authPassword, kPassword.toUtf8());

        // Before TLS: EHLO and STARTTLS only. AUTH and everything after it came over TLS.
        QVERIFY(server.commands.size() >= 7);
        QCOMPARE(server.commands.at(0).line, QByteArray("EHLO kyconnect.local"));
        QVERIFY(!server.commands.at(0).overTls);
        QCOMPARE(server.commands.at(1).line, QByteArray("STARTTLS"));
        QVERIFY(!server.commands.at(1).overTls);
        QCOMPARE(server.commands.at(2).line, QByteArray("EHLO kyconnect.local"));
        for (qsizetype i = 2; i < server.commands.size(); ++i)
            QVERIFY2(server.commands.at(i).overTls, server.commands.at(i).line.constData());
        QVERIFY(server.commands.at(3).line.startsWith("AUTH PLAIN "));

        QCOMPARE(server.mailFrom, QByteArray("<no-reply@kyconnect.local>"));
        QCOMPARE(server.rcptTo, QList<QByteArray>{"<alice@example.com>"});
        QVERIFY(server.dataComplete);
        QVERIFY(server.quit);

        // Intact after dot-stuffing and un-stuffing: byte for byte what toEml() made.
        QCOMPARE(server.data, toEml(message, kDate));
        QVERIFY(server.data.contains("\r\n.this line starts with a dot\r\n"));
        QVERIFY(server.data.contains("\r\n.\r\n"));
        QVERIFY(server.data.contains("\r\n..two dots\r\n"));
    }

    void authLoginWhenOnlyLoginIsOffered()
    {
        Scenario scenario;
        scenario.authLine = "AUTH LOGIN";
        FakeSmtpServer server(scenario, m_certificate, m_key);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        Message message = sampleMessage();
        message.to.append(QStringLiteral("bob@example.org"));

        const Status s = send(config(server), message);
        QVERIFY2(s.has_value(), qPrintable(failureText(s)));
        QCOMPARE(server.authMechanism, QByteArray("LOGIN"));
        QCOMPARE(server.authUser, kUser.toUtf8());
        QCOMPARE(server.authPassword, kPassword.toUtf8());
        QCOMPARE(server.rcptTo, (QList<QByteArray>{"<alice@example.com>", "<bob@example.org>"}));
        QCOMPARE(server.data, toEml(message, kDate));
    }

    void noStartTlsFailsWhenRequired()
    {
        Scenario scenario;
        scenario.offerStartTls = false;
        FakeSmtpServer server(scenario, m_certificate, m_key);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));

        const Status s = send(config(server), sampleMessage());
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Unavailable);
        QVERIFY2(s.error().message.contains(QLatin1String("STARTTLS")), qPrintable(s.error().message));
        QVERIFY(!server.sawCommand("AUTH"));
        QVERIFY(!server.sawCommand("MAIL FROM"));
        QVERIFY(!server.sawCommand("STARTTLS"));
        QVERIFY(!server.tlsEstablished);
    }

    void noCredentialsWithoutTls()
    {
        // Even when plaintext is allowed, credentials never travel in the clear.
        Scenario scenario;
        scenario.offerStartTls = false;
        FakeSmtpServer server(scenario, m_certificate, m_key);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        SmtpConfig c = config(server);
        c.requireStartTls = false;

        const Status s = send(c, sampleMessage());
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Unavailable);
        QVERIFY(!server.sawCommand("AUTH"));
        QVERIFY(!server.sawCommand("MAIL FROM"));
    }

    void plaintextRelayWhenAllowed()
    {
        Scenario scenario;
        scenario.offerStartTls = false;
        scenario.authLine.clear();
        FakeSmtpServer server(scenario, m_certificate, m_key);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        SmtpConfig c = config(server);
        c.requireStartTls = false;
        c.username.clear();
        c.password.clear();
        const Message message = sampleMessage();

        const Status s = send(c, message);
        QVERIFY2(s.has_value(), qPrintable(failureText(s)));
        QVERIFY(!server.tlsEstablished);
        QVERIFY(!server.sawCommand("AUTH"));
        QCOMPARE(server.data, toEml(message, kDate));
    }

    void rejectedRecipientFails()
    {
        Scenario scenario;
        scenario.rcptCode = 550;
        FakeSmtpServer server(scenario, m_certificate, m_key);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));

        const Status s = send(config(server), sampleMessage());
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Unavailable);
        const QString text = s.error().message;
        QVERIFY2(text.contains(QLatin1String("550")), qPrintable(text));
        QVERIFY2(text.contains(QLatin1String("User unknown")), qPrintable(text));
        QVERIFY(!text.contains(kPassword));
        QVERIFY(!text.contains(QString::fromLatin1(kPassword.toUtf8().toBase64())));
        QVERIFY(server.sawCommand("AUTH"));
        QVERIFY(!server.sawCommand("DATA"));
        QVERIFY(server.quit);
    }

    void untrustedCertificateFails()
    {
        FakeSmtpServer server({}, m_certificate, m_key);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        SmtpConfig c = config(server);
        c.extraCaCertificates.clear();

        const Status s = send(c, sampleMessage());
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Unavailable);
        QVERIFY2(s.error().message.contains(QLatin1String("TLS")), qPrintable(s.error().message));
        QVERIFY(!server.tlsEstablished);
        QVERIFY(!server.sawCommand("AUTH"));
        QVERIFY(!server.sawCommand("MAIL FROM"));
    }

    void verifyPeerOffAcceptsUnknownCertificate()
    {
        FakeSmtpServer server({}, m_certificate, m_key);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        SmtpConfig c = config(server);
        c.extraCaCertificates.clear();
        c.verifyPeer = false;

        const Status s = send(c, sampleMessage());
        QVERIFY2(s.has_value(), qPrintable(failureText(s)));
        QVERIFY(server.tlsEstablished);
    }

    void plaintextInjectedAfterStartTlsFails()
    {
        Scenario scenario;
        scenario.injectAfterStartTls = true;
        FakeSmtpServer server(scenario, m_certificate, m_key);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));

        const Status s = send(config(server), sampleMessage());
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Unavailable);
        QVERIFY(!server.sawCommand("AUTH"));
    }

    void silentServerTimesOut()
    {
        Scenario scenario;
        scenario.silent = true;
        FakeSmtpServer server(scenario, m_certificate, m_key);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        SmtpConfig c = config(server);
        c.timeoutMs = 500;

        const Status s = send(c, sampleMessage());
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Unavailable);
        QVERIFY2(s.error().message.contains(QLatin1String("500 ms")), qPrintable(s.error().message));
        QVERIFY(server.commands.isEmpty());
    }

    void invalidMessageIsNotSent()
    {
        FakeSmtpServer server({}, m_certificate, m_key);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        Message message = sampleMessage();
        message.to = {QStringLiteral("a@b\r\nBcc: x@y")};

        const Status s = send(config(server), message);
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Validation);
        QVERIFY(server.commands.isEmpty());
    }

    void disabledWithoutHost()
    {
        const Status s = sendSmtp(SmtpConfig{}, sampleMessage(), kDate);
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, ErrorCode::Validation);
    }

    void dotStuffing_data()
    {
        QTest::addColumn<QByteArray>("in");
        QTest::addColumn<QByteArray>("out");
        QTest::newRow("leading dot") << QByteArray(".a\r\nb\r\n") << QByteArray("..a\r\nb\r\n");
        QTest::newRow("lone dot") << QByteArray("a\r\n.\r\nb\r\n") << QByteArray("a\r\n..\r\nb\r\n");
        QTest::newRow("dot mid-line") << QByteArray("a.b\r\n") << QByteArray("a.b\r\n");
        QTest::newRow("bare LF and no final end") << QByteArray("a\n.b") << QByteArray("a\r\n..b\r\n");
    }

    void dotStuffing()
    {
        QFETCH(QByteArray, in);
        QFETCH(QByteArray, out);
        QCOMPARE(dotStuffed(in), out);
    }
};

QTEST_GUILESS_MAIN(TstSmtp)
#include "tst_smtp.moc"
