#pragma once

#include "backend/audit/auditlog.h"
#include "backend/core/actor.h"
#include "backend/core/clock.h"
#include "backend/screening/listsources.h"
#include "backend/screening/screeningservice.h"
#include "backend/storage/database.h"

#include <QMutex>
#include <QObject>
#include <QThread>

#include <atomic>

namespace kyc::screening {

enum class RefreshOutcome {
    Imported, // a new list version is serving
    Unchanged, // downloaded, same SHA-256 as the serving version: nothing imported
    NotModified, // the server answered 304 to the conditional GET
    Failed, // recorded: consecutive_failures, last_error, next_attempt_at; the serving version stays
    Interrupted, // stop() was called mid-way: nothing recorded
};
[[nodiscard]] QString refreshOutcomeName(RefreshOutcome o); // imported, unchanged, not_modified, failed, interrupted

struct RefreshResult {
    QString source;
    RefreshOutcome outcome = RefreshOutcome::Failed;
    QString error; // when failed
    ListVersion version; // when imported
    int requests = 0; // HTTP requests made, retries included
};

// What the list status shows of one configured source.
struct ListRefreshStatus {
    QString source;
    QString title;
    QString format;
    QStringList urls;
    bool scheduled = false; // refreshed by the timer: loaded, or configured in KYCONNECT_LIST_SOURCES_FILE
    bool loaded = false;
    QString versionId; // the serving version
    QString loadedAt;
    QString publicationDate; // of the serving version, when its file says (or the import gave) one
    QString lastCheckedAt;
    QString lastSuccessAt;
    QString lastChangedAt;
    QString lastError;
    QString nextAttemptAt;
    int consecutiveFailures = 0;
    // Since the serving version's data was last known current: its last successful check (a 304 or the same
    // checksum) or else its publication date (or its import when the file has no date); -1 when nothing is loaded.
    qint64 ageSeconds = -1;
    // Loaded and older than the maximum age. The age counts from when the data was last known to be what the
    // official source publishes: its last successful check, else its publication date (never later than its
    // import), else its import. Importing an old file today does not make it current.
    bool stale = false;
    bool failing = false; // the last refresh failed (lastError, retried at nextAttemptAt)
    // "current", "stale" or "failing" (a failing refresh is never reported current); empty when not loaded.
    QString freshness;
};

struct RefreshSchedule {
    int intervalHours = 24; // 0: no timer (refreshNow still works)
    int maxAgeHours = 72; // 0: never stale
    int checkEveryMs = 5 * 60 * 1000; // how often the timer looks for due sources
    int firstCheckDelayMs = 30 * 1000; // after start(), so that start-up is not slowed
};

// Keeps the sanctions lists current from their official download URLs. For each source: a conditional
// GET of every file (If-None-Match / If-Modified-Since from list_refresh_state), size and Content-Length
// checks, the SHA-256 of the set compared with the serving version's, then ScreeningService::importList;
// transient failures are retried within a refresh, and a failed refresh is retried later with a growing
// back-off while the last good version keeps serving.
//
// list_refresh_state holds one row per source: `url` is the source's URLs joined by a space, `etag` and
// `last_modified` are JSON objects keyed by URL (only files that answered with validators), `sha256` is the
// set's checksum as downloaded last. The last good files are kept in <cacheDir>/<source>/ so that a set of
// which only some files changed can be imported whole; validators are only sent for files held there.
//
// Downloads run on the calling thread, which waits in a local event loop: start() gives the timer its own
// thread, and refreshNow() is for tests and the command line. One refresh runs at a time.
class ListRefresher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ListRefresher)

public:
    ListRefresher(storage::Database &db, const Clock &clock, audit::AuditLog &audit, ScreeningService &screening,
                  ListSourceTable table, RefreshSchedule schedule, QString cacheDir, QObject *parent = nullptr);
    ~ListRefresher() override;

    [[nodiscard]] const ListSourceTable &table() const { return m_table; }
    [[nodiscard]] const RefreshSchedule &schedule() const { return m_schedule; }

    // Downloads and, when changed, imports one source now; blocks until done.
    [[nodiscard]] Result<RefreshResult> refreshNow(const QString &source);
    // Refreshes every scheduled source that is due (never checked, or its next_attempt_at has come); blocks.
    QList<RefreshResult> refreshDue();
    // Queues a refresh of `source` on the refresher's thread (started if needed); `refreshed` reports it.
    // A refresh may import a new list version, so it takes what an import takes: the admin role (or the
    // system); a source without a download URL is NotFound.
    [[nodiscard]] Status refreshLater(const Actor &actor, const QString &source);

    // Starts the timer thread (nothing when the interval is 0). stop() interrupts a download in progress,
    // waits for an import in progress, and is safe to call twice and at shutdown.
    void start();
    void stop();
    [[nodiscard]] bool isRunning() const;

    // Every configured source, in table order.
    [[nodiscard]] Result<QList<ListRefreshStatus>> status() const;
    // The readiness probe: fails when a loaded source is stale, else names each loaded source's age.
    [[nodiscard]] Result<QString> freshness() const;

signals:
    // After every refresh, from the thread that ran it. outcome: refreshOutcomeName().
    void refreshed(const QString &source, const QString &outcome, const QString &detail);

private:
    struct State;
    struct Serving;
    Result<std::optional<State>> loadState(const QString &source) const;
    Result<std::optional<Serving>> serving(const QString &source) const;
    RefreshResult run(const ListSourceConfig &config);
    RefreshResult recordFailure(const ListSourceConfig &config, const std::optional<State> &before, const QString &error,
                                int requests);
    Status recordSuccess(const ListSourceConfig &config, const State &after, const ListVersion *imported);
    [[nodiscard]] bool isScheduled(const ListSourceConfig &config, bool loaded) const;
    [[nodiscard]] QString sourceCacheDir(const QString &source) const;
    void ensureThread();

    storage::Database &m_db;
    const Clock &m_clock;
    audit::AuditLog &m_audit;
    ScreeningService &m_screening;
    const ListSourceTable m_table;
    const RefreshSchedule m_schedule;
    const QString m_cacheDir;

    QMutex m_runMutex; // one refresh at a time, whichever thread runs it
    std::atomic_bool m_stop{false};
    QThread m_thread;
    QObject *m_worker = nullptr; // lives on m_thread, with the timer
    bool m_timerStarted = false;
};

} // namespace kyc::screening
