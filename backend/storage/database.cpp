#include "backend/storage/database.h"

#include "backend/core/ids.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QLoggingCategory>
#include <QSqlError>
#include <QThread>

#include <atomic>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>

Q_LOGGING_CATEGORY(lcDb, "kyc.storage")

namespace kyc::storage {

struct Database::ThreadConnection {
    QString name;
    QSqlDatabase db;
    std::unordered_map<QString, std::unique_ptr<QSqlQuery>> prepared;
    int depth = 0;
    std::vector<std::function<void()>> onCommit;
    ~ThreadConnection()
    {
        prepared.clear();
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(name);
    }
};

namespace {

// Each thread's connections, by Database instance; a thread that ends closes its own.
thread_local std::unordered_map<quint64, std::unique_ptr<Database::ThreadConnection>> t_connections;
std::atomic<quint64> g_nextInstance{1};

QString sqlErrorText(const QSqlError &e)
{
    return e.text();
}
} // namespace

Status exec(QSqlQuery &q)
{
    if (!q.exec())
        return fail(Error::internal(QStringLiteral("SQL failed: %1 [%2]").arg(sqlErrorText(q.lastError()), q.lastQuery())));
    return {};
}

Status execSql(QSqlDatabase &db, const QString &sql)
{
    QSqlQuery q(db);
    if (!q.exec(sql))
        return fail(Error::internal(QStringLiteral("SQL failed: %1 [%2]").arg(sqlErrorText(q.lastError()), sql)));
    return {};
}

Status restrictToOwner(const QString &databaseFile)
{
    // Created 0600 before SQLite opens it; SQLite gives the -wal and -shm files it creates later the
    // database file's mode. Files left with looser rights by an earlier version are tightened.
    const QByteArray path = QFile::encodeName(databaseFile);
    const int fd = ::open(path.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(Error::make(ErrorCode::Unavailable, QStringLiteral("cannot open the database file %1").arg(databaseFile)));
    const bool ok = ::fchmod(fd, 0600) == 0;
    ::close(fd);
    if (!ok)
        return fail(Error::make(ErrorCode::Unavailable,
                                QStringLiteral("cannot restrict the database file %1 to its owner").arg(databaseFile)));
    for (const char *suffix : {"-wal", "-shm", "-journal"}) {
        const QByteArray side = path + suffix;
        if (::access(side.constData(), F_OK) == 0 && ::chmod(side.constData(), 0600) != 0)
            return fail(Error::make(ErrorCode::Unavailable,
                                    QStringLiteral("cannot restrict %1 to its owner").arg(QFile::decodeName(side))));
    }
    return {};
}

Database::Database(QString path, int latest)
    : m_path(std::move(path))
    , m_instance(g_nextInstance.fetch_add(1))
    , m_latest(latest)
{
}

Database::~Database()
{
    closeThreadConnection();
}

Database::ThreadConnection *Database::threadConnection()
{
    if (auto it = t_connections.find(m_instance); it != t_connections.end())
        return it->second.get();
    auto holder = std::make_unique<ThreadConnection>();
    auto *tc = holder.get();
    tc->name = QStringLiteral("kyc-%1-%2").arg(m_instance).arg(quintptr(QThread::currentThreadId()), 0, 16);
    tc->db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), tc->name);
    tc->db.setDatabaseName(m_path);
    tc->db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!tc->db.open()) {
        qCCritical(lcDb).noquote() << "cannot open database" << m_path << tc->db.lastError().text();
    } else {
        QSqlQuery q(tc->db);
        // Durability: WAL with synchronous = NORMAL. A commit is in the write-ahead log before COMMIT returns, so a
        // crash of the process (kill -9, tests/app/tst_crashsafety) loses nothing that was acknowledged; a power cut can
        // lose the last commits, but never corrupts the file, and a change and its audit event are one transaction,
        // so they are lost together or kept together. Signed audit checkpoints are synced to disk (syncToDisk) before
        // anyone sees them, so a signed head never points past what survives. synchronous = FULL (an fsync per
        // commit) measured 2 000-3 800 commits/s here against 45 000-54 000, below the audit trail's 5 000/s target.
        for (const char *pragma : {"PRAGMA journal_mode = WAL", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL",
                                   "PRAGMA busy_timeout = 5000", "PRAGMA temp_store = MEMORY", "PRAGMA mmap_size = 2147483648",
                                   "PRAGMA cache_size = -65536"}) {
            if (!q.exec(QLatin1String(pragma)))
                qCWarning(lcDb).noquote() << pragma << "failed:" << q.lastError().text();
        }
    }
    t_connections.emplace(m_instance, std::move(holder));
    // Close it when the thread finishes, before QThread::wait() returns to whoever waits for it
    // (thread_local destructors alone would run later, at the very end of the thread).
    const auto *app = QCoreApplication::instance();
    if (QThread *thread = QThread::currentThread(); thread && (!app || thread != app->thread())) {
        QObject::connect(
            thread, &QThread::finished, thread, [id = m_instance] { t_connections.erase(id); }, Qt::DirectConnection);
    }
    return tc;
}

QSqlDatabase Database::connection()
{
    return threadConnection()->db;
}

void Database::closeThreadConnection()
{
    t_connections.erase(m_instance); // the holder removes the connection
}

void Database::afterCommit(std::function<void()> f)
{
    auto *tc = threadConnection();
    if (tc->depth == 0)
        f();
    else
        tc->onCommit.push_back(std::move(f));
}

void Database::syncToDisk()
{
    afterCommit([this] {
        QSqlQuery q(threadConnection()->db);
        if (!q.exec(QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)")))
            qCWarning(lcDb).noquote() << "WAL checkpoint failed:" << q.lastError().text();
    });
}

QSqlQuery &Database::prepare(const QString &sql)
{
    auto *tc = threadConnection();
    auto it = tc->prepared.find(sql);
    if (it != tc->prepared.end())
        return *it->second;
    auto q = std::make_unique<QSqlQuery>(tc->db);
    if (!q->prepare(sql))
        qCWarning(lcDb).noquote() << "prepare failed:" << q->lastError().text() << sql;
    return *tc->prepared.emplace(sql, std::move(q)).first->second;
}

Result<int> Database::appliedVersion()
{
    QSqlQuery q(connection());
    if (!q.exec(QStringLiteral("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")) || !q.next())
        return fail(Error::internal(QStringLiteral("cannot read schema_migrations: %1").arg(q.lastError().text())));
    return q.value(0).toInt();
}

Result<std::unique_ptr<Database>> Database::open(const QString &filePath, const QList<Migration> &migrations)
{
    int latest = 0;
    for (const auto &m : migrations)
        latest = std::max(latest, m.version);
    const QFileInfo fi(filePath);
    if (!QDir().mkpath(fi.absolutePath()))
        return fail(Error::internal(QStringLiteral("cannot create %1").arg(fi.absolutePath())));
    if (auto s = restrictToOwner(fi.absoluteFilePath()); !s)
        return fail(s.error());

    std::unique_ptr<Database> db(new Database(fi.absoluteFilePath(), latest));
    QSqlDatabase conn = db->connection();
    if (!conn.isOpen())
        return fail(Error::make(ErrorCode::Unavailable, QStringLiteral("cannot open the database file %1").arg(filePath)));

    // Everything, the bookkeeping table included, happens in one transaction: either the file moves
    // to the latest version or it stays exactly as it was.
    QSqlQuery q(conn);
    Transaction tx(*db);
    if (auto s = tx.begin(); !s)
        return fail(Error::make(ErrorCode::Unavailable, QStringLiteral("cannot open the database file %1").arg(filePath)));
    if (!q.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS schema_migrations ("
                               "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")))
        return fail(Error::make(ErrorCode::Unavailable,
                                QStringLiteral("%1 is not a usable KYConnect database: %2").arg(filePath, q.lastError().text())));
    auto applied = db->appliedVersion();
    if (!applied)
        return fail(applied.error());
    if (*applied > latest) {
        return fail(Error::make(ErrorCode::Conflict,
                                QStringLiteral("The database %1 was written by a newer KYConnect (schema version %2; this "
                                               "build knows up to %3). Upgrade KYConnect to open it; the file was not changed.")
                                    .arg(filePath)
                                    .arg(*applied)
                                    .arg(latest)));
    }
    if (*applied == latest) {
        if (auto s = tx.commit(); !s)
            return fail(s.error());
        return db;
    }
    for (const auto &m : migrations) {
        if (m.version <= *applied)
            continue;
        for (const auto &stmt : m.statements(db->dialect())) {
            if (!q.exec(stmt)) {
                const QString why = q.lastError().text();
                tx.rollback();
                return fail(Error::make(ErrorCode::Internal,
                                        QStringLiteral("migration %1 (%2) failed: %3; the database was "
                                                       "left unchanged")
                                            .arg(m.version)
                                            .arg(m.name, why)));
            }
        }
        QSqlQuery rec(conn);
        rec.prepare(QStringLiteral("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"));
        rec.addBindValue(m.version);
        rec.addBindValue(m.name);
        rec.addBindValue(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
        if (auto s = exec(rec); !s)
            return fail(s.error());
    }
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    qCInfo(lcDb).noquote() << "database" << filePath << "migrated from version" << *applied << "to" << latest;
    return db;
}

Transaction::Transaction(Database &db)
    : m_db(db)
    , m_conn(db.connection())
{
}

Transaction::~Transaction()
{
    if (m_active)
        rollback();
}

Status Transaction::begin()
{
    int &depth = m_db.threadConnection()->depth;
    if (depth > 0) {
        m_outer = false;
        m_active = true;
        ++depth;
        return {};
    }
    if (auto s = execSql(m_conn, m_db.dialect().beginWrite()); !s)
        return s;
    m_outer = true;
    m_active = true;
    depth = 1;
    return {};
}

Status Transaction::commit()
{
    if (!m_active)
        return fail(Error::internal(QStringLiteral("commit without an active transaction")));
    int &depth = m_db.threadConnection()->depth;
    m_active = false;
    --depth;
    if (!m_outer)
        return {};
    auto *tc = m_db.threadConnection();
    auto callbacks = std::move(tc->onCommit);
    tc->onCommit.clear();
    if (auto s = execSql(m_conn, QStringLiteral("COMMIT")); !s) {
        (void)execSql(m_conn, QStringLiteral("ROLLBACK"));
        return s;
    }
    for (auto &f : callbacks)
        f();
    return {};
}

void Transaction::rollback()
{
    if (!m_active)
        return;
    int &depth = m_db.threadConnection()->depth;
    m_active = false;
    --depth;
    if (m_outer) {
        QSqlQuery q(m_conn);
        q.exec(QStringLiteral("ROLLBACK"));
        depth = 0;
        m_db.threadConnection()->onCommit.clear();
    }
    // An inner rollback cannot undo part of the outer unit; the outer owner sees the failure result
    // and rolls back the whole.
}

} // namespace kyc::storage
