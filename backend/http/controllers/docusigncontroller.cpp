#include "backend/http/controllers/controllers.h"

namespace kyc::http {

// DocuSign: eSignature for KYC agreements and T&Cs.
// The capability has not landed yet: every operation is routed, documented and answers 501.
Controller makeDocuSignController()
{
    const Handler pending = notYetAvailable(QStringLiteral("DocuSign"));
    return Controller{
        QStringLiteral("DocuSign"),
        QStringLiteral("eSignature for KYC agreements and T&Cs"),
        {
            {Method::Get, QStringLiteral("/docusign/status"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::None,
             Availability::Pending}, // 82
            {Method::Put, QStringLiteral("/docusign/config"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::Json,
             Availability::Pending}, // 83
            {Method::Post, QStringLiteral("/docusign/envelopes"), QStringLiteral("jwt (≥ analyst)"), pending, BodyKind::Json,
             Availability::Pending}, // 84
            {Method::Get, QStringLiteral("/docusign/envelopes/:id"), QStringLiteral("jwt"), pending, BodyKind::None,
             Availability::Pending}, // 85
            {Method::Get, QStringLiteral("/docusign/envelopes/:id/document"), QStringLiteral("jwt"), pending, BodyKind::None,
             Availability::Pending}, // 86
            {Method::Post, QStringLiteral("/docusign/connect"), QStringLiteral("sig"), pending, BodyKind::Raw,
             Availability::Pending}, // 87
        },
    };
}

} // namespace kyc::http
