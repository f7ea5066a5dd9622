#pragma once

#include "backend/core/result.h"

#include <QByteArray>
#include <QString>

namespace kyc::crypto {

// Reads a random secret from a private file, or creates it (folder 0700, file 0600) with `size`
// bytes from the DRBG when absent. A file of the wrong size is an error, never silently replaced.
[[nodiscard]] Result<QByteArray> loadOrCreateSecret(const QString &path, qsizetype size);

} // namespace kyc::crypto
