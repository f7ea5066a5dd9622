// The Screening pane's models over plain structs (matches, lists with their refresh status, monitoring
// alerts paged through fetchMore), all under QAbstractItemModelTester, and the match model over a real
// screening of the UN consolidated list.
#include "backend/core/ids.h"
#include "backend/identity/accountservice.h"
#include "backend/screening/listrefresher.h"
#include "backend/screening/screeningservice.h"
#include "models/screeningmodels.h"
#include "tests/testsupport/testsupport.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QtTest>

#include <memory>

using namespace kyc;
using namespace Qt::StringLiterals;
using kyc::models::AlertTableModel;
using kyc::models::ListRow;
using kyc::models::ListTableModel;
using kyc::models::MatchTableModel;
using kyc::models::RawValueRole;
using screening::ListRefreshStatus;
using screening::ListVersion;
using screening::MonitoringAlert;
using screening::StoredMatch;

using test::userActor;

namespace {

const QString kUnFile = u"/data/sanctions/un_consolidated_xml/2026-02-27/UN_consolidated.xml"_s;

StoredMatch match(const QString &id, double score, const QString &list, const QString &name, const QString &primary)
{
    StoredMatch m;
    m.id = id;
    m.score = score;
    m.listSource = list;
    m.entityId = list + u':' + id;
    m.matchedName = name;
    m.entityName = primary;
    m.category = u"sanction"_s;
    m.explanation = QJsonObject{
        {u"name_score"_s, 0.9},
        {u"tokens"_s,
         QJsonArray{
             QJsonObject{{u"query_token"_s, u"eric"_s},
                         {u"name_token"_s, u"erik"_s},
                         {u"similarity"_s, 0.93},
                         {u"how"_s, u"jaro_winkler"_s}},
             QJsonObject{
                 {u"query_token"_s, u""_s}, {u"name_token"_s, u"ngoma"_s}, {u"similarity"_s, 0.0}, {u"how"_s, u"unmatched"_s}}}},
        {u"qualifiers"_s,
         QJsonArray{QJsonObject{{u"kind"_s, u"birth_date"_s}, {u"outcome"_s, u"mismatch"_s}, {u"effect"_s, -0.27}},
                    QJsonObject{{u"kind"_s, u"country"_s}, {u"outcome"_s, u"match"_s}, {u"effect"_s, 0.01}}}}};
    return m;
}

QList<StoredMatch> threeMatches()
{
    // Not in score order, with a tie at 0.85 to show the sort is stable.
    return {match(u"m1"_s, 0.85, u"ofac_sdn"_s, u"Beta Trading"_s, u"BETA TRADING LLC"_s),
            match(u"m2"_s, 0.97, u"un"_s, u"Alpha Person"_s, u"ALPHA PERSON"_s),
            match(u"m3"_s, 0.85, u"eu_fsf"_s, u"Gamma"_s, u"GAMMA GROUP"_s)};
}

// The text of an HTML fragment as a reader sees it (tags dropped, entities decoded).
QString plainText(const QString &html)
{
    QString s = html;
    s.replace(u"</tr>"_s, u"\n"_s).replace(u"</td>"_s, u" "_s).replace(u"</th>"_s, u" "_s);
    s.remove(QRegularExpression(u"<[^>]*>"_s));
    return s.replace(u"&lt;"_s, u"<"_s).replace(u"&gt;"_s, u">"_s).replace(u"&quot;"_s, u"\""_s).replace(u"&amp;"_s, u"&"_s);
}

QString text(const QAbstractItemModel &model, int row, int column)
{
    return model.data(model.index(row, column)).toString();
}

QStringList column(const QAbstractItemModel &model, int col)
{
    QStringList out;
    for (int r = 0; r < model.rowCount(); ++r)
        out << text(model, r, col);
    return out;
}

Page<MonitoringAlert> alertPage(int page, int count, qint64 total, int firstNumber)
{
    Page<MonitoringAlert> p;
    p.request = PageRequest{page, AlertTableModel::kPageSize};
    p.total = total;
    for (int i = 0; i < count; ++i) {
        MonitoringAlert a;
        a.id = u"a-%1"_s.arg(firstNumber + i);
        a.caseId = u"case-1"_s;
        a.screeningId = u"s-%1"_s.arg(firstNumber + i);
        a.matchId = u"m-%1"_s.arg(firstNumber + i);
        a.listSource = u"un"_s;
        a.entityId = u"un:CDi.%1"_s.arg(firstNumber + i);
        a.change = (i % 2) ? u"changed"_s : u"added"_s;
        a.matchedName = u"NAME %1"_s.arg(firstNumber + i);
        a.score = 0.9;
        a.status = u"open"_s;
        a.createdAt = u"2026-03-01T10:00:00Z"_s;
        p.items << a;
    }
    return p;
}

} // namespace

class TestScreeningModels final : public QObject
{
    Q_OBJECT

private slots:
    void matchesRowsColumnsAndData();
    void matchesSortByScoreFirst();
    void matchesSortByOtherColumnsKeepsSelection();
    void matchUpdateAfterResolution();
    void explanationShowsTokensQualifiersAndResolution();
    void matchesOfARealScreening();

    void formatAge_data();
    void formatAge();
    void listRowsMergeVersionsAndStatus();
    void listTableData();
    void listsOfARealBackend();

    void alertsPageThroughFetchMore();
    void alertsIgnoreStalePagesAndStopOnFailure();
    void alertFetchDuringInsertionIsGuarded();
    void alertData();
};

void TestScreeningModels::matchesRowsColumnsAndData()
{
    MatchTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.columnCount(), int(MatchTableModel::ColumnCount));
    model.setMatches(threeMatches());
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.columnCount(), 6);
    QCOMPARE(model.rowCount(model.index(0, 0)), 0); // a table: no children

    // Highest score first.
    QCOMPARE(text(model, 0, MatchTableModel::Score), u"0.970"_s);
    QCOMPARE(model.data(model.index(0, MatchTableModel::Score), RawValueRole).toDouble(), 0.97);
    QCOMPARE(text(model, 0, MatchTableModel::List), u"un"_s);
    QCOMPARE(text(model, 0, MatchTableModel::MatchedName), u"Alpha Person"_s);
    QCOMPARE(text(model, 0, MatchTableModel::PrimaryName), u"ALPHA PERSON"_s);
    QCOMPARE(text(model, 0, MatchTableModel::Category), u"sanction"_s);
    QCOMPARE(text(model, 0, MatchTableModel::Resolution), u"open"_s);
    QCOMPARE(model.data(model.index(0, MatchTableModel::MatchedName), Qt::ToolTipRole).toString(), u"un:m2"_s);
    QVERIFY(model.data(model.index(0, MatchTableModel::Score), Qt::TextAlignmentRole).isValid());

    QCOMPARE(model.headerData(MatchTableModel::Score, Qt::Horizontal).toString(), u"Score"_s);
    QCOMPARE(model.headerData(MatchTableModel::List, Qt::Horizontal).toString(), u"List"_s);
    QCOMPARE(model.headerData(MatchTableModel::MatchedName, Qt::Horizontal).toString(), u"Matched name"_s);
    QCOMPARE(model.headerData(MatchTableModel::PrimaryName, Qt::Horizontal).toString(), u"Primary name"_s);
    QCOMPARE(model.headerData(MatchTableModel::Category, Qt::Horizontal).toString(), u"Category"_s);

    QCOMPARE(model.rowOf(u"m3"_s) >= 0, true);
    QCOMPARE(model.rowOf(u"nope"_s), -1);

    model.setMatches({});
    QCOMPARE(model.rowCount(), 0);
}

void TestScreeningModels::matchesSortByScoreFirst()
{
    MatchTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setMatches(threeMatches());
    // Descending score; the tie keeps the order the service gave.
    QCOMPARE(column(model, MatchTableModel::Score), (QStringList{u"0.970"_s, u"0.850"_s, u"0.850"_s}));
    QCOMPARE(column(model, MatchTableModel::List), (QStringList{u"un"_s, u"ofac_sdn"_s, u"eu_fsf"_s}));

    model.sort(MatchTableModel::Score, Qt::AscendingOrder);
    QCOMPARE(column(model, MatchTableModel::Score), (QStringList{u"0.850"_s, u"0.850"_s, u"0.970"_s}));

    // New matches keep the order the user chose.
    model.setMatches(threeMatches());
    QCOMPARE(column(model, MatchTableModel::Score), (QStringList{u"0.850"_s, u"0.850"_s, u"0.970"_s}));
    model.sort(MatchTableModel::Score, Qt::DescendingOrder);
    QCOMPARE(model.matchAt(0).id, u"m2"_s);

    // Out-of-range columns change nothing.
    model.sort(-1, Qt::AscendingOrder);
    model.sort(MatchTableModel::ColumnCount, Qt::AscendingOrder);
    QCOMPARE(model.matchAt(0).id, u"m2"_s);
}

void TestScreeningModels::matchesSortByOtherColumnsKeepsSelection()
{
    MatchTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setMatches(threeMatches());
    const QPersistentModelIndex gamma(model.index(model.rowOf(u"m3"_s), MatchTableModel::MatchedName));
    QSignalSpy layout(&model, &QAbstractItemModel::layoutChanged);

    model.sort(MatchTableModel::List, Qt::AscendingOrder);
    QCOMPARE(layout.count(), 1);
    QCOMPARE(column(model, MatchTableModel::List), (QStringList{u"eu_fsf"_s, u"ofac_sdn"_s, u"un"_s}));
    QVERIFY(gamma.isValid());
    QCOMPARE(gamma.row(), 0);
    QCOMPARE(gamma.data().toString(), u"Gamma"_s);

    model.sort(MatchTableModel::PrimaryName, Qt::DescendingOrder);
    QCOMPARE(column(model, MatchTableModel::PrimaryName),
             (QStringList{u"GAMMA GROUP"_s, u"BETA TRADING LLC"_s, u"ALPHA PERSON"_s}));
    QCOMPARE(gamma.row(), 0);
    model.sort(MatchTableModel::MatchedName, Qt::AscendingOrder);
    QCOMPARE(column(model, MatchTableModel::MatchedName), (QStringList{u"Alpha Person"_s, u"Beta Trading"_s, u"Gamma"_s}));
    QCOMPARE(gamma.row(), 2);
    QCOMPARE(gamma.data().toString(), u"Gamma"_s);
}

void TestScreeningModels::matchUpdateAfterResolution()
{
    MatchTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setMatches(threeMatches());
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    StoredMatch resolved = model.matchAt(model.rowOf(u"m1"_s));
    resolved.resolution = u"false_positive"_s;
    resolved.reason = u"Different date of birth"_s;
    resolved.resolvedBy = u"u-1"_s;
    resolved.resolvedAt = u"2026-03-01T10:00:00Z"_s;
    QVERIFY(model.updateMatch(resolved));
    QCOMPARE(changed.count(), 1);
    const int row = model.rowOf(u"m1"_s);
    QCOMPARE(text(model, row, MatchTableModel::Resolution), u"false positive"_s);
    QCOMPARE(model.data(model.index(row, MatchTableModel::Resolution), RawValueRole).toString(), u"false_positive"_s);
    QVERIFY(model.data(model.index(row, MatchTableModel::Resolution), Qt::ToolTipRole)
                .toString()
                .contains(u"Different date of birth"_s));

    resolved.resolution = u"true_positive"_s;
    QVERIFY(model.updateMatch(resolved));
    QCOMPARE(text(model, row, MatchTableModel::Resolution), u"true positive"_s);

    StoredMatch unknown = resolved;
    unknown.id = u"elsewhere"_s;
    QVERIFY(!model.updateMatch(unknown));
    QCOMPARE(changed.count(), 2);
}

void TestScreeningModels::explanationShowsTokensQualifiersAndResolution()
{
    StoredMatch m = match(u"m1"_s, 0.634, u"un"_s, u"ERIK <NGOMA>"_s, u"ERIK NGOMA"_s);
    const QString html = MatchTableModel::explanationHtml(m);
    QVERIFY(!html.contains(u"<NGOMA>"_s)); // escaped, so shown as typed
    const QString plain = plainText(html);
    QVERIFY2(plain.contains(u"ERIK <NGOMA>"_s), qPrintable(plain));
    QVERIFY(plain.contains(u"0.634"_s));
    QVERIFY(plain.contains(u"0.900"_s)); // name score
    QVERIFY(plain.contains(u"un:m1"_s));
    QVERIFY(plain.contains(u"eric"_s));
    QVERIFY(plain.contains(u"erik"_s));
    QVERIFY(plain.contains(u"0.93"_s));
    QVERIFY(plain.contains(u"similar spelling"_s));
    QVERIFY(plain.contains(u"unmatched"_s));
    QVERIFY(plain.contains(u"Birth date"_s));
    QVERIFY(plain.contains(u"mismatch"_s));
    QVERIFY(plain.contains(u"\u22120.270"_s));
    QVERIFY(plain.contains(u"+0.010"_s));
    QVERIFY(plain.contains(u"not resolved"_s));

    m.resolution = u"false_positive"_s;
    m.reason = u"Other person"_s;
    m.resolvedBy = u"u-9"_s;
    m.explanation.remove(u"qualifiers"_s);
    const QString resolved = plainText(MatchTableModel::explanationHtml(m));
    QVERIFY2(resolved.contains(u"Resolved as false positive by u-9"_s), qPrintable(resolved));
    QVERIFY(resolved.contains(u"Other person"_s));
    QVERIFY(resolved.contains(u"only compared when both"_s));
}

void TestScreeningModels::matchesOfARealScreening()
{
    test::TempBackend tb;
    QVERIFY(tb.ok());
    auto &service = tb.backend().screening();
    auto imported = service.importList(Actor::system(), u"un_xml"_s, {test::sharedDir() + kUnFile});
    QVERIFY2(imported, qPrintable(imported ? QString() : imported.error().message));
    auto firm = tb.backend().accounts().createFirm(
        {u"Models Ltd"_s, u"GB"_s, {}, u"owner@models.test"_s, u"correct horse battery staple 1"_s, u"Mo Del"_s, {}});
    QVERIFY2(firm, qPrintable(firm ? QString() : firm.error().message));
    screening::ScreenInput in;
    in.name = u"ERIC BADEGE"_s;
    auto s = service.screen(userActor(firm->first.id, firm->second.id, Role::Owner), in);
    QVERIFY2(s, qPrintable(s ? QString() : s.error().message));
    QVERIFY(!s->matches.isEmpty());

    MatchTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setMatches(s->matches);
    QCOMPARE(model.rowCount(), int(s->matches.size()));
    QCOMPARE(text(model, 0, MatchTableModel::List), u"un"_s);
    QVERIFY(model.data(model.index(0, MatchTableModel::Score), RawValueRole).toDouble() >= 0.8);
    QCOMPARE(text(model, 0, MatchTableModel::PrimaryName), u"ERIC BADEGE"_s);
    for (int r = 1; r < model.rowCount(); ++r)
        QVERIFY(model.matchAt(r - 1).score >= model.matchAt(r).score);

    const QString plain = plainText(MatchTableModel::explanationHtml(model.matchAt(0))).toLower();
    QVERIFY2(plain.contains(u"badege"_s) && plain.contains(u"exact"_s), qPrintable(plain));
}

void TestScreeningModels::formatAge_data()
{
    QTest::addColumn<qint64>("seconds");
    QTest::addColumn<QString>("text");
    QTest::newRow("nothing loaded") << qint64(-1) << QString();
    QTest::newRow("zero") << qint64(0) << u"0 s"_s;
    QTest::newRow("seconds") << qint64(59) << u"59 s"_s;
    QTest::newRow("minutes") << qint64(60 * 12 + 5) << u"12 min"_s;
    QTest::newRow("hours") << qint64(5 * 3600 + 120) << u"5 h"_s;
    QTest::newRow("whole days") << qint64(2 * 86400) << u"2 d"_s;
    QTest::newRow("days and hours") << qint64(3 * 86400 + 4 * 3600 + 59) << u"3 d 4 h"_s;
}

void TestScreeningModels::formatAge()
{
    QFETCH(qint64, seconds);
    QFETCH(QString, text);
    QCOMPARE(ListTableModel::formatAge(seconds), text);
}

namespace {

ListVersion version(const QString &source, qint64 n)
{
    ListVersion v;
    v.id = u"v-"_s + source;
    v.source = source;
    v.format = source == u"un"_s ? u"un_xml"_s : u"tabular"_s;
    v.publicationDate = u"2026-02-27"_s;
    v.sha256 = u"0123456789abcdef0123456789abcdef"_s;
    v.entityCount = 1003;
    v.nameCount = 2500;
    v.loadedAt = u"2026-03-01T08:00:00Z"_s;
    v.active = true;
    v.version = n;
    return v;
}

ListRefreshStatus status(const QString &source, bool loaded, const QStringList &urls)
{
    ListRefreshStatus s;
    s.source = source;
    s.title = u"Title of "_s + source;
    s.format = u"un_xml"_s;
    s.urls = urls;
    s.loaded = loaded;
    s.ageSeconds = loaded ? 80 * 3600 : -1;
    s.stale = loaded;
    s.lastError = loaded ? u"HTTP 503 from the server"_s : QString();
    return s;
}

} // namespace

void TestScreeningModels::listRowsMergeVersionsAndStatus()
{
    const QList<ListVersion> versions{version(u"un"_s, 3), version(u"pep_us_congress"_s, 1)};
    const QList<ListRefreshStatus> statuses{status(u"un"_s, true, {u"https://example.test/un.xml"_s}),
                                            status(u"ofac_sdn"_s, false, {u"https://example.test/sdn.csv"_s}),
                                            status(u"no_url"_s, false, {})};
    const QList<ListRow> rows = models::mergeListRows(versions, statuses);
    QCOMPARE(rows.size(), 3);
    QCOMPARE(rows[0].source, u"un"_s);
    QVERIFY(rows[0].version && rows[0].status);
    QVERIFY(rows[0].canRefresh());
    QCOMPARE(rows[1].source, u"pep_us_congress"_s); // loaded, no download URL
    QVERIFY(rows[1].version && !rows[1].status);
    QVERIFY(!rows[1].canRefresh());
    QCOMPARE(rows[2].source, u"ofac_sdn"_s); // configured, not loaded yet
    QVERIFY(!rows[2].version && rows[2].status);
    QVERIFY(rows[2].canRefresh());
}

void TestScreeningModels::listTableData()
{
    ListTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.columnCount(), 12);
    model.setRows(models::mergeListRows({version(u"un"_s, 3), version(u"pep_us_congress"_s, 1)},
                                        {status(u"un"_s, true, {u"https://example.test/un.xml"_s}),
                                         status(u"ofac_sdn"_s, false, {u"https://example.test/sdn.csv"_s})}));
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.rowOf(u"ofac_sdn"_s), 2);
    QCOMPARE(model.rowOf(u"eu_fsf"_s), -1);

    QCOMPARE(text(model, 0, ListTableModel::Source), u"un"_s);
    QCOMPARE(text(model, 0, ListTableModel::Format), u"un_xml"_s);
    QCOMPARE(text(model, 0, ListTableModel::Version), u"3"_s);
    QCOMPARE(model.data(model.index(0, ListTableModel::Version), RawValueRole).toLongLong(), 3);
    QCOMPARE(text(model, 0, ListTableModel::Published), u"2026-02-27"_s);
    QCOMPARE(text(model, 0, ListTableModel::Entities), u"1003"_s);
    QCOMPARE(text(model, 0, ListTableModel::Names), u"2500"_s);
    QCOMPARE(text(model, 0, ListTableModel::LoadedAt), u"2026-03-01T08:00:00Z"_s);
    QCOMPARE(text(model, 0, ListTableModel::Checksum), u"0123456789ab"_s);
    QCOMPARE(model.data(model.index(0, ListTableModel::Checksum), Qt::ToolTipRole).toString(),
             u"0123456789abcdef0123456789abcdef"_s);
    QCOMPARE(text(model, 0, ListTableModel::Age), u"3 d 8 h"_s);
    QCOMPARE(text(model, 0, ListTableModel::Stale), u"stale"_s);
    QCOMPARE(model.data(model.index(0, ListTableModel::Stale), RawValueRole).toBool(), true);
    QCOMPARE(text(model, 0, ListTableModel::LastError), u"HTTP 503 from the server"_s);
    QCOMPARE(model.data(model.index(0, ListTableModel::Source), Qt::ToolTipRole).toString(), u"Title of un"_s);
    QCOMPARE(text(model, 0, ListTableModel::Owner), u"platform"_s);

    // A firm's own list says so; a failing refresh is never "current" and names its next retry.
    ListVersion own = version(u"firm:watchlist"_s, 1);
    own.owner = u"0b9f3c1e-3f7a-4c2e-9d1a-5e6f7a8b9c0d"_s;
    ListRefreshStatus failing = status(u"un"_s, true, {u"https://example.test/un.xml"_s});
    failing.stale = false;
    failing.failing = true;
    failing.nextAttemptAt = u"2026-03-04T16:15:00.000Z"_s;
    model.setRows(models::mergeListRows({version(u"un"_s, 3), own}, {failing}));
    QCOMPARE(text(model, model.rowOf(u"firm:watchlist"_s), ListTableModel::Owner), u"this firm"_s);
    QCOMPARE(text(model, model.rowOf(u"un"_s), ListTableModel::Stale), u"failing, next retry 2026-03-04T16:15:00.000Z"_s);
    QCOMPARE(model.data(model.index(model.rowOf(u"un"_s), ListTableModel::Stale), RawValueRole).toBool(), true);
    model.setRows(models::mergeListRows({version(u"un"_s, 3), version(u"pep_us_congress"_s, 1)},
                                        {status(u"un"_s, true, {u"https://example.test/un.xml"_s}),
                                         status(u"ofac_sdn"_s, false, {u"https://example.test/sdn.csv"_s})}));

    // Loaded without a download URL: no age, freshness or error to show.
    QCOMPARE(text(model, 1, ListTableModel::Format), u"tabular"_s);
    QCOMPARE(text(model, 1, ListTableModel::Age), QString());
    QCOMPARE(text(model, 1, ListTableModel::Stale), QString());
    // Configured, not loaded.
    QCOMPARE(text(model, 2, ListTableModel::Version), u"not loaded"_s);
    QCOMPARE(text(model, 2, ListTableModel::Entities), QString());
    QCOMPARE(text(model, 2, ListTableModel::Checksum), QString());

    for (int c = 0; c < ListTableModel::ColumnCount; ++c)
        QVERIFY(!model.headerData(c, Qt::Horizontal).toString().isEmpty());

    model.setRows({});
    QCOMPARE(model.rowCount(), 0);
}

void TestScreeningModels::listsOfARealBackend()
{
    test::TempBackend tb;
    QVERIFY(tb.ok());
    auto imported = tb.backend().screening().importList(Actor::system(), u"un_xml"_s, {test::sharedDir() + kUnFile});
    QVERIFY2(imported, qPrintable(imported ? QString() : imported.error().message));
    auto versions = tb.backend().screening().lists(Actor::system());
    QVERIFY(versions);
    auto statuses = tb.backend().listRefresher().status();
    QVERIFY2(statuses, qPrintable(statuses ? QString() : statuses.error().message));

    ListTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRows(models::mergeListRows(*versions, *statuses));
    const int un = model.rowOf(u"un"_s);
    QCOMPARE(un, 0);
    QCOMPARE(text(model, un, ListTableModel::Format), u"un_xml"_s);
    QCOMPARE(text(model, un, ListTableModel::Version), u"1"_s);
    QCOMPARE(text(model, un, ListTableModel::Published), u"2026-02-27"_s);
    QCOMPARE(text(model, un, ListTableModel::Entities), u"1003"_s);
    QCOMPARE(text(model, un, ListTableModel::Checksum), imported->sha256.left(12));
    QCOMPARE(text(model, un, ListTableModel::Age), u"0 s"_s); // the fake clock has not moved
    QCOMPARE(text(model, un, ListTableModel::Stale), u"current"_s);
    QVERIFY(model.rowAt(un).canRefresh()); // the built-in table has the UN's official URL

    tb.clock().advanceMs(qint64(73) * 3600 * 1000);
    statuses = tb.backend().listRefresher().status();
    QVERIFY(statuses);
    model.setRows(models::mergeListRows(*versions, *statuses));
    QCOMPARE(text(model, un, ListTableModel::Age), u"3 d 1 h"_s);
    QCOMPARE(text(model, un, ListTableModel::Stale), u"stale"_s);
}

// The tester (like a view) may already have asked for the next page; asks for it if not, and checks it is
// the one expected and that no second request goes out meanwhile.
void expectRequestFor(AlertTableModel &model, QSignalSpy &requests, int page)
{
    if (model.canFetchMore({}))
        model.fetchMore({});
    QVERIFY(!requests.isEmpty());
    QCOMPARE(requests.last().at(0).toInt(), page);
    const qsizetype count = requests.count();
    QVERIFY(!model.canFetchMore({}));
    model.fetchMore({});
    QCOMPARE(requests.count(), count);
}

void TestScreeningModels::alertsPageThroughFetchMore()
{
    AlertTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy requests(&model, &AlertTableModel::fetchRequested);
    QVERIFY(!model.canFetchMore({}));
    model.fetchMore({});
    QCOMPARE(requests.count(), 0);

    model.setFirstPage(alertPage(1, 100, 250, 1));
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.total(), qint64(250));
    expectRequestFor(model, requests, 2);
    model.appendPage(alertPage(2, 100, 250, 101));
    QCOMPARE(model.rowCount(), 200);
    QCOMPARE(model.alertAt(150).id, u"a-151"_s);
    expectRequestFor(model, requests, 3);
    model.appendPage(alertPage(3, 50, 250, 201));
    QCOMPARE(model.rowCount(), 250);
    QVERIFY(!model.canFetchMore({}));
    const qsizetype count = requests.count();
    model.fetchMore({});
    QCOMPARE(requests.count(), count);

    // A reload starts over.
    model.setFirstPage(alertPage(1, 3, 3, 1));
    QCOMPARE(model.rowCount(), 3);
    QVERIFY(!model.canFetchMore({}));
}

void TestScreeningModels::alertsIgnoreStalePagesAndStopOnFailure()
{
    AlertTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy requests(&model, &AlertTableModel::fetchRequested);
    model.setFirstPage(alertPage(1, 100, 300, 1));
    expectRequestFor(model, requests, 2);
    // A page other than the one asked for is dropped.
    model.appendPage(alertPage(3, 100, 300, 201));
    QCOMPARE(model.rowCount(), 100);
    // A failed fetch ends the paging until the next reload (asking again would only fail again).
    model.fetchFailed();
    QVERIFY(!model.canFetchMore({}));
    const qsizetype count = requests.count();
    model.fetchMore({});
    QCOMPARE(requests.count(), count);
    // A page arriving after the failure is not wanted any more.
    model.appendPage(alertPage(2, 100, 300, 101));
    QCOMPARE(model.rowCount(), 100);

    model.setFirstPage(alertPage(1, 100, 300, 1));
    expectRequestFor(model, requests, 2);
    // An empty later page (alerts gone meanwhile) also ends the paging.
    model.appendPage(alertPage(2, 0, 300, 101));
    QCOMPARE(model.rowCount(), 100);
    QVERIFY(!model.canFetchMore({}));
}

void TestScreeningModels::alertFetchDuringInsertionIsGuarded()
{
    // A view may call fetchMore() while rows go in; it must not ask for the page being inserted again.
    AlertTableModel model;
    QSignalSpy requests(&model, &AlertTableModel::fetchRequested);
    model.setFirstPage(alertPage(1, 100, 300, 1));
    model.fetchMore({});
    QCOMPARE(requests.count(), 1);
    connect(&model, &QAbstractItemModel::rowsAboutToBeInserted, this, [&model] { model.fetchMore({}); });
    connect(&model, &QAbstractItemModel::rowsInserted, this, [&model] { model.fetchMore({}); });
    model.appendPage(alertPage(2, 100, 300, 101));
    QCOMPARE(model.rowCount(), 200);
    QCOMPARE(requests.count(), 1);
    QVERIFY(model.canFetchMore({}));
}

void TestScreeningModels::alertData()
{
    AlertTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto page = alertPage(1, 2, 2, 1);
    page.items[1].status = u"resolved"_s;
    page.items[1].resolvedAt = u"2026-03-02T09:00:00Z"_s;
    model.setFirstPage(page);
    QCOMPARE(model.columnCount(), 7);
    QCOMPARE(text(model, 0, AlertTableModel::Created), u"2026-03-01T10:00:00Z"_s);
    QCOMPARE(text(model, 0, AlertTableModel::Status), u"open"_s);
    QCOMPARE(text(model, 1, AlertTableModel::Status), u"resolved"_s);
    QCOMPARE(model.data(model.index(1, AlertTableModel::Status), Qt::ToolTipRole).toString(),
             u"Resolved at 2026-03-02T09:00:00Z"_s);
    QCOMPARE(text(model, 0, AlertTableModel::Case), u"case-1"_s);
    QCOMPARE(text(model, 0, AlertTableModel::List), u"un"_s);
    QCOMPARE(text(model, 0, AlertTableModel::MatchedName), u"NAME 1"_s);
    QCOMPARE(text(model, 0, AlertTableModel::Score), u"0.900"_s);
    QCOMPARE(model.data(model.index(0, AlertTableModel::Score), RawValueRole).toDouble(), 0.9);
    QCOMPARE(text(model, 0, AlertTableModel::Change), u"added to the list"_s);
    QCOMPARE(text(model, 1, AlertTableModel::Change), u"changed in the list"_s);
    QCOMPARE(model.data(model.index(0, AlertTableModel::Change), RawValueRole).toString(), u"added"_s);
    for (int c = 0; c < AlertTableModel::ColumnCount; ++c)
        QVERIFY(!model.headerData(c, Qt::Horizontal).toString().isEmpty());
}

QTEST_GUILESS_MAIN(TestScreeningModels)
#include "tst_screeningmodels.moc"
