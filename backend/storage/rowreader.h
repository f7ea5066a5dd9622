#pragma once

#include "backend/core/result.h"
#include "backend/storage/database.h"

#include <QByteArrayView>
#include <QVariantList>

#include <functional>

namespace kyc::storage {

// One row as UTF-8 byte views, valid only during the callback; a null column has isNull() true.
struct RawRow {
    const QByteArrayView *columns;
    int count;
    [[nodiscard]] QByteArrayView operator[](int i) const { return columns[i]; }
};

// Streams a SELECT's rows without QVariant/QString conversions, for scans over millions of rows
// (audit verification). On SQLite it reads through the driver's own sqlite3 handle; on other
// drivers it falls back to QSqlQuery. Return false from the callback to stop.
[[nodiscard]] Status forEachRow(Database &db, const QString &sql, const QVariantList &binds,
                                const std::function<bool(const RawRow &)> &onRow);

} // namespace kyc::storage
