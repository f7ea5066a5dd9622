#pragma once

// An SQLite file opened directly, the way an operator (or an attacker) with a shell would: no Backend, no
// migrations, its own connection.

#include <QList>
#include <QString>
#include <QStringList>
#include <QVariant>

namespace kyc::test {

class RawDb
{
public:
    explicit RawDb(const QString &filePath);
    ~RawDb();
    RawDb(const RawDb &) = delete;
    RawDb &operator=(const RawDb &) = delete;

    [[nodiscard]] bool isOpen() const { return m_open; }
    // Runs a statement; an empty string on success, else the error and the statement.
    [[nodiscard]] QString exec(const QString &sql, const QVariantList &binds = {});
    // The first column of the first row; invalid when the query fails or has no row.
    [[nodiscard]] QVariant scalar(const QString &sql, const QVariantList &binds = {});
    // The first column of every row.
    [[nodiscard]] QStringList column(const QString &sql, const QVariantList &binds = {});
    // Every row, every column.
    [[nodiscard]] QList<QVariantList> rows(const QString &sql, const QVariantList &binds = {});

private:
    QString m_name;
    bool m_open = false;
};

} // namespace kyc::test
