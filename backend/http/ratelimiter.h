#pragma once

#include "backend/core/clock.h"
#include "backend/core/config.h"

#include <QHash>
#include <QHostAddress>
#include <QMutex>
#include <QString>

namespace kyc::http {

// Fixed-window counters: the window of a key starts at its first request and holds `limit`
// requests; the next one in the window is refused until it ends.
class RateLimiter final
{
public:
    explicit RateLimiter(const Clock &clock);

    struct Decision {
        bool allowed = true;
        int retryAfterSeconds = 0;
        int remaining = 0;
    };

    // `bucket` names the rule (general, login…); `key` the client (IP or email).
    [[nodiscard]] Decision hit(const QString &bucket, const RateRule &rule, const QString &key);
    void reset();

private:
    struct Window {
        qint64 startMs = 0;
        int count = 0;
    };
    void sweep(qint64 nowMs);

    const Clock &m_clock;
    QMutex m_mutex;
    QHash<QString, Window> m_windows;
    qint64 m_lastSweepMs = 0;
    qint64 m_longestWindowMs = 0;
};

// "::ffff:127.0.0.1" → "127.0.0.1"; IPv6 in its canonical text.
[[nodiscard]] QString normaliseIp(const QString &address);
[[nodiscard]] QString normaliseIp(const QHostAddress &address);

} // namespace kyc::http
