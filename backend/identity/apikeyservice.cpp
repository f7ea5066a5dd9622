#include "backend/identity/apikeyservice.h"

#include "backend/core/ids.h"
#include "backend/identity/permissions.h"
#include "backend/security/crypto.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace kyc::identity {

namespace {

constexpr auto kColumns = "id, name, prefix, scopes, created_by, created_at, expires_at, last_used_at, revoked_at";

ApiKey readKey(const QSqlQuery &q)
{
    ApiKey k;
    k.id = q.value(0).toString();
    k.name = q.value(1).toString();
    k.prefix = q.value(2).toString();
    for (const auto &s : QJsonDocument::fromJson(q.value(3).toString().toUtf8()).array())
        k.scopes << s.toString();
    k.createdBy = q.value(4).toString();
    k.createdAt = q.value(5).toString();
    k.expiresAt = q.value(6).isNull() ? QString() : q.value(6).toString();
    k.lastUsedAt = q.value(7).isNull() ? QString() : q.value(7).toString();
    k.revokedAt = q.value(8).isNull() ? QString() : q.value(8).toString();
    return k;
}

QString base62(const QByteArray &bytes)
{
    static constexpr char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    QString out;
    for (const char b : bytes)
        out += QLatin1Char(alphabet[static_cast<unsigned char>(b) % 62]); // 256 % 62 bias is negligible at 40 characters
    return out;
}

} // namespace

ApiKeyService::ApiKeyService(IdentityContext &ctx)
    : m_ctx(ctx)
{
}

Result<Page<ApiKey>> ApiKeyService::list(const Actor &actor, const PageRequest &page)
{
    if (auto s = require(actor, Permission::ApiKeysManage); !s)
        return fail(s.error());
    QSqlQuery c(m_ctx.db.connection());
    c.prepare(QStringLiteral("SELECT COUNT(*) FROM api_keys WHERE firm_id = ? AND revoked_at IS NULL"));
    c.addBindValue(actor.firmId);
    if (auto s = storage::exec(c); !s || !c.next())
        return fail(Error::internal(QStringLiteral("count failed")));
    Page<ApiKey> out;
    out.request = page;
    out.total = c.value(0).toLongLong();
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral(
                  "SELECT %1 FROM api_keys WHERE firm_id = ? AND revoked_at IS NULL ORDER BY created_at DESC LIMIT ? OFFSET ?")
                  .arg(QLatin1String(kColumns)));
    q.addBindValue(actor.firmId);
    q.addBindValue(page.limit);
    q.addBindValue(page.offset());
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    while (q.next())
        out.items << readKey(q);
    return out;
}

Result<CreatedApiKey> ApiKeyService::insert(const Actor &actor, const QString &name, const QStringList &scopes,
                                            const QString &expiresAt)
{
    auto random = crypto::randomBytes(40);
    if (!random)
        return fail(random.error());
    CreatedApiKey c;
    c.secret = QStringLiteral("kc_live_") + base62(*random);
    c.key.id = newId();
    c.key.name = name;
    c.key.prefix = c.secret.left(12);
    c.key.scopes = scopes;
    c.key.createdBy = actor.userId;
    c.key.createdAt = m_ctx.now();
    c.key.expiresAt = expiresAt;
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(
        QStringLiteral("INSERT INTO api_keys (id, firm_id, name, prefix, key_hash, scopes, created_by, created_at, expires_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const QVariant &v :
         {QVariant(c.key.id), QVariant(actor.firmId), QVariant(name), QVariant(c.key.prefix),
          QVariant(QString::fromLatin1(crypto::sha256Hex(c.secret.toUtf8()))),
          QVariant(QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(scopes)).toJson(QJsonDocument::Compact))),
          QVariant(actor.userId), QVariant(c.key.createdAt), nullIfEmpty(expiresAt)})
        q.addBindValue(v);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    return c;
}

Result<CreatedApiKey> ApiKeyService::create(const Actor &actor, const NewApiKey &in)
{
    if (auto s = require(actor, Permission::ApiKeysManage); !s)
        return fail(s.error());
    QList<FieldError> errors;
    if (in.name.trimmed().isEmpty() || in.name.size() > 100)
        errors << FieldError{QStringLiteral("name"), QStringLiteral("name must be 1 to 100 characters long")};
    if (in.scopes.isEmpty())
        errors << FieldError{QStringLiteral("scopes"), QStringLiteral("scopes must name at least one scope")};
    for (const auto &s : in.scopes) {
        if (!kApiKeyScopes.contains(s))
            errors << FieldError{QStringLiteral("scopes"),
                                 QStringLiteral("scopes must contain only: %1").arg(kApiKeyScopes.join(QStringLiteral(", ")))};
    }
    QString expires;
    if (!in.expiresAt.isEmpty()) {
        const QDateTime t = QDateTime::fromString(in.expiresAt, Qt::ISODateWithMs);
        if (!t.isValid())
            errors << FieldError{QStringLiteral("expires_at"), QStringLiteral("expires_at must be an ISO-8601 date-time")};
        else if (t <= m_ctx.clock.now())
            errors << FieldError{QStringLiteral("expires_at"), QStringLiteral("expires_at must be in the future")};
        else
            expires = isoUtc(t);
    }
    if (!errors.isEmpty())
        return fail(Error::validation(errors));
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    auto created = insert(actor, in.name.trimmed(), in.scopes, expires);
    if (!created)
        return fail(created.error());
    if (auto s = m_ctx.record(actor, QStringLiteral("api_key.created"), QStringLiteral("api_key"), created->key.id,
                              {{QStringLiteral("name"), created->key.name},
                               {QStringLiteral("prefix"), created->key.prefix},
                               {QStringLiteral("scopes"), QJsonArray::fromStringList(in.scopes)}});
        !s)
        return fail(s.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    return created;
}

Result<ApiKey> ApiKeyService::get(const Actor &actor, const QString &id)
{
    if (auto s = require(actor, Permission::ApiKeysManage); !s)
        return fail(s.error());
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("SELECT %1 FROM api_keys WHERE id = ? AND firm_id = ? AND revoked_at IS NULL")
                  .arg(QLatin1String(kColumns)));
    q.addBindValue(id);
    q.addBindValue(actor.firmId);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next())
        return fail(ErrorCode::NotFound, QStringLiteral("API key not found"));
    return readKey(q);
}

Result<ApiKey> ApiKeyService::update(const Actor &actor, const QString &id, const std::optional<QString> &name,
                                     const std::optional<QStringList> &scopes)
{
    if (auto s = require(actor, Permission::ApiKeysManage); !s)
        return fail(s.error());
    QList<FieldError> errors;
    if (name && (name->trimmed().isEmpty() || name->size() > 100))
        errors << FieldError{QStringLiteral("name"), QStringLiteral("name must be 1 to 100 characters long")};
    if (scopes && scopes->isEmpty())
        errors << FieldError{QStringLiteral("scopes"), QStringLiteral("scopes must name at least one scope")};
    if (!errors.isEmpty())
        return fail(Error::validation(errors));
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    auto before = get(actor, id);
    if (!before)
        return fail(before.error());
    ApiKey after = *before;
    if (name)
        after.name = name->trimmed();
    if (scopes)
        after.scopes = *scopes;
    QSqlQuery u(m_ctx.db.connection());
    u.prepare(QStringLiteral("UPDATE api_keys SET name = ?, scopes = ? WHERE id = ? AND firm_id = ?"));
    u.addBindValue(after.name);
    u.addBindValue(QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(after.scopes)).toJson(QJsonDocument::Compact)));
    u.addBindValue(id);
    u.addBindValue(actor.firmId);
    if (auto s = storage::exec(u); !s)
        return fail(s.error());
    if (auto s = m_ctx.record(actor, QStringLiteral("api_key.updated"), QStringLiteral("api_key"), id,
                              {{QStringLiteral("before"),
                                QJsonObject{{QStringLiteral("name"), before->name},
                                            {QStringLiteral("scopes"), QJsonArray::fromStringList(before->scopes)}}},
                               {QStringLiteral("after"),
                                QJsonObject{{QStringLiteral("name"), after.name},
                                            {QStringLiteral("scopes"), QJsonArray::fromStringList(after.scopes)}}}});
        !s)
        return fail(s.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    return after;
}

Result<CreatedApiKey> ApiKeyService::rotate(const Actor &actor, const QString &id, qint64 graceSeconds)
{
    if (auto s = require(actor, Permission::ApiKeysManage); !s)
        return fail(s.error());
    if (graceSeconds < 0 || graceSeconds > kMaxGraceSeconds)
        return fail(Error::validation(QStringLiteral("grace_period_s"),
                                      QStringLiteral("grace_period_s must be an integer from 0 to %1").arg(kMaxGraceSeconds)));
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    // A key rotates once: its successor is the key to rotate next. Rotating it again would hand out a
    // second successor expiring with the first one's grace period.
    QSqlQuery state(m_ctx.db.connection());
    state.prepare(QStringLiteral("SELECT replaced_by, revoked_at FROM api_keys WHERE id = ? AND firm_id = ?"));
    state.addBindValue(id);
    state.addBindValue(actor.firmId);
    if (auto s = storage::exec(state); !s)
        return fail(s.error());
    if (!state.next())
        return fail(ErrorCode::NotFound, QStringLiteral("API key not found"));
    const bool replaced = !state.value(0).isNull(), revoked = !state.value(1).isNull();
    state.finish();
    if (replaced)
        return fail(ErrorCode::Conflict, QStringLiteral("This API key was already rotated; rotate its successor instead"));
    if (revoked)
        return fail(ErrorCode::Conflict, QStringLiteral("This API key is revoked and cannot be rotated"));
    auto old = get(actor, id);
    if (!old)
        return fail(old.error());
    auto created = insert(actor, old->name, old->scopes, old->expiresAt);
    if (!created)
        return fail(created.error());
    // The old secret stops at once, or at the end of the grace period (it then simply expires).
    QSqlQuery u(m_ctx.db.connection());
    if (graceSeconds == 0) {
        u.prepare(QStringLiteral("UPDATE api_keys SET revoked_at = ?, replaced_by = ? WHERE id = ?"));
        u.addBindValue(m_ctx.now());
    } else {
        u.prepare(QStringLiteral("UPDATE api_keys SET expires_at = ?, replaced_by = ? WHERE id = ?"));
        const QString graceEnd = m_ctx.inSeconds(graceSeconds);
        u.addBindValue(!old->expiresAt.isEmpty() && old->expiresAt < graceEnd ? old->expiresAt : graceEnd);
    }
    u.addBindValue(created->key.id);
    u.addBindValue(id);
    if (auto s = storage::exec(u); !s)
        return fail(s.error());
    if (auto s
        = m_ctx.record(actor, QStringLiteral("api_key.rotated"), QStringLiteral("api_key"), id,
                       {{QStringLiteral("new_key_id"), created->key.id}, {QStringLiteral("grace_period_s"), graceSeconds}});
        !s)
        return fail(s.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    return created;
}

Status ApiKeyService::revoke(const Actor &actor, const QString &id)
{
    if (auto s = require(actor, Permission::ApiKeysManage); !s)
        return s;
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return s;
    QSqlQuery u(m_ctx.db.connection());
    u.prepare(QStringLiteral("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND firm_id = ? AND revoked_at IS NULL"));
    u.addBindValue(m_ctx.now());
    u.addBindValue(id);
    u.addBindValue(actor.firmId);
    if (auto s = storage::exec(u); !s)
        return s;
    if (u.numRowsAffected() != 1)
        return fail(ErrorCode::NotFound, QStringLiteral("API key not found"));
    if (auto s = m_ctx.record(actor, QStringLiteral("api_key.revoked"), QStringLiteral("api_key"), id); !s)
        return s;
    return tx.commit();
}

Result<Actor> ApiKeyService::authenticate(const QString &presented, const QString &ip)
{
    const Error invalid = Error::make(ErrorCode::Unauthenticated, QStringLiteral("Invalid, revoked or expired API key"));
    if (!presented.startsWith(QStringLiteral("kc_live_")) || presented.size() > 100)
        return fail(invalid);
    const QByteArray hash = crypto::sha256Hex(presented.toUtf8());
    QSqlQuery &q = m_ctx.db.prepare(QStringLiteral("SELECT id, firm_id, key_hash, scopes, expires_at, revoked_at, created_by "
                                                   "FROM api_keys WHERE key_hash = ?"));
    q.addBindValue(QString::fromLatin1(hash));
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next()) {
        q.finish();
        return fail(invalid);
    }
    const bool same = crypto::constantTimeEquals(hash, q.value(2).toString().toLatin1());
    const bool revoked = !q.value(5).isNull();
    const bool expired = !q.value(4).isNull() && q.value(4).toString() <= m_ctx.now();
    Actor a;
    a.kind = Actor::Kind::ApiKey;
    a.apiKeyId = q.value(0).toString();
    a.firmId = q.value(1).toString();
    a.userId = q.value(6).toString();
    a.ip = ip;
    for (const auto &s : QJsonDocument::fromJson(q.value(3).toString().toUtf8()).array())
        a.scopes << s.toString();
    q.finish();
    if (!same || revoked || expired)
        return fail(invalid);
    const qint64 now = m_ctx.clock.nowMs();
    bool write = false;
    {
        QWriteLocker lock(&m_touchLock);
        qint64 &last = m_touched[a.apiKeyId];
        if (now - last >= 60'000) {
            last = now;
            write = true;
        }
    }
    if (write) {
        QSqlQuery &u = m_ctx.db.prepare(QStringLiteral("UPDATE api_keys SET last_used_at = ? WHERE id = ?"));
        u.addBindValue(m_ctx.now());
        u.addBindValue(a.apiKeyId);
        (void)storage::exec(u);
    }
    return a;
}

} // namespace kyc::identity
