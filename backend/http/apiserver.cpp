#include "backend/http/apiserver.h"

#include "backend/core/version.h"
#include "backend/http/apirouter.h"
#include "backend/http/backendauthenticator.h"
#include "backend/http/controllers/controllers.h"
#include "backend/http/guardedtcpserver.h"

#include <QHostAddress>
#include <QLoggingCategory>
#include <QSemaphore>

Q_LOGGING_CATEGORY(lcServer, "kyc.http.server")

namespace kyc::http {

ApiServer::ApiServer(Backend &backend, QObject *parent)
    : QObject(parent)
    , m_backend(backend)
{
    m_thread.setObjectName(QStringLiteral("kyc-api"));
}

ApiServer::~ApiServer()
{
    stop();
}

Result<quint16> ApiServer::start(const QString &host, quint16 port)
{
    if (m_state == State::Listening)
        return m_port;
    QHostAddress address;
    if (host == QStringLiteral("localhost"))
        address = QHostAddress::LocalHost;
    else if (!address.setAddress(host))
        return fail(Error::validation(QStringLiteral("host"), QStringLiteral("host must be an IP address or localhost")));

    auto proxies = TrustedProxies::parse(m_backend.config().trustedProxies);
    if (!proxies) {
        m_state = State::Failed;
        emit stateChanged(m_state, proxies.error().fields.value(0).message);
        return fail(proxies.error());
    }
    auto *context = new QObject;
    context->moveToThread(&m_thread);
    m_thread.start();
    Result<quint16> result = fail(ErrorCode::Internal, QStringLiteral("server did not start"));
    QSemaphore done;
    Backend *backend = &m_backend;
    // Everything below is created on, and owned by, the server thread.
    QMetaObject::invokeMethod(
        context,
        [&, backend, context] {
            delete context;
            const Config &cfg = backend->config();
            auto *router = new ApiRouter(cfg, backend->clock());
            HealthDeps health{version(), [backend] { return backend->uptimeSeconds(); }, backend->readinessChecks(), router};
            for (auto &c : makeAllControllers(std::move(health), backend))
                router->addController(std::move(c));
            router->setAuthenticator(std::make_unique<BackendAuthenticator>(*backend));
            router->setTrustedProxies(*proxies);
            GuardedTcpServer::Limits limits{.maxConnections = cfg.maxConnections,
                                            .headerTimeoutMs = cfg.headerTimeoutMs,
                                            .idleTimeoutMs = cfg.idleTimeoutMs,
                                            .bodyLimitBytes = cfg.bodyLimitBytes,
                                            .maxHeaderBytes = 16 * 1024,
                                            .maxBufferedPerClient = cfg.bufferedBytesPerClient,
                                            .maxBufferedTotal = cfg.bufferedBytesTotal};
            auto *tcp = new GuardedTcpServer(limits, router);
            tcp->setAdmissionCheck([router](const RequestHead &head) { return router->admit(head); });
            if (!tcp->listen(address, port)) {
                result
                    = fail(Error::make(ErrorCode::Unavailable,
                                       QStringLiteral("cannot listen on %1:%2: %3").arg(host).arg(port).arg(tcp->errorString())));
                delete router;
            } else {
                router->bind(tcp);
                m_router = router;
                result = tcp->serverPort();
                // The thread's database connection goes with the router.
                QObject::connect(router, &QObject::destroyed, [backend] { backend->database().closeThreadConnection(); });
            }
            done.release();
        },
        Qt::QueuedConnection);
    done.acquire();

    if (!result) {
        m_thread.quit();
        m_thread.wait();
        m_state = State::Failed;
        emit stateChanged(m_state, result.error().message);
        return result;
    }
    m_host = host;
    m_port = *result;
    m_state = State::Listening;
    qCInfo(lcServer).noquote() << "API listening on" << baseUrl();
    emit stateChanged(m_state, baseUrl());
    return result;
}

void ApiServer::stop()
{
    if (!m_thread.isRunning())
        return;
    if (m_router) {
        QSemaphore done;
        ApiRouter *router = m_router;
        QMetaObject::invokeMethod(
            router,
            [router, &done] {
                delete router;
                done.release();
            },
            Qt::QueuedConnection);
        done.acquire();
        m_router = nullptr;
    }
    m_thread.quit();
    m_thread.wait();
    if (m_state == State::Listening) {
        m_state = State::Stopped;
        emit stateChanged(m_state, QString());
    }
}

QString ApiServer::baseUrl() const
{
    const QString host = m_host.contains(u':') ? u'[' + m_host + u']' : m_host;
    return QStringLiteral("http://%1:%2/api/v1").arg(host).arg(m_port);
}

} // namespace kyc::http
