#pragma once

#include "backend/core/clock.h"
#include "backend/core/config.h"
#include "backend/http/guardedtcpserver.h"
#include "backend/http/ratelimiter.h"
#include "backend/http/route.h"

#include <QAbstractHttpServer>
#include <QElapsedTimer>
#include <QThreadPool>

#include <map>
#include <memory>

namespace kyc::http {

// Establishes the caller of an operation from its credentials (Authorization: Bearer, X-API-Key).
class Authenticator
{
public:
    virtual ~Authenticator() = default;
    // `optional`: the operation is also public, so no credentials is fine (an anonymous actor).
    [[nodiscard]] virtual Result<Actor> authenticate(const ApiRequest &request, const AuthSpec &auth, bool optional) = 0;
};

// A request as it came off the wire, before routing.
struct IncomingRequest {
    QByteArray method;
    QByteArray encodedPath; // as sent, percent-encoding intact
    QByteArray encodedQuery;
    QList<std::pair<QByteArray, QByteArray>> headers; // names lower-case
    QByteArray body;
    QString ip;
};

// The /api/v1 router over QHttpServer 6.4. Order of checks: body size → route (404/405) →
// rate limit → content type → JSON → authentication → handler; every non-2xx answer is the
// contract's error body, and every request leaves one access-log line.
class ApiRouter final : public QAbstractHttpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApiRouter)
public:
    static constexpr QByteArrayView kBase = "/api/v1";

    ApiRouter(const Config &config, const Clock &clock, QObject *parent = nullptr);
    ~ApiRouter() override;

    // The guard's admission check for a request with a body, from its head alone: the route's
    // body limit (413) and its head check (e.g. an upload's pre-signed URL: 401/403).
    [[nodiscard]] Admission admit(const RequestHead &head);
    // The body limit of the route `method` and `encodedPath` (a query is ignored) reach, else the general one.
    [[nodiscard]] qint64 bodyLimitFor(QByteArrayView method, QByteArrayView encodedPath) const;

    void addController(Controller controller);
    void setAuthenticator(std::unique_ptr<Authenticator> authenticator) { m_authenticator = std::move(authenticator); }
    [[nodiscard]] const QList<Controller> &controllers() const { return m_controllers; }
    [[nodiscard]] RateLimiter &rateLimiter() { return m_limiter; }
    // Proxies whose X-Forwarded-For names the client (none by default).
    void setTrustedProxies(TrustedProxies proxies) { m_proxies = std::move(proxies); }

    // Routes and answers one request on the calling thread; used directly by tests.
    [[nodiscard]] ApiResponse dispatch(const IncomingRequest &in, QString *requestIdOut = nullptr);

signals:
    void requestServed(int status);

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    struct Compiled;
    // A request routed and checked, ready for its handler (or already answered).
    struct Prepared {
        std::optional<ApiResponse> answer;
        const Compiled *route = nullptr;
        ApiRequest request;
        qint64 startedNs = 0;
        QByteArray method;
        QByteArray path;
    };
    Prepared prepare(const IncomingRequest &in);
    ApiResponse run(const Prepared &p);
    ApiResponse finish(const Prepared &p, ApiResponse res);
    void respond(QTcpSocket *socket, quint64 sequence, bool head, const ApiResponse &res);
    enum class Bucket { General, Login, ForgotPassword, Onboarding, Unlimited };
    const Compiled *match(Method m, const QList<QString> &segments, QHash<QString, QString> &params,
                          QList<QByteArray> &allowed) const;
    ApiResponse route(const IncomingRequest &in, ApiRequest &req, const Compiled **handlerOut);

    // The route of a path (segments split before decoding) or null; `allowed` gets the methods
    // of every route with that path.
    const Compiled *resolve(QByteArrayView method, QByteArrayView encodedPath, QHash<QString, QString> &params,
                            QList<QByteArray> &allowed, QString *decodedPath = nullptr) const;

    // The client of a request: the peer, or with a trusted proxy, what its X-Forwarded-For says.
    [[nodiscard]] QHostAddress clientAddress(const QHostAddress &peer,
                                             const QList<std::pair<QByteArray, QByteArray>> &headers) const;

    Config m_config;
    const Clock &m_clock;
    RateLimiter m_limiter;
    TrustedProxies m_proxies;
    std::unique_ptr<Authenticator> m_authenticator;
    QList<Controller> m_controllers;
    std::vector<std::unique_ptr<Compiled>> m_routes;
    QElapsedTimer m_clockNs;
    QThreadPool m_workers;
    // Answers leave each connection in request order, even when a later one is ready first.
    struct Outgoing {
        HeaderStash *stash = nullptr; // the guard's, a child of the socket: gone with this entry
        ConnectionGuard *guard = nullptr; // likewise
        quint64 nextSequence = 0;
        quint64 nextToWrite = 0;
        std::map<quint64, QByteArray> ready;
    };
    QHash<QTcpSocket *, Outgoing> m_outgoing;
};

} // namespace kyc::http
