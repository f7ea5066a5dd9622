#include "backend/identity/auditaccess.h"

#include "backend/identity/permissions.h"

#include <QBuffer>

namespace kyc::identity {

namespace {
const QString kScope = QStringLiteral("audit:read");
}

AuditAccess::AuditAccess(audit::AuditLog &log)
    : m_log(log)
{
}

Result<Page<audit::Event>> AuditAccess::list(const Actor &actor, const audit::Filter &filter, const PageRequest &page)
{
    if (auto s = requireOrScope(actor, Permission::AuditRead, kScope); !s)
        return fail(s.error());
    return m_log.list(actor.firmId, filter, page);
}

Result<audit::Event> AuditAccess::get(const Actor &actor, const QString &id)
{
    if (auto s = requireOrScope(actor, Permission::AuditRead, kScope); !s)
        return fail(s.error());
    return m_log.get(actor.firmId, id);
}

Result<audit::VerifyResult> AuditAccess::verify(const Actor &actor)
{
    if (auto s = requireOrScope(actor, Permission::AuditRead, kScope); !s)
        return fail(s.error());
    return m_log.verifyChain(audit::AuditLog::chainFor(actor.firmId));
}

Result<QByteArray> AuditAccess::exportChain(const Actor &actor, audit::ExportFormat format, const audit::ExportRange &range)
{
    if (auto s = require(actor, Permission::AuditExport); !s)
        return fail(s.error());
    QByteArray data;
    QBuffer buffer(&data);
    buffer.open(QIODevice::WriteOnly);
    auto n = m_log.exportTo(buffer, audit::AuditLog::chainFor(actor.firmId), format, range);
    if (!n)
        return fail(n.error());
    return data;
}

Result<audit::Checkpoint> AuditAccess::checkpoint(const Actor &actor)
{
    // Any signed-in user of the firm, or a key with audit:read (the contract's "jwt | key:audit:read").
    if (actor.kind == Actor::Kind::Anonymous)
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Authentication required"));
    if (actor.kind == Actor::Kind::ApiKey && !actor.hasScope(kScope))
        return fail(ErrorCode::Forbidden, QStringLiteral("The API key lacks the audit:read scope"));
    return m_log.checkpoint(audit::AuditLog::chainFor(actor.firmId));
}

} // namespace kyc::identity
