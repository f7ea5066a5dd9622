#include "backend/storage/dialect.h"

namespace kyc::storage {

QString SqlDialect::beginWrite() const
{
    return m_d == Dialect::SQLite ? QStringLiteral("BEGIN IMMEDIATE") : QStringLiteral("BEGIN");
}

QString SqlDialect::blobType() const
{
    return m_d == Dialect::SQLite ? QStringLiteral("BLOB") : QStringLiteral("BYTEA");
}

QString SqlDialect::jsonType() const
{
    return m_d == Dialect::SQLite ? QStringLiteral("TEXT") : QStringLiteral("JSONB");
}

QString SqlDialect::clusteredTableSuffix() const
{
    return m_d == Dialect::SQLite ? QStringLiteral(" WITHOUT ROWID") : QString();
}

QString SqlDialect::upsert(const QString &table, const QStringList &columns, const QStringList &keys) const
{
    QStringList marks, updates;
    for (const auto &c : columns) {
        marks << QStringLiteral("?");
        if (!keys.contains(c))
            updates << c + QStringLiteral(" = excluded.") + c;
    }
    QString sql
        = QStringLiteral("INSERT INTO %1 (%2) VALUES (%3) ON CONFLICT (%4) ")
              .arg(table, columns.join(QStringLiteral(", ")), marks.join(QStringLiteral(", ")), keys.join(QStringLiteral(", ")));
    sql += updates.isEmpty() ? QStringLiteral("DO NOTHING")
                             : QStringLiteral("DO UPDATE SET ") + updates.join(QStringLiteral(", "));
    return sql;
}

QStringList SqlDialect::appendOnlyTriggers(const QString &table) const
{
    if (m_d == Dialect::SQLite) {
        return {QStringLiteral("CREATE TRIGGER %1_no_update BEFORE UPDATE ON %1 "
                               "BEGIN SELECT RAISE(ABORT, '%1 is append-only'); END")
                    .arg(table),
                QStringLiteral("CREATE TRIGGER %1_no_delete BEFORE DELETE ON %1 "
                               "BEGIN SELECT RAISE(ABORT, '%1 is append-only'); END")
                    .arg(table)};
    }
    return {QStringLiteral("CREATE FUNCTION %1_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                           "$$ BEGIN RAISE EXCEPTION '%1 is append-only'; END $$")
                .arg(table),
            QStringLiteral("CREATE TRIGGER %1_no_change BEFORE UPDATE OR DELETE ON %1 "
                           "FOR EACH ROW EXECUTE FUNCTION %1_append_only()")
                .arg(table)};
}

QString SqlDialect::listTables() const
{
    return m_d == Dialect::SQLite
        ? QStringLiteral("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        : QStringLiteral("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
}

} // namespace kyc::storage
