#include "backend/http/controllers/controllers.h"

namespace kyc::http {

// API Keys: machine-to-machine credentials (role ≥ admin).
// The capability has not landed yet: every operation is routed, documented and answers 501.
Controller makeApiKeysController()
{
    const Handler pending = notYetAvailable(QStringLiteral("API Keys"));
    return Controller{
        QStringLiteral("API Keys"),
        QStringLiteral("machine-to-machine credentials (role ≥ admin)"),
        {
            {Method::Get, QStringLiteral("/api-keys"), QStringLiteral("jwt"), pending, BodyKind::None,
             Availability::Pending}, // 17
            {Method::Post, QStringLiteral("/api-keys"), QStringLiteral("jwt"), pending, BodyKind::Json,
             Availability::Pending}, // 18
            {Method::Get, QStringLiteral("/api-keys/:id"), QStringLiteral("jwt"), pending, BodyKind::None,
             Availability::Pending}, // 19
            {Method::Patch, QStringLiteral("/api-keys/:id"), QStringLiteral("jwt"), pending, BodyKind::Json,
             Availability::Pending}, // 20
            {Method::Post, QStringLiteral("/api-keys/:id/rotate"), QStringLiteral("jwt"), pending, BodyKind::Json,
             Availability::Pending}, // 21
            {Method::Delete, QStringLiteral("/api-keys/:id"), QStringLiteral("jwt"), pending, BodyKind::None,
             Availability::Pending}, // 22
        },
    };
}

} // namespace kyc::http
