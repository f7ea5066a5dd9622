#pragma once

#include "backend/core/health.h"
#include "backend/http/route.h"

#include <QDateTime>

#include <functional>

namespace kyc {
class Backend;
}

namespace kyc::http {

class ApiRouter;

struct HealthDeps {
    QString version;
    std::function<qint64()> uptimeSeconds;
    QList<HealthCheck> checks;
    const ApiRouter *router = nullptr; // the routes the OpenAPI document describes
};

[[nodiscard]] Controller makeHealthController(HealthDeps deps);
[[nodiscard]] Controller makeAuthController(Backend *backend);
[[nodiscard]] Controller makeApiKeysController(Backend *backend);
[[nodiscard]] Controller makeUsersController(Backend *backend);
[[nodiscard]] Controller makeFirmsController(Backend *backend);
[[nodiscard]] Controller makeOnboardingController();
[[nodiscard]] Controller makeVerificationController();
[[nodiscard]] Controller makeScreeningController(Backend *backend);
[[nodiscard]] Controller makeAuditController(Backend *backend);
[[nodiscard]] Controller makeBillingController();
[[nodiscard]] Controller makeWalletController();
[[nodiscard]] Controller makeDocuSignController();
[[nodiscard]] Controller makePricingController();
[[nodiscard]] Controller makeStorageController(Backend *backend);
[[nodiscard]] Controller makeDemoBookingsController();

// Every controller of the /api/v1 surface, Health first, in the contract's order.
// `backend` may be null where only the route tables are needed (the OpenAPI document).
[[nodiscard]] QList<Controller> makeAllControllers(HealthDeps health, Backend *backend);

} // namespace kyc::http
