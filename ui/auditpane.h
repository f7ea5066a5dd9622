#pragma once

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;
class QTableView;

namespace kyc::audit {
class AuditLog;
}
namespace kyc::models {
class AuditLogModel;
}

namespace kyc::ui {

// The audit trail with a Verify button; verification runs off the GUI thread with progress.
class AuditPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditPane)
public:
    AuditPane(audit::AuditLog &log, const QString &firmId, QWidget *parent = nullptr);
    ~AuditPane() override;

    [[nodiscard]] models::AuditLogModel *model() const { return m_model; }
    [[nodiscard]] QString resultText() const;

public slots:
    void verify();

signals:
    void verified(bool valid);

private:
    audit::AuditLog &m_log;
    QString m_chain;
    models::AuditLogModel *m_model;
    QTableView *m_view;
    QPushButton *m_verifyButton;
    QProgressBar *m_progress;
    QLabel *m_result;
};

} // namespace kyc::ui
