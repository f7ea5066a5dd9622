// Config::fromEnvironment: the defaults of the brief and the contract, every KYCONNECT_* override,
// and refusal of values that make no sense.
#include "backend/core/config.h"

#include <QtTest>

using namespace kyc;

namespace {

QProcessEnvironment envOf(std::initializer_list<std::pair<const char *, const char *>> vars)
{
    QProcessEnvironment env;
    for (const auto &[name, value] : vars)
        env.insert(QLatin1String(name), QString::fromUtf8(value));
    return env;
}

} // namespace

class TestConfig final : public QObject
{
    Q_OBJECT

private slots:
    void defaults();
    void defaultsIgnoreUnrelatedAndEmptyVariables();
    void overrides();
    void unlimitedRate();
    void invalidValues_data();
    void invalidValues();
    void parseRateRule_data();
    void parseRateRule();
    void parsePort_data();
    void parsePort();
};

void TestConfig::defaults()
{
    auto c = Config::fromEnvironment(QProcessEnvironment());
    QVERIFY(c.has_value());
    QCOMPARE(c->host, QStringLiteral("127.0.0.1"));
    QCOMPARE(c->port, quint16(3000));
    QVERIFY(c->dataDir.isEmpty());
    QCOMPARE(c->bodyLimitBytes, qint64(1024 * 1024));
    QCOMPARE(c->generalRate.limit, 100);
    QCOMPARE(c->generalRate.windowSeconds, 60);
    QCOMPARE(c->loginRate.limit, 10);
    QCOMPARE(c->loginRate.windowSeconds, 3600);
    QCOMPARE(c->forgotPasswordRate.limit, 10);
    QCOMPARE(c->forgotPasswordRate.windowSeconds, 3600);
    QCOMPARE(c->onboardingRate.limit, 5);
    QCOMPARE(c->onboardingRate.windowSeconds, 7200);
    QVERIFY(c->maxConnections > 0);
    QVERIFY(c->headerTimeoutMs > 0);
    QVERIFY(c->idleTimeoutMs > 0);
    QVERIFY(c->listSourcesFile.isEmpty()); // the built-in table
    QCOMPARE(c->listRefreshHours, 24);
    QCOMPARE(c->listMaxAgeHours, 72);
}

void TestConfig::defaultsIgnoreUnrelatedAndEmptyVariables()
{
    auto c = Config::fromEnvironment(
        envOf({{"PORT", "8080"}, {"HOST", "0.0.0.0"}, {"KYCONNECT_PORT", ""}, {"kyconnect_port", "1"}}));
    QVERIFY(c.has_value());
    QCOMPARE(c->port, quint16(3000));
    QCOMPARE(c->host, QStringLiteral("127.0.0.1"));
}

void TestConfig::overrides()
{
    const auto env = envOf({{"KYCONNECT_HOST", "0.0.0.0"},
                            {"KYCONNECT_PORT", "8443"},
                            {"KYCONNECT_DATA_DIR", "/var/lib/kyconnect"},
                            {"KYCONNECT_BODY_LIMIT", "2097152"},
                            {"KYCONNECT_MAX_CONNECTIONS", "512"},
                            {"KYCONNECT_HEADER_TIMEOUT_MS", "2500"},
                            {"KYCONNECT_IDLE_TIMEOUT_MS", "30000"},
                            {"KYCONNECT_RATE_GENERAL", "200/30"},
                            {"KYCONNECT_RATE_LOGIN", "7/600"},
                            {"KYCONNECT_RATE_FORGOT_PASSWORD", "3/900"},
                            {"KYCONNECT_RATE_ONBOARDING", "9/100"},
                            {"KYCONNECT_AUDIT_CHECKPOINT_MINUTES", "15"},
                            {"KYCONNECT_LIST_SOURCES_FILE", "/etc/kyconnect/list-sources.json"},
                            {"KYCONNECT_LIST_REFRESH_HOURS", "6"},
                            {"KYCONNECT_LIST_MAX_AGE_HOURS", "48"}});
    auto c = Config::fromEnvironment(env);
    QVERIFY2(c.has_value(), qPrintable(c ? QString() : c.error().message));
    QCOMPARE(c->host, QStringLiteral("0.0.0.0"));
    QCOMPARE(c->port, quint16(8443));
    QCOMPARE(c->dataDir, QStringLiteral("/var/lib/kyconnect"));
    QCOMPARE(c->bodyLimitBytes, qint64(2097152));
    QCOMPARE(c->maxConnections, 512);
    QCOMPARE(c->headerTimeoutMs, 2500);
    QCOMPARE(c->idleTimeoutMs, 30000);
    QCOMPARE(c->generalRate.limit, 200);
    QCOMPARE(c->generalRate.windowSeconds, 30);
    QCOMPARE(c->loginRate.limit, 7);
    QCOMPARE(c->loginRate.windowSeconds, 600);
    QCOMPARE(c->forgotPasswordRate.limit, 3);
    QCOMPARE(c->forgotPasswordRate.windowSeconds, 900);
    QCOMPARE(c->onboardingRate.limit, 9);
    QCOMPARE(c->onboardingRate.windowSeconds, 100);
    QCOMPARE(c->auditCheckpointMinutes, 15);
    QCOMPARE(c->listSourcesFile, QStringLiteral("/etc/kyconnect/list-sources.json"));
    QCOMPARE(c->listRefreshHours, 6);
    QCOMPARE(c->listMaxAgeHours, 48);
    // 0 turns the scheduled refresh off, and staleness.
    auto off = Config::fromEnvironment(envOf({{"KYCONNECT_LIST_REFRESH_HOURS", "0"}, {"KYCONNECT_LIST_MAX_AGE_HOURS", "0"}}));
    QVERIFY(off.has_value());
    QCOMPARE(off->listRefreshHours, 0);
    QCOMPARE(off->listMaxAgeHours, 0);
}

void TestConfig::unlimitedRate()
{
    auto c = Config::fromEnvironment(envOf({{"KYCONNECT_RATE_GENERAL", "0/60"}}));
    QVERIFY(c.has_value());
    QCOMPARE(c->generalRate.limit, 0);
    QCOMPARE(c->loginRate.limit, 10); // the others keep their defaults
}

void TestConfig::invalidValues_data()
{
    QTest::addColumn<QString>("variable");
    QTest::addColumn<QString>("value");

    QTest::newRow("port 70000") << QStringLiteral("KYCONNECT_PORT") << QStringLiteral("70000");
    QTest::newRow("port 65536") << QStringLiteral("KYCONNECT_PORT") << QStringLiteral("65536");
    QTest::newRow("port abc") << QStringLiteral("KYCONNECT_PORT") << QStringLiteral("abc");
    QTest::newRow("port -1") << QStringLiteral("KYCONNECT_PORT") << QStringLiteral("-1");
    QTest::newRow("port 80x") << QStringLiteral("KYCONNECT_PORT") << QStringLiteral("80x");
    QTest::newRow("general rate without window") << QStringLiteral("KYCONNECT_RATE_GENERAL") << QStringLiteral("10");
    QTest::newRow("general rate x/60") << QStringLiteral("KYCONNECT_RATE_GENERAL") << QStringLiteral("x/60");
    QTest::newRow("login rate 10/0") << QStringLiteral("KYCONNECT_RATE_LOGIN") << QStringLiteral("10/0");
    QTest::newRow("login rate 10/abc") << QStringLiteral("KYCONNECT_RATE_LOGIN") << QStringLiteral("10/abc");
    QTest::newRow("forgot rate -1/60") << QStringLiteral("KYCONNECT_RATE_FORGOT_PASSWORD") << QStringLiteral("-1/60");
    QTest::newRow("onboarding rate 1/2/3") << QStringLiteral("KYCONNECT_RATE_ONBOARDING") << QStringLiteral("1/2/3");
    QTest::newRow("body limit 0") << QStringLiteral("KYCONNECT_BODY_LIMIT") << QStringLiteral("0");
    QTest::newRow("body limit -5") << QStringLiteral("KYCONNECT_BODY_LIMIT") << QStringLiteral("-5");
    QTest::newRow("body limit 1MB") << QStringLiteral("KYCONNECT_BODY_LIMIT") << QStringLiteral("1MB");
    QTest::newRow("max connections 0") << QStringLiteral("KYCONNECT_MAX_CONNECTIONS") << QStringLiteral("0");
    QTest::newRow("header timeout abc") << QStringLiteral("KYCONNECT_HEADER_TIMEOUT_MS") << QStringLiteral("abc");
    QTest::newRow("idle timeout 0") << QStringLiteral("KYCONNECT_IDLE_TIMEOUT_MS") << QStringLiteral("0");
    QTest::newRow("checkpoint minutes -1") << QStringLiteral("KYCONNECT_AUDIT_CHECKPOINT_MINUTES") << QStringLiteral("-1");
    QTest::newRow("list refresh hours -1") << QStringLiteral("KYCONNECT_LIST_REFRESH_HOURS") << QStringLiteral("-1");
    QTest::newRow("list refresh hours 24h") << QStringLiteral("KYCONNECT_LIST_REFRESH_HOURS") << QStringLiteral("24h");
    QTest::newRow("list refresh hours 100000") << QStringLiteral("KYCONNECT_LIST_REFRESH_HOURS") << QStringLiteral("100000");
    QTest::newRow("list max age -5") << QStringLiteral("KYCONNECT_LIST_MAX_AGE_HOURS") << QStringLiteral("-5");
    QTest::newRow("list max age 1.5") << QStringLiteral("KYCONNECT_LIST_MAX_AGE_HOURS") << QStringLiteral("1.5");
}

void TestConfig::invalidValues()
{
    QFETCH(QString, variable);
    QFETCH(QString, value);
    QProcessEnvironment env;
    env.insert(variable, value);
    auto c = Config::fromEnvironment(env);
    QVERIFY(!c.has_value());
    QCOMPARE(c.error().code, ErrorCode::Validation);
    // The error names the setting, so that an operator knows what to fix.
    QVERIFY(!c.error().fields.isEmpty());
    const QString setting = variable.mid(QStringLiteral("KYCONNECT_").size());
    const QString named = c.error().fields.first().field + u' ' + c.error().fields.first().message + u' ' + c.error().message;
    QVERIFY2(named.contains(setting, Qt::CaseInsensitive), qPrintable(named));
}

void TestConfig::parseRateRule_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<int>("limit");
    QTest::addColumn<int>("window");

    QTest::newRow("100/60") << QStringLiteral("100/60") << true << 100 << 60;
    QTest::newRow("0/60 (unlimited)") << QStringLiteral("0/60") << true << 0 << 60;
    QTest::newRow("5/7200") << QStringLiteral("5/7200") << true << 5 << 7200;
    QTest::newRow("spaces") << QStringLiteral(" 5 / 7200 ") << true << 5 << 7200;
    QTest::newRow("empty") << QString() << false << 0 << 0;
    QTest::newRow("10") << QStringLiteral("10") << false << 0 << 0;
    QTest::newRow("x/60") << QStringLiteral("x/60") << false << 0 << 0;
    QTest::newRow("10/") << QStringLiteral("10/") << false << 0 << 0;
    QTest::newRow("/60") << QStringLiteral("/60") << false << 0 << 0;
    QTest::newRow("10/0") << QStringLiteral("10/0") << false << 0 << 0;
    QTest::newRow("-1/60") << QStringLiteral("-1/60") << false << 0 << 0;
    QTest::newRow("1.5/60") << QStringLiteral("1.5/60") << false << 0 << 0;
    QTest::newRow("10/60/1") << QStringLiteral("10/60/1") << false << 0 << 0;
}

void TestConfig::parseRateRule()
{
    QFETCH(QString, text);
    QFETCH(bool, valid);
    QFETCH(int, limit);
    QFETCH(int, window);
    auto r = kyc::parseRateRule(text);
    QCOMPARE(r.has_value(), valid);
    if (valid) {
        QCOMPARE(r->limit, limit);
        QCOMPARE(r->windowSeconds, window);
    } else {
        QCOMPARE(r.error().code, ErrorCode::Validation);
    }
}

void TestConfig::parsePort_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<int>("port");

    QTest::newRow("0 (any free port)") << QStringLiteral("0") << true << 0;
    QTest::newRow("3000") << QStringLiteral("3000") << true << 3000;
    QTest::newRow("65535") << QStringLiteral("65535") << true << 65535;
    QTest::newRow("65536") << QStringLiteral("65536") << false << 0;
    QTest::newRow("70000") << QStringLiteral("70000") << false << 0;
    QTest::newRow("-1") << QStringLiteral("-1") << false << 0;
    QTest::newRow("abc") << QStringLiteral("abc") << false << 0;
    QTest::newRow("empty") << QString() << false << 0;
}

void TestConfig::parsePort()
{
    QFETCH(QString, text);
    QFETCH(bool, valid);
    QFETCH(int, port);
    auto p = kyc::parsePort(text);
    QCOMPARE(p.has_value(), valid);
    if (valid)
        QCOMPARE(int(*p), port);
    else
        QCOMPARE(p.error().code, ErrorCode::Validation);
}

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
