#include "backend/screening/listrefresher.h"

#include "backend/core/actor.h"
#include "backend/screening/listdownloader.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>

Q_LOGGING_CATEGORY(lcRefresh, "kyc.screening.refresh")

namespace kyc::screening {

struct ListRefresher::State {
    QJsonObject etags; // by URL
    QJsonObject lastModified; // by URL
    QString sha256;
    QString lastCheckedAt;
    QString lastSuccessAt;
    QString lastChangedAt;
    QString lastError;
    QString nextAttemptAt;
    int consecutiveFailures = 0;
};

struct ListRefresher::Serving {
    QString versionId;
    QString sha256;
    QString loadedAt;
    QString publicationDate;
};

namespace {

QVariant nullable(const QString &s)
{
    return s.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(s);
}

QVariant jsonOrNull(const QJsonObject &o)
{
    return o.isEmpty() ? QVariant(QMetaType::fromType<QString>())
                       : QVariant(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)));
}

QJsonObject jsonObject(const QVariant &v)
{
    return QJsonDocument::fromJson(v.toString().toUtf8()).object();
}

QDateTime parseIso(const QString &s)
{
    QDateTime t = QDateTime::fromString(s, Qt::ISODateWithMs);
    if (!t.isValid())
        t = QDateTime::fromString(s, Qt::ISODate);
    return t;
}

QString urlsOf(const ListSourceConfig &c)
{
    QStringList urls;
    for (const auto &u : c.urls)
        urls << u.url.toString();
    return urls.join(u' ');
}

// The checksum importList records: the files sorted by name, concatenated.
QString setSha256(QStringList files)
{
    std::sort(files.begin(), files.end(),
              [](const QString &a, const QString &b) { return QFileInfo(a).fileName() < QFileInfo(b).fileName(); });
    QCryptographicHash sha(QCryptographicHash::Sha256);
    for (const auto &f : files) {
        QFile file(f);
        if (file.open(QIODevice::ReadOnly))
            sha.addData(&file);
    }
    return QString::fromLatin1(sha.result().toHex());
}

QString errorText(const Error &e)
{
    QString text = e.message;
    for (const auto &f : e.fields)
        text += QStringLiteral("; %1").arg(f.message);
    return text;
}

} // namespace

QString refreshOutcomeName(RefreshOutcome o)
{
    switch (o) {
    case RefreshOutcome::Imported: return QStringLiteral("imported");
    case RefreshOutcome::Unchanged: return QStringLiteral("unchanged");
    case RefreshOutcome::NotModified: return QStringLiteral("not_modified");
    case RefreshOutcome::Failed: return QStringLiteral("failed");
    case RefreshOutcome::Interrupted: return QStringLiteral("interrupted");
    }
    return QStringLiteral("failed");
}

ListRefresher::ListRefresher(storage::Database &db, const Clock &clock, audit::AuditLog &audit, ScreeningService &screening,
                             ListSourceTable table, RefreshSchedule schedule, QString cacheDir, QObject *parent)
    : QObject(parent)
    , m_db(db)
    , m_clock(clock)
    , m_audit(audit)
    , m_screening(screening)
    , m_table(std::move(table))
    , m_schedule(schedule)
    , m_cacheDir(std::move(cacheDir))
{
    m_thread.setObjectName(QStringLiteral("kyc-list-refresh"));
}

ListRefresher::~ListRefresher()
{
    stop();
}

QString ListRefresher::sourceCacheDir(const QString &source) const
{
    return QDir(m_cacheDir).filePath(source);
}

bool ListRefresher::isScheduled(const ListSourceConfig &config, bool loaded) const
{
    Q_UNUSED(config);
    // A firm that never imported a list is not surprised by downloads; a table given explicitly is meant.
    return loaded || m_table.explicitSources;
}

Result<std::optional<ListRefresher::State>> ListRefresher::loadState(const QString &source) const
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT etag, last_modified, sha256, last_checked_at, last_success_at, last_changed_at, "
                             "consecutive_failures, last_error, next_attempt_at FROM list_refresh_state WHERE source = ?"));
    q.addBindValue(source);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next())
        return std::optional<State>();
    State st;
    st.etags = jsonObject(q.value(0));
    st.lastModified = jsonObject(q.value(1));
    st.sha256 = q.value(2).toString();
    st.lastCheckedAt = q.value(3).toString();
    st.lastSuccessAt = q.value(4).toString();
    st.lastChangedAt = q.value(5).toString();
    st.consecutiveFailures = q.value(6).toInt();
    st.lastError = q.value(7).toString();
    st.nextAttemptAt = q.value(8).toString();
    return std::optional<State>(st);
}

Result<std::optional<ListRefresher::Serving>> ListRefresher::serving(const QString &source) const
{
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT id, sha256, loaded_at, publication_date FROM list_versions "
                             "WHERE source = ? AND owner_firm_id = '' AND active = 1"));
    q.addBindValue(source);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next())
        return std::optional<Serving>();
    return std::optional<Serving>(
        Serving{q.value(0).toString(), q.value(1).toString(), q.value(2).toString(), q.value(3).toString()});
}

Result<RefreshResult> ListRefresher::refreshNow(const QString &source)
{
    const ListSourceConfig *config = m_table.find(source);
    if (!config)
        return fail(ErrorCode::NotFound, QStringLiteral("no download URL is configured for the list source %1").arg(source));
    QMutexLocker lock(&m_runMutex);
    RefreshResult r = run(*config);
    lock.unlock();
    QString detail = r.error;
    if (r.outcome == RefreshOutcome::Imported)
        detail = QStringLiteral("version %1: %2 entities (+%3 ~%4 -%5)")
                     .arg(r.version.id)
                     .arg(r.version.entityCount)
                     .arg(r.version.added)
                     .arg(r.version.changed)
                     .arg(r.version.removed);
    if (r.outcome == RefreshOutcome::Failed)
        qCWarning(lcRefresh).noquote() << "refresh of" << source << "failed:" << r.error;
    else
        qCInfo(lcRefresh).noquote() << "refresh of" << source << refreshOutcomeName(r.outcome) << detail;
    emit refreshed(r.source, refreshOutcomeName(r.outcome), detail);
    return r;
}

QList<RefreshResult> ListRefresher::refreshDue()
{
    QList<RefreshResult> done;
    for (const auto &config : m_table.sources) {
        if (m_stop.load())
            break;
        auto sv = serving(config.source);
        auto st = loadState(config.source);
        if (!sv || !st) {
            qCWarning(lcRefresh).noquote() << "cannot read the refresh state of" << config.source;
            continue;
        }
        if (!isScheduled(config, sv->has_value()))
            continue;
        const bool due = !st->has_value() || (*st)->nextAttemptAt.isEmpty() || parseIso((*st)->nextAttemptAt) <= m_clock.now();
        if (!due)
            continue;
        if (auto r = refreshNow(config.source))
            done << *r;
    }
    return done;
}

RefreshResult ListRefresher::run(const ListSourceConfig &config)
{
    RefreshResult result;
    result.source = config.source;
    if (m_stop.load()) {
        result.outcome = RefreshOutcome::Interrupted;
        return result;
    }
    auto st = loadState(config.source);
    auto sv = serving(config.source);
    if (!st || !sv) {
        result.error = QStringLiteral("cannot read the refresh state");
        return result;
    }
    const std::optional<State> &before = *st;
    if (!QDir().mkpath(m_cacheDir))
        return recordFailure(config, before, QStringLiteral("cannot create %1").arg(m_cacheDir), 0);
    QTemporaryDir tmp(QDir(m_cacheDir).filePath(config.source + QStringLiteral(".download-XXXXXX")));
    if (!tmp.isValid())
        return recordFailure(config, before, QStringLiteral("cannot create a temporary directory: %1").arg(tmp.errorString()), 0);
    const QDir held(sourceCacheDir(config.source));
    // Validators describe the files we hold; they are only worth sending while those are what serves.
    const bool validatorsUsable = before && sv->has_value() && before->sha256 == (*sv)->sha256;

    ListDownloader downloader(m_table.attempts, m_table.retryDelayMs, m_stop);
    State after = before.value_or(State{});
    QJsonObject etags, lastModified;
    QStringList files, notModified;
    for (const auto &u : config.urls) {
        const QString key = u.url.toString();
        DownloadRequest r;
        r.url = u.url;
        r.destination = tmp.filePath(u.fileName);
        r.maxBytes = config.maxBytes > 0 ? config.maxBytes : m_table.maxBytes;
        r.timeoutMs = m_table.timeoutMs;
        if (validatorsUsable && held.exists(u.fileName)) {
            r.etag = before->etags.value(key).toString().toUtf8();
            r.lastModified = before->lastModified.value(key).toString().toUtf8();
        }
        auto d = downloader.fetch(r);
        result.requests += d ? d->requests : d.error().requests;
        if (!d) {
            if (d.error().interrupted) {
                result.outcome = RefreshOutcome::Interrupted;
                return result;
            }
            return recordFailure(config, before, QStringLiteral("%1: %2").arg(u.fileName, d.error().message), result.requests);
        }
        if (d->notModified && r.etag.isEmpty() && r.lastModified.isEmpty())
            return recordFailure(config, before,
                                 QStringLiteral("%1: 304 Not Modified to an unconditional request").arg(u.fileName),
                                 result.requests);
        if (d->notModified) {
            notModified << u.fileName;
            if (before->etags.contains(key))
                etags.insert(key, before->etags.value(key));
            if (before->lastModified.contains(key))
                lastModified.insert(key, before->lastModified.value(key));
        } else {
            if (!d->etag.isEmpty())
                etags.insert(key, QString::fromLatin1(d->etag));
            if (!d->lastModified.isEmpty())
                lastModified.insert(key, QString::fromLatin1(d->lastModified));
        }
        files << r.destination;
    }
    after.etags = etags;
    after.lastModified = lastModified;

    if (notModified.size() == config.urls.size()) {
        if (auto s = recordSuccess(config, after, nullptr); !s)
            qCWarning(lcRefresh).noquote() << "cannot record the refresh of" << config.source << ":" << s.error().message;
        result.outcome = RefreshOutcome::NotModified;
        return result;
    }
    // Part of a set changed: the unchanged files come from the last good download.
    for (const auto &name : notModified) {
        QFile::remove(tmp.filePath(name));
        if (!QFile::copy(held.filePath(name), tmp.filePath(name)))
            return recordFailure(config, before, QStringLiteral("%1: the last downloaded copy is missing").arg(name),
                                 result.requests);
    }
    after.sha256 = setSha256(files);

    ListVersion imported;
    const bool same = sv->has_value() && (*sv)->sha256 == after.sha256;
    if (!same) {
        auto v = m_screening.importList(Actor::system(QString()), config.format, files, config.source);
        if (!v)
            return recordFailure(config, before, QStringLiteral("import failed: %1").arg(errorText(v.error())), result.requests);
        imported = *v;
    }

    // Keep the set as the last good download (same file system: renames).
    if (!QDir().mkpath(held.path()))
        qCWarning(lcRefresh).noquote() << "cannot create" << held.path();
    for (const auto &old : held.entryList(QDir::Files))
        QFile::remove(held.filePath(old));
    for (const auto &u : config.urls) {
        if (!QFile::rename(tmp.filePath(u.fileName), held.filePath(u.fileName))
            && !QFile::copy(tmp.filePath(u.fileName), held.filePath(u.fileName)))
            qCWarning(lcRefresh).noquote() << "cannot keep" << u.fileName << "in" << held.path();
    }

    if (auto s = recordSuccess(config, after, same ? nullptr : &imported); !s)
        qCWarning(lcRefresh).noquote() << "cannot record the refresh of" << config.source << ":" << s.error().message;
    result.outcome = same ? RefreshOutcome::Unchanged : RefreshOutcome::Imported;
    result.version = imported;
    return result;
}

RefreshResult ListRefresher::recordFailure(const ListSourceConfig &config, const std::optional<State> &before,
                                           const QString &error, int requests)
{
    RefreshResult result;
    result.source = config.source;
    result.outcome = RefreshOutcome::Failed;
    result.error = error;
    result.requests = requests;

    State s = before.value_or(State{});
    const QDateTime now = m_clock.now();
    s.consecutiveFailures += 1;
    s.lastError = error;
    s.lastCheckedAt = isoUtc(now);
    // 15 min, 30 min, 1 h, … (from the table), never longer than the refresh interval (or a day).
    const qint64 capMinutes = m_schedule.intervalHours > 0 ? qint64(m_schedule.intervalHours) * 60 : 24 * 60;
    const qint64 backoff
        = std::min<qint64>(capMinutes, qint64(m_table.failureBackoffMinutes) << std::min(s.consecutiveFailures - 1, 20));
    s.nextAttemptAt = isoUtc(now.addSecs(backoff * 60));

    storage::Transaction tx(m_db);
    Status written = tx.begin();
    if (written) {
        QSqlQuery q(m_db.connection());
        q.prepare(m_db.dialect().upsert(QStringLiteral("list_refresh_state"),
                                        {QStringLiteral("source"), QStringLiteral("url"), QStringLiteral("consecutive_failures"),
                                         QStringLiteral("last_error"), QStringLiteral("last_checked_at"),
                                         QStringLiteral("next_attempt_at")},
                                        {QStringLiteral("source")}));
        for (const QVariant &v : {QVariant(config.source), QVariant(urlsOf(config)), QVariant(s.consecutiveFailures),
                                  QVariant(s.lastError), QVariant(s.lastCheckedAt), QVariant(s.nextAttemptAt)})
            q.addBindValue(v);
        written = storage::exec(q);
    }
    if (written) {
        auto e = m_audit.append({QString(), QStringLiteral("system"), QStringLiteral("kyconnect"),
                                 QStringLiteral("list.refresh_failed"), QStringLiteral("list_source"), config.source, QString(),
                                 QJsonObject{{QStringLiteral("source"), config.source},
                                             {QStringLiteral("urls"), QJsonArray::fromStringList(urlsOf(config).split(u' '))},
                                             {QStringLiteral("error"), error},
                                             {QStringLiteral("requests"), requests},
                                             {QStringLiteral("consecutive_failures"), s.consecutiveFailures},
                                             {QStringLiteral("next_attempt_at"), s.nextAttemptAt}}});
        if (!e)
            written = fail(e.error());
    }
    if (written)
        written = tx.commit();
    if (!written)
        qCWarning(lcRefresh).noquote() << "cannot record the failed refresh of" << config.source << ":"
                                       << written.error().message;
    return result;
}

Status ListRefresher::recordSuccess(const ListSourceConfig &config, const State &afterIn, const ListVersion *imported)
{
    State s = afterIn;
    const QDateTime now = m_clock.now();
    s.lastCheckedAt = isoUtc(now);
    s.lastSuccessAt = s.lastCheckedAt;
    if (imported)
        s.lastChangedAt = s.lastCheckedAt;
    s.consecutiveFailures = 0;
    s.lastError.clear();
    s.nextAttemptAt = m_schedule.intervalHours > 0 ? isoUtc(now.addSecs(qint64(m_schedule.intervalHours) * 3600)) : QString();

    storage::Transaction tx(m_db);
    if (auto b = tx.begin(); !b)
        return b;
    QSqlQuery q(m_db.connection());
    q.prepare(m_db.dialect().upsert(QStringLiteral("list_refresh_state"),
                                    {QStringLiteral("source"), QStringLiteral("url"), QStringLiteral("etag"),
                                     QStringLiteral("last_modified"), QStringLiteral("sha256"), QStringLiteral("last_checked_at"),
                                     QStringLiteral("last_success_at"), QStringLiteral("last_changed_at"),
                                     QStringLiteral("consecutive_failures"), QStringLiteral("last_error"),
                                     QStringLiteral("next_attempt_at")},
                                    {QStringLiteral("source")}));
    for (const QVariant &v : {QVariant(config.source), QVariant(urlsOf(config)), jsonOrNull(s.etags), jsonOrNull(s.lastModified),
                              nullable(s.sha256), nullable(s.lastCheckedAt), nullable(s.lastSuccessAt), nullable(s.lastChangedAt),
                              QVariant(0), nullable(QString()), nullable(s.nextAttemptAt)})
        q.addBindValue(v);
    if (auto e = storage::exec(q); !e)
        return e;
    if (imported) {
        auto e = m_audit.append({QString(), QStringLiteral("system"), QStringLiteral("kyconnect"),
                                 QStringLiteral("list.refreshed"), QStringLiteral("list_source"), config.source, QString(),
                                 QJsonObject{{QStringLiteral("source"), config.source},
                                             {QStringLiteral("urls"), QJsonArray::fromStringList(urlsOf(config).split(u' '))},
                                             {QStringLiteral("version_id"), imported->id},
                                             {QStringLiteral("sha256"), imported->sha256},
                                             {QStringLiteral("entities"), imported->entityCount},
                                             {QStringLiteral("added"), imported->added},
                                             {QStringLiteral("changed"), imported->changed},
                                             {QStringLiteral("removed"), imported->removed}}});
        if (!e)
            return fail(e.error());
    }
    return tx.commit();
}

Result<QList<ListRefreshStatus>> ListRefresher::status() const
{
    const QDateTime now = m_clock.now();
    QList<ListRefreshStatus> out;
    for (const auto &config : m_table.sources) {
        auto sv = serving(config.source);
        if (!sv)
            return fail(sv.error());
        auto st = loadState(config.source);
        if (!st)
            return fail(st.error());
        ListRefreshStatus s;
        s.source = config.source;
        s.title = config.title;
        s.format = formatName(config.format);
        for (const auto &u : config.urls)
            s.urls << u.url.toString();
        s.loaded = sv->has_value();
        s.scheduled = isScheduled(config, s.loaded);
        if (*st) {
            const State &state = **st;
            s.lastCheckedAt = state.lastCheckedAt;
            s.lastSuccessAt = state.lastSuccessAt;
            s.lastChangedAt = state.lastChangedAt;
            s.lastError = state.lastError;
            s.nextAttemptAt = state.nextAttemptAt;
            s.consecutiveFailures = state.consecutiveFailures;
        }
        if (s.loaded) {
            s.versionId = (*sv)->versionId;
            s.loadedAt = (*sv)->loadedAt;
            s.publicationDate = (*sv)->publicationDate;
            // The data is as current as its publication date (a file cannot be newer than its import), or
            // as the last successful check that it is still what the source publishes.
            QDateTime current = parseIso(s.loadedAt);
            const QDate published = QDate::fromString(s.publicationDate, Qt::ISODate);
            if (published.isValid() && current.isValid() && QDateTime(published, QTime(0, 0), Qt::UTC) < current)
                current = QDateTime(published, QTime(0, 0), Qt::UTC);
            if (const QDateTime ok = parseIso(s.lastSuccessAt); ok.isValid() && (!current.isValid() || ok > current))
                current = ok;
            s.ageSeconds = current.isValid() ? std::max<qint64>(0, current.secsTo(now)) : 0;
            s.stale = m_schedule.maxAgeHours > 0 && s.ageSeconds > qint64(m_schedule.maxAgeHours) * 3600;
            s.failing = s.consecutiveFailures > 0;
            s.freshness = s.failing ? QStringLiteral("failing") : s.stale ? QStringLiteral("stale") : QStringLiteral("current");
        }
        out << s;
    }
    return out;
}

Result<QString> ListRefresher::freshness() const
{
    auto all = status();
    if (!all)
        return fail(ErrorCode::Unavailable, QStringLiteral("the list refresh state is unreadable"));
    QStringList ages, stale, failing;
    for (const auto &s : *all) {
        if (!s.loaded)
            continue;
        const QString age = QStringLiteral("%1 %2 h old").arg(s.source).arg(s.ageSeconds / 3600);
        // A failing refresh is said so, with its next attempt: the list is not known to be current.
        ages << (s.failing
                     ? QStringLiteral("%1, refresh failing (%2), next retry %3")
                           .arg(age, s.lastError, s.nextAttemptAt.isEmpty() ? QStringLiteral("not scheduled") : s.nextAttemptAt)
                     : age);
        if (s.failing && !s.stale)
            failing << ages.last();
        if (s.stale)
            stale << (s.lastError.isEmpty() ? age : QStringLiteral("%1 (last refresh: %2)").arg(age, s.lastError));
    }
    if (!stale.isEmpty())
        return fail(ErrorCode::Unavailable,
                    QStringLiteral("lists older than %1 h: %2%3")
                        .arg(m_schedule.maxAgeHours)
                        .arg(stale.join(QStringLiteral(", ")),
                             failing.isEmpty() ? QString() : QStringLiteral("; ") + failing.join(QStringLiteral("; "))));
    if (ages.isEmpty())
        return QStringLiteral("no list with a download URL is loaded");
    return ages.join(QStringLiteral(", "));
}

void ListRefresher::ensureThread()
{
    if (m_thread.isRunning())
        return;
    m_stop = false;
    m_worker = new QObject;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
}

Status ListRefresher::refreshLater(const Actor &actor, const QString &source)
{
    // A refresh replaces an official list every firm screens against: the platform's to start (issue 8).
    if (actor.kind != Actor::Kind::System && !(actor.isUser() && actor.platformAdmin && actor.atLeast(Role::Admin)))
        return fail(ErrorCode::Forbidden,
                    QStringLiteral("Refreshing the official lists requires a platform admin (they are shared by every firm)"));
    if (!m_table.find(source))
        return fail(ErrorCode::NotFound, QStringLiteral("List %1 has no download URL to refresh from").arg(source));
    ensureThread();
    QMetaObject::invokeMethod(
        m_worker,
        [this, source] {
            if (auto r = refreshNow(source); !r)
                emit refreshed(source, refreshOutcomeName(RefreshOutcome::Failed), r.error().message);
        },
        Qt::QueuedConnection);
    return {};
}

void ListRefresher::start()
{
    if (m_schedule.intervalHours <= 0 || m_timerStarted)
        return;
    ensureThread();
    m_timerStarted = true;
    QObject *worker = m_worker;
    const int every = std::max(1000, m_schedule.checkEveryMs);
    const int first = std::max(0, m_schedule.firstCheckDelayMs);
    QMetaObject::invokeMethod(
        worker,
        [this, worker, every, first] {
            auto *timer = new QTimer(worker);
            connect(timer, &QTimer::timeout, worker, [this] { refreshDue(); });
            timer->start(every);
            QTimer::singleShot(first, worker, [this] { refreshDue(); });
        },
        Qt::QueuedConnection);
    qCInfo(lcRefresh).noquote() << "list refresh every" << m_schedule.intervalHours << "h for" << m_table.sources.size()
                                << "configured sources";
}

void ListRefresher::stop()
{
    if (!m_thread.isRunning())
        return;
    m_stop = true;
    {
        // A download in progress notices the flag and gives up; an import in progress finishes.
        QMutexLocker wait(&m_runMutex);
    }
    m_thread.quit();
    m_thread.wait();
    m_worker = nullptr; // deleted on its thread as it finished
    m_timerStarted = false;
    m_stop = false;
}

bool ListRefresher::isRunning() const
{
    return m_thread.isRunning();
}

} // namespace kyc::screening
