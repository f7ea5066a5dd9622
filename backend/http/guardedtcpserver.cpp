#include "backend/http/guardedtcpserver.h"

#include "backend/http/apitypes.h"
#include "backend/security/crypto.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QTcpSocket>
#include <QTimer>
#include <QVarLengthArray>

#include <cstring>
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

// Where the first CRLF CRLF at or after `from` starts, or -1. QByteArrayView::indexOf with a
// multi-byte needle costs about a nanosecond a byte; this hops from LF to LF with memchr.
qsizetype findBlankLine(QByteArrayView data, qsizetype from)
{
    const char *const begin = data.data();
    const char *const stop = begin + data.size();
    for (const char *p = begin + from + 3; p < stop;) {
        const auto *lf = static_cast<const char *>(std::memchr(p, '\n', size_t(stop - p)));
        if (!lf)
            return -1;
        if (lf[-1] == '\r' && lf[-2] == '\n' && lf[-3] == '\r')
            return lf - 3 - begin;
        p = lf + 1;
    }
    return -1;
}

// Headers QHttpServer itself interprets (framing, the URL's authority): never replaced.
bool readByQHttpServer(QByteArrayView name)
{
    for (const QByteArrayView h : {"host", "content-length", "transfer-encoding", "connection", "expect", "upgrade"}) {
        if (name.compare(h, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

} // namespace

HeaderStash::HeaderStash(QTcpSocket *socket)
    : QObject(socket)
{
}

HeaderStash *HeaderStash::of(const QTcpSocket *socket)
{
    return socket ? socket->findChild<HeaderStash *>(QString(), Qt::FindDirectChildrenOnly) : nullptr;
}

QByteArray HeaderStash::put(Lines lines)
{
    if (size() >= kMaxEntries)
        return {};
    if (m_prefix.isEmpty()) {
        // 48 bits: a second line of defence, as the stash is emptied at every request boundary.
        const auto nonce = crypto::randomBytes(6);
        if (!nonce)
            return {};
        m_prefix = '#' + nonce->toBase64(QByteArray::Base64UrlEncoding) + '.';
    }
    const quint64 n = ++m_next;
    m_entries.emplace_back(n, std::move(lines));
    return m_prefix + QByteArray::number(n);
}

std::optional<HeaderStash::Lines> HeaderStash::take(QByteArrayView reference)
{
    if (m_entries.empty() || !reference.startsWith(m_prefix))
        return std::nullopt;
    const QByteArrayView digits = reference.sliced(m_prefix.size());
    if (digits.isEmpty() || digits.size() > 19)
        return std::nullopt;
    quint64 n = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9')
            return std::nullopt;
        n = n * 10 + quint64(c - '0');
    }
    for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
        if (it->first == n) {
            Lines found = std::move(it->second);
            m_entries.erase(it);
            return found;
        }
    }
    return std::nullopt;
}

HeaderStash::Lines HeaderStash::restore(HeaderStash *stash, const Lines &headers)
{
    Lines out;
    out.reserve(headers.size());
    for (const auto &[name, value] : headers) {
        if (stash && value.startsWith('#') && name.compare(kHeader, Qt::CaseInsensitive) == 0) {
            if (auto lines = stash->take(value)) {
                out.append(std::move(*lines));
                continue;
            }
        }
        out.append({name.toLower(), value});
    }
    return out;
}

QList<QByteArray> HeaderStash::references() const
{
    QList<QByteArray> out;
    for (const auto &[n, lines] : m_entries)
        out << m_prefix + QByteArray::number(n);
    return out;
}

// Follows one connection's request framing from the bytes as they arrive, without consuming them
// (QHttpServer reads them after us), and shortens the header blocks QHttpServer is about to read.
// Deadlines are time stamps checked by the server's sweep, so the hot path never touches a timer.
class ConnectionGuard final : public QObject
{
public:
    ConnectionGuard(QTcpSocket *socket, const GuardedTcpServer::Limits &limits)
        : QObject(socket)
        , m_socket(socket)
        , m_stash(new HeaderStash(socket))
        , m_limits(limits)
        , m_lastActivity(nowMs())
    {
        connect(socket, &QTcpSocket::readyRead, this, &ConnectionGuard::onReadyRead);
        connect(socket, &QTcpSocket::bytesWritten, this, [this] { m_lastActivity = nowMs(); });
    }

    // Called once QHttpServer has connected its reader: readyRead slots run in the order they were
    // connected, so this one sees what the reader left in the buffer. Without it every readyRead
    // counts the whole buffer as new, as this guard used to.
    void followReader() { connect(m_socket, &QTcpSocket::readyRead, this, &ConnectionGuard::afterReader); }

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
        const qint64 available = m_socket->bytesAvailable();
        // Only the bytes that arrived since the last signal are new: what QHttpServer left unread
        // then (a pipelined request; it signals readyRead again for it) was counted then.
        const qint64 fresh = available - std::min(m_carried, available);
        QByteArray chunk;
        if (fresh > 0 && m_state == State::Body && fresh <= m_bodyLeft) {
            // Body bytes, the bulk of an upload: counted without copying them.
            m_bodyLeft -= fresh;
            if (m_bodyLeft == 0)
                m_state = State::Headers;
        } else if (fresh > 0) {
            chunk = m_socket->peek(available);
            if (!scan(chunk, chunk.size() - fresh))
                return;
        }
        // Without a transaction QHttpServer holds nothing of the next request yet: it will read
        // it from the front of the buffer, which may still be rewritten.
        if (available > 0 && !m_socket->isTransactionStarted())
            shortenFrontHeaders(std::move(chunk));
    }

    void afterReader() { m_carried = m_rejected ? 0 : m_socket->bytesAvailable(); }

    // Checks the framing of the bytes of `chunk` from `pos` on; false once the connection is rejected.
    bool scan(QByteArrayView chunk, qsizetype pos)
    {
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
                const qsizetype end = findBlankLine(chunk, pos);
                if (end >= 0 && end + 4 - pos <= m_limits.maxHeaderBytes) {
                    if (!headersComplete(chunk.sliced(pos, end + 4 - pos)))
                        return false;
                    pos = end + 4;
                    m_headerStarted = -1;
                    continue;
                }
            }
            // Headers: collect until the blank line.
            const qsizetype before = m_header.size();
            m_header.append(chunk.sliced(pos));
            qsizetype end = findBlankLine(m_header, std::max<qsizetype>(0, before - 3));
            if (end < 0) {
                if (m_header.size() > m_limits.maxHeaderBytes) {
                    reject(431, QStringLiteral("Request headers too large"));
                    return false;
                }
                return true;
            }
            end += 4;
            if (end > m_limits.maxHeaderBytes) {
                reject(431, QStringLiteral("Request headers too large"));
                return false;
            }
            pos += end - before;
            if (!headersComplete(QByteArrayView(m_header).first(end)))
                return false;
            m_header.clear();
            m_headerStarted = -1;
        }
        return true;
    }

    // If the buffer starts with a complete header block (`front`, when not empty, is the buffer as
    // peeked), moves its header lines into the stash and puts the block back shorter, with one
    // reference line in their place. The body and anything after the block stay where they are;
    // the framing counts above are unaffected, as they only ever count bytes as they arrive.
    void shortenFrontHeaders(QByteArray front)
    {
        if (front.isEmpty())
            front = m_socket->peek(std::min<qint64>(m_socket->bytesAvailable(), m_limits.maxHeaderBytes));
        const qsizetype end = findBlankLine(front, 0);
        if (end < 0 || end + 4 > m_limits.maxHeaderBytes || front[0] < 'A' || front[0] > 'Z')
            return; // incomplete, or not at a request line: left to QHttpServer as it is
        // Whatever is still stashed belongs to requests QHttpServer has already handed on.
        m_stash->clear();

        // First the lines, without copying anything: most blocks have nothing worth moving.
        struct Line {
            QByteArrayView name, value; // value empty for the request line
            QByteArrayView whole; // with its CRLF
            bool moves = false;
        };
        QVarLengthArray<Line, 24> lines;
        qsizetype movedBytes = 0;
        const char *const data = front.constData();
        for (qsizetype lineStart = 0; lineStart < end + 2;) {
            const auto *lf = static_cast<const char *>(std::memchr(data + lineStart, '\n', size_t(end + 2 - lineStart)));
            // A bare LF, a folded line or a line without a name reads differently in QHttpServer:
            // such a block stays whole.
            if (!lf || lf == data + lineStart || lf[-1] != '\r')
                return;
            const QByteArrayView whole(data + lineStart, lf + 1 - (data + lineStart));
            lineStart += whole.size();
            if (lines.isEmpty()) {
                lines.append({{}, {}, whole});
                continue;
            }
            const QByteArrayView text = whole.chopped(2);
            const qsizetype colon = text.indexOf(':');
            if (colon <= 0 || text[0] == ' ' || text[0] == '\t')
                return;
            const QByteArrayView name = text.first(colon).trimmed();
            const bool moves = !readByQHttpServer(name);
            lines.append({name, text.sliced(colon + 1).trimmed(), whole, moves});
            if (moves)
                movedBytes += whole.size();
        }
        if (movedBytes < HeaderStash::kMinBytes)
            return;

        HeaderStash::Lines moved;
        QVarLengthArray<char, 256> out; // the request line and the lines QHttpServer reads itself
        for (const Line &line : lines) {
            if (line.moves)
                moved.append({line.name.toByteArray().toLower(), line.value.toByteArray()});
            else
                out.append(line.whole.data(), line.whole.size());
        }
        const QByteArray reference = m_stash->put(std::move(moved));
        if (reference.isEmpty())
            return;
        out.append(HeaderStash::kHeader.data(), HeaderStash::kHeader.size());
        out.append(':');
        out.append(reference.constData(), reference.size());
        // Both blocks end in CRLF CRLF: those four bytes stay in the buffer, and the new block goes
        // back in front of them, one ungetChar a byte, into the room the old one has just left.
        if (m_socket->skip(end) != end) {
            qCWarning(lcGuard) << "closing connection: could not take a header block off the buffer";
            m_rejected = true;
            m_socket->abort();
            return;
        }
        for (qsizetype i = out.size(); i-- > 0;)
            m_socket->ungetChar(out[i]);
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
    HeaderStash *m_stash; // a child of the socket, as this guard
    GuardedTcpServer::Limits m_limits;
    qint64 m_lastActivity;
    qint64 m_headerStarted = -1;
    bool m_rejected = false;
    State m_state = State::Headers;
    QByteArray m_header;
    qint64 m_bodyLeft = 0;
    qint64 m_carried = 0; // bytes the reader left in the buffer after the last readyRead
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
    // QHttpServer takes the connection and connects its reader from within that call; a slot
    // connected after it runs after the reader. Should it ever not, the guard does without.
    if (!hasPendingConnections())
        guard->followReader();
}

} // namespace kyc::http
