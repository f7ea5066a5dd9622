#include "backend/storage/rowreader.h"

#include <QSqlDriver>
#include <QSqlError>
#include <QSqlRecord>

#include <sqlite3.h>
#include <vector>

namespace kyc::storage {

namespace {

Status viaQt(Database &db, const QString &sql, const QVariantList &binds, const std::function<bool(const RawRow &)> &onRow)
{
    QSqlQuery q(db.connection());
    q.setForwardOnly(true);
    q.prepare(sql);
    for (const auto &b : binds)
        q.addBindValue(b);
    if (auto s = exec(q); !s)
        return s;
    std::vector<QByteArray> owned;
    std::vector<QByteArrayView> views;
    while (q.next()) {
        const int n = q.record().count();
        owned.resize(size_t(n));
        views.resize(size_t(n));
        for (int i = 0; i < n; ++i) {
            const QVariant v = q.value(i);
            owned[size_t(i)] = v.isNull() ? QByteArray() : v.toString().toUtf8();
            views[size_t(i)] = v.isNull() ? QByteArrayView() : QByteArrayView(owned[size_t(i)]);
        }
        if (!onRow(RawRow{views.data(), n}))
            break;
    }
    return {};
}

} // namespace

Status forEachRow(Database &db, const QString &sql, const QVariantList &binds, const std::function<bool(const RawRow &)> &onRow)
{
    QSqlDatabase conn = db.connection();
    const QVariant handle = conn.driver()->handle();
    if (db.dialect().kind() != Dialect::SQLite || qstrcmp(handle.typeName(), "sqlite3*") != 0)
        return viaQt(db, sql, binds, onRow);
    auto *h = *static_cast<sqlite3 *const *>(handle.data());
    if (!h)
        return viaQt(db, sql, binds, onRow);

    sqlite3_stmt *stmt = nullptr;
    const QByteArray text = sql.toUtf8();
    if (sqlite3_prepare_v2(h, text.constData(), int(text.size()), &stmt, nullptr) != SQLITE_OK)
        return fail(Error::internal(QStringLiteral("prepare failed: %1").arg(QString::fromUtf8(sqlite3_errmsg(h)))));
    std::vector<QByteArray> keep; // bound text must outlive the statement
    for (int i = 0; i < binds.size(); ++i) {
        const QVariant &b = binds[i];
        int rc = SQLITE_OK;
        if (b.isNull())
            rc = sqlite3_bind_null(stmt, i + 1);
        else if (b.typeId() == QMetaType::LongLong || b.typeId() == QMetaType::Int)
            rc = sqlite3_bind_int64(stmt, i + 1, b.toLongLong());
        else {
            keep.push_back(b.toString().toUtf8());
            rc = sqlite3_bind_text(stmt, i + 1, keep.back().constData(), int(keep.back().size()), SQLITE_STATIC);
        }
        if (rc != SQLITE_OK) {
            sqlite3_finalize(stmt);
            return fail(Error::internal(QStringLiteral("bind failed")));
        }
    }
    const int n = sqlite3_column_count(stmt);
    std::vector<QByteArrayView> views(static_cast<size_t>(n));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        for (int i = 0; i < n; ++i) {
            if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
                views[size_t(i)] = QByteArrayView();
            } else {
                const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(stmt, i));
                views[size_t(i)] = QByteArrayView(p, sqlite3_column_bytes(stmt, i));
            }
        }
        if (!onRow(RawRow{views.data(), n})) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return fail(Error::internal(QStringLiteral("row scan failed: %1").arg(QString::fromUtf8(sqlite3_errmsg(h)))));
    return {};
}

} // namespace kyc::storage
