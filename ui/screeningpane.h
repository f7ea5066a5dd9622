#pragma once

#include "backend/core/actor.h"
#include "backend/screening/screeningservice.h"
#include "ui/importlistdialog.h"

#include <QFuture>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTabWidget;
class QTableView;
class QTextBrowser;

namespace kyc {
class Backend;
}
namespace kyc::models {
class AlertTableModel;
class ListTableModel;
class MatchTableModel;
} // namespace kyc::models

namespace kyc::ui {

// Sanctions, PEP and adverse-media screening for compliance officers: screen a person or company and
// resolve its matches, keep the lists current (import, refresh from the official URL), and follow the
// monitoring alerts. Every service call runs off the GUI thread; results come back through QFutureWatcher.
// The pane acts as `actor` for every call, so the services apply that actor's permissions.
class ScreeningPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ScreeningPane)
public:
    enum class Resolution { TruePositive, FalsePositive };

    ScreeningPane(Backend &backend, Actor actor, QWidget *parent = nullptr);
    // Waits for the calls still running: they use the backend, which the owner destroys next.
    ~ScreeningPane() override;

    [[nodiscard]] models::MatchTableModel *matchModel() const { return m_matchModel; }
    [[nodiscard]] models::ListTableModel *listModel() const { return m_listModel; }
    [[nodiscard]] models::AlertTableModel *alertModel() const { return m_alertModel; }
    [[nodiscard]] const screening::Screening &currentScreening() const { return m_current; }
    [[nodiscard]] QString screenStatusText() const;
    [[nodiscard]] QString resolveMessage() const;
    [[nodiscard]] QString importResultText() const;
    [[nodiscard]] QString explanationText() const;
    [[nodiscard]] bool isImporting() const { return m_importing; }

    void setImportChooser(std::unique_ptr<ImportChooser> chooser);

public slots:
    // Screens the subject of the form.
    void screen();
    // Resolves the selected match with the reason typed beside the buttons.
    void resolveSelected(Resolution resolution);
    // Imports a list off the GUI thread with progress; false (and nothing started) while an import runs.
    bool importList(const QString &format, const QStringList &files, const QString &source = {});
    // "Import list…": asks the chooser what to import, then importList().
    void chooseAndImport();
    // Downloads the source from its configured URL on the refresher's thread.
    void refreshSource(const QString &source);
    void reloadLists();
    void reloadAlerts();
    // Loads the screening of an alert and shows it on the Screen tab with the alert's match selected.
    void openAlert(int row);

signals:
    void screened(bool ok);
    void resolved(bool ok);
    // From the import's worker thread; the pane's own connection is queued.
    void importProgress(qint64 done, qint64 total);
    void importFinished(bool ok);
    void refreshFinished(const QString &source, const QString &outcome);
    void listsReloaded(bool ok);
    void alertsReloaded(bool ok);
    void alertOpened(bool ok);

private:
    template <typename Work, typename Done>
    void run(Work work, Done done);

    QWidget *buildScreenTab();
    QWidget *buildListsTab();
    QWidget *buildAlertsTab();
    void showScreening(const screening::Screening &s, const QString &selectMatchId = {});
    void showSelectedMatch();
    void updateResolveButtons();
    void fetchAlertPage(int page);
    void showImportProgress(qint64 done, qint64 total);
    void onRefreshed(const QString &source, const QString &outcome, const QString &detail);
    [[nodiscard]] QString selectedMatchId() const;
    [[nodiscard]] bool hasFirm() const { return !m_actor.firmId.isEmpty(); }

    Backend &m_backend;
    const Actor m_actor;
    std::unique_ptr<ImportChooser> m_chooser;
    QList<QFuture<void>> m_running;
    screening::Screening m_current;
    bool m_importing = false;
    bool m_resolving = false;
    bool m_refreshing = false;
    quint64 m_alertGeneration = 0;
    quint64 m_listGeneration = 0;

    models::MatchTableModel *m_matchModel;
    models::ListTableModel *m_listModel;
    models::AlertTableModel *m_alertModel;

    QTabWidget *m_tabs = nullptr;
    // Screen
    QLineEdit *m_name = nullptr;
    QComboBox *m_type = nullptr;
    QLineEdit *m_birthDate = nullptr;
    QLineEdit *m_country = nullptr;
    QPushButton *m_screenButton = nullptr;
    QLabel *m_screenStatus = nullptr;
    QTableView *m_matchView = nullptr;
    QTextBrowser *m_explanation = nullptr;
    QLineEdit *m_reason = nullptr;
    QPushButton *m_truePositive = nullptr;
    QPushButton *m_falsePositive = nullptr;
    QLabel *m_resolveMessage = nullptr;
    // Lists
    QTableView *m_listView = nullptr;
    QPushButton *m_importButton = nullptr;
    QProgressBar *m_importProgress = nullptr;
    QLabel *m_importResult = nullptr;
    QComboBox *m_refreshSource = nullptr;
    QPushButton *m_refreshButton = nullptr;
    QLabel *m_listsStatus = nullptr;
    // Alerts
    QComboBox *m_alertFilter = nullptr;
    QTableView *m_alertView = nullptr;
    QLabel *m_alertsStatus = nullptr;
};

} // namespace kyc::ui
