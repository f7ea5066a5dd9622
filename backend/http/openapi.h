#pragma once

#include "backend/http/route.h"

#include <QJsonObject>

namespace kyc::http {

// The hand-written parts of the documentation (resources/openapi/operations.json).
[[nodiscard]] QJsonObject operationDocs();

// Builds the OpenAPI 3.0.3 document from the route tables plus the operation docs. Routes
// without docs are listed in `missing` (a test keeps that empty).
[[nodiscard]] QJsonObject buildOpenApi(const QList<Controller> &controllers, const QJsonObject &docs, const QString &version,
                                       QStringList *missing = nullptr);

// A Postman v2.1 collection generated from an OpenAPI document: one folder per tag, one request
// per operation, variables KYCONNECT_BASE_URL, KYCONNECT_JWT and KYCONNECT_API_KEY.
[[nodiscard]] QJsonObject buildPostmanCollection(const QJsonObject &openApi);

// "/users/:id" → "/users/{id}".
[[nodiscard]] QString openApiPath(const QString &contractPath);
[[nodiscard]] QString operationId(Method m, const QString &contractPath);

} // namespace kyc::http
