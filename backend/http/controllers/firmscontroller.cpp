#include "backend/http/controllers/controllers.h"

namespace kyc::http {

// Firms: organisation and firm-level settings.
// The capability has not landed yet: every operation is routed, documented and answers 501.
Controller makeFirmsController()
{
    const Handler pending = notYetAvailable(QStringLiteral("Firms"));
    return Controller{
        QStringLiteral("Firms"),
        QStringLiteral("organisation and firm-level settings"),
        {
            {Method::Post, QStringLiteral("/firms/register"), QStringLiteral("public"), pending, BodyKind::Json,
             Availability::Pending}, // 31
            {Method::Get, QStringLiteral("/firms/current"), QStringLiteral("jwt"), pending, BodyKind::None,
             Availability::Pending}, // 32
            {Method::Patch, QStringLiteral("/firms/current"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::Json,
             Availability::Pending}, // 33
            {Method::Get, QStringLiteral("/firms/current/settings"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::None,
             Availability::Pending}, // 34
            {Method::Patch, QStringLiteral("/firms/current/settings"), QStringLiteral("jwt (owner)"), pending, BodyKind::Json,
             Availability::Pending}, // 35
        },
    };
}

} // namespace kyc::http
