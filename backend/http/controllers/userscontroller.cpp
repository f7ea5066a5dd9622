#include "backend/http/controllers/controllers.h"

namespace kyc::http {

// User Management: team members and roles.
// The capability has not landed yet: every operation is routed, documented and answers 501.
Controller makeUsersController()
{
    const Handler pending = notYetAvailable(QStringLiteral("User Management"));
    return Controller{
        QStringLiteral("User Management"),
        QStringLiteral("team members and roles"),
        {
            {Method::Get, QStringLiteral("/users"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::None,
             Availability::Pending}, // 23
            {Method::Post, QStringLiteral("/users/invite"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::Json,
             Availability::Pending}, // 24
            {Method::Get, QStringLiteral("/users/invitations"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::None,
             Availability::Pending}, // 25
            {Method::Delete, QStringLiteral("/users/invitations/:id"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::None,
             Availability::Pending}, // 26
            {Method::Post, QStringLiteral("/users/invitations/accept"), QStringLiteral("public"), pending, BodyKind::Json,
             Availability::Pending}, // 27
            {Method::Get, QStringLiteral("/users/roles"), QStringLiteral("jwt"), pending, BodyKind::None,
             Availability::Pending}, // 28
            {Method::Get, QStringLiteral("/users/:id"), QStringLiteral("jwt (≥ admin, or self)"), pending, BodyKind::None,
             Availability::Pending}, // 29
            {Method::Patch, QStringLiteral("/users/:id"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::Json,
             Availability::Pending}, // 30
        },
    };
}

} // namespace kyc::http
