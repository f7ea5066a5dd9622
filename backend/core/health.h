#pragma once

#include "backend/core/result.h"

#include <functional>

namespace kyc {

// A readiness probe: a short detail when fine, an error naming the problem when not.
struct HealthCheck {
    QString name;
    std::function<Result<QString>()> run;
};

} // namespace kyc
