#pragma once

#include "backend/core/result.h"
#include "backend/storage/dialect.h"
#include "backend/storage/migrations.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QVariant>

#include <functional>
#include <initializer_list>
#include <memory>

namespace kyc::storage {

// One SQLite file, one connection per thread (Qt's rule for QSqlDatabase), opened on first use
// with WAL, foreign keys and a busy timeout.
class Database final
{
public:
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    // Opens (creating if needed) the file and applies pending migrations in one transaction.
    // A database written by a newer build is refused and left untouched.
    [[nodiscard]] static Result<std::unique_ptr<Database>> open(const QString &filePath,
                                                                const QList<Migration> &migrations = schemaMigrations());

    [[nodiscard]] QSqlDatabase connection();
    [[nodiscard]] const SqlDialect &dialect() const { return m_dialect; }
    [[nodiscard]] QString filePath() const { return m_path; }
    [[nodiscard]] int latestVersion() const { return m_latest; }
    [[nodiscard]] Result<int> appliedVersion();
    // Closes this thread's connection now (threads that end close theirs automatically).
    void closeThreadConnection();

    // Prepares (once per thread and text) and returns a query on this thread's connection; valid
    // until the thread's connection closes. Not re-entrant for the same text.
    [[nodiscard]] QSqlQuery &prepare(const QString &sql);

    // Runs `f` once the calling thread's outermost transaction commits (dropped on rollback), or
    // at once when no transaction is open: caches invalidate only what is really written.
    void afterCommit(std::function<void()> f);

    // Makes every transaction committed so far durable across a power cut, not only across a crash of the
    // process: a passive WAL checkpoint syncs the write-ahead log and copies it into the database file. Commits
    // are otherwise synced lazily (WAL with synchronous = NORMAL, see database.cpp). Runs once the calling
    // thread's outermost transaction commits, or at once outside a transaction.
    void syncToDisk();

    struct ThreadConnection; // one thread's connection to this database (database.cpp)

private:
    friend class Transaction;
    Database(QString path, int latest);
    ThreadConnection *threadConnection();

    QString m_path;
    quint64 m_instance; // never reused, so a thread cannot mistake another Database's connection for ours
    SqlDialect m_dialect{Dialect::SQLite};
    int m_latest = 0;
};

// A write transaction on the calling thread's connection. Nested transactions join the outer one,
// so a service can call another that writes without splitting the unit of work. Rolls back unless
// committed.
class Transaction final
{
public:
    explicit Transaction(Database &db);
    ~Transaction();
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;

    [[nodiscard]] Status begin();
    [[nodiscard]] Status commit();
    void rollback();
    [[nodiscard]] QSqlDatabase &db() { return m_conn; }

private:
    Database &m_db;
    QSqlDatabase m_conn;
    bool m_active = false;
    bool m_outer = false;
};

// Binds the values in order (after any bound before).
inline void bindAll(QSqlQuery &q, std::initializer_list<QVariant> values)
{
    for (const QVariant &v : values)
        q.addBindValue(v);
}

// NULL for an empty string.
[[nodiscard]] inline QVariant nullable(const QString &s)
{
    return s.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(s);
}

// Creates the database file 0600 when absent and takes away group and other rights from it and from
// its -wal, -shm and -journal files (they hold the same data).
[[nodiscard]] Status restrictToOwner(const QString &databaseFile);

// Runs a prepared query, turning a driver failure into an Internal error (logged, not shown).
[[nodiscard]] Status exec(QSqlQuery &q);
[[nodiscard]] Status execSql(QSqlDatabase &db, const QString &sql);

} // namespace kyc::storage
