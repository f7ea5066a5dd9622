#include "backend/screening/screeningservice.h"

#include "backend/core/ids.h"
#include "backend/core/json.h"
#include "backend/identity/permissions.h"
#include "backend/screening/entityjson.h"
#include "backend/screening/import_tabular.h"
#include "backend/storage/where.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSqlQuery>

#include <algorithm>

namespace kyc::screening {

using storage::bindAll;
using storage::nullable;

namespace {

const QString kScreenScope = QStringLiteral("aml:screen");
const QString kReadScope = QStringLiteral("aml:read");

QString defaultSource(ListFormat f)
{
    switch (f) {
    case ListFormat::OfacSdnCsv: return QStringLiteral("ofac_sdn");
    case ListFormat::OfacConsCsv: return QStringLiteral("ofac_cons");
    case ListFormat::UnXml: return QStringLiteral("un");
    case ListFormat::EuFsfXml: return QStringLiteral("eu_fsf");
    case ListFormat::UkXml: return QStringLiteral("uk_hmt");
    case ListFormat::BisDplTxt: return QStringLiteral("us_bis_dpl");
    case ListFormat::CslCsv: return QStringLiteral("us_csl");
    case ListFormat::FtmJson: return QStringLiteral("opensanctions");
    }
    return QStringLiteral("list");
}

std::optional<BirthDate> readBirthDate(const QString &s)
{
    static const QRegularExpression re(QStringLiteral("^(\\d{4})(?:-(\\d{2})(?:-(\\d{2}))?)?$"));
    const auto m = re.match(s);
    if (!m.hasMatch())
        return std::nullopt;
    BirthDate d{m.captured(1).toInt(), m.captured(2).toInt(), m.captured(3).toInt(), 0};
    if (d.year < 1850 || d.month > 12 || d.day > 31)
        return std::nullopt;
    if (d.day && !QDate(d.year, d.month, d.day).isValid())
        return std::nullopt;
    return d;
}

QJsonObject explanationJson(const Match &m)
{
    QJsonArray tokens, qualifiers;
    for (const auto &t : m.tokens)
        tokens.append(QJsonObject{{QStringLiteral("query_token"), t.queryToken},
                                  {QStringLiteral("name_token"), t.nameToken},
                                  {QStringLiteral("similarity"), t.similarity},
                                  {QStringLiteral("how"), t.how}});
    for (const auto &q : m.qualifiers)
        qualifiers.append(QJsonObject{
            {QStringLiteral("kind"), q.kind}, {QStringLiteral("outcome"), q.outcome}, {QStringLiteral("effect"), q.effect}});
    return {{QStringLiteral("name_score"), m.nameScore},
            {QStringLiteral("tokens"), tokens},
            {QStringLiteral("qualifiers"), qualifiers}};
}

QString statusFor(const QList<StoredMatch> &matches)
{
    if (matches.isEmpty())
        return QStringLiteral("clear");
    bool allFalse = true;
    for (const auto &m : matches) {
        if (m.resolution == QStringLiteral("true_positive"))
            return QStringLiteral("confirmed_match");
        allFalse = allFalse && m.resolution == QStringLiteral("false_positive");
    }
    return allFalse ? QStringLiteral("false_positive") : QStringLiteral("potential_match");
}

} // namespace

bool isFirmListName(const QString &source)
{
    return source.startsWith(QStringLiteral("firm:"));
}

bool isValidFirmListName(const QString &source)
{
    static const QRegularExpression re(QStringLiteral("^firm:[a-z0-9_]{1,48}$"));
    return re.match(source).hasMatch();
}

QString subjectKey(const ScreenInput &in)
{
    return in.name.simplified().toLower() + u'|' + entityTypeName(in.type) + u'|' + in.birthDate;
}

ScreeningService::ScreeningService(storage::Database &db, const Clock &clock, audit::AuditLog &audit)
    : m_db(db)
    , m_clock(clock)
    , m_audit(audit)
    , m_matcher(std::make_shared<const Matcher>(QList<Entity>{}))
{
}

std::shared_ptr<const Matcher> ScreeningService::matcher() const
{
    QMutexLocker lock(&m_mutex);
    return m_matcher;
}

qint64 ScreeningService::loadedEntities() const
{
    return matcher()->entityCount();
}

qint64 ScreeningService::officialEntities() const
{
    qint64 n = 0;
    for (const auto &v : serving().versions)
        n += v.owner.isEmpty() ? v.entityCount : 0;
    return n;
}

Result<std::shared_ptr<const Matcher>> ScreeningService::buildMatcher()
{
    QList<Entity> entities;
    QSqlQuery q(m_db.connection());
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT e.data, v.source, v.owner_firm_id FROM list_entities e "
                               "JOIN list_versions v ON v.id = e.version_id WHERE v.active = 1")))
        return fail(Error::internal(QStringLiteral("cannot read list entities")));
    while (q.next()) {
        Entity e = entityFromJson(QJsonDocument::fromJson(q.value(0).toString().toUtf8()).object());
        // The list an entity belongs to is the version's source (a list imported under its own name keeps the
        // importer's default in older rows), and its owner decides which firms may ever see it.
        e.source = q.value(1).toString();
        e.owner = q.value(2).toString();
        entities.append(std::move(e));
    }
    return std::make_shared<const Matcher>(std::move(entities));
}

Result<qint64> ScreeningService::listMarker()
{
    // Versions are only ever added (an import deactivates the one it replaces in the same transaction), so
    // their number changes with every committed import, whichever process wrote it.
    QSqlQuery &q = m_db.prepare(QStringLiteral("SELECT COUNT(*) FROM list_versions"));
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    const qint64 n = q.next() ? q.value(0).toLongLong() : 0;
    q.finish();
    return n;
}

Status ScreeningService::reloadIfChanged()
{
    auto marker = listMarker();
    if (!marker)
        return fail(marker.error());
    {
        QMutexLocker lock(&m_mutex);
        if (*marker == m_marker)
            return {};
    }
    QMutexLocker importLock(&m_importMutex);
    {
        QMutexLocker lock(&m_mutex);
        if (*marker == m_marker)
            return {}; // another thread reloaded meanwhile
    }
    return rebuild();
}

Status ScreeningService::rebuild()
{
    auto marker = listMarker();
    if (!marker)
        return fail(marker.error());
    auto built = buildMatcher();
    if (!built)
        return fail(built.error());
    auto versions = activeVersions();
    if (!versions)
        return fail(versions.error());
    QMutexLocker lock(&m_mutex);
    m_matcher = std::move(*built); // screenings in flight keep the index they started with
    m_versions = std::move(*versions);
    m_marker = *marker;
    return {};
}

ScreeningService::ListContext ScreeningService::serving() const
{
    QMutexLocker lock(&m_mutex);
    return {m_matcher, m_versions};
}

Status ScreeningService::load()
{
    return rebuild();
}

Result<ListVersion> ScreeningService::importList(const Actor &actor, ListFormat format, const QStringList &files,
                                                 const QString &source, const std::function<void(qint64, qint64)> &progress)
{
    return storeVersion(actor, formatName(format), source.isEmpty() ? defaultSource(format) : source, files,
                        [&] { return screening::importList(format, files, progress); });
}

Result<ListVersion> ScreeningService::importList(const Actor &actor, const QString &format, const QStringList &files,
                                                 const QString &source, const std::function<void(qint64, qint64)> &progress,
                                                 const QString &publicationDate, ImportAge age)
{
    if (!publicationDate.isEmpty() && !QDate::fromString(publicationDate, Qt::ISODate).isValid())
        return fail(Error::validation(QStringLiteral("publication_date"),
                                      QStringLiteral("publication_date must be a date (YYYY-MM-DD)")));
    if (const auto f = parseFormat(format))
        return storeVersion(
            actor, formatName(*f), source.isEmpty() ? defaultSource(*f) : source, files,
            [&] { return screening::importList(*f, files, progress); }, publicationDate, age);
    if (format != QStringLiteral("tabular") && !format.startsWith(QStringLiteral("tabular:")))
        return fail(
            Error::validation(QStringLiteral("format"), QStringLiteral("format %1 is not a known list format").arg(format)));
    // A firm-private list read through a shipped mapping names it after the prefix: "firm:<name>" keeps the
    // mapping given as "tabular:<mapping>" in the format.
    QString mapping = source;
    QString storedFormat = format;
    if (format.startsWith(QStringLiteral("tabular:")))
        mapping = format.mid(8);
    if (!tabularSource(mapping))
        return fail(Error::validation(QStringLiteral("source"),
                                      QStringLiteral("source %1 is not a shipped PEP or adverse-media mapping").arg(mapping)));
    if (mapping != source)
        storedFormat = QStringLiteral("tabular:") + mapping;
    return storeVersion(
        actor, storedFormat, source, files, [&] { return importTabular(mapping, files, progress); }, publicationDate, age);
}

QString ScreeningService::filesSha256(const QStringList &files)
{
    QStringList sorted = files;
    std::sort(sorted.begin(), sorted.end(),
              [](const QString &a, const QString &b) { return QFileInfo(a).fileName() < QFileInfo(b).fileName(); });
    QCryptographicHash sha(QCryptographicHash::Sha256);
    for (const auto &f : sorted) {
        QFile file(f);
        if (file.open(QIODevice::ReadOnly))
            sha.addData(&file);
    }
    return QString::fromLatin1(sha.result().toHex());
}

Result<ListVersion> ScreeningService::storeVersion(const Actor &actor, const QString &format, const QString &source,
                                                   const QStringList &files, const std::function<Result<ImportResult>()> &parse,
                                                   const QString &publicationDate, ImportAge age)
{
    // Who may write which list, before a byte of the file is read. Official lists are platform data, shared
    // by every firm: only the system (admin CLI, scheduled refresher) or a platform admin writes them. A firm
    // admin writes the firm's own private lists ("firm:…"), which no other firm ever sees.
    const bool firmList = isFirmListName(source);
    if (firmList) {
        if (!isValidFirmListName(source))
            return fail(Error::validation(QStringLiteral("source"),
                                          QStringLiteral("a firm list is named firm:<name> (lower-case letters, digits, "
                                                         "'_', at most 48)")));
        if (actor.firmId.isEmpty())
            return fail(Error::validation(QStringLiteral("source"), QStringLiteral("a firm list needs the firm it belongs to")));
        if (actor.kind != Actor::Kind::System && !actor.atLeast(Role::Admin))
            return fail(ErrorCode::Forbidden,
                        QStringLiteral("Importing the firm's lists requires the admin role or a stronger one"));
    } else if (actor.kind != Actor::Kind::System && !(actor.isUser() && actor.platformAdmin)) {
        return fail(ErrorCode::Forbidden,
                    QStringLiteral("%1 is an official list shared by every firm: only a platform admin imports it. Import "
                                   "your own list under a firm: name (e.g. firm:watchlist)")
                        .arg(source));
    }
    const QString owner = firmList ? actor.firmId : QStringLiteral(""); // '' binds as a value (the column is NOT NULL)
    QMutexLocker importLock(&m_importMutex);
    auto imported = parse();
    if (!imported)
        return fail(imported.error());
    if (imported->entities.isEmpty())
        return fail(Error::validation(QStringLiteral("files"),
                                      QStringLiteral("the file holds no entity of this format; nothing was imported")));

    ListVersion v;
    v.id = newId();
    v.source = source;
    v.owner = owner;
    v.format = format;
    v.publicationDate = publicationDate.isEmpty() ? imported->publicationDate : publicationDate;
    v.sha256 = filesSha256(files);
    v.entityCount = imported->entities.size();
    v.nameCount = imported->nameCount;
    v.problemCount = imported->problems.size();
    for (qsizetype i = 0; i < imported->problems.size() && i < 100; ++i)
        v.problems.append(QJsonObject{{QStringLiteral("line"), imported->problems[i].line},
                                      {QStringLiteral("message"), imported->problems[i].message}});
    v.loadedAt = isoUtc(m_clock.now());
    v.active = true;

    // The delta against the version it replaces (the same list of the same owner).
    QHash<QString, QString> previous;
    QString previousId, previousDate;
    {
        QSqlQuery pv(m_db.connection());
        pv.prepare(QStringLiteral(
            "SELECT id, publication_date FROM list_versions WHERE source = ? AND owner_firm_id = ? AND active = 1"));
        bindAll(pv, {v.source, v.owner});
        if (auto s = storage::exec(pv); !s)
            return fail(s.error());
        if (pv.next()) {
            previousId = pv.value(0).toString();
            previousDate = pv.value(1).toString();
        }
        pv.finish();
        // A list is never dated in the future: such a date would make every genuine later file look older. This
        // checks outside data against the real calendar (the wall clock, not the injected one, which tests set
        // before the dates of the real lists they import).
        const QString tomorrow = QDateTime::currentDateTimeUtc().date().addDays(1).toString(Qt::ISODate);
        for (const QString &d : {v.publicationDate, imported->publicationDate}) {
            if (!d.isEmpty() && d > tomorrow)
                return fail(
                    Error::validation(QStringLiteral("publication_date"),
                                      QStringLiteral("the list is dated %1, in the future; nothing was imported").arg(d)));
        }
        // Going back in time: a file older than the serving version replaces it only when asked to, and the
        // audit event says so. A date given with the import does not hide the file's own older date.
        QString olderDate;
        for (const QString &d : {v.publicationDate, imported->publicationDate}) {
            if (!previousDate.isEmpty() && !d.isEmpty() && d < previousDate)
                olderDate = d;
        }
        if (!olderDate.isEmpty()) {
            if (age != ImportAge::AllowOlder)
                return fail(ErrorCode::Conflict,
                            QStringLiteral("This %1 file is dated %2, older than the serving version (%3); nothing was "
                                           "imported. Import it with force to go back to it on purpose")
                                .arg(v.source, olderDate, previousDate));
            v.forced = true;
        }
        QSqlQuery q(m_db.connection());
        q.prepare(QStringLiteral("SELECT entity_id, content_hash FROM list_entities WHERE version_id = ?"));
        q.addBindValue(previousId);
        if (auto s = storage::exec(q); !s)
            return fail(s.error());
        while (q.next())
            previous.insert(q.value(0).toString(), q.value(1).toString());
        QSqlQuery n(m_db.connection());
        n.prepare(QStringLiteral("SELECT COUNT(*) FROM list_versions WHERE source = ? AND owner_firm_id = ?"));
        bindAll(n, {v.source, v.owner});
        if (auto s = storage::exec(n); !s || !n.next())
            return fail(Error::internal(QStringLiteral("cannot count list versions")));
        v.version = n.value(0).toLongLong() + 1;
    }
    QHash<QString, QString> hashes;
    for (auto &e : imported->entities) {
        // Every entity belongs to the list it is imported as (an FtM file under "--name un_latin_only" says
        // "opensanctions" itself), its id qualified by that list so two lists never share an entity id.
        if (e.source != v.source) {
            if (!e.source.isEmpty() && e.id.startsWith(e.source + u':'))
                e.id = v.source + e.id.mid(e.source.size());
            else if (!e.id.startsWith(v.source + u':'))
                e.id = v.source + u':' + e.id;
            e.source = v.source;
        }
        e.owner = v.owner;
        hashes.insert(e.id, contentHash(e));
    }
    QHash<QString, QString> changes; // entity id -> added / changed
    for (auto it = hashes.cbegin(); it != hashes.cend(); ++it) {
        const auto p = previous.constFind(it.key());
        if (p == previous.cend()) {
            ++v.added;
            changes.insert(it.key(), QStringLiteral("added"));
        } else if (*p != it.value()) {
            ++v.changed;
            changes.insert(it.key(), QStringLiteral("changed"));
        }
    }
    for (auto it = previous.cbegin(); it != previous.cend(); ++it)
        v.removed += hashes.contains(it.key()) ? 0 : 1;

    // Undated lists (OFAC's CSV files carry no date) are ordered by their own sequence where they have one: when
    // every entity id is a number assigned in order (OFAC's ent_num), a file whose entities all stop below
    // entities the serving version has, and which lacks those, is an older file.
    if (!v.forced && v.removed > 0 && (previousDate.isEmpty() || v.publicationDate.isEmpty())) {
        const auto maxNumber = [](const auto &ids) -> qint64 {
            qint64 most = -1;
            for (const QString &id : ids) {
                bool ok = false;
                const qint64 n = id.mid(id.lastIndexOf(u':') + 1).toLongLong(&ok);
                if (!ok)
                    return -1;
                most = std::max(most, n);
            }
            return most;
        };
        const qint64 newest = maxNumber(hashes.keys());
        const qint64 serving = maxNumber(previous.keys());
        if (newest >= 0 && serving > newest) {
            if (age != ImportAge::AllowOlder)
                return fail(ErrorCode::Conflict,
                            QStringLiteral("This %1 file is older than the serving version: it lacks %2 entities the "
                                           "serving version has, up to number %3, while its own stop at %4; nothing "
                                           "was imported. Import it with force to go back to it on purpose")
                                .arg(v.source)
                                .arg(v.removed)
                                .arg(serving)
                                .arg(newest));
            v.forced = true;
        }
    }

    storage::Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    QSqlQuery off(m_db.connection());
    off.prepare(QStringLiteral("UPDATE list_versions SET active = 0 WHERE source = ? AND owner_firm_id = ? AND active = 1"));
    bindAll(off, {v.source, v.owner});
    if (auto s = storage::exec(off); !s)
        return fail(s.error());
    QSqlQuery ins(m_db.connection());
    ins.prepare(
        QStringLiteral("INSERT INTO list_versions (id, source, format, publication_date, sha256, entity_count, name_count, "
                       "problem_count, problems, added, changed, removed, loaded_at, active, owner_firm_id) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)"));
    bindAll(ins,
            {v.id, v.source, v.format, nullable(v.publicationDate), v.sha256, v.entityCount, v.nameCount, v.problemCount,
             QString::fromUtf8(QJsonDocument(v.problems).toJson(QJsonDocument::Compact)), v.added, v.changed, v.removed,
             v.loadedAt, v.owner});
    if (auto s = storage::exec(ins); !s)
        return fail(s.error());
    QSqlQuery ent(m_db.connection());
    ent.prepare(QStringLiteral("INSERT INTO list_entities (version_id, entity_id, content_hash, data) VALUES (?, ?, ?, ?)"));
    QSet<QString> seen;
    for (const auto &e : imported->entities) {
        if (seen.contains(e.id))
            continue; // a repeated id in the file: the first one counts (the importer reported it)
        seen.insert(e.id);
        bindAll(ent, {v.id, e.id, hashes.value(e.id), QString::fromUtf8(json::compact(toJson(e)))});
        if (auto s = storage::exec(ent); !s)
            return fail(s.error());
    }
    // The new index, read through this transaction, serves the monitoring of the delta now and every
    // screening once committed.
    auto built = buildMatcher();
    if (!built)
        return fail(built.error());
    auto versions = activeVersions();
    if (!versions)
        return fail(versions.error());
    auto alerts = monitorDelta(ListContext{*built, *versions}, v, changes);
    if (!alerts)
        return fail(alerts.error());
    qint64 allAlerts = 0;
    for (const qint64 n : std::as_const(*alerts))
        allAlerts += n;
    // The answer carries the caller's own firm only: another firm's alerts are none of its business. The
    // operator's own tools (CLI, refresher: the system without a firm) see the total.
    v.alerts = actor.kind == Actor::Kind::System && actor.firmId.isEmpty() ? allAlerts : alerts->value(actor.firmId);
    QJsonObject details{{QStringLiteral("source"), v.source},        {QStringLiteral("format"), v.format},
                        {QStringLiteral("version"), v.version},      {QStringLiteral("sha256"), v.sha256},
                        {QStringLiteral("entities"), v.entityCount}, {QStringLiteral("problems"), v.problemCount},
                        {QStringLiteral("added"), v.added},          {QStringLiteral("changed"), v.changed},
                        {QStringLiteral("removed"), v.removed},      {QStringLiteral("monitoring_alerts"), allAlerts},
                        {QStringLiteral("replaces"), previousId},    {QStringLiteral("publication_date"), v.publicationDate}};
    if (v.forced) {
        details.insert(QStringLiteral("forced_older"), true);
        details.insert(QStringLiteral("replaces_publication_date"), previousDate);
    }
    // An official list is recorded in the platform's chain, a firm's list in that firm's.
    auto event = m_audit.append({v.owner, actor.actorType(), actor.actorId(), QStringLiteral("list.imported"),
                                 QStringLiteral("list_version"), v.id, actor.ip, details});
    if (!event)
        return fail(event.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    auto marker = listMarker();
    QMutexLocker lock(&m_mutex);
    m_matcher = std::move(*built);
    m_versions = std::move(*versions);
    m_marker = marker ? *marker : -1;
    return v;
}

Result<QList<ListVersion>> ScreeningService::activeVersions()
{
    QSqlQuery q(m_db.connection());
    if (!q.exec(QStringLiteral(
            "SELECT id, source, format, publication_date, sha256, entity_count, name_count, problem_count, problems, "
            "added, changed, removed, loaded_at, active, "
            "(SELECT COUNT(*) FROM list_versions p WHERE p.source = v.source AND p.owner_firm_id = v.owner_firm_id "
            "AND p.rowid <= v.rowid), owner_firm_id "
            "FROM list_versions v WHERE active = 1 ORDER BY source, owner_firm_id")))
        return fail(Error::internal(QStringLiteral("cannot read list versions")));
    QList<ListVersion> out;
    while (q.next()) {
        ListVersion v;
        v.id = q.value(0).toString();
        v.source = q.value(1).toString();
        v.format = q.value(2).toString();
        v.publicationDate = q.value(3).toString();
        v.sha256 = q.value(4).toString();
        v.entityCount = q.value(5).toLongLong();
        v.nameCount = q.value(6).toLongLong();
        v.problemCount = q.value(7).toLongLong();
        v.problems = QJsonDocument::fromJson(q.value(8).toString().toUtf8()).array();
        v.added = q.value(9).toLongLong();
        v.changed = q.value(10).toLongLong();
        v.removed = q.value(11).toLongLong();
        v.loadedAt = q.value(12).toString();
        v.active = q.value(13).toBool();
        v.version = q.value(14).toLongLong();
        v.owner = q.value(15).toString();
        out << v;
    }
    return out;
}

Result<QList<ListVersion>> ScreeningService::lists(const Actor &actor)
{
    if (auto s = identity::requireOrScope(actor, identity::Permission::ScreeningRun, kReadScope); !s)
        return fail(s.error());
    if (auto s = reloadIfChanged(); !s)
        return fail(s.error());
    return visibleTo(serving().versions, actor.firmId);
}

QList<ListVersion> ScreeningService::visibleTo(const QList<ListVersion> &versions, const QString &firmId)
{
    QList<ListVersion> out;
    for (const auto &v : versions) {
        if (v.owner.isEmpty() || v.owner == firmId)
            out << v;
    }
    return out;
}

namespace {
// The list categories a firm's screening_lists may name besides list sources.
const QStringList &listCategories()
{
    static const QStringList categories{QStringLiteral("sanctions"), QStringLiteral("pep"), QStringLiteral("adverse_media")};
    return categories;
}
} // namespace

Status ScreeningService::requireCoverage(const QList<ListVersion> &visible, const QStringList &lists,
                                         const QStringList &settingLists, bool requestNamedLists)
{
    bool covered = false;
    bool official = false;
    for (const auto &v : visible) {
        covered = covered || lists.isEmpty() || lists.contains(v.source);
        official = official || v.owner.isEmpty();
    }
    const bool settingNamesSources = !settingLists.isEmpty()
        && std::none_of(settingLists.cbegin(), settingLists.cend(),
                        [](const QString &l) { return listCategories().contains(l); });
    if (covered && !official && !requestNamedLists && !settingNamesSources)
        return fail(ErrorCode::BusinessRule,
                    QStringLiteral("No official list is loaded yet, only the firm's own lists; nothing was screened "
                                   "(name the firm's lists in the request or in screening_lists to screen against them "
                                   "alone)"));
    if (covered)
        return {};
    if (visible.isEmpty())
        return fail(ErrorCode::BusinessRule,
                    QStringLiteral("No screening list is loaded yet, so nothing can be screened; import a list first"));
    return fail(ErrorCode::BusinessRule,
                QStringLiteral("None of the lists this screening would use is loaded (the firm's screening_lists: %1); "
                               "nothing was screened")
                    .arg(settingLists.isEmpty() ? QStringLiteral("all") : settingLists.join(QStringLiteral(", "))));
}

QList<FieldError> ScreeningService::checkListNames(const QString &firmId, const QStringList &names, const QString &field)
{
    QSet<QString> known(listCategories().cbegin(), listCategories().cend());
    for (const ListFormat f : {ListFormat::OfacSdnCsv, ListFormat::OfacConsCsv, ListFormat::UnXml, ListFormat::EuFsfXml,
                               ListFormat::UkXml, ListFormat::BisDplTxt, ListFormat::CslCsv, ListFormat::FtmJson})
        known.insert(defaultSource(f));
    for (const auto &t : tabularSources())
        known.insert(t.id);
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT DISTINCT source FROM list_versions WHERE owner_firm_id = '' OR owner_firm_id = ?"));
    q.addBindValue(firmId);
    if (storage::exec(q)) {
        while (q.next())
            known.insert(q.value(0).toString());
    }
    QList<FieldError> errors;
    for (const auto &n : names) {
        if (!known.contains(n))
            errors << FieldError{field,
                                 QStringLiteral("%1: %2 is not a list category (sanctions, pep, adverse_media), an official "
                                                "list or one of the firm's lists")
                                     .arg(field, n)};
    }
    return errors;
}

Result<ScreeningService::FirmScreening> ScreeningService::firmScreening(const QString &firmId, const QList<ListVersion> &versions)
{
    QSqlQuery &q = m_db.prepare(QStringLiteral("SELECT settings FROM firms WHERE id = ?"));
    bindAll(q, {firmId});
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    FirmScreening out{Matcher::defaultThreshold(), {}, {}};
    if (!q.next())
        return out;
    const QJsonObject settings = QJsonDocument::fromJson(q.value(0).toString().toUtf8()).object();
    q.finish();
    out.threshold = settings.value(QStringLiteral("screening_match_threshold")).toDouble(Matcher::defaultThreshold());
    if (!settings.contains(QStringLiteral("screening_lists")))
        return out;
    QStringList enabled;
    for (const auto &v : settings.value(QStringLiteral("screening_lists")).toArray())
        enabled << v.toString();
    out.setting = enabled;
    // A source's category: a PEP / adverse-media mapping says which; every other format is a sanctions list.
    auto categoryOf = [](const ListVersion &v) -> QString {
        if (!v.format.startsWith(QStringLiteral("tabular")))
            return QStringLiteral("sanctions");
        const auto t = tabularSource(v.format.startsWith(QStringLiteral("tabular:")) ? v.format.mid(8) : v.source);
        return t && t->category == QStringLiteral("pep") ? QStringLiteral("pep") : QStringLiteral("adverse_media");
    };
    bool all = true;
    for (const auto &v : visibleTo(versions, firmId)) {
        if (enabled.contains(v.source) || enabled.contains(categoryOf(v)))
            out.lists << v.source;
        else
            all = false;
    }
    if (all)
        out.lists.clear(); // every loaded list: no restriction to apply
    else if (out.lists.isEmpty())
        out.lists << QStringLiteral("-"); // none of the enabled lists is loaded: requireCoverage() refuses the
                                          // screening (monitoring finds nothing)
    return out;
}

QList<FieldError> ScreeningService::validateSubject(const ScreenInput &in, const QString &field, Prepared *out)
{
    QList<FieldError> errors;
    const QString name = in.name.simplified();
    if (name.isEmpty() || name.size() > 300)
        errors << FieldError{field + QStringLiteral("name"),
                             QStringLiteral("%1name must be 1 to 300 characters long").arg(field)};
    std::optional<BirthDate> dob;
    if (!in.birthDate.isEmpty() && !(dob = readBirthDate(in.birthDate)))
        errors << FieldError{field + QStringLiteral("birth_date"),
                             QStringLiteral("%1birth_date must be YYYY, YYYY-MM or YYYY-MM-DD").arg(field)};
    static const QRegularExpression cc(QStringLiteral("^[A-Za-z]{2}$"));
    if (!in.country.isEmpty() && !cc.match(in.country).hasMatch())
        errors << FieldError{field + QStringLiteral("country"),
                             QStringLiteral("%1country must be an ISO 3166-1 alpha-2 code").arg(field)};
    if (!in.caseId.isEmpty() && !isValidId(in.caseId))
        errors << FieldError{field + QStringLiteral("case_id"), QStringLiteral("%1case_id must be a UUID").arg(field)};
    if (errors.isEmpty() && out) {
        out->input = in;
        out->input.name = name;
        out->input.country = in.country.toUpper();
        out->query = Query{};
        out->query.name = name;
        out->query.type = in.type;
        if (dob)
            out->query.birthDate = *dob;
        out->query.country = out->input.country;
        out->key = subjectKey(out->input);
    }
    return errors;
}

QList<FieldError> ScreeningService::validateLists(const QStringList &lists, const QList<ListVersion> &versions,
                                                  const QString &field)
{
    QSet<QString> loaded;
    for (const auto &v : versions)
        loaded.insert(v.source);
    QList<FieldError> errors;
    for (const auto &l : lists) {
        if (!loaded.contains(l))
            errors << FieldError{field, QStringLiteral("%1 must name loaded lists: %2 is not loaded").arg(field, l)};
    }
    return errors;
}

QList<Match> ScreeningService::findMatches(const ListContext &ctx, const Prepared &p, const QStringList &lists, double threshold,
                                           const QString &firmId, const QSet<QString> *only)
{
    Query q = p.query;
    q.threshold = threshold;
    q.firmId = firmId;
    // Restrictions (to some lists or entities) apply inside the matcher, before any cut.
    q.sources = lists;
    q.entityIds = only;
    constexpr int kMaxMatches = 50;
    return ctx.matcher->screen(q, kMaxMatches);
}

Result<std::optional<Screening>> ScreeningService::record(const Actor &actor, const Prepared &p, const QList<Match> &found,
                                                          const ListContext &ctx, const QStringList &lists, double threshold,
                                                          const QString &batchId, bool onlyIfMatches)
{
    Screening s;
    s.id = newId();
    s.subject = QJsonObject{{QStringLiteral("name"), p.input.name}, {QStringLiteral("type"), entityTypeName(p.input.type)}};
    if (!p.input.birthDate.isEmpty())
        s.subject.insert(QStringLiteral("birth_date"), p.input.birthDate);
    if (!p.input.country.isEmpty())
        s.subject.insert(QStringLiteral("country"), p.input.country);
    s.source = p.input.source;
    s.caseId = p.input.caseId;
    s.threshold = threshold;
    s.createdBy = actor.actorId();
    s.createdAt = isoUtc(m_clock.now());
    QHash<QString, QString> versionOf;
    for (const auto &v : visibleTo(ctx.versions, actor.firmId)) {
        versionOf.insert(v.source, v.id);
        if (lists.isEmpty() || lists.contains(v.source))
            s.lists.append(QJsonObject{{QStringLiteral("source"), v.source},
                                       {QStringLiteral("version_id"), v.id},
                                       {QStringLiteral("publication_date"), v.publicationDate}});
    }
    // Statements prepared once per thread: a batch records thousands of screenings.
    QSqlQuery &sup = m_db.prepare(QStringLiteral(
        "SELECT d.entity_hash, d.resolution, d.match_id, m.reason, m.resolved_by, m.resolved_at FROM match_suppressions d "
        "LEFT JOIN screening_matches m ON m.id = d.match_id WHERE d.firm_id = ? AND d.subject_key = ? AND d.entity_id = ?"));
    for (const auto &m : found) {
        const Entity &e = *m.entity;
        const QString hash = contentHash(e);
        // A decision taken for this subject holds for this version of the entity: a false positive stays
        // quiet, a confirmed match comes back confirmed, until the entity changes.
        bindAll(sup, {actor.firmId, p.key, e.id});
        if (auto st = storage::exec(sup); !st)
            return fail(st.error());
        std::optional<RememberedDecision> decision;
        if (sup.next() && sup.value(0).toString() == hash)
            decision = RememberedDecision{sup.value(2).toString(), e.id,
                                          sup.value(1).toString(), sup.value(3).toString(),
                                          sup.value(4).toString(), sup.value(5).toString()};
        sup.finish();
        if (decision)
            s.remembered << *decision;
        if (decision && decision->resolution == QStringLiteral("false_positive")) {
            ++s.suppressed;
            continue;
        }
        StoredMatch sm;
        sm.id = newId();
        sm.listSource = e.source;
        sm.listVersionId = versionOf.value(e.source);
        sm.entityId = e.id;
        sm.entityHash = hash;
        sm.entityName = e.primaryName();
        sm.matchedName = e.names.value(m.nameIndex).full;
        sm.category = category(e);
        sm.score = m.score;
        sm.explanation = explanationJson(m);
        if (decision) {
            sm.resolution = decision->resolution;
            sm.reason = decision->reason;
            sm.resolvedBy = decision->resolvedBy;
            sm.resolvedAt = decision->resolvedAt;
            sm.rememberedFrom = decision->matchId;
        }
        s.matches << sm;
    }
    if (onlyIfMatches && s.matches.isEmpty())
        return std::optional<Screening>();
    s.status = statusFor(s.matches);
    QSqlQuery &row = m_db.prepare(QStringLiteral(
        "INSERT INTO screenings (id, firm_id, subject_key, subject, source, case_id, batch_id, status, threshold, lists, "
        "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    bindAll(row,
            {s.id, actor.firmId, p.key, QString::fromUtf8(json::compact(s.subject)), s.source, nullable(s.caseId),
             nullable(batchId), s.status, s.threshold, QString::fromUtf8(QJsonDocument(s.lists).toJson(QJsonDocument::Compact)),
             s.createdBy, s.createdAt});
    if (auto st = storage::exec(row); !st)
        return fail(st.error());
    QSqlQuery &ins = m_db.prepare(
        QStringLiteral("INSERT INTO screening_matches (id, screening_id, firm_id, list_source, list_version_id, entity_id, "
                       "entity_hash, entity_name, matched_name, category, score, explanation, resolution, reason, resolved_by, "
                       "resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const auto &sm : s.matches) {
        bindAll(ins,
                {sm.id, s.id, actor.firmId, sm.listSource, sm.listVersionId, sm.entityId, sm.entityHash, sm.entityName,
                 sm.matchedName, sm.category, sm.score, QString::fromUtf8(json::compact(sm.explanation)), nullable(sm.resolution),
                 nullable(sm.reason), nullable(sm.resolvedBy), nullable(sm.resolvedAt)});
        if (auto st = storage::exec(ins); !st)
            return fail(st.error());
    }
    QJsonObject details{{QStringLiteral("status"), s.status},
                        {QStringLiteral("matches"), int(s.matches.size())},
                        {QStringLiteral("suppressed"), s.suppressed},
                        {QStringLiteral("remembered"), int(s.remembered.size())},
                        {QStringLiteral("source"), s.source}};
    if (!batchId.isEmpty())
        details.insert(QStringLiteral("batch_id"), batchId);
    if (!s.caseId.isEmpty())
        details.insert(QStringLiteral("case_id"), s.caseId);
    auto event = m_audit.append({actor.firmId, actor.actorType(), actor.actorId(), QStringLiteral("screening.created"),
                                 QStringLiteral("screening"), s.id, actor.ip, details});
    if (!event)
        return fail(event.error());
    return std::optional<Screening>(std::move(s));
}

Result<Screening> ScreeningService::screen(const Actor &actor, const ScreenInput &in)
{
    if (auto s = identity::requireOrScope(actor, identity::Permission::ScreeningRun, kScreenScope); !s)
        return fail(s.error());
    if (auto s = reloadIfChanged(); !s)
        return fail(s.error());
    const ListContext ctx = serving();
    const QList<ListVersion> visible = visibleTo(ctx.versions, actor.firmId);
    Prepared p;
    QList<FieldError> errors = validateSubject(in, QString(), &p);
    if (in.threshold >= 0 && (in.threshold < 0.5 || in.threshold > 1))
        errors << FieldError{QStringLiteral("threshold"), QStringLiteral("threshold must be from 0.5 to 1")};
    errors << validateLists(in.lists, visible, QStringLiteral("lists"));
    if (!errors.isEmpty())
        return fail(Error::validation(errors));
    auto firm = firmScreening(actor.firmId, ctx.versions);
    if (!firm)
        return fail(firm.error());
    const double threshold = in.threshold >= 0 ? in.threshold : firm->threshold;
    const QStringList lists = in.lists.isEmpty() ? firm->lists : in.lists;
    if (auto st = requireCoverage(visible, lists, firm->setting, !in.lists.isEmpty()); !st)
        return fail(st.error()); // never a "clear" that screened nothing
    const QList<Match> found = findMatches(ctx, p, lists, threshold, actor.firmId);

    storage::Transaction tx(m_db);
    if (auto st = tx.begin(); !st)
        return fail(st.error());
    auto stored = record(actor, p, found, ctx, lists, threshold, QString(), false);
    if (!stored)
        return fail(stored.error());
    if (auto st = tx.commit(); !st)
        return fail(st.error());
    return std::move(**stored);
}

Result<Screening> ScreeningService::loadScreening(const QString &firmId, const QString &id)
{
    QSqlQuery q(m_db.connection());
    q.prepare(
        QStringLiteral("SELECT id, subject, source, case_id, status, threshold, lists, created_by, created_at FROM screenings "
                       "WHERE firm_id = ? AND id = ?"));
    q.addBindValue(firmId);
    q.addBindValue(id);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next())
        return fail(ErrorCode::NotFound, QStringLiteral("Screening not found"));
    Screening s;
    s.id = q.value(0).toString();
    s.subject = QJsonDocument::fromJson(q.value(1).toString().toUtf8()).object();
    s.source = q.value(2).toString();
    s.caseId = q.value(3).toString();
    s.status = q.value(4).toString();
    s.threshold = q.value(5).toDouble();
    s.lists = QJsonDocument::fromJson(q.value(6).toString().toUtf8()).array();
    s.createdBy = q.value(7).toString();
    s.createdAt = q.value(8).toString();
    QSqlQuery m(m_db.connection());
    m.prepare(QStringLiteral(
        "SELECT id, list_source, list_version_id, entity_id, entity_name, matched_name, category, score, explanation, "
        "resolution, reason, resolved_by, resolved_at FROM screening_matches WHERE firm_id = ? AND screening_id = ? "
        "ORDER BY score DESC"));
    m.addBindValue(firmId);
    m.addBindValue(id);
    if (auto st = storage::exec(m); !st)
        return fail(st.error());
    while (m.next()) {
        StoredMatch sm;
        sm.id = m.value(0).toString();
        sm.listSource = m.value(1).toString();
        sm.listVersionId = m.value(2).toString();
        sm.entityId = m.value(3).toString();
        sm.entityName = m.value(4).toString();
        sm.matchedName = m.value(5).toString();
        sm.category = m.value(6).toString();
        sm.score = m.value(7).toDouble();
        sm.explanation = QJsonDocument::fromJson(m.value(8).toString().toUtf8()).object();
        sm.resolution = m.value(9).toString();
        sm.reason = m.value(10).toString();
        sm.resolvedBy = m.value(11).toString();
        sm.resolvedAt = m.value(12).toString();
        s.matches << sm;
    }
    return s;
}

Result<Screening> ScreeningService::screening(const Actor &actor, const QString &id)
{
    if (auto s = identity::requireOrScope(actor, identity::Permission::ScreeningRun, kReadScope); !s)
        return fail(s.error());
    return loadScreening(actor.firmId, id);
}

Result<Page<Screening>> ScreeningService::screenings(const Actor &actor, const ScreeningFilter &f, const PageRequest &page)
{
    if (auto s = identity::requireOrScope(actor, identity::Permission::ScreeningRun, kReadScope); !s)
        return fail(s.error());
    storage::Where where(QStringLiteral("firm_id = ?"), actor.firmId);
    where.equalIfSet(QStringLiteral("status"), f.status)
        .equalIfSet(QStringLiteral("case_id"), f.caseId)
        .equalIfSet(QStringLiteral("source"), f.source)
        .equalIfSet(QStringLiteral("batch_id"), f.batchId);
    auto total = storage::countRows(m_db, QStringLiteral("FROM screenings"), where);
    if (!total)
        return fail(total.error());
    auto q = storage::pageRows(m_db, QStringLiteral("SELECT id FROM screenings"), where, QStringLiteral("created_at DESC, id"),
                               page);
    if (!q)
        return fail(q.error());
    Page<Screening> out{{}, page, *total};
    QStringList ids;
    while (q->next())
        ids << q->value(0).toString();
    for (const auto &id : ids) {
        auto s = loadScreening(actor.firmId, id);
        if (!s)
            return fail(s.error());
        out.items << *s;
    }
    return out;
}

Result<Screening> ScreeningService::resolve(const Actor &actor, const QString &screeningId, const QString &matchId,
                                            const QString &resolution, const QString &reason)
{
    if (auto s = identity::require(actor, identity::Permission::ScreeningResolve); !s)
        return fail(s.error());
    QList<FieldError> errors;
    if (resolution != QStringLiteral("true_positive") && resolution != QStringLiteral("false_positive"))
        errors << FieldError{QStringLiteral("resolution"), QStringLiteral("resolution must be true_positive or false_positive")};
    if (reason.trimmed().isEmpty() || reason.size() > 2000)
        errors << FieldError{QStringLiteral("reason"), QStringLiteral("reason must be 1 to 2000 characters long")};
    if (!errors.isEmpty())
        return fail(Error::validation(errors));
    storage::Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral(
        "SELECT m.resolution, m.entity_id, m.entity_hash, s.subject_key FROM screening_matches m "
        "JOIN screenings s ON s.id = m.screening_id WHERE m.id = ? AND m.screening_id = ? AND m.firm_id = ? AND s.firm_id = ?"));
    q.addBindValue(matchId);
    q.addBindValue(screeningId);
    q.addBindValue(actor.firmId);
    q.addBindValue(actor.firmId);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next())
        return fail(ErrorCode::NotFound, QStringLiteral("Match not found"));
    if (!q.value(0).isNull())
        return fail(ErrorCode::Conflict, QStringLiteral("This match is already resolved as %1").arg(q.value(0).toString()));
    const QString entityId = q.value(1).toString(), hash = q.value(2).toString(), key = q.value(3).toString();
    q.finish();
    const QString now = isoUtc(m_clock.now());
    QSqlQuery u(m_db.connection());
    u.prepare(
        QStringLiteral("UPDATE screening_matches SET resolution = ?, reason = ?, resolved_by = ?, resolved_at = ? WHERE id = ?"));
    for (const QVariant &v :
         {QVariant(resolution), QVariant(reason.trimmed()), QVariant(actor.actorId()), QVariant(now), QVariant(matchId)})
        u.addBindValue(v);
    if (auto s = storage::exec(u); !s)
        return fail(s.error());
    {
        // Both kinds of decision are remembered for the subject and this version of the entity.
        QSqlQuery sup(m_db.connection());
        sup.prepare(m_db.dialect().upsert(
            QStringLiteral("match_suppressions"),
            {QStringLiteral("firm_id"), QStringLiteral("subject_key"), QStringLiteral("entity_id"), QStringLiteral("entity_hash"),
             QStringLiteral("match_id"), QStringLiteral("created_at"), QStringLiteral("resolution")},
            {QStringLiteral("firm_id"), QStringLiteral("subject_key"), QStringLiteral("entity_id")}));
        for (const QVariant &v : {QVariant(actor.firmId), QVariant(key), QVariant(entityId), QVariant(hash), QVariant(matchId),
                                  QVariant(now), QVariant(resolution)})
            sup.addBindValue(v);
        if (auto s = storage::exec(sup); !s)
            return fail(s.error());
    }
    auto current = loadScreening(actor.firmId, screeningId);
    if (!current)
        return fail(current.error());
    const QString status = statusFor(current->matches);
    QSqlQuery st(m_db.connection());
    st.prepare(QStringLiteral("UPDATE screenings SET status = ? WHERE id = ? AND firm_id = ?"));
    st.addBindValue(status);
    st.addBindValue(screeningId);
    st.addBindValue(actor.firmId);
    if (auto s = storage::exec(st); !s)
        return fail(s.error());
    current->status = status;
    auto event = m_audit.append({actor.firmId, actor.actorType(), actor.actorId(), QStringLiteral("screening.match_resolved"),
                                 QStringLiteral("screening_match"), matchId, actor.ip,
                                 QJsonObject{{QStringLiteral("screening_id"), screeningId},
                                             {QStringLiteral("entity_id"), entityId},
                                             {QStringLiteral("resolution"), resolution},
                                             {QStringLiteral("reason"), reason.trimmed()},
                                             {QStringLiteral("screening_status"), status}}});
    if (!event)
        return fail(event.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    return current;
}

} // namespace kyc::screening
