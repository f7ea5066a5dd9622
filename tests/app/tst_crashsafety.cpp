// Crash safety: the real kyconnect process is killed with SIGKILL (no clean-up of any kind) in the middle of a
// stream of audited writes, a 10 000-subject batch and a list import, then started again on the same data
// directory. Whatever moment the kill lands on, the audit chain verifies, every write the server acknowledged is
// there, the batch resumes and screens every subject exactly once, and every serving list version is whole.
#include "tests/testsupport/kycprocess.h"
#include "tests/testsupport/rawdb.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QUuid>

#include <atomic>
#include <mutex>
#include <thread>

using namespace kyc;
using namespace kyc::test;
using namespace Qt::StringLiterals;

namespace {

const QString kOwner = u"owner@demo.kyconnect.local"_s;
const QString kPassword = u"kyconnect-demo-2026"_s;

// The SQLite file of a data directory, read directly as an operator with a shell would after the crash.
QString dbFile(const QString &dataDir)
{
    return QDir(dataDir).filePath(u"kyconnect.db"_s);
}

Headers jsonHeaders(const QString &token = {})
{
    Headers h{{"Content-Type", "application/json"}};
    if (!token.isEmpty())
        h.append(std::pair<QByteArray, QByteArray>("Authorization", "Bearer " + token.toUtf8()));
    return h;
}

QByteArray toBody(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QJsonObject dataOf(const HttpResult &r)
{
    const QJsonObject o = r.json();
    return o.contains(u"data"_s) && o.value(u"data"_s).isObject() ? o.value(u"data"_s).toObject() : o;
}

} // namespace

class TestCrashSafety final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void auditedWritesSurviveKill();
    void batchResumesAfterKill();
    void listImportKilledLeavesServingVersionsWhole();

private:
    // Starts a headless server with the demo firm (and, on a new directory, the demo lists) on `dataDir`.
    std::unique_ptr<KycProcess> startServer(const QString &dataDir, quint16 *port);
    QString login(quint16 port);
    // `kyconnect admin verify-audit` on the directory must say intact (exit 0).
    void verifyAudit(const QString &dataDir);
    // Every active list version has exactly its entity count of entities, and one version is active per source.
    void checkListVersionsWhole(const QString &dataDir);

    QTemporaryDir m_xdg;
};

void TestCrashSafety::initTestCase()
{
    QVERIFY2(QFileInfo(kyconnectBinary()).isExecutable(), qPrintable(kyconnectBinary() + u" is missing"_s));
    QVERIFY2(QFileInfo::exists(sharedDir() + u"/data/sanctions"_s), "../shared/data is needed");
    QVERIFY(m_xdg.isValid());
}

std::unique_ptr<KycProcess> TestCrashSafety::startServer(const QString &dataDir, quint16 *port)
{
    auto p = std::make_unique<KycProcess>(
        QStringList{u"--headless"_s, u"--demo"_s, u"--port"_s, u"0"_s, u"--data-dir"_s, dataDir}, m_xdg.path(),
        QStringList{u"KYCONNECT_DEMO_DATA="_s + sharedDir() + u"/data"_s, u"KYCONNECT_RATE_GENERAL=0/60"_s,
                    u"KYCONNECT_RATE_LOGIN=0/3600"_s, u"KYCONNECT_LIST_REFRESH_HOURS=0"_s});
    const auto api = p->waitForApi(120000);
    *port = api.value_or(0);
    if (!api)
        qWarning().noquote() << p->diagnostics();
    return p;
}

QString TestCrashSafety::login(quint16 port)
{
    const HttpResult r
        = request(port, "POST", "/api/v1/auth/login", toBody({{u"email"_s, kOwner}, {u"password"_s, kPassword}}), jsonHeaders());
    return dataOf(r).value(u"access_token"_s).toString();
}

void TestCrashSafety::verifyAudit(const QString &dataDir)
{
    QByteArray diag;
    const int code = runKyconnect({u"admin"_s, u"verify-audit"_s, u"--data-dir"_s, dataDir}, m_xdg.path(), {}, &diag);
    QVERIFY2(code == 0, diag.constData());
}

void TestCrashSafety::checkListVersionsWhole(const QString &dataDir)
{
    RawDb db(dbFile(dataDir));
    QVERIFY(db.isOpen());
    const auto active = db.rows(u"SELECT v.id, v.source, v.entity_count,"
                                " (SELECT COUNT(*) FROM list_entities e WHERE e.version_id = v.id)"
                                " FROM list_versions v WHERE v.active = 1"_s);
    QVERIFY2(!active.isEmpty(), "no list version serves");
    for (const auto &row : active) {
        QVERIFY2(row.value(2).toLongLong() > 0, qPrintable(row.value(1).toString()));
        QCOMPARE(row.value(3).toLongLong(), row.value(2).toLongLong());
    }
    QCOMPARE(db.scalar(u"SELECT COUNT(*) FROM (SELECT source FROM list_versions WHERE active = 1"
                       " GROUP BY source HAVING COUNT(*) > 1) AS t"_s)
                 .toLongLong(),
             0);
}

// Four clients create API keys (each one row and one audit event in one transaction) as fast as they can; the
// server is killed while their requests are in flight.
void TestCrashSafety::auditedWritesSurviveKill()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    quint16 port = 0;
    auto server = startServer(dir.path(), &port);
    QVERIFY(port != 0);
    const QString token = login(port);
    QVERIFY(!token.isEmpty());

    std::mutex mutex;
    QStringList acknowledged;
    std::atomic<bool> stop = false;
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
        clients.emplace_back([&, c] {
            for (int i = 0; !stop; ++i) {
                const QJsonObject body{{u"name"_s, u"crash %1-%2"_s.arg(c).arg(i)}, {u"scopes"_s, QJsonArray{u"audit:read"_s}}};
                const HttpResult r = request(port, "POST", "/api/v1/api-keys", toBody(body), jsonHeaders(token), 5000);
                if (!r.ok)
                    return; // the server is gone
                if (r.status == 201) {
                    std::lock_guard lock(mutex);
                    acknowledged << dataOf(r).value(u"id"_s).toString();
                }
            }
        });
    }
    auto ackCount = [&] {
        std::lock_guard lock(mutex);
        return acknowledged.size();
    };
    for (int waited = 0; ackCount() < 150 && waited < 600; ++waited)
        QThread::msleep(50);
    server->killHard(); // while the clients still send
    stop = true;
    for (auto &t : clients)
        t.join();
    QVERIFY2(acknowledged.size() >= 150, "the server did not acknowledge enough writes before the kill");
    QVERIFY(!acknowledged.contains(QString()));

    {
        RawDb db(dbFile(dir.path()));
        QVERIFY(db.isOpen());
        for (const QString &id : std::as_const(acknowledged)) {
            QVERIFY2(db.scalar(u"SELECT COUNT(*) FROM api_keys WHERE id = ?"_s, {id}).toLongLong() == 1,
                     qPrintable(u"key lost: "_s + id));
            QVERIFY2(db.scalar(u"SELECT COUNT(*) FROM audit_events WHERE action = 'api_key.created' AND entity_id = ?"_s, {id})
                             .toLongLong()
                         == 1,
                     qPrintable(u"audit event lost: "_s + id));
        }
        // No change without its audit event, even for writes that never got their answer out.
        QCOMPARE(db.scalar(u"SELECT COUNT(*) FROM api_keys k WHERE NOT EXISTS (SELECT 1 FROM audit_events e"
                           " WHERE e.action = 'api_key.created' AND e.entity_id = k.id)"_s)
                     .toLongLong(),
                 0);
    }
    verifyAudit(dir.path());

    // The server starts again on the crashed directory and keeps writing onto the same chain.
    server = startServer(dir.path(), &port);
    QVERIFY(port != 0);
    const QString again = login(port);
    QVERIFY(!again.isEmpty());
    const HttpResult r
        = request(port, "POST", "/api/v1/api-keys", toBody({{u"name"_s, u"after"_s}, {u"scopes"_s, QJsonArray{u"audit:read"_s}}}),
                  jsonHeaders(again));
    QCOMPARE(r.status, 201);
    QVERIFY(server->stop());
    verifyAudit(dir.path());
}

// A 10 000-subject batch is killed half-way (at least one chunk committed, not all); after the restart the batch
// resumes and ends with exactly one screening per subject.
void TestCrashSafety::batchResumesAfterKill()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    quint16 port = 0;
    auto server = startServer(dir.path(), &port);
    QVERIFY(port != 0);
    const QString token = login(port);
    QVERIFY(!token.isEmpty());

    constexpr int kSubjects = 10000;
    QJsonArray subjects;
    const QStringList given{u"Anna"_s, u"Omar"_s, u"Li"_s, u"Carlos"_s, u"Ivan"_s, u"Fatima"_s, u"John"_s, u"Mei"_s};
    const QStringList family{u"Petrova"_s, u"Haddad"_s, u"Wang"_s, u"Moreno"_s, u"Kowalski"_s, u"Okafor"_s, u"Smith"_s};
    for (int i = 0; i < kSubjects; ++i)
        subjects.append(
            QJsonObject{{u"name"_s, u"%1 %2 %3"_s.arg(given[i % given.size()], family[(i / 8) % family.size()]).arg(i)},
                        {u"type"_s, u"person"_s}});
    const QByteArray body = toBody({{u"subjects"_s, subjects}});
    Headers headers = jsonHeaders(token);
    headers.append(std::pair<QByteArray, QByteArray>("Idempotency-Key", "crash-batch-1"));

    HttpResult r = request(port, "POST", "/api/v1/aml/screen/batch", body, headers, 60000);
    QVERIFY2(r.status == 202 || r.status == 201 || r.status == 200, r.body.constData());
    const QString batchId = dataOf(r).value(u"id"_s).toString();
    QVERIFY(!batchId.isEmpty());

    qint64 processedAtKill = -1;
    for (int polls = 0; polls < 20000; ++polls) {
        r = request(port, "POST", "/api/v1/aml/screen/batch", body, headers, 60000);
        const QJsonObject b = dataOf(r);
        QCOMPARE(b.value(u"id"_s).toString(), batchId);
        const qint64 processed = b.value(u"processed"_s).toInteger();
        if (processed >= kSubjects || b.value(u"status"_s).toString() == u"completed"_s)
            break;
        if (processed > 0) {
            server->killHard();
            processedAtKill = processed;
            break;
        }
    }
    QVERIFY2(processedAtKill > 0, "the batch completed before it could be interrupted");

    {
        RawDb db(dbFile(dir.path()));
        QVERIFY(db.isOpen());
        const qint64 stored = db.scalar(u"SELECT COUNT(*) FROM screenings WHERE batch_id = ?"_s, {batchId}).toLongLong();
        const qint64 processed = db.scalar(u"SELECT processed FROM screening_batches WHERE id = ?"_s, {batchId}).toLongLong();
        // The counter and the screenings move in one transaction: the crash leaves them equal.
        QCOMPARE(stored, processed);
        QVERIFY(processed >= processedAtKill);
        QVERIFY(processed < kSubjects);
    }

    server = startServer(dir.path(), &port);
    QVERIFY(port != 0);
    const QString again = login(port);
    QVERIFY(!again.isEmpty());
    headers = jsonHeaders(again);
    headers.append(std::pair<QByteArray, QByteArray>("Idempotency-Key", "crash-batch-1"));
    QJsonObject b;
    for (int polls = 0; polls < 6000; ++polls) {
        r = request(port, "POST", "/api/v1/aml/screen/batch", body, headers, 60000);
        b = dataOf(r);
        QCOMPARE(b.value(u"id"_s).toString(), batchId);
        if (b.value(u"status"_s).toString() == u"completed"_s)
            break;
        QThread::msleep(50);
    }
    QCOMPARE(b.value(u"status"_s).toString(), u"completed"_s);
    QCOMPARE(b.value(u"processed"_s).toInteger(), kSubjects);
    QVERIFY(server->stop());
    {
        RawDb db(dbFile(dir.path()));
        QCOMPARE(db.scalar(u"SELECT COUNT(*) FROM screenings WHERE batch_id = ?"_s, {batchId}).toLongLong(), qint64(kSubjects));
        // One screening per subject: no chunk was screened twice.
        QCOMPARE(db.scalar(u"SELECT COUNT(DISTINCT subject_key) FROM screenings WHERE batch_id = ?"_s, {batchId}).toLongLong(),
                 qint64(kSubjects));
    }
    verifyAudit(dir.path());
}

// `kyconnect admin import-list` is killed at several points of an import (while it parses, once it starts writing,
// later); each time every serving list version stays whole, and the server starts and screens on them.
void TestCrashSafety::listImportKilledLeavesServingVersionsWhole()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    quint16 port = 0;
    {
        auto server = startServer(dir.path(), &port); // loads the demo lists
        QVERIFY(port != 0);
        QVERIFY(server->stop());
    }
    checkListVersionsWhole(dir.path());
    const QString sdn = sharedDir() + u"/data/sanctions/ofac_sdn_csv/2024-05-03_full/sdn.csv"_s;
    const QString cons = sharedDir() + u"/data/sanctions/ofac_cons_csv/2025-12-19"_s;
    QStringList consFiles;
    for (const auto &f : QDir(cons).entryList({u"*.csv"_s, u"*.CSV"_s}, QDir::Files))
        consFiles << QDir(cons).filePath(f);
    QVERIFY(!consFiles.isEmpty());

    // Kill points: once parsing has begun, once it has finished (the write transaction), and a little later.
    const struct {
        QStringList args;
        QByteArray killAfter;
        int extraDelayMs;
    } attempts[] = {
        {QStringList{u"ofac_sdn_csv"_s, sdn, u"--name"_s, u"crash_copy"_s}, "importing", 0},
        {QStringList{u"ofac_sdn_csv"_s, sdn, u"--name"_s, u"crash_copy"_s}, "100%", 0},
        {QStringList{u"ofac_sdn_csv"_s, sdn, u"--name"_s, u"crash_copy"_s}, "100%", 40},
        {QStringList{u"ofac_cons_csv"_s} + consFiles, "100%", 10},
    };
    for (const auto &a : attempts) {
        KycProcess cli(QStringList{u"admin"_s, u"import-list"_s} + a.args + QStringList{u"--data-dir"_s, dir.path()},
                       m_xdg.path());
        if (cli.waitForOutput(a.killAfter, 120000)) {
            if (a.extraDelayMs > 0)
                QThread::msleep(a.extraDelayMs);
            cli.killHard();
        }
        QVERIFY(cli.waitForExit());
        checkListVersionsWhole(dir.path());
    }

    auto server = startServer(dir.path(), &port);
    QVERIFY(port != 0);
    const QString token = login(port);
    QVERIFY(!token.isEmpty());
    const HttpResult ready = request(port, "GET", "/api/v1/health/ready");
    QVERIFY2(ready.status == 200 || ready.status == 503, ready.body.constData());
    QVERIFY2(!ready.body.contains("sanctions_lists\":{\"status\":\"down"), ready.body.constData());
    const HttpResult hit
        = request(port, "POST", "/api/v1/aml/screen", toBody({{u"name"_s, u"Bank Melli Iran"_s}, {u"type"_s, u"organization"_s}}),
                  jsonHeaders(token));
    QCOMPARE(hit.status, 201);
    QVERIFY2(dataOf(hit).value(u"matches"_s).toArray().size() > 0, hit.body.constData());
    QVERIFY(server->stop());
    verifyAudit(dir.path());
}

QTEST_GUILESS_MAIN(TestCrashSafety)
#include "tst_crashsafety.moc"
