#pragma once

#include <QByteArray>
#include <QList>
#include <QSet>
#include <QTcpServer>
#include <QTimer>

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
//  - answers 431 for oversized headers and 411 for chunked request bodies (length unknown).
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

// Writes a complete error response in the contract's format and closes the connection.
void rejectConnection(class QTcpSocket *socket, int status, const QString &message);

} // namespace kyc::http
