#pragma once

#include "backend/backend.h"
#include "backend/core/result.h"

#include <QObject>
#include <QThread>

namespace kyc::http {

class ApiRouter;

// Runs the /api/v1 server on its own thread: the router, its controllers and the guarded listening
// socket all live there, so a slow request never freezes the GUI.
class ApiServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApiServer)
public:
    enum class State { Stopped, Listening, Failed };

    explicit ApiServer(Backend &backend, QObject *parent = nullptr);
    ~ApiServer() override;

    // Starts the thread and binds; returns the bound port (useful with port 0) or why it failed.
    [[nodiscard]] Result<quint16> start(const QString &host, quint16 port);
    void stop();

    [[nodiscard]] State state() const { return m_state; }
    [[nodiscard]] QString baseUrl() const;
    [[nodiscard]] quint16 port() const { return m_port; }
    // Valid while listening; lives on the server thread.
    [[nodiscard]] ApiRouter *router() const { return m_router; }

signals:
    void stateChanged(kyc::http::ApiServer::State state, const QString &detail);

private:
    Backend &m_backend;
    QThread m_thread;
    ApiRouter *m_router = nullptr;
    State m_state = State::Stopped;
    QString m_host;
    quint16 m_port = 0;
};

} // namespace kyc::http
