#pragma once

#include "backend/http/apitypes.h"

#include <QStringList>

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

// One row of a controller's route table.
struct Route {
    Method method = Method::Get;
    QString path; // contract notation below /api/v1, e.g. /users/:id
    QString auth; // the contract's auth column verbatim
    Handler handler;
    BodyKind body = BodyKind::None;
    Availability availability = Availability::Available;
    Execution execution = Execution::Inline;
};

struct Controller {
    QString category; // e.g. "AML Screening"
    QString description;
    QList<Route> routes;
};

// Answers 501 in the contract format for an operation whose capability has not landed yet.
[[nodiscard]] Handler notYetAvailable(const QString &capability);

} // namespace kyc::http
