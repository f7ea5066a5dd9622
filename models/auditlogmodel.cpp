#include "models/auditlogmodel.h"

namespace kyc::models {

AuditLogModel::AuditLogModel(audit::AuditLog &log, QString firmId, QObject *parent)
    : QAbstractTableModel(parent)
    , m_log(log)
    , m_firmId(std::move(firmId))
{
    refresh();
}

int AuditLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_events.size());
}

int AuditLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AuditLogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auto &e = m_events.at(index.row());
    if (role == Qt::ToolTipRole && index.column() == Hash)
        return e.hash;
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Sequence: return e.sequence;
    case Time: return e.occurredAt;
    case Actor: return e.actorId.isEmpty() ? e.actorType : e.actorType + u':' + e.actorId;
    case Action: return e.action;
    case Entity: return e.entityType.isEmpty() ? QString() : e.entityType + u' ' + e.entityId;
    case Ip: return e.ip;
    case Hash: return e.hash.left(16);
    default: return {};
    }
}

QVariant AuditLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Sequence: return tr("Seq");
    case Time: return tr("Time (UTC)");
    case Actor: return tr("Actor");
    case Action: return tr("Action");
    case Entity: return tr("Entity");
    case Ip: return tr("IP");
    case Hash: return tr("Hash");
    default: return {};
    }
}

bool AuditLogModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && m_events.size() < m_total;
}

void AuditLogModel::fetchMore(const QModelIndex &parent)
{
    // Views may call fetchMore again from inside the row insertion; the guard keeps it to one page.
    if (parent.isValid() || m_fetching)
        return;
    m_fetching = true;
    auto page = m_log.list(m_firmId, m_filter, PageRequest{m_nextPage, kPageSize});
    if (!page) {
        m_fetching = false;
        emit loadFailed(page.error().message);
        return;
    }
    m_total = page->total;
    if (!page->items.isEmpty()) {
        beginInsertRows({}, int(m_events.size()), int(m_events.size() + page->items.size() - 1));
        m_events.append(page->items);
        endInsertRows();
        ++m_nextPage;
    } else {
        m_total = m_events.size(); // the trail shrank under us (it cannot, but never loop)
    }
    m_fetching = false;
}

void AuditLogModel::setFilter(const audit::Filter &filter)
{
    m_filter = filter;
    refresh();
}

void AuditLogModel::refresh()
{
    beginResetModel();
    m_events.clear();
    m_nextPage = 1;
    m_total = 0;
    auto page = m_log.list(m_firmId, m_filter, PageRequest{1, 1});
    if (page)
        m_total = page->total;
    else
        emit loadFailed(page.error().message);
    endResetModel();
}

} // namespace kyc::models
