// MainWindow over a temporary backend: the API status in the status bar, the Audit tab, and chain
// verification off the GUI thread (intact, tampered, and while the GUI keeps running).
#include "backend/audit/auditlog.h"
#include "models/auditlogmodel.h"
#include "tests/testsupport/testsupport.h"
#include "ui/auditpane.h"
#include "ui/mainwindow.h"

#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSemaphore>
#include <QSignalSpy>
#include <QSqlError>
#include <QSqlQuery>
#include <QStatusBar>
#include <QTabWidget>
#include <QThreadPool>
#include <QTimer>
#include <QtTest>

using namespace kyc;
using kyc::ui::AuditPane;
using kyc::ui::MainWindow;

namespace {

// Liveness bounds, not performance ones: every chain here verifies in well under a second.
constexpr int kVerifyTimeoutMs = 30'000;

audit::NewEvent makeEvent(int n)
{
    audit::NewEvent e;
    e.actorType = QStringLiteral("user");
    e.actorId = QStringLiteral("u-%1").arg(n % 3);
    e.action = QStringLiteral("test.event");
    e.entityType = QStringLiteral("thing");
    e.entityId = QStringLiteral("t-%1").arg(n);
    e.details = QJsonObject{{QStringLiteral("n"), n}};
    return e;
}

// Appends `count` platform events in one transaction (appends join it), which keeps large chains cheap.
bool appendEvents(Backend &backend, int count)
{
    storage::Transaction tx(backend.database());
    if (!tx.begin())
        return false;
    for (int n = 1; n <= count; ++n) {
        if (!backend.audit().append(makeEvent(n)))
            return false;
    }
    return tx.commit().has_value();
}

AuditPane *auditPaneOf(const MainWindow &w)
{
    QTabWidget *tabs = w.panes();
    for (int i = 0; tabs && i < tabs->count(); ++i) {
        if (auto *pane = qobject_cast<AuditPane *>(tabs->widget(i)))
            return pane;
    }
    return nullptr;
}

// Whole-number match, so that "sequence 17" is not satisfied by 170 or 117.
bool mentionsNumber(const QString &text, qint64 n)
{
    return text.contains(QRegularExpression(QStringLiteral("(^|\\D)%1(\\D|$)").arg(n)));
}

} // namespace

class TestMainWindow final : public QObject
{
    Q_OBJECT

private slots:
    void cleanup();

    void statusBarShowsListeningUrl();
    void statusBarShowsFailureReason();
    void statusBarStartingAndStopped();
    void auditPaneIsATab();
    void verifyIntactChain();
    void verifyEmptyChain();
    void verifyDetectsEditedRow();
    void verifyDetectsDeletedRow();
    void guiStaysResponsiveWhileVerifying();
    void verifyReadsTheCurrentBackend();
    void verifyFinishesWithOneWorkerThread();
};

void TestMainWindow::cleanup()
{
    // Each test starts with fresh worker threads, so a thread that verified the previous test's
    // backend cannot carry its database connection into this one (see verifyReadsTheCurrentBackend).
    QThreadPool *pool = QThreadPool::globalInstance();
    if (!pool->waitForDone(kVerifyTimeoutMs)) {
        // A verification stuck waiting for a second worker (see verifyFinishesWithOneWorkerThread):
        // give it one, so that one failure does not hang the whole run.
        const int maxThreads = pool->maxThreadCount();
        pool->setMaxThreadCount(maxThreads + 1);
        pool->waitForDone(kVerifyTimeoutMs);
        pool->setMaxThreadCount(maxThreads);
    }
}

void TestMainWindow::statusBarShowsListeningUrl()
{
    test::TempBackend tb;
    QVERIFY(tb.ok());
    MainWindow w(tb.backend());
    const QString url = QStringLiteral("http://127.0.0.1:3000/api/v1");
    w.setApiStatus(MainWindow::ApiState::Listening, url);
    const QString text = w.apiStatusText();
    QVERIFY2(text.contains(url), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("listening"), Qt::CaseInsensitive), qPrintable(text));

    // The text is what the status bar actually shows.
    auto *label = w.statusBar()->findChild<QLabel *>(QStringLiteral("apiStatus"));
    QVERIFY(label);
    QCOMPARE(label->text(), text);
}

void TestMainWindow::statusBarShowsFailureReason()
{
    test::TempBackend tb;
    QVERIFY(tb.ok());
    MainWindow w(tb.backend());
    w.setApiStatus(MainWindow::ApiState::Listening, QStringLiteral("http://127.0.0.1:3000/api/v1"));
    const QString reason = QStringLiteral("cannot listen on 127.0.0.1:3000: The bound address is already in use");
    w.setApiStatus(MainWindow::ApiState::Failed, reason);
    const QString text = w.apiStatusText();
    QVERIFY2(text.contains(reason), qPrintable(text));
    QVERIFY2(!text.contains(QLatin1String("listening"), Qt::CaseInsensitive), qPrintable(text));
    QVERIFY2(!text.contains(QLatin1String("http://")), qPrintable(text));
}

void TestMainWindow::statusBarStartingAndStopped()
{
    test::TempBackend tb;
    QVERIFY(tb.ok());
    MainWindow w(tb.backend());
    // Before the server reports, the window must not claim to be listening.
    QVERIFY(!w.apiStatusText().isEmpty());
    QVERIFY2(!w.apiStatusText().contains(QLatin1String("listening"), Qt::CaseInsensitive), qPrintable(w.apiStatusText()));

    w.setApiStatus(MainWindow::ApiState::Listening, QStringLiteral("http://127.0.0.1:4242/api/v1"));
    w.setApiStatus(MainWindow::ApiState::Stopped, QString());
    const QString text = w.apiStatusText();
    QVERIFY2(text.contains(QLatin1String("stopped"), Qt::CaseInsensitive), qPrintable(text));
    QVERIFY2(!text.contains(QLatin1String("4242")), qPrintable(text));
}

void TestMainWindow::auditPaneIsATab()
{
    test::TempBackend tb;
    QVERIFY(tb.ok());
    MainWindow w(tb.backend());
    QTabWidget *tabs = w.panes();
    QVERIFY(tabs);
    QCOMPARE(w.centralWidget(), tabs);
    int auditTab = -1;
    for (int i = 0; i < tabs->count(); ++i) {
        if (tabs->tabText(i).remove(u'&') == QStringLiteral("Audit"))
            auditTab = i;
    }
    QVERIFY2(auditTab >= 0, "no tab named Audit");
    auto *pane = qobject_cast<AuditPane *>(tabs->widget(auditTab));
    QVERIFY(pane);
    QVERIFY(pane->model());
    // The pane shows the platform chain of this backend.
    QVERIFY(tb.backend().audit().append(makeEvent(1)).has_value());
    pane->model()->refresh();
    QCOMPARE(pane->model()->total(), qint64(1));
}

void TestMainWindow::verifyIntactChain()
{
    test::TempBackend tb;
    QVERIFY(tb.ok());
    QVERIFY(appendEvents(tb.backend(), 42));
    MainWindow w(tb.backend());
    AuditPane *pane = auditPaneOf(w);
    QVERIFY(pane);
    QSignalSpy spy(pane, &AuditPane::verified);
    QVERIFY(spy.isValid());
    pane->verify();
    QVERIFY(spy.wait(kVerifyTimeoutMs));
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toBool(), true);
    const QString text = pane->resultText();
    QVERIFY2(mentionsNumber(text, 42), qPrintable(text));
    QVERIFY2(!text.contains(QLatin1String("BROKEN")), qPrintable(text));

    // A second run on the same pane works the same way.
    pane->verify();
    QVERIFY(spy.wait(kVerifyTimeoutMs));
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.at(1).at(0).toBool(), true);
}

void TestMainWindow::verifyEmptyChain()
{
    test::TempBackend tb;
    QVERIFY(tb.ok());
    MainWindow w(tb.backend());
    AuditPane *pane = auditPaneOf(w);
    QVERIFY(pane);
    QSignalSpy spy(pane, &AuditPane::verified);
    pane->verify();
    QTRY_COMPARE_WITH_TIMEOUT(spy.count(), 1, kVerifyTimeoutMs);
    QCOMPARE(spy.at(0).at(0).toBool(), true);
    QVERIFY2(mentionsNumber(pane->resultText(), 0), qPrintable(pane->resultText()));
}

void TestMainWindow::verifyDetectsEditedRow()
{
    test::TempBackend tb;
    QVERIFY(tb.ok());
    QVERIFY(appendEvents(tb.backend(), 40));
    MainWindow w(tb.backend());
    AuditPane *pane = auditPaneOf(w);
    QVERIFY(pane);

    {
        QSqlQuery q(tb.backend().database().connection());
        QVERIFY2(q.exec(QStringLiteral("DROP TRIGGER audit_events_no_update")), qPrintable(q.lastError().text()));
        QVERIFY2(
            q.exec(QStringLiteral("UPDATE audit_events SET action = 'test.tampered' WHERE chain = 'platform' AND sequence = 17")),
            qPrintable(q.lastError().text()));
        QCOMPARE(q.numRowsAffected(), 1);
    }

    QSignalSpy spy(pane, &AuditPane::verified);
    pane->verify();
    QVERIFY(spy.wait(kVerifyTimeoutMs));
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toBool(), false);
    const QString text = pane->resultText();
    QVERIFY2(text.contains(QLatin1String("BROKEN")), qPrintable(text));
    QVERIFY2(mentionsNumber(text, 17), qPrintable(text));
    QVERIFY2(!mentionsNumber(text, 18), qPrintable(text));
}

void TestMainWindow::verifyDetectsDeletedRow()
{
    test::TempBackend tb;
    QVERIFY(tb.ok());
    QVERIFY(appendEvents(tb.backend(), 30));
    MainWindow w(tb.backend());
    AuditPane *pane = auditPaneOf(w);
    QVERIFY(pane);

    {
        QSqlQuery q(tb.backend().database().connection());
        QVERIFY2(q.exec(QStringLiteral("DROP TRIGGER audit_events_no_delete")), qPrintable(q.lastError().text()));
        QVERIFY2(q.exec(QStringLiteral("DELETE FROM audit_events WHERE chain = 'platform' AND sequence = 9")),
                 qPrintable(q.lastError().text()));
        QCOMPARE(q.numRowsAffected(), 1);
    }

    QSignalSpy spy(pane, &AuditPane::verified);
    pane->verify();
    QVERIFY(spy.wait(kVerifyTimeoutMs));
    QCOMPARE(spy.at(0).at(0).toBool(), false);
    const QString text = pane->resultText();
    QVERIFY2(text.contains(QLatin1String("BROKEN")), qPrintable(text));
    QVERIFY2(mentionsNumber(text, 9), qPrintable(text));
}

void TestMainWindow::guiStaysResponsiveWhileVerifying()
{
    test::TempBackend tb;
    QVERIFY(tb.ok());
    constexpr int kEvents = 20'000;
    QVERIFY(appendEvents(tb.backend(), kEvents));
    MainWindow w(tb.backend());
    AuditPane *pane = auditPaneOf(w);
    QVERIFY(pane);
    auto *progress = pane->findChild<QProgressBar *>();
    QVERIFY(progress);
    QPushButton *verifyButton = nullptr;
    for (auto *b : pane->findChildren<QPushButton *>()) {
        if (b->text().contains(QLatin1String("Verify")))
            verifyButton = b;
    }
    QVERIFY(verifyButton);
    QVERIFY(progress->isHidden());
    QVERIFY(verifyButton->isEnabled());

    QStringList order;
    bool resultEmptyWhenTimerFired = false;
    bool progressShownWhenTimerFired = false;
    bool buttonDisabledWhenTimerFired = false;
    QTimer timer;
    timer.setSingleShot(true);
    connect(&timer, &QTimer::timeout, this, [&] {
        order << QStringLiteral("timer");
        resultEmptyWhenTimerFired = pane->resultText().isEmpty();
        progressShownWhenTimerFired = !progress->isHidden();
        buttonDisabledWhenTimerFired = !verifyButton->isEnabled();
    });
    connect(pane, &AuditPane::verified, this, [&](bool) { order << QStringLiteral("verified"); });
    QSignalSpy spy(pane, &AuditPane::verified);

    // The timer is due at once; it can only fire before the result if verify() returned to the event
    // loop without waiting for the verification.
    timer.start(0);
    pane->verify();
    QVERIFY(spy.wait(kVerifyTimeoutMs));
    QCOMPARE(order, (QStringList{QStringLiteral("timer"), QStringLiteral("verified")}));
    QVERIFY(resultEmptyWhenTimerFired);
    QVERIFY(progressShownWhenTimerFired);
    QVERIFY(buttonDisabledWhenTimerFired);

    QCOMPARE(spy.at(0).at(0).toBool(), true);
    QVERIFY2(mentionsNumber(pane->resultText(), kEvents), qPrintable(pane->resultText()));
    QVERIFY(progress->isHidden());
    QVERIFY(verifyButton->isEnabled());
}

void TestMainWindow::verifyReadsTheCurrentBackend()
{
    QThreadPool *pool = QThreadPool::globalInstance();
    QVERIFY(pool->waitForDone());
    const int workers = pool->maxThreadCount();
    {
        test::TempBackend first;
        QVERIFY(first.ok());
        QVERIFY(appendEvents(first.backend(), 7));
        // Every worker thread of the pool uses the first database once, as verifications, exports and
        // imports do over an application's life. Holding them all until all have arrived makes sure
        // each task ran on its own thread.
        QSemaphore arrived;
        QSemaphore release;
        QAtomicInt opened = 0;
        for (int i = 0; i < workers; ++i) {
            pool->start([&] {
                if (first.backend().database().connection().isOpen())
                    opened.fetchAndAddOrdered(1);
                arrived.release();
                release.acquire();
            });
        }
        QVERIFY(arrived.tryAcquire(workers, kVerifyTimeoutMs));
        release.release(workers);
        QTRY_COMPARE(pool->activeThreadCount(), 0);
        QCOMPARE(opened.loadAcquire(), workers);

        MainWindow w(first.backend());
        AuditPane *pane = auditPaneOf(w);
        QVERIFY(pane);
        QSignalSpy spy(pane, &AuditPane::verified);
        pane->verify();
        QVERIFY(spy.wait(kVerifyTimeoutMs));
        QVERIFY2(mentionsNumber(pane->resultText(), 7), qPrintable(pane->resultText()));
    }

    // A backend opened after another one closed (every test does this; so would an application that
    // reopens its data directory) must be verified against its own database, on any worker thread.
    test::TempBackend second;
    QVERIFY(second.ok());
    QVERIFY(appendEvents(second.backend(), 3));
    MainWindow w(second.backend());
    AuditPane *pane = auditPaneOf(w);
    QVERIFY(pane);
    QSignalSpy spy(pane, &AuditPane::verified);
    pane->verify();
    QVERIFY(spy.wait(kVerifyTimeoutMs));
    QCOMPARE(spy.at(0).at(0).toBool(), true);
    QVERIFY2(mentionsNumber(pane->resultText(), 3), qPrintable(pane->resultText()));
}

void TestMainWindow::verifyFinishesWithOneWorkerThread()
{
    // QThreadPool's default size is the number of CPUs, so on a one-CPU machine or container the
    // verification is the only worker there is. It must still finish.
    test::TempBackend tb;
    QVERIFY(tb.ok());
    QVERIFY(appendEvents(tb.backend(), 20));
    MainWindow w(tb.backend());
    AuditPane *pane = auditPaneOf(w);
    QVERIFY(pane);
    QSignalSpy spy(pane, &AuditPane::verified);

    QThreadPool *pool = QThreadPool::globalInstance();
    QVERIFY(pool->waitForDone());
    const int maxThreads = pool->maxThreadCount();
    pool->setMaxThreadCount(1);
    // Restoring the pool size also frees a worker stuck waiting for a second thread, so a failure
    // here does not hang the rest of the run.
    auto restore = qScopeGuard([&] {
        pool->setMaxThreadCount(maxThreads);
        if (spy.isEmpty())
            spy.wait(kVerifyTimeoutMs);
    });

    pane->verify();
    // A liveness bound, not a performance one: 20 events take milliseconds.
    QVERIFY2(spy.wait(20'000), "verification never finished with a single worker thread");
    QCOMPARE(spy.at(0).at(0).toBool(), true);
    QVERIFY2(mentionsNumber(pane->resultText(), 20), qPrintable(pane->resultText()));
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
