#include "backend/http/controllers/controllers.h"

namespace kyc::http {

// Demo Bookings: personalised platform demo.
// The capability has not landed yet: every operation is routed, documented and answers 501.
Controller makeDemoBookingsController()
{
    const Handler pending = notYetAvailable(QStringLiteral("Demo Bookings"));
    return Controller{
        QStringLiteral("Demo Bookings"),
        QStringLiteral("personalised platform demo"),
        {
            {Method::Post, QStringLiteral("/demo-bookings"), QStringLiteral("public"), pending, BodyKind::Json,
             Availability::Pending}, // 94
            {Method::Get, QStringLiteral("/demo-bookings"), QStringLiteral("jwt (platform_admin)"), pending, BodyKind::None,
             Availability::Pending}, // 95
            {Method::Patch, QStringLiteral("/demo-bookings/:id"), QStringLiteral("jwt (platform_admin)"), pending, BodyKind::Json,
             Availability::Pending}, // 96
        },
    };
}

} // namespace kyc::http
