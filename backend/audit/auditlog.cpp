#include "backend/audit/auditlog.h"

#include "backend/core/ids.h"
#include "backend/core/json.h"
#include "backend/security/crypto.h"
#include "backend/storage/rowreader.h"
#include "backend/storage/where.h"

#include <QJsonDocument>
#include <QSqlError>
#include <QThread>
#include <QtConcurrent/QtConcurrentMap>

#include <array>
#include <charconv>
#include <cstring>

namespace kyc::audit {

namespace {

// Appends `"key":` then the string, or null when empty (absent values are stored as null).
void rawField(QByteArray &out, const char *key, QByteArrayView value)
{
    out.append('"');
    out.append(key);
    out.append("\":");
    if (value.isEmpty())
        out.append("null");
    else
        json::appendCanonicalUtf8(out, value);
}

// The stored columns of one row, copied as [int32 length or -1 for null][bytes] × count, so the
// reading thread only copies and the pool builds the canonical form and hashes.
void packRecord(QByteArray &arena, const storage::RawRow &row)
{
    for (int i = 0; i < row.count; ++i) {
        const qint32 len = row[i].isNull() ? -1 : qint32(row[i].size());
        arena.append(reinterpret_cast<const char *>(&len), sizeof len);
        if (len > 0)
            arena.append(row[i].data(), len);
    }
}

std::array<QByteArrayView, 14> unpackRecord(const char *p)
{
    std::array<QByteArrayView, 14> cols;
    for (auto &c : cols) {
        qint32 len;
        std::memcpy(&len, p, sizeof len);
        p += sizeof len;
        if (len < 0) {
            c = QByteArrayView();
        } else {
            c = QByteArrayView(p, len);
            p += len;
        }
    }
    return cols;
}

// Columns in kColumns order: id, chain, sequence, occurred_at, firm_id, actor_type, actor_id,
// action, entity_type, entity_id, ip, details, prev_hash, hash.
void buildCanonical(QByteArray &out, const std::array<QByteArrayView, 14> &row)
{
    out.append('{');
    rawField(out, "action", row[7]);
    out.append(',');
    rawField(out, "actor_id", row[6]);
    out.append(',');
    rawField(out, "actor_type", row[5]);
    out.append(',');
    rawField(out, "chain", row[1]);
    out.append(",\"details\":");
    out.append(row[11].isEmpty() ? QByteArrayView("{}") : row[11]);
    out.append(',');
    rawField(out, "entity_id", row[9]);
    out.append(',');
    rawField(out, "entity_type", row[8]);
    out.append(',');
    rawField(out, "firm_id", row[4]);
    out.append(',');
    rawField(out, "id", row[0]);
    out.append(',');
    rawField(out, "ip", row[10]);
    out.append(',');
    rawField(out, "occurred_at", row[3]);
    out.append(',');
    rawField(out, "prev_hash", row[12]);
    out.append(",\"sequence\":");
    out.append(row[2]);
    out.append('}');
}

// The canonical form of an event given as its stored columns, in UTF-8, with its details already
// canonical JSON text. The one place that writes the form docs/audit-format.md specifies.
QByteArray canonicalBytes(const Event &e, QByteArrayView detailsCanonical)
{
    const QByteArray cols[] = {e.id.toUtf8(),         e.chain.toUtf8(),  QByteArray::number(e.sequence),
                               e.occurredAt.toUtf8(), e.firmId.toUtf8(), e.actorType.toUtf8(),
                               e.actorId.toUtf8(),    e.action.toUtf8(), e.entityType.toUtf8(),
                               e.entityId.toUtf8(),   e.ip.toUtf8(),     QByteArray(),
                               e.prevHash.toUtf8(),   e.hash.toUtf8()};
    std::array<QByteArrayView, 14> row;
    for (size_t i = 0; i < row.size(); ++i)
        row[i] = cols[i];
    row[11] = detailsCanonical;
    QByteArray out;
    out.reserve(400 + detailsCanonical.size());
    buildCanonical(out, row);
    return out;
}

QString hashOf(const Event &e, QByteArrayView detailsCanonical)
{
    return QString::fromLatin1(crypto::sha256Hex(canonicalBytes(e, detailsCanonical)));
}

QString nullable(const QVariant &v)
{
    return v.isNull() ? QString() : v.toString();
}

QVariant orNull(const QString &s)
{
    return s.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(s);
}

constexpr auto kColumns = "id, chain, sequence, occurred_at, firm_id, actor_type, actor_id, action, entity_type, "
                          "entity_id, ip, details, prev_hash, hash";

Event readEvent(const QSqlQuery &q, QByteArray *detailsText = nullptr)
{
    Event e;
    e.id = q.value(0).toString();
    e.chain = q.value(1).toString();
    e.sequence = q.value(2).toLongLong();
    e.occurredAt = q.value(3).toString();
    e.firmId = nullable(q.value(4));
    e.actorType = nullable(q.value(5));
    e.actorId = nullable(q.value(6));
    e.action = nullable(q.value(7));
    e.entityType = nullable(q.value(8));
    e.entityId = nullable(q.value(9));
    e.ip = nullable(q.value(10));
    const QByteArray details = q.value(11).toString().toUtf8();
    if (detailsText)
        *detailsText = details;
    else
        e.details = QJsonDocument::fromJson(details).object();
    e.prevHash = q.value(12).toString();
    e.hash = q.value(13).toString();
    return e;
}

} // namespace

QByteArray canonicalForm(const Event &e)
{
    return canonicalBytes(e, json::canonical(e.details));
}

QString computeHash(const Event &e)
{
    return hashOf(e, json::canonical(e.details));
}

QJsonObject toJson(const Event &e)
{
    auto str = [](const QString &s) { return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s); };
    QJsonObject o;
    o.insert(QStringLiteral("id"), e.id);
    o.insert(QStringLiteral("chain"), e.chain);
    o.insert(QStringLiteral("sequence"), e.sequence);
    o.insert(QStringLiteral("occurred_at"), e.occurredAt);
    o.insert(QStringLiteral("firm_id"), str(e.firmId));
    o.insert(QStringLiteral("actor_type"), str(e.actorType));
    o.insert(QStringLiteral("actor_id"), str(e.actorId));
    o.insert(QStringLiteral("action"), str(e.action));
    o.insert(QStringLiteral("entity_type"), str(e.entityType));
    o.insert(QStringLiteral("entity_id"), str(e.entityId));
    o.insert(QStringLiteral("ip"), str(e.ip));
    o.insert(QStringLiteral("details"), e.details);
    o.insert(QStringLiteral("prev_hash"), e.prevHash);
    o.insert(QStringLiteral("hash"), e.hash);
    return o;
}

QByteArray checkpointMessage(const Checkpoint &c)
{
    QJsonObject o;
    o.insert(QStringLiteral("chain"), c.chain);
    o.insert(QStringLiteral("sequence"), c.sequence);
    o.insert(QStringLiteral("head_hash"), c.headHash);
    o.insert(QStringLiteral("signed_at"), c.signedAt);
    return json::canonical(o);
}

AuditLog::AuditLog(storage::Database &db, const Clock &clock, crypto::Ed25519Key signingKey)
    : m_db(db)
    , m_clock(clock)
    , m_key(std::move(signingKey))
    , m_publicKey(m_key.publicKey())
    , m_hashPool(std::make_unique<QThreadPool>())
{
    m_hashPool->setMaxThreadCount(std::max(1, QThread::idealThreadCount()));
}

Result<std::pair<qint64, QString>> AuditLog::head(const QString &chain)
{
    QSqlQuery &q = m_db.prepare(QStringLiteral("SELECT sequence, hash FROM audit_events WHERE chain = ? "
                                               "ORDER BY sequence DESC LIMIT 1"));
    q.addBindValue(chain);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    std::pair<qint64, QString> h{0, kGenesisHash};
    if (q.next())
        h = {q.value(0).toLongLong(), q.value(1).toString()};
    q.finish();
    return h;
}

Result<Event> AuditLog::append(const NewEvent &in)
{
    if (in.action.isEmpty() || in.actorType.isEmpty())
        return fail(Error::internal(QStringLiteral("audit event without action or actor type")));
    storage::Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());

    Event e;
    e.id = newId();
    e.chain = chainFor(in.firmId);
    e.occurredAt = isoUtc(m_clock.now());
    e.firmId = in.firmId;
    e.actorType = in.actorType;
    e.actorId = in.actorId;
    e.action = in.action;
    e.entityType = in.entityType;
    e.entityId = in.entityId;
    e.ip = in.ip;
    e.details = in.details;
    // The head is read inside the write transaction, so two writers can never chain to the same event.
    auto h = head(e.chain);
    if (!h)
        return fail(h.error());
    e.sequence = h->first + 1;
    e.prevHash = h->second;
    const QByteArray details = json::canonical(e.details);
    e.hash = hashOf(e, details);

    QSqlQuery &q = m_db.prepare(QStringLiteral("INSERT INTO audit_events (%1) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                                    .arg(QLatin1String(kColumns)));
    q.addBindValue(e.id);
    q.addBindValue(e.chain);
    q.addBindValue(e.sequence);
    q.addBindValue(e.occurredAt);
    q.addBindValue(orNull(e.firmId));
    q.addBindValue(e.actorType);
    q.addBindValue(orNull(e.actorId));
    q.addBindValue(e.action);
    q.addBindValue(orNull(e.entityType));
    q.addBindValue(orNull(e.entityId));
    q.addBindValue(orNull(e.ip));
    q.addBindValue(QString::fromUtf8(details));
    q.addBindValue(e.prevHash);
    q.addBindValue(e.hash);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    return e;
}

Result<QStringList> AuditLog::chains()
{
    QSqlQuery q(m_db.connection());
    if (!q.exec(QStringLiteral("SELECT DISTINCT chain FROM audit_events ORDER BY chain")))
        return fail(Error::internal(q.lastError().text()));
    QStringList out;
    while (q.next())
        out << q.value(0).toString();
    return out;
}

namespace {

struct ScannedEvent {
    qint64 sequence = 0;
    qsizetype offset = 0; // canonical form in the batch's arena
    qsizetype length = 0;
    std::array<char, 64> hash{}; // stored, hex
    bool hashOk = false;
};

// Events and their canonical forms, kept in one buffer so a million rows cost a few allocations.
struct ScanBatch {
    std::vector<ScannedEvent> events;
    QByteArray arena;
    void clear()
    {
        events.clear();
        arena.resize(0); // keeps the capacity for the next batch
    }
};

} // namespace

Result<VerifyResult> AuditLog::verifyChain(const QString &chain, const Progress &progress)
{
    VerifyResult r;
    r.chain = chain;
    QSqlDatabase conn = m_db.connection();
    qint64 total = 0;
    {
        QSqlQuery c(conn);
        c.prepare(QStringLiteral("SELECT COUNT(*) FROM audit_events WHERE chain = ?"));
        c.addBindValue(chain);
        if (!c.exec() || !c.next())
            return fail(Error::internal(c.lastError().text()));
        total = c.value(0).toLongLong();
    }

    // A pipeline: this thread reads rows, checks the links (sequence, prev_hash) and builds each
    // canonical form; hashing, the costly part, runs on the pool one batch behind.
    constexpr size_t kBatch = 32768;
    ScanBatch filling, hashing;
    for (auto *b : {&filling, &hashing}) {
        b->events.reserve(kBatch);
        b->arena.reserve(qsizetype(kBatch) * 512);
    }
    QFuture<void> inFlight;
    std::optional<qint64> firstHashFailure;
    auto collect = [&] {
        inFlight.waitForFinished();
        for (const auto &e : hashing.events) {
            if (!e.hashOk) {
                if (!firstHashFailure || e.sequence < *firstHashFailure)
                    firstHashFailure = e.sequence;
                break;
            }
        }
        hashing.clear();
    };
    auto dispatch = [&] {
        collect();
        std::swap(hashing, filling);
        const char *arena = hashing.arena.constData();
        inFlight = QtConcurrent::map(m_hashPool.get(), hashing.events, [arena](ScannedEvent &e) {
            thread_local QByteArray canonical;
            canonical.resize(0);
            buildCanonical(canonical, unpackRecord(arena + e.offset));
            char hex[64];
            crypto::sha256HexInto(canonical, hex);
            e.hashOk = std::memcmp(hex, e.hash.data(), 64) == 0;
        });
    };

    qint64 expectedSeq = 1;
    std::array<char, 64> prevHash;
    std::fill(prevHash.begin(), prevHash.end(), '0');
    std::optional<qint64> firstLinkFailure;
    QString linkReason;
    qint64 scanned = 0;
    const auto status = storage::forEachRow(
        m_db, QStringLiteral("SELECT %1 FROM audit_events WHERE chain = ? ORDER BY sequence").arg(QLatin1String(kColumns)),
        {chain}, [&](const storage::RawRow &row) {
            qint64 seq = -1;
            std::from_chars(row[2].data(), row[2].data() + row[2].size(), seq);
            if (seq != expectedSeq) {
                firstLinkFailure = expectedSeq;
                linkReason = seq > expectedSeq
                    ? QStringLiteral("event %1 is missing (next stored event is %2)").arg(expectedSeq).arg(seq)
                    : QStringLiteral("sequence %1 appears out of order").arg(seq);
                return false;
            }
            if (row[12] != QByteArrayView(prevHash.data(), 64)) {
                firstLinkFailure = seq;
                linkReason = QStringLiteral("prev_hash does not match the hash of event %1").arg(seq - 1);
                return false;
            }
            ScannedEvent e;
            e.sequence = seq;
            if (row[13].size() == 64)
                std::memcpy(e.hash.data(), row[13].data(), 64);
            e.offset = filling.arena.size();
            packRecord(filling.arena, row);
            e.length = filling.arena.size() - e.offset;
            prevHash = e.hash;
            filling.events.push_back(e);
            ++expectedSeq;
            ++scanned;
            if (filling.events.size() == kBatch) {
                dispatch();
                if (progress)
                    progress(scanned, total);
            }
            return true;
        });
    dispatch();
    collect();
    if (!status)
        return fail(status.error());

    // The first failing event in chain order, whichever check caught it.
    if (firstHashFailure && (!firstLinkFailure || *firstHashFailure < *firstLinkFailure)) {
        r.firstInvalidSequence = firstHashFailure;
        r.reason = QStringLiteral("hash does not match the event's contents");
    } else if (firstLinkFailure) {
        r.firstInvalidSequence = firstLinkFailure;
        r.reason = linkReason;
    }
    if (r.firstInvalidSequence) {
        r.checked = *r.firstInvalidSequence - 1;
        r.headSequence = r.checked;
    } else {
        r.checked = scanned;
        r.headSequence = scanned;
        r.headHash = QString::fromLatin1(prevHash.data(), 64);
    }
    if (progress)
        progress(r.checked, total);
    r.valid = !r.firstInvalidSequence.has_value();

    // Signed checkpoints pin the chain: a chain rewritten with fresh hashes no longer matches them.
    if (r.valid) {
        QSqlQuery cp(conn);
        cp.prepare(QStringLiteral("SELECT c.sequence, c.head_hash, c.signed_at, c.signature, c.public_key, e.hash "
                                  "FROM audit_checkpoints c LEFT JOIN audit_events e "
                                  "ON e.chain = c.chain AND e.sequence = c.sequence "
                                  "WHERE c.chain = ? ORDER BY c.sequence"));
        cp.addBindValue(chain);
        if (auto s = storage::exec(cp); !s)
            return fail(s.error());
        while (cp.next()) {
            Checkpoint c;
            c.chain = chain;
            c.sequence = cp.value(0).toLongLong();
            c.headHash = cp.value(1).toString();
            c.signedAt = cp.value(2).toString();
            c.signature = QByteArray::fromBase64(cp.value(3).toString().toLatin1());
            c.publicKey = QByteArray::fromBase64(cp.value(4).toString().toLatin1());
            // A checkpoint of an empty chain pins the genesis value.
            const QString eventHash = c.sequence == 0 ? kGenesisHash : cp.value(5).toString();
            const bool signedByUs = crypto::constantTimeEquals(c.publicKey, m_publicKey)
                && crypto::ed25519Verify(c.publicKey, checkpointMessage(c), c.signature);
            if (!signedByUs) {
                r.valid = false;
                r.firstInvalidSequence = c.sequence;
                r.reason = QStringLiteral("checkpoint at %1 has an invalid signature").arg(c.sequence);
                break;
            }
            if (eventHash != c.headHash) {
                r.valid = false;
                r.firstInvalidSequence = c.sequence;
                r.reason = QStringLiteral("event %1 no longer matches its signed checkpoint").arg(c.sequence);
                break;
            }
        }
    }
    return r;
}

Result<QList<VerifyResult>> AuditLog::verifyAll(const Progress &progress)
{
    auto all = chains();
    if (!all)
        return fail(all.error());
    QList<VerifyResult> out;
    for (const auto &c : *all) {
        auto r = verifyChain(c, progress);
        if (!r)
            return fail(r.error());
        out << *r;
    }
    return out;
}

Result<Page<Event>> AuditLog::list(const QString &firmId, const Filter &f, const PageRequest &page)
{
    // Tenant isolation: every query is bound to the caller's chain.
    storage::Where where(QStringLiteral("chain = ?"), chainFor(firmId));
    where.equalIfSet(QStringLiteral("actor_id"), f.actorId)
        .equalIfSet(QStringLiteral("action"), f.action)
        .equalIfSet(QStringLiteral("entity_type"), f.entityType)
        .equalIfSet(QStringLiteral("entity_id"), f.entityId);
    if (f.from.isValid())
        where.add(QStringLiteral("occurred_at >= ?"), isoUtc(f.from));
    if (f.to.isValid())
        where.add(QStringLiteral("occurred_at <= ?"), isoUtc(f.to));
    auto total = storage::countRows(m_db, QStringLiteral("FROM audit_events"), where);
    if (!total)
        return fail(total.error());
    auto q = storage::pageRows(m_db, QStringLiteral("SELECT %1 FROM audit_events").arg(QLatin1String(kColumns)), where,
                               QStringLiteral("sequence DESC"), page);
    if (!q)
        return fail(q.error());
    Page<Event> out{{}, page, *total};
    while (q->next())
        out.items << readEvent(*q);
    return out;
}

Result<Event> AuditLog::get(const QString &firmId, const QString &id)
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT %1 FROM audit_events WHERE chain = ? AND id = ?").arg(QLatin1String(kColumns)));
    q.addBindValue(chainFor(firmId));
    q.addBindValue(id);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next())
        return fail(ErrorCode::NotFound, QStringLiteral("Audit event not found"));
    return readEvent(q);
}

Result<Checkpoint> AuditLog::checkpoint(const QString &chain)
{
    storage::Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    auto h = head(chain);
    if (!h)
        return fail(h.error());
    Checkpoint c;
    c.id = newId();
    c.chain = chain;
    c.sequence = h->first;
    c.headHash = h->second;
    c.signedAt = isoUtc(m_clock.now());
    c.publicKey = m_publicKey;
    auto sig = m_key.sign(checkpointMessage(c));
    if (!sig)
        return fail(sig.error());
    c.signature = *sig;
    if (c.sequence == 0) {
        // Nothing to pin yet: answer the signed genesis head without recording it.
        tx.rollback();
        return c;
    }
    QSqlQuery q(tx.db());
    q.prepare(QStringLiteral("INSERT INTO audit_checkpoints (id, chain, sequence, head_hash, signed_at, signature, public_key) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(c.id);
    q.addBindValue(c.chain);
    q.addBindValue(c.sequence);
    q.addBindValue(c.headHash);
    q.addBindValue(c.signedAt);
    q.addBindValue(QString::fromLatin1(c.signature.toBase64()));
    q.addBindValue(QString::fromLatin1(c.publicKey.toBase64()));
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    // Signed heads leave the process (GET /audit/checkpoint, exports): make the events they pin durable first.
    m_db.syncToDisk();
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    return c;
}

} // namespace kyc::audit
