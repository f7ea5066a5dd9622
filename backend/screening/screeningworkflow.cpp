// Batch screening and ongoing monitoring: the parts of ScreeningService that run in the background
// or on a list import.

#include "backend/core/ids.h"
#include "backend/core/json.h"
#include "backend/identity/permissions.h"
#include "backend/screening/screeningservice.h"
#include "backend/storage/where.h"

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QThread>
#include <QtConcurrent/QtConcurrentMap>

#include <algorithm>

namespace kyc::screening {

using storage::bindAll;
using storage::nullable;

namespace {

const QString kBatchOperation = QStringLiteral("POST /aml/screen/batch");
constexpr int kBatchChunk = 250; // subjects per transaction (and per progress report)

QJsonObject subjectJson(const ScreenInput &in, const QString &reference)
{
    QJsonObject o{{QStringLiteral("name"), in.name}, {QStringLiteral("type"), entityTypeName(in.type)}};
    if (!in.birthDate.isEmpty())
        o.insert(QStringLiteral("birth_date"), in.birthDate);
    if (!in.country.isEmpty())
        o.insert(QStringLiteral("country"), in.country);
    if (!reference.isEmpty())
        o.insert(QStringLiteral("reference"), reference);
    return o;
}

EntityType typeFromName(const QString &name)
{
    if (name == QStringLiteral("organization"))
        return EntityType::Organization;
    if (name == QStringLiteral("vessel"))
        return EntityType::Vessel;
    if (name == QStringLiteral("aircraft"))
        return EntityType::Aircraft;
    return EntityType::Person;
}

ScreenInput inputFromJson(const QJsonObject &o)
{
    ScreenInput in;
    in.name = o.value(QStringLiteral("name")).toString();
    in.type = typeFromName(o.value(QStringLiteral("type")).toString());
    in.birthDate = o.value(QStringLiteral("birth_date")).toString();
    in.country = o.value(QStringLiteral("country")).toString();
    return in;
}

// Who submitted a batch, kept with it so that its screenings are recorded (and audited) as theirs.
QJsonObject actorJson(const Actor &a)
{
    return {{QStringLiteral("kind"), a.actorType()},
            {QStringLiteral("firm_id"), a.firmId},
            {QStringLiteral("user_id"), a.userId},
            {QStringLiteral("api_key_id"), a.apiKeyId},
            {QStringLiteral("role"), roleName(a.role)},
            {QStringLiteral("scopes"), QJsonArray::fromStringList(a.scopes)},
            {QStringLiteral("ip"), a.ip}};
}

Actor actorFromJson(const QJsonObject &o)
{
    Actor a;
    const QString kind = o.value(QStringLiteral("kind")).toString();
    a.kind = kind == QStringLiteral("user") ? Actor::Kind::User
        : kind == QStringLiteral("api_key") ? Actor::Kind::ApiKey
                                            : Actor::Kind::System;
    a.firmId = o.value(QStringLiteral("firm_id")).toString();
    a.userId = o.value(QStringLiteral("user_id")).toString();
    a.apiKeyId = o.value(QStringLiteral("api_key_id")).toString();
    parseRole(o.value(QStringLiteral("role")).toString(), &a.role);
    for (const auto &s : o.value(QStringLiteral("scopes")).toArray())
        a.scopes << s.toString();
    a.ip = o.value(QStringLiteral("ip")).toString();
    return a;
}

QStringList stringList(const QString &jsonArray)
{
    QStringList out;
    for (const auto &v : QJsonDocument::fromJson(jsonArray.toUtf8()).array())
        out << v.toString();
    return out;
}

} // namespace

ScreeningService::~ScreeningService()
{
    stopBatchWorker();
}

// --- batches -----------------------------------------------------------------------------------

Result<Batch> ScreeningService::loadBatch(const QString &firmId, const QString &id)
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT id, status, total, processed, potential_matches, lists, threshold, error, created_by, "
                             "created_at, started_at, completed_at FROM screening_batches WHERE firm_id = ? AND id = ?"));
    bindAll(q, {firmId, id});
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next())
        return fail(ErrorCode::NotFound, QStringLiteral("Batch not found"));
    Batch b;
    b.id = q.value(0).toString();
    b.status = q.value(1).toString();
    b.total = q.value(2).toLongLong();
    b.processed = q.value(3).toLongLong();
    b.potentialMatches = q.value(4).toLongLong();
    b.lists = stringList(q.value(5).toString());
    b.threshold = q.value(6).isNull() ? -1 : q.value(6).toDouble();
    b.error = q.value(7).toString();
    b.createdBy = q.value(8).toString();
    b.createdAt = q.value(9).toString();
    b.startedAt = q.value(10).toString();
    b.completedAt = q.value(11).toString();
    return b;
}

Result<Batch> ScreeningService::batch(const Actor &actor, const QString &id)
{
    if (auto s = identity::requireOrScope(actor, identity::Permission::ScreeningRun, QStringLiteral("aml:read")); !s)
        return fail(s.error());
    return loadBatch(actor.firmId, id);
}

Result<Batch> ScreeningService::submitBatch(const Actor &actor, const BatchInput &input, const QString &idempotencyKey)
{
    if (auto s = identity::requireOrScope(actor, identity::Permission::ScreeningRun, QStringLiteral("aml:screen")); !s)
        return fail(s.error());
    QList<FieldError> errors;
    if (input.subjects.isEmpty() || input.subjects.size() > kMaxBatchSubjects)
        errors << FieldError{QStringLiteral("subjects"),
                             QStringLiteral("subjects must hold 1 to %1 subjects").arg(kMaxBatchSubjects)};
    if (!input.references.isEmpty() && input.references.size() != input.subjects.size())
        errors << FieldError{QStringLiteral("subjects"), QStringLiteral("every subject or none must carry a reference")};
    if (input.threshold >= 0 && (input.threshold < 0.5 || input.threshold > 1))
        errors << FieldError{QStringLiteral("threshold"), QStringLiteral("threshold must be from 0.5 to 1")};
    if (idempotencyKey.size() > 255)
        errors << FieldError{QStringLiteral("Idempotency-Key"), QStringLiteral("Idempotency-Key must be 1 to 255 characters")};
    if (auto st = reloadIfChanged(); !st)
        return fail(st.error());
    const ListContext ctx = serving();
    const QList<ListVersion> visible = visibleTo(ctx.versions, actor.firmId);
    errors << validateLists(input.lists, visible, QStringLiteral("lists"));
    QJsonArray subjects;
    for (qsizetype i = 0; i < input.subjects.size(); ++i) {
        // Report the first 20 bad subjects; a file of 10 000 bad rows needs no 10 000 messages to be fixed.
        if (errors.size() >= 20)
            break;
        Prepared p;
        errors << validateSubject(input.subjects[i], QStringLiteral("subjects[%1].").arg(i), &p);
        subjects.append(subjectJson(p.input, input.references.value(i)));
    }
    if (!errors.isEmpty())
        return fail(Error::validation(errors));
    {
        auto firm = firmScreening(actor.firmId, ctx.versions);
        if (!firm)
            return fail(firm.error());
        if (auto st
            = requireCoverage(visible, input.lists.isEmpty() ? firm->lists : input.lists, firm->setting, !input.lists.isEmpty());
            !st)
            return fail(st.error()); // a batch that would cover no list is refused, not stored as clear
    }

    // The request as the idempotency key remembers it: same subjects, lists and threshold = same request.
    QJsonObject request{{QStringLiteral("subjects"), subjects},
                        {QStringLiteral("lists"), QJsonArray::fromStringList(input.lists)}};
    if (input.threshold >= 0)
        request.insert(QStringLiteral("threshold"), input.threshold);
    const QString requestHash
        = QString::fromLatin1(QCryptographicHash::hash(json::canonical(request), QCryptographicHash::Sha256).toHex());

    storage::Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    if (!idempotencyKey.isEmpty()) {
        QSqlQuery k(m_db.connection());
        k.prepare(QStringLiteral(
            "SELECT request_hash, resource_id FROM idempotency_keys WHERE firm_id = ? AND operation = ? AND idem_key = ?"));
        bindAll(k, {actor.firmId, kBatchOperation, idempotencyKey});
        if (auto s = storage::exec(k); !s)
            return fail(s.error());
        if (k.next()) {
            if (k.value(0).toString() != requestHash)
                return fail(ErrorCode::Conflict,
                            QStringLiteral("This Idempotency-Key was used with another request; use a new key"));
            auto first = loadBatch(actor.firmId, k.value(1).toString());
            if (!first)
                return fail(first.error());
            first->replayed = true;
            return first;
        }
    }
    Batch b;
    b.id = newId();
    b.status = QStringLiteral("queued");
    b.total = input.subjects.size();
    b.lists = input.lists;
    b.threshold = input.threshold;
    b.createdBy = actor.actorId();
    b.createdAt = isoUtc(m_clock.now());
    QSqlQuery ins(m_db.connection());
    ins.prepare(QStringLiteral("INSERT INTO screening_batches (id, firm_id, status, total, processed, potential_matches, "
                               "subjects, lists, threshold, created_by, actor, created_at) "
                               "VALUES (?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?)"));
    bindAll(ins,
            {b.id, actor.firmId, b.status, b.total, QString::fromUtf8(QJsonDocument(subjects).toJson(QJsonDocument::Compact)),
             QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(b.lists)).toJson(QJsonDocument::Compact)),
             b.threshold >= 0 ? QVariant(b.threshold) : QVariant(QMetaType::fromType<double>()), b.createdBy,
             QString::fromUtf8(json::compact(actorJson(actor))), b.createdAt});
    if (auto s = storage::exec(ins); !s)
        return fail(s.error());
    if (!idempotencyKey.isEmpty()) {
        QSqlQuery k(m_db.connection());
        k.prepare(QStringLiteral("INSERT INTO idempotency_keys (firm_id, operation, idem_key, request_hash, resource_id, status, "
                                 "response, created_at) VALUES (?, ?, ?, ?, ?, 202, ?, ?)"));
        bindAll(k,
                {actor.firmId, kBatchOperation, idempotencyKey, requestHash, b.id,
                 QString::fromUtf8(json::compact(QJsonObject{{QStringLiteral("batch_id"), b.id}})), b.createdAt});
        if (auto s = storage::exec(k); !s)
            return fail(s.error());
    }
    auto event = m_audit.append({actor.firmId, actor.actorType(), actor.actorId(), QStringLiteral("screening.batch_created"),
                                 QStringLiteral("screening_batch"), b.id, actor.ip,
                                 QJsonObject{{QStringLiteral("subjects"), b.total},
                                             {QStringLiteral("lists"), QJsonArray::fromStringList(b.lists)},
                                             {QStringLiteral("idempotency_key"), !idempotencyKey.isEmpty()}}});
    if (!event)
        return fail(event.error());
    // Queued once the batch is committed, so the worker never looks for a batch that is not there yet.
    m_db.afterCommit([this, id = b.id] {
        QMutexLocker lock(&m_batchMutex);
        m_batchQueue.push_back(id);
        m_batchWake.wakeAll();
    });
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    return b;
}

void ScreeningService::setBatchListener(std::function<void(const Batch &)> listener)
{
    QMutexLocker lock(&m_batchMutex);
    m_batchListener = std::move(listener);
}

void ScreeningService::startBatchWorker()
{
    {
        QMutexLocker lock(&m_batchMutex);
        if (m_batchThread)
            return;
        m_batchStop = false;
    }
    // Batches an earlier run left queued or half done continue where they stopped.
    QSqlQuery q(m_db.connection());
    if (q.exec(
            QStringLiteral("SELECT id FROM screening_batches WHERE status IN ('queued', 'running') ORDER BY created_at, id"))) {
        QMutexLocker lock(&m_batchMutex);
        while (q.next()) {
            const QString id = q.value(0).toString();
            if (std::find(m_batchQueue.begin(), m_batchQueue.end(), id) == m_batchQueue.end())
                m_batchQueue.push_back(id);
        }
    }
    QMutexLocker lock(&m_batchMutex);
    m_batchThread = QThread::create([this] { batchWorkerLoop(); });
    m_batchThread->setObjectName(QStringLiteral("kyc-batch-screening"));
    m_batchThread->start(QThread::LowPriority);
}

void ScreeningService::stopBatchWorker()
{
    QThread *thread = nullptr;
    {
        QMutexLocker lock(&m_batchMutex);
        thread = std::exchange(m_batchThread, nullptr);
        m_batchStop = true;
        m_batchWake.wakeAll();
    }
    if (thread) {
        thread->wait();
        delete thread;
    }
}

bool ScreeningService::waitForBatches(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    QMutexLocker lock(&m_batchMutex);
    while (!m_batchQueue.empty() || m_batchBusy) {
        if (!m_batchThread)
            return false; // nobody would ever run them
        if (!m_batchIdle.wait(&m_batchMutex, deadline))
            return false;
    }
    return true;
}

void ScreeningService::batchWorkerLoop()
{
    for (;;) {
        QString id;
        {
            QMutexLocker lock(&m_batchMutex);
            while (m_batchQueue.empty() && !m_batchStop) {
                m_batchBusy = false;
                m_batchIdle.wakeAll();
                m_batchWake.wait(&m_batchMutex);
            }
            if (m_batchStop) {
                m_batchBusy = false;
                m_batchIdle.wakeAll();
                return;
            }
            id = m_batchQueue.front();
            m_batchQueue.pop_front();
            m_batchBusy = true;
        }
        if (auto s = runBatch(id); !s) {
            // The chunks done stay done; the batch says why it stopped (no internals in the message).
            QSqlQuery f(m_db.connection());
            f.prepare(QStringLiteral("UPDATE screening_batches SET status = 'failed', error = ?, completed_at = ? WHERE id = ?"));
            bindAll(f,
                    {s.error().code == ErrorCode::Internal ? QStringLiteral("internal error while screening") : s.error().message,
                     isoUtc(m_clock.now()), id});
            (void)storage::exec(f);
        }
    }
}

Status ScreeningService::runBatch(const QString &batchId)
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT firm_id, status, processed, subjects, lists, threshold, actor, started_at "
                             "FROM screening_batches WHERE id = ?"));
    bindAll(q, {batchId});
    if (auto s = storage::exec(q); !s)
        return s;
    if (!q.next())
        return {};
    const QString firmId = q.value(0).toString();
    if (q.value(1).toString() != QStringLiteral("queued") && q.value(1).toString() != QStringLiteral("running"))
        return {};
    qint64 processed = q.value(2).toLongLong();
    const QJsonArray subjects = QJsonDocument::fromJson(q.value(3).toString().toUtf8()).array();
    const QStringList requested = stringList(q.value(4).toString());
    const bool ownThreshold = !q.value(5).isNull();
    const double batchThreshold = q.value(5).toDouble();
    const Actor actor = actorFromJson(QJsonDocument::fromJson(q.value(6).toString().toUtf8()).object());
    const bool started = !q.value(7).isNull();
    q.finish();

    // One index and one set of list versions for the whole run, even if a list changes meanwhile.
    if (auto s = reloadIfChanged(); !s)
        return s;
    const ListContext ctx = serving();
    const QList<ListVersion> visible = visibleTo(ctx.versions, firmId);
    if (!validateLists(requested, visible, QStringLiteral("lists")).isEmpty())
        return fail(ErrorCode::Conflict, QStringLiteral("a list of the batch is no longer loaded"));
    auto firm = firmScreening(firmId, ctx.versions);
    if (!firm)
        return fail(firm.error());
    const double threshold = ownThreshold ? batchThreshold : firm->threshold;
    const QStringList lists = requested.isEmpty() ? firm->lists : requested;
    if (auto s = requireCoverage(visible, lists, firm->setting, !requested.isEmpty()); !s)
        return s;

    if (!started) {
        QSqlQuery u(m_db.connection());
        u.prepare(QStringLiteral("UPDATE screening_batches SET status = 'running', started_at = ? WHERE id = ?"));
        bindAll(u, {isoUtc(m_clock.now()), batchId});
        if (auto s = storage::exec(u); !s)
            return s;
    }
    QSqlQuery hits(m_db.connection());
    hits.prepare(QStringLiteral("SELECT potential_matches FROM screening_batches WHERE id = ?"));
    bindAll(hits, {batchId});
    if (auto s = storage::exec(hits); !s || !hits.next())
        return fail(Error::internal(QStringLiteral("batch vanished")));
    qint64 potential = hits.value(0).toLongLong();
    hits.finish();

    while (processed < subjects.size()) {
        {
            QMutexLocker lock(&m_batchMutex);
            if (m_batchStop)
                return {}; // resumes from `processed` on the next start
        }
        const qint64 end = std::min<qint64>(processed + kBatchChunk, subjects.size());
        // Matching needs no transaction and runs on every core; the chunk's writes share one transaction.
        QList<Prepared> prepared;
        for (qint64 i = processed; i < end; ++i) {
            Prepared p;
            ScreenInput in = inputFromJson(subjects[i].toObject());
            in.source = QStringLiteral("batch");
            (void)validateSubject(in, QString(), &p); // validated at submission
            prepared << p;
        }
        const double t = threshold;
        std::function<QList<Match>(const Prepared &)> match
            = [&ctx, &lists, t, &firmId](const Prepared &p) { return findMatches(ctx, p, lists, t, firmId); };
        const QList<QList<Match>> found = QtConcurrent::blockingMapped<QList<QList<Match>>>(prepared, match);
        storage::Transaction tx(m_db);
        if (auto s = tx.begin(); !s)
            return s;
        qint64 chunkHits = 0;
        for (qsizetype i = 0; i < prepared.size(); ++i) {
            auto stored = record(actor, prepared[i], found[i], ctx, lists, threshold, batchId, false);
            if (!stored)
                return fail(stored.error());
            chunkHits += (*stored)->matches.isEmpty() ? 0 : 1;
        }
        processed = end;
        potential += chunkHits;
        const bool done = processed == subjects.size();
        const QString now = isoUtc(m_clock.now());
        QSqlQuery u(m_db.connection());
        u.prepare(QStringLiteral("UPDATE screening_batches SET processed = ?, potential_matches = ?, status = ?, "
                                 "completed_at = ? WHERE id = ?"));
        bindAll(u,
                {processed, potential, done ? QStringLiteral("completed") : QStringLiteral("running"),
                 done ? QVariant(now) : QVariant(QMetaType::fromType<QString>()), batchId});
        if (auto s = storage::exec(u); !s)
            return s;
        if (done) {
            auto event = m_audit.append(
                {firmId, actor.actorType(), actor.actorId(), QStringLiteral("screening.batch_completed"),
                 QStringLiteral("screening_batch"), batchId, actor.ip,
                 QJsonObject{{QStringLiteral("subjects"), processed}, {QStringLiteral("potential_matches"), potential}}});
            if (!event)
                return fail(event.error());
        }
        if (auto s = tx.commit(); !s)
            return s;
        std::function<void(const Batch &)> listener;
        {
            QMutexLocker lock(&m_batchMutex);
            listener = m_batchListener;
        }
        if (listener) {
            if (auto b = loadBatch(firmId, batchId))
                listener(*b);
        }
    }
    return {};
}

// --- monitoring --------------------------------------------------------------------------------

Result<MonitoringState> ScreeningService::setMonitoring(const Actor &actor, const QString &caseId, bool enabled)
{
    if (auto s = identity::require(actor, identity::Permission::ScreeningResolve); !s)
        return fail(s.error());
    if (!isValidId(caseId))
        return fail(Error::validation(QStringLiteral("case_id"), QStringLiteral("case_id must be a UUID")));
    storage::Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    // A case is known to screening through its screenings (onboarding links each one to its case).
    QSqlQuery c(m_db.connection());
    c.prepare(QStringLiteral("SELECT MAX(created_at) FROM screenings WHERE firm_id = ? AND case_id = ?"));
    bindAll(c, {actor.firmId, caseId});
    if (auto s = storage::exec(c); !s)
        return fail(s.error());
    if (!c.next() || c.value(0).isNull())
        return fail(ErrorCode::NotFound, QStringLiteral("Case not found (or it has no screening to monitor yet)"));
    const QString lastScreened = c.value(0).toString();
    c.finish();
    MonitoringState st;
    st.caseId = caseId;
    st.enabled = enabled;
    st.updatedAt = isoUtc(m_clock.now());
    QSqlQuery prev(m_db.connection());
    prev.prepare(QStringLiteral("SELECT enabled, last_screened_at FROM monitored_cases WHERE firm_id = ? AND case_id = ?"));
    bindAll(prev, {actor.firmId, caseId});
    if (auto s = storage::exec(prev); !s)
        return fail(s.error());
    const bool existed = prev.next();
    const bool wasEnabled = existed && prev.value(0).toBool();
    st.lastScreenedAt = existed && !prev.value(1).isNull() ? prev.value(1).toString() : lastScreened;
    prev.finish();
    QSqlQuery up(m_db.connection());
    up.prepare(
        m_db.dialect().upsert(QStringLiteral("monitored_cases"),
                              {QStringLiteral("firm_id"), QStringLiteral("case_id"), QStringLiteral("enabled"),
                               QStringLiteral("last_screened_at"), QStringLiteral("updated_by"), QStringLiteral("updated_at")},
                              {QStringLiteral("firm_id"), QStringLiteral("case_id")}));
    bindAll(up, {actor.firmId, caseId, enabled ? 1 : 0, st.lastScreenedAt, actor.actorId(), st.updatedAt});
    if (auto s = storage::exec(up); !s)
        return fail(s.error());
    auto event = m_audit.append({actor.firmId, actor.actorType(), actor.actorId(),
                                 enabled ? QStringLiteral("monitoring.enabled") : QStringLiteral("monitoring.disabled"),
                                 QStringLiteral("case"), caseId, actor.ip,
                                 QJsonObject{{QStringLiteral("before"), existed ? QJsonValue(wasEnabled) : QJsonValue()},
                                             {QStringLiteral("after"), enabled}}});
    if (!event)
        return fail(event.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    return st;
}

Result<QHash<QString, qint64>> ScreeningService::monitorDelta(const ListContext &ctx, const ListVersion &version,
                                                              const QHash<QString, QString> &changes)
{
    QHash<QString, qint64> raised; // per firm
    if (changes.isEmpty())
        return raised;
    // The latest form of every subject of every monitored case the list is visible to: every firm's for an
    // official list, the owner's only for a firm's private list.
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT m.firm_id, m.case_id, s.subject_key, s.subject FROM monitored_cases m "
                             "JOIN screenings s ON s.firm_id = m.firm_id AND s.case_id = m.case_id "
                             "WHERE m.enabled = 1 AND s.source <> 'monitoring' AND (? = '' OR m.firm_id = ?) "
                             "ORDER BY m.firm_id, m.case_id, s.created_at"));
    const QString owner = version.owner.isEmpty() ? QStringLiteral("") : version.owner; // never a NULL bind
    bindAll(q, {owner, owner});
    if (!storage::exec(q))
        return fail(Error::internal(QStringLiteral("cannot read monitored subjects")));
    struct Subject {
        QString firmId, caseId;
        QJsonObject subject;
    };
    QList<Subject> subjects;
    QHash<QString, qsizetype> byKey; // firm|case|subject key -> position (a later screening replaces the subject)
    QSet<QPair<QString, QString>> cases;
    while (q.next()) {
        const QString key = q.value(0).toString() + u'|' + q.value(1).toString() + u'|' + q.value(2).toString();
        Subject s{q.value(0).toString(), q.value(1).toString(), QJsonDocument::fromJson(q.value(3).toString().toUtf8()).object()};
        cases.insert({s.firmId, s.caseId});
        if (auto it = byKey.constFind(key); it != byKey.cend())
            subjects[*it] = s;
        else {
            byKey.insert(key, subjects.size());
            subjects << s;
        }
    }
    q.finish();
    if (subjects.isEmpty())
        return raised;

    QSet<QString> only;
    for (auto it = changes.cbegin(); it != changes.cend(); ++it)
        only.insert(it.key());
    QHash<QString, FirmScreening> firms;
    const QString now = isoUtc(m_clock.now());
    QSqlQuery alert(m_db.connection());
    alert.prepare(QStringLiteral("INSERT INTO monitoring_alerts (id, firm_id, case_id, screening_id, match_id, list_source, "
                                 "list_version_id, entity_id, change, matched_name, score, created_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const auto &s : subjects) {
        if (!firms.contains(s.firmId)) {
            auto f = firmScreening(s.firmId, ctx.versions);
            if (!f)
                return fail(f.error());
            firms.insert(s.firmId, *f);
        }
        const FirmScreening &firm = firms[s.firmId];
        Prepared p;
        ScreenInput in = inputFromJson(s.subject);
        in.source = QStringLiteral("monitoring");
        in.caseId = s.caseId;
        if (!validateSubject(in, QString(), &p).isEmpty())
            continue;
        const QList<Match> found = findMatches(ctx, p, firm.lists, firm.threshold, s.firmId, &only);
        if (found.isEmpty())
            continue;
        auto stored = record(Actor::system(s.firmId), p, found, ctx, firm.lists, firm.threshold, QString(), true);
        if (!stored)
            return fail(stored.error());
        if (!*stored)
            continue; // every hit was a remembered false positive
        const Screening &sc = **stored;
        for (const auto &m : sc.matches) {
            bindAll(alert,
                    {newId(), s.firmId, s.caseId, sc.id, m.id, m.listSource, m.listVersionId, m.entityId,
                     changes.value(m.entityId), m.matchedName, m.score, now});
            if (auto st = storage::exec(alert); !st)
                return fail(st.error());
            ++raised[s.firmId];
        }
        auto event = m_audit.append({s.firmId, QStringLiteral("system"), QStringLiteral("kyconnect"),
                                     QStringLiteral("monitoring.alerts_raised"), QStringLiteral("case"), s.caseId, QString(),
                                     QJsonObject{{QStringLiteral("screening_id"), sc.id},
                                                 {QStringLiteral("list_source"), version.source},
                                                 {QStringLiteral("list_version_id"), version.id},
                                                 {QStringLiteral("alerts"), int(sc.matches.size())}}});
        if (!event)
            return fail(event.error());
    }
    QSqlQuery touched(m_db.connection());
    touched.prepare(QStringLiteral("UPDATE monitored_cases SET last_screened_at = ? WHERE firm_id = ? AND case_id = ?"));
    for (const auto &c : cases) {
        bindAll(touched, {now, c.first, c.second});
        if (auto st = storage::exec(touched); !st)
            return fail(st.error());
    }
    return raised;
}

Result<Page<MonitoringAlert>> ScreeningService::alerts(const Actor &actor, const AlertFilter &f, const PageRequest &page)
{
    if (auto s = identity::requireOrScope(actor, identity::Permission::ScreeningRun, QStringLiteral("aml:read")); !s)
        return fail(s.error());
    storage::Where where(QStringLiteral("a.firm_id = ?"), actor.firmId);
    if (f.status == QStringLiteral("open"))
        where.add(QStringLiteral("m.resolution IS NULL"));
    else if (f.status == QStringLiteral("resolved"))
        where.add(QStringLiteral("m.resolution IS NOT NULL"));
    where.equalIfSet(QStringLiteral("a.case_id"), f.caseId);
    const QString from = QStringLiteral("FROM monitoring_alerts a JOIN screening_matches m ON m.id = a.match_id");
    auto total = storage::countRows(m_db, from, where);
    if (!total)
        return fail(total.error());
    auto rows = storage::pageRows(m_db,
                                  QStringLiteral("SELECT a.id, a.case_id, a.screening_id, a.match_id, a.list_source, "
                                                 "a.list_version_id, a.entity_id, a.change, a.matched_name, a.score, "
                                                 "a.created_at, m.resolution, m.resolved_at ")
                                      + from,
                                  where, QStringLiteral("a.created_at DESC, a.id"), page);
    if (!rows)
        return fail(rows.error());
    Page<MonitoringAlert> out{{}, page, *total};
    QSqlQuery &q = *rows;
    while (q.next()) {
        MonitoringAlert a;
        a.id = q.value(0).toString();
        a.caseId = q.value(1).toString();
        a.screeningId = q.value(2).toString();
        a.matchId = q.value(3).toString();
        a.listSource = q.value(4).toString();
        a.listVersionId = q.value(5).toString();
        a.entityId = q.value(6).toString();
        a.change = q.value(7).toString();
        a.matchedName = q.value(8).toString();
        a.score = q.value(9).toDouble();
        a.createdAt = q.value(10).toString();
        a.status = q.value(11).isNull() ? QStringLiteral("open") : QStringLiteral("resolved");
        a.resolvedAt = q.value(12).toString();
        out.items << a;
    }
    return out;
}

} // namespace kyc::screening
