#pragma once

#include <QList>

namespace kyc {

// ?page=1&limit=20, limit at most 100 (the contract's list convention).
struct PageRequest {
    int page = 1;
    int limit = 20;
    [[nodiscard]] qint64 offset() const { return qint64(page - 1) * limit; }
};

template <typename T>
struct Page {
    QList<T> items;
    PageRequest request;
    qint64 total = 0;
};

} // namespace kyc
