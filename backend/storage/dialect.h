#pragma once

#include <QString>
#include <QStringList>

namespace kyc::storage {

// The few places where SQLite and PostgreSQL differ. Everything else is standard SQL.
enum class Dialect { SQLite, PostgreSQL };

class SqlDialect final
{
public:
    explicit SqlDialect(Dialect d)
        : m_d(d)
    {
    }
    [[nodiscard]] Dialect kind() const { return m_d; }
    // Starts a transaction that takes the write lock at once (no upgrade deadlocks in SQLite).
    [[nodiscard]] QString beginWrite() const;
    [[nodiscard]] QString blobType() const;
    [[nodiscard]] QString jsonType() const;
    // Appended to CREATE TABLE for tables stored in primary-key order (SQLite: WITHOUT ROWID).
    [[nodiscard]] QString clusteredTableSuffix() const;
    // INSERT … ON CONFLICT (keys) DO UPDATE SET col = excluded.col (same syntax in both).
    [[nodiscard]] QString upsert(const QString &table, const QStringList &columns, const QStringList &keys) const;
    // Triggers that make a table refuse UPDATE and DELETE.
    [[nodiscard]] QStringList appendOnlyTriggers(const QString &table) const;
    // Lists the user tables, for tests and diagnostics.
    [[nodiscard]] QString listTables() const;

private:
    Dialect m_d;
};

} // namespace kyc::storage
