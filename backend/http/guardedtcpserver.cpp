#include "backend/http/guardedtcpserver.h"

#include "backend/http/apitypes.h"
#include "backend/http/requesthead.h"
#include "backend/security/crypto.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QTcpSocket>
#include <QTimer>
#include <QVarLengthArray>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcGuard, "kyc.http.guard")

namespace kyc::http {

namespace {

void dropIncoming(QTcpSocket *socket)
{
    if (socket->isTransactionStarted())
        socket->commitTransaction();
    socket->readAll();
}

// Detaches every reader (QHttpServer's, the guard's) and drops what arrives from now on.
void detachReaders(QTcpSocket *socket)
{
    QObject::disconnect(socket, &QTcpSocket::readyRead, nullptr, nullptr);
    QObject::connect(socket, &QTcpSocket::readyRead, socket, [socket] { dropIncoming(socket); });
}

} // namespace

void rejectConnection(QTcpSocket *socket, int status, const QString &message)
{
    if (socket->property(GuardedTcpServer::kRejectedProperty).toBool())
        return;
    socket->setProperty(GuardedTcpServer::kRejectedProperty, true);
    // From here on nobody parses this connection: QHttpServer's reader is detached (its buffered
    // transaction released) and what the client still sends is read and dropped, so the answer is
    // not lost to a TCP reset and the unread body never accumulates in memory.
    detachReaders(socket);
    dropIncoming(socket);

    QJsonObject o{{QStringLiteral("statusCode"), status},
                  {QStringLiteral("message"), message},
                  {QStringLiteral("error"), QString::fromLatin1(reasonPhrase(status))}};
    const QByteArray body = QJsonDocument(o).toJson(QJsonDocument::Compact);
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    out += "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " + QByteArray::number(body.size())
        + "\r\n\r\n" + body;
    socket->write(out);
    closeAfterAnswer(socket);
}

void stopReading(QTcpSocket *socket)
{
    detachReaders(socket);
    // Called from within QHttpServer's reader: what it left in the buffer goes once it has returned.
    QMetaObject::invokeMethod(
        socket, [socket] { dropIncoming(socket); }, Qt::QueuedConnection);
}

void closeAfterAnswer(QTcpSocket *socket)
{
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

qint64 nowMs()
{
    static const QElapsedTimer clock = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return clock.elapsed();
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

// Whether the client asked for the connection to end with this request: `Connection: close`, or
// HTTP/1.0 without `Connection: keep-alive`. `head` has passed checkRequestHead (CRLF lines).
bool asksToClose(QByteArrayView head)
{
    qsizetype lineEnd = head.indexOf("\r\n");
    if (lineEnd < 0)
        return false;
    const bool http10 = head.first(lineEnd).endsWith("HTTP/1.0");
    bool close = false;
    bool keepAlive = false;
    for (qsizetype from = lineEnd + 2; from < head.size();) {
        lineEnd = head.indexOf("\r\n", from);
        if (lineEnd < 0 || lineEnd == from)
            break;
        const QByteArrayView line = head.sliced(from, lineEnd - from);
        from = lineEnd + 2;
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0 || line.first(colon).trimmed().compare("connection", Qt::CaseInsensitive) != 0)
            continue;
        QByteArrayView rest = line.sliced(colon + 1);
        while (!rest.isEmpty()) {
            const qsizetype comma = rest.indexOf(',');
            const QByteArrayView t = (comma < 0 ? rest : rest.first(comma)).trimmed();
            rest = comma < 0 ? QByteArrayView() : rest.sliced(comma + 1);
            close |= t.compare("close", Qt::CaseInsensitive) == 0;
            keepAlive |= t.compare("keep-alive", Qt::CaseInsensitive) == 0;
        }
    }
    return close || (http10 && !keepAlive);
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
    ConnectionGuard(QTcpSocket *socket, GuardedTcpServer *server)
        : QObject(socket)
        , m_socket(socket)
        , m_server(server)
        , m_stash(new HeaderStash(socket))
        , m_limits(server->limits())
        , m_peer(socket->peerAddress())
        , m_lastActivity(nowMs())
    {
        connect(socket, &QTcpSocket::readyRead, this, &ConnectionGuard::onReadyRead);
        connect(socket, &QTcpSocket::bytesWritten, this, [this] { m_lastActivity = nowMs(); });
        updateEvictable();
    }

    // Called once QHttpServer has connected its reader: readyRead slots run in the order they were
    // connected, so this one sees what the reader left in the buffer. Without it every readyRead
    // counts the whole buffer as new, as this guard used to.
    void followReader() { connect(m_socket, &QTcpSocket::readyRead, this, &ConnectionGuard::afterReader); }

    [[nodiscard]] const QHostAddress &peer() const { return m_peer; }
    // Declared body bytes of this connection's current request, counted against the caps.
    [[nodiscard]] qint64 reserved() const { return m_reserved; }
    // Whether this connection still counts against the cap (an evicted one does not).
    [[nodiscard]] bool counted() const { return m_counted; }
    [[nodiscard]] qint64 closingRequest() const { return m_closeAt; }

    void requestAnswered()
    {
        ++m_answered;
        updateEvictable();
    }

    // The socket is going: out of the eviction lists.
    void forget()
    {
        m_counted = false;
        unlink();
    }

    // Whether the client's next bytes are already waiting to be read (then it is about to be busy).
    [[nodiscard]] bool hasUnreadBytes() const
    {
        int n = 0;
        const qintptr fd = m_socket->socketDescriptor();
        return m_socket->bytesAvailable() > 0 || (fd >= 0 && ::ioctl(int(fd), FIONREAD, &n) == 0 && n > 0);
    }

    // Closes this connection to make room for a new one (see GuardedTcpServer::evictOne).
    void evict(bool answer);

    // The eviction list this connection belongs in, from its state: idle (nothing in progress, or
    // answered and closing), still sending a head (or nothing yet), or none (a request in progress).
    void updateEvictable()
    {
        GuardedTcpServer::EvictionList *want = nullptr;
        if (!m_counted)
            want = nullptr;
        else if (m_rejected)
            want = &m_server->m_idle;
        else if (m_state == State::Body || m_answered < m_heads)
            want = nullptr;
        else if (m_state == State::Headers && (m_headerStarted >= 0 || m_heads == 0))
            want = &m_server->m_heads;
        else
            want = &m_server->m_idle;
        if (want == m_list)
            return;
        unlink();
        if (want)
            link(want);
    }

    [[nodiscard]] qint64 listedAt() const { return m_listedAt; }

    void link(GuardedTcpServer::EvictionList *list)
    {
        m_listedAt = nowMs();
        m_list = list;
        m_prevEvictable = list->last;
        m_nextEvictable = nullptr;
        (list->last ? list->last->m_nextEvictable : list->first) = this;
        list->last = this;
    }

    void unlink()
    {
        if (!m_list)
            return;
        (m_prevEvictable ? m_prevEvictable->m_nextEvictable : m_list->first) = m_nextEvictable;
        (m_nextEvictable ? m_nextEvictable->m_prevEvictable : m_list->last) = m_prevEvictable;
        m_prevEvictable = m_nextEvictable = nullptr;
        m_list = nullptr;
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
            updateEvictable();
            m_socket->abort();
        }
    }

private:
    // Done: the request that asked to close the connection has arrived whole; nothing after it is
    // looked at (the router drops it unanswered).
    enum class State { Headers, Body, Done };

    void onReadyRead()
    {
        process();
        updateEvictable();
    }

    void bodyDone() { m_state = m_closeAt >= 0 ? State::Done : State::Headers; }

    void process()
    {
        m_lastActivity = nowMs();
        if (m_rejected || m_state == State::Done)
            return;
        const qint64 available = m_socket->bytesAvailable();
        // Only the bytes that arrived since the last signal are new: what QHttpServer left unread
        // then (a pipelined request; it signals readyRead again for it) was counted then.
        const qint64 fresh = available - std::min(m_carried, available);
        QByteArray chunk;
        if (fresh > 0 && m_state == State::Body && fresh <= m_bodyLeft) {
            // Body bytes, the bulk of an upload: counted without copying them.
            m_bodyLeft -= fresh;
            m_server->m_bodyBytes.fetch_add(fresh, std::memory_order_relaxed);
            if (m_bodyLeft == 0)
                bodyDone();
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
    // Every line of a head is checked as soon as it is complete, before QHttpServer (whose reader
    // runs after this one) reads it.
    bool scan(QByteArrayView chunk, qsizetype pos)
    {
        while (pos < chunk.size()) {
            if (m_state == State::Done)
                return true; // pipelined behind a request that closes the connection: ignored
            if (m_state == State::Body) {
                const qint64 take = std::min<qint64>(m_bodyLeft, chunk.size() - pos);
                m_bodyLeft -= take;
                m_server->m_bodyBytes.fetch_add(take, std::memory_order_relaxed);
                pos += take;
                if (m_bodyLeft == 0)
                    bodyDone();
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
            // Headers arriving in pieces: collect (at most one byte past the limit) and check each
            // line as it completes, without rescanning the lines checked before.
            const qsizetype before = m_header.size();
            m_header.append(chunk.sliced(pos, std::min<qsizetype>(chunk.size() - pos, m_limits.maxHeaderBytes + 1 - before)));
            bool completed = false;
            while (!completed) {
                const char *data = m_header.constData();
                const auto *lf
                    = static_cast<const char *>(std::memchr(data + m_lineFrom, '\n', size_t(m_header.size() - m_lineFrom)));
                if (!lf)
                    break;
                const qsizetype lineEnd = lf + 1 - data;
                const bool requestLine = m_lineFrom == 0;
                const QByteArrayView line(data + m_lineFrom, lineEnd - m_lineFrom);
                if (const HeadVerdict v = checkHeadLine(line, requestLine); !v.ok()) {
                    reject(v.status, v.message);
                    return false;
                }
                m_lineFrom = lineEnd;
                if (requestLine || line.size() != 2)
                    continue;
                // The blank line: the head is complete.
                if (lineEnd > m_limits.maxHeaderBytes) {
                    reject(431, QStringLiteral("Request headers too large"));
                    return false;
                }
                if (!headersComplete(QByteArrayView(m_header).first(lineEnd)))
                    return false;
                pos += lineEnd - before;
                m_header.clear();
                m_lineFrom = 0;
                m_headerStarted = -1;
                completed = true;
            }
            if (completed)
                continue;
            if (m_header.size() > m_limits.maxHeaderBytes) {
                reject(431, QStringLiteral("Request headers too large"));
                return false;
            }
            return true;
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
        const HeadVerdict v = checkRequestHead(head);
        if (!v.ok() || !v.complete) {
            reject(v.ok() ? 400 : v.status, v.ok() ? QStringLiteral("Malformed request head") : v.message);
            return false;
        }
        // The previous request's body is QHttpServer's no longer once the next head arrives.
        releaseReservation();
        const qint64 length = v.contentLength;
        if (length > 0) {
            qint64 limit = m_limits.bodyLimitBytes;
            if (m_server->m_admission) {
                const Admission a = m_server->m_admission(RequestHead{v.method, v.target, head, m_peer, length});
                if (a.status != 0) {
                    reject(a.status, a.message);
                    return false;
                }
                if (a.bodyLimitBytes >= 0)
                    limit = a.bodyLimitBytes;
            }
            if (length > limit) {
                reject(413, QStringLiteral("Request body exceeds the limit of %1 bytes").arg(limit));
                return false;
            }
            if (!m_server->reserve(m_peer, length)) {
                qCInfo(lcGuard) << "refusing a request body: buffered-bytes cap reached";
                reject(503, QStringLiteral("Too many request bodies in progress; try again shortly"));
                return false;
            }
            m_reserved = length;
        }
        if (v.expectContinue && length > 0)
            m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
        // The router numbers the requests QHttpServer hands it in the same order.
        if (asksToClose(head))
            m_closeAt = qint64(m_heads);
        ++m_heads;
        m_bodyLeft = length;
        if (length > 0)
            m_state = State::Body;
        else
            bodyDone();
        return true;
    }

    void releaseReservation()
    {
        if (m_reserved > 0)
            m_server->release(m_peer, m_reserved);
        m_reserved = 0;
    }

    void reject(int status, const QString &message)
    {
        m_rejected = true;
        m_headerStarted = -1;
        rejectConnection(m_socket, status, message);
        updateEvictable();
    }

    QTcpSocket *m_socket;
    GuardedTcpServer *m_server;
    HeaderStash *m_stash; // a child of the socket, as this guard
    GuardedTcpServer::Limits m_limits;
    QHostAddress m_peer;
    qint64 m_lastActivity;
    qint64 m_headerStarted = -1;
    bool m_rejected = false;
    State m_state = State::Headers;
    QByteArray m_header;
    qsizetype m_lineFrom = 0; // where the first line of m_header not checked yet starts
    qint64 m_bodyLeft = 0;
    qint64 m_reserved = 0;
    qint64 m_carried = 0; // bytes the reader left in the buffer after the last readyRead
    quint64 m_heads = 0; // complete request heads accepted
    quint64 m_answered = 0; // answers the router has written
    qint64 m_closeAt = -1; // the request (0-based) after which the connection closes, or -1
    bool m_counted = true;
    GuardedTcpServer::EvictionList *m_list = nullptr;
    qint64 m_listedAt = 0; // when it joined its eviction list (the lists are oldest first)
    ConnectionGuard *m_prevEvictable = nullptr;
    ConnectionGuard *m_nextEvictable = nullptr;
};

namespace {

constexpr int kMaxDraining = 1024;
constexpr int kDrainMs = 1000;
// Refusals in one turn of the event loop before accepting pauses until the next turn: QTcpServer
// accepts in a loop while the backlog has connections, and clients refused over the cap come
// straight back, so without a pause the admitted connections would wait behind the refusals.
constexpr int kRefusalsPerTurn = 64;

// The whole answer to a connection over the cap, built once.
const QByteArray &overCapAnswer()
{
    static const QByteArray answer = [] {
        QJsonObject o;
        o.insert(QStringLiteral("statusCode"), 503);
        o.insert(QStringLiteral("message"), QStringLiteral("Too many connections; try again shortly"));
        o.insert(QStringLiteral("error"), QStringLiteral("Service Unavailable"));
        const QByteArray body = QJsonDocument(o).toJson(QJsonDocument::Compact);
        QByteArray out("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
                       "Retry-After: 1\r\nContent-Length: ");
        out.append(QByteArray::number(body.size()));
        out.append("\r\n\r\n");
        out.append(body);
        return out;
    }();
    return answer;
}

// Reads and drops what a refused client sent; true once it has closed its side (or failed).
bool drainFd(int fd)
{
    char buf[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
}

constexpr const char *kGuardProperty = "kyc_guard";
// Candidates with bytes waiting to be read are passed over (they are about to be busy): at most
// this many are looked at per accepted connection.
constexpr int kEvictionTries = 4;
// Only a connection idle (or stuck in its head) this long gives way: a busy client between two requests, or a
// monitor polling /health, is never cut off, so at the cap under real load the newcomer gets the 503 instead.
constexpr qint64 kMinEvictableMs = 1000;

} // namespace

void ConnectionGuard::evict(bool answer)
{
    // Out of the count at once, so the new connection takes the place; the socket object goes later.
    m_rejected = true;
    forget();
    --m_server->m_active;
    ++m_server->m_evicted;
    if (answer)
        ++m_server->m_refused; // it gets the canned 503, as a refused connection does
    releaseReservation();
    m_socket->setProperty(GuardedTcpServer::kRejectedProperty, true);
    m_socket->flush();
    // The connection lives on in a second descriptor after the socket object lets go of its own: it
    // is closed as a refused one is, a half-close after what was written, reading until the client
    // closes, so that nothing is lost to a reset.
    const qintptr own = m_socket->socketDescriptor();
    const int fd = own >= 0 ? ::fcntl(int(own), F_DUPFD_CLOEXEC, 0) : -1;
    detachReaders(m_socket);
    m_socket->abort();
    if (fd >= 0)
        m_server->drainAndClose(fd, answer ? QByteArrayView(overCapAnswer()) : QByteArrayView());
}

GuardedTcpServer::GuardedTcpServer(Limits limits, QObject *parent)
    : QTcpServer(parent)
    , m_limits(limits)
{
    // A burst of clients past the cap must be accepted (and refused) quickly, not dropped as SYNs.
    setListenBacklogSize(1024);
    // One sweep for all connections, often enough to honour the shortest deadline closely.
    m_sweep.setInterval(std::clamp(std::min(m_limits.headerTimeoutMs, m_limits.idleTimeoutMs) / 4, 25, 1000));
    connect(&m_sweep, &QTimer::timeout, this, [this] {
        const qint64 now = nowMs();
        const auto guards = m_guards; // a check may close a connection and shrink the set
        for (auto *g : guards)
            g->check(now);
    });
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll >= 0) {
        m_epollNotifier = new QSocketNotifier(m_epoll, QSocketNotifier::Read, this);
        connect(m_epollNotifier, &QSocketNotifier::activated, this, [this] { drainReadable(); });
    }
    // Once the last connection has gone (and stayed gone a moment), freed memory goes back to the
    // system: a burst of connections leaves many small freed blocks the allocator would keep.
    m_trim.setSingleShot(true);
    m_trim.setInterval(2000);
    connect(&m_trim, &QTimer::timeout, this, [this] {
        if (m_guards.isEmpty())
            ::malloc_trim(0);
    });
    m_drainTimer.setInterval(100);
    connect(&m_drainTimer, &QTimer::timeout, this, [this] { closeExpiredDrains(nowMs()); });
}

GuardedTcpServer::~GuardedTcpServer()
{
    for (auto it = m_drainingGeneration.cbegin(); it != m_drainingGeneration.cend(); ++it)
        ::close(it.key());
    if (m_epoll >= 0)
        ::close(m_epoll);
}

bool GuardedTcpServer::reserve(const QHostAddress &peer, qint64 bytes)
{
    qint64 &mine = m_bufferedByPeer[peer];
    if (mine + bytes > m_limits.maxBufferedPerClient || m_buffered.load() + bytes > m_limits.maxBufferedTotal) {
        if (mine == 0)
            m_bufferedByPeer.remove(peer);
        return false;
    }
    mine += bytes;
    const qint64 total = m_buffered.fetch_add(bytes) + bytes;
    if (total > m_peakBuffered.load())
        m_peakBuffered.store(total);
    return true;
}

void GuardedTcpServer::release(const QHostAddress &peer, qint64 bytes)
{
    m_buffered.fetch_sub(bytes);
    auto it = m_bufferedByPeer.find(peer);
    if (it == m_bufferedByPeer.end())
        return;
    *it -= bytes;
    if (*it <= 0)
        m_bufferedByPeer.erase(it);
}

ConnectionGuard *GuardedTcpServer::guardOf(const QTcpSocket *socket)
{
    return socket ? static_cast<ConnectionGuard *>(socket->property(kGuardProperty).value<void *>()) : nullptr;
}

qint64 GuardedTcpServer::closingRequest(const ConnectionGuard *guard)
{
    return guard ? guard->closingRequest() : -1;
}

void GuardedTcpServer::requestAnswered(ConnectionGuard *guard)
{
    if (guard)
        guard->requestAnswered();
}

bool GuardedTcpServer::evictOne()
{
    for (EvictionList *list : {&m_idle, &m_heads}) {
        for (int tries = 0; list->first && tries < kEvictionTries; ++tries) {
            ConnectionGuard *g = list->first;
            if (nowMs() - g->listedAt() < kMinEvictableMs)
                break; // the oldest is recent: so is every other one
            if (g->hasUnreadBytes()) {
                // About to be read: to the back of the line.
                g->unlink();
                g->link(list);
                continue;
            }
            qCDebug(lcGuard) << (list == &m_idle ? "closing the connection idle longest to admit a new one"
                                                 : "closing the oldest incomplete request head to admit a new connection");
            g->evict(list == &m_heads);
            return true;
        }
    }
    return false;
}

void GuardedTcpServer::incomingConnection(qintptr socketDescriptor)
{
    if (m_active.load() >= m_limits.maxConnections && !evictOne()) {
        refuseOverCap(int(socketDescriptor));
        return;
    }
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        delete socket;
        return;
    }
    ++m_active;
    // Connected before QHttpServer's own handler, so the guard sees each chunk first.
    auto *guard = new ConnectionGuard(socket, this);
    socket->setProperty(kGuardProperty, QVariant::fromValue(static_cast<void *>(guard)));
    m_guards.insert(guard);
    // destroyed() comes before the socket's children (the guard) are deleted.
    connect(socket, &QObject::destroyed, this, [this, guard] {
        if (guard->counted())
            --m_active;
        guard->forget();
        m_guards.remove(guard);
        if (guard->reserved() > 0)
            release(guard->peer(), guard->reserved());
        if (m_guards.isEmpty()) {
            m_sweep.stop();
            m_trim.start();
        }
    });
    if (!m_sweep.isActive())
        m_sweep.start();
    addPendingConnection(socket);
    // QHttpServer takes the connection and connects its reader from within that call; a slot
    // connected after it runs after the reader. Should it ever not, the guard does without.
    if (!hasPendingConnections())
        guard->followReader();
}

// Over the cap nothing is built for a connection: no socket object, no guard, no stash. It gets
// the canned 503 and a half-close; its descriptor joins the epoll set until the client closes (or
// a second passes), so that what it sent is read rather than answered with a reset that could
// destroy the 503 before the client reads it.
void GuardedTcpServer::refuseOverCap(int fd)
{
    ++m_refused;
    if (++m_refusedThisTurn >= kRefusalsPerTurn && maxPendingConnections() > 0) {
        // QTcpServer stops accepting once its pending connections reach this maximum, until
        // resumeAccepting(); the next turn of the event loop resumes.
        m_maxPending = maxPendingConnections();
        setMaxPendingConnections(0);
        QMetaObject::invokeMethod(
            this,
            [this] {
                m_refusedThisTurn = 0;
                setMaxPendingConnections(m_maxPending);
                resumeAccepting();
            },
            Qt::QueuedConnection);
    }
    emit connectionRejected(QStringLiteral("connection limit reached"));
    drainAndClose(fd, overCapAnswer());
}

void GuardedTcpServer::drainAndClose(int fd, QByteArrayView answer)
{
    drainFd(fd);
    if (!answer.isEmpty())
        (void)::send(fd, answer.data(), size_t(answer.size()), MSG_DONTWAIT | MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    if (m_epoll < 0) {
        ::close(fd);
        return;
    }
    // Bounded: past kMaxDraining, the oldest refused connections are closed at once.
    while (m_drainingCount.load() >= kMaxDraining && !m_draining.empty()) {
        const Draining oldest = m_draining.front();
        m_draining.pop_front();
        if (m_drainingGeneration.value(oldest.fd) == oldest.generation) {
            drainFd(oldest.fd);
            m_drainingGeneration.remove(oldest.fd);
            ::close(oldest.fd);
            --m_drainingCount;
        }
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev) != 0) {
        ::close(fd);
        return;
    }
    const quint64 generation = ++m_nextGeneration;
    m_drainingGeneration.insert(fd, generation);
    m_draining.push_back({fd, generation, nowMs() + kDrainMs});
    ++m_drainingCount;
    if (!m_drainTimer.isActive())
        m_drainTimer.start();
}

void GuardedTcpServer::drainReadable()
{
    epoll_event events[64];
    for (;;) {
        const int n = ::epoll_wait(m_epoll, events, 64, 0);
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (drainFd(fd) && m_drainingGeneration.remove(fd)) {
                ::close(fd); // also leaves the epoll set
                --m_drainingCount;
            }
        }
        if (n < 64)
            break;
    }
}

void GuardedTcpServer::closeExpiredDrains(qint64 now)
{
    while (!m_draining.empty() && m_draining.front().deadline <= now) {
        const Draining d = m_draining.front();
        m_draining.pop_front();
        if (m_drainingGeneration.value(d.fd) != d.generation)
            continue; // closed already; the descriptor number may belong to someone else now
        drainFd(d.fd);
        m_drainingGeneration.remove(d.fd);
        ::close(d.fd);
        --m_drainingCount;
    }
    if (m_draining.empty())
        m_drainTimer.stop();
}

} // namespace kyc::http
