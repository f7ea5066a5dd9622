#pragma once

#include "backend/core/clock.h"
#include "backend/core/config.h"

#include <QByteArrayView>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QMutex>
#include <QString>

#include <deque>
#include <map>
#include <utility>

namespace kyc::http {

// Fixed-window counters: the window of a key starts at its first request and holds `limit`
// requests; the next one in the window is refused until it ends.
//
// Memory is bounded and no request scans the table: every window is queued by its start, one
// queue per window length (a handful of rules), so expired windows leave from the queues' fronts
// as time passes (amortised O(1) a request). Past `maxKeys` tracked windows, the oldest window
// (the next to expire) makes room for the new one.
class RateLimiter final
{
public:
    static constexpr qsizetype kDefaultMaxKeys = 200'000;

    explicit RateLimiter(const Clock &clock, qsizetype maxKeys = kDefaultMaxKeys);

    struct Decision {
        bool allowed = true;
        int retryAfterSeconds = 0;
        int remaining = 0;
    };

    // `bucket` names the rule (general, login…); `key` the client (clientKey() of its address, or
    // an email).
    [[nodiscard]] Decision hit(const QString &bucket, const RateRule &rule, const QString &key);
    void reset();
    // Windows tracked now (expired ones leave as time passes).
    [[nodiscard]] qsizetype size();

private:
    struct Window {
        qint64 startMs = 0;
        qint64 windowMs = 0;
        int count = 0;
    };
    struct Queued {
        qint64 startMs;
        QString key;
    };
    void expire(qint64 nowMs);
    void evictOldest();

    const Clock &m_clock;
    const qsizetype m_maxKeys;
    QMutex m_mutex;
    QHash<QString, Window> m_windows;
    std::map<qint64, std::deque<Queued>> m_queues; // by window length; entries in start order
};

// "::ffff:127.0.0.1" → "127.0.0.1"; IPv6 in its canonical text.
[[nodiscard]] QString normaliseIp(const QString &address);
[[nodiscard]] QString normaliseIp(const QHostAddress &address);

// The rate-limiting identity of a client address: an IPv4 address (IPv4-mapped IPv6 included) as
// itself, an IPv6 address by its /64 ("2001:db8:1:2::/64"), since one subscriber usually holds a
// whole /64. Anything else is returned as given.
[[nodiscard]] QString clientKey(const QString &address);

// Proxies whose X-Forwarded-For is believed (KYCONNECT_TRUSTED_PROXIES: addresses or CIDR ranges).
class TrustedProxies final
{
public:
    TrustedProxies() = default;
    // Parses "10.0.0.1, 192.168.0.0/16, 2001:db8::/32"; an invalid entry is an error naming it.
    [[nodiscard]] static Result<TrustedProxies> parse(const QString &list);
    [[nodiscard]] bool isEmpty() const { return m_ranges.isEmpty(); }
    [[nodiscard]] bool contains(const QHostAddress &address) const;

    // The client of a request from `peer`: `peer` itself unless it is trusted; then the right-most
    // address of X-Forwarded-For (all its headers joined with commas) that is not a trusted proxy
    // (the left-most if all are). A malformed entry ends the walk at the address before it.
    [[nodiscard]] QHostAddress clientOf(const QHostAddress &peer, QByteArrayView forwardedFor) const;

private:
    QList<std::pair<QHostAddress, int>> m_ranges;
};

} // namespace kyc::http
