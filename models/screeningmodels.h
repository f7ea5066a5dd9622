#pragma once

#include "backend/screening/listrefresher.h"
#include "backend/screening/screeningservice.h"

#include <QAbstractTableModel>

#include <optional>

namespace kyc::models {

// The models of the Screening pane. They hold plain backend structs handed to them by the pane (which
// fetches off the GUI thread), so none of them touches the database and each can be tested alone.

// Holds a role for the raw value of a cell (a double for scores, qint64 for counts), beside the text shown.
inline constexpr int RawValueRole = Qt::UserRole + 1;

// The matches of one screening, ranked by score unless the view sorts by another column.
class MatchTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MatchTableModel)
public:
    enum Column { Score, List, MatchedName, PrimaryName, Category, Resolution, ColumnCount };

    explicit MatchTableModel(QObject *parent = nullptr);

    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    // Replaces the rows, kept in the current sort order (score, highest first, to begin with).
    void setMatches(QList<screening::StoredMatch> matches);
    // Replaces the row with the same match id (after a resolution); false when there is none.
    bool updateMatch(const screening::StoredMatch &match);
    [[nodiscard]] const screening::StoredMatch &matchAt(int row) const { return m_matches.at(row); }
    [[nodiscard]] int rowOf(const QString &matchId) const;

    // The explanation of a match as a small HTML document: scores, token pairs (with similarity and how
    // they were paired), qualifiers (with outcome and effect on the score) and the resolution, if any.
    [[nodiscard]] static QString explanationHtml(const screening::StoredMatch &match);

private:
    void sortRows();

    QList<screening::StoredMatch> m_matches;
    int m_sortColumn = Score;
    Qt::SortOrder m_sortOrder = Qt::DescendingOrder;
};

// One row of the lists table: a loaded version and, when the source has a download URL, its refresh
// status; or a configured source with a URL that is not loaded yet (no version).
struct ListRow {
    QString source;
    std::optional<screening::ListVersion> version;
    std::optional<screening::ListRefreshStatus> status;

    [[nodiscard]] bool canRefresh() const { return status && !status->urls.isEmpty(); }
};

// Loaded versions first (in the order given), then the configured sources not loaded yet.
[[nodiscard]] QList<ListRow> mergeListRows(const QList<screening::ListVersion> &versions,
                                           const QList<screening::ListRefreshStatus> &statuses);
class ListTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ListTableModel)
public:
    enum Column {
        Source,
        Format,
        Version,
        Published,
        Entities,
        Names,
        LoadedAt,
        Checksum,
        Age,
        Stale,
        LastError,
        Owner, // platform (an official list) or this firm (its own list)
        ColumnCount
    };
    static constexpr int kChecksumPrefix = 12;

    explicit ListTableModel(QObject *parent = nullptr);

    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setRows(QList<ListRow> rows);
    [[nodiscard]] const ListRow &rowAt(int row) const { return m_rows.at(row); }
    [[nodiscard]] int rowOf(const QString &source) const;

    // "45 s", "12 min", "5 h", "3 d 4 h"; empty for a negative age (nothing loaded).
    [[nodiscard]] static QString formatAge(qint64 seconds);

private:
    QList<ListRow> m_rows;
};

// Monitoring alerts, newest first, a page at a time: fetchMore() asks for the next page through
// fetchRequested() and the pane answers with appendPage() once it has it.
class AlertTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertTableModel)
public:
    enum Column { Created, Status, Case, List, MatchedName, Score, Change, ColumnCount };
    static constexpr int kPageSize = 100;

    explicit AlertTableModel(QObject *parent = nullptr);

    [[nodiscard]] int rowCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex &parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    [[nodiscard]] bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

    // The first page: replaces every row.
    void setFirstPage(const Page<screening::MonitoringAlert> &page);
    // A later page, as asked for by fetchRequested(); ignored unless it is the page expected next.
    void appendPage(const Page<screening::MonitoringAlert> &page);
    // The request asked for could not be answered: canFetchMore() may ask again.
    void fetchFailed();
    [[nodiscard]] qint64 total() const { return m_total; }
    [[nodiscard]] const screening::MonitoringAlert &alertAt(int row) const { return m_alerts.at(row); }

signals:
    void fetchRequested(int page);

private:
    QList<screening::MonitoringAlert> m_alerts;
    qint64 m_total = 0;
    int m_nextPage = 2;
    bool m_fetching = false;
};

} // namespace kyc::models
