#include "backend/identity/identitycontext.h"

#include "backend/security/crypto.h"

namespace kyc::identity {

Status IdentityContext::record(const Actor &actor, const QString &action, const QString &entityType, const QString &entityId,
                               const QJsonObject &details) const
{
    auto e = audit.append({actor.firmId, actor.actorType(), actor.actorId(), action, entityType, entityId, actor.ip, details});
    if (!e)
        return fail(e.error());
    if (epoch) {
        epoch->fetch_add(1);
        db.afterCommit([counter = epoch] { counter->fetch_add(1); });
    }
    return {};
}

User readUser(const QSqlQuery &q, int f)
{
    User u;
    u.id = q.value(f).toString();
    u.firmId = q.value(f + 1).toString();
    u.email = q.value(f + 2).toString();
    u.name = q.value(f + 3).toString();
    parseRole(q.value(f + 4).toString(), &u.role);
    u.status = q.value(f + 5).toString();
    u.platformAdmin = q.value(f + 6).toBool();
    u.mfaEnabled = q.value(f + 7).toBool();
    u.createdAt = q.value(f + 8).toString();
    u.updatedAt = q.value(f + 9).toString();
    u.lastLoginAt = q.value(f + 10).isNull() ? QString() : q.value(f + 10).toString();
    return u;
}

Result<User> loadUser(storage::Database &db, const QString &firmId, const QString &userId)
{
    static const QString sql
        = QStringLiteral("SELECT %1 FROM users WHERE firm_id = ? AND id = ?").arg(QLatin1String(kUserColumns));
    QSqlQuery &q = db.prepare(sql);
    q.addBindValue(firmId);
    q.addBindValue(userId);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next()) {
        q.finish();
        return fail(ErrorCode::NotFound, QStringLiteral("User not found"));
    }
    User u = readUser(q);
    q.finish();
    return u;
}

Status insertUser(storage::Database &db, const User &u, const QString &passwordHash)
{
    QSqlQuery q(db.connection());
    q.prepare(
        QStringLiteral("INSERT INTO users (id, firm_id, email, name, role, status, password_hash, platform_admin, created_at, "
                       "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const QVariant &v :
         {QVariant(u.id), QVariant(u.firmId), QVariant(u.email), QVariant(u.name), QVariant(roleName(u.role)), QVariant(u.status),
          QVariant(passwordHash), QVariant(u.platformAdmin ? 1 : 0), QVariant(u.createdAt), QVariant(u.updatedAt)})
        q.addBindValue(v);
    return storage::exec(q);
}

QVariant nullIfEmpty(const QString &s)
{
    return s.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(s);
}

Result<QString> newSecretToken()
{
    auto bytes = crypto::randomBytes(32);
    if (!bytes)
        return fail(bytes.error());
    return QString::fromLatin1(bytes->toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QString tokenHash(const QString &token)
{
    return QString::fromLatin1(crypto::sha256Hex(token.toUtf8()));
}

} // namespace kyc::identity
