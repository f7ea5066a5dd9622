#include "backend/http/controllers/controllers.h"

namespace kyc::http {

// AML Screening: sanctions, PEP and adverse media.
// The capability has not landed yet: every operation is routed, documented and answers 501.
Controller makeScreeningController()
{
    const Handler pending = notYetAvailable(QStringLiteral("AML Screening"));
    return Controller{
        QStringLiteral("AML Screening"),
        QStringLiteral("sanctions, PEP and adverse media"),
        {
            {Method::Post, QStringLiteral("/aml/screen"), QStringLiteral("jwt | key:aml:screen"), pending, BodyKind::Json,
             Availability::Pending}, // 53
            {Method::Post, QStringLiteral("/aml/screen/batch"), QStringLiteral("jwt | key:aml:screen"), pending, BodyKind::Json,
             Availability::Pending}, // 54
            {Method::Get, QStringLiteral("/aml/screenings"), QStringLiteral("jwt | key:aml:read"), pending, BodyKind::None,
             Availability::Pending}, // 55
            {Method::Get, QStringLiteral("/aml/screenings/:id"), QStringLiteral("jwt | key:aml:read"), pending, BodyKind::None,
             Availability::Pending}, // 56
            {Method::Post, QStringLiteral("/aml/screenings/:id/matches/:matchId/resolve"), QStringLiteral("jwt (≥ analyst)"),
             pending, BodyKind::Json, Availability::Pending}, // 57
            {Method::Get, QStringLiteral("/aml/lists"), QStringLiteral("jwt | key:aml:read"), pending, BodyKind::None,
             Availability::Pending}, // 58
            {Method::Post, QStringLiteral("/aml/lists/import"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::Json,
             Availability::Pending}, // 59
            {Method::Post, QStringLiteral("/aml/monitoring"), QStringLiteral("jwt (≥ analyst)"), pending, BodyKind::Json,
             Availability::Pending}, // 60
            {Method::Get, QStringLiteral("/aml/monitoring/alerts"), QStringLiteral("jwt | key:aml:read"), pending, BodyKind::None,
             Availability::Pending}, // 61
        },
    };
}

} // namespace kyc::http
