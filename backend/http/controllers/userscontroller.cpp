#include "backend/backend.h"
#include "backend/core/validation.h"
#include "backend/http/controllers/controllers.h"
#include "backend/http/controllers/identityjson.h"
#include "backend/identity/accountservice.h"
#include "backend/identity/permissions.h"

namespace kyc::http {

namespace {
const QStringList kRoles = {QStringLiteral("owner"), QStringLiteral("admin"), QStringLiteral("compliance_officer"),
                            QStringLiteral("analyst"), QStringLiteral("viewer")};
const QStringList kStatuses = {QStringLiteral("active"), QStringLiteral("deactivated")};
} // namespace

// User Management: team members and roles (operations 23–30).
Controller makeUsersController(Backend *backend)
{
    auto accounts = [backend]() -> identity::AccountService & { return backend->accounts(); };

    auto list = [accounts](const ApiRequest &r) {
        const auto page = pageFrom(r);
        if (!page)
            return ApiResponse::error(page.error());
        const QString role = r.queryValue(QStringLiteral("role")), status = r.queryValue(QStringLiteral("status"));
        QList<FieldError> errors;
        if (!role.isEmpty() && !kRoles.contains(role))
            errors << FieldError{QStringLiteral("role"),
                                 QStringLiteral("role must be one of: %1").arg(kRoles.join(QStringLiteral(", ")))};
        if (!status.isEmpty() && !kStatuses.contains(status))
            errors << FieldError{QStringLiteral("status"), QStringLiteral("status must be active or deactivated")};
        if (!errors.isEmpty())
            return ApiResponse::error(Error::validation(errors));
        const auto result = accounts().users(r.actor, {role, status}, *page);
        if (!result)
            return ApiResponse::error(result.error());
        QJsonArray data;
        for (const auto &u : result->items)
            data.append(toJson(u));
        return ApiResponse::page(data, *page, result->total);
    };
    auto invite = [accounts](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("email"), QStringLiteral("role"), QStringLiteral("name")});
        const auto email = v.email(QStringLiteral("email"));
        const auto role = v.oneOf(QStringLiteral("role"), kRoles, true);
        const auto name = v.string(QStringLiteral("name"), true, 1, 200);
        if (!v.ok())
            return ApiResponse::error(v.error());
        Role parsed = Role::Viewer;
        parseRole(*role, &parsed);
        return answer(
            accounts().invite(r.actor, {*email, *name, parsed}), [](const identity::Invitation &i) { return toJson(i); }, 201);
    };
    auto invitations = [accounts](const ApiRequest &r) {
        const auto page = pageFrom(r);
        if (!page)
            return ApiResponse::error(page.error());
        const auto result = accounts().invitations(r.actor, *page);
        if (!result)
            return ApiResponse::error(result.error());
        QJsonArray data;
        for (const auto &i : result->items)
            data.append(toJson(i));
        return ApiResponse::page(data, *page, result->total);
    };
    auto revokeInvitation = [accounts](const ApiRequest &r) {
        const auto id = pathId(r);
        if (!id)
            return notFound(QStringLiteral("Invitation"));
        const auto s = accounts().revokeInvitation(r.actor, *id);
        return s ? ApiResponse::noContent() : ApiResponse::error(s.error());
    };
    auto accept = [accounts](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("token"), QStringLiteral("password"), QStringLiteral("name")});
        const auto token = v.string(QStringLiteral("token"), true, 1, 512);
        const auto name = v.string(QStringLiteral("name"), false, 1, 200);
        if (!r.json.value(QStringLiteral("password")).isString())
            v.add(QStringLiteral("password"), QStringLiteral("password is required"));
        if (!v.ok())
            return ApiResponse::error(v.error());
        return answer(
            accounts().acceptInvitation(*token, r.json.value(QStringLiteral("password")).toString(), name.value_or(QString()),
                                        r.ip),
            [](const identity::SignIn &s) { return toJson(s); }, 201);
    };
    auto roles = [](const ApiRequest &r) {
        if (!r.actor.isUser())
            return ApiResponse::error(ErrorCode::Unauthenticated, QStringLiteral("Authentication required"));
        return ApiResponse::json(identity::rolesMatrix());
    };
    auto get = [accounts](const ApiRequest &r) {
        const auto id = pathId(r);
        if (!id)
            return notFound(QStringLiteral("User"));
        return answer(accounts().user(r.actor, *id), [](const identity::User &u) { return toJson(u); });
    };
    auto patch = [accounts](const ApiRequest &r) {
        const auto id = pathId(r);
        if (!id)
            return notFound(QStringLiteral("User"));
        Validator v(r.json);
        v.only({QStringLiteral("name"), QStringLiteral("role"), QStringLiteral("status")});
        identity::UserPatch p;
        p.name = v.string(QStringLiteral("name"), false, 1, 200);
        if (const auto role = v.oneOf(QStringLiteral("role"), kRoles, false)) {
            Role parsed = Role::Viewer;
            parseRole(*role, &parsed);
            p.role = parsed;
        }
        p.status = v.oneOf(QStringLiteral("status"), kStatuses, false);
        if (v.ok() && !p.name && !p.role && !p.status)
            v.add(QStringLiteral("name"), QStringLiteral("name, role or status is required"));
        if (!v.ok())
            return ApiResponse::error(v.error());
        return answer(accounts().updateUser(r.actor, *id, p), [](const identity::User &u) { return toJson(u); });
    };

    using E = Execution;
    using A = Availability;
    return Controller{
        QStringLiteral("User Management"),
        QStringLiteral("team members and roles"),
        {
            {Method::Get, QStringLiteral("/users"), QStringLiteral("jwt (≥ admin)"), list, BodyKind::None}, // 23
            {Method::Post, QStringLiteral("/users/invite"), QStringLiteral("jwt (≥ admin)"), invite, BodyKind::Json}, // 24
            {Method::Get, QStringLiteral("/users/invitations"), QStringLiteral("jwt (≥ admin)"), invitations,
             BodyKind::None}, // 25
            {Method::Delete, QStringLiteral("/users/invitations/:id"), QStringLiteral("jwt (≥ admin)"), revokeInvitation,
             BodyKind::None}, // 26
            {Method::Post, QStringLiteral("/users/invitations/accept"), QStringLiteral("public"), accept, BodyKind::Json,
             A::Available, E::Worker}, // 27
            {Method::Get, QStringLiteral("/users/roles"), QStringLiteral("jwt"), roles, BodyKind::None}, // 28
            {Method::Get, QStringLiteral("/users/:id"), QStringLiteral("jwt (≥ admin, or self)"), get, BodyKind::None}, // 29
            {Method::Patch, QStringLiteral("/users/:id"), QStringLiteral("jwt (≥ admin)"), patch, BodyKind::Json}, // 30
        },
    };
}

} // namespace kyc::http
