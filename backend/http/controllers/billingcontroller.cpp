#include "backend/http/controllers/controllers.h"

namespace kyc::http {

// Billing: subscriptions, invoices, usage metering.
// The capability has not landed yet: every operation is routed, documented and answers 501.
Controller makeBillingController()
{
    const Handler pending = notYetAvailable(QStringLiteral("Billing"));
    return Controller{
        QStringLiteral("Billing"),
        QStringLiteral("subscriptions, invoices, usage metering"),
        {
            {Method::Get, QStringLiteral("/billing/plans"), QStringLiteral("public"), pending, BodyKind::None,
             Availability::Pending}, // 67
            {Method::Get, QStringLiteral("/billing/subscription"), QStringLiteral("jwt (≥ admin) | key:billing:read"), pending,
             BodyKind::None, Availability::Pending}, // 68
            {Method::Post, QStringLiteral("/billing/subscription"), QStringLiteral("jwt (owner)"), pending, BodyKind::Json,
             Availability::Pending}, // 69
            {Method::Post, QStringLiteral("/billing/subscription/cancel"), QStringLiteral("jwt (owner)"), pending, BodyKind::Json,
             Availability::Pending}, // 70
            {Method::Get, QStringLiteral("/billing/usage"), QStringLiteral("jwt (≥ admin) | key:billing:read"), pending,
             BodyKind::None, Availability::Pending}, // 71
            {Method::Get, QStringLiteral("/billing/invoices"), QStringLiteral("jwt (≥ admin) | key:billing:read"), pending,
             BodyKind::None, Availability::Pending}, // 72
            {Method::Get, QStringLiteral("/billing/invoices/:id"), QStringLiteral("jwt (≥ admin) | key:billing:read"), pending,
             BodyKind::None, Availability::Pending}, // 73
            {Method::Get, QStringLiteral("/billing/invoices/:id/pdf"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::None,
             Availability::Pending}, // 74
            {Method::Post, QStringLiteral("/billing/webhooks/:provider"), QStringLiteral("sig"), pending, BodyKind::Raw,
             Availability::Pending}, // 75
        },
    };
}

} // namespace kyc::http
