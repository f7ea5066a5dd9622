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
            {Method::Get, QStringLiteral("/billing/plans"), QStringLiteral("public"), pending, BodyKind::None}, // 67
            {Method::Get, QStringLiteral("/billing/subscription"), QStringLiteral("jwt (≥ admin) | key:billing:read"), pending, BodyKind::None}, // 68
            {Method::Post, QStringLiteral("/billing/subscription"), QStringLiteral("jwt (owner)"), pending, BodyKind::Json}, // 69
            {Method::Post, QStringLiteral("/billing/subscription/cancel"), QStringLiteral("jwt (owner)"), pending, BodyKind::Json}, // 70
            {Method::Get, QStringLiteral("/billing/usage"), QStringLiteral("jwt (≥ admin) | key:billing:read"), pending, BodyKind::None}, // 71
            {Method::Get, QStringLiteral("/billing/invoices"), QStringLiteral("jwt (≥ admin) | key:billing:read"), pending, BodyKind::None}, // 72
            {Method::Get, QStringLiteral("/billing/invoices/:id"), QStringLiteral("jwt (≥ admin) | key:billing:read"), pending, BodyKind::None}, // 73
            {Method::Get, QStringLiteral("/billing/invoices/:id/pdf"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::None}, // 74
            {Method::Post, QStringLiteral("/billing/webhooks/:provider"), QStringLiteral("sig"), pending, BodyKind::Raw}, // 75
        },
    };
}

} // namespace kyc::http
