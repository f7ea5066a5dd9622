#include "backend/http/controllers/controllers.h"

namespace kyc::http {

// Wallet: credit balance, ledger, payment methods.
// The capability has not landed yet: every operation is routed, documented and answers 501.
Controller makeWalletController()
{
    const Handler pending = notYetAvailable(QStringLiteral("Wallet"));
    return Controller{
        QStringLiteral("Wallet"),
        QStringLiteral("credit balance, ledger, payment methods"),
        {
            {Method::Get, QStringLiteral("/wallet"), QStringLiteral("jwt (≥ admin) | key:billing:read"), pending, BodyKind::None,
             Availability::Pending}, // 76
            {Method::Get, QStringLiteral("/wallet/ledger"), QStringLiteral("jwt (≥ admin) | key:billing:read"), pending,
             BodyKind::None, Availability::Pending}, // 77
            {Method::Post, QStringLiteral("/wallet/top-up"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::Json,
             Availability::Pending}, // 78
            {Method::Get, QStringLiteral("/wallet/payment-methods"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::None,
             Availability::Pending}, // 79
            {Method::Post, QStringLiteral("/wallet/payment-methods"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::Json,
             Availability::Pending}, // 80
            {Method::Delete, QStringLiteral("/wallet/payment-methods/:id"), QStringLiteral("jwt (≥ admin)"), pending,
             BodyKind::None, Availability::Pending}, // 81
        },
    };
}

} // namespace kyc::http
