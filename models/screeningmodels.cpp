#include "models/screeningmodels.h"

#include <QJsonArray>
#include <QSet>

#include <algorithm>
#include <cmath>

namespace kyc::models {

using screening::ListRefreshStatus;
using screening::ListVersion;
using screening::MonitoringAlert;
using screening::StoredMatch;

namespace {

QString formatScore(double score)
{
    return QString::number(score, 'f', 3);
}

QString formatEffect(double effect)
{
    // U+2212 MINUS SIGN: a signed column reads better with a real minus.
    const QString magnitude = QString::number(std::abs(effect), 'f', 3);
    return effect < 0 ? QString(QChar(0x2212) + magnitude) : QString(u'+' + magnitude);
}

QString esc(const QString &s)
{
    return s.toHtmlEscaped();
}

int compareText(const QString &a, const QString &b)
{
    return QString::compare(a, b, Qt::CaseInsensitive);
}

// Negative, zero or positive, as a ascending comparison of column `column`.
int compareMatches(const StoredMatch &a, const StoredMatch &b, int column)
{
    switch (column) {
    case MatchTableModel::Score: return a.score < b.score ? -1 : a.score > b.score ? 1 : 0;
    case MatchTableModel::List: return compareText(a.listSource, b.listSource);
    case MatchTableModel::MatchedName: return compareText(a.matchedName, b.matchedName);
    case MatchTableModel::PrimaryName: return compareText(a.entityName, b.entityName);
    case MatchTableModel::Category: return compareText(a.category, b.category);
    case MatchTableModel::Resolution: return compareText(a.resolution, b.resolution);
    default: return 0;
    }
}

const QString kTrue = QStringLiteral("true_positive");
const QString kFalse = QStringLiteral("false_positive");

} // namespace

// --- MatchTableModel ---------------------------------------------------------------------------------

MatchTableModel::MatchTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

int MatchTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_matches.size());
}

int MatchTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant MatchTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const StoredMatch &m = m_matches.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Score: return formatScore(m.score);
        case List: return m.listSource;
        case MatchedName: return m.matchedName;
        case PrimaryName: return m.entityName;
        case Category: return m.category;
        case Resolution:
            return m.resolution == kTrue ? tr("true positive") : m.resolution == kFalse ? tr("false positive") : tr("open");
        default: return {};
        }
    case RawValueRole:
        switch (index.column()) {
        case Score: return m.score;
        case List: return m.listSource;
        case MatchedName: return m.matchedName;
        case PrimaryName: return m.entityName;
        case Category: return m.category;
        case Resolution: return m.resolution;
        default: return {};
        }
    case Qt::ToolTipRole:
        if (index.column() == PrimaryName || index.column() == MatchedName)
            return m.entityId;
        if (index.column() == Resolution && !m.resolution.isEmpty())
            return tr("%1 by %2 at %3").arg(m.reason, m.resolvedBy, m.resolvedAt);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Score)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    default: return {};
    }
}

QVariant MatchTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Score: return tr("Score");
    case List: return tr("List");
    case MatchedName: return tr("Matched name");
    case PrimaryName: return tr("Primary name");
    case Category: return tr("Category");
    case Resolution: return tr("Resolution");
    default: return {};
    }
}

void MatchTableModel::sortRows()
{
    const int column = m_sortColumn;
    const bool descending = m_sortOrder == Qt::DescendingOrder;
    std::stable_sort(m_matches.begin(), m_matches.end(), [column, descending](const StoredMatch &a, const StoredMatch &b) {
        const int c = compareMatches(a, b, column);
        return descending ? c > 0 : c < 0;
    });
}

void MatchTableModel::sort(int column, Qt::SortOrder order)
{
    if (column < 0 || column >= ColumnCount)
        return;
    m_sortColumn = column;
    m_sortOrder = order;
    emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    // Selections and the current index follow their match, not their row number.
    const QModelIndexList before = persistentIndexList();
    QStringList ids;
    for (const auto &i : before)
        ids << (i.isValid() ? m_matches.at(i.row()).id : QString());
    sortRows();
    QModelIndexList after;
    for (qsizetype n = 0; n < before.size(); ++n) {
        const int row = ids.at(n).isEmpty() ? -1 : rowOf(ids.at(n));
        after << (row < 0 ? QModelIndex() : index(row, before.at(n).column()));
    }
    changePersistentIndexList(before, after);
    emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

void MatchTableModel::setMatches(QList<StoredMatch> matches)
{
    beginResetModel();
    m_matches = std::move(matches);
    sortRows();
    endResetModel();
}

bool MatchTableModel::updateMatch(const StoredMatch &match)
{
    const int row = rowOf(match.id);
    if (row < 0)
        return false;
    m_matches[row] = match;
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
    return true;
}

int MatchTableModel::rowOf(const QString &matchId) const
{
    for (qsizetype i = 0; i < m_matches.size(); ++i) {
        if (m_matches.at(i).id == matchId)
            return int(i);
    }
    return -1;
}

QString MatchTableModel::explanationHtml(const StoredMatch &m)
{
    static const QHash<QString, const char *> how{
        {QStringLiteral("exact"), QT_TR_NOOP("exact")},
        {QStringLiteral("jaro_winkler"), QT_TR_NOOP("similar spelling (Jaro-Winkler)")},
        {QStringLiteral("phonetic"), QT_TR_NOOP("sounds alike")},
        {QStringLiteral("initial"), QT_TR_NOOP("initial")},
        {QStringLiteral("joined"), QT_TR_NOOP("joined: one query token is several listed tokens")},
        {QStringLiteral("split"), QT_TR_NOOP("split: several query tokens are one listed token")},
        {QStringLiteral("unmatched"), QT_TR_NOOP("unmatched")},
    };
    static const QHash<QString, const char *> kinds{
        {QStringLiteral("birth_date"), QT_TR_NOOP("Birth date")}, {QStringLiteral("country"), QT_TR_NOOP("Country")},
        {QStringLiteral("gender"), QT_TR_NOOP("Gender")},         {QStringLiteral("type"), QT_TR_NOOP("Type")},
        {QStringLiteral("identifier"), QT_TR_NOOP("Identifier")},
    };
    static const QHash<QString, const char *> outcomes{
        {QStringLiteral("exact"), QT_TR_NOOP("exact")},
        {QStringLiteral("year"), QT_TR_NOOP("same year")},
        {QStringLiteral("year_day_mismatch"), QT_TR_NOOP("same year, other day or month")},
        {QStringLiteral("near"), QT_TR_NOOP("one year apart")},
        {QStringLiteral("mismatch"), QT_TR_NOOP("mismatch")},
        {QStringLiteral("match"), QT_TR_NOOP("match")},
        {QStringLiteral("inferred_mismatch"), QT_TR_NOOP("mismatch (inferred from the name)")},
    };
    const auto label = [](const QHash<QString, const char *> &table, const QString &code) {
        const auto it = table.constFind(code);
        return it == table.cend() ? code : tr(*it);
    };

    const QJsonObject e = m.explanation;
    QString html;
    html += QStringLiteral("<h3>%1</h3>").arg(esc(m.matchedName));
    html += QStringLiteral("<table cellspacing='0' cellpadding='2'>");
    const auto fact = [&html](const QString &name, const QString &value) {
        html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(esc(name), esc(value));
    };
    fact(tr("Score"), formatScore(m.score));
    fact(tr("Name score"), formatScore(e.value(QStringLiteral("name_score")).toDouble()));
    fact(tr("List"), m.listSource);
    fact(tr("Entity"), m.entityId);
    fact(tr("Primary name"), m.entityName);
    if (!m.category.isEmpty())
        fact(tr("Category"), m.category);
    html += QStringLiteral("</table>");

    html += QStringLiteral("<h4>%1</h4>").arg(esc(tr("Name tokens")));
    const QJsonArray tokens = e.value(QStringLiteral("tokens")).toArray();
    if (tokens.isEmpty()) {
        html += QStringLiteral("<p>%1</p>").arg(esc(tr("No token pairs recorded.")));
    } else {
        html += QStringLiteral(
                    "<table border='1' cellspacing='0' cellpadding='3'><tr><th>%1</th><th>%2</th><th>%3</th><th>%4</th></tr>")
                    .arg(esc(tr("Query token")), esc(tr("Listed token")), esc(tr("Similarity")), esc(tr("How")));
        for (const auto &v : tokens) {
            const QJsonObject t = v.toObject();
            const QString q = t.value(QStringLiteral("query_token")).toString();
            const QString n = t.value(QStringLiteral("name_token")).toString();
            html += QStringLiteral("<tr><td>%1</td><td>%2</td><td align='right'>%3</td><td>%4</td></tr>")
                        .arg(q.isEmpty() ? QStringLiteral("\u2014") : esc(q), n.isEmpty() ? QStringLiteral("\u2014") : esc(n),
                             QString::number(t.value(QStringLiteral("similarity")).toDouble(), 'f', 2),
                             esc(label(how, t.value(QStringLiteral("how")).toString())));
        }
        html += QStringLiteral("</table>");
    }

    html += QStringLiteral("<h4>%1</h4>").arg(esc(tr("Qualifiers")));
    const QJsonArray qualifiers = e.value(QStringLiteral("qualifiers")).toArray();
    if (qualifiers.isEmpty()) {
        html += QStringLiteral("<p>%1</p>")
                    .arg(esc(tr("None: birth date, country, gender, type and identifiers are only compared when both the "
                                "subject and the listed entry state them.")));
    } else {
        html += QStringLiteral("<table border='1' cellspacing='0' cellpadding='3'><tr><th>%1</th><th>%2</th><th>%3</th></tr>")
                    .arg(esc(tr("Fact")), esc(tr("Outcome")), esc(tr("Effect on score")));
        for (const auto &v : qualifiers) {
            const QJsonObject q = v.toObject();
            html += QStringLiteral("<tr><td>%1</td><td>%2</td><td align='right'>%3</td></tr>")
                        .arg(esc(label(kinds, q.value(QStringLiteral("kind")).toString())),
                             esc(label(outcomes, q.value(QStringLiteral("outcome")).toString())),
                             esc(formatEffect(q.value(QStringLiteral("effect")).toDouble())));
        }
        html += QStringLiteral("</table>");
    }

    html += QStringLiteral("<h4>%1</h4>").arg(esc(tr("Resolution")));
    if (m.resolution.isEmpty()) {
        html += QStringLiteral("<p>%1</p>").arg(esc(tr("Open: not resolved yet.")));
    } else {
        const QString what = m.resolution == kTrue ? tr("true positive") : tr("false positive");
        html += QStringLiteral("<p>%1</p>")
                    .arg(esc(tr("Resolved as %1 by %2 at %3: %4").arg(what, m.resolvedBy, m.resolvedAt, m.reason)));
    }
    return html;
}

// --- ListTableModel ----------------------------------------------------------------------------------

QList<ListRow> mergeListRows(const QList<ListVersion> &versions, const QList<ListRefreshStatus> &statuses)
{
    QHash<QString, ListRefreshStatus> bySource;
    for (const auto &s : statuses)
        bySource.insert(s.source, s);
    QList<ListRow> rows;
    QSet<QString> loaded;
    for (const auto &v : versions) {
        ListRow r;
        r.source = v.source;
        r.version = v;
        if (const auto it = bySource.constFind(v.source); it != bySource.cend())
            r.status = *it;
        loaded.insert(v.source);
        rows << r;
    }
    for (const auto &s : statuses) {
        if (loaded.contains(s.source) || s.urls.isEmpty())
            continue;
        ListRow r;
        r.source = s.source;
        r.status = s;
        rows << r;
    }
    return rows;
}

ListTableModel::ListTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

int ListTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ListTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ListTableModel::formatAge(qint64 seconds)
{
    if (seconds < 0)
        return {};
    if (seconds < 60)
        return tr("%1 s").arg(seconds);
    if (seconds < 3600)
        return tr("%1 min").arg(seconds / 60);
    if (seconds < 86400)
        return tr("%1 h").arg(seconds / 3600);
    const qint64 hours = (seconds % 86400) / 3600;
    return hours ? tr("%1 d %2 h").arg(seconds / 86400).arg(hours) : tr("%1 d").arg(seconds / 86400);
}

QVariant ListTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ListRow &r = m_rows.at(index.row());
    const ListVersion *v = r.version ? &*r.version : nullptr;
    const ListRefreshStatus *s = r.status ? &*r.status : nullptr;
    const qint64 age = s && s->loaded ? s->ageSeconds : -1;
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Source: return r.source;
        case Format: return v ? v->format : s ? s->format : QString();
        case Version: return v ? QString::number(v->version) : tr("not loaded");
        case Published: return v ? v->publicationDate : QString();
        case Entities: return v ? QString::number(v->entityCount) : QString();
        case Names: return v ? QString::number(v->nameCount) : QString();
        case LoadedAt: return v ? v->loadedAt : QString();
        case Checksum: return v ? v->sha256.left(kChecksumPrefix) : QString();
        case Age: return formatAge(age);
        case Stale:
            return !s || !s->loaded ? QString()
                : s->failing
                ? tr("failing, next retry %1").arg(s->nextAttemptAt.isEmpty() ? tr("not scheduled") : s->nextAttemptAt)
                : s->stale ? tr("stale")
                           : tr("current");
        case LastError: return s ? s->lastError : QString();
        case Owner: return v ? (v->owner.isEmpty() ? tr("platform") : tr("this firm")) : tr("platform");
        default: return {};
        }
    }
    if (role == RawValueRole) {
        switch (index.column()) {
        case Source: return r.source;
        case Format: return v ? v->format : s ? s->format : QString();
        case Version: return v ? QVariant(v->version) : QVariant();
        case Published: return v ? v->publicationDate : QString();
        case Entities: return v ? QVariant(v->entityCount) : QVariant();
        case Names: return v ? QVariant(v->nameCount) : QVariant();
        case LoadedAt: return v ? v->loadedAt : QString();
        case Checksum: return v ? v->sha256 : QString();
        case Age: return age;
        case Stale: return s && (s->stale || s->failing); // not current
        case LastError: return s ? s->lastError : QString();
        case Owner: return v ? v->owner : QString();
        default: return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (index.column()) {
        case Source: return s ? s->title : QString();
        case Checksum: return v ? v->sha256 : QString();
        case Age: return s ? tr("Last checked %1, next attempt %2").arg(s->lastCheckedAt, s->nextAttemptAt) : QString();
        case LastError: return s ? s->lastError : QString();
        default: return {};
        }
    }
    if (role == Qt::TextAlignmentRole) {
        switch (index.column()) {
        case Version:
        case Entities:
        case Names:
        case Age: return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        default: return {};
        }
    }
    return {};
}

QVariant ListTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Source: return tr("Source");
    case Format: return tr("Format");
    case Version: return tr("Version");
    case Published: return tr("Published");
    case Entities: return tr("Entities");
    case Names: return tr("Names");
    case LoadedAt: return tr("Loaded at (UTC)");
    case Checksum: return tr("SHA-256");
    case Age: return tr("Age");
    case Stale: return tr("Freshness");
    case LastError: return tr("Last refresh error");
    case Owner: return tr("Owner");
    default: return {};
    }
}

void ListTableModel::setRows(QList<ListRow> rows)
{
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
}

int ListTableModel::rowOf(const QString &source) const
{
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).source == source)
            return int(i);
    }
    return -1;
}

// --- AlertTableModel ---------------------------------------------------------------------------------

AlertTableModel::AlertTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

int AlertTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_alerts.size());
}

int AlertTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AlertTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const MonitoringAlert &a = m_alerts.at(index.row());
    if (role == Qt::DisplayRole || role == RawValueRole) {
        switch (index.column()) {
        case Created: return a.createdAt;
        case Status:
            if (role == RawValueRole)
                return a.status;
            return a.status == QStringLiteral("open") ? tr("open") : tr("resolved");
        case Case: return a.caseId;
        case List: return a.listSource;
        case MatchedName: return a.matchedName;
        case Score: return role == RawValueRole ? QVariant(a.score) : QVariant(formatScore(a.score));
        case Change:
            if (role == RawValueRole)
                return a.change;
            return a.change == QStringLiteral("added") ? tr("added to the list") : tr("changed in the list");
        default: return {};
        }
    }
    if (role == Qt::ToolTipRole && index.column() == MatchedName)
        return a.entityId;
    if (role == Qt::ToolTipRole && index.column() == Status && !a.resolvedAt.isEmpty())
        return tr("Resolved at %1").arg(a.resolvedAt);
    if (role == Qt::TextAlignmentRole && index.column() == Score)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant AlertTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Created: return tr("Raised at (UTC)");
    case Status: return tr("Status");
    case Case: return tr("Case");
    case List: return tr("List");
    case MatchedName: return tr("Matched name");
    case Score: return tr("Score");
    case Change: return tr("Change");
    default: return {};
    }
}

bool AlertTableModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && !m_fetching && m_alerts.size() < m_total;
}

void AlertTableModel::fetchMore(const QModelIndex &parent)
{
    // Views call fetchMore again while the page is on its way; one request at a time.
    if (parent.isValid() || m_fetching || m_alerts.size() >= m_total)
        return;
    m_fetching = true;
    emit fetchRequested(m_nextPage);
}

void AlertTableModel::setFirstPage(const Page<MonitoringAlert> &page)
{
    beginResetModel();
    m_alerts = page.items;
    m_total = std::max<qint64>(page.total, m_alerts.size());
    m_nextPage = 2;
    m_fetching = false;
    endResetModel();
}

void AlertTableModel::appendPage(const Page<MonitoringAlert> &page)
{
    if (!m_fetching || page.request.page != m_nextPage)
        return;
    if (page.items.isEmpty()) {
        m_fetching = false;
        m_total = m_alerts.size(); // the alerts went away under us: never ask for this page again
        return;
    }
    // Views may call fetchMore() from inside the insertion: still "fetching" until the rows are in.
    beginInsertRows({}, int(m_alerts.size()), int(m_alerts.size() + page.items.size() - 1));
    m_alerts.append(page.items);
    m_total = std::max<qint64>(page.total, m_alerts.size());
    ++m_nextPage;
    endInsertRows();
    m_fetching = false;
}

void AlertTableModel::fetchFailed()
{
    // Asking again at once would only fail again; a reload (setFirstPage) starts over.
    m_fetching = false;
    m_total = m_alerts.size();
}

} // namespace kyc::models
