#include "backend/http/guardedtcpserver.h"

#include "backend/http/apitypes.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QTcpSocket>
#include <QTimer>

#include <sys/socket.h>

Q_LOGGING_CATEGORY(lcGuard, "kyc.http.guard")

namespace kyc::http {

void rejectConnection(QTcpSocket *socket, int status, const QString &message)
{
    if (socket->property(GuardedTcpServer::kRejectedProperty).toBool())
        return;
    socket->setProperty(GuardedTcpServer::kRejectedProperty, true);
    // From here on nobody parses this connection: QHttpServer's reader is detached (its buffered
    // transaction released) and what the client still sends is read and dropped, so the answer is
    // not lost to a TCP reset and the unread body never accumulates in memory.
    QObject::disconnect(socket, &QTcpSocket::readyRead, nullptr, nullptr);
    if (socket->isTransactionStarted())
        socket->commitTransaction();
    socket->readAll();
    QObject::connect(socket, &QTcpSocket::readyRead, socket, [socket] { socket->readAll(); });

    QJsonObject o{{QStringLiteral("statusCode"), status},
                  {QStringLiteral("message"), message},
                  {QStringLiteral("error"), QString::fromLatin1(reasonPhrase(status))}};
    const QByteArray body = QJsonDocument(o).toJson(QJsonDocument::Compact);
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    out += "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " + QByteArray::number(body.size())
           + "\r\n\r\n" + body;
    socket->write(out);
    // Half-close once the answer is out, then give the client a moment to read it.
    auto halfClose = [socket] {
        if (socket->bytesToWrite() == 0 && socket->state() == QAbstractSocket::ConnectedState)
            ::shutdown(int(socket->socketDescriptor()), SHUT_WR);
    };
    QObject::connect(socket, &QTcpSocket::bytesWritten, socket, halfClose);
    socket->flush();
    halfClose();
    QTimer::singleShot(2000, socket, [socket] { socket->abort(); });
}

namespace {

// Follows one connection's request framing from the bytes as they arrive, without consuming them
// (QHttpServer reads them after us).
class ConnectionGuard final : public QObject
{
public:
    ConnectionGuard(QTcpSocket *socket, const GuardedTcpServer::Limits &limits)
        : QObject(socket)
        , m_socket(socket)
        , m_limits(limits)
    {
        m_headerTimer.setSingleShot(true);
        m_idleTimer.setSingleShot(true);
        connect(&m_headerTimer, &QTimer::timeout, this, [this] { timeout(QStringLiteral("request headers not completed in time")); });
        connect(&m_idleTimer, &QTimer::timeout, this, [this] { timeout(QStringLiteral("connection idle")); });
        connect(socket, &QTcpSocket::readyRead, this, &ConnectionGuard::onReadyRead);
        connect(socket, &QTcpSocket::bytesWritten, this, [this] { m_idleTimer.start(m_limits.idleTimeoutMs); });
        m_idleTimer.start(m_limits.idleTimeoutMs);
    }

private:
    enum class State { Headers, Body };

    void timeout(const QString &why)
    {
        qCInfo(lcGuard).noquote() << "closing connection:" << why;
        if (m_state == State::Headers && !m_header.isEmpty())
            rejectConnection(m_socket, 408, QStringLiteral("Request timed out"));
        else
            m_socket->abort();
    }

    void onReadyRead()
    {
        m_idleTimer.start(m_limits.idleTimeoutMs);
        if (m_socket->property(GuardedTcpServer::kRejectedProperty).toBool())
            return;
        const QByteArray chunk = m_socket->peek(m_socket->bytesAvailable());
        qsizetype pos = 0;
        while (pos < chunk.size()) {
            if (m_state == State::Body) {
                const qint64 take = std::min<qint64>(m_bodyLeft, chunk.size() - pos);
                m_bodyLeft -= take;
                pos += take;
                if (m_bodyLeft == 0)
                    m_state = State::Headers;
                continue;
            }
            if (m_header.isEmpty())
                m_headerTimer.start(m_limits.headerTimeoutMs);
            // Headers: collect until the blank line.
            const qsizetype before = m_header.size();
            m_header.append(chunk.constData() + pos, chunk.size() - pos);
            qsizetype end = m_header.indexOf("\r\n\r\n", std::max<qsizetype>(0, before - 3));
            if (end < 0) {
                if (m_header.size() > m_limits.maxHeaderBytes)
                    return reject(431, QStringLiteral("Request headers too large"));
                return;
            }
            end += 4;
            if (end > m_limits.maxHeaderBytes)
                return reject(431, QStringLiteral("Request headers too large"));
            pos += end - before;
            if (!headersComplete(m_header.left(end)))
                return;
            m_header.clear();
            m_headerTimer.stop();
        }
    }

    bool headersComplete(const QByteArray &head)
    {
        qint64 length = 0;
        bool expectContinue = false;
        const auto lines = head.split('\n');
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines[i].trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0)
                continue;
            const QByteArray name = line.left(colon).trimmed().toLower();
            const QByteArray value = line.mid(colon + 1).trimmed();
            if (name == "content-length") {
                bool ok = false;
                length = value.toLongLong(&ok);
                if (!ok || length < 0) {
                    reject(400, QStringLiteral("Invalid Content-Length"));
                    return false;
                }
            } else if (name == "transfer-encoding" && value.toLower() != "identity") {
                reject(411, QStringLiteral("Request bodies must declare a Content-Length"));
                return false;
            } else if (name == "expect" && value.toLower() == "100-continue") {
                expectContinue = true;
            }
        }
        if (length > m_limits.bodyLimitBytes) {
            reject(413, QStringLiteral("Request body exceeds the limit of %1 bytes").arg(m_limits.bodyLimitBytes));
            return false;
        }
        if (expectContinue && length > 0)
            m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
        m_bodyLeft = length;
        m_state = length > 0 ? State::Body : State::Headers;
        return true;
    }

    void reject(int status, const QString &message)
    {
        m_headerTimer.stop();
        rejectConnection(m_socket, status, message);
    }

    QTcpSocket *m_socket;
    GuardedTcpServer::Limits m_limits;
    QTimer m_headerTimer;
    QTimer m_idleTimer;
    State m_state = State::Headers;
    QByteArray m_header;
    qint64 m_bodyLeft = 0;
};

} // namespace

GuardedTcpServer::GuardedTcpServer(Limits limits, QObject *parent)
    : QTcpServer(parent)
    , m_limits(limits)
{
}

void GuardedTcpServer::incomingConnection(qintptr socketDescriptor)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        delete socket;
        return;
    }
    if (m_active >= m_limits.maxConnections) {
        emit connectionRejected(QStringLiteral("connection limit reached"));
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        rejectConnection(socket, 503, QStringLiteral("Too many connections; try again shortly"));
        return;
    }
    ++m_active;
    connect(socket, &QObject::destroyed, this, [this] { --m_active; });
    // Connected before QHttpServer's own handler, so the guard sees each chunk first.
    new ConnectionGuard(socket, m_limits);
    addPendingConnection(socket);
}

} // namespace kyc::http
