#include "backend/http/apirouter.h"
#include "backend/http/controllers/controllers.h"
#include "backend/http/controllers/requestschema.h"
#include "backend/http/openapi.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>

namespace kyc::http {

namespace {

// The OpenAPI document is built once from the route tables (they do not change after start-up).
class OpenApiCache
{
public:
    explicit OpenApiCache(const HealthDeps &deps)
        : m_deps(deps)
    {
    }
    QJsonObject get()
    {
        QMutexLocker lock(&m_mutex);
        if (m_doc.isEmpty() && m_deps.router)
            m_doc = buildOpenApi(m_deps.router->controllers(), operationDocs(), m_deps.version);
        return m_doc;
    }

private:
    const HealthDeps &m_deps;
    QMutex m_mutex;
    QJsonObject m_doc;
};

} // namespace

Controller makeHealthController(HealthDeps in)
{
    auto deps = std::make_shared<HealthDeps>(std::move(in));
    auto openApi = std::make_shared<OpenApiCache>(*deps);

    auto live = [deps](const ApiRequest &) {
        return ApiResponse::json(QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")},
                                             {QStringLiteral("version"), deps->version},
                                             {QStringLiteral("uptime_s"), deps->uptimeSeconds ? deps->uptimeSeconds() : 0}});
    };
    auto ready = [deps](const ApiRequest &) {
        QJsonArray checks;
        QStringList failing;
        for (const auto &c : deps->checks) {
            const auto r = c.run();
            QJsonObject o{{QStringLiteral("name"), c.name}, {QStringLiteral("ok"), r.has_value()}};
            o.insert(QStringLiteral("detail"), r ? *r : r.error().message);
            if (!r)
                failing << c.name;
            checks.append(o);
        }
        if (failing.isEmpty())
            return ApiResponse::json(
                QJsonObject{{QStringLiteral("status"), QStringLiteral("ready")}, {QStringLiteral("checks"), checks}});
        QJsonObject body = errorBody(
            Error::make(ErrorCode::Unavailable, QStringLiteral("Not ready: %1").arg(failing.join(QStringLiteral(", ")))));
        body.insert(QStringLiteral("checks"), checks);
        return ApiResponse::json(body, 503);
    };
    auto spec = [openApi](const ApiRequest &) { return ApiResponse::json(openApi->get()); };
    auto postman = [openApi](const ApiRequest &) {
        // Generated from the OpenAPI document on every request, so the two can never drift.
        ApiResponse r = ApiResponse::json(buildPostmanCollection(openApi->get()));
        r.withHeader("Content-Disposition", "attachment; filename=\"kyconnect_postman_collection.json\"");
        return r;
    };

    return Controller{
        QStringLiteral("Health"),
        QStringLiteral("liveness and readiness probes"),
        {
            {Method::Get, QStringLiteral("/health"), QStringLiteral("public"), live, BodyKind::None}, // 1
            {Method::Get, QStringLiteral("/health/ready"), QStringLiteral("public"), ready, BodyKind::None}, // 2
            {Method::Get, QStringLiteral("/health/openapi.json"), QStringLiteral("public"), spec, BodyKind::None}, // 3
            {Method::Get, QStringLiteral("/health/postman-collection"), QStringLiteral("public"), postman, BodyKind::None}, // 4
        },
    };
}

QList<Controller> makeAllControllers(HealthDeps health, Backend *backend)
{
    QList<Controller> all{makeHealthController(std::move(health)),
                          makeAuthController(backend),
                          makeApiKeysController(backend),
                          makeUsersController(backend),
                          makeFirmsController(backend),
                          makeOnboardingController(),
                          makeVerificationController(),
                          makeScreeningController(backend),
                          makeAuditController(backend),
                          makeBillingController(),
                          makeWalletController(),
                          makeDocuSignController(),
                          makePricingController(),
                          makeStorageController(backend),
                          makeDemoBookingsController()};
    // Every JSON body: no lone surrogates; identity, firm and API key bodies: their OpenAPI request schema.
    const QStringList checked = schemaCheckedOperations();
    for (auto &c : all)
        c = withRequestChecks(std::move(c), checked);
    return all;
}

} // namespace kyc::http
