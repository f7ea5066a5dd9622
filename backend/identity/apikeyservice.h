#pragma once

#include "backend/core/paging.h"
#include "backend/identity/identitycontext.h"

namespace kyc::identity {

struct NewApiKey {
    QString name;
    QStringList scopes;
    QString expiresAt; // ISO-8601, optional
};

struct CreatedApiKey {
    ApiKey key;
    QString secret; // the full kc_live_… value, shown once
};

// Machine credentials (operations 17–22): kc_live_ keys stored as SHA-256, scoped, expiring,
// rotated with an optional grace period.
class ApiKeyService final
{
public:
    explicit ApiKeyService(IdentityContext &ctx);

    [[nodiscard]] Result<Page<ApiKey>> list(const Actor &actor, const PageRequest &page);
    [[nodiscard]] Result<CreatedApiKey> create(const Actor &actor, const NewApiKey &in);
    [[nodiscard]] Result<ApiKey> get(const Actor &actor, const QString &id);
    [[nodiscard]] Result<ApiKey> update(const Actor &actor, const QString &id, const std::optional<QString> &name,
                                        const std::optional<QStringList> &scopes);
    [[nodiscard]] Result<CreatedApiKey> rotate(const Actor &actor, const QString &id, qint64 graceSeconds);
    [[nodiscard]] Status revoke(const Actor &actor, const QString &id);

    // The actor behind a presented key, or Unauthenticated (unknown, revoked, expired).
    [[nodiscard]] Result<Actor> authenticate(const QString &presented, const QString &ip);

    // The contract's limit (grace_period_s, at most 24 h; resources/openapi/operations.json).
    static constexpr qint64 kMaxGraceSeconds = 24 * 3600;

private:
    Result<CreatedApiKey> insert(const Actor &actor, const QString &name, const QStringList &scopes, const QString &expiresAt);

    IdentityContext &m_ctx;
    QReadWriteLock m_touchLock;
    QHash<QString, qint64> m_touched; // key id → when last_used_at was last written
};

} // namespace kyc::identity
