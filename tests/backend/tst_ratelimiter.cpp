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

QTEST_GUILESS_MAIN(TestRateLimiter)
#include "tst_ratelimiter.moc"
