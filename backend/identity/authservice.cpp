#include "backend/identity/authservice.h"

#include "backend/core/ids.h"
#include "backend/core/validation.h"
#include "backend/security/crypto.h"
#include "backend/security/password.h"
#include "backend/security/totp.h"

#include <QJsonDocument>

namespace kyc::identity {

namespace {

Error invalidCredentials()
{
    return Error::make(ErrorCode::Unauthenticated, QStringLiteral("Invalid email or password"));
}

Error mfaRequired(const QString &message)
{
    Error e = Error::make(ErrorCode::Unauthenticated, message);
    e.extra.insert(QStringLiteral("mfa_required"), true);
    return e;
}

Actor userActor(const User &u, const QString &ip)
{
    Actor a;
    a.kind = Actor::Kind::User;
    a.firmId = u.firmId;
    a.userId = u.id;
    a.role = u.role;
    a.platformAdmin = u.platformAdmin;
    a.ip = ip;
    return a;
}

} // namespace

std::optional<QByteArray> AuthService::totpSecret(const QString &stored, const QString &userId) const
{
    auto b32 = m_ctx.secrets.open(stored, userId.toUtf8());
    if (!b32)
        return std::nullopt;
    auto raw = crypto::base32Decode(QString::fromLatin1(*b32));
    return raw ? std::optional<QByteArray>(*raw) : std::nullopt;
}

Status AuthService::sealStoredMfaSecrets()
{
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return s;
    QSqlQuery q(m_ctx.db.connection());
    if (!q.exec(QStringLiteral("SELECT id, mfa_secret, mfa_pending_secret FROM users WHERE "
                               "(mfa_secret IS NOT NULL AND mfa_secret NOT LIKE 'gcm1:%') OR "
                               "(mfa_pending_secret IS NOT NULL AND mfa_pending_secret NOT LIKE 'gcm1:%')")))
        return fail(Error::internal(QStringLiteral("cannot read the stored MFA secrets")));
    struct Row {
        QString id;
        QVariant secret, pending;
    };
    QList<Row> rows;
    while (q.next())
        rows.append({q.value(0).toString(), q.value(1), q.value(2)});
    q.finish();
    for (const auto &r : rows) {
        QVariantList values;
        for (const QVariant &v : {r.secret, r.pending}) {
            if (v.isNull() || crypto::SecretBox::isSealed(v.toString())) {
                values << v;
                continue;
            }
            auto sealed = m_ctx.secrets.seal(v.toString().toLatin1(), r.id.toUtf8());
            if (!sealed)
                return fail(sealed.error());
            values << *sealed;
        }
        QSqlQuery u(m_ctx.db.connection());
        u.prepare(QStringLiteral("UPDATE users SET mfa_secret = ?, mfa_pending_secret = ? WHERE id = ?"));
        u.addBindValue(values.at(0));
        u.addBindValue(values.at(1));
        u.addBindValue(r.id);
        if (auto s = storage::exec(u); !s)
            return s;
    }
    return tx.commit();
}

AuthService::AuthService(IdentityContext &ctx)
    : m_ctx(ctx)
    , m_dummyHash(crypto::hashPassword(QStringLiteral("an unknown account never matches")).value_or(QString()))
{
}

Result<Firm> AuthService::loadFirm(storage::Database &db, const QString &firmId)
{
    QSqlQuery &q = db.prepare(QStringLiteral("SELECT id, name, country, registration_number, address, contact, logo_storage_key, "
                                             "settings, created_at, updated_at FROM firms WHERE id = ?"));
    q.addBindValue(firmId);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next()) {
        q.finish();
        return fail(ErrorCode::NotFound, QStringLiteral("Firm not found"));
    }
    Firm f;
    f.id = q.value(0).toString();
    f.name = q.value(1).toString();
    f.country = q.value(2).toString();
    f.registrationNumber = q.value(3).toString();
    f.address = QJsonDocument::fromJson(q.value(4).toString().toUtf8()).object();
    f.contact = QJsonDocument::fromJson(q.value(5).toString().toUtf8()).object();
    f.logoStorageKey = q.value(6).toString();
    f.settings = FirmSettings::fromStored(QJsonDocument::fromJson(q.value(7).toString().toUtf8()).object());
    f.createdAt = q.value(8).toString();
    f.updatedAt = q.value(9).toString();
    q.finish();
    return f;
}

Result<SignIn> AuthService::openSession(const User &user, const QString &ip, const QString &device)
{
    auto firm = loadFirm(m_ctx.db, user.firmId);
    if (!firm)
        return fail(firm.error());
    const QString sessionId = newId();
    AccessClaims claims{user.id,   user.firmId, roleName(user.role),
                        sessionId, QString(),   firm->settings.mfaRequired && !user.mfaEnabled};
    const IssuedTokens t = m_ctx.tokens.issue(claims);
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("INSERT INTO sessions (id, firm_id, user_id, device, ip, created_at, last_used_at, expires_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(sessionId);
    q.addBindValue(user.firmId);
    q.addBindValue(user.id);
    q.addBindValue(nullIfEmpty(device.left(200)));
    q.addBindValue(nullIfEmpty(ip));
    q.addBindValue(m_ctx.now());
    q.addBindValue(m_ctx.now());
    q.addBindValue(isoUtc(t.refreshExpiresAt));
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    QSqlQuery r(m_ctx.db.connection());
    r.prepare(QStringLiteral("INSERT INTO refresh_tokens (jti, session_id, issued_at, expires_at) VALUES (?, ?, ?, ?)"));
    r.addBindValue(t.refreshJti);
    r.addBindValue(sessionId);
    r.addBindValue(m_ctx.now());
    r.addBindValue(isoUtc(t.refreshExpiresAt));
    if (auto s = storage::exec(r); !s)
        return fail(s.error());
    return SignIn{t.accessToken, t.refreshToken, user};
}

Status AuthService::checkSecondFactor(const QString &userId, const QString &code, bool allowRecovery, bool *usedRecovery)
{
    *usedRecovery = false;
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("SELECT mfa_secret, mfa_last_step FROM users WHERE id = ?"));
    q.addBindValue(userId);
    if (auto s = storage::exec(q); !s)
        return s;
    if (!q.next())
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid code"));
    const auto secret = totpSecret(q.value(0).toString(), userId);
    const qint64 lastStep = q.value(1).isNull() ? -1 : q.value(1).toLongLong();
    q.finish();
    const QString trimmed = QString(code).remove(u' ');
    if (secret && trimmed.size() == 6) {
        const auto step = crypto::totpVerify(*secret, trimmed, m_ctx.clock.nowMs() / 1000, 1);
        // A code is accepted once: its step must be later than the last one used.
        if (step && *step > lastStep) {
            QSqlQuery u(m_ctx.db.connection());
            u.prepare(QStringLiteral("UPDATE users SET mfa_last_step = ? WHERE id = ?"));
            u.addBindValue(*step);
            u.addBindValue(userId);
            return storage::exec(u);
        }
    }
    if (allowRecovery && trimmed.size() > 6) {
        QSqlQuery rc(m_ctx.db.connection());
        rc.prepare(QStringLiteral("SELECT id, code_hash FROM recovery_codes WHERE user_id = ? AND used_at IS NULL"));
        rc.addBindValue(userId);
        if (auto s = storage::exec(rc); !s)
            return s;
        const QByteArray given = crypto::sha256Hex(trimmed.toLower().remove(u'-').toUtf8());
        QString match;
        while (rc.next()) {
            if (crypto::constantTimeEquals(given, rc.value(1).toString().toLatin1()))
                match = rc.value(0).toString();
        }
        if (!match.isEmpty()) {
            QSqlQuery u(m_ctx.db.connection());
            u.prepare(QStringLiteral("UPDATE recovery_codes SET used_at = ? WHERE id = ?"));
            u.addBindValue(m_ctx.now());
            u.addBindValue(match);
            *usedRecovery = true;
            return storage::exec(u);
        }
    }
    return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid code"));
}

Result<SignIn> AuthService::login(const LoginInput &in)
{
    const QString email = in.email.trimmed().toLower();
    // scrypt runs before the write transaction, so concurrent sign-ins never queue on the lock.
    storage::Transaction tx(m_ctx.db);
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("SELECT %1, password_hash, failed_logins, locked_until FROM users WHERE email = ?")
                  .arg(QLatin1String(kUserColumns)));
    q.addBindValue(email);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next()) {
        q.finish();
        (void)crypto::verifyPassword(in.password, m_dummyHash);
        auto e = m_ctx.audit.append(
            {QString(), QStringLiteral("anonymous"), QString(), QStringLiteral("auth.login_failed"), QStringLiteral("user"),
             QString(), in.ip,
             QJsonObject{{QStringLiteral("email"), email}, {QStringLiteral("reason"), QStringLiteral("unknown_account")}}});
        Q_UNUSED(e);
        return fail(invalidCredentials());
    }
    const User user = readUser(q);
    const QString hash = q.value(11).toString();
    const QString lockedUntil = q.value(13).isNull() ? QString() : q.value(13).toString();
    q.finish();
    Actor actor = userActor(user, in.ip);
    const bool passwordOk = crypto::verifyPassword(in.password, hash);
    if (auto s = tx.begin(); !s)
        return fail(s.error());

    auto failLogin = [&](const QString &reason, Error answer) -> Result<SignIn> {
        // Counted in the transaction, so concurrent failures cannot undercount.
        QSqlQuery c(m_ctx.db.connection());
        c.prepare(QStringLiteral("SELECT failed_logins FROM users WHERE id = ?"));
        c.addBindValue(user.id);
        if (auto s = storage::exec(c); !s || !c.next())
            return fail(Error::internal(QStringLiteral("failure count unreadable")));
        const int count = c.value(0).toInt() + 1;
        c.finish();
        const bool lock = count >= kMaxFailures;
        QSqlQuery u(m_ctx.db.connection());
        u.prepare(QStringLiteral("UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?"));
        u.addBindValue(lock ? 0 : count);
        u.addBindValue(lock ? QVariant(m_ctx.inSeconds(kLockSeconds)) : nullIfEmpty(lockedUntil));
        u.addBindValue(user.id);
        if (auto s = storage::exec(u); !s)
            return fail(s.error());
        if (auto s = m_ctx.record(actor, QStringLiteral("auth.login_failed"), QStringLiteral("user"), user.id,
                                  {{QStringLiteral("reason"), reason}, {QStringLiteral("consecutive_failures"), count}});
            !s)
            return fail(s.error());
        if (lock) {
            if (auto s = m_ctx.record(actor, QStringLiteral("auth.account_locked"), QStringLiteral("user"), user.id,
                                      {{QStringLiteral("until"), m_ctx.inSeconds(kLockSeconds)}});
                !s)
                return fail(s.error());
        }
        if (auto s = tx.commit(); !s)
            return fail(s.error());
        return fail(std::move(answer));
    };

    const bool locked = !lockedUntil.isEmpty() && lockedUntil > m_ctx.now();
    if (locked) {
        // The same answer as a wrong password: a lock must not confirm that the account exists.
        (void)m_ctx.record(actor, QStringLiteral("auth.login_failed"), QStringLiteral("user"), user.id,
                           {{QStringLiteral("reason"), QStringLiteral("locked")}});
        (void)tx.commit();
        return fail(invalidCredentials());
    }
    if (!passwordOk)
        return failLogin(QStringLiteral("bad_password"), invalidCredentials());
    if (user.status != QStringLiteral("active"))
        return failLogin(QStringLiteral("deactivated"), invalidCredentials());
    if (user.mfaEnabled) {
        if (in.mfaCode.isEmpty()) {
            (void)tx.commit();
            return fail(mfaRequired(QStringLiteral("An MFA code is required")));
        }
        bool recovery = false;
        if (!checkSecondFactor(user.id, in.mfaCode, true, &recovery))
            return failLogin(QStringLiteral("bad_mfa_code"), mfaRequired(QStringLiteral("Invalid MFA code")));
        if (recovery) {
            if (auto s = m_ctx.record(actor, QStringLiteral("auth.recovery_code_used"), QStringLiteral("user"), user.id); !s)
                return fail(s.error());
        }
    }
    QSqlQuery ok(m_ctx.db.connection());
    ok.prepare(QStringLiteral("UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ? WHERE id = ?"));
    ok.addBindValue(m_ctx.now());
    ok.addBindValue(user.id);
    if (auto s = storage::exec(ok); !s)
        return fail(s.error());
    auto signIn = openSession(user, in.ip, in.device);
    if (!signIn)
        return fail(signIn.error());
    if (auto s = m_ctx.record(actor, QStringLiteral("auth.login"), QStringLiteral("user"), user.id,
                              {{QStringLiteral("mfa"), user.mfaEnabled}});
        !s)
        return fail(s.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    signIn->user.lastLoginAt = m_ctx.now();
    return signIn;
}

Status AuthService::endResetTokens(const QString &userId)
{
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL"));
    q.addBindValue(m_ctx.now());
    q.addBindValue(userId);
    return storage::exec(q);
}

Status AuthService::revokeSessionRow(const QString &sessionId, const QString &reason)
{
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL"));
    q.addBindValue(m_ctx.now());
    q.addBindValue(reason);
    q.addBindValue(sessionId);
    auto s = storage::exec(q);
    // Cleared now and again once committed: a lookup in between must not re-cache the open session.
    m_ctx.sessions.invalidateSession(sessionId);
    m_ctx.db.afterCommit([cache = &m_ctx.sessions, sessionId] { cache->invalidateSession(sessionId); });
    return s;
}

Status AuthService::revokeAllSessions(const QString &userId, const QString &reason, const QString &keepSessionId)
{
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND revoked_at IS NULL")
              + (keepSessionId.isEmpty() ? QString() : QStringLiteral(" AND id <> ?")));
    q.addBindValue(m_ctx.now());
    q.addBindValue(reason);
    q.addBindValue(userId);
    if (!keepSessionId.isEmpty())
        q.addBindValue(keepSessionId);
    auto s = storage::exec(q);
    // Cleared now and again once committed: a lookup in between must not re-cache an open session.
    m_ctx.sessions.invalidateUser(userId);
    m_ctx.db.afterCommit([cache = &m_ctx.sessions, userId] { cache->invalidateUser(userId); });
    return s;
}

Result<SignIn> AuthService::refresh(const QString &refreshToken, const QString &ip)
{
    auto claims = m_ctx.tokens.verifyRefresh(refreshToken);
    if (!claims)
        return fail(claims.error());
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("SELECT r.used_at, s.revoked_at, s.user_id, s.firm_id, s.device FROM refresh_tokens r "
                             "JOIN sessions s ON s.id = r.session_id WHERE r.jti = ? AND r.session_id = ?"));
    q.addBindValue(claims->jti);
    q.addBindValue(claims->sessionId);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next())
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid or expired refresh token"));
    const bool spent = !q.value(0).isNull();
    const bool revoked = !q.value(1).isNull();
    const QString userId = q.value(2).toString();
    const QString firmId = q.value(3).toString();
    const QString device = q.value(4).toString();
    q.finish();
    auto user = loadUser(m_ctx.db, firmId, userId);
    if (!user)
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid or expired refresh token"));
    Actor actor = userActor(*user, ip);
    actor.sessionId = claims->sessionId;
    if (spent) {
        // A refresh token used twice has been copied: end the whole session.
        if (auto s = revokeSessionRow(claims->sessionId, QStringLiteral("refresh_token_reuse")); !s)
            return fail(s.error());
        if (auto s
            = m_ctx.record(actor, QStringLiteral("auth.refresh_reuse_detected"), QStringLiteral("session"), claims->sessionId);
            !s)
            return fail(s.error());
        if (auto s = tx.commit(); !s)
            return fail(s.error());
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Refresh token already used; the session has been revoked"));
    }
    if (revoked || user->status != QStringLiteral("active"))
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid or expired refresh token"));
    auto firm = loadFirm(m_ctx.db, firmId);
    if (!firm)
        return fail(firm.error());
    QSqlQuery used(m_ctx.db.connection());
    used.prepare(QStringLiteral("UPDATE refresh_tokens SET used_at = ? WHERE jti = ?"));
    used.addBindValue(m_ctx.now());
    used.addBindValue(claims->jti);
    if (auto s = storage::exec(used); !s)
        return fail(s.error());
    const IssuedTokens t = m_ctx.tokens.issue(AccessClaims{user->id, firmId, roleName(user->role), claims->sessionId, QString(),
                                                           firm->settings.mfaRequired && !user->mfaEnabled});
    QSqlQuery r(m_ctx.db.connection());
    r.prepare(QStringLiteral("INSERT INTO refresh_tokens (jti, session_id, issued_at, expires_at) VALUES (?, ?, ?, ?)"));
    r.addBindValue(t.refreshJti);
    r.addBindValue(claims->sessionId);
    r.addBindValue(m_ctx.now());
    r.addBindValue(isoUtc(t.refreshExpiresAt));
    if (auto s = storage::exec(r); !s)
        return fail(s.error());
    QSqlQuery s2(m_ctx.db.connection());
    s2.prepare(QStringLiteral("UPDATE sessions SET last_used_at = ?, ip = ?, expires_at = ? WHERE id = ?"));
    s2.addBindValue(m_ctx.now());
    s2.addBindValue(nullIfEmpty(ip));
    s2.addBindValue(isoUtc(t.refreshExpiresAt));
    s2.addBindValue(claims->sessionId);
    if (auto s = storage::exec(s2); !s)
        return fail(s.error());
    if (auto s = m_ctx.record(actor, QStringLiteral("auth.refresh"), QStringLiteral("session"), claims->sessionId); !s)
        return fail(s.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    Q_UNUSED(device);
    return SignIn{t.accessToken, t.refreshToken, *user};
}

Status AuthService::logout(const Actor &actor)
{
    if (!actor.isUser() || actor.sessionId.isEmpty())
        return fail(ErrorCode::Forbidden, QStringLiteral("Only a signed-in user can log out"));
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return s;
    if (auto s = revokeSessionRow(actor.sessionId, QStringLiteral("logout")); !s)
        return s;
    if (auto s = m_ctx.record(actor, QStringLiteral("auth.logout"), QStringLiteral("session"), actor.sessionId); !s)
        return s;
    return tx.commit();
}

Result<std::pair<User, Firm>> AuthService::me(const Actor &actor)
{
    if (!actor.isUser())
        return fail(ErrorCode::Forbidden, QStringLiteral("Only a signed-in user has a profile"));
    // The epoch is read before loading: a change committed meanwhile makes this entry stale.
    const quint64 epoch = m_ctx.epoch ? m_ctx.epoch->load() : 0;
    {
        QReadLocker lock(&m_profileLock);
        auto it = m_profiles.constFind(actor.userId);
        if (m_ctx.epoch && it != m_profiles.cend() && it->epoch == epoch && it->profile.first.firmId == actor.firmId)
            return it->profile;
    }
    auto user = loadUser(m_ctx.db, actor.firmId, actor.userId);
    if (!user)
        return fail(user.error());
    auto firm = loadFirm(m_ctx.db, actor.firmId);
    if (!firm)
        return fail(firm.error());
    std::pair profile{*user, *firm};
    QWriteLocker lock(&m_profileLock);
    if (m_profiles.size() > 10'000)
        m_profiles.clear();
    m_profiles.insert(actor.userId, CachedProfile{epoch, profile});
    return profile;
}

void AuthService::forgotPassword(const QString &emailIn, const QString &ip)
{
    const QString email = emailIn.trimmed().toLower();
    storage::Transaction tx(m_ctx.db);
    if (!tx.begin())
        return;
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("SELECT %1 FROM users WHERE email = ? AND status = 'active'").arg(QLatin1String(kUserColumns)));
    q.addBindValue(email);
    if (!storage::exec(q) || !q.next())
        return; // unknown: nothing happens, and the caller cannot tell
    const User user = readUser(q);
    q.finish();
    auto token = newSecretToken();
    if (!token)
        return;
    QSqlQuery ins(m_ctx.db.connection());
    ins.prepare(
        QStringLiteral("INSERT INTO password_resets (id, user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)"));
    ins.addBindValue(newId());
    ins.addBindValue(user.id);
    ins.addBindValue(tokenHash(*token));
    ins.addBindValue(m_ctx.now());
    ins.addBindValue(m_ctx.inSeconds(kResetSeconds));
    if (!storage::exec(ins))
        return;
    const QString body
        = QStringLiteral("Hello %1,\n\nsomeone (we hope you) asked to reset the password of your KYConnect account.\n"
                         "Use this single-use token within 30 minutes:\n\n    %2\n\n"
                         "POST /api/v1/auth/reset-password {\"token\": \"…\", \"new_password\": \"…\"}\n\n"
                         "If you did not ask for this, ignore this message; your password is unchanged.\n")
              .arg(user.name, *token);
    if (!m_ctx.outbox.queue(user.firmId, user.email, QStringLiteral("Reset your KYConnect password"), body,
                            QStringLiteral("password_reset")))
        return;
    if (!m_ctx.audit.append({user.firmId,
                             QStringLiteral("anonymous"),
                             QString(),
                             QStringLiteral("auth.password_reset_requested"),
                             QStringLiteral("user"),
                             user.id,
                             ip,
                             {}}))
        return;
    if (tx.commit())
        m_ctx.outbox.flush();
}

Status AuthService::resetPassword(const QString &token, const QString &newPassword, const QString &ip)
{
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return s;
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("SELECT r.id, r.user_id, r.expires_at, r.used_at, u.firm_id, u.email FROM password_resets r "
                             "JOIN users u ON u.id = r.user_id WHERE r.token_hash = ?"));
    q.addBindValue(tokenHash(token));
    if (auto s = storage::exec(q); !s)
        return s;
    if (!q.next() || !q.value(3).isNull() || q.value(2).toString() <= m_ctx.now())
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid or expired reset token"));
    const QString userId = q.value(1).toString(), firmId = q.value(4).toString(), email = q.value(5).toString();
    q.finish();
    if (auto problem = passwordProblem(newPassword, email))
        return fail(Error::validation(QStringLiteral("new_password"),
                                      QString(*problem).replace(QStringLiteral("password"), QStringLiteral("new_password"))));
    auto hash = crypto::hashPassword(newPassword);
    if (!hash)
        return fail(hash.error());
    QSqlQuery u(m_ctx.db.connection());
    u.prepare(QStringLiteral(
        "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, updated_at = ? WHERE id = ?"));
    u.addBindValue(*hash);
    u.addBindValue(m_ctx.now());
    u.addBindValue(userId);
    if (auto s = storage::exec(u); !s)
        return s;
    // This token and every other one still outstanding for the user end here.
    if (auto s = endResetTokens(userId); !s)
        return s;
    if (auto s = revokeAllSessions(userId, QStringLiteral("password_reset")); !s)
        return s;
    if (!m_ctx.audit.append({firmId,
                             QStringLiteral("user"),
                             userId,
                             QStringLiteral("auth.password_reset"),
                             QStringLiteral("user"),
                             userId,
                             ip,
                             {}}))
        return fail(Error::internal(QStringLiteral("audit append failed")));
    return tx.commit();
}

Status AuthService::changePassword(const Actor &actor, const QString &current, const QString &next)
{
    if (!actor.isUser())
        return fail(ErrorCode::Forbidden, QStringLiteral("Only a signed-in user can change a password"));
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return s;
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("SELECT password_hash, email FROM users WHERE id = ? AND firm_id = ?"));
    q.addBindValue(actor.userId);
    q.addBindValue(actor.firmId);
    if (auto s = storage::exec(q); !s)
        return s;
    if (!q.next())
        return fail(ErrorCode::NotFound, QStringLiteral("User not found"));
    const QString hash = q.value(0).toString(), email = q.value(1).toString();
    q.finish();
    if (!crypto::verifyPassword(current, hash))
        return fail(ErrorCode::BusinessRule, QStringLiteral("The current password is wrong"));
    if (auto problem = passwordProblem(next, email))
        return fail(Error::validation(QStringLiteral("new_password"),
                                      QString(*problem).replace(QStringLiteral("password"), QStringLiteral("new_password"))));
    auto newHash = crypto::hashPassword(next);
    if (!newHash)
        return fail(newHash.error());
    QSqlQuery u(m_ctx.db.connection());
    u.prepare(QStringLiteral("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?"));
    u.addBindValue(*newHash);
    u.addBindValue(m_ctx.now());
    u.addBindValue(actor.userId);
    if (auto s = storage::exec(u); !s)
        return s;
    // Other sessions end; the one that changed the password stays. Reset tokens asked for before end too.
    if (auto s = revokeAllSessions(actor.userId, QStringLiteral("password_changed"), actor.sessionId); !s)
        return s;
    if (auto s = endResetTokens(actor.userId); !s)
        return s;
    if (auto s = m_ctx.record(actor, QStringLiteral("auth.password_changed"), QStringLiteral("user"), actor.userId); !s)
        return s;
    return tx.commit();
}

Result<MfaSetup> AuthService::mfaSetup(const Actor &actor)
{
    if (!actor.isUser())
        return fail(ErrorCode::Forbidden, QStringLiteral("Only a signed-in user can set up MFA"));
    auto user = loadUser(m_ctx.db, actor.firmId, actor.userId);
    if (!user)
        return fail(user.error());
    if (user->mfaEnabled)
        return fail(ErrorCode::Conflict, QStringLiteral("MFA is already enabled; disable it first"));
    auto secret = crypto::randomBytes(20);
    if (!secret)
        return fail(secret.error());
    const QString b32 = crypto::base32Encode(*secret);
    // Stored sealed (AES-256-GCM under the data key, bound to the user), never in clear.
    auto sealed = m_ctx.secrets.seal(b32.toLatin1(), actor.userId.toUtf8());
    if (!sealed)
        return fail(sealed.error());
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    QSqlQuery u(m_ctx.db.connection());
    u.prepare(QStringLiteral("UPDATE users SET mfa_pending_secret = ?, updated_at = ? WHERE id = ?"));
    u.addBindValue(*sealed);
    u.addBindValue(m_ctx.now());
    u.addBindValue(actor.userId);
    if (auto s = storage::exec(u); !s)
        return fail(s.error());
    if (auto s = m_ctx.record(actor, QStringLiteral("auth.mfa_setup_started"), QStringLiteral("user"), actor.userId); !s)
        return fail(s.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    return MfaSetup{b32, crypto::otpauthUrl(QStringLiteral("KYConnect"), user->email, *secret)};
}

Result<QStringList> AuthService::mfaVerify(const Actor &actor, const QString &code)
{
    if (!actor.isUser())
        return fail(ErrorCode::Forbidden, QStringLiteral("Only a signed-in user can enable MFA"));
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("SELECT mfa_pending_secret, mfa_enabled FROM users WHERE id = ? AND firm_id = ?"));
    q.addBindValue(actor.userId);
    q.addBindValue(actor.firmId);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next())
        return fail(ErrorCode::NotFound, QStringLiteral("User not found"));
    const QString pending = q.value(0).toString();
    const bool enabled = q.value(1).toBool();
    q.finish();
    if (enabled)
        return fail(ErrorCode::Conflict, QStringLiteral("MFA is already enabled"));
    if (pending.isEmpty())
        return fail(ErrorCode::Conflict, QStringLiteral("Call /auth/mfa/setup first"));
    const auto secret = totpSecret(pending, actor.userId);
    const auto step
        = secret ? crypto::totpVerify(*secret, QString(code).remove(u' '), m_ctx.clock.nowMs() / 1000, 1) : std::nullopt;
    if (!step)
        return fail(ErrorCode::BusinessRule,
                    QStringLiteral("The code does not match; check the authenticator's clock and try again"));
    QStringList codes;
    QSqlQuery del(m_ctx.db.connection());
    del.prepare(QStringLiteral("DELETE FROM recovery_codes WHERE user_id = ?"));
    del.addBindValue(actor.userId);
    if (auto s = storage::exec(del); !s)
        return fail(s.error());
    for (int i = 0; i < 10; ++i) {
        auto raw = crypto::randomBytes(5);
        if (!raw)
            return fail(raw.error());
        const QString hex = QString::fromLatin1(raw->toHex());
        const QString display = hex.left(5) + u'-' + hex.mid(5);
        codes << display;
        QSqlQuery ins(m_ctx.db.connection());
        ins.prepare(QStringLiteral("INSERT INTO recovery_codes (id, user_id, code_hash) VALUES (?, ?, ?)"));
        ins.addBindValue(newId());
        ins.addBindValue(actor.userId);
        ins.addBindValue(QString::fromLatin1(crypto::sha256Hex(hex.toUtf8())));
        if (auto s = storage::exec(ins); !s)
            return fail(s.error());
    }
    QSqlQuery u(m_ctx.db.connection());
    u.prepare(QStringLiteral("UPDATE users SET mfa_enabled = 1, mfa_secret = ?, mfa_pending_secret = NULL, mfa_last_step = ?, "
                             "updated_at = ? WHERE id = ?"));
    u.addBindValue(pending);
    u.addBindValue(*step);
    u.addBindValue(m_ctx.now());
    u.addBindValue(actor.userId);
    if (auto s = storage::exec(u); !s)
        return fail(s.error());
    if (auto s = m_ctx.record(actor, QStringLiteral("auth.mfa_enabled"), QStringLiteral("user"), actor.userId); !s)
        return fail(s.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    m_ctx.sessions.invalidateUser(actor.userId);
    return codes;
}

Status AuthService::mfaDisable(const Actor &actor, const QString &codeOrRecovery, const QString &password)
{
    if (!actor.isUser())
        return fail(ErrorCode::Forbidden, QStringLiteral("Only a signed-in user can disable MFA"));
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return s;
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("SELECT u.password_hash, u.mfa_enabled, f.settings FROM users u JOIN firms f ON f.id = u.firm_id "
                             "WHERE u.id = ? AND u.firm_id = ?"));
    q.addBindValue(actor.userId);
    q.addBindValue(actor.firmId);
    if (auto s = storage::exec(q); !s)
        return s;
    if (!q.next())
        return fail(ErrorCode::NotFound, QStringLiteral("User not found"));
    const QString hash = q.value(0).toString();
    const bool enabled = q.value(1).toBool();
    const auto settings = FirmSettings::fromStored(QJsonDocument::fromJson(q.value(2).toString().toUtf8()).object());
    q.finish();
    if (!enabled)
        return fail(ErrorCode::Conflict, QStringLiteral("MFA is not enabled"));
    if (settings.mfaRequired)
        return fail(ErrorCode::BusinessRule, QStringLiteral("Your firm requires MFA; it cannot be disabled"));
    if (!crypto::verifyPassword(password, hash))
        return fail(ErrorCode::BusinessRule, QStringLiteral("The password is wrong"));
    bool recovery = false;
    if (!checkSecondFactor(actor.userId, codeOrRecovery, true, &recovery))
        return fail(ErrorCode::BusinessRule, QStringLiteral("The code is wrong"));
    QSqlQuery u(m_ctx.db.connection());
    u.prepare(QStringLiteral("UPDATE users SET mfa_enabled = 0, mfa_secret = NULL, mfa_pending_secret = NULL, updated_at = ? "
                             "WHERE id = ?"));
    u.addBindValue(m_ctx.now());
    u.addBindValue(actor.userId);
    if (auto s = storage::exec(u); !s)
        return s;
    QSqlQuery del(m_ctx.db.connection());
    del.prepare(QStringLiteral("DELETE FROM recovery_codes WHERE user_id = ?"));
    del.addBindValue(actor.userId);
    if (auto s = storage::exec(del); !s)
        return s;
    if (auto s = m_ctx.record(actor, QStringLiteral("auth.mfa_disabled"), QStringLiteral("user"), actor.userId,
                              {{QStringLiteral("with_recovery_code"), recovery}});
        !s)
        return s;
    return tx.commit();
}

Result<QList<Session>> AuthService::sessions(const Actor &actor)
{
    if (!actor.isUser())
        return fail(ErrorCode::Forbidden, QStringLiteral("Only a signed-in user has sessions"));
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(
        QStringLiteral("SELECT id, device, ip, created_at, last_used_at, expires_at FROM sessions "
                       "WHERE user_id = ? AND firm_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC"));
    q.addBindValue(actor.userId);
    q.addBindValue(actor.firmId);
    q.addBindValue(m_ctx.now());
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    QList<Session> out;
    while (q.next()) {
        Session s{q.value(0).toString(),
                  q.value(1).toString(),
                  q.value(2).toString(),
                  q.value(3).toString(),
                  q.value(4).toString(),
                  q.value(5).toString(),
                  false};
        s.current = s.id == actor.sessionId;
        out << s;
    }
    return out;
}

Status AuthService::revokeSession(const Actor &actor, const QString &sessionId)
{
    if (!actor.isUser())
        return fail(ErrorCode::Forbidden, QStringLiteral("Only a signed-in user has sessions"));
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return s;
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("SELECT id FROM sessions WHERE id = ? AND user_id = ? AND firm_id = ? AND revoked_at IS NULL"));
    q.addBindValue(sessionId);
    q.addBindValue(actor.userId);
    q.addBindValue(actor.firmId);
    if (auto s = storage::exec(q); !s)
        return s;
    if (!q.next())
        return fail(ErrorCode::NotFound, QStringLiteral("Session not found"));
    q.finish();
    if (auto s = revokeSessionRow(sessionId, QStringLiteral("revoked_by_user")); !s)
        return s;
    if (auto s = m_ctx.record(actor, QStringLiteral("auth.session_revoked"), QStringLiteral("session"), sessionId); !s)
        return s;
    return tx.commit();
}

Result<Actor> AuthService::authenticate(QStringView accessToken, const QString &ip)
{
    auto claims = m_ctx.tokens.verifyAccess(accessToken);
    if (!claims)
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid or expired token"));
    auto state = m_ctx.sessions.lookup(claims->sessionId);
    if (!state)
        return fail(state.error());
    if (!state->active || state->userId != claims->userId || state->firmId != claims->firmId)
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid or expired token"));
    m_ctx.sessions.touch(claims->sessionId, ip);
    Actor a;
    a.kind = Actor::Kind::User;
    a.firmId = state->firmId;
    a.userId = state->userId;
    a.sessionId = state->sessionId;
    a.role = state->role; // the current role, not the one at sign-in
    a.platformAdmin = state->platformAdmin;
    a.ip = ip;
    // The live state, not the token's claim: MFA set up a moment ago counts at once.
    if (state->mfaSetupRequired)
        a.scopes << QStringLiteral("mfa_setup_only");
    return a;
}

} // namespace kyc::identity
