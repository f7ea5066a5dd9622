#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QSet>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTimer>

#include <atomic>
#include <deque>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

class QTcpSocket;

namespace kyc::http {

class ConnectionGuard;

// A request head the guard has checked (backend/http/requesthead.h), for the admission check.
struct RequestHead {
    QByteArrayView method;
    QByteArrayView target; // path and query, encoded, as on the wire
    QByteArrayView head; // the whole head, request line to blank line
    QHostAddress peer;
    qint64 contentLength = 0;
};

// What the owner of the server says about a request with a body, before a byte of it is read.
struct Admission {
    int status = 0; // 0: admitted; otherwise refused with this status and message
    QString message;
    qint64 bodyLimitBytes = -1; // the route's own body limit; -1: the general one
};

// The listening socket handed to QHttpServer::bind(). QHttpServer 6.4 has no connection cap, no
// timeouts and no body limit, buffers a whole request before anyone can look at it, and reads
// request heads leniently; this server watches every connection's bytes as they arrive and
//  - refuses connections past the cap with a canned 503 before building anything for them,
//  - is the one authority on framing: a head QHttpServer could read differently (see
//    checkRequestHead) is answered 400 and closed before QHttpServer reads a byte of it,
//  - closes a connection whose request headers do not complete in time (slowloris) or that stays
//    idle too long (keep-alive is otherwise never closed),
//  - honours `Connection: close` and HTTP/1.0 without keep-alive: the router answers that request,
//    then the connection is half-closed and whatever was pipelined behind it is dropped unanswered,
//  - at the cap, makes room for a new connection by closing the connection idle longest, or else
//    the one that has been sending an incomplete head longest (it gets the canned 503); only when
//    every connection has a request in progress (head complete, body arriving or answer pending)
//    is the new one refused,
//  - asks its admission check about every request with a body (route body limit, credentials
//    that can be checked from the head) and answers 413/401/403 without reading the body,
//  - caps the body bytes buffered per client address and overall (503 beyond),
//  - answers 431 for oversized headers and 411 for Transfer-Encoding (length unknown),
//  - shortens long header blocks before QHttpServer reads them (see HeaderStash).
class GuardedTcpServer final : public QTcpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GuardedTcpServer)
public:
    struct Limits {
        int maxConnections = 256;
        int headerTimeoutMs = 10'000;
        int idleTimeoutMs = 60'000;
        qint64 bodyLimitBytes = 1024 * 1024;
        int maxHeaderBytes = 16 * 1024;
        // Declared body bytes of requests in progress (admitted, not yet replaced by the next
        // request or closed), per client address and in all.
        qint64 maxBufferedPerClient = 160 * 1024 * 1024;
        qint64 maxBufferedTotal = 512 * 1024 * 1024;
    };
    using AdmissionCheck = std::function<Admission(const RequestHead &)>;

    explicit GuardedTcpServer(Limits limits, QObject *parent = nullptr);
    ~GuardedTcpServer() override;
    void setAdmissionCheck(AdmissionCheck check) { m_admission = std::move(check); }

    // Safe to read from any thread.
    [[nodiscard]] int activeConnections() const { return m_active.load(); }
    // Refused connections still being drained before they are closed.
    [[nodiscard]] int drainingConnections() const { return m_drainingCount.load(); }
    [[nodiscard]] qint64 bufferedBytes() const { return m_buffered.load(); }
    [[nodiscard]] qint64 peakBufferedBytes() const { return m_peakBuffered.load(); }
    // Body bytes that arrived for admitted requests, since the start.
    [[nodiscard]] qint64 bodyBytesReceived() const { return m_bodyBytes.load(); }
    [[nodiscard]] qint64 refusedConnections() const { return m_refused.load(); }
    [[nodiscard]] const Limits &limits() const { return m_limits; }

    // Set on a socket the guard has answered; the router must not answer it again.
    static constexpr const char *kRejectedProperty = "kyc_rejected";

    // For the router, on the server thread. The guard of a connection this server accepted (or
    // nullptr), looked up once per connection; the functions below accept nullptr.
    [[nodiscard]] static ConnectionGuard *guardOf(const QTcpSocket *socket);
    // The position (0-based, in arrival order) of the request that asked to close the connection
    // (`Connection: close`, or HTTP/1.0 without keep-alive), or -1. Requests after it are not
    // answered; the answer to it is the connection's last.
    [[nodiscard]] static qint64 closingRequest(const ConnectionGuard *guard);
    // The answer to the connection's oldest unanswered request has been written.
    static void requestAnswered(ConnectionGuard *guard);
    // Connections closed to make room for new ones at the cap (those closed while sending a head get
    // the canned 503 and count as refused as well).
    [[nodiscard]] qint64 evictedConnections() const { return m_evicted.load(); }

signals:
    void connectionRejected(const QString &reason);

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    friend class ConnectionGuard;
    [[nodiscard]] bool reserve(const QHostAddress &peer, qint64 bytes);
    void release(const QHostAddress &peer, qint64 bytes);
    void refuseOverCap(int fd);
    // Sends `answer` (may be empty), half-closes and reads the descriptor until the client closes.
    void drainAndClose(int fd, QByteArrayView answer);
    // At the cap: closes the connection idle longest, or else the oldest incomplete head; false
    // when every connection has a request in progress.
    [[nodiscard]] bool evictOne();

    // Connections that may be closed to make room, oldest first (intrusive, O(1) updates).
    struct EvictionList {
        ConnectionGuard *first = nullptr;
        ConnectionGuard *last = nullptr;
    };
    EvictionList m_idle; // no request in progress (or answered and closing)
    EvictionList m_heads; // still sending a request head (or nothing yet)
    void drainReadable();
    void closeExpiredDrains(qint64 now);

    Limits m_limits;
    AdmissionCheck m_admission;
    std::atomic<int> m_active{0};
    std::atomic<int> m_drainingCount{0};
    std::atomic<qint64> m_buffered{0};
    std::atomic<qint64> m_peakBuffered{0};
    std::atomic<qint64> m_bodyBytes{0};
    std::atomic<qint64> m_refused{0};
    std::atomic<qint64> m_evicted{0};
    QHash<QHostAddress, qint64> m_bufferedByPeer;
    QSet<ConnectionGuard *> m_guards;
    QTimer m_sweep;
    // Connections refused over the cap: a descriptor each, in one epoll set, read and dropped
    // until the client closes or a second has passed, so the canned 503 is not lost to a reset.
    struct Draining {
        int fd;
        quint64 generation;
        qint64 deadline;
    };
    int m_epoll = -1;
    QSocketNotifier *m_epollNotifier = nullptr;
    std::deque<Draining> m_draining;
    QHash<int, quint64> m_drainingGeneration;
    quint64 m_nextGeneration = 0;
    QTimer m_drainTimer;
    int m_refusedThisTurn = 0;
    int m_maxPending = 30;
    QTimer m_trim;
};

// QHttpServer 6.4 reads a request's line and headers one byte per QIODevice::read() call: a JWT in
// Authorization cost it 5-6 us a request, several times the whole /auth/me handler. When a
// complete header block is at the front of a connection's buffer, the guard moves its header lines
// (all but the few QHttpServer reads itself) into this stash, one per connection, and leaves a
// single short line in their place, "K:#<nonce>.<n>"; the router puts the lines back before anyone
// reads the headers. The nonce is random per connection and never sent to the client, a reference
// resolves only against the stash of the connection it arrived on, and only once; anything that
// does not resolve is an ordinary header.
class HeaderStash final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HeaderStash)
public:
    // Header lines as QHttpServer would have read them: lower-case name, trimmed value.
    using Lines = QList<std::pair<QByteArray, QByteArray>>;
    // The name of the line that stands for the lines moved out of a block.
    static constexpr QByteArrayView kHeader = "K";
    // Blocks whose movable lines are shorter stay as they are: the reference line is 15 bytes.
    static constexpr qsizetype kMinBytes = 64;
    // The guard empties the stash at each request boundary; this bounds it in any case.
    static constexpr qsizetype kMaxEntries = 4;

    explicit HeaderStash(QTcpSocket *socket);
    // The stash of a connection accepted by GuardedTcpServer, or nullptr.
    [[nodiscard]] static HeaderStash *of(const QTcpSocket *socket);

    // The lines `reference` stands for if it is one of this stash's references, which it
    // removes; nullopt when it is not (the header is then an ordinary one).
    [[nodiscard]] std::optional<Lines> take(QByteArrayView reference);
    [[nodiscard]] qsizetype size() const { return qsizetype(m_entries.size()); }
    // The headers of a request as QHttpServer read them, names lower-cased, with a reference line of
    // `stash` (which may be null) replaced by the lines it stands for.
    [[nodiscard]] static Lines restore(HeaderStash *stash, const Lines &headers);
    // The references currently held, for tests and diagnostics.
    [[nodiscard]] QList<QByteArray> references() const;

    // For the guard: keeps `lines` and returns their reference, or an empty array when full.
    [[nodiscard]] QByteArray put(Lines lines);
    // For the guard: forgets everything (lines of requests already handed on and never claimed).
    void clear() { m_entries.clear(); }

private:
    QByteArray m_prefix; // "#<nonce>.", made on first use
    quint64 m_next = 0;
    std::vector<std::pair<quint64, Lines>> m_entries;
};

// Writes a complete error response in the contract's format and closes the connection.
void rejectConnection(class QTcpSocket *socket, int status, const QString &message);
// For the router: QHttpServer reads nothing more of this connection; what still arrives is dropped.
void stopReading(QTcpSocket *socket);
// For the router: the connection's last answer has been written. Half-closes once it is out, so the
// client reads it and then EOF, and closes the connection (at the latest two seconds later).
void closeAfterAnswer(QTcpSocket *socket);

} // namespace kyc::http
