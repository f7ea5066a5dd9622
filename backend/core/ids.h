#pragma once

#include <QString>

namespace kyc {

// Ids are random (version 4) UUIDs in their 36-character lower-case form.
[[nodiscard]] QString newId();
[[nodiscard]] bool isValidId(QStringView id);

} // namespace kyc
