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
    // Tests keep the data key in their temporary directory, never in the keychain of whoever runs them.
    c.keyStore = KeyStore::File;
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

Actor userActor(const QString &firmId, const QString &userId, Role role, const QString &ip)
{
    Actor a;
    a.kind = Actor::Kind::User;
    a.firmId = firmId;
    a.userId = userId;
    a.role = role;
    a.ip = ip;
    return a;
}

Actor keyActor(const QString &firmId, const QStringList &scopes, const QString &keyId)
{
    Actor a;
    a.kind = Actor::Kind::ApiKey;
    a.firmId = firmId;
    a.apiKeyId = keyId;
    a.role = Role::Owner; // a key never passes a role check, whatever this says
    a.scopes = scopes;
    return a;
}

QList<ShippedList> shippedSanctionsLists()
{
    using screening::ListFormat;
    const QString s = sharedDir() + QStringLiteral("/data/sanctions/");
    const QString cons = s + QStringLiteral("ofac_cons_csv/2025-12-19/");
    return {
        {ListFormat::OfacSdnCsv, {s + QStringLiteral("ofac_sdn_csv/2024-05-03_full/sdn.csv")}},
        {ListFormat::OfacConsCsv,
         {cons + QStringLiteral("cons_prim.csv"), cons + QStringLiteral("cons_add.csv"), cons + QStringLiteral("cons_alt.csv"),
          cons + QStringLiteral("cons_comments.csv")}},
        {ListFormat::UnXml, {s + QStringLiteral("un_consolidated_xml/2026-02-27/UN_consolidated.xml")}},
        {ListFormat::EuFsfXml, {s + QStringLiteral("eu_fsf_xml/excerpt_2026-08-05_GSmiguel/sample_eu_fsf.xml")}},
        {ListFormat::UkXml, {s + QStringLiteral("uk_sanctions_list_xml/excerpt_2026-09-10_GSmiguel/sample_uk_sanctions.xml")}},
        {ListFormat::BisDplTxt, {s + QStringLiteral("us_bis_dpl_txt/2022-09/dpl.txt")}},
        {ListFormat::CslCsv, {s + QStringLiteral("us_csl_csv/2019-12/csl.csv")}},
        {ListFormat::FtmJson, {s + QStringLiteral("opensanctions_ftm_json/yente_zala_fixture/entities.ftm.json")}},
    };
}

} // namespace kyc::test
