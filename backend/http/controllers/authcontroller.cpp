#include "backend/backend.h"
#include "backend/core/validation.h"
#include "backend/http/controllers/controllers.h"
#include "backend/http/controllers/identityjson.h"
#include "backend/identity/authservice.h"

#include <QReadWriteLock>

namespace kyc::http {

// Authentication: login, tokens, MFA, sessions (operations 5–16).
Controller makeAuthController(Backend *backend)
{
    auto auth = [backend]() -> identity::AuthService & { return backend->auth(); };

    auto login = [auth](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("email"), QStringLiteral("password"), QStringLiteral("mfa_code")});
        const auto email = v.email(QStringLiteral("email"));
        // The password is taken and compared as typed, never trimmed.
        const QJsonValue password = r.json.value(QStringLiteral("password"));
        if (!password.isString() || password.toString().isEmpty())
            v.add(QStringLiteral("password"), QStringLiteral("password is required"));
        else if (password.toString().size() > 256)
            v.add(QStringLiteral("password"), QStringLiteral("password must be at most 256 characters long"));
        // Sign-in forms send an empty mfa_code when there is none: that is no code, not a bad one.
        const QJsonValue codeValue = r.json.value(QStringLiteral("mfa_code"));
        const bool noCode
            = codeValue.isUndefined() || codeValue.isNull() || (codeValue.isString() && codeValue.toString().trimmed().isEmpty());
        const auto code = noCode ? std::nullopt : v.string(QStringLiteral("mfa_code"), false, 1, 32);
        if (!v.ok())
            return ApiResponse::error(v.error());
        const QString device = QString::fromUtf8(r.header("user-agent")).left(200);
        const auto result = auth().login({*email, password.toString(), code.value_or(QString()), r.ip, device});
        return answer(result, [](const identity::SignIn &s) { return toJson(s); });
    };
    auto refresh = [auth](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("refresh_token")});
        const auto token = v.string(QStringLiteral("refresh_token"), true, 1, 4096);
        if (!v.ok())
            return ApiResponse::error(v.error());
        return answer(auth().refresh(*token, r.ip), [](const identity::SignIn &s) {
            QJsonObject o = toJson(s);
            o.remove(QStringLiteral("user"));
            return o;
        });
    };
    auto logout = [auth](const ApiRequest &r) {
        const auto s = auth().logout(r.actor);
        return s ? ApiResponse::noContent() : ApiResponse::error(s.error());
    };
    // The serialised profile is kept per user while the identity epoch stands still.
    struct MeCache {
        QReadWriteLock lock;
        QHash<QString, std::pair<quint64, QByteArray>> bodies;
    };
    auto meCache = std::make_shared<MeCache>();
    auto me = [auth, backend, meCache](const ApiRequest &r) {
        const quint64 epoch = backend->identityEpoch();
        if (r.actor.isUser()) {
            QReadLocker lock(&meCache->lock);
            auto it = meCache->bodies.constFind(r.actor.userId);
            if (it != meCache->bodies.cend() && it->first == epoch) {
                ApiResponse res;
                res.body = it->second;
                return res;
            }
        }
        ApiResponse res = answer(auth().me(r.actor), [](const std::pair<identity::User, identity::Firm> &m) {
            return QJsonObject{{QStringLiteral("user"), toJson(m.first)},
                               {QStringLiteral("firm"), toJson(m.second)},
                               {QStringLiteral("role"), roleName(m.first.role)},
                               {QStringLiteral("mfa_enabled"), m.first.mfaEnabled},
                               {QStringLiteral("mfa_required_by_firm"), m.second.settings.mfaRequired},
                               {QStringLiteral("platform_admin"), m.first.platformAdmin}};
        });
        if (res.status == 200) {
            QWriteLocker lock(&meCache->lock);
            if (meCache->bodies.size() > 10'000)
                meCache->bodies.clear();
            meCache->bodies.insert(r.actor.userId, {epoch, res.body});
        }
        return res;
    };
    auto forgot = [auth](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("email")});
        const auto email = v.email(QStringLiteral("email"));
        if (!v.ok())
            return ApiResponse::error(v.error());
        auth().forgotPassword(*email, r.ip);
        return ApiResponse::json(
            QJsonObject{
                {QStringLiteral("message"), QStringLiteral("If an account exists for this email, a reset token has been sent")}},
            202);
    };
    auto reset = [auth](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("token"), QStringLiteral("new_password")});
        const auto token = v.string(QStringLiteral("token"), true, 1, 512);
        if (!r.json.value(QStringLiteral("new_password")).isString())
            v.add(QStringLiteral("new_password"), QStringLiteral("new_password is required"));
        if (!v.ok())
            return ApiResponse::error(v.error());
        const auto s = auth().resetPassword(*token, r.json.value(QStringLiteral("new_password")).toString(), r.ip);
        return s ? ApiResponse::noContent() : ApiResponse::error(s.error());
    };
    auto change = [auth](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("current_password"), QStringLiteral("new_password")});
        for (const auto &f : {QStringLiteral("current_password"), QStringLiteral("new_password")}) {
            if (!r.json.value(f).isString() || r.json.value(f).toString().isEmpty())
                v.add(f, QStringLiteral("%1 is required").arg(f));
        }
        if (!v.ok())
            return ApiResponse::error(v.error());
        const auto s = auth().changePassword(r.actor, r.json.value(QStringLiteral("current_password")).toString(),
                                             r.json.value(QStringLiteral("new_password")).toString());
        return s ? ApiResponse::noContent() : ApiResponse::error(s.error());
    };
    auto mfaSetup = [auth](const ApiRequest &r) {
        return answer(auth().mfaSetup(r.actor), [](const identity::MfaSetup &m) {
            return QJsonObject{{QStringLiteral("secret"), m.secret}, {QStringLiteral("otpauth_url"), m.otpauthUrl}};
        });
    };
    auto mfaVerify = [auth](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("code")});
        const auto code = v.string(QStringLiteral("code"), true, 6, 10);
        if (!v.ok())
            return ApiResponse::error(v.error());
        return answer(auth().mfaVerify(r.actor, *code), [](const QStringList &codes) {
            return QJsonObject{{QStringLiteral("mfa_enabled"), true},
                               {QStringLiteral("recovery_codes"), QJsonArray::fromStringList(codes)}};
        });
    };
    auto mfaDisable = [auth](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("code"), QStringLiteral("recovery_code"), QStringLiteral("password")});
        const auto code = v.string(QStringLiteral("code"), false, 6, 10);
        const auto recovery = v.string(QStringLiteral("recovery_code"), false, 6, 32);
        if (!code && !recovery)
            v.add(QStringLiteral("code"), QStringLiteral("code or recovery_code is required"));
        if (!r.json.value(QStringLiteral("password")).isString() || r.json.value(QStringLiteral("password")).toString().isEmpty())
            v.add(QStringLiteral("password"), QStringLiteral("password is required"));
        if (!v.ok())
            return ApiResponse::error(v.error());
        const auto s = auth().mfaDisable(r.actor, code ? *code : *recovery, r.json.value(QStringLiteral("password")).toString());
        return s ? ApiResponse::noContent() : ApiResponse::error(s.error());
    };
    auto sessions = [auth](const ApiRequest &r) {
        const auto page = pageFrom(r);
        if (!page)
            return ApiResponse::error(page.error());
        const auto list = auth().sessions(r.actor);
        if (!list)
            return ApiResponse::error(list.error());
        QJsonArray data;
        for (qsizetype i = page->offset(); i < list->size() && i < page->offset() + page->limit; ++i)
            data.append(toJson(list->at(i)));
        return ApiResponse::page(data, *page, list->size());
    };
    auto revoke = [auth](const ApiRequest &r) {
        const auto id = pathId(r);
        if (!id)
            return notFound(QStringLiteral("Session"));
        const auto s = auth().revokeSession(r.actor, *id);
        return s ? ApiResponse::noContent() : ApiResponse::error(s.error());
    };

    using E = Execution;
    using A = Availability;
    return Controller{
        QStringLiteral("Authentication"),
        QStringLiteral("login, tokens, MFA, sessions"),
        {
            {Method::Post, QStringLiteral("/auth/login"), QStringLiteral("public"), login, BodyKind::Json, A::Available,
             E::Worker}, // 5
            {Method::Post, QStringLiteral("/auth/refresh"), QStringLiteral("public"), refresh, BodyKind::Json}, // 6
            {Method::Post, QStringLiteral("/auth/logout"), QStringLiteral("jwt"), logout, BodyKind::Json}, // 7
            {Method::Get, QStringLiteral("/auth/me"), QStringLiteral("jwt"), me, BodyKind::None}, // 8
            {Method::Post, QStringLiteral("/auth/forgot-password"), QStringLiteral("public"), forgot, BodyKind::Json}, // 9
            {Method::Post, QStringLiteral("/auth/reset-password"), QStringLiteral("public"), reset, BodyKind::Json, A::Available,
             E::Worker}, // 10
            {Method::Post, QStringLiteral("/auth/change-password"), QStringLiteral("jwt"), change, BodyKind::Json, A::Available,
             E::Worker}, // 11
            {Method::Post, QStringLiteral("/auth/mfa/setup"), QStringLiteral("jwt"), mfaSetup, BodyKind::Json}, // 12
            {Method::Post, QStringLiteral("/auth/mfa/verify"), QStringLiteral("jwt"), mfaVerify, BodyKind::Json}, // 13
            {Method::Post, QStringLiteral("/auth/mfa/disable"), QStringLiteral("jwt"), mfaDisable, BodyKind::Json, A::Available,
             E::Worker}, // 14
            {Method::Get, QStringLiteral("/auth/sessions"), QStringLiteral("jwt"), sessions, BodyKind::None}, // 15
            {Method::Delete, QStringLiteral("/auth/sessions/:id"), QStringLiteral("jwt"), revoke, BodyKind::None}, // 16
        },
    };
}

} // namespace kyc::http
