// The hash-chained audit trail: chain links, per-firm chains, verification and the tamper cases of
// the brief, signed checkpoints, filters and paging, and transactions.
#include "backend/audit/auditlog.h"
#include "backend/core/json.h"
#include "backend/security/crypto.h"
#include "tests/testsupport/testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlError>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>

using namespace kyc;
using namespace kyc::audit;

namespace {

enum class Tamper { EditAction, Delete, Swap, EditDetails, EditHash, EditPrevHash, EditTime, Renumber };
enum class CheckpointTamper { FlipSignature, HeadHash, Sequence, ForeignKey };

const QString kFirmA = QStringLiteral("0b7e5f0e-1111-4a1a-9c1a-00000000000a");
const QString kFirmB = QStringLiteral("0b7e5f0e-2222-4b2b-9c2b-00000000000b");

NewEvent newEvent(const QString &firmId, int i, const QString &action = QStringLiteral("case.update"))
{
    NewEvent e;
    e.firmId = firmId;
    e.actorType = QStringLiteral("user");
    e.actorId = QStringLiteral("user-%1").arg(i % 3);
    e.action = action;
    e.entityType = QStringLiteral("case");
    e.entityId = QStringLiteral("case-%1").arg(i);
    e.ip = QStringLiteral("203.0.113.%1").arg(i % 250);
    QJsonObject details;
    details.insert(QStringLiteral("i"), i);
    details.insert(QStringLiteral("before"), QJsonObject{{QStringLiteral("status"), QStringLiteral("draft")}});
    details.insert(QStringLiteral("after"), QJsonObject{{QStringLiteral("status"), QStringLiteral("submitted")}});
    e.details = details;
    return e;
}

// Appends n events to a firm's chain, returning them in sequence order (empty on failure).
QList<Event> appendN(test::TempBackend &b, const QString &firmId, int n)
{
    QList<Event> out;
    for (int i = 1; i <= n; ++i) {
        auto e = b.backend().audit().append(newEvent(firmId, i));
        if (!e)
            return {};
        out << *e;
    }
    return out;
}

QList<Event> allEvents(test::TempBackend &b, const QString &firmId)
{
    auto page = b.backend().audit().list(firmId, {}, {1, 100});
    if (!page)
        return {};
    QList<Event> out = page->items;
    std::reverse(out.begin(), out.end());
    return out;
}

bool sql(test::TempBackend &b, const QString &statement, const QVariantList &binds = {}, QString *error = nullptr)
{
    QSqlQuery q(b.backend().database().connection());
    if (!q.prepare(statement)) {
        if (error)
            *error = q.lastError().text();
        return false;
    }
    for (const auto &v : binds)
        q.addBindValue(v);
    const bool ok = q.exec();
    if (!ok && error)
        *error = q.lastError().text();
    return ok;
}

bool dropEventTriggers(test::TempBackend &b)
{
    return sql(b, QStringLiteral("DROP TRIGGER audit_events_no_update"))
        && sql(b, QStringLiteral("DROP TRIGGER audit_events_no_delete"));
}

bool dropCheckpointTriggers(test::TempBackend &b)
{
    return sql(b, QStringLiteral("DROP TRIGGER audit_checkpoints_no_update"))
        && sql(b, QStringLiteral("DROP TRIGGER audit_checkpoints_no_delete"));
}

const QStringList kContentColumns
    = {QStringLiteral("id"),         QStringLiteral("chain"),    QStringLiteral("occurred_at"), QStringLiteral("firm_id"),
       QStringLiteral("actor_type"), QStringLiteral("actor_id"), QStringLiteral("action"),      QStringLiteral("entity_type"),
       QStringLiteral("entity_id"),  QStringLiteral("ip"),       QStringLiteral("details"),     QStringLiteral("prev_hash"),
       QStringLiteral("hash")};

QVariantList rowContent(test::TempBackend &b, const QString &chain, qint64 sequence)
{
    QSqlQuery q(b.backend().database().connection());
    q.prepare(QStringLiteral("SELECT %1 FROM audit_events WHERE chain = ? AND sequence = ?").arg(kContentColumns.join(u',')));
    q.addBindValue(chain);
    q.addBindValue(sequence);
    QVariantList out;
    if (q.exec() && q.next()) {
        for (int i = 0; i < kContentColumns.size(); ++i)
            out << q.value(i);
    }
    return out;
}

bool setRowContent(test::TempBackend &b, const QString &chain, qint64 sequence, const QVariantList &content)
{
    QStringList sets;
    for (const auto &c : kContentColumns)
        sets << c + QStringLiteral(" = ?");
    QVariantList binds = content;
    binds << chain << sequence;
    return sql(b,
               QStringLiteral("UPDATE audit_events SET %1 WHERE chain = ? AND sequence = ?").arg(sets.join(QStringLiteral(", "))),
               binds);
}

// Rewrites event `from` with a new action and re-links every later event, so that the chain is
// internally consistent again: only a checkpoint can tell.
bool forgeFrom(test::TempBackend &b, const QString &firmId, qint64 from)
{
    QList<Event> events = allEvents(b, firmId);
    QString prev = kGenesisHash;
    for (auto &e : events) {
        if (e.sequence == from)
            e.action = QStringLiteral("case.approve");
        if (e.sequence >= from) {
            e.prevHash = prev;
            e.hash = computeHash(e);
            if (!sql(b, QStringLiteral("UPDATE audit_events SET action = ?, prev_hash = ?, hash = ? WHERE id = ?"),
                     {e.action, e.prevHash, e.hash, e.id}))
                return false;
        }
        prev = e.hash;
    }
    return true;
}

qint64 total(test::TempBackend &b, const QString &firmId)
{
    auto page = b.backend().audit().list(firmId, {}, {1, 100});
    return page ? page->total : -1;
}

} // namespace

Q_DECLARE_METATYPE(Tamper)
Q_DECLARE_METATYPE(CheckpointTamper)

class TestAuditLog final : public QObject
{
    Q_OBJECT

private slots:
    void chainLinks();
    void canonicalFormIsCanonicalJson();
    void chainsArePerFirm();
    void verifyIntactChain();
    void verifyEmptyChain();
    void triggersRefuseUpdateAndDelete();
    void tamper_data();
    void tamper();
    void forgedChain_data();
    void forgedChain();
    void checkpointSignature();
    void alteredCheckpoint_data();
    void alteredCheckpoint();
    void checkpointThenMoreEvents();
    void checkpointOfEmptyChainKeepsItValid();
    void checkpointIsInTheDatabaseFile();
    void signingKeyFileIsPrivate();
    void listFilters_data();
    void listFilters();
    void listPaging();
    void appendJoinsCallerTransaction();
    void appendRejectsIncompleteEvents();
};

void TestAuditLog::chainLinks()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    const QList<Event> appended = appendN(b, kFirmA, 6);
    QCOMPARE(appended.size(), 6);
    const QList<Event> stored = allEvents(b, kFirmA);
    QCOMPARE(stored.size(), 6);

    QString prev = kGenesisHash;
    QCOMPARE(prev, QString(64, u'0'));
    for (int i = 0; i < stored.size(); ++i) {
        const Event &e = stored.at(i);
        QCOMPARE(e.sequence, qint64(i + 1));
        QCOMPARE(e.chain, kFirmA);
        QCOMPARE(e.firmId, kFirmA);
        QCOMPARE(e.prevHash, prev);
        QCOMPARE(e.hash.size(), 64);
        QCOMPARE(e.hash, computeHash(e));
        QCOMPARE(e.hash, QString::fromLatin1(crypto::sha256Hex(canonicalForm(e))));
        // What append returned is what was stored.
        QCOMPARE(appended.at(i).id, e.id);
        QCOMPARE(appended.at(i).hash, e.hash);
        QCOMPARE(appended.at(i).occurredAt, e.occurredAt);
        QCOMPARE(appended.at(i).details, e.details);
        prev = e.hash;
    }
    QCOMPARE(stored.first().details.value(QStringLiteral("i")).toInt(), 1);
    QCOMPARE(stored.first().occurredAt, QStringLiteral("2026-01-01T00:00:00.000Z"));
}

void TestAuditLog::canonicalFormIsCanonicalJson()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    NewEvent in = newEvent(QString(), 1, QStringLiteral("system.start"));
    in.actorType = QStringLiteral("system");
    in.actorId.clear();
    in.ip.clear();
    in.details.insert(QStringLiteral("text"), QStringLiteral("line 1\nline \"2\", caf\u00e9"));
    auto e = b.backend().audit().append(in);
    QVERIFY(e.has_value());
    QCOMPARE(e->chain, kPlatformChain);

    // The canonical form is itself canonical JSON of every field but the hash, with absent values
    // as null, so that a third party can rebuild it from an export.
    const QByteArray form = canonicalForm(*e);
    QJsonParseError err{};
    const QJsonObject o = QJsonDocument::fromJson(form, &err).object();
    QCOMPARE(err.error, QJsonParseError::NoError);
    QCOMPARE(json::canonical(o), form);
    QVERIFY(!o.contains(QStringLiteral("hash")));
    QJsonObject expected = toJson(*e);
    expected.remove(QStringLiteral("hash"));
    QCOMPARE(o, expected);
    QVERIFY(o.value(QStringLiteral("firm_id")).isNull());
    QVERIFY(o.value(QStringLiteral("actor_id")).isNull());
    QVERIFY(o.value(QStringLiteral("ip")).isNull());
    QCOMPARE(o.value(QStringLiteral("sequence")).toInteger(), 1);
    QCOMPARE(o.value(QStringLiteral("prev_hash")).toString(), kGenesisHash);

    // Every field is covered by the hash.
    const QString hash = computeHash(*e);
    auto changed = [&](auto mutate) {
        Event copy = *e;
        mutate(copy);
        return computeHash(copy) != hash;
    };
    QVERIFY(changed([](Event &x) { x.id = QStringLiteral("other"); }));
    QVERIFY(changed([](Event &x) { x.chain = QStringLiteral("other"); }));
    QVERIFY(changed([](Event &x) { x.sequence = 2; }));
    QVERIFY(changed([](Event &x) { x.occurredAt = QStringLiteral("2026-01-01T00:00:00.001Z"); }));
    QVERIFY(changed([](Event &x) { x.firmId = QStringLiteral("f"); }));
    QVERIFY(changed([](Event &x) { x.actorType = QStringLiteral("user"); }));
    QVERIFY(changed([](Event &x) { x.actorId = QStringLiteral("u"); }));
    QVERIFY(changed([](Event &x) { x.action = QStringLiteral("system.stop"); }));
    QVERIFY(changed([](Event &x) { x.entityType = QStringLiteral("x"); }));
    QVERIFY(changed([](Event &x) { x.entityId = QStringLiteral("x"); }));
    QVERIFY(changed([](Event &x) { x.ip = QStringLiteral("127.0.0.1"); }));
    QVERIFY(changed([](Event &x) { x.details.insert(QStringLiteral("i"), 2); }));
    QVERIFY(changed([](Event &x) { x.prevHash = QString(64, u'1'); }));
    QVERIFY(!changed([](Event &x) { x.hash = QString(64, u'f'); }));
}

void TestAuditLog::chainsArePerFirm()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    AuditLog &log = b.backend().audit();
    // Interleaved appends: each firm's chain counts on its own.
    QList<Event> a, bEvents;
    for (int i = 1; i <= 3; ++i) {
        auto ea = log.append(newEvent(kFirmA, i));
        auto eb = log.append(newEvent(kFirmB, i));
        QVERIFY(ea.has_value() && eb.has_value());
        a << *ea;
        bEvents << *eb;
    }
    auto platform = log.append(newEvent(QString(), 1, QStringLiteral("system.start")));
    QVERIFY(platform.has_value());

    for (int i = 0; i < 3; ++i) {
        QCOMPARE(a.at(i).sequence, qint64(i + 1));
        QCOMPARE(bEvents.at(i).sequence, qint64(i + 1));
    }
    QCOMPARE(a.first().prevHash, kGenesisHash);
    QCOMPARE(bEvents.first().prevHash, kGenesisHash);
    QCOMPARE(platform->sequence, qint64(1));
    QCOMPARE(platform->chain, kPlatformChain);

    auto listA = log.list(kFirmA, {}, {1, 100});
    QVERIFY(listA.has_value());
    QCOMPARE(listA->total, qint64(3));
    for (const auto &e : listA->items)
        QCOMPARE(e.firmId, kFirmA);

    // The same entity id in both firms: a filter never crosses the firm boundary.
    Filter f;
    f.entityType = QStringLiteral("case");
    f.entityId = QStringLiteral("case-2");
    auto filtered = log.list(kFirmA, f, {1, 100});
    QVERIFY(filtered.has_value());
    QCOMPARE(filtered->total, qint64(1));
    QCOMPARE(filtered->items.first().id, a.at(1).id);

    auto own = log.get(kFirmA, a.first().id);
    QVERIFY(own.has_value());
    QCOMPARE(own->hash, a.first().hash);
    auto foreign = log.get(kFirmA, bEvents.first().id);
    QVERIFY(!foreign.has_value());
    QCOMPARE(foreign.error().code, ErrorCode::NotFound);
    auto platformAsFirm = log.get(kFirmA, platform->id);
    QVERIFY(!platformAsFirm.has_value());
    QCOMPARE(platformAsFirm.error().code, ErrorCode::NotFound);
    auto firmAsPlatform = log.get(QString(), a.first().id);
    QVERIFY(!firmAsPlatform.has_value());
    QCOMPARE(firmAsPlatform.error().code, ErrorCode::NotFound);

    auto listPlatform = log.list(QString(), {}, {1, 100});
    QVERIFY(listPlatform.has_value());
    QCOMPARE(listPlatform->total, qint64(1));
    QCOMPARE(listPlatform->items.first().id, platform->id);

    auto chains = log.chains();
    QVERIFY(chains.has_value());
    QStringList expected{kFirmA, kFirmB, kPlatformChain};
    expected.sort();
    QCOMPARE(*chains, expected);

    auto all = log.verifyAll();
    QVERIFY(all.has_value());
    QCOMPARE(all->size(), 3);
    for (const auto &r : *all) {
        QVERIFY(r.valid);
        QCOMPARE(r.checked, r.chain == kPlatformChain ? qint64(1) : qint64(3));
    }
}

void TestAuditLog::verifyIntactChain()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    const QList<Event> events = appendN(b, kFirmA, 12);
    QCOMPARE(events.size(), 12);

    qint64 lastDone = -1, lastTotal = -1;
    auto r = b.backend().audit().verifyChain(kFirmA, [&](qint64 done, qint64 total) {
        lastDone = done;
        lastTotal = total;
    });
    QVERIFY(r.has_value());
    QVERIFY(r->valid);
    QCOMPARE(r->chain, kFirmA);
    QCOMPARE(r->checked, qint64(12));
    QCOMPARE(r->headSequence, qint64(12));
    QCOMPARE(r->headHash, events.last().hash);
    QVERIFY(!r->firstInvalidSequence.has_value());
    QCOMPARE(lastDone, qint64(12));
    QCOMPARE(lastTotal, qint64(12));
}

void TestAuditLog::verifyEmptyChain()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    auto r = b.backend().audit().verifyChain(kFirmA);
    QVERIFY(r.has_value());
    QVERIFY(r->valid);
    QCOMPARE(r->checked, qint64(0));
    QCOMPARE(r->headHash, kGenesisHash);
}

void TestAuditLog::triggersRefuseUpdateAndDelete()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    QCOMPARE(appendN(b, kFirmA, 3).size(), 3);
    QVERIFY(b.backend().audit().checkpoint(kFirmA).has_value());

    QString error;
    QVERIFY(!sql(b, QStringLiteral("UPDATE audit_events SET action = 'x' WHERE sequence = 2"), {}, &error));
    QVERIFY2(error.contains(QStringLiteral("append-only")), qPrintable(error));
    QVERIFY(!sql(b, QStringLiteral("DELETE FROM audit_events WHERE sequence = 3")));
    QVERIFY(!sql(b, QStringLiteral("DELETE FROM audit_events")));
    QVERIFY(!sql(b, QStringLiteral("UPDATE audit_checkpoints SET head_hash = 'x'")));
    QVERIFY(!sql(b, QStringLiteral("DELETE FROM audit_checkpoints")));

    const QList<Event> events = allEvents(b, kFirmA);
    QCOMPARE(events.size(), 3);
    QCOMPARE(events.at(1).action, QStringLiteral("case.update"));
    auto r = b.backend().audit().verifyChain(kFirmA);
    QVERIFY(r.has_value());
    QVERIFY(r->valid);
}

void TestAuditLog::tamper_data()
{
    QTest::addColumn<Tamper>("tamper");
    QTest::addColumn<qint64>("sequence");
    QTest::addColumn<qint64>("firstInvalid");

    QTest::newRow("edit action of row 5") << Tamper::EditAction << qint64(5) << qint64(5);
    QTest::newRow("delete row 5") << Tamper::Delete << qint64(5) << qint64(5);
    QTest::newRow("swap rows 5 and 6") << Tamper::Swap << qint64(5) << qint64(5);
    QTest::newRow("edit details of row 1") << Tamper::EditDetails << qint64(1) << qint64(1);
    QTest::newRow("edit hash of the last row") << Tamper::EditHash << qint64(10) << qint64(10);
    QTest::newRow("edit action of the last row") << Tamper::EditAction << qint64(10) << qint64(10);
    QTest::newRow("delete row 1") << Tamper::Delete << qint64(1) << qint64(1);
    QTest::newRow("swap rows 9 and 10") << Tamper::Swap << qint64(9) << qint64(9);
    QTest::newRow("edit prev_hash of row 3") << Tamper::EditPrevHash << qint64(3) << qint64(3);
    QTest::newRow("edit time of row 7") << Tamper::EditTime << qint64(7) << qint64(7);
    QTest::newRow("renumber row 4 as 11") << Tamper::Renumber << qint64(4) << qint64(4);
}

void TestAuditLog::tamper()
{
    QFETCH(Tamper, tamper);
    QFETCH(qint64, sequence);
    QFETCH(qint64, firstInvalid);

    test::TempBackend b;
    QVERIFY(b.ok());
    QCOMPARE(appendN(b, kFirmA, 10).size(), 10);
    // Another firm's chain is never affected by tampering with this one.
    QCOMPARE(appendN(b, kFirmB, 10).size(), 10);
    QVERIFY(dropEventTriggers(b));

    const QVariantList bind{kFirmA, sequence};
    switch (tamper) {
    case Tamper::EditAction:
        QVERIFY(sql(b, QStringLiteral("UPDATE audit_events SET action = 'case.delete' WHERE chain = ? AND sequence = ?"), bind));
        break;
    case Tamper::Delete:
        QVERIFY(sql(b, QStringLiteral("DELETE FROM audit_events WHERE chain = ? AND sequence = ?"), bind));
        break;
    case Tamper::Swap: {
        const QVariantList first = rowContent(b, kFirmA, sequence);
        const QVariantList second = rowContent(b, kFirmA, sequence + 1);
        QCOMPARE(first.size(), kContentColumns.size());
        QCOMPARE(second.size(), kContentColumns.size());
        QVERIFY(sql(b, QStringLiteral("UPDATE audit_events SET id = 'swap' WHERE chain = ? AND sequence = ?"), bind));
        QVERIFY(setRowContent(b, kFirmA, sequence + 1, first));
        QVERIFY(setRowContent(b, kFirmA, sequence, second));
        QCOMPARE(rowContent(b, kFirmA, sequence), second);
        break;
    }
    case Tamper::EditDetails:
        QVERIFY(sql(b, QStringLiteral("UPDATE audit_events SET details = '{\"i\":999}' WHERE chain = ? AND sequence = ?"), bind));
        break;
    case Tamper::EditHash:
        QVERIFY(sql(b, QStringLiteral("UPDATE audit_events SET hash = ? WHERE chain = ? AND sequence = ?"),
                    {QString(64, u'f'), kFirmA, sequence}));
        break;
    case Tamper::EditPrevHash:
        QVERIFY(sql(b, QStringLiteral("UPDATE audit_events SET prev_hash = ? WHERE chain = ? AND sequence = ?"),
                    {QString(64, u'e'), kFirmA, sequence}));
        break;
    case Tamper::EditTime:
        QVERIFY(sql(
            b,
            QStringLiteral("UPDATE audit_events SET occurred_at = '2025-12-31T23:59:59.999Z' WHERE chain = ? AND sequence = ?"),
            bind));
        break;
    case Tamper::Renumber:
        QVERIFY(sql(b, QStringLiteral("UPDATE audit_events SET sequence = 11 WHERE chain = ? AND sequence = ?"), bind));
        break;
    }

    auto r = b.backend().audit().verifyChain(kFirmA);
    QVERIFY(r.has_value());
    QVERIFY(!r->valid);
    QVERIFY(r->firstInvalidSequence.has_value());
    QCOMPARE(*r->firstInvalidSequence, firstInvalid);
    QCOMPARE(r->checked, firstInvalid - 1);
    QVERIFY(!r->reason.isEmpty());

    auto other = b.backend().audit().verifyChain(kFirmB);
    QVERIFY(other.has_value());
    QVERIFY(other->valid);
    QCOMPARE(other->checked, qint64(10));
}

void TestAuditLog::forgedChain_data()
{
    QTest::addColumn<int>("checkpointAfter"); // 0: no checkpoint
    QTest::addColumn<qint64>("forgedFrom");
    QTest::addColumn<bool>("caught");

    // Without a checkpoint a consistently re-hashed chain is indistinguishable from the real one;
    // that is exactly what the signed checkpoints are for.
    QTest::newRow("no checkpoint (control)") << 0 << qint64(5) << false;
    QTest::newRow("checkpoint at the head, forged from 5") << 10 << qint64(5) << true;
    QTest::newRow("checkpoint at 7, forged from 5") << 7 << qint64(5) << true;
    QTest::newRow("checkpoint at 5, forged from 5") << 5 << qint64(5) << true;
    QTest::newRow("checkpoint at 10, forged from 10") << 10 << qint64(10) << true;
}

void TestAuditLog::forgedChain()
{
    QFETCH(int, checkpointAfter);
    QFETCH(qint64, forgedFrom);
    QFETCH(bool, caught);

    test::TempBackend b;
    QVERIFY(b.ok());
    AuditLog &log = b.backend().audit();
    for (int i = 1; i <= 10; ++i) {
        QVERIFY(log.append(newEvent(kFirmA, i)).has_value());
        if (i == checkpointAfter) {
            auto cp = log.checkpoint(kFirmA);
            QVERIFY(cp.has_value());
            QCOMPARE(cp->sequence, qint64(i));
        }
    }
    auto before = log.verifyChain(kFirmA);
    QVERIFY(before.has_value());
    QVERIFY(before->valid);

    QVERIFY(dropEventTriggers(b));
    QVERIFY(forgeFrom(b, kFirmA, forgedFrom));
    const QList<Event> forged = allEvents(b, kFirmA);
    QCOMPARE(forged.at(int(forgedFrom - 1)).action, QStringLiteral("case.approve"));

    auto r = log.verifyChain(kFirmA);
    QVERIFY(r.has_value());
    QCOMPARE(r->valid, !caught);
    if (caught) {
        QVERIFY(r->firstInvalidSequence.has_value());
        // docs/audit-format.md: caught at the first checkpoint at or after the rewritten event.
        QVERIFY(checkpointAfter >= forgedFrom);
        QCOMPARE(*r->firstInvalidSequence, qint64(checkpointAfter));
        QVERIFY(!r->reason.isEmpty());
    }
}

void TestAuditLog::checkpointSignature()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    const QList<Event> events = appendN(b, kFirmA, 4);
    QCOMPARE(events.size(), 4);
    b.clock().advanceMs(90'000);
    auto cp = b.backend().audit().checkpoint(kFirmA);
    QVERIFY(cp.has_value());
    QCOMPARE(cp->chain, kFirmA);
    QCOMPARE(cp->sequence, qint64(4));
    QCOMPARE(cp->headHash, events.last().hash);
    QCOMPARE(cp->signedAt, QStringLiteral("2026-01-01T00:01:30.000Z"));
    QCOMPARE(cp->publicKey, b.backend().audit().publicKey());
    QCOMPARE(cp->publicKey.size(), 32);
    QCOMPARE(cp->signature.size(), 64);

    const QByteArray message = checkpointMessage(*cp);
    QVERIFY(crypto::ed25519Verify(cp->publicKey, message, cp->signature));
    // The signed message is canonical JSON of the chain, the head and the time.
    const QJsonObject o = QJsonDocument::fromJson(message).object();
    QCOMPARE(json::canonical(o), message);
    QCOMPARE(o.value(QStringLiteral("chain")).toString(), kFirmA);
    QCOMPARE(o.value(QStringLiteral("sequence")).toInteger(), 4);
    QCOMPARE(o.value(QStringLiteral("head_hash")).toString(), events.last().hash);
    QCOMPARE(o.value(QStringLiteral("signed_at")).toString(), cp->signedAt);

    Checkpoint other = *cp;
    other.sequence = 3;
    QVERIFY(!crypto::ed25519Verify(cp->publicKey, checkpointMessage(other), cp->signature));
    other = *cp;
    other.headHash = events.at(2).hash;
    QVERIFY(!crypto::ed25519Verify(cp->publicKey, checkpointMessage(other), cp->signature));

    // The key that signs is the instance key kept on disk.
    auto disk = crypto::Ed25519Key::loadOrCreate(Backend::auditKeyPath(b.dataDir()));
    QVERIFY(disk.has_value());
    QCOMPARE(disk->publicKey(), cp->publicKey);

    // The stored row carries the same values.
    QSqlQuery q(b.backend().database().connection());
    QVERIFY(q.exec(QStringLiteral("SELECT chain, sequence, head_hash, signed_at, signature, public_key FROM audit_checkpoints")));
    QVERIFY(q.next());
    QCOMPARE(q.value(0).toString(), kFirmA);
    QCOMPARE(q.value(1).toLongLong(), qint64(4));
    QCOMPARE(q.value(2).toString(), cp->headHash);
    QCOMPARE(q.value(3).toString(), cp->signedAt);
    QCOMPARE(QByteArray::fromBase64(q.value(4).toString().toLatin1()), cp->signature);
    QCOMPARE(QByteArray::fromBase64(q.value(5).toString().toLatin1()), cp->publicKey);
    QVERIFY(!q.next());

    auto r = b.backend().audit().verifyChain(kFirmA);
    QVERIFY(r.has_value());
    QVERIFY(r->valid);
}

void TestAuditLog::alteredCheckpoint_data()
{
    QTest::addColumn<CheckpointTamper>("tamper");
    QTest::newRow("signature with a flipped bit") << CheckpointTamper::FlipSignature;
    QTest::newRow("head_hash replaced") << CheckpointTamper::HeadHash;
    QTest::newRow("sequence moved") << CheckpointTamper::Sequence;
    QTest::newRow("re-signed with another key") << CheckpointTamper::ForeignKey;
}

void TestAuditLog::alteredCheckpoint()
{
    QFETCH(CheckpointTamper, tamper);
    test::TempBackend b;
    QVERIFY(b.ok());
    const QList<Event> events = appendN(b, kFirmA, 5);
    QCOMPARE(events.size(), 5);
    auto cp = b.backend().audit().checkpoint(kFirmA);
    QVERIFY(cp.has_value());
    QVERIFY(dropCheckpointTriggers(b));

    switch (tamper) {
    case CheckpointTamper::FlipSignature: {
        QByteArray sig = cp->signature;
        sig[10] = char(sig.at(10) ^ 0x01);
        QVERIFY(sql(b, QStringLiteral("UPDATE audit_checkpoints SET signature = ?"), {QString::fromLatin1(sig.toBase64())}));
        break;
    }
    case CheckpointTamper::HeadHash:
        QVERIFY(sql(b, QStringLiteral("UPDATE audit_checkpoints SET head_hash = ?"), {events.at(3).hash}));
        break;
    case CheckpointTamper::Sequence: QVERIFY(sql(b, QStringLiteral("UPDATE audit_checkpoints SET sequence = 4"))); break;
    case CheckpointTamper::ForeignKey: {
        // An attacker who rewrote the chain would re-sign its head with a key of their own.
        auto foreign = crypto::Ed25519Key::generate();
        QVERIFY(foreign.has_value());
        Checkpoint forged = *cp;
        forged.publicKey = foreign->publicKey();
        auto sig = foreign->sign(checkpointMessage(forged));
        QVERIFY(sig.has_value());
        QVERIFY(crypto::ed25519Verify(forged.publicKey, checkpointMessage(forged), *sig));
        QVERIFY(sql(b, QStringLiteral("UPDATE audit_checkpoints SET signature = ?, public_key = ?"),
                    {QString::fromLatin1(sig->toBase64()), QString::fromLatin1(forged.publicKey.toBase64())}));
        break;
    }
    }

    auto r = b.backend().audit().verifyChain(kFirmA);
    QVERIFY(r.has_value());
    QVERIFY(!r->valid);
    QVERIFY(r->firstInvalidSequence.has_value());
    QVERIFY(!r->reason.isEmpty());
}

// A signed checkpoint leaves the process, so the events it pins must survive a power cut: they are in the database
// file itself, not only in the write-ahead log (which a power cut may cut short under synchronous = NORMAL).
void TestAuditLog::checkpointIsInTheDatabaseFile()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    QCOMPARE(appendN(b, kFirmA, 5).size(), 5);
    const auto c = b.backend().audit().checkpoint(kFirmA);
    QVERIFY(c.has_value());

    // The main file alone, as if the WAL had been lost.
    QTemporaryDir copy;
    QVERIFY(copy.isValid());
    const QString alone = copy.filePath(QStringLiteral("alone.db"));
    QVERIFY(QFile::copy(QDir(b.dataDir()).filePath(QStringLiteral("kyconnect.db")), alone));
    const QString name = QStringLiteral("tst_auditlog-alone");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(alone);
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("SELECT sequence, head_hash FROM audit_checkpoints WHERE chain = '%1'").arg(kFirmA)));
        QVERIFY2(q.next(), "the checkpoint is only in the write-ahead log");
        QCOMPARE(q.value(0).toLongLong(), c->sequence);
        QCOMPARE(q.value(1).toString(), c->headHash);
        QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*) FROM audit_events WHERE chain = '%1'").arg(kFirmA)));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toLongLong(), c->sequence);
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
}

void TestAuditLog::checkpointThenMoreEvents()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    AuditLog &log = b.backend().audit();
    QCOMPARE(appendN(b, kFirmA, 3).size(), 3);
    QVERIFY(log.checkpoint(kFirmA).has_value());
    QCOMPARE(appendN(b, kFirmA, 3).size(), 3);
    QVERIFY(log.checkpoint(kFirmA).has_value());
    QCOMPARE(appendN(b, kFirmA, 2).size(), 2);
    QVERIFY(b.backend().checkpointAll().has_value());

    auto r = log.verifyChain(kFirmA);
    QVERIFY(r.has_value());
    QVERIFY2(r->valid, qPrintable(r->reason));
    QCOMPARE(r->checked, qint64(8));

    // Dropping the newest events is caught by the checkpoints that covered them.
    QVERIFY(dropEventTriggers(b));
    QVERIFY(sql(b, QStringLiteral("DELETE FROM audit_events WHERE chain = ? AND sequence > 6"), {kFirmA}));
    auto truncated = log.verifyChain(kFirmA);
    QVERIFY(truncated.has_value());
    QVERIFY(!truncated->valid);
    QCOMPARE(truncated->firstInvalidSequence.value_or(-1), qint64(8));
}

void TestAuditLog::checkpointOfEmptyChainKeepsItValid()
{
    // Signing the head of a chain that has no events yet must not make that chain unverifiable.
    test::TempBackend b;
    QVERIFY(b.ok());
    AuditLog &log = b.backend().audit();
    auto cp = log.checkpoint(kFirmA);
    QVERIFY(cp.has_value());
    QCOMPARE(cp->sequence, qint64(0));
    QCOMPARE(cp->headHash, kGenesisHash);

    auto r = log.verifyChain(kFirmA);
    QVERIFY(r.has_value());
    QVERIFY2(r->valid, qPrintable(r->reason));

    QCOMPARE(appendN(b, kFirmA, 2).size(), 2);
    r = log.verifyChain(kFirmA);
    QVERIFY(r.has_value());
    QVERIFY2(r->valid, qPrintable(r->reason));
    QCOMPARE(r->checked, qint64(2));
}

void TestAuditLog::signingKeyFileIsPrivate()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    const QString path = Backend::auditKeyPath(b.dataDir());
    struct stat st = {};
    QCOMPARE(::stat(QFile::encodeName(path).constData(), &st), 0);
    QCOMPARE(int(st.st_mode & 07777), 0600);
    QCOMPARE(b.backend().audit().publicKey().size(), 32);
}

void TestAuditLog::listFilters_data()
{
    QTest::addColumn<QString>("actorId");
    QTest::addColumn<QString>("action");
    QTest::addColumn<QString>("entityType");
    QTest::addColumn<QString>("entityId");
    QTest::addColumn<int>("fromMinute"); // -1: open
    QTest::addColumn<int>("toMinute"); // -1: open
    QTest::addColumn<QList<int>>("sequences"); // newest first

    const QString none;
    QTest::newRow("no filter") << none << none << none << none << -1 << -1 << QList<int>{6, 5, 4, 3, 2, 1};
    QTest::newRow("action") << none << QStringLiteral("case.update") << none << none << -1 << -1 << QList<int>{3, 2};
    QTest::newRow("actor") << QStringLiteral("u2") << none << none << none << -1 << -1 << QList<int>{6, 5, 2};
    QTest::newRow("entity type") << none << none << QStringLiteral("case") << none << -1 << -1 << QList<int>{5, 3, 2, 1};
    QTest::newRow("entity type and id") << none << none << QStringLiteral("case") << QStringLiteral("c1") << -1 << -1
                                        << QList<int>{2, 1};
    QTest::newRow("entity id of another type")
        << none << none << QStringLiteral("user") << QStringLiteral("c1") << -1 << -1 << QList<int>{};
    QTest::newRow("from (inclusive)") << none << none << none << none << 2 << -1 << QList<int>{6, 5, 4, 3};
    QTest::newRow("to (inclusive)") << none << none << none << none << -1 << 2 << QList<int>{3, 2, 1};
    QTest::newRow("from and to") << none << none << none << none << 1 << 3 << QList<int>{4, 3, 2};
    QTest::newRow("actor and action") << QStringLiteral("u1") << QStringLiteral("user.login") << none << none << -1 << -1
                                      << QList<int>{4};
    QTest::newRow("actor, type and time") << QStringLiteral("u2") << none << QStringLiteral("case") << none << 0 << 4
                                          << QList<int>{5, 2};
    QTest::newRow("unknown action") << none << QStringLiteral("no.such") << none << none << -1 << -1 << QList<int>{};
}

void TestAuditLog::listFilters()
{
    QFETCH(QString, actorId);
    QFETCH(QString, action);
    QFETCH(QString, entityType);
    QFETCH(QString, entityId);
    QFETCH(int, fromMinute);
    QFETCH(int, toMinute);
    QFETCH(QList<int>, sequences);

    test::TempBackend b;
    QVERIFY(b.ok());
    const QDateTime t0 = b.clock().now();
    struct Row {
        const char *actor;
        const char *action;
        const char *type;
        const char *id;
    };
    const Row rows[] = {
        {"u1", "case.create", "case", "c1"}, {"u2", "case.update", "case", "c1"}, {"u1", "case.update", "case", "c2"},
        {"u1", "user.login", "user", "u1"},  {"u2", "case.create", "case", "c3"}, {"u2", "user.login", "user", "u2"},
    };
    for (const auto &r : rows) {
        NewEvent e;
        e.firmId = kFirmA;
        e.actorType = QStringLiteral("user");
        e.actorId = QLatin1String(r.actor);
        e.action = QLatin1String(r.action);
        e.entityType = QLatin1String(r.type);
        e.entityId = QLatin1String(r.id);
        QVERIFY(b.backend().audit().append(e).has_value());
        // The same actions in another firm, at the same times, must never show up.
        e.firmId = kFirmB;
        QVERIFY(b.backend().audit().append(e).has_value());
        b.clock().advanceMs(60'000);
    }

    Filter f;
    f.actorId = actorId;
    f.action = action;
    f.entityType = entityType;
    f.entityId = entityId;
    if (fromMinute >= 0)
        f.from = t0.addSecs(60 * fromMinute);
    if (toMinute >= 0)
        f.to = t0.addSecs(60 * toMinute);
    auto page = b.backend().audit().list(kFirmA, f, {1, 100});
    QVERIFY(page.has_value());
    QCOMPARE(page->total, qint64(sequences.size()));
    QList<int> actual;
    for (const auto &e : page->items) {
        QCOMPARE(e.firmId, kFirmA);
        actual << int(e.sequence);
    }
    QCOMPARE(actual, sequences);
}

void TestAuditLog::listPaging()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    QCOMPARE(appendN(b, kFirmA, 25).size(), 25);
    QCOMPARE(appendN(b, kFirmB, 4).size(), 4);
    AuditLog &log = b.backend().audit();

    auto expectPage = [&](int page, int limit, int first, int count) {
        auto p = log.list(kFirmA, {}, {page, limit});
        QVERIFY(p.has_value());
        QCOMPARE(p->total, qint64(25));
        QCOMPARE(p->request.page, page);
        QCOMPARE(p->request.limit, limit);
        QCOMPARE(p->items.size(), count);
        for (int i = 0; i < count; ++i)
            QCOMPARE(p->items.at(i).sequence, qint64(first - i));
    };
    expectPage(1, 10, 25, 10);
    if (QTest::currentTestFailed())
        return;
    expectPage(2, 10, 15, 10);
    if (QTest::currentTestFailed())
        return;
    expectPage(3, 10, 5, 5);
    if (QTest::currentTestFailed())
        return;
    expectPage(4, 10, 0, 0);
    if (QTest::currentTestFailed())
        return;
    expectPage(2, 20, 5, 5);
}

void TestAuditLog::appendJoinsCallerTransaction()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    AuditLog &log = b.backend().audit();
    storage::Database &db = b.backend().database();
    {
        storage::Transaction tx(db);
        QVERIFY(tx.begin().has_value());
        auto e = log.append(newEvent(kFirmA, 1));
        QVERIFY(e.has_value());
        QCOMPARE(e->sequence, qint64(1));
        auto e2 = log.append(newEvent(kFirmA, 2));
        QVERIFY(e2.has_value());
        QCOMPARE(e2->sequence, qint64(2));
        tx.rollback();
    }
    auto page = log.list(kFirmA, {}, {1, 100});
    QVERIFY(page.has_value());
    QCOMPARE(page->total, qint64(0));

    // Destroyed without commit: also nothing.
    {
        storage::Transaction tx(db);
        QVERIFY(tx.begin().has_value());
        QVERIFY(log.append(newEvent(kFirmA, 1)).has_value());
    }
    QCOMPARE(total(b, kFirmA), qint64(0));

    // The chain continues from what was really committed.
    auto first = log.append(newEvent(kFirmA, 3));
    QVERIFY(first.has_value());
    QCOMPARE(first->sequence, qint64(1));
    QCOMPARE(first->prevHash, kGenesisHash);
    {
        storage::Transaction tx(db);
        QVERIFY(tx.begin().has_value());
        QVERIFY(log.append(newEvent(kFirmA, 4)).has_value());
        QVERIFY(tx.commit().has_value());
    }
    auto r = log.verifyChain(kFirmA);
    QVERIFY(r.has_value());
    QVERIFY(r->valid);
    QCOMPARE(r->checked, qint64(2));
}

void TestAuditLog::appendRejectsIncompleteEvents()
{
    test::TempBackend b;
    QVERIFY(b.ok());
    NewEvent noAction = newEvent(kFirmA, 1);
    noAction.action.clear();
    QVERIFY(!b.backend().audit().append(noAction).has_value());
    NewEvent noActor = newEvent(kFirmA, 1);
    noActor.actorType.clear();
    QVERIFY(!b.backend().audit().append(noActor).has_value());
    QCOMPARE(total(b, kFirmA), qint64(0));
}

QTEST_GUILESS_MAIN(TestAuditLog)
#include "tst_auditlog.moc"
