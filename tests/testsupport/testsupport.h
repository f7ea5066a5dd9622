#pragma once

#include "backend/backend.h"
#include "backend/core/actor.h"
#include "backend/http/apiserver.h"
#include "backend/screening/importers.h"

#include <QTemporaryDir>

#include <memory>

namespace kyc::test {

// Limits generous enough that tests not about them never meet them.
[[nodiscard]] Config testConfig();
[[nodiscard]] QString sharedDir();
[[nodiscard]] QString sourceDir();

// Callers as the services see them: a signed-in user, and an API key (whose role never passes a role check).
inline const QString kTestApiKeyId = QStringLiteral("6d0c1f7a-2b3e-4c5d-8e9f-0a1b2c3d4e5f");
[[nodiscard]] Actor userActor(const QString &firmId, const QString &userId, Role role,
                              const QString &ip = QStringLiteral("203.0.113.9"));
[[nodiscard]] Actor keyActor(const QString &firmId, const QStringList &scopes, const QString &keyId = kTestApiKeyId);

// One file set of every sanctions format shipped in ../shared/data/sanctions (the newest full set of each).
struct ShippedList {
    screening::ListFormat format;
    QStringList files;
};
[[nodiscard]] QList<ShippedList> shippedSanctionsLists();

// A Backend over a fresh temporary data directory and a fake clock.
class TempBackend
{
public:
    explicit TempBackend(Config config = testConfig());
    [[nodiscard]] Backend &backend() { return *m_backend; }
    [[nodiscard]] FakeClock &clock() { return m_clock; }
    [[nodiscard]] QString dataDir() const { return m_dir.path(); }
    [[nodiscard]] bool ok() const { return m_backend != nullptr; }

private:
    QTemporaryDir m_dir;
    FakeClock m_clock;
    std::unique_ptr<Backend> m_backend;
};

// The real API server on a loopback port chosen by the system.
class TestServer : public TempBackend
{
public:
    explicit TestServer(Config config = testConfig());
    ~TestServer();
    [[nodiscard]] quint16 port() const { return m_port; }
    [[nodiscard]] http::ApiServer &server() { return *m_server; }

private:
    std::unique_ptr<http::ApiServer> m_server;
    quint16 m_port = 0;
};

} // namespace kyc::test
