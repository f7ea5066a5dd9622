#pragma once

#include "backend/audit/auditlog.h"
#include "backend/core/actor.h"

namespace kyc::identity {

// The audit trail as a firm's users and keys may see it (operations 62–66): only their firm's
// chain, compliance officers and stronger or keys with audit:read.
class AuditAccess final
{
public:
    explicit AuditAccess(audit::AuditLog &log);
    [[nodiscard]] Result<Page<audit::Event>> list(const Actor &actor, const audit::Filter &filter, const PageRequest &page);
    [[nodiscard]] Result<audit::Event> get(const Actor &actor, const QString &id);
    [[nodiscard]] Result<audit::VerifyResult> verify(const Actor &actor);
    [[nodiscard]] Result<QByteArray> exportChain(const Actor &actor, audit::ExportFormat format, const audit::ExportRange &range);
    [[nodiscard]] Result<audit::Checkpoint> checkpoint(const Actor &actor);

private:
    audit::AuditLog &m_log;
};

} // namespace kyc::identity
