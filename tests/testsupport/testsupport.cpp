#include "tests/testsupport/testsupport.h"

#include <QtTest>

namespace kyc::test {

Config testConfig()
{
    Config c;
    c.host = QStringLiteral("127.0.0.1");
    c.port = 0;
    c.generalRate = {100000, 60};
    c.loginRate = {100000, 3600};
    c.forgotPasswordRate = {100000, 3600};
    c.onboardingRate = {100000, 7200};
    return c;
}

QString sharedDir()
{
    return QStringLiteral(KYC_SHARED_DIR);
}

QString sourceDir()
{
    return QStringLiteral(KYC_SOURCE_DIR);
}

TempBackend::TempBackend(Config config)
{
    config.dataDir = m_dir.path();
    auto b = Backend::open(config, m_clock);
    if (b)
        m_backend = std::move(*b);
    else
        qWarning().noquote() << "backend did not open:" << b.error().message;
}

TestServer::TestServer(Config config)
    : TempBackend(config)
{
    if (!ok())
        return;
    m_server = std::make_unique<http::ApiServer>(backend());
    auto port = m_server->start(QStringLiteral("127.0.0.1"), 0);
    if (port)
        m_port = *port;
    else
        qWarning().noquote() << "server did not start:" << port.error().message;
}

TestServer::~TestServer()
{
    if (m_server)
        m_server->stop();
}

} // namespace kyc::test
