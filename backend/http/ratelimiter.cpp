#include "backend/http/ratelimiter.h"

#include <QHostAddress>

namespace kyc::http {

RateLimiter::RateLimiter(const Clock &clock)
    : m_clock(clock)
{
}

RateLimiter::Decision RateLimiter::hit(const QString &bucket, const RateRule &rule, const QString &key)
{
    if (rule.limit <= 0)
        return {true, 0, 0};
    const qint64 now = m_clock.monotonicMs();
    const qint64 windowMs = qint64(rule.windowSeconds) * 1000;
    QString k;
    k.reserve(bucket.size() + key.size() + 1);
    k.append(bucket).append(u'|').append(key);

    QMutexLocker lock(&m_mutex);
    m_longestWindowMs = std::max(m_longestWindowMs, windowMs);
    sweep(now);
    Window &w = m_windows[k];
    if (w.count == 0 || now - w.startMs >= windowMs) {
        w.startMs = now;
        w.count = 0;
    }
    if (w.count >= rule.limit) {
        const qint64 leftMs = w.startMs + windowMs - now;
        return {false, int(std::max<qint64>(1, (leftMs + 999) / 1000)), 0};
    }
    ++w.count;
    return {true, 0, rule.limit - w.count};
}

void RateLimiter::sweep(qint64 now)
{
    // Drop expired windows now and then so that many distinct clients cannot grow the table forever.
    if (now - m_lastSweepMs < 60'000 && m_windows.size() < 100'000)
        return;
    m_lastSweepMs = now;
    for (auto it = m_windows.begin(); it != m_windows.end();) {
        if (now - it->startMs >= m_longestWindowMs)
            it = m_windows.erase(it);
        else
            ++it;
    }
}

void RateLimiter::reset()
{
    QMutexLocker lock(&m_mutex);
    m_windows.clear();
}

QString normaliseIp(const QString &address)
{
    QHostAddress a(address);
    if (a.isNull())
        return address;
    return normaliseIp(a);
}

QString normaliseIp(const QHostAddress &a)
{
    bool ok = false;
    const quint32 v4 = a.toIPv4Address(&ok);
    if (ok)
        return QHostAddress(v4).toString();
    return a.toString();
}

} // namespace kyc::http
