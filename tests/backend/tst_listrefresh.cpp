// Scheduled refresh of the sanctions lists (issue 4, Lists) against a local HTTP server serving the real files
// of ../shared/data/sanctions: first import, conditional GET answered 304, a changed list imported with its
// delta, the same bytes under a new ETag imported not at all, transient failures retried, a permanent failure
// recorded with back-off while the last good version keeps serving, truncated bodies and garbage refused,
// staleness reported by the status and /health/ready, the audit trail.
#include "backend/screening/listrefresher.h"
#include "tests/testsupport/fakehttpserver.h"
#include "tests/testsupport/testsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

using namespace kyc;
using namespace kyc::screening;
using namespace Qt::Literals::StringLiterals;

namespace {

QString sanctionsFile(const QString &relative)
{
    return test::sharedDir() + u"/data/sanctions/"_s + relative;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

const QString kUnFile = u"un_consolidated_xml/2026-02-27/UN_consolidated.xml"_s;
const QString kSdnBefore = u"ofac_sdn_csv/2024-04-26_full/sdn.csv"_s;
const QString kSdnAfter = u"ofac_sdn_csv/2024-05-03_full/sdn.csv"_s;
const QString kOfacFixture = u"ofac_sdn_csv/fixture_2025-05_watchman_ofactest/"_s;

const QString kUnPath = u"/un/consolidated.xml"_s;
const QString kSdnPath = u"/ofac/sdn.csv"_s;

const QDateTime kPublished(QDate(2025, 12, 1), QTime(8, 0), Qt::UTC);

// A backend whose KYCONNECT_LIST_SOURCES_FILE points the sources at the local server.
class Env
{
public:
    explicit Env(const QJsonArray &sources, QJsonObject settings = {})
    {
        settings.insert(u"sources"_s, sources);
        if (!settings.contains(u"retry_delay_ms"_s))
            settings.insert(u"retry_delay_ms"_s, 0);
        if (!settings.contains(u"timeout_seconds"_s))
            settings.insert(u"timeout_seconds"_s, 30);
        m_file = m_dir.filePath(u"list-sources.json"_s);
        QFile f(m_file);
        if (f.open(QIODevice::WriteOnly))
            f.write(QJsonDocument(settings).toJson());
        f.close();
        Config config = test::testConfig();
        config.listSourcesFile = m_file;
        m_backend = std::make_unique<test::TempBackend>(config);
    }

    [[nodiscard]] bool ok() const { return m_backend->ok(); }
    [[nodiscard]] Backend &backend() { return m_backend->backend(); }
    [[nodiscard]] FakeClock &clock() { return m_backend->clock(); }
    [[nodiscard]] ListRefresher &refresher() { return backend().listRefresher(); }
    [[nodiscard]] QString sourcesFile() const { return m_file; }

    [[nodiscard]] QList<ListVersion> lists()
    {
        auto l = backend().screening().lists(Actor::system());
        return l ? *l : QList<ListVersion>{};
    }
    [[nodiscard]] ListVersion active(const QString &source)
    {
        for (const auto &v : lists()) {
            if (v.source == source)
                return v;
        }
        return {};
    }
    [[nodiscard]] int versionCount(const QString &source)
    {
        QSqlQuery q(backend().database().connection());
        q.prepare(u"SELECT COUNT(*) FROM list_versions WHERE source = ?"_s);
        q.addBindValue(source);
        return q.exec() && q.next() ? q.value(0).toInt() : -1;
    }
    [[nodiscard]] ListRefreshStatus status(const QString &source)
    {
        auto all = refresher().status();
        if (all) {
            for (const auto &s : *all) {
                if (s.source == source)
                    return s;
            }
        }
        return {};
    }
    [[nodiscard]] QList<audit::Event> events(const QString &action)
    {
        audit::Filter filter;
        filter.action = action;
        auto page = backend().audit().list(QString(), filter, PageRequest{1, 100});
        return page ? page->items : QList<audit::Event>{};
    }
    [[nodiscard]] Result<QString> readiness(const QString &name)
    {
        for (const auto &c : backend().readinessChecks()) {
            if (c.name == name)
                return c.run();
        }
        return fail(ErrorCode::NotFound, u"no check named "_s + name);
    }

private:
    QTemporaryDir m_dir;
    QString m_file;
    std::unique_ptr<test::TempBackend> m_backend;
};

QJsonObject source(const QString &id, const QString &format, const QJsonArray &urls)
{
    return {{u"source"_s, id}, {u"format"_s, format}, {u"urls"_s, urls}};
}

// The refresher's reports, received on the test's thread (the signal comes from the refresher's).
class Reports : public QObject, public QList<std::pair<QString, QString>>
{
public:
    explicit Reports(ListRefresher &refresher)
    {
        connect(&refresher, &ListRefresher::refreshed, this,
                [this](const QString &source, const QString &outcome, const QString &) {
                    append({source, outcome});
                });
    }
};

// JSON written with single quotes (moc 6.4 misreads "//" inside raw string literals).
QByteArray json(const char *singleQuoted)
{
    return QByteArray(singleQuoted).replace('\'', '"');
}

QString describe(const Result<RefreshResult> &r)
{
    if (!r)
        return u"error: "_s + r.error().message;
    return refreshOutcomeName(r->outcome) + u" "_s + r->error;
}

} // namespace

class TestListRefresh final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(sanctionsFile(kUnFile)), qPrintable(sanctionsFile(kUnFile)));
        QVERIFY(QFile::exists(sanctionsFile(kSdnBefore)));
        QVERIFY(QFile::exists(sanctionsFile(kSdnAfter)));
    }

    void builtInTableHasTheOfficialUrls()
    {
        auto t = defaultListSources();
        QVERIFY2(t.has_value(), t ? "" : qPrintable(t.error().message));
        QVERIFY(!t->explicitSources);
        QCOMPARE(t->maxBytes, qint64(200) * 1024 * 1024);
        const QStringList ids{u"ofac_sdn"_s, u"ofac_cons"_s, u"un"_s, u"eu_fsf"_s, u"uk_hmt"_s, u"us_bis_dpl"_s, u"us_csl"_s};
        for (const auto &id : ids)
            QVERIFY2(t->find(id), qPrintable(id));
        const ListSourceConfig *sdn = t->find(u"ofac_sdn"_s);
        QCOMPARE(sdn->format, ListFormat::OfacSdnCsv);
        QStringList names;
        for (const auto &u : sdn->urls) {
            QCOMPARE(u.url.scheme(), u"https"_s);
            QCOMPARE(u.url.host(), u"www.treasury.gov"_s);
            names << u.fileName;
        }
        QCOMPARE(names, (QStringList{u"sdn.csv"_s, u"add.csv"_s, u"alt.csv"_s, u"sdn_comments.csv"_s}));
        QCOMPARE(t->find(u"ofac_cons"_s)->urls.first().url.toString(),
                 u"https://www.treasury.gov/ofac/downloads/consolidated/cons_prim.csv"_s);
        QCOMPARE(t->find(u"un"_s)->urls.first().url.toString(),
                 u"https://scsanctions.un.org/resources/xml/en/consolidated.xml"_s);
        QCOMPARE(t->find(u"eu_fsf"_s)->urls.first().fileName, u"eu_fsf.xml"_s); // the URL's own name is "content"
        QCOMPARE(t->find(u"uk_hmt"_s)->urls.first().url.toString(),
                 u"https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.xml"_s);
        QCOMPARE(t->find(u"us_bis_dpl"_s)->urls.first().url.toString(), u"https://www.bis.doc.gov/dpl/dpl.txt"_s);
        QCOMPARE(t->find(u"us_csl"_s)->urls.first().url.toString(),
                 u"https://data.trade.gov/downloaded_files/consolidated.csv"_s);
    }

    void sourceTableIsValidated_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("not json") << json("{");
        QTest::newRow("no sources") << json("{'attempts': 3}");
        QTest::newRow("unknown format") << json("{'sources': [{'source': 'x', 'format': 'pdf', 'urls': ['https://a.test/x']}]}");
        QTest::newRow("no url") << json("{'sources': [{'source': 'x', 'format': 'un_xml', 'urls': []}]}");
        QTest::newRow("ftp url") << json("{'sources': [{'source': 'x', 'format': 'un_xml', 'urls': ['ftp://a.test/x.xml']}]}");
        QTest::newRow("two files for one-file format") << json(
            "{'sources': [{'source': 'x', 'format': 'un_xml', 'urls': ['https://a.test/a.xml', 'https://a.test/b.xml']}]}");
        QTest::newRow("same file twice") << json("{'sources': [{'source': 'x', 'format': 'ofac_sdn_csv', 'urls': "
                                                 "['https://a.test/sdn.csv', 'https://b.test/sdn.csv']}]}");
        QTest::newRow("no file name") << json("{'sources': [{'source': 'x', 'format': 'un_xml', 'urls': ['https://a.test/']}]}");
        QTest::newRow("bad source id") << json(
            "{'sources': [{'source': '../x', 'format': 'un_xml', 'urls': ['https://a.test/x']}]}");
        QTest::newRow("duplicate source") << json(
            "{'sources': [{'source': 'x', 'format': 'un_xml', 'urls': ['https://a.test/x']}, "
            "{'source': 'x', 'format': 'un_xml', 'urls': ['https://a.test/y']}]}");
        QTest::newRow("attempts 0") << json("{'attempts': 0, 'sources': []}");
        QTest::newRow("max_bytes text") << json("{'max_bytes': 'big', 'sources': []}");
    }

    void sourceTableIsValidated()
    {
        QFETCH(QByteArray, text);
        auto t = parseListSources(text);
        QVERIFY(!t.has_value());
        QCOMPARE(t.error().code, ErrorCode::Validation);
    }

    void unreadableSourcesFileStopsTheBackend()
    {
        Config config = test::testConfig();
        config.listSourcesFile = u"/nonexistent/list-sources.json"_s;
        test::TempBackend tb(config);
        QVERIFY(!tb.ok());
    }

    void firstRefreshImportsThenConditionalGetAnswers304()
    {
        test::FakeHttpServer http;
        QVERIFY(http.isListening());
        QVERIFY(http.serveFile(kUnPath, sanctionsFile(kUnFile), "\"un-1\"", kPublished));
        Env env({source(u"un"_s, u"un_xml"_s, {http.url(kUnPath).toString()})});
        QVERIFY(env.ok());
        QVERIFY(env.refresher().table().explicitSources);
        QVERIFY(env.status(u"un"_s).scheduled); // explicit: refreshed before any import

        auto first = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(first && first->outcome == RefreshOutcome::Imported, qPrintable(describe(first)));
        QCOMPARE(first->version.entityCount, 1003); // PROVENANCE.md
        QCOMPARE(first->version.source, u"un"_s);
        QCOMPARE(env.active(u"un"_s).id, first->version.id);
        QCOMPARE(env.backend().screening().loadedEntities(), 1003);
        // The checksum is the file's, as if imported by hand.
        QCOMPARE(
            first->version.sha256,
            QString::fromLatin1(QCryptographicHash::hash(readAll(sanctionsFile(kUnFile)), QCryptographicHash::Sha256).toHex()));

        const auto r1 = http.requests(kUnPath);
        QCOMPARE(r1.size(), 1);
        QVERIFY(!r1[0].hasHeader("If-None-Match"));
        QVERIFY(!r1[0].hasHeader("If-Modified-Since"));
        QVERIFY2(r1[0].header("User-Agent").startsWith("KYConnect/"), r1[0].header("User-Agent").constData());

        const ListRefreshStatus s1 = env.status(u"un"_s);
        QVERIFY(s1.loaded);
        QCOMPARE(s1.versionId, first->version.id);
        QCOMPARE(s1.consecutiveFailures, 0);
        QVERIFY(s1.lastError.isEmpty());
        QCOMPARE(s1.lastCheckedAt, isoUtc(env.clock().now()));
        QCOMPARE(s1.lastSuccessAt, s1.lastCheckedAt);
        QCOMPARE(s1.lastChangedAt, s1.lastCheckedAt);
        QCOMPARE(s1.nextAttemptAt, isoUtc(env.clock().now().addSecs(24 * 3600)));
        QCOMPARE(s1.ageSeconds, 0);
        QVERIFY(!s1.stale);
        QCOMPARE(s1.urls, QStringList{http.url(kUnPath).toString()});

        // A day later: the conditional GET gets 304 and nothing is imported.
        env.clock().advanceMs(24LL * 3600 * 1000);
        auto second = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(second && second->outcome == RefreshOutcome::NotModified, qPrintable(describe(second)));
        const auto r2 = http.requests(kUnPath);
        QCOMPARE(r2.size(), 2);
        QCOMPARE(r2[1].header("If-None-Match"), QByteArray("\"un-1\""));
        QCOMPARE(test::FakeHttpServer::parseHttpDate(r2[1].header("If-Modified-Since")), kPublished);
        QCOMPARE(env.versionCount(u"un"_s), 1);
        QCOMPARE(env.active(u"un"_s).id, first->version.id);
        const ListRefreshStatus s2 = env.status(u"un"_s);
        QCOMPARE(s2.lastSuccessAt, isoUtc(env.clock().now()));
        QCOMPARE(s2.lastChangedAt, s1.lastChangedAt);
        QCOMPARE(s2.ageSeconds, 0); // confirmed current just now, though loaded a day ago

        // The server stops sending an ETag: the If-None-Match it no longer knows gets the body again (the same
        // bytes, nothing imported), and from then on If-Modified-Since alone gets 304.
        http.serveFile(kUnPath, sanctionsFile(kUnFile), {}, kPublished);
        env.clock().advanceMs(3600 * 1000);
        auto third = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(third && third->outcome == RefreshOutcome::Unchanged, qPrintable(describe(third)));
        auto fourth = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(fourth && fourth->outcome == RefreshOutcome::NotModified, qPrintable(describe(fourth)));
        QVERIFY(!http.requests(kUnPath).last().hasHeader("If-None-Match"));
        QVERIFY(http.requests(kUnPath).last().hasHeader("If-Modified-Since"));
        QCOMPARE(env.versionCount(u"un"_s), 1);
        QCOMPARE(env.events(u"list.refreshed"_s).size(), 1); // only the refresh that changed the list
    }

    void changedListImportsItsDelta()
    {
        test::FakeHttpServer http;
        QVERIFY(http.serveFile(kSdnPath, sanctionsFile(kSdnBefore), "\"sdn-0426\"", kPublished));
        Env env({source(u"ofac_sdn"_s, u"ofac_sdn_csv"_s, {http.url(kSdnPath).toString()})});
        QVERIFY(env.ok());
        auto before = env.refresher().refreshNow(u"ofac_sdn"_s);
        QVERIFY2(before && before->outcome == RefreshOutcome::Imported, qPrintable(describe(before)));
        QCOMPARE(before->version.added, before->version.entityCount);

        // The real one-week change: 305 added, 8 removed (PROVENANCE.md).
        QVERIFY(http.serveFile(kSdnPath, sanctionsFile(kSdnAfter), "\"sdn-0503\"", kPublished.addDays(7)));
        env.clock().advanceMs(7LL * 24 * 3600 * 1000);
        auto after = env.refresher().refreshNow(u"ofac_sdn"_s);
        QVERIFY2(after && after->outcome == RefreshOutcome::Imported, qPrintable(describe(after)));
        QCOMPARE(after->version.added, 305);
        QCOMPARE(after->version.removed, 8);
        QCOMPARE(after->version.entityCount, before->version.entityCount + 305 - 8);
        QCOMPARE(http.requests(kSdnPath).last().header("If-None-Match"), QByteArray("\"sdn-0426\""));
        QCOMPARE(env.active(u"ofac_sdn"_s).id, after->version.id);
        QCOMPARE(env.versionCount(u"ofac_sdn"_s), 2);

        const auto refreshed = env.events(u"list.refreshed"_s);
        QCOMPARE(refreshed.size(), 2);
        const audit::Event &e = refreshed.first(); // newest first
        QCOMPARE(e.entityType, u"list_source"_s);
        QCOMPARE(e.entityId, u"ofac_sdn"_s);
        QCOMPARE(e.actorType, u"system"_s);
        QVERIFY(e.firmId.isEmpty());
        QCOMPARE(e.details.value(u"version_id"_s).toString(), after->version.id);
        QCOMPARE(e.details.value(u"added"_s).toInteger(), 305);
        QCOMPARE(e.details.value(u"removed"_s).toInteger(), 8);
        QCOMPARE(env.events(u"list.imported"_s).size(), 2); // importList's own event stays
    }

    void sameBytesUnderANewEtagImportNothing()
    {
        test::FakeHttpServer http;
        QVERIFY(http.serveFile(kUnPath, sanctionsFile(kUnFile), "\"v1\""));
        Env env({source(u"un"_s, u"un_xml"_s, {http.url(kUnPath).toString()})});
        QVERIFY(env.ok());
        auto first = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(first && first->outcome == RefreshOutcome::Imported, qPrintable(describe(first)));

        QVERIFY(http.serveFile(kUnPath, sanctionsFile(kUnFile), "\"v2\""));
        env.clock().advanceMs(3600 * 1000);
        auto second = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(second && second->outcome == RefreshOutcome::Unchanged, qPrintable(describe(second)));
        QCOMPARE(env.versionCount(u"un"_s), 1);
        QCOMPARE(env.active(u"un"_s).id, first->version.id);
        QCOMPARE(env.status(u"un"_s).lastSuccessAt, isoUtc(env.clock().now()));

        // The new ETag is what the next conditional GET sends.
        auto third = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(third && third->outcome == RefreshOutcome::NotModified, qPrintable(describe(third)));
        QCOMPARE(http.requests(kUnPath).last().header("If-None-Match"), QByteArray("\"v2\""));
    }

    void manualImportIsRecognisedByItsChecksum()
    {
        // A list imported by hand, then found unchanged at its URL: no second version.
        test::FakeHttpServer http;
        QVERIFY(http.serveFile(kUnPath, sanctionsFile(kUnFile), "\"v1\""));
        Env env({source(u"un"_s, u"un_xml"_s, {http.url(kUnPath).toString()})});
        QVERIFY(env.ok());
        auto manual = env.backend().screening().importList(Actor::system(), ListFormat::UnXml, {sanctionsFile(kUnFile)});
        QVERIFY(manual.has_value());
        auto r = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(r && r->outcome == RefreshOutcome::Unchanged, qPrintable(describe(r)));
        QCOMPARE(env.versionCount(u"un"_s), 1);
    }

    void transientFailuresAreRetried_data()
    {
        QTest::addColumn<int>("fault");
        QTest::addColumn<int>("times");
        QTest::newRow("500 once") << 500 << 1;
        QTest::newRow("503 twice") << 503 << 2;
        QTest::newRow("connection dropped once") << 0 << 1;
        QTest::newRow("truncated once") << -1 << 1;
    }

    void transientFailuresAreRetried()
    {
        QFETCH(int, fault);
        QFETCH(int, times);
        test::FakeHttpServer http;
        QVERIFY(http.serveFile(kUnPath, sanctionsFile(kUnFile), "\"v1\""));
        if (fault > 0)
            http.failWith(kUnPath, fault, times);
        else if (fault == 0)
            http.dropConnection(kUnPath, times);
        else
            http.truncate(kUnPath, times);
        Env env({source(u"un"_s, u"un_xml"_s, {http.url(kUnPath).toString()})}, {{u"attempts"_s, 3}});
        QVERIFY(env.ok());
        auto r = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(r && r->outcome == RefreshOutcome::Imported, qPrintable(describe(r)));
        if (fault <= 0) {
            // Qt itself resends a request whose connection closed early (now and then after a partial answer
            // too); either way it is retried.
            QVERIFY(r->requests <= times + 1);
            QVERIFY(http.requestCount(kUnPath) >= times + 1);
        } else {
            QCOMPARE(r->requests, times + 1);
            QCOMPARE(http.requestCount(kUnPath), times + 1);
        }
        QCOMPARE(env.status(u"un"_s).consecutiveFailures, 0);
        QVERIFY(env.events(u"list.refresh_failed"_s).isEmpty());
    }

    void permanentFailureKeepsTheServingVersion()
    {
        test::FakeHttpServer http;
        QVERIFY(http.serveFile(kUnPath, sanctionsFile(kUnFile), "\"v1\""));
        Env env({source(u"un"_s, u"un_xml"_s, {http.url(kUnPath).toString()})},
                {{u"attempts"_s, 3}, {u"failure_backoff_minutes"_s, 15}});
        QVERIFY(env.ok());
        auto good = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(good && good->outcome == RefreshOutcome::Imported, qPrintable(describe(good)));

        http.failWith(kUnPath, 500);
        http.clearRequests();
        env.clock().advanceMs(24LL * 3600 * 1000);
        auto failed = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(failed && failed->outcome == RefreshOutcome::Failed, qPrintable(describe(failed)));
        QVERIFY2(failed->error.contains(u"500"_s), qPrintable(failed->error));
        QCOMPARE(http.requestCount(kUnPath), 3); // all the tries of one refresh
        QCOMPARE(env.active(u"un"_s).id, good->version.id);
        QCOMPARE(env.backend().screening().loadedEntities(), 1003);

        const QDateTime failedAt = env.clock().now();
        ListRefreshStatus s = env.status(u"un"_s);
        QCOMPARE(s.consecutiveFailures, 1);
        QVERIFY2(s.lastError.contains(u"500"_s), qPrintable(s.lastError));
        QCOMPARE(s.lastCheckedAt, isoUtc(failedAt));
        QCOMPARE(s.nextAttemptAt, isoUtc(failedAt.addSecs(15 * 60)));
        QCOMPARE(s.lastSuccessAt, isoUtc(failedAt.addSecs(-24 * 3600))); // the last good one
        QCOMPARE(s.ageSeconds, 24 * 3600);
        QVERIFY(!s.stale);

        const auto events = env.events(u"list.refresh_failed"_s);
        QCOMPARE(events.size(), 1);
        QCOMPARE(events.first().entityId, u"un"_s);
        QCOMPARE(events.first().details.value(u"consecutive_failures"_s).toInt(), 1);
        QVERIFY(events.first().details.value(u"error"_s).toString().contains(u"500"_s));
        QCOMPARE(events.first().details.value(u"next_attempt_at"_s).toString(), s.nextAttemptAt);

        // Not due before next_attempt_at: the timer's pass makes no request.
        http.clearRequests();
        QVERIFY(env.refresher().refreshDue().isEmpty());
        QCOMPARE(http.requestCount(), 0);

        // Due after it; the back-off grows.
        env.clock().advanceMs(16 * 60 * 1000);
        const auto due = env.refresher().refreshDue();
        QCOMPARE(due.size(), 1);
        QCOMPARE(due.first().outcome, RefreshOutcome::Failed);
        s = env.status(u"un"_s);
        QCOMPARE(s.consecutiveFailures, 2);
        QCOMPARE(s.nextAttemptAt, isoUtc(env.clock().now().addSecs(30 * 60)));
        QCOMPARE(env.events(u"list.refresh_failed"_s).size(), 2);

        // The source is back: success resets the failures, and the validators kept through the failures still work.
        http.clearFaults(kUnPath);
        env.clock().advanceMs(31 * 60 * 1000);
        const auto back = env.refresher().refreshDue();
        QCOMPARE(back.size(), 1);
        QCOMPARE(back.first().outcome, RefreshOutcome::NotModified);
        s = env.status(u"un"_s);
        QCOMPARE(s.consecutiveFailures, 0);
        QVERIFY(s.lastError.isEmpty());
        QCOMPARE(s.nextAttemptAt, isoUtc(env.clock().now().addSecs(24 * 3600)));
        QCOMPARE(env.versionCount(u"un"_s), 1);
    }

    void badDownloadsAreRefused_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected"); // in the error
        QTest::newRow("truncated body") << u"truncate"_s << u"truncated"_s;
        QTest::newRow("garbage") << u"garbage"_s << u"import failed"_s;
        QTest::newRow("truncated XML") << u"half"_s << u"import failed"_s;
        QTest::newRow("404") << u"404"_s << u"404"_s;
        QTest::newRow("dropped") << u"drop"_s << QString();
        QTest::newRow("empty") << u"empty"_s << u"empty"_s;
        QTest::newRow("too large") << u"large"_s << u"limit"_s;
    }

    void badDownloadsAreRefused()
    {
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        test::FakeHttpServer http;
        QVERIFY(http.serveFile(kUnPath, sanctionsFile(kUnFile), "\"v1\""));
        QJsonObject un = source(u"un"_s, u"un_xml"_s, {http.url(kUnPath).toString()});
        if (kind == u"large"_s)
            un.insert(u"max_bytes"_s, 2'100'000); // room for the good file (2 030 620 bytes), not for the next
        Env env({un}, {{u"attempts"_s, 2}});
        QVERIFY(env.ok());
        auto good = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(good && good->outcome == RefreshOutcome::Imported, qPrintable(describe(good)));
        const int eventsBefore = int(env.events(u"list.refresh_failed"_s).size());

        // A new version is published; what arrives of it is broken.
        const QByteArray xml = readAll(sanctionsFile(kUnFile));
        http.serve(kUnPath, xml + "\n<!-- next -->\n", "\"v2\"");
        if (kind == u"truncate"_s)
            http.truncate(kUnPath);
        else if (kind == u"garbage"_s)
            http.garbage(kUnPath);
        else if (kind == u"half"_s)
            http.serve(kUnPath, xml.left(xml.size() / 2), "\"v2-half\"");
        else if (kind == u"404"_s)
            http.failWith(kUnPath, 404);
        else if (kind == u"drop"_s)
            http.dropConnection(kUnPath);
        else if (kind == u"empty"_s)
            http.serve(kUnPath, QByteArray(), "\"v2-empty\"");
        else if (kind == u"large"_s)
            http.serve(kUnPath, xml + QByteArray(100'000, ' '), "\"v2-large\"");

        env.clock().advanceMs(3600 * 1000);
        auto r = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(r && r->outcome == RefreshOutcome::Failed, qPrintable(describe(r)));
        QVERIFY2(expected.isEmpty() || r->error.contains(expected, Qt::CaseInsensitive), qPrintable(r->error));
        qInfo().noquote() << kind << "→" << r->error;
        QCOMPARE(env.active(u"un"_s).id, good->version.id);
        QCOMPARE(env.versionCount(u"un"_s), 1);
        QCOMPARE(env.backend().screening().loadedEntities(), 1003);
        QCOMPARE(env.status(u"un"_s).consecutiveFailures, 1);
        QCOMPARE(int(env.events(u"list.refresh_failed"_s).size()), eventsBefore + 1);
    }

    void timedOutRequestFails()
    {
        test::FakeHttpServer http;
        QVERIFY(http.serveFile(kUnPath, sanctionsFile(kUnFile), "\"v1\""));
        http.delay(kUnPath, 4000);
        Env env({source(u"un"_s, u"un_xml"_s, {http.url(kUnPath).toString()})}, {{u"attempts"_s, 1}, {u"timeout_seconds"_s, 1}});
        QVERIFY(env.ok());
        auto r = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(r && r->outcome == RefreshOutcome::Failed, qPrintable(describe(r)));
        qInfo().noquote() << "timeout →" << r->error;
        QVERIFY(env.lists().isEmpty());
        QCOMPARE(env.status(u"un"_s).consecutiveFailures, 1);
    }

    void redirectIsFollowedAndTheConfiguredNameKept()
    {
        test::FakeHttpServer http;
        QVERIFY(http.serveFile(u"/files/a8f3e1"_s, sanctionsFile(kUnFile), "\"v1\""));
        http.redirect(u"/content"_s, http.url(u"/files/a8f3e1"_s));
        const QString url = http.url(u"/content"_s).toString() + u"?token=abc"_s;
        Env env({source(u"un"_s, u"un_xml"_s, QJsonArray{QJsonObject{{u"url"_s, url}, {u"file"_s, u"un.xml"_s}}})});
        QVERIFY(env.ok());
        auto r = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(r && r->outcome == RefreshOutcome::Imported, qPrintable(describe(r)));
        QCOMPARE(r->version.entityCount, 1003);
        QCOMPARE(http.requests(u"/content"_s).first().target, QByteArray("/content?token=abc"));
        QVERIFY(QFile::exists(env.backend().config().dataDir + u"/lists/un/un.xml"_s));
    }

    void multiFileSetWithOnePartChanged()
    {
        test::FakeHttpServer http;
        const QStringList parts{u"sdn.csv"_s, u"add.csv"_s, u"alt.csv"_s, u"sdn_comments.csv"_s};
        QJsonArray urls;
        for (const auto &p : parts) {
            QVERIFY(http.serveFile(u"/sdn/"_s + p, sanctionsFile(kOfacFixture + p), "\"" + p.toLatin1() + "-1\""));
            urls.append(http.url(u"/sdn/"_s + p).toString());
        }
        Env env({source(u"ofac_sdn"_s, u"ofac_sdn_csv"_s, urls)});
        QVERIFY(env.ok());
        auto first = env.refresher().refreshNow(u"ofac_sdn"_s);
        QVERIFY2(first && first->outcome == RefreshOutcome::Imported, qPrintable(describe(first)));
        QVERIFY(first->version.entityCount > 0);
        QCOMPARE(first->requests, 4);

        // Only the aliases change (one alias row dropped): three files answer 304, and the set imported is whole.
        QByteArray alt = readAll(sanctionsFile(kOfacFixture + u"alt.csv"_s));
        alt = alt.left(alt.lastIndexOf('\n', alt.size() - 2) + 1);
        http.serve(u"/sdn/alt.csv"_s, alt, "\"alt.csv-2\"");
        http.clearRequests();
        env.clock().advanceMs(24LL * 3600 * 1000);
        auto second = env.refresher().refreshNow(u"ofac_sdn"_s);
        QVERIFY2(second && second->outcome == RefreshOutcome::Imported, qPrintable(describe(second)));
        QCOMPARE(second->version.entityCount, first->version.entityCount);
        QCOMPARE(second->version.added, 0);
        QCOMPARE(second->version.removed, 0);
        QCOMPARE(second->version.changed, 1);
        for (const auto &p : parts) {
            const auto reqs = http.requests(u"/sdn/"_s + p);
            QCOMPARE(reqs.size(), 1);
            QCOMPARE(reqs.first().header("If-None-Match"), "\"" + p.toLatin1() + "-1\"");
        }

        // The stored state: the URLs joined by a space, the validators by URL.
        QSqlQuery q(env.backend().database().connection());
        QVERIFY(q.exec(u"SELECT url, etag FROM list_refresh_state WHERE source = 'ofac_sdn'"_s) && q.next());
        QCOMPARE(q.value(0).toString().split(u' ').size(), 4);
        const QJsonObject etags = QJsonDocument::fromJson(q.value(1).toString().toUtf8()).object();
        QCOMPARE(etags.value(http.url(u"/sdn/alt.csv"_s).toString()).toString(), u"\"alt.csv-2\""_s);
        QCOMPARE(etags.value(http.url(u"/sdn/sdn.csv"_s).toString()).toString(), u"\"sdn.csv-1\""_s);

        // Nothing changed: all four answer 304.
        auto third = env.refresher().refreshNow(u"ofac_sdn"_s);
        QVERIFY2(third && third->outcome == RefreshOutcome::NotModified, qPrintable(describe(third)));
    }

    void stalenessShowsInStatusAndReadiness()
    {
        test::FakeHttpServer http;
        QVERIFY(http.serveFile(kUnPath, sanctionsFile(kUnFile), "\"v1\""));
        Env env({source(u"un"_s, u"un_xml"_s, {http.url(kUnPath).toString()})});
        QVERIFY(env.ok());
        auto fresh = env.readiness(u"list_freshness"_s);
        QVERIFY2(fresh.has_value(), fresh ? "" : qPrintable(fresh.error().message));
        QVERIFY2(fresh->contains(u"no list"_s), qPrintable(*fresh));

        auto r = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(r && r->outcome == RefreshOutcome::Imported, qPrintable(describe(r)));
        env.clock().advanceMs(5LL * 3600 * 1000);
        fresh = env.readiness(u"list_freshness"_s);
        QVERIFY2(fresh.has_value(), fresh ? "" : qPrintable(fresh.error().message));
        QCOMPARE(*fresh, u"un 5 h old"_s);
        QVERIFY(env.readiness(u"sanctions_lists"_s).has_value()); // the older check stays

        // The source goes away; after 72 h the list is stale and the instance not ready.
        http.dropConnection(kUnPath);
        env.clock().advanceMs(68LL * 3600 * 1000);
        auto failed = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(failed && failed->outcome == RefreshOutcome::Failed, qPrintable(describe(failed)));
        ListRefreshStatus s = env.status(u"un"_s);
        QCOMPARE(s.ageSeconds, 73LL * 3600);
        QVERIFY(s.stale);
        QVERIFY(env.backend().screening().loadedEntities() > 0); // still serving
        auto stale = env.readiness(u"list_freshness"_s);
        QVERIFY(!stale.has_value());
        QCOMPARE(stale.error().code, ErrorCode::Unavailable);
        QVERIFY2(stale.error().message.contains(u"un 73 h old"_s), qPrintable(stale.error().message));
        QVERIFY2(stale.error().message.contains(u"72 h"_s), qPrintable(stale.error().message));

        // Back again: confirmed current, fresh.
        http.clearFaults();
        auto back = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(back && back->outcome == RefreshOutcome::NotModified, qPrintable(describe(back)));
        QVERIFY(!env.status(u"un"_s).stale);
        QVERIFY(env.readiness(u"list_freshness"_s).has_value());
    }

    // Issue 8, wrong answer 5: a failing refresh is "failing" with its next retry, never "current", and an old
    // file imported today is as old as its publication date says.
    void freshnessByPublicationDateAndFailures()
    {
        test::FakeHttpServer http;
        QVERIFY(http.serveFile(kUnPath, sanctionsFile(kUnFile), "\"v1\""));
        Env env({source(u"un"_s, u"un_xml"_s, {http.url(kUnPath).toString()}),
                 source(u"us_bis_dpl"_s, u"bis_dpl_txt"_s, {http.url(u"/dpl.txt"_s).toString()})});
        QVERIFY(env.ok());
        env.clock().set(QDateTime(QDate(2026, 3, 10), QTime(12, 0), Qt::UTC));

        // A BIS DPL file of September 2022, imported now: not current.
        auto bis = env.backend().screening().importList(Actor::system(), u"bis_dpl_txt"_s,
                                                        {test::sharedDir() + u"/data/sanctions/us_bis_dpl_txt/2022-09/dpl.txt"_s},
                                                        {}, {}, u"2022-09-01"_s);
        QVERIFY2(bis, bis ? "" : qPrintable(bis.error().message));
        ListRefreshStatus b = env.status(u"us_bis_dpl"_s);
        QCOMPARE(b.publicationDate, u"2022-09-01"_s);
        QVERIFY(b.ageSeconds > 3LL * 365 * 86400);
        QVERIFY(b.stale);
        QCOMPARE(b.freshness, u"stale"_s);
        auto ready = env.readiness(u"list_freshness"_s);
        QVERIFY(!ready.has_value());
        QVERIFY2(ready.error().message.contains(u"us_bis_dpl"_s), qPrintable(ready.error().message));

        // The UN list refreshed fine, then every refresh fails ("Host not found" alike): failing at once, with
        // the next retry, long before it turns stale.
        auto r = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(r && r->outcome == RefreshOutcome::Imported, qPrintable(describe(r)));
        QCOMPARE(env.status(u"un"_s).freshness, u"current"_s);
        http.dropConnection(kUnPath);
        env.clock().advanceMs(3600LL * 1000);
        auto failed = env.refresher().refreshNow(u"un"_s);
        QVERIFY2(failed && failed->outcome == RefreshOutcome::Failed, qPrintable(describe(failed)));
        const ListRefreshStatus u = env.status(u"un"_s);
        QVERIFY(!u.stale);
        QVERIFY(u.failing);
        QCOMPARE(u.freshness, u"failing"_s);
        QVERIFY(!u.nextAttemptAt.isEmpty());
        auto detail = env.refresher().freshness();
        QVERIFY(!detail.has_value()); // BIS is still stale
        QVERIFY2(detail.error().message.contains(u"us_bis_dpl"_s), qPrintable(detail.error().message));
        QVERIFY2(detail.error().message.contains(u"un 1 h old, refresh failing"_s), qPrintable(detail.error().message));
        QVERIFY2(detail.error().message.contains(u"next retry 2026-"_s), qPrintable(detail.error().message));
        auto all = env.refresher().status();
        QVERIFY(all);
        QString unLine;
        for (const auto &s : *all) {
            if (s.source == u"un"_s)
                unLine = s.freshness;
        }
        QCOMPARE(unLine, u"failing"_s);
    }

    void defaultTableOnlyRefreshesLoadedLists()
    {
        // Without KYCONNECT_LIST_SOURCES_FILE: a firm that never imported a list downloads nothing.
        test::TempBackend tb;
        QVERIFY(tb.ok());
        ListRefresher &refresher = tb.backend().listRefresher();
        QVERIFY(!refresher.table().explicitSources);
        auto before = refresher.status();
        QVERIFY(before.has_value());
        QCOMPARE(before->size(), 7);
        for (const auto &s : *before) {
            QVERIFY2(!s.scheduled, qPrintable(s.source));
            QVERIFY(!s.loaded);
            QCOMPARE(s.ageSeconds, -1);
        }
        QVERIFY(refresher.refreshDue().isEmpty()); // no source is due: nothing is fetched
        QVERIFY(tb.backend().readinessChecks().size() >= 4);

        // Once the UN list is imported (by hand), it is the one kept current.
        auto v = tb.backend().screening().importList(Actor::system(), ListFormat::UnXml, {sanctionsFile(kUnFile)});
        QVERIFY(v.has_value());
        auto after = refresher.status();
        QVERIFY(after.has_value());
        for (const auto &s : *after)
            QCOMPARE(s.scheduled, s.source == u"un"_s);
    }

    void refreshesRunOnTheirOwnThread()
    {
        test::FakeHttpServer http;
        QVERIFY(http.serveFile(kUnPath, sanctionsFile(kUnFile), "\"v1\""));
        Env env({source(u"un"_s, u"un_xml"_s, {http.url(kUnPath).toString()})});
        QVERIFY(env.ok());
        Reports spy(env.refresher());
        // An analyst may not start what imports a list; a source without a URL is not found.
        Actor analyst;
        analyst.kind = Actor::Kind::User;
        analyst.role = Role::Analyst;
        QCOMPARE(env.refresher().refreshLater(analyst, u"un"_s).error().code, ErrorCode::Forbidden);
        // Nor may a firm's owner: the official lists are the platform's (issue 8, attack 1).
        Actor firmOwner = analyst;
        firmOwner.role = Role::Owner;
        firmOwner.firmId = u"0b9f3c1e-3f7a-4c2e-9d1a-5e6f7a8b9c0d"_s;
        QCOMPARE(env.refresher().refreshLater(firmOwner, u"un"_s).error().code, ErrorCode::Forbidden);
        QCOMPARE(env.refresher().refreshLater(Actor::system(), u"no_such_source"_s).error().code, ErrorCode::NotFound);
        QVERIFY(!env.refresher().isRunning());
        QVERIFY(env.refresher().refreshLater(Actor::system(), u"un"_s));
        QVERIFY(env.refresher().isRunning());
        QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 1, 60'000);
        QCOMPARE(spy.first().first, u"un"_s);
        QCOMPARE(spy.first().second, u"imported"_s);
        QCOMPARE(env.active(u"un"_s).entityCount, 1003);
        env.refresher().stop();
        QVERIFY(!env.refresher().isRunning());
        env.refresher().stop(); // twice is fine
    }

    void timerRefreshesDueSources()
    {
        test::FakeHttpServer http;
        QVERIFY(http.serveFile(kUnPath, sanctionsFile(kUnFile), "\"v1\""));
        Env env({source(u"un"_s, u"un_xml"_s, {http.url(kUnPath).toString()})});
        QVERIFY(env.ok());
        Backend &b = env.backend();
        // A refresher of its own, to choose the timer's pace.
        ListRefresher refresher(b.database(), b.clock(), b.audit(), b.screening(), env.refresher().table(),
                                RefreshSchedule{24, 72, 1000, 0}, b.config().dataDir + u"/lists-timer"_s);
        Reports spy(refresher);
        refresher.start();
        QVERIFY(refresher.isRunning());
        QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 1, 60'000);
        QCOMPARE(spy.first().second, u"imported"_s);
        // Next due in 24 h (fake time): the timer's later passes fetch nothing.
        QTest::qWait(1500);
        QCOMPARE(http.requestCount(kUnPath), 1);
        refresher.stop();
        QVERIFY(!refresher.isRunning());
    }

    void stopInterruptsASlowDownload()
    {
        test::FakeHttpServer http;
        QVERIFY(http.serveFile(kUnPath, sanctionsFile(kUnFile), "\"v1\""));
        http.delay(kUnPath, 60'000);
        Env env({source(u"un"_s, u"un_xml"_s, {http.url(kUnPath).toString()})});
        QVERIFY(env.ok());
        QVERIFY(env.refresher().refreshLater(Actor::system(), u"un"_s));
        QTRY_COMPARE_WITH_TIMEOUT(http.requestCount(kUnPath), 1, 30'000);
        env.refresher().stop(); // returns without waiting for the minute
        QVERIFY(!env.refresher().isRunning());
        // Interrupted, not failed: nothing recorded, nothing imported.
        QCOMPARE(env.status(u"un"_s).consecutiveFailures, 0);
        QVERIFY(env.status(u"un"_s).lastCheckedAt.isEmpty());
        QVERIFY(env.lists().isEmpty());
        QVERIFY(env.events(u"list.refresh_failed"_s).isEmpty());
    }

    void unknownSourceIsNotFound()
    {
        test::FakeHttpServer http;
        Env env({source(u"un"_s, u"un_xml"_s, {http.url(kUnPath).toString()})});
        QVERIFY(env.ok());
        auto r = env.refresher().refreshNow(u"nowhere"_s);
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, ErrorCode::NotFound);
    }
};

QTEST_GUILESS_MAIN(TestListRefresh)
#include "tst_listrefresh.moc"
