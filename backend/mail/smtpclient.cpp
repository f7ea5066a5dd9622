#include "backend/mail/smtpclient.h"

#include <QDeadlineTimer>
#include <QSet>
#include <QSslConfiguration>
#include <QSslError>
#include <QSslSocket>

#include <algorithm>
#include <initializer_list>

namespace kyc::mail {

namespace {

// RFC 5321 4.5.3.1.5 allows 512 octets per reply line; servers exceed it, so be generous but bounded.
constexpr qint64 kMaxReplyLine = 4096;
constexpr qsizetype kMaxReplyLines = 256;
// How much of a reply an error message quotes.
constexpr qsizetype kMaxQuotedReply = 400;
// A polite QUIT after a rejection must not hold a worker for long.
constexpr int kQuitTimeoutMs = 1000;

struct Reply {
    int code = 0;
    QList<QByteArray> lines; // each line's text after the code and separator
};

struct Capabilities {
    bool startTls = false;
    QSet<QByteArray> authMechanisms;
};

Error unavailable(const QString &message)
{
    return Error::make(ErrorCode::Unavailable, message);
}

bool isSafeHeloName(const QString &name)
{
    return !name.isEmpty()
        && std::all_of(name.begin(), name.end(), [](QChar c) { return c.unicode() > 0x20 && c.unicode() < 0x7f; });
}

// One SMTP conversation over one socket, in the calling thread. Failures of the transport (time-outs,
// resets, TLS) abandon the connection; rejections by the server end it with QUIT.
class Session final
{
public:
    explicit Session(const SmtpConfig &config)
        : m_config(config)
        , m_peer(QStringLiteral("%1:%2").arg(config.host, QString::number(config.port)))
    {
    }
    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;

    ~Session()
    {
        for (QByteArray &secret : m_secrets)
            secret.fill('\0');
        m_socket.abort();
    }

    Status send(const Message &message, const QByteArray &eml)
    {
        m_socket.connectToHost(m_config.host, m_config.port);
        if (!m_socket.waitForConnected(m_config.timeoutMs))
            return fail(
                unavailable(QStringLiteral("Could not connect to SMTP server %1: %2").arg(m_peer, m_socket.errorString())));

        if (auto greeting = expectReply({220}, QStringLiteral("the greeting")); !greeting)
            return fail(greeting.error());

        auto capabilities = ehlo();
        if (!capabilities)
            return fail(capabilities.error());

        if (capabilities->startTls) {
            if (auto tls = startTls(); !tls)
                return fail(tls.error());
            // RFC 3207 4.2: forget everything learnt before the handshake and ask again.
            capabilities = ehlo();
            if (!capabilities)
                return fail(capabilities.error());
        } else if (m_config.requireStartTls) {
            quit();
            return fail(
                unavailable(QStringLiteral("SMTP server %1 does not offer STARTTLS; refusing to send in the clear").arg(m_peer)));
        }

        if (!m_config.username.isEmpty()) {
            if (!m_socket.isEncrypted()) {
                quit();
                return fail(unavailable(QStringLiteral("Refusing to send SMTP credentials to %1 without TLS").arg(m_peer)));
            }
            if (auto auth = authenticate(*capabilities); !auth)
                return fail(auth.error());
        }

        const QByteArray sender = addressOf(message.from).toUtf8();
        if (auto r = command("MAIL FROM:<" + sender + '>', {250}, QStringLiteral("MAIL FROM")); !r)
            return fail(r.error());
        for (const QString &recipient : message.to) {
            const QByteArray rcpt = "RCPT TO:<" + addressOf(recipient).toUtf8() + '>';
            if (auto r = command(rcpt, {250, 251}, QString::fromUtf8(rcpt)); !r)
                return fail(r.error());
        }
        if (auto r = command("DATA", {354}, QStringLiteral("DATA")); !r)
            return fail(r.error());
        if (auto w = write(dotStuffed(eml) + ".\r\n", QStringLiteral("the message")); !w)
            return fail(w.error());
        if (auto r = expectReply({250}, QStringLiteral("the message")); !r)
            return fail(r.error());

        // The message is accepted; a failing QUIT cannot take that back.
        quit();
        return {};
    }

private:
    Result<Capabilities> ehlo()
    {
        auto reply = command("EHLO " + m_config.heloName.toUtf8(), {250}, QStringLiteral("EHLO"));
        if (!reply)
            return fail(reply.error());
        Capabilities caps;
        // The first line is the server's greeting text; each further line is one extension.
        for (qsizetype i = 1; i < reply->lines.size(); ++i) {
            const QList<QByteArray> words = reply->lines.at(i).simplified().toUpper().split(' ');
            const QByteArray &keyword = words.constFirst();
            if (keyword == "STARTTLS") {
                caps.startTls = true;
            } else if (keyword == "AUTH" || keyword.startsWith("AUTH=")) {
                // "AUTH=PLAIN LOGIN" is the pre-standard form some servers still send.
                if (keyword.startsWith("AUTH="))
                    caps.authMechanisms.insert(keyword.mid(5));
                for (qsizetype w = 1; w < words.size(); ++w)
                    caps.authMechanisms.insert(words.at(w));
            }
        }
        return caps;
    }

    Status startTls()
    {
        if (auto r = command("STARTTLS", {220}, QStringLiteral("STARTTLS")); !r)
            return fail(r.error());
        // Anything already buffered was sent in the clear before the handshake; reading it later as if
        // it came over TLS is the STARTTLS command injection flaw (CVE-2011-0411).
        if (m_socket.bytesAvailable() > 0)
            return fail(unavailable(QStringLiteral("SMTP server %1 sent data after its STARTTLS reply").arg(m_peer)));

        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.setProtocol(QSsl::TlsV1_2OrLater);
        ssl.setPeerVerifyMode(m_config.verifyPeer ? QSslSocket::VerifyPeer : QSslSocket::VerifyNone);
        if (!m_config.extraCaCertificates.isEmpty()) {
            // Setting CA certificates explicitly turns off Qt's on-demand loading of the system
            // store, so the system certificates are listed alongside the extra ones.
            ssl.setCaCertificates(QSslConfiguration::systemCaCertificates() + m_config.extraCaCertificates);
        }
        m_socket.setSslConfiguration(ssl);
        m_socket.setPeerVerifyName(m_config.host);
        m_socket.startClientEncryption();

        const QDeadlineTimer deadline(m_config.timeoutMs);
        while (!m_socket.isEncrypted()) {
            if (m_socket.waitForEncrypted(remaining(deadline)))
                break;
            const QAbstractSocket::SocketError error = m_socket.error();
            if (m_socket.state() != QAbstractSocket::ConnectedState || !m_socket.sslHandshakeErrors().isEmpty()
                || (error != QAbstractSocket::UnknownSocketError && error != QAbstractSocket::SocketTimeoutError))
                return fail(
                    unavailable(QStringLiteral("TLS handshake with SMTP server %1 failed: %2").arg(m_peer, tlsErrorText())));
            if (deadline.hasExpired())
                return fail(timedOut(QStringLiteral("the TLS handshake")));
        }
        return {};
    }

    Status authenticate(const Capabilities &caps)
    {
        const QByteArray user = m_config.username.toUtf8();
        const QByteArray password = m_config.password.toUtf8();
        remember(password);
        remember(password.toBase64());

        if (caps.authMechanisms.contains("PLAIN")) {
            // RFC 4616: authzid NUL authcid NUL passwd, sent as the initial response (RFC 4954).
            QByteArray blob;
            blob.append('\0').append(user).append('\0').append(password);
            const QByteArray token = blob.toBase64();
            blob.fill('\0');
            remember(token);
            if (auto r = command("AUTH PLAIN " + token, {235}, QStringLiteral("AUTH PLAIN")); !r)
                return fail(r.error());
            return {};
        }
        if (caps.authMechanisms.contains("LOGIN")) {
            if (auto r = command("AUTH LOGIN", {334}, QStringLiteral("AUTH LOGIN")); !r)
                return fail(r.error());
            if (auto r = command(user.toBase64(), {334}, QStringLiteral("AUTH LOGIN (user name)")); !r)
                return fail(r.error());
            if (auto r = command(password.toBase64(), {235}, QStringLiteral("AUTH LOGIN (password)")); !r)
                return fail(r.error());
            return {};
        }
        quit();
        return fail(unavailable(
            QStringLiteral("SMTP server %1 offers no supported AUTH mechanism (PLAIN or LOGIN); it offers: %2")
                .arg(m_peer,
                     QString::fromLatin1(QList<QByteArray>(caps.authMechanisms.begin(), caps.authMechanisms.end()).join(' ')))));
    }

    // Sends one command line and reads its reply; a code outside `accepted` ends the session.
    Result<Reply> command(const QByteArray &line, std::initializer_list<int> accepted, const QString &step)
    {
        if (auto w = write(line + "\r\n", step); !w)
            return fail(w.error());
        return expectReply(accepted, step);
    }

    Result<Reply> expectReply(std::initializer_list<int> accepted, const QString &step)
    {
        auto reply = readReply(step, m_config.timeoutMs);
        if (!reply)
            return reply;
        if (std::find(accepted.begin(), accepted.end(), reply->code) == accepted.end()) {
            const Error e = unavailable(QStringLiteral("SMTP server %1 rejected %2: %3").arg(m_peer, step, quote(*reply)));
            quit();
            return fail(e);
        }
        return reply;
    }

    Result<Reply> readReply(const QString &step, int timeoutMs)
    {
        const QDeadlineTimer deadline(timeoutMs);
        Reply reply;
        for (;;) {
            while (!m_socket.canReadLine()) {
                if (m_socket.bytesAvailable() > kMaxReplyLine)
                    return fail(unavailable(QStringLiteral("SMTP server %1 sent an overlong reply to %2").arg(m_peer, step)));
                if (m_socket.waitForReadyRead(remaining(deadline)))
                    continue;
                if (m_socket.state() != QAbstractSocket::ConnectedState)
                    return fail(unavailable(QStringLiteral("SMTP server %1 closed the connection while answering %2: %3")
                                                .arg(m_peer, step, m_socket.errorString())));
                if (deadline.hasExpired())
                    return fail(timedOut(step));
            }
            QByteArray line = m_socket.readLine(kMaxReplyLine + 1);
            while (line.endsWith('\n') || line.endsWith('\r'))
                line.chop(1);
            const bool wellFormed = line.size() >= 3
                && std::all_of(line.begin(), line.begin() + 3, [](char c) { return c >= '0' && c <= '9'; })
                && (line.size() == 3 || line[3] == ' ' || line[3] == '-');
            const int code = wellFormed ? line.left(3).toInt() : 0;
            if (!wellFormed || (!reply.lines.isEmpty() && code != reply.code) || reply.lines.size() >= kMaxReplyLines)
                return fail(unavailable(QStringLiteral("SMTP server %1 sent a malformed reply to %2: %3")
                                            .arg(m_peer, step, redacted(QString::fromUtf8(line.left(kMaxQuotedReply))))));
            reply.code = code;
            reply.lines.append(line.mid(4));
            if (line.size() == 3 || line[3] == ' ')
                return reply;
        }
    }

    Status write(const QByteArray &data, const QString &step)
    {
        if (m_socket.write(data) != data.size())
            return fail(
                unavailable(QStringLiteral("Could not send %1 to SMTP server %2: %3").arg(step, m_peer, m_socket.errorString())));
        const QDeadlineTimer deadline(m_config.timeoutMs);
        while (m_socket.bytesToWrite() > 0 || m_socket.encryptedBytesToWrite() > 0) {
            if (m_socket.waitForBytesWritten(remaining(deadline)))
                continue;
            if (m_socket.state() != QAbstractSocket::ConnectedState)
                return fail(unavailable(QStringLiteral("SMTP server %1 closed the connection while receiving %2: %3")
                                            .arg(m_peer, step, m_socket.errorString())));
            if (deadline.hasExpired())
                return fail(timedOut(step));
        }
        return {};
    }

    // Best effort: the outcome is already decided, so neither failure nor silence matters here.
    void quit()
    {
        if (m_quitSent || m_socket.state() != QAbstractSocket::ConnectedState)
            return;
        m_quitSent = true;
        m_socket.write("QUIT\r\n");
        const QDeadlineTimer deadline(std::min(m_config.timeoutMs, kQuitTimeoutMs));
        while ((m_socket.bytesToWrite() > 0 || m_socket.encryptedBytesToWrite() > 0) && !deadline.hasExpired()
               && m_socket.state() == QAbstractSocket::ConnectedState)
            m_socket.waitForBytesWritten(remaining(deadline));
        while (!m_socket.canReadLine() && !deadline.hasExpired() && m_socket.state() == QAbstractSocket::ConnectedState)
            m_socket.waitForReadyRead(remaining(deadline));
        m_socket.disconnectFromHost();
    }

    Error timedOut(const QString &step) const
    {
        return unavailable(QStringLiteral("SMTP server %1 did not complete %2 within %3 ms")
                               .arg(m_peer, step, QString::number(m_config.timeoutMs)));
    }

    QString tlsErrorText() const
    {
        QStringList parts;
        for (const QSslError &e : m_socket.sslHandshakeErrors())
            parts.append(e.errorString());
        if (parts.isEmpty())
            parts.append(m_socket.errorString());
        return parts.join(QStringLiteral("; "));
    }

    QString quote(const Reply &reply) const
    {
        QStringList lines;
        for (const QByteArray &line : reply.lines)
            lines.append(QString::fromUtf8(line));
        QString text = QString::number(reply.code) + QLatin1Char(' ') + lines.join(QStringLiteral(" / "));
        for (QChar &c : text) {
            if (c.unicode() < 0x20 || c.unicode() == 0x7f)
                c = QLatin1Char(' ');
        }
        return redacted(text.left(kMaxQuotedReply));
    }

    // Server replies are quoted in errors; a server echoing what it was sent must not leak secrets.
    QString redacted(QString text) const
    {
        for (const QByteArray &secret : m_secrets) {
            if (!secret.isEmpty())
                text.replace(QString::fromUtf8(secret), QStringLiteral("[redacted]"));
        }
        return text;
    }

    void remember(const QByteArray &secret)
    {
        if (!secret.isEmpty())
            m_secrets.append(secret);
    }

    static int remaining(const QDeadlineTimer &deadline) { return int(std::max<qint64>(deadline.remainingTime(), 0)); }

    const SmtpConfig &m_config;
    const QString m_peer;
    QSslSocket m_socket;
    QList<QByteArray> m_secrets;
    bool m_quitSent = false;
};

} // namespace

QByteArray dotStuffed(const QByteArray &eml)
{
    QByteArray out;
    out.reserve(eml.size() + eml.size() / 64 + 2);
    bool lineStart = true;
    for (qsizetype i = 0; i < eml.size(); ++i) {
        const char c = eml[i];
        if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < eml.size() && eml[i + 1] == '\n')
                ++i;
            out += "\r\n";
            lineStart = true;
            continue;
        }
        if (lineStart && c == '.')
            out += '.';
        out += c;
        lineStart = false;
    }
    if (!lineStart)
        out += "\r\n";
    return out;
}

Status sendSmtp(const SmtpConfig &config, const Message &message, const QDateTime &dateUtc)
{
    if (config.host.isEmpty())
        return fail(Error::validation(QStringLiteral("host"), QStringLiteral("SMTP is not configured")));
    if (!isSafeHeloName(config.heloName))
        return fail(Error::validation(QStringLiteral("heloName"), QStringLiteral("must be a host name without spaces")));
    if (config.timeoutMs <= 0)
        return fail(Error::validation(QStringLiteral("timeoutMs"), QStringLiteral("must be positive")));
    if (auto valid = validate(message); !valid)
        return valid;
    if (!QSslSocket::supportsSsl() && (config.requireStartTls || !config.username.isEmpty()))
        return fail(Error::make(ErrorCode::Unavailable, QStringLiteral("TLS is not available (no TLS backend)")));

    Session session(config);
    return session.send(message, toEml(message, dateUtc));
}

} // namespace kyc::mail
