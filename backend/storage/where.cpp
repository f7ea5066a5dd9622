#include "backend/storage/where.h"

namespace kyc::storage {

Where::Where(const QString &condition, const QVariant &value)
    : m_sql(QStringLiteral(" WHERE ") + condition)
    , m_binds{value}
{
}

Where &Where::add(const QString &condition, const QVariant &value)
{
    m_sql += QStringLiteral(" AND ") + condition;
    m_binds << value;
    return *this;
}

Where &Where::add(const QString &condition)
{
    m_sql += QStringLiteral(" AND ") + condition;
    return *this;
}

Where &Where::equalIfSet(const QString &column, const QString &value)
{
    return value.isEmpty() ? *this : add(column + QStringLiteral(" = ?"), value);
}

void Where::bind(QSqlQuery &q) const
{
    for (const auto &b : m_binds)
        q.addBindValue(b);
}

Result<qint64> countRows(Database &db, const QString &from, const Where &where)
{
    QSqlQuery c(db.connection());
    c.prepare(QStringLiteral("SELECT COUNT(*) ") + from + where.sql());
    where.bind(c);
    if (auto s = exec(c); !s)
        return fail(s.error());
    if (!c.next())
        return fail(Error::internal(QStringLiteral("count returned no row")));
    return c.value(0).toLongLong();
}

Result<QSqlQuery> pageRows(Database &db, const QString &select, const Where &where, const QString &orderBy,
                           const PageRequest &page)
{
    QSqlQuery q(db.connection());
    q.prepare(select + where.sql() + QStringLiteral(" ORDER BY ") + orderBy + QStringLiteral(" LIMIT ? OFFSET ?"));
    where.bind(q);
    q.addBindValue(page.limit);
    q.addBindValue(page.offset());
    if (auto s = exec(q); !s)
        return fail(s.error());
    return q;
}

} // namespace kyc::storage
