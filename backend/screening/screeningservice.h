#pragma once

#include "backend/audit/auditlog.h"
#include "backend/core/actor.h"
#include "backend/core/clock.h"
#include "backend/core/paging.h"
#include "backend/screening/importers.h"
#include "backend/screening/matcher.h"
#include "backend/storage/database.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QMutex>
#include <QWaitCondition>

#include <deque>
#include <functional>
#include <memory>
#include <optional>

class QThread;

namespace kyc::screening {

struct ListVersion {
    QString id;
    QString source;
    QString format;
    QString publicationDate;
    QString sha256;
    qint64 entityCount = 0;
    qint64 nameCount = 0;
    qint64 problemCount = 0;
    QJsonArray problems; // the first problems, with their lines
    qint64 added = 0;
    qint64 changed = 0;
    qint64 removed = 0;
    QString loadedAt;
    bool active = false;
    qint64 version = 0; // 1 for the first import of the source, then 2, 3, …
    qint64 alerts = 0; // monitoring alerts this import raised for the importer's own firm (only in the answer)
    QString owner; // the firm owning a firm-private list ("firm:…" source); empty for the platform's official lists
    bool forced = false; // imported over a newer serving version on purpose (only in the answer to the import)
};

// Firm-private lists are named "firm:<name>" (lower-case letters, digits, '_', at most 48 after the prefix), so
// no firm can take an official source's name; each firm has its own namespace (two firms may both keep
// "firm:watchlist", and neither sees the other's). Every other name is an official, platform-wide list.
[[nodiscard]] bool isFirmListName(const QString &source);
[[nodiscard]] bool isValidFirmListName(const QString &source);

// How an import treats a file older than the serving version of its list.
enum class ImportAge { RefuseOlder, AllowOlder };

struct ScreenInput {
    QString name;
    EntityType type = EntityType::Person;
    QString birthDate; // YYYY, YYYY-MM or YYYY-MM-DD
    QString country; // ISO alpha-2
    QStringList lists; // list sources to use; empty = the firm's enabled lists (all loaded)
    double threshold = -1; // < 0: the firm's threshold
    QString source = QStringLiteral("ad_hoc");
    QString caseId;
};

struct StoredMatch {
    QString id;
    QString listSource;
    QString listVersionId;
    QString entityId;
    QString entityHash; // the entity's content hash when matched; a change ends a remembered false positive
    QString entityName;
    QString matchedName;
    QString category;
    double score = 0;
    QJsonObject explanation;
    QString resolution;
    QString reason;
    QString resolvedBy;
    QString resolvedAt;
    QString rememberedFrom; // the earlier match whose decision (a confirmed true positive) this one carries
};

// A decision remembered for this subject and this version of the entity, applied on re-screening.
struct RememberedDecision {
    QString matchId; // where it was decided
    QString entityId;
    QString resolution; // false_positive (the hit is hidden) or true_positive (the match is shown as confirmed)
    QString reason;
    QString resolvedBy;
    QString resolvedAt;
};

struct Screening {
    QString id;
    QJsonObject subject;
    QString source;
    QString caseId;
    QString status; // clear, potential_match, confirmed_match, false_positive
    double threshold = 0;
    QJsonArray lists; // [{source, version_id, publication_date}]
    QString createdBy;
    QString createdAt;
    QList<StoredMatch> matches;
    int suppressed = 0; // hits hidden because they were resolved as false positives before
    QList<RememberedDecision> remembered; // the decisions applied (false positives hidden, true positives shown)
};

struct ScreeningFilter {
    QString status;
    QString caseId;
    QString source;
    QString batchId;
};

struct BatchInput {
    QList<ScreenInput> subjects; // lists and threshold of each are ignored: the batch's apply
    QStringList references; // optional client reference per subject (same length as subjects, or empty)
    QStringList lists;
    double threshold = -1;
};

struct Batch {
    QString id;
    QString status; // queued, running, completed, failed
    qint64 total = 0;
    qint64 processed = 0;
    qint64 potentialMatches = 0; // subjects with at least one match so far
    QStringList lists;
    double threshold = -1; // < 0: each subject got the firm's threshold
    QString error;
    QString createdBy;
    QString createdAt;
    QString startedAt;
    QString completedAt;
    bool replayed = false; // answered from an earlier request with the same Idempotency-Key
};

struct MonitoringState {
    QString caseId;
    bool enabled = false;
    QString lastScreenedAt;
    QString updatedAt;
};

struct MonitoringAlert {
    QString id;
    QString caseId;
    QString screeningId;
    QString matchId;
    QString listSource;
    QString listVersionId;
    QString entityId;
    QString change; // added or changed: what the list import did to the entity
    QString matchedName;
    double score = 0;
    QString status; // open until its match is resolved
    QString createdAt;
    QString resolvedAt;
};

struct AlertFilter {
    QString status; // open, resolved
    QString caseId;
};

// Sanctions, PEP and adverse-media screening (operations 53–61): list versions swapped in
// atomically, screenings stored with their explained matches, false positives remembered.
class ScreeningService final
{
public:
    ScreeningService(storage::Database &db, const Clock &clock, audit::AuditLog &audit);

    // Rebuilds the in-memory index from the active list versions (at start).
    [[nodiscard]] Status load();
    [[nodiscard]] Result<ListVersion> importList(const Actor &actor, ListFormat format, const QStringList &files,
                                                 const QString &source = {},
                                                 const std::function<void(qint64, qint64)> &progress = {});
    // `format` is a ListFormat name (un_xml, ofac_sdn_csv, …) or "tabular", for the PEP and adverse-media
    // sources read through a shipped mapping: then `source` names the mapping (pep_us_congress, …).
    // `publicationDate` (YYYY-MM-DD) overrides the date read from the file.
    [[nodiscard]] Result<ListVersion> importList(const Actor &actor, const QString &format, const QStringList &files,
                                                 const QString &source = {},
                                                 const std::function<void(qint64, qint64)> &progress = {},
                                                 const QString &publicationDate = {}, ImportAge age = ImportAge::RefuseOlder);
    // SHA-256 of a list's files as a version records it: the files sorted by name, their bytes concatenated.
    [[nodiscard]] static QString filesSha256(const QStringList &files);
    // The active versions the caller's firm sees: the official lists and its own private ones.
    [[nodiscard]] Result<QList<ListVersion>> lists(const Actor &actor);
    // Field errors for list names in a firm's screening_lists setting: each must be a category (sanctions,
    // pep, adverse_media), an official source known to the product or ever imported, or one of the firm's
    // own private lists.
    [[nodiscard]] QList<FieldError> checkListNames(const QString &firmId, const QStringList &names, const QString &field);
    // Reloads the index when another process (the admin CLI) committed a list version since it was built.
    [[nodiscard]] Status reloadIfChanged();
    [[nodiscard]] Result<Screening> screen(const Actor &actor, const ScreenInput &in);
    [[nodiscard]] Result<Page<Screening>> screenings(const Actor &actor, const ScreeningFilter &filter, const PageRequest &page);
    [[nodiscard]] Result<Screening> screening(const Actor &actor, const QString &id);
    [[nodiscard]] Result<Screening> resolve(const Actor &actor, const QString &screeningId, const QString &matchId,
                                            const QString &resolution, const QString &reason);

    // Batch screening (operation 54): validated and stored at once, screened in the background by the batch
    // worker in chunks (each chunk one transaction), so an interrupted batch resumes where it stopped. With an
    // idempotency key, a repeat of the same request answers the same batch (with its progress now) and the same
    // key with another request is a conflict.
    static constexpr int kMaxBatchSubjects = 10'000;
    [[nodiscard]] Result<Batch> submitBatch(const Actor &actor, const BatchInput &input, const QString &idempotencyKey = {});
    [[nodiscard]] Result<Batch> batch(const Actor &actor, const QString &id);
    // Starts the worker thread and queues the batches left unfinished by an earlier run.
    void startBatchWorker();
    // Stops after the chunk in progress (the rest stays queued in the database).
    void stopBatchWorker();
    // Blocks until no batch is queued or running in this process (tests, benchmarks, the CLI).
    bool waitForBatches(int timeoutMs);
    // Called on the worker thread after every chunk (the GUI forwards it to its own thread).
    void setBatchListener(std::function<void(const Batch &)> listener);

    // Ongoing monitoring (operations 60 and 61). A case's subjects are those of its screenings; while it is
    // monitored every list import screens them against the entities the import added or changed, in the
    // import's transaction, and each new hit becomes a match of a "monitoring" screening with an alert.
    [[nodiscard]] Result<MonitoringState> setMonitoring(const Actor &actor, const QString &caseId, bool enabled);
    [[nodiscard]] Result<Page<MonitoringAlert>> alerts(const Actor &actor, const AlertFilter &filter, const PageRequest &page);

    [[nodiscard]] std::shared_ptr<const Matcher> matcher() const;
    [[nodiscard]] qint64 loadedEntities() const;
    // The entities of the official (platform) lists serving now: what readiness counts, as one firm's own list
    // makes nobody else ready to screen.
    [[nodiscard]] qint64 officialEntities() const;

    ~ScreeningService();
    ScreeningService(const ScreeningService &) = delete;
    ScreeningService &operator=(const ScreeningService &) = delete;

private:
    // What a screening runs against: one index and the active list versions it was built from.
    struct ListContext {
        std::shared_ptr<const Matcher> matcher;
        QList<ListVersion> versions;
    };
    struct Prepared {
        ScreenInput input; // name simplified, country upper case
        Query query;
        QString key; // subjectKey()
    };

    Result<ListVersion> storeVersion(const Actor &actor, const QString &format, const QString &source, const QStringList &files,
                                     const std::function<Result<ImportResult>()> &parse, const QString &publicationDate = {},
                                     ImportAge age = ImportAge::RefuseOlder);
    // The versions a firm's screenings see: official ones and the firm's own.
    [[nodiscard]] static QList<ListVersion> visibleTo(const QList<ListVersion> &versions, const QString &firmId);
    // What a screening covers: the visible versions its list restriction (empty: all) selects; a 422 when none.
    // Unless the request or the firm's setting names its lists one by one, an official list must be loaded: the
    // firm's own watchlist alone never makes a "clear" against sanctions.
    [[nodiscard]] static Status requireCoverage(const QList<ListVersion> &visible, const QStringList &lists,
                                                const QStringList &settingLists, bool requestNamedLists);
    // A firm's screening settings: its match threshold, and the list sources its screenings use when a
    // request names none (screening_lists holds categories — sanctions, pep, adverse_media — and/or sources;
    // an empty answer means every loaded list).
    struct FirmScreening {
        double threshold = 0;
        QStringList lists;
        QStringList setting; // screening_lists as stored, for the message when it covers nothing
    };
    Result<FirmScreening> firmScreening(const QString &firmId, const QList<ListVersion> &versions);
    Result<Screening> loadScreening(const QString &firmId, const QString &id);
    Result<QList<ListVersion>> activeVersions();
    Result<std::shared_ptr<const Matcher>> buildMatcher();
    Status rebuild();
    // Field errors of one subject (names prefixed with `field`, e.g. "subjects[3].").
    [[nodiscard]] static QList<FieldError> validateSubject(const ScreenInput &in, const QString &field, Prepared *out);
    [[nodiscard]] static QList<FieldError> validateLists(const QStringList &lists, const QList<ListVersion> &versions,
                                                         const QString &field);
    // Matches of a prepared subject (ranked, at most 50); `only` restricts them to those entity ids.
    // Only entities the firm may see take part (official lists and its own private ones).
    [[nodiscard]] static QList<Match> findMatches(const ListContext &ctx, const Prepared &p, const QStringList &lists,
                                                  double threshold, const QString &firmId, const QSet<QString> *only = nullptr);
    // Stores a screening with its matches (minus remembered false positives) and its audit event, inside the
    // caller's transaction. With `onlyIfMatches`, nothing is stored when no match is left (and nullopt returned).
    Result<std::optional<Screening>> record(const Actor &actor, const Prepared &p, const QList<Match> &found,
                                            const ListContext &ctx, const QStringList &lists, double threshold,
                                            const QString &batchId, bool onlyIfMatches);
    // Alerts raised per firm.
    Result<QHash<QString, qint64>> monitorDelta(const ListContext &ctx, const ListVersion &version,
                                                const QHash<QString, QString> &changes);
    Result<qint64> listMarker();
    Result<Batch> loadBatch(const QString &firmId, const QString &id);
    void batchWorkerLoop();
    Status runBatch(const QString &batchId);

    storage::Database &m_db;
    const Clock &m_clock;
    audit::AuditLog &m_audit;
    // The index and the active list versions it was built from, swapped together.
    [[nodiscard]] ListContext serving() const;

    mutable QMutex m_mutex; // guards m_matcher and m_versions (the pointer, not the immutable index)
    std::shared_ptr<const Matcher> m_matcher;
    QList<ListVersion> m_versions;
    qint64 m_marker = -1; // listMarker() when the serving index was built
    QMutex m_importMutex; // one import (or reload) at a time

    QMutex m_batchMutex; // guards the members below
    QWaitCondition m_batchWake;
    QWaitCondition m_batchIdle;
    std::deque<QString> m_batchQueue;
    bool m_batchBusy = false;
    bool m_batchStop = false;
    QThread *m_batchThread = nullptr;
    std::function<void(const Batch &)> m_batchListener;
};

[[nodiscard]] QString subjectKey(const ScreenInput &in);

} // namespace kyc::screening
