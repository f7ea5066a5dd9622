#pragma once

#include <QString>
#include <QStringList>

namespace kyc {

// Roles of a firm, weakest first, so that a comparison reads as "at least".
enum class Role { Viewer = 1, Analyst, ComplianceOfficer, Admin, Owner };

// Who is calling a service: a signed-in user, an API key, or the system itself. Every service
// call takes one and checks its permission with it, so the GUI and the API obey the same rules.
struct Actor {
    enum class Kind { Anonymous, User, ApiKey, System };
    Kind kind = Kind::Anonymous;
    QString firmId;
    QString userId; // the user, or the key's creator for API keys
    QString apiKeyId;
    QString sessionId;
    Role role = Role::Viewer;
    QStringList scopes; // API keys only
    bool platformAdmin = false;
    QString ip;

    [[nodiscard]] bool atLeast(Role r) const { return kind != Kind::ApiKey && int(role) >= int(r); }
    [[nodiscard]] bool isUser() const { return kind == Kind::User; }
    [[nodiscard]] bool hasScope(const QString &scope) const { return kind == Kind::ApiKey && scopes.contains(scope); }
    [[nodiscard]] QString actorType() const
    {
        return kind == Kind::User  ? QStringLiteral("user")
            : kind == Kind::ApiKey ? QStringLiteral("api_key")
                                   : QStringLiteral("system");
    }
    [[nodiscard]] QString actorId() const
    {
        return kind == Kind::ApiKey ? apiKeyId : kind == Kind::User ? userId : QStringLiteral("kyconnect");
    }

    [[nodiscard]] static Actor system(const QString &firmId = {})
    {
        Actor a;
        a.kind = Kind::System;
        a.firmId = firmId;
        a.role = Role::Owner;
        return a;
    }
};

[[nodiscard]] QString roleName(Role r);
bool parseRole(const QString &name, Role *out);

} // namespace kyc
