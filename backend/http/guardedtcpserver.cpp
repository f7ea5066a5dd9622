#include "backend/http/guardedtcpserver.h"

#include "backend/http/apitypes.h"

#include <QElapsedTimer>
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

bool PathBodyLimit::matches(QByteArrayView requestMethod, QByteArrayView target) const
{
    if (requestMethod != method || !target.startsWith(pathPrefix))
        return false;
    QByteArrayView rest = target.sliced(pathPrefix.size());
    if (const qsizetype end = rest.indexOf('?'); end >= 0)
        rest = rest.first(end);
    // Exactly one more segment: nothing else can borrow the larger limit by sharing the prefix.
    return !rest.isEmpty() && !rest.contains('/') && !rest.contains('#');
}

qint64 GuardedTcpServer::Limits::bodyLimitFor(QByteArrayView method, QByteArrayView target) const
{
    for (const auto &p : pathLimits) {
        if (p.matches(method, target))
            return p.bodyLimitBytes;
    }
    return bodyLimitBytes;
}

namespace {

qint64 nowMs()
{
    static const QElapsedTimer clock = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return clock.elapsed();
}

// Case-insensitive "name:" at the start of a header line.
bool headerIs(QByteArrayView line, QByteArrayView name)
{
    return line.size() > name.size() && line[name.size()] == ':'
        && line.first(name.size()).compare(name, Qt::CaseInsensitive) == 0;
}

} // namespace

// Follows one connection's request framing from the bytes as they arrive, without consuming them
// (QHttpServer reads them after us). Deadlines are time stamps checked by the server's sweep, so
// the hot path never touches a timer.
class ConnectionGuard final : public QObject
{
public:
    ConnectionGuard(QTcpSocket *socket, const GuardedTcpServer::Limits &limits)
        : QObject(socket)
        , m_socket(socket)
        , m_limits(limits)
        , m_lastActivity(nowMs())
    {
        connect(socket, &QTcpSocket::readyRead, this, &ConnectionGuard::onReadyRead);
        connect(socket, &QTcpSocket::bytesWritten, this, [this] { m_lastActivity = nowMs(); });
    }

    // Called by the sweep: closes the connection if a deadline has passed.
    void check(qint64 now)
    {
        if (m_rejected)
            return;
        if (m_headerStarted >= 0 && now - m_headerStarted >= m_limits.headerTimeoutMs) {
            qCInfo(lcGuard) << "closing connection: request headers not completed in time";
            reject(408, QStringLiteral("Request timed out"));
        } else if (now - m_lastActivity >= m_limits.idleTimeoutMs) {
            qCInfo(lcGuard) << "closing connection: idle";
            m_rejected = true;
            m_socket->abort();
        }
    }

private:
    enum class State { Headers, Body };

    void onReadyRead()
    {
        m_lastActivity = nowMs();
        if (m_rejected)
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
            if (m_header.isEmpty()) {
                m_headerStarted = m_lastActivity;
                // The usual case: a whole header block in this chunk, checked without copying it.
                const qsizetype end = chunk.indexOf("\r\n\r\n", pos);
                if (end >= 0 && end + 4 - pos <= m_limits.maxHeaderBytes) {
                    if (!headersComplete(QByteArrayView(chunk).sliced(pos, end + 4 - pos)))
                        return;
                    pos = end + 4;
                    m_headerStarted = -1;
                    continue;
                }
            }
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
            if (!headersComplete(QByteArrayView(m_header).first(end)))
                return;
            m_header.clear();
            m_headerStarted = -1;
        }
    }

    bool headersComplete(QByteArrayView head)
    {
        qint64 length = 0;
        bool expectContinue = false;
        qsizetype lineStart = head.indexOf('\n') + 1; // the headers follow the request line
        qint64 limit = m_limits.bodyLimitBytes;
        if (!m_limits.pathLimits.isEmpty()) {
            // METHOD SP target SP version
            const QByteArrayView requestLine = head.first(std::max<qsizetype>(0, lineStart - 1)).trimmed();
            const qsizetype sp1 = requestLine.indexOf(' ');
            const qsizetype sp2 = sp1 < 0 ? -1 : requestLine.indexOf(' ', sp1 + 1);
            if (sp2 > sp1)
                limit = m_limits.bodyLimitFor(requestLine.first(sp1), requestLine.sliced(sp1 + 1, sp2 - sp1 - 1));
        }
        while (lineStart < head.size()) {
            qsizetype lineEnd = head.indexOf('\n', lineStart);
            if (lineEnd < 0)
                lineEnd = head.size();
            const QByteArrayView line = head.sliced(lineStart, lineEnd - lineStart);
            lineStart = lineEnd + 1;
            if (line.size() < 6)
                continue;
            auto value = [&line] { return line.sliced(line.indexOf(':') + 1).trimmed(); };
            const char c = char(line[0] | 0x20);
            if (c == 'c' && headerIs(line, "content-length")) {
                bool ok = false;
                length = value().toByteArray().toLongLong(&ok);
                if (!ok || length < 0) {
                    reject(400, QStringLiteral("Invalid Content-Length"));
                    return false;
                }
            } else if (c == 't' && headerIs(line, "transfer-encoding") && value().compare("identity", Qt::CaseInsensitive) != 0) {
                reject(411, QStringLiteral("Request bodies must declare a Content-Length"));
                return false;
            } else if (c == 'e' && headerIs(line, "expect") && value().compare("100-continue", Qt::CaseInsensitive) == 0) {
                expectContinue = true;
            }
        }
        if (length > limit) {
            reject(413, QStringLiteral("Request body exceeds the limit of %1 bytes").arg(limit));
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
        m_rejected = true;
        m_headerStarted = -1;
        rejectConnection(m_socket, status, message);
    }

    QTcpSocket *m_socket;
    GuardedTcpServer::Limits m_limits;
    qint64 m_lastActivity;
    qint64 m_headerStarted = -1;
    bool m_rejected = false;
    State m_state = State::Headers;
    QByteArray m_header;
    qint64 m_bodyLeft = 0;
};

GuardedTcpServer::GuardedTcpServer(Limits limits, QObject *parent)
    : QTcpServer(parent)
    , m_limits(limits)
{
    // One sweep for all connections, often enough to honour the shortest deadline closely.
    m_sweep.setInterval(std::clamp(std::min(m_limits.headerTimeoutMs, m_limits.idleTimeoutMs) / 4, 25, 1000));
    connect(&m_sweep, &QTimer::timeout, this, [this] {
        const qint64 now = nowMs();
        const auto guards = m_guards; // a check may close a connection and shrink the set
        for (auto *g : guards)
            g->check(now);
    });
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
    // Connected before QHttpServer's own handler, so the guard sees each chunk first.
    auto *guard = new ConnectionGuard(socket, m_limits);
    m_guards.insert(guard);
    connect(socket, &QObject::destroyed, this, [this, guard] {
        --m_active;
        m_guards.remove(guard);
        if (m_guards.isEmpty())
            m_sweep.stop();
    });
    if (!m_sweep.isActive())
        m_sweep.start();
    addPendingConnection(socket);
}

} // namespace kyc::http
