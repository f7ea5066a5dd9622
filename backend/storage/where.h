#pragma once

#include "backend/core/paging.h"
#include "backend/core/result.h"
#include "backend/storage/database.h"

#include <QSqlQuery>
#include <QString>
#include <QVariantList>

namespace kyc::storage {

// A WHERE clause and its bound values, built condition by condition, for the paged list queries.
class Where final
{
public:
    // The first condition is always there: the tenant ("firm_id = ?", "chain = ?").
    Where(const QString &condition, const QVariant &value);
    // " AND <condition>" with its value.
    Where &add(const QString &condition, const QVariant &value);
    // " AND <condition>" without a value.
    Where &add(const QString &condition);
    // " AND <column> = ?" when `value` is not empty: an optional filter.
    Where &equalIfSet(const QString &column, const QString &value);

    [[nodiscard]] const QString &sql() const { return m_sql; } // " WHERE …"
    void bind(QSqlQuery &q) const;

private:
    QString m_sql;
    QVariantList m_binds;
};

// SELECT COUNT(*) <from><where>.
[[nodiscard]] Result<qint64> countRows(Database &db, const QString &from, const Where &where);
// <select><where> ORDER BY <orderBy> with the page's LIMIT and OFFSET, executed; read it with next().
[[nodiscard]] Result<QSqlQuery> pageRows(Database &db, const QString &select, const Where &where, const QString &orderBy,
                                         const PageRequest &page);

} // namespace kyc::storage
