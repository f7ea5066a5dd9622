#include "backend/http/controllers/controllers.h"

namespace kyc::http {

// Authentication: login, tokens, MFA, sessions.
// The capability has not landed yet: every operation is routed, documented and answers 501.
Controller makeAuthController()
{
    const Handler pending = notYetAvailable(QStringLiteral("Authentication"));
    return Controller{
        QStringLiteral("Authentication"),
        QStringLiteral("login, tokens, MFA, sessions"),
        {
            {Method::Post, QStringLiteral("/auth/login"), QStringLiteral("public"), pending, BodyKind::Json,
             Availability::Pending}, // 5
            {Method::Post, QStringLiteral("/auth/refresh"), QStringLiteral("public"), pending, BodyKind::Json,
             Availability::Pending}, // 6
            {Method::Post, QStringLiteral("/auth/logout"), QStringLiteral("jwt"), pending, BodyKind::Json,
             Availability::Pending}, // 7
            {Method::Get, QStringLiteral("/auth/me"), QStringLiteral("jwt"), pending, BodyKind::None, Availability::Pending}, // 8
            {Method::Post, QStringLiteral("/auth/forgot-password"), QStringLiteral("public"), pending, BodyKind::Json,
             Availability::Pending}, // 9
            {Method::Post, QStringLiteral("/auth/reset-password"), QStringLiteral("public"), pending, BodyKind::Json,
             Availability::Pending}, // 10
            {Method::Post, QStringLiteral("/auth/change-password"), QStringLiteral("jwt"), pending, BodyKind::Json,
             Availability::Pending}, // 11
            {Method::Post, QStringLiteral("/auth/mfa/setup"), QStringLiteral("jwt"), pending, BodyKind::Json,
             Availability::Pending}, // 12
            {Method::Post, QStringLiteral("/auth/mfa/verify"), QStringLiteral("jwt"), pending, BodyKind::Json,
             Availability::Pending}, // 13
            {Method::Post, QStringLiteral("/auth/mfa/disable"), QStringLiteral("jwt"), pending, BodyKind::Json,
             Availability::Pending}, // 14
            {Method::Get, QStringLiteral("/auth/sessions"), QStringLiteral("jwt"), pending, BodyKind::None,
             Availability::Pending}, // 15
            {Method::Delete, QStringLiteral("/auth/sessions/:id"), QStringLiteral("jwt"), pending, BodyKind::None,
             Availability::Pending}, // 16
        },
    };
}

} // namespace kyc::http
