#include "tests/testsupport/fakesmtpserver.h"

#include <QFile>
#include <QHostAddress>
#include <QMutex>
#include <QProcess>
#include <QSemaphore>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTest>
#include <QThread>

#include <functional>
#include <utility>

namespace kyc::test {

namespace {

// A QTcpServer that hands each accepted descriptor to a callback (which makes a QSslSocket of it).
class DescriptorServer final : public QTcpServer
{
public:
    DescriptorServer(std::function<void(qintptr)> onConnection, QObject *parent)
        : QTcpServer(parent)
        , m_onConnection(std::move(onConnection))
    {
    }
    Q_DISABLE_COPY_MOVE(DescriptorServer)

protected:
    void incomingConnection(qintptr descriptor) override { m_onConnection(descriptor); }

private:
    std::function<void(qintptr)> m_onConnection;
};

enum class State { Command, Data, AuthPlain, AuthLoginUser, AuthLoginPassword };

// What the connection does once the reply is written.
enum class After { Read, StartTls, Close };

struct Reply {
    QByteArray text;
    After after = After::Read;
};

const QByteArray kAuthOk = "235 2.7.0 Authentication successful\r\n";
const QByteArray kAuthBad = "535 5.7.8 Bad credentials\r\n";

} // namespace

QString TestCertificate::unavailableReason()
{
    if (!QSslSocket::supportsSsl())
        return QStringLiteral("no TLS backend");
    if (QStandardPaths::findExecutable(QStringLiteral("openssl")).isEmpty())
        return QStringLiteral("the openssl command is needed to make a test certificate");
    return {};
}

QString TestCertificate::create()
{
    if (!m_dir.isValid())
        return QStringLiteral("no temporary directory: ") + m_dir.errorString();
    const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
    if (openssl.isEmpty())
        return QStringLiteral("no openssl command");
    const QString keyPath = m_dir.filePath(QStringLiteral("key.pem"));
    const QString certificatePath = m_dir.filePath(QStringLiteral("cert.pem"));
    QProcess p;
    p.start(openssl,
            {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("ec"),
             QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
             QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"),
             QStringLiteral("subjectAltName=IP:127.0.0.1"), QStringLiteral("-days"), QStringLiteral("1"),
             QStringLiteral("-keyout"), keyPath, QStringLiteral("-out"), certificatePath});
    if (!p.waitForFinished(30000))
        return QStringLiteral("openssl did not finish: ") + p.errorString();
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return QStringLiteral("openssl failed: ") + QString::fromLocal8Bit(p.readAllStandardError());

    QFile keyFile(keyPath);
    if (!keyFile.open(QIODevice::ReadOnly))
        return QStringLiteral("cannot read %1: %2").arg(keyPath, keyFile.errorString());
    m_key = QSslKey(keyFile.readAll(), QSsl::Ec, QSsl::Pem, QSsl::PrivateKey);
    if (m_key.isNull())
        return QStringLiteral("%1 holds no EC private key").arg(keyPath);
    const QList<QSslCertificate> certificates = QSslCertificate::fromPath(certificatePath);
    if (certificates.size() != 1)
        return QStringLiteral("%1 holds %2 certificates, not one").arg(certificatePath).arg(certificates.size());
    m_certificate = certificates.constFirst();
    m_certificatePath = certificatePath;
    return {};
}

void TestCertificate::createOrSkip()
{
    if (const QString reason = unavailableReason(); !reason.isEmpty())
        QSKIP(qPrintable(reason));
    const QString error = create();
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

qsizetype SmtpSession::indexOf(const QByteArray &verb) const
{
    for (qsizetype i = 0; i < commands.size(); ++i) {
        if (commands.at(i).line.toUpper().startsWith(verb))
            return i;
    }
    return -1;
}

struct FakeSmtpServer::Impl {
    SmtpScenario scenario;
    QByteArray user; // scenario's, UTF-8
    QByteArray password;
    QSslCertificate certificate;
    QSslKey key;
    std::unique_ptr<QThread> thread; // none: the caller's thread
    QObject *context = nullptr; // on the server's thread: parent of the server and its sockets; null once stopped
    quint16 port = 0;

    mutable QMutex mutex; // guards `sessions`: the protocol runs on the server's thread, tests read on theirs
    QList<SmtpSession> sessions;

    void listen();
    void accept(qintptr descriptor);
    // One line from the client: what the session records, what the server answers. Under `mutex`.
    [[nodiscard]] Reply handle(SmtpSession &s, State &state, bool encrypted, const QByteArray &line) const;
    [[nodiscard]] Reply checkPlain(SmtpSession &s, const QByteArray &base64) const;
    [[nodiscard]] bool credentialsOk(const SmtpSession &s) const { return s.authUser == user && s.authPassword == password; }
};

void FakeSmtpServer::Impl::listen()
{
    auto *server = new DescriptorServer([this](qintptr descriptor) { accept(descriptor); }, context);
    if (server->listen(QHostAddress::LocalHost, 0))
        port = server->serverPort();
}

void FakeSmtpServer::Impl::accept(qintptr descriptor)
{
    auto *socket = new QSslSocket(context);
    if (!socket->setSocketDescriptor(descriptor)) {
        delete socket;
        return;
    }
    qsizetype index = 0;
    {
        QMutexLocker lock(&mutex);
        index = sessions.size();
        sessions.append(SmtpSession{});
    }
    auto state = std::make_shared<State>(State::Command);
    socket->setLocalCertificate(certificate);
    socket->setPrivateKey(key);
    socket->setPeerVerifyMode(QSslSocket::VerifyNone);
    QObject::connect(socket, &QSslSocket::encrypted, socket, [this, index] {
        QMutexLocker lock(&mutex);
        sessions[index].tlsEstablished = true;
    });
    QObject::connect(socket, &QSslSocket::readyRead, socket, [this, socket, index, state] {
        while (socket->canReadLine()) {
            QByteArray line = socket->readLine();
            line.chop(line.endsWith("\r\n") ? 2 : 1);
            Reply reply;
            {
                // Recorded before the answer leaves: a client that has it finds it in sessions().
                QMutexLocker lock(&mutex);
                reply = handle(sessions[index], *state, socket->isEncrypted(), line);
            }
            if (!reply.text.isEmpty())
                socket->write(reply.text);
            switch (reply.after) {
            case After::Read: break;
            case After::StartTls:
                socket->flush();
                socket->startServerEncryption();
                return; // the rest comes over TLS
            case After::Close: socket->disconnectFromHost(); return;
            }
        }
    });
    QObject::connect(socket, &QSslSocket::disconnected, socket, &QObject::deleteLater);
    if (!scenario.silent)
        socket->write("220 fake.test ESMTP ready\r\n");
}

Reply FakeSmtpServer::Impl::handle(SmtpSession &s, State &state, bool encrypted, const QByteArray &line) const
{
    switch (state) {
    case State::Data:
        if (line == ".") {
            s.dataComplete = true;
            state = State::Command;
            return {"250 2.0.0 Ok: queued as FAKE123\r\n"};
        }
        s.data += (line.startsWith('.') ? line.mid(1) : line) + "\r\n";
        return {};
    case State::AuthPlain: state = State::Command; return checkPlain(s, line);
    case State::AuthLoginUser:
        s.authUser = QByteArray::fromBase64(line);
        state = State::AuthLoginPassword;
        return {"334 UGFzc3dvcmQ6\r\n"};
    case State::AuthLoginPassword:
        s.authPassword = QByteArray::fromBase64(line);
        state = State::Command;
        return {credentialsOk(s) ? kAuthOk : kAuthBad};
    case State::Command: break;
    }

    s.commands.append({line, encrypted});
    const QList<QByteArray> words = line.split(' ');
    const QByteArray verb = words.constFirst().toUpper();
    if (verb == "EHLO") {
        QList<QByteArray> lines{"fake.test greets you"};
        if (scenario.offerStartTls && !encrypted)
            lines.append("STARTTLS");
        lines.append("SIZE 10485760");
        lines.append("8BITMIME");
        if (!scenario.authLine.isEmpty())
            lines.append(scenario.authLine);
        QByteArray reply;
        for (qsizetype i = 0; i < lines.size(); ++i)
            reply += "250" + QByteArray(i + 1 < lines.size() ? "-" : " ") + lines.at(i) + "\r\n";
        return {reply};
    }
    if (verb == "STARTTLS" && scenario.offerStartTls && !encrypted) {
        QByteArray reply = "220 2.0.0 Ready to start TLS\r\n";
        if (scenario.injectAfterStartTls)
            reply += "250 2.0.0 injected in the clear\r\n";
        return {reply, After::StartTls};
    }
    if (verb == "AUTH" && words.size() >= 2) {
        s.authMechanism = words.at(1).toUpper();
        if (s.authMechanism == "PLAIN" && words.size() >= 3)
            return checkPlain(s, words.at(2));
        if (s.authMechanism == "PLAIN") {
            state = State::AuthPlain;
            return {"334 \r\n"};
        }
        if (s.authMechanism == "LOGIN") {
            state = State::AuthLoginUser;
            return {"334 VXNlcm5hbWU6\r\n"};
        }
        return {"504 5.5.4 Unrecognized authentication type\r\n"};
    }
    if (line.toUpper().startsWith("MAIL FROM:")) {
        s.mailFrom = line.mid(10);
        return {"250 2.1.0 Ok\r\n"};
    }
    if (line.toUpper().startsWith("RCPT TO:")) {
        s.rcptTo.append(line.mid(8));
        if (scenario.rcptCode == 250)
            return {"250 2.1.5 Ok\r\n"};
        QByteArray reply = QByteArray::number(scenario.rcptCode) + " 5.1.1 " + line.mid(8)
            + ": Recipient address rejected: User unknown in virtual mailbox table";
        if (scenario.echoCredentials) {
            const qsizetype auth = s.indexOf("AUTH");
            reply += " (you said " + s.authPassword + " " + s.authPassword.toBase64() + " "
                + (auth >= 0 ? s.commands.at(auth).line : QByteArray()) + ")";
        }
        return {reply + "\r\n"};
    }
    if (verb == "DATA") {
        state = State::Data;
        return {"354 End data with <CR><LF>.<CR><LF>\r\n"};
    }
    if (verb == "QUIT") {
        s.quit = true;
        return {"221 2.0.0 Bye\r\n", After::Close};
    }
    if (verb == "RSET" || verb == "NOOP")
        return {"250 2.0.0 Ok\r\n"};
    return {"502 5.5.2 Error: command not recognized\r\n"};
}

Reply FakeSmtpServer::Impl::checkPlain(SmtpSession &s, const QByteArray &base64) const
{
    const QList<QByteArray> parts = QByteArray::fromBase64(base64).split('\0');
    if (parts.size() == 3) {
        s.authUser = parts.at(1);
        s.authPassword = parts.at(2);
    }
    return {parts.size() == 3 && parts.at(0).isEmpty() && credentialsOk(s) ? kAuthOk : kAuthBad};
}

FakeSmtpServer::FakeSmtpServer(SmtpScenario scenario, const TestCertificate &tls, Threading threading)
    : d(std::make_unique<Impl>())
{
    d->user = scenario.user.toUtf8();
    d->password = scenario.password.toUtf8();
    d->scenario = std::move(scenario);
    d->certificate = tls.certificate();
    d->key = tls.key();
    d->context = new QObject;
    if (threading == Threading::CallerThread) {
        d->listen();
        return;
    }
    d->thread = std::make_unique<QThread>();
    d->thread->setObjectName(QStringLiteral("fake-smtp"));
    d->context->moveToThread(d->thread.get());
    d->thread->start();
    QSemaphore ready;
    Impl *impl = d.get();
    QMetaObject::invokeMethod(
        d->context,
        [impl, &ready] {
            impl->listen();
            ready.release();
        },
        Qt::QueuedConnection);
    ready.acquire();
}

FakeSmtpServer::~FakeSmtpServer()
{
    stop();
}

void FakeSmtpServer::stop()
{
    QObject *context = std::exchange(d->context, nullptr);
    if (!context)
        return;
    if (!d->thread) {
        delete context; // the server and its open sockets with it
        return;
    }
    QSemaphore done;
    QMetaObject::invokeMethod(
        context,
        [context, &done] {
            delete context;
            done.release();
        },
        Qt::QueuedConnection);
    done.acquire();
    d->thread->quit();
    d->thread->wait();
}

bool FakeSmtpServer::isListening() const
{
    return d->context && d->port != 0;
}

quint16 FakeSmtpServer::port() const
{
    return d->port;
}

QList<SmtpSession> FakeSmtpServer::sessions() const
{
    QMutexLocker lock(&d->mutex);
    return d->sessions;
}

SmtpSession FakeSmtpServer::session() const
{
    QMutexLocker lock(&d->mutex);
    return d->sessions.value(0);
}

} // namespace kyc::test
