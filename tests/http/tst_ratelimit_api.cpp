// Rate limits over the real server, per the contract's table: fixed windows per IP (general,
// login, forgot-password) or per email (onboarding), 429 with Retry-After and the contract body,
// webhooks never limited. Windows follow the server's fake clock.
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

using namespace kyc;

namespace {

Config limitedConfig()
{
    Config c = test::testConfig();
    c.generalRate = {5, 60};
    c.loginRate = {3, 3600};
    c.forgotPasswordRate = {2, 3600};
    c.onboardingRate = {2, 7200};
    return c;
}

// Empty when `r` is a complete 429 in the contract's format with a Retry-After of whole seconds
// in [1, maxSeconds]; otherwise what is wrong.
QString tooManyMismatch(const test::HttpResult &r, int maxSeconds)
{
    if (!r.ok)
        return QStringLiteral("no complete response");
    if (r.status != 429)
        return QStringLiteral("status %1, not 429: ").arg(r.status) + QString::fromUtf8(r.body);
    const QJsonObject o = QJsonDocument::fromJson(r.body).object();
    QStringList keys = o.keys();
    keys.sort();
    if (keys != QStringList{QStringLiteral("error"), QStringLiteral("message"), QStringLiteral("statusCode")})
        return QStringLiteral("keys are not exactly error, message, statusCode: ") + QString::fromUtf8(r.body);
    if (o.value(QStringLiteral("statusCode")).toDouble() != 429.0)
        return QStringLiteral("statusCode is not 429: ") + QString::fromUtf8(r.body);
    if (o.value(QStringLiteral("error")).toString() != QStringLiteral("Too Many Requests"))
        return QStringLiteral("error is not \"Too Many Requests\": ") + QString::fromUtf8(r.body);
    if (!o.value(QStringLiteral("message")).isString() || o.value(QStringLiteral("message")).toString().isEmpty())
        return QStringLiteral("message is not a non-empty string: ") + QString::fromUtf8(r.body);
    if (!r.headers.contains("retry-after"))
        return QStringLiteral("no Retry-After header");
    const QByteArray retry = r.headers.value("retry-after");
    bool isInt = false;
    const int seconds = retry.toInt(&isInt);
    for (const char ch : retry)
        isInt = isInt && ch >= '0' && ch <= '9';
    if (!isInt || seconds < 1 || seconds > maxSeconds)
        return QStringLiteral("Retry-After \"%1\" is not whole seconds in 1..%2").arg(QString::fromLatin1(retry)).arg(maxSeconds);
    return QString();
}

int retryAfter(const test::HttpResult &r)
{
    return r.headers.value("retry-after").toInt();
}

test::HttpResult health(quint16 port)
{
    return test::request(port, "GET", "/api/v1/health");
}

test::HttpResult login(quint16 port)
{
    return test::request(port, "POST", "/api/v1/auth/login", R"({"email":"a@example.com","password":"a-long-passphrase"})");
}

test::HttpResult forgotPassword(quint16 port)
{
    return test::request(port, "POST", "/api/v1/auth/forgot-password", R"({"email":"a@example.com"})");
}

test::HttpResult onboard(quint16 port, const QByteArray &email)
{
    const QByteArray body
        = R"({"firm_id":"3f1c2b6e-8a4d-4e1f-9b7a-2c5d6e7f8a9b","first_name":"Ada","last_name":"Lovelace","email":")" + email
        + R"("})";
    return test::request(port, "POST", "/api/v1/onboarding/individual", body);
}

} // namespace

class TestRateLimitApi : public QObject
{
    Q_OBJECT

private slots:
    void generalLimit()
    {
        test::TestServer server(limitedConfig());
        QVERIFY(server.port());
        for (int i = 0; i < 5; ++i)
            QCOMPARE(health(server.port()).status, 200);
        const test::HttpResult limited = health(server.port());
        const QString mismatch = tooManyMismatch(limited, 60);
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        QVERIFY(limited.headers.contains("x-request-id"));

        // Still refused within the window, with a Retry-After that counts down.
        server.clock().advanceMs(30'000);
        const test::HttpResult later = health(server.port());
        QVERIFY2(tooManyMismatch(later, 30).isEmpty(), qPrintable(tooManyMismatch(later, 30)));
        QVERIFY(retryAfter(later) <= retryAfter(limited));

        // A new window allows again, and counts afresh.
        server.clock().advanceMs(31'000);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(health(server.port()).status, 200);
        QCOMPARE(health(server.port()).status, 429);
    }

    // X-Forwarded-For names the client only when the peer is a trusted proxy (off by default):
    // otherwise anyone could pick a fresh identity per request. Behind a trusted proxy, each
    // client has its own window, an IPv6 client's /64 is one client, and the audit trail sees
    // the client's address.
    void forwardedForOnlyFromTrustedProxies_data()
    {
        QTest::addColumn<QString>("trusted");
        QTest::newRow("no trusted proxies") << QString();
        QTest::newRow("loopback trusted") << QStringLiteral("127.0.0.1, 10.0.0.0/8");
    }

    void forwardedForOnlyFromTrustedProxies()
    {
        QFETCH(QString, trusted);
        Config config = limitedConfig();
        config.trustedProxies = trusted;
        test::TestServer server(config);
        QVERIFY(server.port());
        auto as = [&](const QByteArray &client) {
            return test::request(server.port(), "GET", "/api/v1/health", {}, {{"X-Forwarded-For", client}}).status;
        };
        for (int i = 0; i < 5; ++i)
            QCOMPARE(as("203.0.113." + QByteArray::number(i + 1)), 200); // five different claims
        if (trusted.isEmpty()) {
            QCOMPARE(as("198.51.100.1"), 429); // all from 127.0.0.1
            return;
        }
        for (int i = 0; i < 4; ++i)
            QCOMPARE(as("203.0.113.1"), 200);
        QCOMPARE(as("203.0.113.1"), 429); // its sixth
        QCOMPARE(as("1.2.3.4, 203.0.113.2"), 200); // a spoofed left entry changes nothing
        for (int i = 0; i < 5; ++i)
            QCOMPARE(as("2001:db8:7:7::" + QByteArray::number(i + 1)), 200);
        QCOMPARE(as("2001:db8:7:7:ffff::1"), 429); // the same /64
        QCOMPARE(as("2001:db8:7:8::1"), 200);
    }

    // A malformed trusted-proxy list stops the server from starting, naming the entry.
    void malformedTrustedProxiesRefused()
    {
        Config config = limitedConfig();
        config.trustedProxies = QStringLiteral("127.0.0.1, proxy.example.com");
        test::TestServer server(config);
        QCOMPARE(server.port(), quint16(0));
    }

    // The general limit counts every route of the general bucket together, whatever the answer.
    void generalLimitIsSharedAcrossRoutes()
    {
        test::TestServer server(limitedConfig());
        QVERIFY(server.port());
        QCOMPARE(health(server.port()).status, 200);
        QCOMPARE(test::request(server.port(), "GET", "/api/v1/health/openapi.json").status, 200);
        QCOMPARE(test::request(server.port(), "GET", "/api/v1/billing/plans").status, 501);
        QCOMPARE(test::request(server.port(), "GET", "/api/v1/health/openapi.json").status, 200);
        QCOMPARE(health(server.port()).status, 200);
        const test::HttpResult limited = test::request(server.port(), "GET", "/api/v1/health/openapi.json");
        QVERIFY2(tooManyMismatch(limited, 60).isEmpty(), qPrintable(tooManyMismatch(limited, 60)));
    }

    void loginHasItsOwnLimit()
    {
        test::TestServer server(limitedConfig());
        QVERIFY(server.port());
        for (int i = 0; i < 3; ++i) {
            const test::HttpResult r = login(server.port());
            QVERIFY2(r.ok && r.status != 429, r.body.constData());
        }
        const test::HttpResult limited = login(server.port());
        QVERIFY2(tooManyMismatch(limited, 3600).isEmpty(), qPrintable(tooManyMismatch(limited, 3600)));

        // Login attempts did not use up the general allowance, and the general routes do not
        // give login attempts back.
        for (int i = 0; i < 5; ++i)
            QCOMPARE(health(server.port()).status, 200);
        QCOMPARE(health(server.port()).status, 429);
        QCOMPARE(login(server.port()).status, 429);

        // After the general window, login is still refused; after the login window, allowed.
        server.clock().advanceMs(61'000);
        QCOMPARE(health(server.port()).status, 200);
        const test::HttpResult stillLimited = login(server.port());
        QVERIFY2(tooManyMismatch(stillLimited, 3600 - 61).isEmpty(), qPrintable(tooManyMismatch(stillLimited, 3600 - 61)));
        server.clock().advanceMs(3600'000);
        QVERIFY(login(server.port()).status != 429);
    }

    void generalLimitDoesNotBlockLogin()
    {
        test::TestServer server(limitedConfig());
        QVERIFY(server.port());
        for (int i = 0; i < 5; ++i)
            QCOMPARE(health(server.port()).status, 200);
        QCOMPARE(health(server.port()).status, 429);
        const test::HttpResult r = login(server.port());
        QVERIFY2(r.ok && r.status != 429, r.body.constData());
    }

    void forgotPasswordHasItsOwnLimit()
    {
        test::TestServer server(limitedConfig());
        QVERIFY(server.port());
        for (int i = 0; i < 2; ++i) {
            const test::HttpResult r = forgotPassword(server.port());
            QVERIFY2(r.ok && r.status != 429, r.body.constData());
        }
        const test::HttpResult limited = forgotPassword(server.port());
        QVERIFY2(tooManyMismatch(limited, 3600).isEmpty(), qPrintable(tooManyMismatch(limited, 3600)));
        // Independent of login and of the general allowance.
        QVERIFY(login(server.port()).status != 429);
        QCOMPARE(health(server.port()).status, 200);
    }

    void onboardingIsLimitedPerEmail_data()
    {
        QTest::addColumn<QByteArray>("sameEmailAgain"); // how the first address is written the third time
        QTest::newRow("identical") << QByteArray("ada@example.com");
        QTest::newRow("other case") << QByteArray("Ada@Example.COM");
    }

    void onboardingIsLimitedPerEmail()
    {
        QFETCH(QByteArray, sameEmailAgain);

        test::TestServer server(limitedConfig());
        QVERIFY(server.port());
        for (int i = 0; i < 2; ++i) {
            const test::HttpResult a = onboard(server.port(), "ada@example.com");
            QVERIFY2(a.ok && a.status != 429, a.body.constData());
            const test::HttpResult b = onboard(server.port(), "grace@example.com");
            QVERIFY2(b.ok && b.status != 429, b.body.constData());
        }
        const test::HttpResult limited = onboard(server.port(), sameEmailAgain);
        QVERIFY2(tooManyMismatch(limited, 7200).isEmpty(), qPrintable(tooManyMismatch(limited, 7200)));
        QCOMPARE(onboard(server.port(), "grace@example.com").status, 429);

        // Another address from the same IP is not affected.
        const test::HttpResult other = onboard(server.port(), "alan@example.com");
        QVERIFY2(other.ok && other.status != 429, other.body.constData());

        // The window is two hours.
        server.clock().advanceMs(3600'000);
        QCOMPARE(onboard(server.port(), "ada@example.com").status, 429);
        server.clock().advanceMs(3601'000);
        const test::HttpResult again = onboard(server.port(), "ada@example.com");
        QVERIFY2(again.ok && again.status != 429, again.body.constData());
    }

    void webhooksAreNeverLimited_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::newRow("billing") << QByteArray("/api/v1/billing/webhooks/stripe");
        QTest::newRow("verification") << QByteArray("/api/v1/verification/webhooks/onfido");
        QTest::newRow("docusign connect") << QByteArray("/api/v1/docusign/connect");
    }

    void webhooksAreNeverLimited()
    {
        QFETCH(QByteArray, path);

        test::TestServer server(limitedConfig());
        QVERIFY(server.port());
        const QByteArray event = R"({"id":"evt_1","type":"invoice.paid"})";
        const test::Headers signature{{"Stripe-Signature", "t=1767225600,v1=00"}};
        for (int i = 0; i < 20; ++i) {
            const test::HttpResult r = test::request(server.port(), "POST", path, event, signature);
            QVERIFY2(r.ok, "no complete response");
            QVERIFY2(r.status != 429, qPrintable(QStringLiteral("webhook %1 was limited").arg(i + 1)));
        }
        // Even with the general allowance used up.
        for (int i = 0; i < 5; ++i)
            QCOMPARE(health(server.port()).status, 200);
        QCOMPARE(health(server.port()).status, 429);
        for (int i = 0; i < 5; ++i)
            QVERIFY(test::request(server.port(), "POST", path, event, signature).status != 429);
    }
};

QTEST_GUILESS_MAIN(TestRateLimitApi)
#include "tst_ratelimit_api.moc"
