#pragma once

#include "backend/core/health.h"
#include "backend/http/route.h"

#include <QDateTime>

#include <functional>

namespace kyc::http {

class ApiRouter;

struct HealthDeps {
    QString version;
    std::function<qint64()> uptimeSeconds;
    QList<HealthCheck> checks;
    const ApiRouter *router = nullptr; // the routes the OpenAPI document describes
};

[[nodiscard]] Controller makeHealthController(HealthDeps deps);
[[nodiscard]] Controller makeAuthController();
[[nodiscard]] Controller makeApiKeysController();
[[nodiscard]] Controller makeUsersController();
[[nodiscard]] Controller makeFirmsController();
[[nodiscard]] Controller makeOnboardingController();
[[nodiscard]] Controller makeVerificationController();
[[nodiscard]] Controller makeScreeningController();
[[nodiscard]] Controller makeAuditController();
[[nodiscard]] Controller makeBillingController();
[[nodiscard]] Controller makeWalletController();
[[nodiscard]] Controller makeDocuSignController();
[[nodiscard]] Controller makePricingController();
[[nodiscard]] Controller makeStorageController();
[[nodiscard]] Controller makeDemoBookingsController();

// Every controller of the /api/v1 surface, Health first, in the contract's order.
[[nodiscard]] QList<Controller> makeAllControllers(HealthDeps health);

} // namespace kyc::http
