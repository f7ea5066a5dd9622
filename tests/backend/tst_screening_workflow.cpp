// Batch screening and ongoing monitoring in the screening service (issue 4, Workflow), without HTTP:
// a batch stored at once and screened in the background in chunks with progress, an Idempotency-Key that
// answers the same batch to a repeat and refuses another request, an interrupted batch resuming where it
// stopped; monitoring that screens only the delta of a list import against the monitored cases' subjects,
// with the real one-week OFAC SDN change (2024-04-26 -> 2024-05-03: 305 added, 8 removed), raising alerts
// only for monitored cases, only for new hits, and never for another firm.
#include "backend/identity/accountservice.h"
#include "backend/screening/screeningservice.h"
#include "tests/testsupport/apiassert.h"
#include "tests/testsupport/testsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QSqlQuery>
#include <QtTest>

using namespace kyc;
using namespace kyc::screening;
using namespace Qt::Literals::StringLiterals;

using test::userActor;

namespace {

const QString kPassword = u"correct horse battery staple"_s;
const QString kUnFile = u"un_consolidated_xml/2026-02-27/UN_consolidated.xml"_s;
const QString kSdnBefore = u"ofac_sdn_csv/2024-04-26_full/sdn.csv"_s;
const QString kSdnAfter = u"ofac_sdn_csv/2024-05-03_full/sdn.csv"_s;
const QString kCaseMonitored = u"0f6a1c2e-3b4d-4e5f-8a9b-1c2d3e4f5a6b"_s;
const QString kCaseNotMonitored = u"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"_s;

QString sanctionsFile(const QString &relative)
{
    return test::sharedDir() + u"/data/sanctions/"_s + relative;
}

template <typename T>
QString why(const T &result)
{
    return result ? QString() : errorCodeName(result.error().code) + u": "_s + result.error().message;
}

template <typename T>
QStringList fieldsOf(const T &result)
{
    QStringList out;
    if (!result)
        for (const auto &f : result.error().fields)
            out << f.field;
    return out;
}

// ent_num -> [name, type] of an OFAC sdn.csv, read here independently of the importer (quoted fields,
// no line breaks inside them in these files).
QHash<QString, QStringList> readSdn(const QString &path)
{
    QHash<QString, QStringList> out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return out;
    while (!f.atEnd()) {
        const QString line = QString::fromLatin1(f.readLine()).trimmed();
        QStringList fields;
        QString cur;
        bool quoted = false;
        for (const QChar c : line) {
            if (c == u'"')
                quoted = !quoted;
            else if (c == u',' && !quoted) {
                fields << cur.trimmed();
                cur.clear();
            } else
                cur += c;
        }
        fields << cur.trimmed();
        if (fields.size() > 3)
            out.insert(fields[0], {fields[1], fields[2]});
    }
    return out;
}

// "YOUSSEF, Adnan Mahmoud" -> "Adnan Mahmoud YOUSSEF", as a customer form would hold it.
QString naturalOrder(const QString &sdnName)
{
    const auto parts = sdnName.split(u", "_s);
    return parts.size() == 2 ? parts[1] + u' ' + parts[0] : sdnName;
}

} // namespace

class TestScreeningWorkflow : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::TempBackend> m_env;
    QString m_firmA, m_firmB, m_ownerA, m_ownerB, m_analyst, m_viewer;
    QStringList m_addedPersons; // ent_nums of individuals the 2024-05-03 list added
    QHash<QString, QStringList> m_after;

    Backend &backend() { return m_env->backend(); }
    ScreeningService &service() { return backend().screening(); }
    Actor analyst() const { return userActor(m_firmA, m_analyst, Role::Analyst); }
    Actor viewer() const { return userActor(m_firmA, m_viewer, Role::Viewer); }
    Actor ownerB() const { return userActor(m_firmB, m_ownerB, Role::Owner); }

    qint64 count(const QString &sql, const QVariantList &binds = {}) { return test::count(backend().database(), sql, binds); }
    qint64 auditCount(const QString &firmId, const QString &action)
    {
        audit::Filter f;
        f.action = action;
        auto page = backend().audit().list(firmId, f, {1, 1});
        return page ? page->total : -1;
    }
    static ScreenInput person(const QString &name, const QString &caseId = {})
    {
        ScreenInput in;
        in.name = name;
        in.type = EntityType::Person;
        in.caseId = caseId;
        return in;
    }
    Result<ListVersion> importSdn(const QString &relative)
    {
        return service().importList(Actor::system(), ListFormat::OfacSdnCsv, {sanctionsFile(relative)});
    }

private slots:
    void initTestCase()
    {
        m_env = std::make_unique<test::TempBackend>();
        QVERIFY(m_env->ok());
        auto &accounts = backend().accounts();
        auto a = accounts.createFirm(
            {u"Workflow Alpha Ltd"_s, u"GB"_s, {}, u"owner@flow-a.test"_s, kPassword, u"Alpha Owner"_s, {}});
        QVERIFY2(a, qPrintable(why(a)));
        auto b
            = accounts.createFirm({u"Workflow Beta GmbH"_s, u"DE"_s, {}, u"owner@flow-b.test"_s, kPassword, u"Beta Owner"_s, {}});
        QVERIFY2(b, qPrintable(why(b)));
        m_firmA = a->first.id;
        m_ownerA = a->second.id;
        m_firmB = b->first.id;
        m_ownerB = b->second.id;
        auto an = accounts.createUser(Actor::system(m_firmA), u"analyst@flow-a.test"_s, u"Ana Lyst"_s, Role::Analyst, kPassword);
        QVERIFY2(an, qPrintable(why(an)));
        auto vi = accounts.createUser(Actor::system(m_firmA), u"viewer@flow-a.test"_s, u"Vi Ewer"_s, Role::Viewer, kPassword);
        QVERIFY2(vi, qPrintable(why(vi)));
        m_analyst = an->id;
        m_viewer = vi->id;

        const auto before = readSdn(sanctionsFile(kSdnBefore));
        m_after = readSdn(sanctionsFile(kSdnAfter));
        QVERIFY(!before.isEmpty() && !m_after.isEmpty());
        qsizetype added = 0, removed = 0;
        for (auto it = m_after.cbegin(); it != m_after.cend(); ++it) {
            if (before.contains(it.key()))
                continue;
            ++added;
            if (it.value()[1] == u"individual"_s)
                m_addedPersons << it.key();
        }
        for (auto it = before.cbegin(); it != before.cend(); ++it)
            removed += m_after.contains(it.key()) ? 0 : 1;
        QCOMPARE(added, 305); // PROVENANCE.md
        QCOMPARE(removed, 8);
        std::sort(m_addedPersons.begin(), m_addedPersons.end());
        QVERIFY(m_addedPersons.size() >= 2);

        auto un = service().importList(Actor::system(), ListFormat::UnXml, {sanctionsFile(kUnFile)});
        QVERIFY2(un, qPrintable(why(un)));
        auto sdn = importSdn(kSdnBefore);
        QVERIFY2(sdn, qPrintable(why(sdn)));
        QCOMPARE(sdn->version, 1);
    }

    // --- batches ---------------------------------------------------------------------------------

    void batchRunsInBackgroundWithProgress()
    {
        BatchInput in;
        for (int i = 0; i < 600; ++i) {
            // Every 100th subject is a listed person; the rest are plain customers.
            in.subjects << person(i % 100 == 0 ? u"ERIC BADEGE"_s : u"Customer Number%1 Testperson"_s.arg(i));
            in.references << u"row-%1"_s.arg(i);
        }
        QList<qint64> progress;
        QMutex progressMutex;
        service().setBatchListener([&](const Batch &b) {
            QMutexLocker lock(&progressMutex);
            progress << b.processed;
        });
        auto b = service().submitBatch(analyst(), in);
        QVERIFY2(b, qPrintable(why(b)));
        QCOMPARE(b->total, 600);
        QCOMPARE(b->status, u"queued"_s);
        QVERIFY(!b->replayed);
        QVERIFY(service().waitForBatches(60'000));
        service().setBatchListener({});

        auto done = service().batch(analyst(), b->id);
        QVERIFY2(done, qPrintable(why(done)));
        QCOMPARE(done->status, u"completed"_s);
        QCOMPARE(done->processed, 600);
        QCOMPARE(done->potentialMatches, 6);
        QVERIFY(!done->startedAt.isEmpty());
        QVERIFY(!done->completedAt.isEmpty());
        QCOMPARE(progress, (QList<qint64>{250, 500, 600})); // one report per chunk, in order

        QCOMPARE(count(u"SELECT COUNT(*) FROM screenings WHERE batch_id = ? AND firm_id = ?"_s, {b->id, m_firmA}), 600);
        QCOMPARE(count(u"SELECT COUNT(*) FROM screenings WHERE batch_id = ? AND status = 'potential_match'"_s, {b->id}), 6);
        ScreeningFilter f;
        f.batchId = b->id;
        f.status = u"potential_match"_s;
        auto page = service().screenings(analyst(), f, {1, 100});
        QVERIFY2(page, qPrintable(why(page)));
        QCOMPARE(page->total, 6);
        QStringList hits; // ERIC BADEGE is listed by the UN and by OFAC
        for (const auto &m : page->items.first().matches)
            hits << m.entityId;
        QVERIFY2(hits.contains(u"un:CDi.001"_s), qPrintable(hits.join(u", "_s)));
        QCOMPARE(page->items.first().source, u"batch"_s);
        QCOMPARE(auditCount(m_firmA, u"screening.batch_created"_s), 1);
        QCOMPARE(auditCount(m_firmA, u"screening.batch_completed"_s), 1);
        // Another firm cannot see the batch.
        QCOMPARE(service().batch(ownerB(), b->id).error().code, ErrorCode::NotFound);
    }

    void batchIdempotency()
    {
        BatchInput in;
        in.subjects << person(u"Idem Potent Person"_s) << person(u"FRANK KAKOLELE BWAMBALE"_s);
        const qint64 before = count(u"SELECT COUNT(*) FROM screening_batches"_s);
        auto first = service().submitBatch(analyst(), in, u"key-1"_s);
        QVERIFY2(first, qPrintable(why(first)));
        QVERIFY(service().waitForBatches(60'000));
        auto again = service().submitBatch(analyst(), in, u"key-1"_s);
        QVERIFY2(again, qPrintable(why(again)));
        QCOMPARE(again->id, first->id);
        QVERIFY(again->replayed);
        QCOMPARE(again->status, u"completed"_s); // the same batch, with its progress now
        QCOMPARE(again->potentialMatches, 1);

        BatchInput other = in;
        other.subjects.removeLast();
        auto conflict = service().submitBatch(analyst(), other, u"key-1"_s);
        QVERIFY(!conflict);
        QCOMPARE(conflict.error().code, ErrorCode::Conflict);
        // Keys belong to a firm: the same key elsewhere is a new batch.
        auto elsewhere = service().submitBatch(ownerB(), in, u"key-1"_s);
        QVERIFY2(elsewhere, qPrintable(why(elsewhere)));
        QVERIFY(elsewhere->id != first->id);
        QVERIFY(service().waitForBatches(60'000));
        QCOMPARE(count(u"SELECT COUNT(*) FROM screening_batches"_s), before + 2);
        QCOMPARE(count(u"SELECT COUNT(*) FROM screenings WHERE batch_id = ?"_s, {first->id}), 2);
    }

    void batchValidation()
    {
        const qint64 before = count(u"SELECT COUNT(*) FROM screening_batches"_s);
        BatchInput empty;
        QCOMPARE(fieldsOf(service().submitBatch(analyst(), empty)), QStringList{u"subjects"_s});
        BatchInput tooMany;
        for (int i = 0; i <= ScreeningService::kMaxBatchSubjects; ++i)
            tooMany.subjects << person(u"P"_s);
        QVERIFY(fieldsOf(service().submitBatch(analyst(), tooMany)).contains(u"subjects"_s));
        BatchInput bad;
        bad.subjects << person(u"Good Name"_s) << person(QString());
        bad.subjects << person(u"Dated Person"_s);
        bad.subjects[2].birthDate = u"31/12/1970"_s;
        bad.lists << u"no_such_list"_s;
        bad.threshold = 0.2;
        const auto r = service().submitBatch(analyst(), bad);
        QCOMPARE(fieldsOf(r), (QStringList{u"threshold"_s, u"lists"_s, u"subjects[1].name"_s, u"subjects[2].birth_date"_s}));
        // Nothing was stored for any refused batch.
        QCOMPARE(count(u"SELECT COUNT(*) FROM screening_batches"_s), before);
    }

    void batchNeedsScope()
    {
        Actor key;
        key.kind = Actor::Kind::ApiKey;
        key.firmId = m_firmA;
        key.apiKeyId = u"6d0c1f7a-2b3e-4c5d-8e9f-0a1b2c3d4e5f"_s;
        key.scopes = {u"aml:read"_s};
        BatchInput in;
        in.subjects << person(u"Scoped Person"_s);
        QCOMPARE(service().submitBatch(key, in).error().code, ErrorCode::Forbidden);
        key.scopes = {u"aml:screen"_s};
        auto ok = service().submitBatch(key, in);
        QVERIFY2(ok, qPrintable(why(ok)));
        QVERIFY(service().waitForBatches(60'000));
        QCOMPARE(count(u"SELECT COUNT(*) FROM screenings WHERE batch_id = ? AND created_by = ?"_s, {ok->id, key.apiKeyId}), 1);
    }

    // A batch queued while no worker runs, and one stopped half-way, both finish on the next start
    // without screening any subject twice.
    void batchResumes()
    {
        service().stopBatchWorker();
        BatchInput in;
        for (int i = 0; i < 300; ++i)
            in.subjects << person(u"Resume Subject%1 Person"_s.arg(i));
        auto queued = service().submitBatch(analyst(), in);
        QVERIFY2(queued, qPrintable(why(queued)));
        auto halfDone = service().submitBatch(analyst(), in);
        QVERIFY2(halfDone, qPrintable(why(halfDone)));
        // As a crash after the first chunk leaves it: running, 250 processed, their screenings stored.
        {
            QSqlQuery q(backend().database().connection());
            q.prepare(
                u"UPDATE screening_batches SET status = 'running', processed = 250, started_at = created_at WHERE id = ?"_s);
            q.addBindValue(halfDone->id);
            QVERIFY(q.exec());
        }
        QCOMPARE(service().batch(analyst(), queued->id)->status, u"queued"_s);
        service().startBatchWorker();
        QVERIFY(service().waitForBatches(60'000));
        QCOMPARE(service().batch(analyst(), queued->id)->status, u"completed"_s);
        QCOMPARE(count(u"SELECT COUNT(*) FROM screenings WHERE batch_id = ?"_s, {queued->id}), 300);
        auto resumed = service().batch(analyst(), halfDone->id);
        QCOMPARE(resumed->status, u"completed"_s);
        QCOMPARE(resumed->processed, 300);
        QCOMPARE(count(u"SELECT COUNT(*) FROM screenings WHERE batch_id = ?"_s, {halfDone->id}), 50); // only the rest
    }

    // --- monitoring ------------------------------------------------------------------------------

    void monitoringNeedsAKnownCaseAndAnalyst()
    {
        QCOMPARE(service().setMonitoring(analyst(), kCaseMonitored, true).error().code, ErrorCode::NotFound);
        QCOMPARE(service().setMonitoring(analyst(), u"not-a-uuid"_s, true).error().code, ErrorCode::Validation);
        // Subjects of two cases, screened against the list before the change: the persons added a week later
        // are not on it yet.
        const QString monitoredName = naturalOrder(m_after.value(m_addedPersons[0])[0]);
        const QString otherName = naturalOrder(m_after.value(m_addedPersons[1])[0]);
        auto s1 = service().screen(analyst(), person(monitoredName, kCaseMonitored));
        QVERIFY2(s1, qPrintable(why(s1)));
        QVERIFY2(!s1->matches.size() || s1->matches.first().entityId != u"ofac_sdn:"_s + m_addedPersons[0],
                 "the person is not listed before 2024-05-03");
        auto s2 = service().screen(analyst(), person(u"Plain Ordinary Customer"_s, kCaseMonitored));
        QVERIFY2(s2, qPrintable(why(s2)));
        auto s3 = service().screen(analyst(), person(otherName, kCaseNotMonitored));
        QVERIFY2(s3, qPrintable(why(s3)));

        QCOMPARE(service().setMonitoring(viewer(), kCaseMonitored, true).error().code, ErrorCode::Forbidden);
        QCOMPARE(service().setMonitoring(ownerB(), kCaseMonitored, true).error().code,
                 ErrorCode::NotFound); // another firm's case
        auto on = service().setMonitoring(analyst(), kCaseMonitored, true);
        QVERIFY2(on, qPrintable(why(on)));
        QVERIFY(on->enabled);
        QCOMPARE(on->caseId, kCaseMonitored);
        QVERIFY(!on->lastScreenedAt.isEmpty());
        QCOMPARE(auditCount(m_firmA, u"monitoring.enabled"_s), 1);
    }

    void listChangeRaisesAlertsForTheDeltaOnly()
    {
        const qint64 screeningsBefore = count(u"SELECT COUNT(*) FROM screenings"_s);
        auto v = importSdn(kSdnAfter);
        QVERIFY2(v, qPrintable(why(v)));
        QCOMPARE(v->added, 305);
        QCOMPARE(v->removed, 8);
        QCOMPARE(v->version, 2);
        QVERIFY(v->alerts >= 1);

        auto alerts = service().alerts(analyst(), {}, {1, 100});
        QVERIFY2(alerts, qPrintable(why(alerts)));
        QCOMPARE(alerts->total, v->alerts);
        const QString expected = u"ofac_sdn:"_s + m_addedPersons[0];
        bool found = false;
        for (const auto &a : alerts->items) {
            QCOMPARE(a.caseId, kCaseMonitored); // the other case is not monitored
            QCOMPARE(a.status, u"open"_s);
            QCOMPARE(a.listSource, u"ofac_sdn"_s);
            QCOMPARE(a.listVersionId, v->id);
            QVERIFY2(a.change == u"added"_s || a.change == u"changed"_s, qPrintable(a.change));
            found = found || (a.entityId == expected && a.change == u"added"_s);
        }
        QVERIFY2(found, qPrintable(expected));
        // One monitoring screening per subject with new hits, holding only hits from the delta.
        ScreeningFilter f;
        f.source = u"monitoring"_s;
        auto monitoring = service().screenings(analyst(), f, {1, 100});
        QVERIFY2(monitoring, qPrintable(why(monitoring)));
        QCOMPARE(monitoring->total, 1);
        QCOMPARE(monitoring->items.first().caseId, kCaseMonitored);
        QCOMPARE(monitoring->items.first().status, u"potential_match"_s);
        QCOMPARE(count(u"SELECT COUNT(*) FROM screenings"_s), screeningsBefore + 1);
        // Another firm has no alert.
        auto other = service().alerts(ownerB(), {}, {1, 100});
        QVERIFY2(other, qPrintable(why(other)));
        QCOMPARE(other->total, 0);
        QCOMPARE(auditCount(m_firmA, u"monitoring.alerts_raised"_s), 1);
    }

    void resolvingTheMatchResolvesTheAlert()
    {
        auto alerts = service().alerts(analyst(), {u"open"_s, kCaseMonitored}, {1, 100});
        QVERIFY2(alerts && alerts->total >= 1, qPrintable(why(alerts)));
        const MonitoringAlert a = alerts->items.first();
        auto r = service().resolve(analyst(), a.screeningId, a.matchId, u"true_positive"_s, u"Same person: passport checked"_s);
        QVERIFY2(r, qPrintable(why(r)));
        auto resolved = service().alerts(analyst(), {u"resolved"_s, {}}, {1, 100});
        QVERIFY2(resolved, qPrintable(why(resolved)));
        QCOMPARE(resolved->total, 1);
        QCOMPARE(resolved->items.first().id, a.id);
        QVERIFY(!resolved->items.first().resolvedAt.isEmpty());
        auto open = service().alerts(analyst(), {u"open"_s, {}}, {1, 100});
        QCOMPARE(open->total, alerts->total - 1);
    }

    // The same list again changes nothing, so nothing is re-screened; a case no longer monitored gets no alert.
    void noDeltaOrNoMonitoringNoAlerts()
    {
        const qint64 alertsBefore = count(u"SELECT COUNT(*) FROM monitoring_alerts"_s);
        auto same = importSdn(kSdnAfter);
        QVERIFY2(same, qPrintable(why(same)));
        QCOMPARE(same->added + same->changed, 0);
        QCOMPARE(same->alerts, 0);

        auto off = service().setMonitoring(analyst(), kCaseMonitored, false);
        QVERIFY2(off, qPrintable(why(off)));
        QVERIFY(!off->enabled);
        // Going back to the older week is refused unless forced (the list's numbering says it is older).
        QCOMPARE(importSdn(kSdnBefore).error().code, ErrorCode::Conflict);
        auto back = service().importList(Actor::system(), u"ofac_sdn_csv"_s, {sanctionsFile(kSdnBefore)}, u"ofac_sdn"_s, {}, {},
                                         screening::ImportAge::AllowOlder);
        QVERIFY2(back, qPrintable(why(back)));
        QVERIFY(back->forced);
        auto forward = importSdn(kSdnAfter);
        QVERIFY2(forward, qPrintable(why(forward)));
        QCOMPARE(forward->added, 305);
        QCOMPARE(forward->alerts, 0);
        QCOMPARE(count(u"SELECT COUNT(*) FROM monitoring_alerts"_s), alertsBefore);
        QCOMPARE(auditCount(m_firmA, u"monitoring.disabled"_s), 1);
    }
};

QTEST_GUILESS_MAIN(TestScreeningWorkflow)
#include "tst_screening_workflow.moc"
