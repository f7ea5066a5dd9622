#pragma once

#include "backend/storage/dialect.h"

#include <QList>
#include <QStringList>

#include <functional>

namespace kyc::storage {

struct Migration {
    int version = 0;
    QString name;
    std::function<QStringList(const SqlDialect &)> statements;
};

// The application's schema, oldest first (backend/storage/schema.cpp).
[[nodiscard]] const QList<Migration> &schemaMigrations();

} // namespace kyc::storage
