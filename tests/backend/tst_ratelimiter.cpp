// Fixed-window rate limiting on a fake clock: the window starts at a key's first request, holds
// `limit` requests, and tells a refused client how many seconds are left.
#include "backend/http/ratelimiter.h"

#include <QtTest>

using namespace kyc;
using namespace kyc::http;

namespace {

const RateRule kThreePerMinute{3, 60};

QString general()
{
    return QStringLiteral("general");
}

} // namespace

class TestRateLimiter final : public QObject
{
    Q_OBJECT

private slots:
    void allowsLimitThenRefuses();
    void retryAfterIsTimeLeftInWindow_data();
    void retryAfterIsTimeLeftInWindow();
    void allowedAgainAfterWindow();
    void refusedHitsDoNotExtendTheWindow();
    void keysAreIndependent();
    void bucketsAreIndependent();
    void limitZeroIsUnlimited();
    void resetForgetsWindows();
    void manyClientsDoNotDisturbActiveWindows();
    void normaliseIp_data();
    void normaliseIp();
    void clientKeyGroupsIpv6By64_data();
    void clientKeyGroupsIpv6By64();
    void ipv6ClientsShareTheirSlash64();
    void expiredWindowsLeaveWithoutAScan();
    void tableIsBounded();
    void evictionTakesTheOldestWindow();
    void trustedProxies_data();
    void trustedProxies();
    void malformedProxyListIsRefused();
};

void TestRateLimiter::allowsLimitThenRefuses()
{
    FakeClock clock;
    RateLimiter limiter(clock);
    const QString ip = QStringLiteral("203.0.113.7");

    for (int i = 1; i <= 3; ++i) {
        const auto d = limiter.hit(general(), kThreePerMinute, ip);
        QVERIFY2(d.allowed, qPrintable(QStringLiteral("hit %1").arg(i)));
        QCOMPARE(d.remaining, 3 - i);
        QCOMPARE(d.retryAfterSeconds, 0);
    }
    const auto refused = limiter.hit(general(), kThreePerMinute, ip);
    QVERIFY(!refused.allowed);
    QCOMPARE(refused.remaining, 0);
    QCOMPARE(refused.retryAfterSeconds, 60);
}

void TestRateLimiter::retryAfterIsTimeLeftInWindow_data()
{
    QTest::addColumn<qint64>("elapsedMs"); // since the first request of the window
    QTest::addColumn<int>("retryAfter");

    QTest::newRow("at once") << qint64(0) << 60;
    QTest::newRow("1 ms later (rounds up)") << qint64(1) << 60;
    QTest::newRow("1 s later") << qint64(1000) << 59;
    QTest::newRow("20 s later") << qint64(20'000) << 40;
    QTest::newRow("20.5 s later (rounds up)") << qint64(20'500) << 40;
    QTest::newRow("59 s later") << qint64(59'000) << 1;
    QTest::newRow("59.999 s later (never 0)") << qint64(59'999) << 1;
}

void TestRateLimiter::retryAfterIsTimeLeftInWindow()
{
    QFETCH(qint64, elapsedMs);
    QFETCH(int, retryAfter);

    FakeClock clock;
    RateLimiter limiter(clock);
    const QString ip = QStringLiteral("198.51.100.1");
    for (int i = 0; i < 3; ++i)
        QVERIFY(limiter.hit(general(), kThreePerMinute, ip).allowed);
    clock.advanceMs(elapsedMs);
    const auto d = limiter.hit(general(), kThreePerMinute, ip);
    QVERIFY(!d.allowed);
    QVERIFY(d.retryAfterSeconds >= 1 && d.retryAfterSeconds <= 60);
    QCOMPARE(d.retryAfterSeconds, retryAfter);
}

void TestRateLimiter::allowedAgainAfterWindow()
{
    FakeClock clock;
    RateLimiter limiter(clock);
    const QString ip = QStringLiteral("198.51.100.2");
    for (int i = 0; i < 3; ++i)
        QVERIFY(limiter.hit(general(), kThreePerMinute, ip).allowed);

    clock.advanceMs(20'000);
    auto d = limiter.hit(general(), kThreePerMinute, ip);
    QVERIFY(!d.allowed);
    QCOMPARE(d.retryAfterSeconds, 40);

    clock.advanceMs(39'999);
    QVERIFY(!limiter.hit(general(), kThreePerMinute, ip).allowed);

    // The window has passed: a fresh window with the full allowance.
    clock.advanceMs(1);
    for (int i = 1; i <= 3; ++i) {
        d = limiter.hit(general(), kThreePerMinute, ip);
        QVERIFY(d.allowed);
        QCOMPARE(d.remaining, 3 - i);
    }
    d = limiter.hit(general(), kThreePerMinute, ip);
    QVERIFY(!d.allowed);
    QCOMPARE(d.retryAfterSeconds, 60);
}

void TestRateLimiter::refusedHitsDoNotExtendTheWindow()
{
    FakeClock clock;
    RateLimiter limiter(clock);
    const QString ip = QStringLiteral("198.51.100.3");
    for (int i = 0; i < 3; ++i)
        QVERIFY(limiter.hit(general(), kThreePerMinute, ip).allowed);
    for (int i = 0; i < 9; ++i) {
        clock.advanceMs(6'000);
        QVERIFY(!limiter.hit(general(), kThreePerMinute, ip).allowed);
    }
    clock.set(QDateTime(QDate(2026, 1, 1), QTime(0, 1), Qt::UTC)); // exactly 60 s after the first hit
    QVERIFY(limiter.hit(general(), kThreePerMinute, ip).allowed);
}

void TestRateLimiter::keysAreIndependent()
{
    FakeClock clock;
    RateLimiter limiter(clock);
    const QString a = QStringLiteral("203.0.113.1");
    const QString b = QStringLiteral("203.0.113.2");
    for (int i = 0; i < 3; ++i)
        QVERIFY(limiter.hit(general(), kThreePerMinute, a).allowed);
    QVERIFY(!limiter.hit(general(), kThreePerMinute, a).allowed);

    auto d = limiter.hit(general(), kThreePerMinute, b);
    QVERIFY(d.allowed);
    QCOMPARE(d.remaining, 2);

    // b's window started later, so it ends later.
    clock.advanceMs(30'000);
    QVERIFY(limiter.hit(general(), kThreePerMinute, b).allowed);
    QVERIFY(limiter.hit(general(), kThreePerMinute, b).allowed);
    d = limiter.hit(general(), kThreePerMinute, b);
    QVERIFY(!d.allowed);
    QCOMPARE(d.retryAfterSeconds, 30);
    d = limiter.hit(general(), kThreePerMinute, a);
    QVERIFY(!d.allowed);
    QCOMPARE(d.retryAfterSeconds, 30);

    // Keys are compared exactly: the caller normalises (IPs through normaliseIp, e-mails lower-cased).
    for (int i = 0; i < 3; ++i)
        QVERIFY(limiter.hit(general(), kThreePerMinute, QStringLiteral("User@example.com")).allowed);
    QVERIFY(limiter.hit(general(), kThreePerMinute, QStringLiteral("user@example.com")).allowed);
}

void TestRateLimiter::bucketsAreIndependent()
{
    FakeClock clock;
    RateLimiter limiter(clock);
    const QString ip = QStringLiteral("203.0.113.9");
    const RateRule login{2, 3600};
    for (int i = 0; i < 3; ++i)
        QVERIFY(limiter.hit(general(), kThreePerMinute, ip).allowed);
    QVERIFY(!limiter.hit(general(), kThreePerMinute, ip).allowed);

    // The same client in another bucket has its own counter and window.
    QVERIFY(limiter.hit(QStringLiteral("login"), login, ip).allowed);
    QVERIFY(limiter.hit(QStringLiteral("login"), login, ip).allowed);
    auto d = limiter.hit(QStringLiteral("login"), login, ip);
    QVERIFY(!d.allowed);
    QCOMPARE(d.retryAfterSeconds, 3600);

    // General opens again after its minute; login stays closed for the hour.
    clock.advanceMs(60'000);
    QVERIFY(limiter.hit(general(), kThreePerMinute, ip).allowed);
    d = limiter.hit(QStringLiteral("login"), login, ip);
    QVERIFY(!d.allowed);
    QCOMPARE(d.retryAfterSeconds, 3540);

    // An e-mail key may contain the separator; it is still its own key.
    const RateRule forgot{1, 3600};
    QVERIFY(limiter.hit(QStringLiteral("forgot_password"), forgot, QStringLiteral("a|b@example.com")).allowed);
    QVERIFY(limiter.hit(QStringLiteral("forgot_password"), forgot, QStringLiteral("a")).allowed);
    QVERIFY(!limiter.hit(QStringLiteral("forgot_password"), forgot, QStringLiteral("a|b@example.com")).allowed);
}

void TestRateLimiter::limitZeroIsUnlimited()
{
    FakeClock clock;
    RateLimiter limiter(clock);
    const RateRule unlimited{0, 60};
    for (int i = 0; i < 10'000; ++i) {
        const auto d = limiter.hit(general(), unlimited, QStringLiteral("203.0.113.5"));
        if (!d.allowed)
            QFAIL(qPrintable(QStringLiteral("refused at hit %1").arg(i + 1)));
    }
}

void TestRateLimiter::resetForgetsWindows()
{
    FakeClock clock;
    RateLimiter limiter(clock);
    const QString ip = QStringLiteral("203.0.113.6");
    for (int i = 0; i < 3; ++i)
        QVERIFY(limiter.hit(general(), kThreePerMinute, ip).allowed);
    QVERIFY(!limiter.hit(general(), kThreePerMinute, ip).allowed);
    limiter.reset();
    QVERIFY(limiter.hit(general(), kThreePerMinute, ip).allowed);
}

void TestRateLimiter::manyClientsDoNotDisturbActiveWindows()
{
    // Expired windows are swept now and then; a sweep must never forget a window still running,
    // whatever the rules of the other buckets.
    FakeClock clock;
    RateLimiter limiter(clock);
    const QString ip = QStringLiteral("203.0.113.77");
    const RateRule login{2, 3600};
    QVERIFY(limiter.hit(general(), kThreePerMinute, QStringLiteral("10.9.9.9")).allowed);
    clock.advanceMs(1000);
    QVERIFY(limiter.hit(QStringLiteral("login"), login, ip).allowed);
    QVERIFY(limiter.hit(QStringLiteral("login"), login, ip).allowed);
    for (int i = 0; i < 2800; ++i) { // 70 s of traffic from other clients: at least one sweep
        clock.advanceMs(25);
        QVERIFY(limiter.hit(general(), kThreePerMinute, QStringLiteral("10.0.%1.%2").arg(i / 256).arg(i % 256)).allowed);
    }
    const auto d = limiter.hit(QStringLiteral("login"), login, ip);
    QVERIFY(!d.allowed);
    QCOMPARE(d.retryAfterSeconds, 3600 - 70);
}

void TestRateLimiter::normaliseIp_data()
{
    QTest::addColumn<QString>("address");
    QTest::addColumn<QString>("normalised");

    QTest::newRow("IPv4-mapped loopback") << QStringLiteral("::ffff:127.0.0.1") << QStringLiteral("127.0.0.1");
    QTest::newRow("IPv4-mapped public") << QStringLiteral("::ffff:203.0.113.9") << QStringLiteral("203.0.113.9");
    QTest::newRow("IPv4-mapped upper case") << QStringLiteral("::FFFF:198.51.100.20") << QStringLiteral("198.51.100.20");
    QTest::newRow("plain IPv4") << QStringLiteral("127.0.0.1") << QStringLiteral("127.0.0.1");
    QTest::newRow("IPv6 loopback") << QStringLiteral("::1") << QStringLiteral("::1");
    QTest::newRow("IPv6 loopback long form") << QStringLiteral("0:0:0:0:0:0:0:1") << QStringLiteral("::1");
    QTest::newRow("IPv6 upper case") << QStringLiteral("2001:DB8::A") << QStringLiteral("2001:db8::a");
    QTest::newRow("IPv6 leading zeros") << QStringLiteral("2001:0db8:0000:0000:0000:0000:0000:0001")
                                        << QStringLiteral("2001:db8::1");
}

void TestRateLimiter::normaliseIp()
{
    QFETCH(QString, address);
    QFETCH(QString, normalised);
    QCOMPARE(http::normaliseIp(address), normalised);
}

void TestRateLimiter::clientKeyGroupsIpv6By64_data()
{
    QTest::addColumn<QString>("address");
    QTest::addColumn<QString>("key");
    QTest::newRow("IPv4") << QStringLiteral("203.0.113.9") << QStringLiteral("203.0.113.9");
    QTest::newRow("IPv4-mapped") << QStringLiteral("::ffff:203.0.113.9") << QStringLiteral("203.0.113.9");
    QTest::newRow("IPv6") << QStringLiteral("2001:db8:1:2:aaaa:bbbb:cccc:dddd") << QStringLiteral("2001:db8:1:2::/64");
    QTest::newRow("IPv6, same /64") << QStringLiteral("2001:db8:1:2::1") << QStringLiteral("2001:db8:1:2::/64");
    QTest::newRow("IPv6, next /64") << QStringLiteral("2001:db8:1:3::1") << QStringLiteral("2001:db8:1:3::/64");
    QTest::newRow("IPv6 loopback") << QStringLiteral("::1") << QStringLiteral("::/64");
    QTest::newRow("not an address") << QStringLiteral("ip:unknown") << QStringLiteral("ip:unknown");
}

void TestRateLimiter::clientKeyGroupsIpv6By64()
{
    QFETCH(QString, address);
    QFETCH(QString, key);
    QCOMPARE(http::clientKey(address), key);
}

// One subscriber's /64 is one client: rotating through its addresses does not escape the limit.
void TestRateLimiter::ipv6ClientsShareTheirSlash64()
{
    FakeClock clock;
    RateLimiter limiter(clock);
    for (int i = 1; i <= 3; ++i)
        QVERIFY(limiter.hit(general(), kThreePerMinute, clientKey(QStringLiteral("2001:db8:5:6::%1").arg(i, 0, 16))).allowed);
    QVERIFY(!limiter.hit(general(), kThreePerMinute, clientKey(QStringLiteral("2001:db8:5:6:ffff::99"))).allowed);
    QVERIFY(limiter.hit(general(), kThreePerMinute, clientKey(QStringLiteral("2001:db8:5:7::1"))).allowed);
}

// Expired windows leave as time passes, without anyone sweeping the table.
void TestRateLimiter::expiredWindowsLeaveWithoutAScan()
{
    FakeClock clock;
    RateLimiter limiter(clock);
    for (int i = 0; i < 5000; ++i)
        QVERIFY(limiter.hit(general(), kThreePerMinute, QStringLiteral("10.1.%1.%2").arg(i / 256).arg(i % 256)).allowed);
    QCOMPARE(limiter.size(), 5000);
    clock.advanceMs(30'000);
    QVERIFY(limiter.hit(general(), kThreePerMinute, QStringLiteral("10.2.0.1")).allowed);
    QCOMPARE(limiter.size(), 5001);
    clock.advanceMs(30'000); // the first 5000 have ended
    QVERIFY(limiter.hit(general(), kThreePerMinute, QStringLiteral("10.2.0.2")).allowed);
    QCOMPARE(limiter.size(), 2);
}

// Many distinct clients (a botnet, or IPv6 privacy addresses) cannot grow the table past its cap.
void TestRateLimiter::tableIsBounded()
{
    FakeClock clock;
    RateLimiter limiter(clock, 1000);
    for (int i = 0; i < 20'000; ++i) {
        clock.advanceMs(1);
        (void)limiter.hit(general(), kThreePerMinute, QStringLiteral("client-%1").arg(i));
        QVERIFY(limiter.size() <= 1000);
    }
    // The newest clients are still limited.
    const QString recent = QStringLiteral("client-19999");
    QVERIFY(limiter.hit(general(), kThreePerMinute, recent).allowed);
    QVERIFY(limiter.hit(general(), kThreePerMinute, recent).allowed);
    QVERIFY(!limiter.hit(general(), kThreePerMinute, recent).allowed);
}

void TestRateLimiter::evictionTakesTheOldestWindow()
{
    FakeClock clock;
    RateLimiter limiter(clock, 3);
    const RateRule oneHour{2, 3600};
    QVERIFY(limiter.hit(QStringLiteral("login"), oneHour, QStringLiteral("a")).allowed); // ends at 3600 s
    clock.advanceMs(1000);
    QVERIFY(limiter.hit(general(), kThreePerMinute, QStringLiteral("b")).allowed); // ends at 61 s: the oldest end
    clock.advanceMs(1000);
    QVERIFY(limiter.hit(QStringLiteral("login"), oneHour, QStringLiteral("c")).allowed);
    QVERIFY(limiter.hit(QStringLiteral("login"), oneHour, QStringLiteral("c")).allowed);
    QVERIFY(limiter.hit(general(), kThreePerMinute, QStringLiteral("d")).allowed); // evicts b
    QCOMPARE(limiter.size(), 3);
    QVERIFY(!limiter.hit(QStringLiteral("login"), oneHour, QStringLiteral("c")).allowed); // kept
    QCOMPARE(limiter.hit(QStringLiteral("login"), oneHour, QStringLiteral("a")).remaining, 0); // kept: its second hit
}

void TestRateLimiter::trustedProxies_data()
{
    QTest::addColumn<QString>("trusted");
    QTest::addColumn<QString>("peer");
    QTest::addColumn<QByteArray>("forwardedFor");
    QTest::addColumn<QString>("client");

    const QString proxies = QStringLiteral("10.0.0.1, 192.168.0.0/16, 2001:db8:ffff::/48");
    QTest::newRow("off by default") << QString() << QStringLiteral("10.0.0.1") << QByteArray("203.0.113.9")
                                    << QStringLiteral("10.0.0.1");
    QTest::newRow("untrusted peer") << proxies << QStringLiteral("198.51.100.1") << QByteArray("203.0.113.9")
                                    << QStringLiteral("198.51.100.1");
    QTest::newRow("one hop") << proxies << QStringLiteral("10.0.0.1") << QByteArray("203.0.113.9")
                             << QStringLiteral("203.0.113.9");
    QTest::newRow("spoofed left entries ignored")
        << proxies << QStringLiteral("10.0.0.1") << QByteArray("1.2.3.4, 203.0.113.9") << QStringLiteral("203.0.113.9");
    QTest::newRow("chain of trusted proxies")
        << proxies << QStringLiteral("10.0.0.1") << QByteArray("203.0.113.9, 192.168.4.4,192.168.1.1")
        << QStringLiteral("203.0.113.9");
    QTest::newRow("all trusted: left-most") << proxies << QStringLiteral("10.0.0.1") << QByteArray("192.168.7.7, 192.168.1.1")
                                            << QStringLiteral("192.168.7.7");
    QTest::newRow("IPv4-mapped peer") << proxies << QStringLiteral("::ffff:10.0.0.1") << QByteArray("203.0.113.9")
                                      << QStringLiteral("203.0.113.9");
    QTest::newRow("IPv6 proxy and client") << proxies << QStringLiteral("2001:db8:ffff:1::2")
                                           << QByteArray("[2001:db8:1:2::5]:443") << QStringLiteral("2001:db8:1:2::5");
    QTest::newRow("port on IPv4") << proxies << QStringLiteral("10.0.0.1") << QByteArray("203.0.113.9:5555")
                                  << QStringLiteral("203.0.113.9");
    QTest::newRow("garbage: the proxy") << proxies << QStringLiteral("10.0.0.1") << QByteArray("not-an-ip")
                                        << QStringLiteral("10.0.0.1");
    QTest::newRow("garbage left of a good one")
        << proxies << QStringLiteral("10.0.0.1") << QByteArray("junk, 192.168.1.1") << QStringLiteral("192.168.1.1");
    QTest::newRow("empty header") << proxies << QStringLiteral("10.0.0.1") << QByteArray() << QStringLiteral("10.0.0.1");
}

void TestRateLimiter::trustedProxies()
{
    QFETCH(QString, trusted);
    QFETCH(QString, peer);
    QFETCH(QByteArray, forwardedFor);
    QFETCH(QString, client);
    const auto proxies = TrustedProxies::parse(trusted);
    QVERIFY(proxies);
    QCOMPARE(http::normaliseIp(proxies->clientOf(QHostAddress(peer), forwardedFor)), client);
}

void TestRateLimiter::malformedProxyListIsRefused()
{
    for (const QString &bad : {QStringLiteral("10.0.0.1, nonsense"), QStringLiteral("10.0.0.0/33"), QStringLiteral("::1/129")}) {
        const auto p = TrustedProxies::parse(bad);
        QVERIFY2(!p, qPrintable(bad));
        QVERIFY(p.error().fields.value(0).message.contains(QStringLiteral("KYCONNECT_TRUSTED_PROXIES")));
    }
}

QTEST_GUILESS_MAIN(TestRateLimiter)
#include "tst_ratelimiter.moc"
