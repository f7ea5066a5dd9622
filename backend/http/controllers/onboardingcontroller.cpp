#include "backend/http/controllers/controllers.h"

namespace kyc::http {

// Onboarding: KYC/KYB customer cases.
// The capability has not landed yet: every operation is routed, documented and answers 501.
Controller makeOnboardingController()
{
    const Handler pending = notYetAvailable(QStringLiteral("Onboarding"));
    return Controller{
        QStringLiteral("Onboarding"),
        QStringLiteral("KYC/KYB customer cases"),
        {
            {Method::Post, QStringLiteral("/onboarding/individual"), QStringLiteral("public (with `firm_id`) | key:cases:write"),
             pending, BodyKind::Json, Availability::Pending}, // 36
            {Method::Post, QStringLiteral("/onboarding/business"), QStringLiteral("jwt (≥ analyst) | key:cases:write"), pending,
             BodyKind::Json, Availability::Pending}, // 37
            {Method::Get, QStringLiteral("/onboarding/cases"), QStringLiteral("jwt | key:cases:read"), pending, BodyKind::None,
             Availability::Pending}, // 38
            {Method::Get, QStringLiteral("/onboarding/cases/:id"), QStringLiteral("jwt | key:cases:read"), pending,
             BodyKind::None, Availability::Pending}, // 39
            {Method::Patch, QStringLiteral("/onboarding/cases/:id"), QStringLiteral("jwt (≥ analyst)"), pending, BodyKind::Json,
             Availability::Pending}, // 40
            {Method::Post, QStringLiteral("/onboarding/cases/:id/assign"), QStringLiteral("jwt (≥ analyst)"), pending,
             BodyKind::Json, Availability::Pending}, // 41
            {Method::Post, QStringLiteral("/onboarding/cases/:id/notes"), QStringLiteral("jwt (≥ analyst)"), pending,
             BodyKind::Json, Availability::Pending}, // 42
            {Method::Post, QStringLiteral("/onboarding/cases/:id/documents"), QStringLiteral("jwt | key:cases:write"), pending,
             BodyKind::JsonOrMultipart, Availability::Pending}, // 43
            {Method::Post, QStringLiteral("/onboarding/cases/:id/request-info"), QStringLiteral("jwt (≥ analyst)"), pending,
             BodyKind::Json, Availability::Pending}, // 44
            {Method::Post, QStringLiteral("/onboarding/cases/:id/approve"), QStringLiteral("jwt (≥ compliance_officer)"), pending,
             BodyKind::Json, Availability::Pending}, // 45
            {Method::Post, QStringLiteral("/onboarding/cases/:id/reject"), QStringLiteral("jwt (≥ compliance_officer)"), pending,
             BodyKind::Json, Availability::Pending}, // 46
        },
    };
}

} // namespace kyc::http
