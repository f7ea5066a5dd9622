#include "ui/mainwindow.h"

#include "backend/backend.h"
#include "backend/core/version.h"
#include "ui/auditpane.h"
#include "ui/screeningpane.h"

#include <QLabel>
#include <QStatusBar>
#include <QTabWidget>

namespace kyc::ui {

MainWindow::MainWindow(Backend &backend, QWidget *parent)
    : MainWindow(backend, Actor::system(), parent)
{
}

MainWindow::MainWindow(Backend &backend, const Actor &actor, QWidget *parent)
    : QMainWindow(parent)
    , m_tabs(new QTabWidget(this))
    , m_apiLabel(new QLabel(this))
{
    setWindowTitle(tr("KYConnect %1").arg(version()));
    resize(1100, 700);
    m_tabs->addTab(new ScreeningPane(backend, actor, m_tabs), tr("Screening"));
    m_tabs->addTab(new AuditPane(backend.audit(), QString(), m_tabs), tr("Audit"));
    setCentralWidget(m_tabs);
    m_apiLabel->setObjectName(QStringLiteral("apiStatus"));
    statusBar()->addPermanentWidget(m_apiLabel);
    statusBar()->showMessage(tr("Data: %1").arg(backend.config().dataDir));
    setApiStatus(ApiState::Starting, QString());
}

void MainWindow::setApiStatus(ApiState state, const QString &detail)
{
    switch (state) {
    case ApiState::Starting: m_apiLabel->setText(tr("API: starting…")); break;
    case ApiState::Listening: m_apiLabel->setText(tr("API: %1 — listening").arg(detail)); break;
    case ApiState::Stopped: m_apiLabel->setText(tr("API: stopped")); break;
    case ApiState::Failed: m_apiLabel->setText(tr("API: not running — %1").arg(detail)); break;
    }
}

QString MainWindow::apiStatusText() const
{
    return m_apiLabel->text();
}

} // namespace kyc::ui
