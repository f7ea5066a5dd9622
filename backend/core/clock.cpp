#include "backend/core/clock.h"

#include <QElapsedTimer>

namespace kyc {

QDateTime SystemClock::now() const
{
    return QDateTime::currentDateTimeUtc();
}

qint64 SystemClock::monotonicMs() const
{
    static const QElapsedTimer start = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return start.elapsed();
}

FakeClock::FakeClock(const QDateTime &start)
    : m_ms(start.toMSecsSinceEpoch())
{
}

QDateTime FakeClock::now() const
{
    return QDateTime::fromMSecsSinceEpoch(m_ms.load(), Qt::UTC);
}

qint64 FakeClock::monotonicMs() const
{
    return m_ms.load();
}

void FakeClock::advanceMs(qint64 ms)
{
    m_ms.fetch_add(ms);
}

void FakeClock::set(const QDateTime &t)
{
    m_ms.store(t.toMSecsSinceEpoch());
}

QString isoUtc(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODateWithMs);
}

} // namespace kyc
