#include "backend/http/controllers/controllers.h"

namespace kyc::http {

// Audit Trail: immutable, hash-chained logs.
// The capability has not landed yet: every operation is routed, documented and answers 501.
Controller makeAuditController()
{
    const Handler pending = notYetAvailable(QStringLiteral("Audit Trail"));
    return Controller{
        QStringLiteral("Audit Trail"),
        QStringLiteral("immutable, hash-chained logs"),
        {
            {Method::Get, QStringLiteral("/audit/logs"), QStringLiteral("jwt (≥ compliance_officer) | key:audit:read"), pending,
             BodyKind::None, Availability::Pending}, // 62
            {Method::Get, QStringLiteral("/audit/logs/:id"), QStringLiteral("jwt (≥ compliance_officer) | key:audit:read"),
             pending, BodyKind::None, Availability::Pending}, // 63
            {Method::Get, QStringLiteral("/audit/verify"), QStringLiteral("jwt (≥ compliance_officer) | key:audit:read"), pending,
             BodyKind::None, Availability::Pending}, // 64
            {Method::Get, QStringLiteral("/audit/export"), QStringLiteral("jwt (≥ compliance_officer)"), pending, BodyKind::None,
             Availability::Pending}, // 65
            {Method::Get, QStringLiteral("/audit/checkpoint"), QStringLiteral("jwt | key:audit:read"), pending, BodyKind::None,
             Availability::Pending}, // 66
        },
    };
}

} // namespace kyc::http
