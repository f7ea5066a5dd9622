#include "backend/http/ratelimiter.h"

#include <QHostAddress>

namespace kyc::http {

RateLimiter::RateLimiter(const Clock &clock, qsizetype maxKeys)
    : m_clock(clock)
    , m_maxKeys(std::max<qsizetype>(1, maxKeys))
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
    expire(now);
    auto it = m_windows.find(k);
    if (it == m_windows.end()) {
        if (m_windows.size() >= m_maxKeys)
            evictOldest();
        it = m_windows.insert(k, Window{});
    }
    Window &w = *it;
    if (w.count == 0 || now - w.startMs >= w.windowMs || w.windowMs != windowMs) {
        w.startMs = now;
        w.windowMs = windowMs;
        w.count = 0;
        m_queues[windowMs].push_back({now, k});
    }
    if (w.count >= rule.limit) {
        const qint64 leftMs = w.startMs + windowMs - now;
        return {false, int(std::max<qint64>(1, (leftMs + 999) / 1000)), 0};
    }
    ++w.count;
    return {true, 0, rule.limit - w.count};
}

void RateLimiter::expire(qint64 now)
{
    // Each queue is in start order, so its expired windows are at its front. An entry whose window
    // has since restarted (another start) is stale and just dropped.
    for (auto &[windowMs, queue] : m_queues) {
        while (!queue.empty() && now - queue.front().startMs >= windowMs) {
            const auto it = m_windows.constFind(queue.front().key);
            if (it != m_windows.cend() && it->startMs == queue.front().startMs && it->windowMs == windowMs)
                m_windows.erase(it);
            queue.pop_front();
        }
    }
}

void RateLimiter::evictOldest()
{
    // The window that started first ends first (for its length): the least harm in forgetting it.
    for (;;) {
        std::deque<Queued> *oldest = nullptr;
        qint64 oldestEnd = 0;
        for (auto &[windowMs, queue] : m_queues) {
            if (!queue.empty() && (!oldest || queue.front().startMs + windowMs < oldestEnd)) {
                oldest = &queue;
                oldestEnd = queue.front().startMs + windowMs;
            }
        }
        if (!oldest)
            return;
        const Queued q = oldest->front();
        oldest->pop_front();
        const auto it = m_windows.constFind(q.key);
        if (it != m_windows.cend() && it->startMs == q.startMs) {
            m_windows.erase(it);
            return;
        }
    }
}

qsizetype RateLimiter::size()
{
    QMutexLocker lock(&m_mutex);
    expire(m_clock.monotonicMs());
    return m_windows.size();
}

void RateLimiter::reset()
{
    QMutexLocker lock(&m_mutex);
    m_windows.clear();
    m_queues.clear();
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

QString clientKey(const QString &address)
{
    const QHostAddress a(address);
    if (a.isNull())
        return address;
    bool ok = false;
    const quint32 v4 = a.toIPv4Address(&ok);
    if (ok)
        return QHostAddress(v4).toString();
    if (a.protocol() != QAbstractSocket::IPv6Protocol)
        return address;
    Q_IPV6ADDR bytes = a.toIPv6Address();
    for (int i = 8; i < 16; ++i)
        bytes[i] = 0;
    return QHostAddress(bytes).toString() + QStringLiteral("/64");
}

Result<TrustedProxies> TrustedProxies::parse(const QString &list)
{
    TrustedProxies out;
    for (const QString &raw : list.split(u',', Qt::SkipEmptyParts)) {
        const QString entry = raw.trimmed();
        if (entry.isEmpty())
            continue;
        std::pair<QHostAddress, int> range;
        if (entry.contains(u'/')) {
            range = QHostAddress::parseSubnet(entry);
        } else {
            QHostAddress a(entry);
            range = {a, a.protocol() == QAbstractSocket::IPv4Protocol ? 32 : 128};
        }
        if (range.first.isNull() || range.second < 0)
            return fail(Error::validation(
                QStringLiteral("KYCONNECT_TRUSTED_PROXIES"),
                QStringLiteral("KYCONNECT_TRUSTED_PROXIES: \"%1\" is not an address or CIDR range").arg(entry)));
        out.m_ranges << range;
    }
    return out;
}

bool TrustedProxies::contains(const QHostAddress &address) const
{
    bool ok = false;
    const quint32 v4 = address.toIPv4Address(&ok);
    const QHostAddress a = ok ? QHostAddress(v4) : address;
    for (const auto &range : m_ranges) {
        if (a.isInSubnet(range))
            return true;
    }
    return false;
}

QHostAddress TrustedProxies::clientOf(const QHostAddress &peer, QByteArrayView forwardedFor) const
{
    if (m_ranges.isEmpty() || !contains(peer) || forwardedFor.isEmpty())
        return peer;
    QHostAddress client = peer;
    const QList<QByteArray> hops = forwardedFor.toByteArray().split(',');
    for (qsizetype i = hops.size(); i-- > 0;) {
        QByteArray hop = hops[i].trimmed();
        // "[2001:db8::1]:443" and "203.0.113.9:443" forms carry a port.
        if (hop.startsWith('[') && hop.contains(']'))
            hop = hop.mid(1, hop.indexOf(']') - 1);
        else if (hop.count(':') == 1)
            hop = hop.left(hop.indexOf(':'));
        const QHostAddress a(QString::fromLatin1(hop));
        if (a.isNull())
            break;
        client = a;
        if (!contains(a))
            break;
    }
    return client;
}

} // namespace kyc::http
