#pragma once

#include "backend/identity/identitycontext.h"

namespace kyc::identity {

struct LoginInput {
    QString email;
    QString password;
    QString mfaCode;
    QString ip;
    QString device;
};

struct MfaSetup {
    QString secret; // base32
    QString otpauthUrl;
};

// Sign-in, tokens, password and MFA, sessions (operations 5–16).
class AuthService final
{
public:
    explicit AuthService(IdentityContext &ctx);

    [[nodiscard]] Result<SignIn> login(const LoginInput &in);
    [[nodiscard]] Result<SignIn> refresh(const QString &refreshToken, const QString &ip);
    [[nodiscard]] Status logout(const Actor &actor);
    [[nodiscard]] Result<std::pair<User, Firm>> me(const Actor &actor);
    // Always succeeds from the caller's point of view: no account enumeration.
    void forgotPassword(const QString &email, const QString &ip);
    [[nodiscard]] Status resetPassword(const QString &token, const QString &newPassword, const QString &ip);
    [[nodiscard]] Status changePassword(const Actor &actor, const QString &current, const QString &next);
    [[nodiscard]] Result<MfaSetup> mfaSetup(const Actor &actor);
    [[nodiscard]] Result<QStringList> mfaVerify(const Actor &actor, const QString &code);
    [[nodiscard]] Status mfaDisable(const Actor &actor, const QString &codeOrRecovery, const QString &password);
    [[nodiscard]] Result<QList<Session>> sessions(const Actor &actor);
    [[nodiscard]] Status revokeSession(const Actor &actor, const QString &sessionId);

    // The caller behind an access token, or Unauthenticated.
    [[nodiscard]] Result<Actor> authenticate(QStringView accessToken, const QString &ip);

    // Opens a session for a user who has just proven who they are (inside the caller's transaction).
    [[nodiscard]] Result<SignIn> openSession(const User &user, const QString &ip, const QString &device);
    // Revokes every open session of a user but `keepSessionId` (inside the caller's transaction).
    [[nodiscard]] Status revokeAllSessions(const QString &userId, const QString &reason, const QString &keepSessionId = {});
    [[nodiscard]] static Result<Firm> loadFirm(storage::Database &db, const QString &firmId);

    // Seals MFA secrets stored in clear by earlier versions (run once at open).
    [[nodiscard]] Status sealStoredMfaSecrets();

    static constexpr int kMaxFailures = 5;
    static constexpr qint64 kLockSeconds = 15 * 60;
    static constexpr qint64 kResetSeconds = 30 * 60;

private:
    Status checkSecondFactor(const QString &userId, const QString &code, bool allowRecovery, bool *usedRecovery);
    Status revokeSessionRow(const QString &sessionId, const QString &reason);
    // Marks every outstanding reset token of the user used (in the caller's transaction).
    Status endResetTokens(const QString &userId);
    // The raw TOTP secret from its sealed stored form, or nullopt.
    [[nodiscard]] std::optional<QByteArray> totpSecret(const QString &stored, const QString &userId) const;

    IdentityContext &m_ctx;
    QString m_dummyHash;
    // Profiles served by /auth/me, valid while the identity epoch has not moved.
    struct CachedProfile {
        quint64 epoch = 0;
        std::pair<User, Firm> profile;
    };
    QReadWriteLock m_profileLock;
    QHash<QString, CachedProfile> m_profiles; // compared against when an email is unknown, so timing does not tell
};

} // namespace kyc::identity
