// The Screening pane over a temporary backend with the real UN consolidated list: screening a subject off
// the GUI thread and explaining its matches, resolving them (and the service's refusals), importing lists
// with progress from a worker thread, refreshing a list from its (local) download URL, and opening the
// screening of a monitoring alert. Waits are liveness bounds, never performance ones.
#include "backend/core/ids.h"
#include "backend/identity/accountservice.h"
#include "backend/screening/listrefresher.h"
#include "backend/screening/screeningservice.h"
#include "models/screeningmodels.h"
#include "tests/testsupport/fakehttpserver.h"
#include "tests/testsupport/testsupport.h"
#include "ui/importlistdialog.h"
#include "ui/mainwindow.h"
#include "ui/screeningpane.h"

#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMutex>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QThread>
#include <QThreadPool>
#include <QtTest>

#include <memory>

using namespace kyc;
using namespace Qt::StringLiterals;
using kyc::models::ListTableModel;
using kyc::models::MatchTableModel;
using kyc::models::RawValueRole;
using kyc::ui::ScreeningPane;

using test::userActor;

namespace {

constexpr int kTimeoutMs = 60'000;
const QString kPassword = u"correct horse battery staple"_s;

QString unFile()
{
    return test::sharedDir() + u"/data/sanctions/un_consolidated_xml/2026-02-27/UN_consolidated.xml"_s;
}

QString dplFile()
{
    return test::sharedDir() + u"/data/sanctions/us_bis_dpl_txt/2022-09/dpl.txt"_s;
}

template <typename T>
QString why(const Result<T> &r)
{
    return r ? QString() : r.error().message;
}

// A firm with one user per role the tests need.
struct Firm {
    QString id;
    Actor owner;
    Actor officer;
    Actor viewer;
};

std::optional<Firm> makeFirm(Backend &backend, const QString &tag)
{
    auto &accounts = backend.accounts();
    auto f = accounts.createFirm(
        {u"Screening %1 Ltd"_s.arg(tag), u"GB"_s, {}, u"owner@%1.test"_s.arg(tag), kPassword, u"Owen Owner"_s, {}});
    if (!f)
        return std::nullopt;
    Firm firm;
    firm.id = f->first.id;
    firm.owner = userActor(firm.id, f->second.id, Role::Owner);
    auto officer = accounts.createUser(Actor::system(firm.id), u"officer@%1.test"_s.arg(tag), u"Cora Officer"_s,
                                       Role::ComplianceOfficer, kPassword);
    auto viewer
        = accounts.createUser(Actor::system(firm.id), u"viewer@%1.test"_s.arg(tag), u"Vera Viewer"_s, Role::Viewer, kPassword);
    if (!officer || !viewer)
        return std::nullopt;
    firm.officer = userActor(firm.id, officer->id, Role::ComplianceOfficer);
    firm.viewer = userActor(firm.id, viewer->id, Role::Viewer);
    return firm;
}

template <typename T>
T *child(QObject &parent, const QString &name)
{
    return parent.findChild<T *>(name);
}

int rowWithScreenedList(const MatchTableModel &model, const QString &list, double minScore)
{
    for (int r = 0; r < model.rowCount(); ++r) {
        if (model.matchAt(r).listSource == list && model.matchAt(r).score >= minScore)
            return r;
    }
    return -1;
}

QString listCell(const ListTableModel &model, const QString &source, int column)
{
    const int row = model.rowOf(source);
    return row < 0 ? QString() : model.data(model.index(row, column)).toString();
}

// Answers "Import list…" without a dialog.
class FixedChooser final : public ui::ImportChooser
{
public:
    explicit FixedChooser(ui::ImportRequest request, int *asked)
        : m_request(std::move(request))
        , m_asked(asked)
    {
    }
    std::optional<ui::ImportRequest> choose(QWidget *) override
    {
        ++*m_asked;
        return m_request;
    }

private:
    ui::ImportRequest m_request;
    int *m_asked;
};

class CancellingChooser final : public ui::ImportChooser
{
public:
    std::optional<ui::ImportRequest> choose(QWidget *) override { return std::nullopt; }
};

} // namespace

class TestScreeningPane final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();

    void screenShowsRankedMatchesWithoutBlocking();
    void explanationShowsTokenPairs();
    void invalidSubjectShowsTheServiceMessage();
    void resolveFalsePositiveUpdatesRowAndDatabase();
    void refusedResolutionShowsTheServiceMessage();
    void importShowsProgressFromAWorkerThread();
    void importIsRefusedWithoutTheAdminRole();
    void importButtonAsksTheChooser();
    void closingThePaneDuringAnImportWaitsForIt();
    void refreshNowDownloadsTheConfiguredSource();
    void monitoringAlertOpensItsScreening();
    void withoutAFirmOnlyListsAreManaged();
    void mainWindowHasAScreeningTab();
    void importDialogMakesAFirmList();

private:
    void screenEricBadege(ScreeningPane &pane);

    std::unique_ptr<test::TempBackend> m_tb;
    Firm m_firm;
};

void TestScreeningPane::initTestCase()
{
    QVERIFY2(QFile::exists(unFile()), qPrintable(unFile()));
    m_tb = std::make_unique<test::TempBackend>();
    QVERIFY(m_tb->ok());
    auto v = m_tb->backend().screening().importList(Actor::system(), u"un_xml"_s, {unFile()});
    QVERIFY2(v, qPrintable(why(v)));
    auto firm = makeFirm(m_tb->backend(), u"main"_s);
    QVERIFY(firm);
    m_firm = *firm;
}

void TestScreeningPane::cleanup()
{
    // No test leaves work behind for the next one (each pane waits for its own when destroyed).
    QVERIFY(QThreadPool::globalInstance()->waitForDone(kTimeoutMs));
}

void TestScreeningPane::screenEricBadege(ScreeningPane &pane)
{
    auto *name = child<QLineEdit>(pane, u"subjectName"_s);
    auto *button = child<QPushButton>(pane, u"screenButton"_s);
    QVERIFY(name && button);
    QSignalSpy screened(&pane, &ScreeningPane::screened);
    name->setText(u"ERIC BADEGE"_s);
    QTest::mouseClick(button, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(screened.count(), 1, kTimeoutMs);
    QCOMPARE(screened.at(0).at(0).toBool(), true);
}

void TestScreeningPane::screenShowsRankedMatchesWithoutBlocking()
{
    ScreeningPane pane(m_tb->backend(), m_firm.officer);
    auto *name = child<QLineEdit>(pane, u"subjectName"_s);
    auto *type = child<QComboBox>(pane, u"subjectType"_s);
    auto *button = child<QPushButton>(pane, u"screenButton"_s);
    QVERIFY(name && type && button);
    QCOMPARE(type->currentText(), u"Person"_s);
    QVERIFY(button->isEnabled());

    QSignalSpy screened(&pane, &ScreeningPane::screened);
    name->setText(u"ERIC BADEGE"_s);
    QTest::mouseClick(button, Qt::LeftButton);
    // The click returned before the result: the result can only arrive through the event loop.
    QCOMPARE(screened.count(), 0);
    QCOMPARE(pane.matchModel()->rowCount(), 0);
    QVERIFY(!button->isEnabled());
    QVERIFY2(pane.screenStatusText().contains(u"Screening"_s), qPrintable(pane.screenStatusText()));

    QTRY_COMPARE_WITH_TIMEOUT(screened.count(), 1, kTimeoutMs);
    QCOMPARE(screened.at(0).at(0).toBool(), true);
    QVERIFY(button->isEnabled());
    const MatchTableModel &model = *pane.matchModel();
    QVERIFY(model.rowCount() > 0);
    const int row = rowWithScreenedList(model, u"un"_s, 0.8);
    QVERIFY2(row >= 0, "no UN match scoring 0.8 or more");
    QCOMPARE(row, 0); // the best match ranks first
    QCOMPARE(model.data(model.index(0, MatchTableModel::List)).toString(), u"un"_s);
    QVERIFY(model.data(model.index(0, MatchTableModel::Score), RawValueRole).toDouble() >= 0.8);
    QCOMPARE(model.data(model.index(0, MatchTableModel::PrimaryName)).toString(), u"ERIC BADEGE"_s);
    QCOMPARE(model.data(model.index(0, MatchTableModel::Resolution)).toString(), u"open"_s);
    for (int r = 1; r < model.rowCount(); ++r)
        QVERIFY(model.matchAt(r - 1).score >= model.matchAt(r).score);
    QVERIFY2(pane.screenStatusText().contains(u"potential match"_s), qPrintable(pane.screenStatusText()));
    QVERIFY2(pane.screenStatusText().contains(u"un (2026-02-27)"_s), qPrintable(pane.screenStatusText()));

    // Stored as this firm's screening, by this officer.
    auto stored = m_tb->backend().screening().screening(m_firm.officer, pane.currentScreening().id);
    QVERIFY2(stored, qPrintable(why(stored)));
    QCOMPARE(stored->matches.size(), pane.currentScreening().matches.size());
    QCOMPARE(stored->createdBy, m_firm.officer.userId);
}

void TestScreeningPane::explanationShowsTokenPairs()
{
    ScreeningPane pane(m_tb->backend(), m_firm.officer);
    screenEricBadege(pane);
    auto *view = child<QTableView>(pane, u"matches"_s);
    auto *explanation = child<QTextBrowser>(pane, u"explanation"_s);
    QVERIFY(view && explanation);
    // The best match is selected and explained at once.
    QCOMPARE(view->selectionModel()->selectedRows().size(), 1);
    QCOMPARE(view->selectionModel()->selectedRows().first().row(), 0);
    const QString text = explanation->toPlainText();
    QCOMPARE(pane.explanationText(), text);
    QVERIFY2(text.contains(u"Name tokens"_s), qPrintable(text));
    QVERIFY2(text.contains(u"Query token"_s) && text.contains(u"Listed token"_s), qPrintable(text));
    QVERIFY2(text.contains(u"eric"_s, Qt::CaseInsensitive) && text.contains(u"badege"_s, Qt::CaseInsensitive), qPrintable(text));
    QVERIFY2(text.contains(u"exact"_s), qPrintable(text));
    QVERIFY2(text.contains(u"Qualifiers"_s), qPrintable(text));
    QVERIFY2(text.contains(pane.matchModel()->matchAt(0).entityId), qPrintable(text));

    // Another row, another explanation.
    if (pane.matchModel()->rowCount() > 1) {
        view->selectRow(1);
        QVERIFY(explanation->toPlainText().contains(pane.matchModel()->matchAt(1).entityId));
    }
    view->clearSelection();
    QVERIFY2(explanation->toPlainText().contains(u"Select a match"_s), qPrintable(explanation->toPlainText()));
    QVERIFY(!child<QPushButton>(pane, u"falsePositiveButton"_s)->isEnabled());
}

void TestScreeningPane::invalidSubjectShowsTheServiceMessage()
{
    ScreeningPane pane(m_tb->backend(), m_firm.officer);
    QSignalSpy screened(&pane, &ScreeningPane::screened);
    child<QLineEdit>(pane, u"subjectName"_s)->setText(u"ERIC BADEGE"_s);
    child<QLineEdit>(pane, u"birthDate"_s)->setText(u"29/02/1971"_s);
    pane.screen();
    QTRY_COMPARE_WITH_TIMEOUT(screened.count(), 1, kTimeoutMs);
    QCOMPARE(screened.at(0).at(0).toBool(), false);
    QVERIFY2(pane.screenStatusText().contains(u"birth_date must be YYYY, YYYY-MM or YYYY-MM-DD"_s),
             qPrintable(pane.screenStatusText()));
    QCOMPARE(pane.matchModel()->rowCount(), 0);
    QVERIFY(child<QPushButton>(pane, u"screenButton"_s)->isEnabled());
}

void TestScreeningPane::resolveFalsePositiveUpdatesRowAndDatabase()
{
    ScreeningPane pane(m_tb->backend(), m_firm.officer);
    screenEricBadege(pane);
    auto *reason = child<QLineEdit>(pane, u"reason"_s);
    auto *falsePositive = child<QPushButton>(pane, u"falsePositiveButton"_s);
    auto *truePositive = child<QPushButton>(pane, u"truePositiveButton"_s);
    QVERIFY(reason && falsePositive && truePositive);
    QVERIFY(falsePositive->isEnabled());
    const QString screeningId = pane.currentScreening().id;
    const QString matchId = pane.matchModel()->matchAt(0).id;

    QSignalSpy resolved(&pane, &ScreeningPane::resolved);
    reason->setText(u"Different person: born 1980 in Kenya"_s);
    QTest::mouseClick(falsePositive, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(resolved.count(), 1, kTimeoutMs);
    QVERIFY2(resolved.at(0).at(0).toBool(), qPrintable(pane.resolveMessage()));

    // The row…
    const int row = pane.matchModel()->rowOf(matchId);
    QVERIFY(row >= 0);
    QCOMPARE(pane.matchModel()->data(pane.matchModel()->index(row, MatchTableModel::Resolution)).toString(), u"false positive"_s);
    QVERIFY(!falsePositive->isEnabled());
    QVERIFY(!truePositive->isEnabled());
    QVERIFY(reason->text().isEmpty());
    QVERIFY2(pane.explanationText().contains(u"Resolved as false positive"_s), qPrintable(pane.explanationText()));
    QVERIFY2(pane.explanationText().contains(u"born 1980 in Kenya"_s), qPrintable(pane.explanationText()));
    // …and the database.
    auto stored = m_tb->backend().screening().screening(m_firm.officer, screeningId);
    QVERIFY2(stored, qPrintable(why(stored)));
    bool found = false;
    for (const auto &m : stored->matches) {
        if (m.id != matchId)
            continue;
        found = true;
        QCOMPARE(m.resolution, u"false_positive"_s);
        QCOMPARE(m.reason, u"Different person: born 1980 in Kenya"_s);
        QCOMPARE(m.resolvedBy, m_firm.officer.userId);
    }
    QVERIFY(found);
    QCOMPARE(pane.currentScreening().status, stored->status);

    // A second resolution of the same match is the service's to refuse, and the pane says why.
    reason->setText(u"Changed my mind"_s);
    pane.resolveSelected(ScreeningPane::Resolution::TruePositive);
    QTRY_COMPARE_WITH_TIMEOUT(resolved.count(), 2, kTimeoutMs);
    QCOMPARE(resolved.at(1).at(0).toBool(), false);
    QVERIFY2(pane.resolveMessage().contains(u"already resolved as false_positive"_s), qPrintable(pane.resolveMessage()));

    // The same subject screened again: the false positive is remembered.
    screenEricBadege(pane);
    QCOMPARE(pane.matchModel()->rowOf(matchId), -1);
    QVERIFY2(pane.screenStatusText().contains(u"hidden"_s), qPrintable(pane.screenStatusText()));
}

void TestScreeningPane::refusedResolutionShowsTheServiceMessage()
{
    // A viewer may screen but not resolve: the service refuses, with its own words. (Another form of the
    // name than the other tests', whose false positive this firm remembers for "ERIC BADEGE".)
    ScreeningPane pane(m_tb->backend(), m_firm.viewer);
    child<QLineEdit>(pane, u"subjectName"_s)->setText(u"BADEGE ERIC"_s);
    QSignalSpy screened(&pane, &ScreeningPane::screened);
    pane.screen();
    QTRY_COMPARE_WITH_TIMEOUT(screened.count(), 1, kTimeoutMs);
    QVERIFY(pane.matchModel()->rowCount() > 0);
    const QString screeningId = pane.currentScreening().id;
    const QString matchId = pane.matchModel()->matchAt(0).id;
    auto direct = m_tb->backend().screening().resolve(m_firm.viewer, screeningId, matchId, u"false_positive"_s, u"Not him"_s);
    QVERIFY(!direct);
    QCOMPARE(direct.error().code, ErrorCode::Forbidden);

    QSignalSpy resolved(&pane, &ScreeningPane::resolved);
    child<QLineEdit>(pane, u"reason"_s)->setText(u"Not him"_s);
    QTest::mouseClick(child<QPushButton>(pane, u"falsePositiveButton"_s), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(resolved.count(), 1, kTimeoutMs);
    QCOMPARE(resolved.at(0).at(0).toBool(), false);
    QVERIFY2(pane.resolveMessage().contains(direct.error().message), qPrintable(pane.resolveMessage()));
    QCOMPARE(pane.matchModel()->matchAt(0).resolution, QString());
    QVERIFY(child<QPushButton>(pane, u"falsePositiveButton"_s)->isEnabled()); // nothing changed: may try again

    // An officer without a reason: the service's validation message.
    ScreeningPane officerPane(m_tb->backend(), m_firm.officer);
    QSignalSpy officerScreened(&officerPane, &ScreeningPane::screened);
    child<QLineEdit>(officerPane, u"subjectName"_s)->setText(u"BADEGE ERIC"_s);
    officerPane.screen();
    QTRY_COMPARE_WITH_TIMEOUT(officerScreened.count(), 1, kTimeoutMs);
    QVERIFY(officerPane.matchModel()->rowCount() > 0);
    QSignalSpy officerResolved(&officerPane, &ScreeningPane::resolved);
    officerPane.resolveSelected(ScreeningPane::Resolution::TruePositive);
    QTRY_COMPARE_WITH_TIMEOUT(officerResolved.count(), 1, kTimeoutMs);
    QCOMPARE(officerResolved.at(0).at(0).toBool(), false);
    QVERIFY2(officerPane.resolveMessage().contains(u"reason must be 1 to 2000 characters long"_s),
             qPrintable(officerPane.resolveMessage()));
}

void TestScreeningPane::importShowsProgressFromAWorkerThread()
{
    test::TempBackend tb;
    QVERIFY(tb.ok());
    auto first = tb.backend().screening().importList(Actor::system(), u"un_xml"_s, {unFile()});
    QVERIFY2(first, qPrintable(why(first)));
    auto firm = makeFirm(tb.backend(), u"import"_s);
    QVERIFY(firm);
    ScreeningPane pane(tb.backend(), firm->owner);
    QTRY_COMPARE_WITH_TIMEOUT(listCell(*pane.listModel(), u"un"_s, ListTableModel::Version), u"1"_s, kTimeoutMs);

    // Recorded where the progress callback runs (a direct connection runs in the emitting thread).
    QMutex mutex;
    QList<QThread *> threads;
    QList<std::pair<qint64, qint64>> reports;
    connect(
        &pane, &ScreeningPane::importProgress, this,
        [&](qint64 done, qint64 total) {
            QMutexLocker lock(&mutex);
            threads << QThread::currentThread();
            reports << std::pair{done, total};
        },
        Qt::DirectConnection);
    auto *bar = child<QProgressBar>(pane, u"importProgress"_s);
    QVERIFY(bar);
    QList<int> barValues;
    connect(bar, &QProgressBar::valueChanged, this, [&](int v) { barValues << v; });
    QSignalSpy finished(&pane, &ScreeningPane::importFinished);

    // The desk of a firm imports the firm's own list (the official UN list is the platform's).
    QVERIFY(pane.importList(u"un_xml"_s, {unFile()}, u"firm:un_copy"_s));
    QVERIFY(pane.isImporting());
    QVERIFY(!bar->isHidden());
    QVERIFY(!child<QPushButton>(pane, u"importButton"_s)->isEnabled());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(pane.importResultText()));
    QVERIFY(!pane.isImporting());
    QVERIFY(child<QPushButton>(pane, u"importButton"_s)->isEnabled());

    {
        QMutexLocker lock(&mutex);
        QVERIFY(reports.size() >= 2);
        for (QThread *t : threads)
            QVERIFY(t != QThread::currentThread()); // not the GUI thread
        for (qsizetype i = 1; i < reports.size(); ++i)
            QVERIFY(reports[i].first >= reports[i - 1].first);
        QVERIFY(reports.last().second > 0);
        QCOMPARE(reports.last().first, reports.last().second);
    }
    QVERIFY(barValues.size() >= 2);
    for (qsizetype i = 1; i < barValues.size(); ++i)
        QVERIFY2(barValues[i] >= barValues[i - 1], qPrintable(u"%1 then %2"_s.arg(barValues[i - 1]).arg(barValues[i])));
    QVERIFY(barValues.first() < barValues.last());
    QCOMPARE(barValues.last(), bar->maximum());

    // The result, and the new version in the table.
    const QString text = pane.importResultText();
    QVERIFY2(text.contains(u"Imported firm:un_copy version 1"_s), qPrintable(text));
    QVERIFY2(text.contains(u"1003 entities"_s), qPrintable(text));
    QVERIFY2(text.contains(u"1003 added, 0 changed, 0 removed"_s), qPrintable(text));
    QVERIFY2(text.contains(u"problem"_s) && text.contains(u"monitoring alert"_s), qPrintable(text));
    QTRY_COMPARE_WITH_TIMEOUT(listCell(*pane.listModel(), u"firm:un_copy"_s, ListTableModel::Version), u"1"_s, kTimeoutMs);
    auto lists = tb.backend().screening().lists(firm->owner);
    QVERIFY(lists);
    QCOMPARE(lists->size(), 2);
    const screening::ListVersion own = lists->at(0).source == u"firm:un_copy"_s ? lists->at(0) : lists->at(1);
    QCOMPARE(own.source, u"firm:un_copy"_s);
    QCOMPARE(own.owner, firm->id);
    QCOMPARE(listCell(*pane.listModel(), u"firm:un_copy"_s, ListTableModel::Checksum), own.sha256.left(12));
    QCOMPARE(listCell(*pane.listModel(), u"firm:un_copy"_s, ListTableModel::Entities), u"1003"_s);
    QCOMPARE(listCell(*pane.listModel(), u"firm:un_copy"_s, ListTableModel::LoadedAt), own.loadedAt);
    // Who owns each list shows in the table.
    QCOMPARE(listCell(*pane.listModel(), u"firm:un_copy"_s, ListTableModel::Owner), u"this firm"_s);
    QCOMPARE(listCell(*pane.listModel(), u"un"_s, ListTableModel::Owner), u"platform"_s);
    QCOMPARE(listCell(*pane.listModel(), u"un"_s, ListTableModel::Version), u"1"_s);
}

void TestScreeningPane::importIsRefusedWithoutTheAdminRole()
{
    ScreeningPane pane(m_tb->backend(), m_firm.officer);
    QSignalSpy finished(&pane, &ScreeningPane::importFinished);
    QVERIFY(pane.importList(u"un_xml"_s, {unFile()}, u"firm:watchlist"_s));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QCOMPARE(finished.at(0).at(0).toBool(), false);
    QVERIFY2(pane.importResultText().contains(u"requires the admin role or a stronger one"_s),
             qPrintable(pane.importResultText()));
    QVERIFY(child<QProgressBar>(pane, u"importProgress"_s)->isHidden());

    // The official UN list is the platform's, whatever the desk's role in its firm.
    ScreeningPane ownerPane(m_tb->backend(), m_firm.owner);
    QSignalSpy ownerFinished(&ownerPane, &ScreeningPane::importFinished);
    QVERIFY(ownerPane.importList(u"un_xml"_s, {unFile()}));
    QTRY_COMPARE_WITH_TIMEOUT(ownerFinished.count(), 1, kTimeoutMs);
    QCOMPARE(ownerFinished.at(0).at(0).toBool(), false);
    QVERIFY2(ownerPane.importResultText().contains(u"only a platform admin"_s), qPrintable(ownerPane.importResultText()));

    // Refreshing replaces an official list: the refresher asks for a platform admin.
    QSignalSpy refreshed(&pane, &ScreeningPane::refreshFinished);
    pane.refreshSource(u"un"_s);
    QVERIFY2(pane.importResultText().contains(u"requires a platform admin"_s), qPrintable(pane.importResultText()));
    QCOMPARE(refreshed.count(), 0);
}

void TestScreeningPane::importButtonAsksTheChooser()
{
    test::TempBackend tb;
    QVERIFY(tb.ok());
    ScreeningPane pane(tb.backend(), Actor::system());
    int asked = 0;
    pane.setImportChooser(std::make_unique<CancellingChooser>());
    QSignalSpy finished(&pane, &ScreeningPane::importFinished);
    auto *button = child<QPushButton>(pane, u"importButton"_s);
    QTest::mouseClick(button, Qt::LeftButton);
    QVERIFY(!pane.isImporting()); // cancelled: nothing started

    pane.setImportChooser(std::make_unique<FixedChooser>(ui::ImportRequest{u"bis_dpl_txt"_s, {}, {dplFile()}}, &asked));
    QTest::mouseClick(button, Qt::LeftButton);
    QCOMPARE(asked, 1);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(pane.importResultText()));
    QTRY_COMPARE_WITH_TIMEOUT(listCell(*pane.listModel(), u"us_bis_dpl"_s, ListTableModel::Version), u"1"_s, kTimeoutMs);
    QCOMPARE(listCell(*pane.listModel(), u"us_bis_dpl"_s, ListTableModel::Format), u"bis_dpl_txt"_s);

    // A file that is not the format: the importer's message.
    QVERIFY(pane.importList(u"un_xml"_s, {dplFile()}));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, kTimeoutMs);
    QCOMPARE(finished.at(1).at(0).toBool(), false);
    QVERIFY2(pane.importResultText().startsWith(u"Import failed: "_s), qPrintable(pane.importResultText()));
}

void TestScreeningPane::closingThePaneDuringAnImportWaitsForIt()
{
    test::TempBackend tb;
    QVERIFY(tb.ok());
    {
        auto pane = std::make_unique<ScreeningPane>(tb.backend(), Actor::system());
        QVERIFY(pane->importList(u"un_xml"_s, {unFile()}));
        // One import at a time.
        QVERIFY(!pane->importList(u"bis_dpl_txt"_s, {dplFile()}));
        QVERIFY2(pane->importResultText().contains(u"already running"_s), qPrintable(pane->importResultText()));
        pane.reset(); // while the import runs (or before it starts): the pane waits for it
    }
    auto lists = tb.backend().screening().lists(Actor::system());
    QVERIFY(lists);
    QCOMPARE(lists->size(), 1);
    QCOMPARE(lists->first().source, u"un"_s);
}

void TestScreeningPane::refreshNowDownloadsTheConfiguredSource()
{
    test::FakeHttpServer server;
    QVERIFY(server.isListening());
    QVERIFY(server.serveFile(u"/un/consolidated.xml"_s, unFile(), "\"v1\""));
    QTemporaryDir dir;
    const QString sourcesFile = dir.filePath(u"list-sources.json"_s);
    {
        const QJsonObject table{
            {u"retry_delay_ms"_s, 0},
            {u"timeout_seconds"_s, 30},
            {u"sources"_s,
             QJsonArray{QJsonObject{{u"source"_s, u"un"_s},
                                    {u"format"_s, u"un_xml"_s},
                                    {u"title"_s, u"UN (local)"_s},
                                    {u"urls"_s, QJsonArray{server.url(u"/un/consolidated.xml"_s).toString()}}}}}};
        QFile f(sourcesFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QJsonDocument(table).toJson());
    }
    Config config = test::testConfig();
    config.listSourcesFile = sourcesFile;
    test::TempBackend tb(config);
    QVERIFY(tb.ok());
    auto firm = makeFirm(tb.backend(), u"refresh"_s);
    QVERIFY(firm);

    // A firm's owner may not refresh the platform's lists; a platform admin may.
    {
        ScreeningPane ownerPane(tb.backend(), firm->owner);
        QSignalSpy refused(&ownerPane, &ScreeningPane::refreshFinished);
        ownerPane.refreshSource(u"un"_s);
        QVERIFY2(ownerPane.importResultText().contains(u"platform admin"_s), qPrintable(ownerPane.importResultText()));
        QCOMPARE(refused.count(), 0);
    }
    Actor platformAdmin = firm->owner;
    platformAdmin.platformAdmin = true;
    ScreeningPane pane(tb.backend(), platformAdmin);
    auto *sources = child<QComboBox>(pane, u"refreshSource"_s);
    auto *refresh = child<QPushButton>(pane, u"refreshButton"_s);
    QVERIFY(sources && refresh);
    // Configured but not loaded yet: listed, and refreshable.
    QTRY_COMPARE_WITH_TIMEOUT(listCell(*pane.listModel(), u"un"_s, ListTableModel::Version), u"not loaded"_s, kTimeoutMs);
    QCOMPARE(sources->count(), 1);
    QCOMPARE(sources->currentData().toString(), u"un"_s);
    QVERIFY(refresh->isEnabled());

    QSignalSpy refreshed(&pane, &ScreeningPane::refreshFinished);
    QTest::mouseClick(refresh, Qt::LeftButton);
    QVERIFY(!refresh->isEnabled());
    QTRY_COMPARE_WITH_TIMEOUT(refreshed.count(), 1, kTimeoutMs);
    QCOMPARE(refreshed.at(0).at(0).toString(), u"un"_s);
    QCOMPARE(refreshed.at(0).at(1).toString(), u"imported"_s);
    QVERIFY2(pane.importResultText().contains(u"un: new version imported"_s), qPrintable(pane.importResultText()));
    QTRY_COMPARE_WITH_TIMEOUT(listCell(*pane.listModel(), u"un"_s, ListTableModel::Version), u"1"_s, kTimeoutMs);
    QCOMPARE(listCell(*pane.listModel(), u"un"_s, ListTableModel::Entities), u"1003"_s);
    QCOMPARE(listCell(*pane.listModel(), u"un"_s, ListTableModel::Stale), u"current"_s);
    QVERIFY(refresh->isEnabled());
    QCOMPARE(server.requestCount(u"/un/consolidated.xml"_s), 1);

    // Again: the server answers 304 to the conditional GET.
    QTest::mouseClick(refresh, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(refreshed.count(), 2, kTimeoutMs);
    QCOMPARE(refreshed.at(1).at(1).toString(), u"not_modified"_s);
    QCOMPARE(listCell(*pane.listModel(), u"un"_s, ListTableModel::Version), u"1"_s);

    // A failure shows in the table's last-error column, and the loaded version stays.
    server.failWith(u"/un/consolidated.xml"_s, 404);
    QTest::mouseClick(refresh, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(refreshed.count(), 3, kTimeoutMs);
    QCOMPARE(refreshed.at(2).at(1).toString(), u"failed"_s);
    QTRY_VERIFY_WITH_TIMEOUT(!listCell(*pane.listModel(), u"un"_s, ListTableModel::LastError).isEmpty(), kTimeoutMs);
    QCOMPARE(listCell(*pane.listModel(), u"un"_s, ListTableModel::Version), u"1"_s);
    // Failing, with its next retry; never "current" (issue 8, wrong answer 5).
    QVERIFY2(listCell(*pane.listModel(), u"un"_s, ListTableModel::Stale).startsWith(u"failing, next retry "_s),
             qPrintable(listCell(*pane.listModel(), u"un"_s, ListTableModel::Stale)));
    QVERIFY2(child<QLabel>(pane, u"listsStatus"_s)->text().contains(u"Refresh failing: un (next retry "_s),
             qPrintable(child<QLabel>(pane, u"listsStatus"_s)->text()));
    tb.backend().listRefresher().stop();
}

void TestScreeningPane::monitoringAlertOpensItsScreening()
{
    // A monitored case screened before the UN list was loaded: importing the list raises an alert.
    test::TempBackend tb;
    QVERIFY(tb.ok());
    auto firm = makeFirm(tb.backend(), u"monitor"_s);
    QVERIFY(firm);
    auto &service = tb.backend().screening();
    // Some list must be loaded for a screening to mean anything (with none it is refused, not "clear").
    auto dpl = service.importList(Actor::system(), u"bis_dpl_txt"_s, {dplFile()});
    QVERIFY2(dpl, qPrintable(why(dpl)));
    screening::ScreenInput in;
    in.name = u"ERIC BADEGE"_s;
    in.caseId = newId();
    auto before = service.screen(firm->officer, in);
    QVERIFY2(before, qPrintable(why(before)));
    QCOMPARE(before->status, u"clear"_s);
    auto monitored = service.setMonitoring(firm->officer, in.caseId, true);
    QVERIFY2(monitored, qPrintable(why(monitored)));

    ScreeningPane pane(tb.backend(), firm->owner);
    QSignalSpy finished(&pane, &ScreeningPane::importFinished);
    QVERIFY(pane.importList(u"un_xml"_s, {unFile()}, u"firm:un_copy"_s)); // the firm's own copy of the list
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(pane.importResultText()));
    auto alerts = service.alerts(firm->owner, {u"open"_s, {}}, PageRequest{1, 100});
    QVERIFY(alerts);
    QVERIFY(alerts->total >= 1);
    QVERIFY2(pane.importResultText().contains(u"%1 monitoring alert"_s.arg(alerts->total)), qPrintable(pane.importResultText()));
    QTRY_COMPARE_WITH_TIMEOUT(pane.alertModel()->rowCount(), int(alerts->total), kTimeoutMs);
    const screening::MonitoringAlert alert = pane.alertModel()->alertAt(0);
    QCOMPARE(alert.caseId, in.caseId);
    QCOMPARE(alert.listSource, u"firm:un_copy"_s);

    // Double-click the alert: its screening opens on the Screen tab with its match selected.
    auto *tabs = child<QTabWidget>(pane, u"screeningTabs"_s);
    auto *view = child<QTableView>(pane, u"alerts"_s);
    QVERIFY(tabs && view);
    tabs->setCurrentIndex(2);
    pane.resize(1000, 600);
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    QSignalSpy opened(&pane, &ScreeningPane::alertOpened);
    const QRect cell = view->visualRect(pane.alertModel()->index(0, 0));
    QVERIFY(cell.isValid());
    // A press first: QAbstractItemView only reports a double-click on the index it saw pressed.
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, cell.center());
    QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, cell.center());
    QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, kTimeoutMs);
    QCOMPARE(opened.at(0).at(0).toBool(), true);
    QCOMPARE(tabs->currentIndex(), 0);
    QCOMPARE(pane.currentScreening().id, alert.screeningId);
    const int row = pane.matchModel()->rowOf(alert.matchId);
    QVERIFY(row >= 0);
    auto *matches = child<QTableView>(pane, u"matches"_s);
    QCOMPARE(matches->selectionModel()->selectedRows().size(), 1);
    QCOMPARE(matches->selectionModel()->selectedRows().first().row(), row);

    // Resolving its match closes the alert.
    QSignalSpy resolved(&pane, &ScreeningPane::resolved);
    QSignalSpy reloaded(&pane, &ScreeningPane::alertsReloaded);
    child<QLineEdit>(pane, u"reason"_s)->setText(u"Same person: confirmed with the case documents"_s);
    pane.resolveSelected(ScreeningPane::Resolution::TruePositive);
    QTRY_COMPARE_WITH_TIMEOUT(resolved.count(), 1, kTimeoutMs);
    QVERIFY2(resolved.at(0).at(0).toBool(), qPrintable(pane.resolveMessage()));
    QTRY_VERIFY_WITH_TIMEOUT(!reloaded.isEmpty(), kTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(pane.alertModel()->rowCount(), int(alerts->total) - 1, kTimeoutMs);
    // The Resolved filter shows it.
    auto *filter = child<QComboBox>(pane, u"alertFilter"_s);
    filter->setCurrentIndex(filter->findData(u"resolved"_s));
    QTRY_COMPARE_WITH_TIMEOUT(pane.alertModel()->rowCount(), 1, kTimeoutMs);
    QCOMPARE(pane.alertModel()->alertAt(0).id, alert.id);
    QCOMPARE(pane.alertModel()->alertAt(0).status, u"resolved"_s);
}

void TestScreeningPane::withoutAFirmOnlyListsAreManaged()
{
    ScreeningPane pane(m_tb->backend(), Actor::system());
    QVERIFY(!child<QPushButton>(pane, u"screenButton"_s)->isEnabled());
    QVERIFY(!child<QLineEdit>(pane, u"subjectName"_s)->isEnabled());
    QVERIFY2(pane.screenStatusText().contains(u"needs a firm"_s), qPrintable(pane.screenStatusText()));
    QSignalSpy screened(&pane, &ScreeningPane::screened);
    pane.screen();
    QCOMPARE(screened.count(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(listCell(*pane.listModel(), u"un"_s, ListTableModel::Format), u"un_xml"_s, kTimeoutMs);
    QVERIFY(child<QPushButton>(pane, u"importButton"_s)->isEnabled());
}

void TestScreeningPane::mainWindowHasAScreeningTab()
{
    for (const bool signedIn : {true, false}) {
        auto w = signedIn ? std::make_unique<ui::MainWindow>(m_tb->backend(), m_firm.officer)
                          : std::make_unique<ui::MainWindow>(m_tb->backend());
        QTabWidget *tabs = w->panes();
        ScreeningPane *pane = nullptr;
        int screeningTab = -1;
        int auditTab = -1;
        for (int i = 0; i < tabs->count(); ++i) {
            if (tabs->tabText(i).remove(u'&') == u"Screening"_s) {
                screeningTab = i;
                pane = qobject_cast<ScreeningPane *>(tabs->widget(i));
            }
            if (tabs->tabText(i).remove(u'&') == u"Audit"_s)
                auditTab = i;
        }
        QVERIFY(pane);
        QVERIFY(auditTab >= 0);
        QCOMPARE(qAbs(screeningTab - auditTab), 1);
        QCOMPARE(child<QPushButton>(*pane, u"screenButton"_s)->isEnabled(), signedIn);
        QTRY_VERIFY_WITH_TIMEOUT(pane->listModel()->rowOf(u"un"_s) >= 0, kTimeoutMs);
    }
}

void TestScreeningPane::importDialogMakesAFirmList()
{
    // A firm's desk: only the firm's own list, named firm:<name>; a tabular one keeps its mapping.
    ui::ImportListDialog firmDialog(nullptr, ui::ImportScope::FirmListsOnly);
    auto *target = child<QComboBox>(firmDialog, u"importTarget"_s);
    QVERIFY(target);
    QCOMPARE(target->count(), 1);
    QVERIFY(firmDialog.selectFormat(u"ftm_json"_s));
    firmDialog.setFiles({u"/tmp/watch.json"_s});
    firmDialog.setTarget(false, u"blocklist"_s);
    ui::ImportRequest r = firmDialog.request();
    QCOMPARE(r.format, u"ftm_json"_s);
    QCOMPARE(r.source, u"firm:blocklist"_s);
    QVERIFY(firmDialog.selectFormat(u"tabular"_s, u"pep_us_congress"_s));
    r = firmDialog.request();
    QCOMPARE(r.format, u"tabular:pep_us_congress"_s);
    QCOMPARE(r.source, u"firm:blocklist"_s);
    child<QLineEdit>(firmDialog, u"firmListName"_s)->setText(u"Bad Name"_s);
    QVERIFY(!child<QLineEdit>(firmDialog, u"firmListName"_s)->hasAcceptableInput());

    // A platform admin may also import the official list itself.
    ui::ImportListDialog platformDialog(nullptr, ui::ImportScope::OfficialAllowed);
    QCOMPARE(child<QComboBox>(platformDialog, u"importTarget"_s)->count(), 2);
    QVERIFY(platformDialog.selectFormat(u"un_xml"_s));
    platformDialog.setTarget(true);
    r = platformDialog.request();
    QCOMPARE(r.format, u"un_xml"_s);
    QVERIFY(r.source.isEmpty());

    // Through the pane, the request imports the firm's list for the desk's firm.
    test::TempBackend tb;
    QVERIFY(tb.ok());
    auto firm = makeFirm(tb.backend(), u"dialog"_s);
    QVERIFY(firm);
    ScreeningPane pane(tb.backend(), firm->owner);
    int asked = 0;
    pane.setImportChooser(
        std::make_unique<FixedChooser>(ui::ImportRequest{u"bis_dpl_txt"_s, u"firm:denied"_s, {dplFile()}}, &asked));
    QSignalSpy finished(&pane, &ScreeningPane::importFinished);
    QTest::mouseClick(child<QPushButton>(pane, u"importButton"_s), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(pane.importResultText()));
    QTRY_COMPARE_WITH_TIMEOUT(listCell(*pane.listModel(), u"firm:denied"_s, ListTableModel::Owner), u"this firm"_s, kTimeoutMs);
    auto other = makeFirm(tb.backend(), u"other"_s);
    QVERIFY(other);
    auto seen = tb.backend().screening().lists(other->owner);
    QVERIFY(seen);
    QVERIFY(seen->isEmpty());
}

QTEST_MAIN(TestScreeningPane)
#include "tst_screeningpane.moc"
