#pragma once

#include "backend/core/actor.h"
#include "backend/core/result.h"

#include <QJsonObject>

namespace kyc::identity {

// What each role may do. The matrix is served by GET /users/roles and enforced by the services
// through require(); a permission is granted to a role and every stronger one.
enum class Permission {
    FirmRead,
    FirmUpdate,
    SettingsRead,
    SettingsUpdate,
    UsersRead,
    UsersManage,
    ApiKeysManage,
    AuditRead,
    AuditExport,
    CasesRead,
    CasesWrite,
    CasesDecide,
    ScreeningRun,
    ScreeningResolve,
    BillingRead,
    BillingManage,
};

[[nodiscard]] Role minimumRole(Permission p);
[[nodiscard]] QString permissionName(Permission p);
[[nodiscard]] QJsonObject rolesMatrix();

// Forbidden unless the actor is a user with at least the permission's role (the system actor
// may do anything). API keys never pass: key-capable operations check scopes instead.
[[nodiscard]] Status require(const Actor &actor, Permission p);
// For operations a user with the permission or a key with the scope may call.
[[nodiscard]] Status requireOrScope(const Actor &actor, Permission p, const QString &scope);

} // namespace kyc::identity
