#include "backend/http/controllers/controllers.h"

namespace kyc::http {

// Metric Pricing: per-feature prices.
// The capability has not landed yet: every operation is routed, documented and answers 501.
Controller makePricingController()
{
    const Handler pending = notYetAvailable(QStringLiteral("Metric Pricing"));
    return Controller{
        QStringLiteral("Metric Pricing"),
        QStringLiteral("per-feature prices"),
        {
            {Method::Get, QStringLiteral("/pricing/metrics"), QStringLiteral("public"), pending, BodyKind::None,
             Availability::Pending}, // 88
            {Method::Put, QStringLiteral("/pricing/metrics/:key"), QStringLiteral("jwt (platform_admin)"), pending,
             BodyKind::Json, Availability::Pending}, // 89
            {Method::Post, QStringLiteral("/pricing/quote"), QStringLiteral("public"), pending, BodyKind::Json,
             Availability::Pending}, // 90
        },
    };
}

} // namespace kyc::http
