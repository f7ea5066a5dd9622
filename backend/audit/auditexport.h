#pragma once

#include "backend/audit/auditlog.h"

namespace kyc::audit {

// The CSV columns of an export, in order (docs/audit-format.md).
[[nodiscard]] const QStringList &csvColumns();
[[nodiscard]] QByteArray csvLine(const QStringList &cells);

} // namespace kyc::audit
