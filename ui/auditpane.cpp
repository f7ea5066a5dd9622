#include "ui/auditpane.h"

#include "models/auditlogmodel.h"

#include <QCoreApplication>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace kyc::ui {

AuditPane::AuditPane(audit::AuditLog &log, const QString &firmId, QWidget *parent)
    : QWidget(parent)
    , m_log(log)
    , m_chain(audit::AuditLog::chainFor(firmId))
    , m_model(new models::AuditLogModel(log, firmId, this))
    , m_view(new QTableView(this))
    , m_verifyButton(new QPushButton(tr("Verify chain"), this))
    , m_progress(new QProgressBar(this))
    , m_result(new QLabel(this))
{
    m_view->setModel(m_model);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->verticalHeader()->hide();
    m_progress->setVisible(false);
    m_result->setObjectName(QStringLiteral("verifyResult"));

    auto *refresh = new QPushButton(tr("Refresh"), this);
    connect(refresh, &QPushButton::clicked, m_model, &models::AuditLogModel::refresh);
    connect(m_verifyButton, &QPushButton::clicked, this, &AuditPane::verify);

    auto *bar = new QHBoxLayout;
    bar->addWidget(refresh);
    bar->addWidget(m_verifyButton);
    bar->addWidget(m_progress, 1);
    bar->addWidget(m_result, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);
}

AuditPane::~AuditPane() = default;

QString AuditPane::resultText() const
{
    return m_result->text();
}

void AuditPane::verify()
{
    m_verifyButton->setEnabled(false);
    m_progress->setVisible(true);
    m_progress->setRange(0, 0);
    m_result->clear();
    QPointer<AuditPane> self(this);
    auto *watcher = new QFutureWatcher<Result<audit::VerifyResult>>(this);
    connect(watcher, &QFutureWatcher<Result<audit::VerifyResult>>::finished, this, [this, watcher] {
        const auto r = watcher->result();
        watcher->deleteLater();
        m_verifyButton->setEnabled(true);
        m_progress->setVisible(false);
        if (!r) {
            m_result->setText(tr("Verification failed: %1").arg(r.error().message));
            emit verified(false);
            return;
        }
        if (r->valid)
            m_result->setText(tr("Chain intact: %n event(s) checked", nullptr, int(r->checked)));
        else
            m_result->setText(tr("Chain BROKEN at sequence %1: %2").arg(r->firstInvalidSequence.value_or(0)).arg(r->reason));
        emit verified(r->valid);
    });
    audit::AuditLog *log = &m_log;
    const QString chain = m_chain;
    watcher->setFuture(QtConcurrent::run([log, chain, self] {
        return log->verifyChain(chain, [self](qint64 done, qint64 total) {
            QMetaObject::invokeMethod(
                qApp,
                [self, done, total] {
                    if (!self)
                        return;
                    self->m_progress->setRange(0, int(std::min<qint64>(total, INT_MAX)));
                    self->m_progress->setValue(int(std::min<qint64>(done, INT_MAX)));
                },
                Qt::QueuedConnection);
        });
    }));
}

} // namespace kyc::ui
