#include "backend/http/controllers/controllers.h"

namespace kyc::http {

// Verification: identity verification sessions.
// The capability has not landed yet: every operation is routed, documented and answers 501.
Controller makeVerificationController()
{
    const Handler pending = notYetAvailable(QStringLiteral("Verification"));
    return Controller{
        QStringLiteral("Verification"),
        QStringLiteral("identity verification sessions"),
        {
            {Method::Get, QStringLiteral("/verification/providers"), QStringLiteral("jwt | key:verification:write"), pending,
             BodyKind::None, Availability::Pending}, // 47
            {Method::Post, QStringLiteral("/verification/sessions"), QStringLiteral("jwt (≥ analyst) | key:verification:write"),
             pending, BodyKind::Json, Availability::Pending}, // 48
            {Method::Get, QStringLiteral("/verification/sessions/:id"), QStringLiteral("jwt | key:verification:write"), pending,
             BodyKind::None, Availability::Pending}, // 49
            {Method::Get, QStringLiteral("/verification/sessions/:id/result"), QStringLiteral("jwt | key:verification:write"),
             pending, BodyKind::None, Availability::Pending}, // 50
            {Method::Post, QStringLiteral("/verification/sessions/:id/cancel"), QStringLiteral("jwt (≥ analyst)"), pending,
             BodyKind::Json, Availability::Pending}, // 51
            {Method::Post, QStringLiteral("/verification/webhooks/:provider"), QStringLiteral("sig"), pending, BodyKind::Raw,
             Availability::Pending}, // 52
        },
    };
}

} // namespace kyc::http
