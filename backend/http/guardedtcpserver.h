#pragma once

#include <QByteArray>
#include <QList>
#include <QSet>
#include <QTcpServer>
#include <QTimer>

#include <optional>
#include <utility>
#include <vector>

class QTcpSocket;

namespace kyc::http {

class ConnectionGuard;

// A body limit other than the general one, for the requests of one method whose target is the
// prefix followed by a single path segment (e.g. PUT /api/v1/storage/objects/<key>).
struct PathBodyLimit {
    QByteArray method;
    QByteArray pathPrefix; // encoded, as on the wire
    qint64 bodyLimitBytes = 0;

    [[nodiscard]] bool matches(QByteArrayView requestMethod, QByteArrayView target) const;
};

// The listening socket handed to QHttpServer::bind(). QHttpServer 6.4 has no connection cap, no
// timeouts and no body limit, and buffers a whole request before anyone can look at it; this
// server watches every connection's bytes as they arrive and
//  - refuses connections past the cap (503),
//  - closes a connection whose request headers do not complete in time (slowloris) or that stays
//    idle too long (keep-alive is otherwise never closed),
//  - answers 413 as soon as the headers declare a body over the limit, without reading it,
//  - answers 431 for oversized headers and 411 for chunked request bodies (length unknown),
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
        QList<PathBodyLimit> pathLimits; // the first that matches replaces bodyLimitBytes

        // The body limit of a request, from its method and target (path and query, encoded).
        [[nodiscard]] qint64 bodyLimitFor(QByteArrayView method, QByteArrayView target) const;
    };

    explicit GuardedTcpServer(Limits limits, QObject *parent = nullptr);
    [[nodiscard]] int activeConnections() const { return m_active; }
    [[nodiscard]] const Limits &limits() const { return m_limits; }

    // Set on a socket the guard has answered; the router must not answer it again.
    static constexpr const char *kRejectedProperty = "kyc_rejected";

signals:
    void connectionRejected(const QString &reason);

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    Limits m_limits;
    int m_active = 0;
    QSet<ConnectionGuard *> m_guards;
    QTimer m_sweep;
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

} // namespace kyc::http
