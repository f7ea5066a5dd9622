#pragma once

#include "backend/audit/auditlog.h"

#include <QAbstractTableModel>

namespace kyc::models {

// The audit trail of one chain, newest first, fetched a page at a time as the view scrolls.
class AuditLogModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditLogModel)
public:
    enum Column { Sequence, Time, Actor, Action, Entity, Ip, Hash, ColumnCount };

    AuditLogModel(audit::AuditLog &log, QString firmId, QObject *parent = nullptr);

    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    [[nodiscard]] bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

    void setFilter(const audit::Filter &filter);
    void refresh();
    [[nodiscard]] qint64 total() const { return m_total; }
    [[nodiscard]] const audit::Event &eventAt(int row) const { return m_events.at(row); }

    static constexpr int kPageSize = 100;

signals:
    void loadFailed(const QString &message);

private:
    audit::AuditLog &m_log;
    QString m_firmId;
    audit::Filter m_filter;
    QList<audit::Event> m_events;
    qint64 m_total = 0;
    int m_nextPage = 1;
    bool m_fetching = false;
};

} // namespace kyc::models
