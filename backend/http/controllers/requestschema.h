#pragma once

#include "backend/core/error.h"
#include "backend/http/route.h"

#include <QJsonObject>

#include <optional>

namespace kyc::http {

// Request bodies checked against their own request schema in resources/openapi/operations.json, so
// the OpenAPI document and the validators cannot disagree (one source for lengths, patterns, ranges,
// required and nullable fields, closed objects). The subset of JSON Schema used there: type, nullable,
// required, properties, additionalProperties: false, minProperties, minLength/maxLength (of the
// trimmed text), pattern, format email, minimum/maximum, enum, items, minItems/maxItems, uniqueItems,
// $ref to a component. Country and currency components also check the shipped ISO lists.
[[nodiscard]] QList<FieldError> schemaErrors(const QJsonValue &body, const QJsonObject &schema, const QJsonObject &components);

// The request schema of an operation ("PATCH /firms/current"), empty when it has none.
[[nodiscard]] QJsonObject requestSchema(Method method, const QString &path);

// A JSON text with a \uD800-\uDFFF escape that is not part of a surrogate pair (Qt would store a
// replacement character): a 400 naming the problem, or nullopt.
[[nodiscard]] std::optional<Error> loneSurrogateError(QByteArrayView jsonText);

// Wraps the JSON routes of `c`: a body with a lone surrogate is refused, and for the operations named
// in `schemaChecked` ("PATCH /firms/current"), a body outside the operation's request schema is
// refused before the handler runs.
[[nodiscard]] Controller withRequestChecks(Controller c, const QStringList &schemaChecked = {});

// The operations whose bodies are checked against their request schema (identity, firm, API key).
[[nodiscard]] QStringList schemaCheckedOperations();

} // namespace kyc::http
