#pragma once

#include <QString>

namespace kyc {

[[nodiscard]] inline QString version()
{
    return QStringLiteral(KYC_VERSION);
}

} // namespace kyc
