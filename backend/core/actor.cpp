#include "backend/core/actor.h"

namespace kyc {

QString roleName(Role r)
{
    switch (r) {
    case Role::Viewer: return QStringLiteral("viewer");
    case Role::Analyst: return QStringLiteral("analyst");
    case Role::ComplianceOfficer: return QStringLiteral("compliance_officer");
    case Role::Admin: return QStringLiteral("admin");
    case Role::Owner: return QStringLiteral("owner");
    }
    return QStringLiteral("viewer");
}

bool parseRole(const QString &name, Role *out)
{
    for (Role r : {Role::Viewer, Role::Analyst, Role::ComplianceOfficer, Role::Admin, Role::Owner}) {
        if (roleName(r) == name) {
            *out = r;
            return true;
        }
    }
    return false;
}

} // namespace kyc
