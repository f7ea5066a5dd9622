// Database: connection settings, one connection per thread, migrations that either complete or
// leave the file untouched, nested transactions, and the SQL dialect helper on SQLite.
#include "backend/storage/database.h"
#include "backend/storage/dialect.h"
#include "backend/storage/migrations.h"

#include <QCryptographicHash>
#include <QFile>
#include <QSqlError>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QThread>
#include <QUuid>
#include <QtTest>

#include <atomic>

using namespace kyc;
using namespace kyc::storage;

namespace {

// Everything a migration can change: the schema objects, the recorded versions and the data of
// the test tables, read through a connection of its own.
struct Snapshot {
    QStringList schema; // type|name|sql of every object
    QStringList migrations; // version|name|applied_at
    QStringList rows; // table|values of the test tables
    bool operator==(const Snapshot &) const = default;
};

QStringList column(QSqlQuery &q)
{
    QStringList out;
    while (q.next()) {
        QStringList cells;
        for (int i = 0; i < q.record().count(); ++i)
            cells << (q.value(i).isNull() ? QStringLiteral("<null>") : q.value(i).toString());
        out << cells.join(u'|');
    }
    return out;
}

Snapshot snapshot(const QString &path)
{
    Snapshot s;
    const QString name = QStringLiteral("snapshot-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(QStringLiteral("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")))
                s.schema = column(q);
            if (q.exec(QStringLiteral("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")))
                s.migrations = column(q);
            for (const auto &table : {QStringLiteral("widgets"), QStringLiteral("gadgets")}) {
                if (q.exec(QStringLiteral("SELECT * FROM %1 ORDER BY 1").arg(table))) {
                    for (const auto &row : column(q))
                        s.rows << table + u'|' + row;
                }
            }
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return s;
}

QByteArray fileHash(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256).toHex();
}

QStringList tables(Database &db)
{
    QSqlQuery q(db.connection());
    if (!q.exec(db.dialect().listTables()))
        return {};
    QStringList out;
    while (q.next())
        out << q.value(0).toString();
    return out;
}

QVariant scalar(QSqlDatabase conn, const QString &sql)
{
    QSqlQuery q(conn);
    if (!q.exec(sql) || !q.next())
        return {};
    return q.value(0);
}

// Statements as a function of the dialect, counting how often the migration is run.
Migration migration(int version, const QString &name, const QStringList &statements, std::atomic<int> *runs = nullptr)
{
    return {version, name, [statements, runs](const SqlDialect &) {
                if (runs)
                    ++*runs;
                return statements;
            }};
}

Migration widgets(std::atomic<int> *runs = nullptr)
{
    return migration(1, QStringLiteral("widgets"),
                     {QStringLiteral("CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"),
                      QStringLiteral("INSERT INTO widgets (id, name) VALUES (1, 'first')")},
                     runs);
}

Migration gadgets(std::atomic<int> *runs = nullptr)
{
    return migration(2, QStringLiteral("gadgets"),
                     {QStringLiteral("CREATE TABLE gadgets (id INTEGER PRIMARY KEY, widget_id INTEGER REFERENCES widgets (id))"),
                      QStringLiteral("CREATE INDEX gadgets_widget ON gadgets (widget_id)")},
                     runs);
}

const QList<Migration> &kvMigrations()
{
    static const QList<Migration> all
        = {migration(1, QStringLiteral("kv"), {QStringLiteral("CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)")})};
    return all;
}

Status put(QSqlDatabase conn, const QString &k, const QString &v)
{
    QSqlQuery q(conn);
    q.prepare(QStringLiteral("INSERT INTO kv (k, v) VALUES (?, ?)"));
    q.addBindValue(k);
    q.addBindValue(v);
    return exec(q);
}

int countKv(Database &db)
{
    return scalar(db.connection(), QStringLiteral("SELECT COUNT(*) FROM kv")).toInt();
}

// The number of kv rows that another thread's connection sees (i.e. what is committed).
int countKvFromOtherThread(Database &db)
{
    int n = -1;
    std::unique_ptr<QThread> t(QThread::create([&] {
        n = countKv(db);
        db.closeThreadConnection();
    }));
    t->start();
    t->wait();
    return n;
}

} // namespace

class TestStorage final : public QObject
{
    Q_OBJECT

private slots:
    void connectionSettings();
    void recordsMigrations();
    void applicationSchemaMigrates();
    void connectionPerThread();
    void failedMigrationLeavesFileUnchanged_data();
    void failedMigrationLeavesFileUnchanged();
    void failedFirstMigrationLeavesFileUnchanged();
    void newerDatabaseRefused();
    void upToDateDatabaseAppliesNothing();
    void pendingMigrationsOnlyAreApplied();
    void nestedTransactionJoinsOuter();
    void outerRollbackUndoesInnerWrites();
    void uncommittedTransactionRollsBack();
    void failedStatementThenRollback();
    void upsert();
    void upsertWithKeysOnlyDoesNothing();
    void appendOnlyTriggers();

private:
    QTemporaryDir m_dir;
    int m_files = 0;
    QString newPath() { return m_dir.filePath(QStringLiteral("db%1.sqlite").arg(++m_files)); }
};

void TestStorage::connectionSettings()
{
    auto db = Database::open(newPath(), kvMigrations());
    QVERIFY2(db.has_value(), qPrintable(db ? QString() : db.error().message));
    QSqlDatabase conn = (*db)->connection();
    QVERIFY(conn.isOpen());
    QCOMPARE(scalar(conn, QStringLiteral("PRAGMA journal_mode")).toString(), QStringLiteral("wal"));
    QCOMPARE(scalar(conn, QStringLiteral("PRAGMA foreign_keys")).toInt(), 1);
    QVERIFY(scalar(conn, QStringLiteral("PRAGMA busy_timeout")).toInt() > 0);
    QCOMPARE((*db)->dialect().kind(), Dialect::SQLite);

    // Foreign keys are enforced, not merely declared.
    QVERIFY(execSql(conn, QStringLiteral("CREATE TABLE parent (id INTEGER PRIMARY KEY)")).has_value());
    QVERIFY(
        execSql(conn,
                QStringLiteral("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id))"))
            .has_value());
    QVERIFY(!execSql(conn, QStringLiteral("INSERT INTO child (id, parent_id) VALUES (1, 42)")).has_value());
}

void TestStorage::recordsMigrations()
{
    const QString path = newPath();
    auto db = Database::open(path, {widgets(), gadgets()});
    QVERIFY(db.has_value());
    QCOMPARE((*db)->latestVersion(), 2);
    auto applied = (*db)->appliedVersion();
    QVERIFY(applied.has_value());
    QCOMPARE(*applied, 2);

    QSqlQuery q((*db)->connection());
    QVERIFY(q.exec(QStringLiteral("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")));
    QVERIFY(q.next());
    QCOMPARE(q.value(0).toInt(), 1);
    QCOMPARE(q.value(1).toString(), QStringLiteral("widgets"));
    QVERIFY(!q.value(2).toString().isEmpty());
    QVERIFY(q.next());
    QCOMPARE(q.value(0).toInt(), 2);
    QCOMPARE(q.value(1).toString(), QStringLiteral("gadgets"));
    QVERIFY(!q.next());

    const QStringList t = tables(**db);
    QVERIFY(t.contains(QStringLiteral("widgets")));
    QVERIFY(t.contains(QStringLiteral("gadgets")));
    QVERIFY(t.contains(QStringLiteral("schema_migrations")));
    QCOMPARE((*db)->filePath(), QFileInfo(path).absoluteFilePath());
}

void TestStorage::applicationSchemaMigrates()
{
    auto db = Database::open(newPath());
    QVERIFY2(db.has_value(), qPrintable(db ? QString() : db.error().message));
    QVERIFY((*db)->latestVersion() >= 1);
    QCOMPARE((*db)->appliedVersion().value_or(-1), (*db)->latestVersion());
    const QStringList t = tables(**db);
    QVERIFY(t.contains(QStringLiteral("audit_events")));
    QVERIFY(t.contains(QStringLiteral("audit_checkpoints")));

    // Versions are unique and increasing, so that "applied up to N" is meaningful.
    int last = 0;
    for (const auto &m : schemaMigrations()) {
        QVERIFY2(m.version > last, qPrintable(m.name));
        QVERIFY(!m.name.isEmpty());
        last = m.version;
    }
}

void TestStorage::connectionPerThread()
{
    auto opened = Database::open(newPath(), kvMigrations());
    QVERIFY(opened.has_value());
    Database &db = **opened;
    QVERIFY(put(db.connection(), QStringLiteral("a"), QStringLiteral("1")).has_value());

    const QString mainName = db.connection().connectionName();
    QCOMPARE(db.connection().connectionName(), mainName); // stable within a thread

    QString threadName;
    QString threadValue;
    QString threadJournal;
    std::unique_ptr<QThread> t(QThread::create([&] {
        QSqlDatabase c = db.connection();
        threadName = c.connectionName();
        threadValue = scalar(c, QStringLiteral("SELECT v FROM kv WHERE k = 'a'")).toString();
        threadJournal = scalar(c, QStringLiteral("PRAGMA journal_mode")).toString();
        (void)put(c, QStringLiteral("b"), QStringLiteral("2"));
    }));
    t->start();
    QVERIFY(t->wait(30'000));

    QVERIFY(!threadName.isEmpty());
    QVERIFY(threadName != mainName);
    QCOMPARE(threadValue, QStringLiteral("1"));
    QCOMPARE(threadJournal, QStringLiteral("wal"));
    // The main thread reads what the other thread wrote.
    QCOMPARE(scalar(db.connection(), QStringLiteral("SELECT v FROM kv WHERE k = 'b'")).toString(), QStringLiteral("2"));
    // The ended thread's connection is gone.
    QVERIFY(!QSqlDatabase::contains(threadName));
}

void TestStorage::failedMigrationLeavesFileUnchanged_data()
{
    QTest::addColumn<QStringList>("statements");

    QTest::newRow("syntax error after good statements")
        << QStringList{QStringLiteral("CREATE TABLE gadgets (id INTEGER PRIMARY KEY)"),
                       QStringLiteral("INSERT INTO widgets (id, name) VALUES (2, 'second')"),
                       QStringLiteral("UPDATE widgets SET name = 'changed' WHERE id = 1"), QStringLiteral("THIS IS NOT SQL")};
    QTest::newRow("constraint violation") << QStringList{
        QStringLiteral("CREATE TABLE gadgets (id INTEGER PRIMARY KEY)"),
        QStringLiteral("INSERT INTO widgets (id, name) VALUES (1, 'duplicate key')")};
    QTest::newRow("unknown table") << QStringList{QStringLiteral("ALTER TABLE widgets ADD COLUMN colour TEXT"),
                                                  QStringLiteral("CREATE INDEX nowhere_x ON nowhere (x)")};
}

void TestStorage::failedMigrationLeavesFileUnchanged()
{
    QFETCH(QStringList, statements);
    const QString path = newPath();
    {
        auto db = Database::open(path, {widgets()});
        QVERIFY(db.has_value());
    }
    const Snapshot before = snapshot(path);
    const QByteArray bytesBefore = fileHash(path);
    QCOMPARE(before.migrations.size(), 1);
    QCOMPARE(before.rows, QStringList{QStringLiteral("widgets|1|first")});

    std::atomic<int> runs = 0;
    auto db = Database::open(path, {widgets(), migration(2, QStringLiteral("add gadgets"), statements, &runs)});
    QVERIFY(!db.has_value());
    QCOMPARE(runs.load(), 1);
    const QString message = db.error().message;
    QVERIFY2(message.contains(QStringLiteral("migration 2")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("add gadgets")), qPrintable(message));

    const Snapshot after = snapshot(path);
    QCOMPARE(after.schema, before.schema);
    QCOMPARE(after.migrations, before.migrations);
    QCOMPARE(after.rows, before.rows); // no statement of the failing migration was kept
    QCOMPARE(fileHash(path), bytesBefore);

    // And the database still opens at the old version.
    auto again = Database::open(path, {widgets()});
    QVERIFY(again.has_value());
    QCOMPARE((*again)->appliedVersion().value_or(-1), 1);
}

void TestStorage::failedFirstMigrationLeavesFileUnchanged()
{
    // A file that is not (yet) a KYConnect database, e.g. a data directory pointed at the wrong
    // file: migration 1 fails, and the error says the database was left unchanged, so it must be.
    const QString path = newPath();
    const QString name = QStringLiteral("foreign-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    {
        QSqlDatabase foreign = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        foreign.setDatabaseName(path);
        QVERIFY(foreign.open());
        QVERIFY(
            execSql(foreign, QStringLiteral("CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")).has_value());
        QVERIFY(execSql(foreign, QStringLiteral("INSERT INTO widgets (id, name) VALUES (7, 'theirs')")).has_value());
        foreign.close();
    }
    QSqlDatabase::removeDatabase(name);
    const Snapshot before = snapshot(path);
    QCOMPARE(before.rows, QStringList{QStringLiteral("widgets|7|theirs")});

    auto db = Database::open(path, {widgets()});
    QVERIFY(!db.has_value());
    QVERIFY2(db.error().message.contains(QStringLiteral("migration 1")), qPrintable(db.error().message));

    const Snapshot after = snapshot(path);
    QCOMPARE(after.rows, before.rows);
    QCOMPARE(after.schema, before.schema); // no schema_migrations table left behind
}

void TestStorage::newerDatabaseRefused()
{
    const QString path = newPath();
    {
        auto db = Database::open(path, {widgets(), gadgets()});
        QVERIFY(db.has_value());
        QSqlDatabase conn = (*db)->connection();
        QVERIFY(execSql(conn,
                        QStringLiteral("INSERT INTO schema_migrations (version, name, applied_at) "
                                       "VALUES (7, 'from the future', '2030-01-01T00:00:00.000Z')"))
                    .has_value());
    }
    const Snapshot before = snapshot(path);
    const QByteArray bytesBefore = fileHash(path);

    std::atomic<int> runs = 0;
    auto db = Database::open(path, {widgets(&runs), gadgets(&runs)});
    QVERIFY(!db.has_value());
    QCOMPARE(db.error().code, ErrorCode::Conflict);
    QVERIFY2(db.error().message.contains(QStringLiteral("newer")), qPrintable(db.error().message));
    QCOMPARE(runs.load(), 0);

    // A build that knows more migrations, but still fewer than the file, is refused too.
    auto db3 = Database::open(path,
                              {widgets(&runs), gadgets(&runs),
                               migration(3, QStringLiteral("three"), {QStringLiteral("CREATE TABLE three (x)")}, &runs)});
    QVERIFY(!db3.has_value());
    QCOMPARE(db3.error().code, ErrorCode::Conflict);
    QCOMPARE(runs.load(), 0);

    const Snapshot after = snapshot(path);
    QCOMPARE(after, before);
    QCOMPARE(fileHash(path), bytesBefore);
}

void TestStorage::upToDateDatabaseAppliesNothing()
{
    const QString path = newPath();
    {
        auto db = Database::open(path, {widgets(), gadgets()});
        QVERIFY(db.has_value());
    }
    const Snapshot before = snapshot(path);
    std::atomic<int> runs = 0;
    auto db = Database::open(path, {widgets(&runs), gadgets(&runs)});
    QVERIFY(db.has_value());
    QCOMPARE(runs.load(), 0);
    QCOMPARE((*db)->appliedVersion().value_or(-1), 2);
    db->reset();
    QCOMPARE(snapshot(path), before); // applied_at of both rows unchanged
}

void TestStorage::pendingMigrationsOnlyAreApplied()
{
    const QString path = newPath();
    {
        auto db = Database::open(path, {widgets()});
        QVERIFY(db.has_value());
    }
    std::atomic<int> oldRuns = 0;
    std::atomic<int> newRuns = 0;
    auto db = Database::open(path, {widgets(&oldRuns), gadgets(&newRuns)});
    QVERIFY(db.has_value());
    QCOMPARE(oldRuns.load(), 0);
    QCOMPARE(newRuns.load(), 1);
    QCOMPARE((*db)->appliedVersion().value_or(-1), 2);
    // Migration 1's INSERT was not run a second time.
    QCOMPARE(scalar((*db)->connection(), QStringLiteral("SELECT COUNT(*) FROM widgets")).toInt(), 1);
}

void TestStorage::nestedTransactionJoinsOuter()
{
    auto opened = Database::open(newPath(), kvMigrations());
    QVERIFY(opened.has_value());
    Database &db = **opened;

    Transaction outer(db);
    QVERIFY(outer.begin().has_value());
    QVERIFY(put(outer.db(), QStringLiteral("outer"), QStringLiteral("1")).has_value());
    {
        Transaction inner(db);
        QVERIFY(inner.begin().has_value());
        QVERIFY(put(inner.db(), QStringLiteral("inner"), QStringLiteral("2")).has_value());
        QVERIFY(inner.commit().has_value());
    }
    // The inner commit did not commit: another connection sees nothing yet.
    QCOMPARE(countKv(db), 2);
    QCOMPARE(countKvFromOtherThread(db), 0);

    QVERIFY(outer.commit().has_value());
    QCOMPARE(countKvFromOtherThread(db), 2);

    // After the unit of work a new transaction is an outer one again.
    Transaction next(db);
    QVERIFY(next.begin().has_value());
    QVERIFY(put(next.db(), QStringLiteral("next"), QStringLiteral("3")).has_value());
    QVERIFY(next.commit().has_value());
    QCOMPARE(countKvFromOtherThread(db), 3);
}

void TestStorage::outerRollbackUndoesInnerWrites()
{
    auto opened = Database::open(newPath(), kvMigrations());
    QVERIFY(opened.has_value());
    Database &db = **opened;

    Transaction outer(db);
    QVERIFY(outer.begin().has_value());
    QVERIFY(put(outer.db(), QStringLiteral("outer"), QStringLiteral("1")).has_value());
    {
        Transaction inner(db);
        QVERIFY(inner.begin().has_value());
        QVERIFY(put(inner.db(), QStringLiteral("inner"), QStringLiteral("2")).has_value());
        QVERIFY(inner.commit().has_value());
    }
    outer.rollback();
    QCOMPARE(countKv(db), 0);
    QCOMPARE(countKvFromOtherThread(db), 0);
    QVERIFY(!outer.commit().has_value()); // nothing left to commit

    // The connection is usable for the next unit of work.
    Transaction next(db);
    QVERIFY(next.begin().has_value());
    QVERIFY(put(next.db(), QStringLiteral("inner"), QStringLiteral("2")).has_value());
    QVERIFY(next.commit().has_value());
    QCOMPARE(countKv(db), 1);
}

void TestStorage::uncommittedTransactionRollsBack()
{
    auto opened = Database::open(newPath(), kvMigrations());
    QVERIFY(opened.has_value());
    Database &db = **opened;
    {
        Transaction tx(db);
        QVERIFY(tx.begin().has_value());
        QVERIFY(put(tx.db(), QStringLiteral("a"), QStringLiteral("1")).has_value());
        {
            Transaction inner(db);
            QVERIFY(inner.begin().has_value());
            QVERIFY(put(inner.db(), QStringLiteral("b"), QStringLiteral("2")).has_value());
            QVERIFY(inner.commit().has_value());
        }
        QCOMPARE(countKv(db), 2);
    } // destroyed without commit
    QCOMPARE(countKv(db), 0);
    QCOMPARE(countKvFromOtherThread(db), 0);

    Transaction tx(db);
    QVERIFY(tx.begin().has_value());
    QVERIFY(put(tx.db(), QStringLiteral("c"), QStringLiteral("3")).has_value());
    QVERIFY(tx.commit().has_value());
    QCOMPARE(countKvFromOtherThread(db), 1);
}

void TestStorage::failedStatementThenRollback()
{
    // A failing statement inside a unit of work leaves nothing behind once the owner rolls back.
    auto opened = Database::open(newPath(), kvMigrations());
    QVERIFY(opened.has_value());
    Database &db = **opened;
    QVERIFY(put(db.connection(), QStringLiteral("a"), QStringLiteral("0")).has_value());
    {
        Transaction tx(db);
        QVERIFY(tx.begin().has_value());
        QVERIFY(put(tx.db(), QStringLiteral("b"), QStringLiteral("1")).has_value());
        auto dup = put(tx.db(), QStringLiteral("a"), QStringLiteral("again"));
        QVERIFY(!dup.has_value());
        QCOMPARE(dup.error().code, ErrorCode::Internal);
    }
    QCOMPARE(countKv(db), 1);
}

void TestStorage::upsert()
{
    auto opened = Database::open(newPath(), kvMigrations());
    QVERIFY(opened.has_value());
    Database &db = **opened;
    const QString sql
        = db.dialect().upsert(QStringLiteral("kv"), {QStringLiteral("k"), QStringLiteral("v")}, {QStringLiteral("k")});
    QVERIFY(sql.startsWith(QStringLiteral("INSERT INTO kv")));

    auto run = [&](const QString &k, const QString &v) {
        QSqlQuery q(db.connection());
        if (!q.prepare(sql))
            return false;
        q.addBindValue(k);
        q.addBindValue(v);
        return q.exec();
    };
    QVERIFY(run(QStringLiteral("key"), QStringLiteral("inserted")));
    QCOMPARE(scalar(db.connection(), QStringLiteral("SELECT v FROM kv WHERE k = 'key'")).toString(), QStringLiteral("inserted"));
    QVERIFY(run(QStringLiteral("key"), QStringLiteral("updated")));
    QCOMPARE(scalar(db.connection(), QStringLiteral("SELECT v FROM kv WHERE k = 'key'")).toString(), QStringLiteral("updated"));
    QVERIFY(run(QStringLiteral("other"), QStringLiteral("x")));
    QCOMPARE(countKv(db), 2);

    // With a composite key.
    QSqlDatabase conn = db.connection();
    QVERIFY(execSql(conn,
                    QStringLiteral("CREATE TABLE usage (firm_id TEXT, period TEXT, n INTEGER, note TEXT, "
                                   "PRIMARY KEY (firm_id, period))"))
                .has_value());
    const QString usage
        = db.dialect().upsert(QStringLiteral("usage"),
                              {QStringLiteral("firm_id"), QStringLiteral("period"), QStringLiteral("n"), QStringLiteral("note")},
                              {QStringLiteral("firm_id"), QStringLiteral("period")});
    for (int n : {1, 2, 3}) {
        QSqlQuery q(db.connection());
        QVERIFY(q.prepare(usage));
        q.addBindValue(QStringLiteral("f1"));
        q.addBindValue(QStringLiteral("2026-01"));
        q.addBindValue(n);
        q.addBindValue(QStringLiteral("note %1").arg(n));
        QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
    }
    QCOMPARE(scalar(db.connection(), QStringLiteral("SELECT COUNT(*) FROM usage")).toInt(), 1);
    QCOMPARE(scalar(db.connection(), QStringLiteral("SELECT n || ':' || note FROM usage")).toString(),
             QStringLiteral("3:note 3"));
}

void TestStorage::upsertWithKeysOnlyDoesNothing()
{
    auto opened = Database::open(newPath(), kvMigrations());
    QVERIFY(opened.has_value());
    Database &db = **opened;
    const QString sql = db.dialect().upsert(QStringLiteral("kv"), {QStringLiteral("k")}, {QStringLiteral("k")});
    for (int i = 0; i < 2; ++i) {
        QSqlQuery q(db.connection());
        QVERIFY(q.prepare(sql));
        q.addBindValue(QStringLiteral("same"));
        QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
    }
    QCOMPARE(countKv(db), 1);
}

void TestStorage::appendOnlyTriggers()
{
    auto opened = Database::open(newPath(), kvMigrations());
    QVERIFY(opened.has_value());
    Database &db = **opened;
    QSqlDatabase conn = db.connection();
    for (const auto &stmt : db.dialect().appendOnlyTriggers(QStringLiteral("kv")))
        QVERIFY(execSql(conn, stmt).has_value());
    QVERIFY(put(conn, QStringLiteral("a"), QStringLiteral("1")).has_value());
    QVERIFY(!execSql(conn, QStringLiteral("UPDATE kv SET v = '2'")).has_value());
    QVERIFY(!execSql(conn, QStringLiteral("DELETE FROM kv")).has_value());
    QCOMPARE(scalar(conn, QStringLiteral("SELECT v FROM kv WHERE k = 'a'")).toString(), QStringLiteral("1"));
}

QTEST_GUILESS_MAIN(TestStorage)
#include "tst_storage.moc"
