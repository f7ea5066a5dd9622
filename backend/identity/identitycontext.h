#pragma once

#include "backend/audit/auditlog.h"
#include "backend/core/actor.h"
#include "backend/core/clock.h"
#include "backend/identity/outbox.h"
#include "backend/identity/records.h"
#include "backend/identity/sessioncache.h"
#include "backend/identity/tokens.h"
#include "backend/security/secretbox.h"
#include "backend/storage/database.h"

#include <QSqlQuery>

#include <atomic>

namespace kyc::identity {

// What the identity services share. Built once by the Backend.
struct IdentityContext {
    storage::Database &db;
    const Clock &clock;
    audit::AuditLog &audit;
    Tokens &tokens;
    SessionCache &sessions;
    Outbox &outbox;
    // Seals TOTP secrets at rest (the user id as context).
    const crypto::SecretBox &secrets;

    // Bumped by every identity change (each writes an audit event through record()), again once
    // it commits: cached profiles older than the current value are stale.
    std::atomic<quint64> *epoch = nullptr;

    [[nodiscard]] QString now() const { return isoUtc(clock.now()); }
    [[nodiscard]] QString inSeconds(qint64 s) const { return isoUtc(clock.now().addSecs(s)); }
    // An audit event by `actor` in the current transaction.
    [[nodiscard]] Status record(const Actor &actor, const QString &action, const QString &entityType, const QString &entityId,
                                const QJsonObject &details = {}) const;
};

// Row readers shared by the services.
[[nodiscard]] User readUser(const QSqlQuery &q, int first = 0); // columns: kUserColumns
inline constexpr const char *kUserColumns = "id, firm_id, email, name, role, status, platform_admin, mfa_enabled, created_at, "
                                            "updated_at, last_login_at";
[[nodiscard]] Result<User> loadUser(storage::Database &db, const QString &firmId, const QString &userId);
[[nodiscard]] QVariant nullIfEmpty(const QString &s);
// Inserts a user row (in the caller's transaction) with its password hash.
[[nodiscard]] Status insertUser(storage::Database &db, const User &u, const QString &passwordHash);
// A single-use secret token (URL-safe) and the hash stored for it.
[[nodiscard]] Result<QString> newSecretToken();
[[nodiscard]] QString tokenHash(const QString &token);

} // namespace kyc::identity
