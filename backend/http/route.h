#pragma once

#include "backend/http/apitypes.h"

#include <QStringList>

#include <optional>

namespace kyc::http {

// The auth column of the contract, parsed: which credentials an operation takes.
struct AuthSpec {
    bool isPublic = false;
    bool jwt = false;
    bool signature = false; // webhook HMAC
    bool signedUrl = false; // storage pre-signed URL
    QStringList keyScopes; // any of these API key scopes
    QString minRole; // "≥ analyst" → analyst; "owner" → owner; "platform_admin"
    QString note; // the contract's wording, verbatim

    [[nodiscard]] static AuthSpec parse(const QString &contractAuth);
    [[nodiscard]] bool acceptsApiKey() const { return !keyScopes.isEmpty(); }
};

enum class BodyKind { None, Json, JsonOrMultipart, Raw };

// Pending: routed and documented, answering 501 until its capability lands.
enum class Availability { Available, Pending };

// Worker: the handler runs on the router's worker pool (password hashing and other slow work),
// so the server thread keeps answering other requests meanwhile.
enum class Execution { Inline, Worker };

// Checks a request from its head alone (path parameters, query, headers, peer; no body yet), before
// the body is read: an answer refuses it. For routes with large bodies (uploads), so that nobody
// can make the server buffer one without the right to send it.
using HeadCheck = std::function<std::optional<ApiResponse>(const ApiRequest &)>;

// One row of a controller's route table.
struct Route {
    Method method = Method::Get;
    QString path; // contract notation below /api/v1, e.g. /users/:id
    QString auth; // the contract's auth column verbatim
    Handler handler;
    BodyKind body = BodyKind::None;
    Availability availability = Availability::Available;
    Execution execution = Execution::Inline;
    qint64 bodyLimitBytes = 0; // 0: the general body limit; else this route's (its documented maximum)
    HeadCheck headCheck = {}; // optional
};

struct Controller {
    QString category; // e.g. "AML Screening"
    QString description;
    QList<Route> routes;
};

// The role a whole category requires ("API Keys — … (role ≥ admin)" in the contract): its description's
// "(role ≥ X)", else empty. It applies to the category's operations whose auth column names no role.
[[nodiscard]] QString categoryMinRole(const Controller &controller);

// Answers 501 in the contract format for an operation whose capability has not landed yet.
[[nodiscard]] Handler notYetAvailable(const QString &capability);

} // namespace kyc::http
