#pragma once

#include <QDateTime>

#include <atomic>

namespace kyc {

// Time comes from an injected clock so that tests can move it; all times are UTC.
class Clock
{
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual QDateTime now() const = 0;
    [[nodiscard]] qint64 nowMs() const { return now().toMSecsSinceEpoch(); }
    // A monotonic reading in milliseconds, for durations and windows.
    [[nodiscard]] virtual qint64 monotonicMs() const = 0;
};

class SystemClock final : public Clock
{
public:
    [[nodiscard]] QDateTime now() const override;
    [[nodiscard]] qint64 monotonicMs() const override;
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock
{
public:
    explicit FakeClock(const QDateTime &start = QDateTime(QDate(2026, 1, 1), QTime(0, 0), Qt::UTC));
    [[nodiscard]] QDateTime now() const override;
    [[nodiscard]] qint64 monotonicMs() const override;
    void advanceMs(qint64 ms);
    void set(const QDateTime &t);

private:
    std::atomic<qint64> m_ms;
};

// ISO-8601 UTC with milliseconds, e.g. 2026-11-26T22:39:14.123Z.
[[nodiscard]] QString isoUtc(const QDateTime &t);

} // namespace kyc
