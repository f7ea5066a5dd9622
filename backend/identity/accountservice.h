#pragma once

#include "backend/core/paging.h"
#include "backend/identity/authservice.h"

#include <functional>

namespace kyc::identity {

struct RegisterFirmInput {
    QString firmName;
    QString country;
    QString registrationNumber;
    QString adminEmail;
    QString adminPassword;
    QString adminName;
    QString ip;
};

struct UserFilter {
    QString role;
    QString status;
};

struct UserPatch {
    std::optional<QString> name;
    std::optional<Role> role;
    std::optional<QString> status;
};

struct InviteInput {
    QString email;
    QString name;
    Role role = Role::Viewer;
};

// Firms, their settings, team members and invitations (operations 17–35 but API keys).
class AccountService final
{
public:
    AccountService(IdentityContext &ctx, AuthService &auth);

    [[nodiscard]] Result<std::pair<Firm, SignIn>> registerFirm(const RegisterFirmInput &in);
    // Self-service sign-up that tells nobody whether an address has an account: valid input always
    // succeeds the same way. A new address is mailed a token that confirmRegistration() (reached
    // through acceptInvitation()) turns into the firm and its owner; an address with an account is
    // mailed a notice instead, and nothing is created.
    [[nodiscard]] Status requestRegistration(const RegisterFirmInput &in);
    [[nodiscard]] Result<SignIn> confirmRegistration(const QString &token, const QString &password, const QString &ip);
    // For operators (admin CLI, demo data): a firm and its owner without signing in.
    [[nodiscard]] Result<std::pair<Firm, User>> createFirm(const RegisterFirmInput &in, bool isOperator = false);
    [[nodiscard]] Result<User> createUser(const Actor &actor, const QString &email, const QString &name, Role role,
                                          const QString &password);
    [[nodiscard]] Result<Firm> currentFirm(const Actor &actor);
    [[nodiscard]] Result<Firm> updateFirm(const Actor &actor, const QJsonObject &patch);
    [[nodiscard]] Result<FirmSettings> settings(const Actor &actor);
    [[nodiscard]] Result<FirmSettings> updateSettings(const Actor &actor, const QJsonObject &patch);

    [[nodiscard]] Result<Page<User>> users(const Actor &actor, const UserFilter &filter, const PageRequest &page);
    [[nodiscard]] Result<User> user(const Actor &actor, const QString &userId);
    [[nodiscard]] Result<User> updateUser(const Actor &actor, const QString &userId, const UserPatch &patch);

    [[nodiscard]] Result<Invitation> invite(const Actor &actor, const InviteInput &in);
    [[nodiscard]] Result<Page<Invitation>> invitations(const Actor &actor, const PageRequest &page);
    [[nodiscard]] Status revokeInvitation(const Actor &actor, const QString &invitationId);
    [[nodiscard]] Result<SignIn> acceptInvitation(const QString &token, const QString &password, const QString &name,
                                                  const QString &ip);

    [[nodiscard]] Status setPlatformAdmin(const QString &email, bool on);

    // Checks the names of a screening_lists setting against the lists screening knows for the firm (set by
    // the Backend: identity knows no list); unknown names are field errors.
    using ListNameCheck = std::function<QList<FieldError>(const QString &firmId, const QStringList &names)>;
    void setListNameCheck(ListNameCheck check) { m_listNameCheck = std::move(check); }
    [[nodiscard]] Status resetMfa(const QString &email);

    static constexpr qint64 kInvitationSeconds = 72 * 3600;

private:
    Result<int> activeOwners(const QString &firmId);
    Result<std::pair<Firm, User>> createFirmChecked(const RegisterFirmInput &in, const QString &email, bool isOperator);

    IdentityContext &m_ctx;
    AuthService &m_auth;
    ListNameCheck m_listNameCheck;
};

} // namespace kyc::identity
