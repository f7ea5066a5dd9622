#pragma once

#include "backend/audit/auditlog.h"
#include "backend/http/apitypes.h"
#include "backend/identity/records.h"

namespace kyc::http {

// JSON shapes of the identity records, as the contract names their fields.
[[nodiscard]] QJsonObject toJson(const identity::User &u);
[[nodiscard]] QJsonObject toJson(const identity::Firm &f);
[[nodiscard]] QJsonObject toJson(const identity::Session &s);
[[nodiscard]] QJsonObject toJson(const identity::Invitation &i);
[[nodiscard]] QJsonObject toJson(const identity::ApiKey &k);
[[nodiscard]] QJsonObject toJson(const identity::SignIn &s);
[[nodiscard]] QJsonObject toJson(const audit::Checkpoint &c);

// Maps a Result to an answer: the value through `shape`, or the error in the contract format.
template <typename T, typename F>
ApiResponse answer(const Result<T> &r, F shape, int status = 200)
{
    if (!r)
        return ApiResponse::error(r.error());
    return ApiResponse::json(shape(*r), status);
}

// A validated path id: malformed ids answer 404 like unknown ones, so ids cannot be probed.
[[nodiscard]] std::optional<QString> pathId(const ApiRequest &r, const QString &name = QStringLiteral("id"));
[[nodiscard]] ApiResponse notFound(const QString &what);

} // namespace kyc::http
