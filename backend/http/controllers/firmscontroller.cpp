#include "backend/backend.h"
#include "backend/core/validation.h"
#include "backend/http/controllers/controllers.h"
#include "backend/http/controllers/identityjson.h"
#include "backend/identity/accountservice.h"

namespace kyc::http {

// Firms: organisation and firm-level settings (operations 31–35).
Controller makeFirmsController(Backend *backend)
{
    auto accounts = [backend]() -> identity::AccountService & { return backend->accounts(); };

    auto registerFirm = [accounts](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("firm_name"), QStringLiteral("country"), QStringLiteral("registration_number"),
                QStringLiteral("admin_email"), QStringLiteral("admin_password"), QStringLiteral("admin_name")});
        const auto name = v.string(QStringLiteral("firm_name"), true, 1, 200);
        const auto country = v.string(QStringLiteral("country"), true, 2, 2);
        const auto number = v.string(QStringLiteral("registration_number"), false, 1, 100);
        const auto email = v.email(QStringLiteral("admin_email"));
        const auto password = v.password(QStringLiteral("admin_password"), email.value_or(QString()));
        const auto adminName = v.string(QStringLiteral("admin_name"), true, 1, 200);
        if (!v.ok())
            return ApiResponse::error(v.error());
        // The same answer whether or not the address has an account (no enumeration): the address gets
        // a confirmation token (POST /users/invitations/accept creates the firm and signs in) or a notice.
        const auto s = accounts().requestRegistration(
            {*name, country->toUpper(), number.value_or(QString()), *email, *password, *adminName, r.ip});
        if (!s)
            return ApiResponse::error(s.error());
        return ApiResponse::json(
            QJsonObject{{QStringLiteral("message"),
                         QStringLiteral("Check the mailbox of admin_email: it holds the token that completes the registration "
                                        "(POST /users/invitations/accept with the token and the password)")}},
            202);
    };
    auto current = [accounts](const ApiRequest &r) {
        return answer(accounts().currentFirm(r.actor), [](const identity::Firm &f) { return toJson(f); });
    };
    auto patch = [accounts](const ApiRequest &r) {
        if (r.json.isEmpty())
            return ApiResponse::error(Error::validation(
                QStringLiteral("name"), QStringLiteral("at least one of name, address, contact, logo_storage_key is required")));
        return answer(accounts().updateFirm(r.actor, r.json), [](const identity::Firm &f) { return toJson(f); });
    };
    auto settings = [accounts](const ApiRequest &r) {
        return answer(accounts().settings(r.actor), [](const identity::FirmSettings &s) { return s.toJson(); });
    };
    auto patchSettings = [accounts](const ApiRequest &r) {
        if (r.json.isEmpty())
            return ApiResponse::error(
                Error::validation(QStringLiteral("settings"), QStringLiteral("at least one setting is required")));
        return answer(accounts().updateSettings(r.actor, r.json), [](const identity::FirmSettings &s) { return s.toJson(); });
    };

    using E = Execution;
    using A = Availability;
    return Controller{
        QStringLiteral("Firms"),
        QStringLiteral("organisation and firm-level settings"),
        {
            {Method::Post, QStringLiteral("/firms/register"), QStringLiteral("public"), registerFirm, BodyKind::Json,
             A::Available, E::Worker}, // 31
            {Method::Get, QStringLiteral("/firms/current"), QStringLiteral("jwt"), current, BodyKind::None}, // 32
            {Method::Patch, QStringLiteral("/firms/current"), QStringLiteral("jwt (≥ admin)"), patch, BodyKind::Json}, // 33
            {Method::Get, QStringLiteral("/firms/current/settings"), QStringLiteral("jwt (≥ admin)"), settings,
             BodyKind::None}, // 34
            {Method::Patch, QStringLiteral("/firms/current/settings"), QStringLiteral("jwt (owner)"), patchSettings,
             BodyKind::Json}, // 35
        },
    };
}

} // namespace kyc::http
