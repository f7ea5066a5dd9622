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

#include <memory>

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
};

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
};

struct ScreeningFilter {
    QString status;
    QString caseId;
    QString source;
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
    [[nodiscard]] Result<QList<ListVersion>> lists(const Actor &actor);
    [[nodiscard]] Result<Screening> screen(const Actor &actor, const ScreenInput &in);
    [[nodiscard]] Result<Page<Screening>> screenings(const Actor &actor, const ScreeningFilter &filter, const PageRequest &page);
    [[nodiscard]] Result<Screening> screening(const Actor &actor, const QString &id);
    [[nodiscard]] Result<Screening> resolve(const Actor &actor, const QString &screeningId, const QString &matchId,
                                            const QString &resolution, const QString &reason);

    [[nodiscard]] std::shared_ptr<const Matcher> matcher() const;
    [[nodiscard]] qint64 loadedEntities() const;

private:
    Result<double> firmThreshold(const QString &firmId);
    Result<Screening> loadScreening(const QString &firmId, const QString &id);
    Status rebuild();

    storage::Database &m_db;
    const Clock &m_clock;
    audit::AuditLog &m_audit;
    mutable QMutex m_mutex; // guards m_matcher (the pointer, not the immutable index)
    std::shared_ptr<const Matcher> m_matcher;
    QMutex m_importMutex; // one import at a time
};

[[nodiscard]] QString subjectKey(const ScreenInput &in);

} // namespace kyc::screening
