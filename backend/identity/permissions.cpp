#include "backend/identity/permissions.h"

#include <QJsonArray>

namespace kyc::identity {

namespace {
struct Row {
    Permission permission;
    const char *name;
    Role role;
    const char *description;
};

constexpr Row kMatrix[] = {
    {Permission::FirmRead, "firm.read", Role::Viewer, "See the firm's profile"},
    {Permission::FirmUpdate, "firm.update", Role::Admin, "Change the firm's name, address, contact and logo"},
    {Permission::SettingsRead, "settings.read", Role::Admin, "See the firm's settings"},
    {Permission::SettingsUpdate, "settings.update", Role::Owner, "Change the firm's settings"},
    {Permission::UsersRead, "users.read", Role::Admin, "List team members and invitations"},
    {Permission::UsersManage, "users.manage", Role::Admin,
     "Invite, change role or deactivate team members (owners only by an owner)"},
    {Permission::ApiKeysManage, "api_keys.manage", Role::Admin, "Create, rotate and revoke API keys"},
    {Permission::AuditRead, "audit.read", Role::ComplianceOfficer, "Read and verify the audit trail"},
    {Permission::AuditExport, "audit.export", Role::ComplianceOfficer, "Export the audit trail"},
    {Permission::CasesRead, "cases.read", Role::Viewer, "See onboarding cases"},
    {Permission::CasesWrite, "cases.write", Role::Analyst, "Create and edit cases, add notes and documents"},
    {Permission::CasesDecide, "cases.decide", Role::ComplianceOfficer, "Approve or reject cases"},
    {Permission::ScreeningRun, "screening.run", Role::Viewer, "Run sanctions, PEP and adverse-media screenings"},
    {Permission::ScreeningResolve, "screening.resolve", Role::Analyst, "Resolve screening matches"},
    {Permission::BillingRead, "billing.read", Role::Admin, "See plans, usage, invoices and the wallet"},
    {Permission::BillingManage, "billing.manage", Role::Owner, "Change the subscription"},
};

const Row &row(Permission p)
{
    for (const auto &r : kMatrix) {
        if (r.permission == p)
            return r;
    }
    return kMatrix[0];
}
} // namespace

Role minimumRole(Permission p)
{
    return row(p).role;
}

QString permissionName(Permission p)
{
    return QLatin1String(row(p).name);
}

QJsonObject rolesMatrix()
{
    static const char *descriptions[] = {
        "Read-only access to cases and screenings", "Works cases: creates, edits, screens and resolves matches",
        "Approves and rejects cases, reads and exports the audit trail", "Manages the team, API keys, firm profile and billing",
        "Everything, including settings, subscription and other owners"};
    QJsonArray roles;
    for (Role r : {Role::Owner, Role::Admin, Role::ComplianceOfficer, Role::Analyst, Role::Viewer}) {
        QJsonArray perms;
        for (const auto &m : kMatrix) {
            if (int(r) >= int(m.role))
                perms.append(QLatin1String(m.name));
        }
        roles.append(QJsonObject{{QStringLiteral("name"), roleName(r)},
                                 {QStringLiteral("rank"), int(r)},
                                 {QStringLiteral("description"), QLatin1String(descriptions[int(r) - 1])},
                                 {QStringLiteral("permissions"), perms}});
    }
    QJsonArray permissions;
    for (const auto &m : kMatrix) {
        permissions.append(QJsonObject{{QStringLiteral("name"), QLatin1String(m.name)},
                                       {QStringLiteral("minimum_role"), roleName(m.role)},
                                       {QStringLiteral("description"), QLatin1String(m.description)}});
    }
    return {{QStringLiteral("roles"), roles}, {QStringLiteral("permissions"), permissions}};
}

Status require(const Actor &actor, Permission p)
{
    if (actor.kind == Actor::Kind::System)
        return {};
    if (actor.kind == Actor::Kind::Anonymous)
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Authentication required"));
    if (actor.kind == Actor::Kind::ApiKey)
        return fail(ErrorCode::Forbidden, QStringLiteral("API keys cannot perform this operation"));
    if (!actor.atLeast(minimumRole(p)))
        return fail(ErrorCode::Forbidden,
                    QStringLiteral("This requires the %1 role or a stronger one").arg(roleName(minimumRole(p))));
    return {};
}

Status requireOrScope(const Actor &actor, Permission p, const QString &scope)
{
    if (actor.kind == Actor::Kind::ApiKey) {
        if (actor.hasScope(scope))
            return {};
        return fail(ErrorCode::Forbidden, QStringLiteral("The API key lacks the %1 scope").arg(scope));
    }
    return require(actor, p);
}

} // namespace kyc::identity
