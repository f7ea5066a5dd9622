#include "backend/identity/accountservice.h"

#include "backend/core/ids.h"
#include "backend/core/json.h"
#include "backend/core/validation.h"
#include "backend/identity/permissions.h"
#include "backend/security/password.h"
#include "backend/storage/where.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace kyc::identity {

namespace {

User newActiveUser(const QString &firmId, const QString &email, const QString &name, Role role, const QString &now)
{
    User u;
    u.id = newId();
    u.firmId = firmId;
    u.email = email;
    u.name = name;
    u.role = role;
    u.status = QStringLiteral("active");
    u.createdAt = u.updatedAt = now;
    return u;
}

// Emails are unique across firms: they are how people sign in.
Status requireNewEmail(storage::Database &db, const QString &email)
{
    QSqlQuery dup(db.connection());
    dup.prepare(QStringLiteral("SELECT 1 FROM users WHERE email = ?"));
    dup.addBindValue(email);
    if (auto s = storage::exec(dup); !s)
        return s;
    if (dup.next())
        return fail(ErrorCode::Conflict, QStringLiteral("An account with this email already exists"));
    return {};
}

bool isCountry(const QString &c)
{
    return isCountryCode(c);
}

QString text(const QJsonObject &o)
{
    return o.isEmpty() ? QString() : QString::fromUtf8(json::compact(o));
}

Invitation readInvitation(const QSqlQuery &q, const QString &now)
{
    Invitation i;
    i.id = q.value(0).toString();
    i.email = q.value(1).toString();
    i.name = q.value(2).toString();
    parseRole(q.value(3).toString(), &i.role);
    i.invitedBy = q.value(4).toString();
    i.createdAt = q.value(5).toString();
    i.expiresAt = q.value(6).toString();
    i.status = !q.value(7).isNull() ? QStringLiteral("accepted")
        : !q.value(8).isNull()      ? QStringLiteral("revoked")
        : i.expiresAt <= now        ? QStringLiteral("expired")
                                    : QStringLiteral("pending");
    return i;
}

} // namespace

AccountService::AccountService(IdentityContext &ctx, AuthService &auth)
    : m_ctx(ctx)
    , m_auth(auth)
{
}

namespace {
QList<FieldError> registrationProblems(const RegisterFirmInput &in, const QString &email);
}

Result<std::pair<Firm, User>> AccountService::createFirm(const RegisterFirmInput &in, bool isOperator)
{
    const QString email = in.adminEmail.trimmed().toLower();
    const QList<FieldError> errors = registrationProblems(in, email);
    if (!errors.isEmpty())
        return fail(Error::validation(errors));
    return createFirmChecked(in, email, isOperator);
}

namespace {
QList<FieldError> registrationProblems(const RegisterFirmInput &in, const QString &email)
{
    QList<FieldError> errors;
    if (in.firmName.trimmed().isEmpty() || in.firmName.size() > 200)
        errors << FieldError{QStringLiteral("firm_name"), QStringLiteral("firm_name must be 1 to 200 characters long")};
    if (!isCountry(in.country))
        errors << FieldError{QStringLiteral("country"), QStringLiteral("country must be an ISO 3166-1 alpha-2 code such as GB")};
    // The contract's limit (POST /firms/register in resources/openapi/operations.json).
    if (in.registrationNumber.size() > 100)
        errors << FieldError{QStringLiteral("registration_number"),
                             QStringLiteral("registration_number must be at most 100 characters long")};
    if (!isValidEmail(email))
        errors << FieldError{QStringLiteral("admin_email"), QStringLiteral("admin_email must be a valid email")};
    if (auto p = passwordProblem(in.adminPassword, email))
        errors << FieldError{QStringLiteral("admin_password"),
                             QString(*p).replace(QStringLiteral("password"), QStringLiteral("admin_password"))};
    if (in.adminName.trimmed().isEmpty() || in.adminName.size() > 200)
        errors << FieldError{QStringLiteral("admin_name"), QStringLiteral("admin_name must be 1 to 200 characters long")};
    return errors;
}
} // namespace

Result<std::pair<Firm, User>> AccountService::createFirmChecked(const RegisterFirmInput &in, const QString &email,
                                                                bool isOperator)
{
    auto hash = crypto::hashPassword(in.adminPassword);
    if (!hash)
        return fail(hash.error());

    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    QSqlQuery dup(m_ctx.db.connection());
    dup.prepare(QStringLiteral("SELECT (SELECT COUNT(*) FROM users WHERE email = ?), "
                               "(SELECT COUNT(*) FROM firms WHERE (name_key = ? AND country = ?) OR "
                               "(registration_number IS NOT NULL AND registration_number = ? AND country = ?))"));
    dup.addBindValue(email);
    dup.addBindValue(in.firmName.trimmed().toLower());
    dup.addBindValue(in.country);
    dup.addBindValue(in.registrationNumber.trimmed());
    dup.addBindValue(in.country);
    if (auto s = storage::exec(dup); !s || !dup.next())
        return fail(Error::internal(QStringLiteral("duplicate check failed")));
    if (dup.value(0).toInt() > 0)
        return fail(ErrorCode::Conflict, QStringLiteral("An account with this email already exists"));
    if (dup.value(1).toInt() > 0)
        return fail(ErrorCode::Conflict,
                    QStringLiteral("A firm with this name or registration number is already registered in this country"));
    dup.finish();

    Firm f;
    f.id = newId();
    f.name = in.firmName.trimmed();
    f.country = in.country;
    f.registrationNumber = in.registrationNumber.trimmed();
    f.createdAt = f.updatedAt = m_ctx.now();
    QSqlQuery fi(m_ctx.db.connection());
    fi.prepare(
        QStringLiteral("INSERT INTO firms (id, name, name_key, country, registration_number, settings, is_operator, created_at, "
                       "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    fi.addBindValue(f.id);
    fi.addBindValue(f.name);
    fi.addBindValue(f.name.toLower());
    fi.addBindValue(f.country);
    fi.addBindValue(nullIfEmpty(f.registrationNumber));
    fi.addBindValue(text(f.settings.toJson()));
    fi.addBindValue(isOperator ? 1 : 0);
    fi.addBindValue(f.createdAt);
    fi.addBindValue(f.updatedAt);
    if (auto s = storage::exec(fi); !s)
        return fail(s.error());

    const User u = newActiveUser(f.id, email, in.adminName.trimmed(), Role::Owner, m_ctx.now());
    if (auto s = insertUser(m_ctx.db, u, *hash); !s)
        return fail(s.error());
    Actor actor;
    actor.kind = Actor::Kind::User;
    actor.firmId = f.id;
    actor.userId = u.id;
    actor.role = Role::Owner;
    actor.ip = in.ip;
    if (auto s = m_ctx.record(
            actor, QStringLiteral("firm.registered"), QStringLiteral("firm"), f.id,
            {{QStringLiteral("name"), f.name}, {QStringLiteral("country"), f.country}, {QStringLiteral("owner"), u.email}});
        !s)
        return fail(s.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    return std::pair{f, u};
}

Result<std::pair<Firm, SignIn>> AccountService::registerFirm(const RegisterFirmInput &in)
{
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    auto created = createFirm(in);
    if (!created)
        return fail(created.error());
    auto signIn = m_auth.openSession(created->second, in.ip, QString());
    if (!signIn)
        return fail(signIn.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    return std::pair{created->first, *signIn};
}

Status AccountService::requestRegistration(const RegisterFirmInput &in)
{
    const QString email = in.adminEmail.trimmed().toLower();
    if (const QList<FieldError> errors = registrationProblems(in, email); !errors.isEmpty())
        return fail(Error::validation(errors));
    // Hashed on both paths, so the time taken does not tell whether the address has an account.
    auto hash = crypto::hashPassword(in.adminPassword);
    if (!hash)
        return fail(hash.error());
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return s;
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("SELECT id, firm_id, name FROM users WHERE email = ?"));
    q.addBindValue(email);
    if (auto s = storage::exec(q); !s)
        return s;
    if (q.next()) {
        // Taken: the answer is the same; the account's owner is told, and nothing is created.
        const QString userId = q.value(0).toString(), firmId = q.value(1).toString(), name = q.value(2).toString();
        q.finish();
        const QString body
            = QStringLiteral("Hello %1,\n\nsomeone asked to register the firm \"%2\" on KYConnect with this address, which "
                             "already has an account. Nothing was created.\n\nIf it was you, sign in instead, or reset your "
                             "password (POST /api/v1/auth/forgot-password) if you have forgotten it. If it was not you, you "
                             "need not do anything.\n")
                  .arg(name, in.firmName.trimmed());
        if (auto s = m_ctx.outbox.queue(firmId, email, QStringLiteral("A KYConnect registration with your address"), body,
                                        QStringLiteral("registration_notice"));
            !s)
            return s;
        if (!m_ctx.audit.append({firmId, QStringLiteral("anonymous"), QString(), QStringLiteral("firm.registration_refused"),
                                 QStringLiteral("user"), userId, in.ip,
                                 QJsonObject{{QStringLiteral("reason"), QStringLiteral("email_taken")}}}))
            return fail(Error::internal(QStringLiteral("audit append failed")));
    } else {
        q.finish();
        auto token = newSecretToken();
        if (!token)
            return fail(token.error());
        const QString id = newId();
        QSqlQuery ins(m_ctx.db.connection());
        ins.prepare(QStringLiteral("INSERT INTO firm_registrations (id, email, firm_name, country, registration_number, "
                                   "admin_name, password_hash, token_hash, ip, created_at, expires_at) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        for (const QVariant &v : {QVariant(id), QVariant(email), QVariant(in.firmName.trimmed()), QVariant(in.country),
                                  nullIfEmpty(in.registrationNumber.trimmed()), QVariant(in.adminName.trimmed()), QVariant(*hash),
                                  QVariant(tokenHash(*token)), nullIfEmpty(in.ip), QVariant(m_ctx.now()),
                                  QVariant(m_ctx.inSeconds(kInvitationSeconds))})
            ins.addBindValue(v);
        if (auto s = storage::exec(ins); !s)
            return s;
        const QString body
            = QStringLiteral("Hello %1,\n\nto finish registering \"%2\" on KYConnect, confirm this address within 72 hours "
                             "with this single-use token and the password you chose:\n\n    %3\n\n"
                             "POST /api/v1/users/invitations/accept {\"token\": \"…\", \"password\": \"…\"}\n\n"
                             "If you did not ask for this, ignore this message; nothing is created.\n")
                  .arg(in.adminName.trimmed(), in.firmName.trimmed(), *token);
        if (auto s = m_ctx.outbox.queue(QString(), email, QStringLiteral("Confirm your KYConnect registration"), body,
                                        QStringLiteral("registration"));
            !s)
            return s;
        if (!m_ctx.audit.append(
                {QString(), QStringLiteral("anonymous"), QString(), QStringLiteral("firm.registration_requested"),
                 QStringLiteral("firm_registration"), id, in.ip,
                 QJsonObject{{QStringLiteral("firm_name"), in.firmName.trimmed()}, {QStringLiteral("country"), in.country}}}))
            return fail(Error::internal(QStringLiteral("audit append failed")));
    }
    if (auto s = tx.commit(); !s)
        return s;
    m_ctx.outbox.flush();
    return {};
}

Result<SignIn> AccountService::confirmRegistration(const QString &token, const QString &password, const QString &ip)
{
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("SELECT id, email, firm_name, country, registration_number, admin_name, password_hash, expires_at, "
                             "confirmed_at FROM firm_registrations WHERE token_hash = ?"));
    q.addBindValue(tokenHash(token));
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next() || !q.value(8).isNull() || q.value(7).toString() <= m_ctx.now())
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid or expired invitation token"));
    const QString id = q.value(0).toString();
    RegisterFirmInput in{q.value(2).toString(),
                         q.value(3).toString(),
                         q.value(4).toString(),
                         q.value(1).toString(),
                         password,
                         q.value(5).toString(),
                         ip};
    const QString hash = q.value(6).toString();
    q.finish();
    // The token proves the address; the password proves the same person registered.
    if (!crypto::verifyPassword(password, hash))
        return fail(ErrorCode::Unauthenticated, QStringLiteral("The password is not the one chosen at registration"));
    auto created = createFirm(in);
    if (!created)
        return fail(created.error());
    QSqlQuery done(m_ctx.db.connection());
    done.prepare(QStringLiteral("UPDATE firm_registrations SET confirmed_at = ? WHERE id = ?"));
    done.addBindValue(m_ctx.now());
    done.addBindValue(id);
    if (auto s = storage::exec(done); !s)
        return fail(s.error());
    auto signIn = m_auth.openSession(created->second, ip, QString());
    if (!signIn)
        return fail(signIn.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    return signIn;
}

Result<User> AccountService::createUser(const Actor &actor, const QString &emailIn, const QString &name, Role role,
                                        const QString &password)
{
    if (auto s = require(actor, Permission::UsersManage); !s)
        return fail(s.error());
    if (role == Role::Owner && !actor.atLeast(Role::Owner) && actor.kind != Actor::Kind::System)
        return fail(ErrorCode::Forbidden, QStringLiteral("Only an owner can make an owner"));
    const QString email = emailIn.trimmed().toLower();
    QList<FieldError> errors;
    if (!isValidEmail(email))
        errors << FieldError{QStringLiteral("email"), QStringLiteral("email must be a valid email")};
    if (name.trimmed().isEmpty() || name.size() > 200)
        errors << FieldError{QStringLiteral("name"), QStringLiteral("name must be 1 to 200 characters long")};
    if (auto p = passwordProblem(password, email))
        errors << FieldError{QStringLiteral("password"), *p};
    if (!errors.isEmpty())
        return fail(Error::validation(errors));
    auto hash = crypto::hashPassword(password);
    if (!hash)
        return fail(hash.error());
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    // A clear answer for an unknown firm (the admin CLI names it), not a foreign-key failure.
    if (auto firm = AuthService::loadFirm(m_ctx.db, actor.firmId); !firm)
        return fail(firm.error().code == ErrorCode::NotFound
                        ? Error::make(ErrorCode::NotFound, QStringLiteral("No firm has the id %1").arg(actor.firmId))
                        : firm.error());
    if (auto s = requireNewEmail(m_ctx.db, email); !s)
        return fail(s.error());
    const User u = newActiveUser(actor.firmId, email, name.trimmed(), role, m_ctx.now());
    if (auto s = insertUser(m_ctx.db, u, *hash); !s)
        return fail(s.error());
    if (auto s = m_ctx.record(actor, QStringLiteral("user.created"), QStringLiteral("user"), u.id,
                              {{QStringLiteral("email"), u.email}, {QStringLiteral("role"), roleName(role)}});
        !s)
        return fail(s.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    return u;
}

Result<Firm> AccountService::currentFirm(const Actor &actor)
{
    if (auto s = requireOrScope(actor, Permission::FirmRead, QString()); !s && actor.kind != Actor::Kind::ApiKey)
        return fail(s.error());
    return AuthService::loadFirm(m_ctx.db, actor.firmId);
}

Result<Firm> AccountService::updateFirm(const Actor &actor, const QJsonObject &patch)
{
    if (auto s = require(actor, Permission::FirmUpdate); !s)
        return fail(s.error());
    Validator v(patch);
    v.only({QStringLiteral("name"), QStringLiteral("address"), QStringLiteral("contact"), QStringLiteral("logo_storage_key"),
            QStringLiteral("logo")});
    // null clears an optional field; the name is required, so null is refused for it.
    if (patch.contains(QStringLiteral("name")) && patch.value(QStringLiteral("name")).isNull())
        v.add(QStringLiteral("name"), QStringLiteral("name must not be null: a firm keeps a name"));
    const auto name = v.string(QStringLiteral("name"), false, 1, 200);
    // An object of strings (null values drop the key); nullopt when absent, an empty object for null.
    auto objectField
        = [&](const QString &field, const QStringList &keys, const QStringList &required) -> std::optional<QJsonObject> {
        if (!patch.contains(field))
            return std::nullopt;
        const QJsonValue val = patch.value(field);
        if (val.isNull())
            return QJsonObject();
        if (!val.isObject()) {
            v.add(field, QStringLiteral("%1 must be an object").arg(field));
            return std::nullopt;
        }
        QJsonObject o;
        const QJsonObject in = val.toObject();
        for (auto it = in.begin(); it != in.end(); ++it) {
            const QString sub = field + u'.' + it.key();
            if (!keys.contains(it.key()))
                v.add(sub, QStringLiteral("property %1 should not exist").arg(sub));
            else if (it.value().isNull())
                continue;
            else if (!it.value().isString() || it.value().toString().trimmed().isEmpty())
                v.add(sub, QStringLiteral("%1 must be a non-empty string").arg(sub));
            else if (it.value().toString().trimmed().size() > 200)
                v.add(sub, QStringLiteral("%1 must be at most 200 characters long").arg(sub));
            else
                o.insert(it.key(), it.value().toString().trimmed());
        }
        for (const auto &r : required) {
            if (!o.contains(r))
                v.add(field + u'.' + r, QStringLiteral("%1.%2 is required").arg(field, r));
        }
        return o;
    };
    const auto address = objectField(QStringLiteral("address"),
                                     {QStringLiteral("line1"), QStringLiteral("line2"), QStringLiteral("city"),
                                      QStringLiteral("postal_code"), QStringLiteral("region"), QStringLiteral("country")},
                                     {QStringLiteral("line1"), QStringLiteral("city"), QStringLiteral("country")});
    if (address && address->value(QStringLiteral("postal_code")).toString().size() > 20)
        v.add(QStringLiteral("address.postal_code"), QStringLiteral("address.postal_code must be at most 20 characters long"));
    if (address && address->contains(QStringLiteral("country"))
        && !isCountryCode(address->value(QStringLiteral("country")).toString()))
        v.add(QStringLiteral("address.country"),
              QStringLiteral("address.country must be an assigned ISO 3166-1 alpha-2 country code such as GB"));
    const auto contact
        = objectField(QStringLiteral("contact"),
                      {QStringLiteral("email"), QStringLiteral("phone"), QStringLiteral("name"), QStringLiteral("website")}, {});
    if (contact && contact->contains(QStringLiteral("email"))
        && !isValidEmail(contact->value(QStringLiteral("email")).toString()))
        v.add(QStringLiteral("contact.email"), QStringLiteral("contact.email must be a valid email"));
    static const QRegularExpression phone(QStringLiteral("^\\+[1-9][0-9]{6,14}$"));
    if (contact && contact->contains(QStringLiteral("phone"))
        && !phone.match(contact->value(QStringLiteral("phone")).toString()).hasMatch())
        v.add(QStringLiteral("contact.phone"), QStringLiteral("contact.phone must be in E.164 form, e.g. +441632960961"));
    // The logo is an object this firm uploaded, named by its storage key (no path, no "..").
    const QString logoField
        = patch.contains(QStringLiteral("logo_storage_key")) ? QStringLiteral("logo_storage_key") : QStringLiteral("logo");
    std::optional<QString> logo;
    if (patch.contains(logoField) && patch.value(logoField).isNull()) {
        logo = QString();
    } else if ((logo = v.string(logoField, false, 1, 255))) {
        static const QRegularExpression key(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$"));
        if (!key.match(*logo).hasMatch()) {
            v.add(logoField, QStringLiteral("%1 must be a storage key (letters, digits, '.', '_', '-'; no '/')").arg(logoField));
            logo.reset();
        }
    }
    if (!v.ok())
        return fail(v.error());
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    if (logo && !logo->isEmpty()) {
        QSqlQuery obj(m_ctx.db.connection());
        obj.prepare(QStringLiteral("SELECT 1 FROM storage_objects WHERE firm_id = ? AND object_key = ?"));
        obj.addBindValue(actor.firmId);
        obj.addBindValue(*logo);
        if (auto s = storage::exec(obj); !s)
            return fail(s.error());
        if (!obj.next())
            return fail(ErrorCode::NotFound, QStringLiteral("No uploaded object has the storage key %1").arg(*logo));
    }
    auto before = AuthService::loadFirm(m_ctx.db, actor.firmId);
    if (!before)
        return fail(before.error());
    Firm f = *before;
    if (name)
        f.name = *name;
    if (address)
        f.address = *address;
    if (contact)
        f.contact = *contact;
    if (logo)
        f.logoStorageKey = *logo;
    f.updatedAt = m_ctx.now();
    QSqlQuery u(m_ctx.db.connection());
    u.prepare(
        QStringLiteral("UPDATE firms SET name = ?, name_key = ?, address = ?, contact = ?, logo_storage_key = ?, updated_at = ? "
                       "WHERE id = ?"));
    for (const QVariant &val :
         {QVariant(f.name), QVariant(f.name.toLower()), nullIfEmpty(text(f.address)), nullIfEmpty(text(f.contact)),
          nullIfEmpty(f.logoStorageKey), QVariant(f.updatedAt), QVariant(f.id)})
        u.addBindValue(val);
    if (auto s = storage::exec(u); !s)
        return fail(Error::make(ErrorCode::Conflict, QStringLiteral("Another firm in this country already has that name")));
    if (auto s = m_ctx.record(actor, QStringLiteral("firm.updated"), QStringLiteral("firm"), f.id,
                              {{QStringLiteral("changed"), QJsonArray::fromStringList(patch.keys())},
                               {QStringLiteral("before_name"), before->name},
                               {QStringLiteral("after_name"), f.name}});
        !s)
        return fail(s.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    return f;
}

Result<FirmSettings> AccountService::settings(const Actor &actor)
{
    if (auto s = require(actor, Permission::SettingsRead); !s)
        return fail(s.error());
    auto f = AuthService::loadFirm(m_ctx.db, actor.firmId);
    if (!f)
        return fail(f.error());
    return f->settings;
}

Result<FirmSettings> AccountService::updateSettings(const Actor &actor, const QJsonObject &patch)
{
    if (auto s = require(actor, Permission::SettingsUpdate); !s)
        return fail(s.error());
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    auto f = AuthService::loadFirm(m_ctx.db, actor.firmId);
    if (!f)
        return fail(f.error());
    auto next = f->settings.patched(patch);
    if (!next)
        return fail(next.error());
    if (m_listNameCheck && patch.contains(QStringLiteral("screening_lists"))) {
        // A typo ("sanction") would leave every screening covering no list: refused, not stored.
        if (const auto errors = m_listNameCheck(actor.firmId, next->screeningLists); !errors.isEmpty())
            return fail(Error::validation(errors));
    }
    QSqlQuery u(m_ctx.db.connection());
    u.prepare(QStringLiteral("UPDATE firms SET settings = ?, updated_at = ? WHERE id = ?"));
    u.addBindValue(text(next->toJson()));
    u.addBindValue(m_ctx.now());
    u.addBindValue(actor.firmId);
    if (auto s = storage::exec(u); !s)
        return fail(s.error());
    if (auto s = m_ctx.record(actor, QStringLiteral("firm.settings_updated"), QStringLiteral("firm"), actor.firmId,
                              {{QStringLiteral("before"), f->settings.toJson()}, {QStringLiteral("after"), next->toJson()}});
        !s)
        return fail(s.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    // mfa_required is read per session: sessions of the firm see the new value at their next request.
    m_ctx.sessions.invalidateFirm(actor.firmId);
    return *next;
}

Result<Page<User>> AccountService::users(const Actor &actor, const UserFilter &filter, const PageRequest &page)
{
    if (auto s = require(actor, Permission::UsersRead); !s)
        return fail(s.error());
    storage::Where where(QStringLiteral("firm_id = ?"), actor.firmId);
    where.equalIfSet(QStringLiteral("role"), filter.role).equalIfSet(QStringLiteral("status"), filter.status);
    auto total = storage::countRows(m_ctx.db, QStringLiteral("FROM users"), where);
    if (!total)
        return fail(total.error());
    auto q = storage::pageRows(m_ctx.db, QStringLiteral("SELECT %1 FROM users").arg(QLatin1String(kUserColumns)), where,
                               QStringLiteral("created_at, id"), page);
    if (!q)
        return fail(q.error());
    Page<User> out{{}, page, *total};
    while (q->next())
        out.items << readUser(*q);
    return out;
}

Result<User> AccountService::user(const Actor &actor, const QString &userId)
{
    const bool self = actor.isUser() && actor.userId == userId;
    if (!self) {
        if (auto s = require(actor, Permission::UsersRead); !s)
            return fail(s.error());
    }
    return loadUser(m_ctx.db, actor.firmId, userId);
}

Result<int> AccountService::activeOwners(const QString &firmId)
{
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("SELECT COUNT(*) FROM users WHERE firm_id = ? AND role = 'owner' AND status = 'active'"));
    q.addBindValue(firmId);
    if (auto s = storage::exec(q); !s || !q.next())
        return fail(Error::internal(QStringLiteral("owner count failed")));
    return q.value(0).toInt();
}

Result<User> AccountService::updateUser(const Actor &actor, const QString &userId, const UserPatch &patch)
{
    if (auto s = require(actor, Permission::UsersManage); !s)
        return fail(s.error());
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    auto before = loadUser(m_ctx.db, actor.firmId, userId);
    if (!before)
        return fail(before.error());
    const bool callerIsOwner = actor.kind == Actor::Kind::System || actor.atLeast(Role::Owner);
    // Owners are managed by owners only: promoting to, demoting from, or deactivating an owner.
    if ((before->role == Role::Owner || (patch.role && *patch.role == Role::Owner)) && !callerIsOwner
        && (patch.role || patch.status))
        return fail(ErrorCode::Forbidden, QStringLiteral("Only an owner can make, demote or deactivate an owner"));
    User after = *before;
    if (patch.name)
        after.name = *patch.name;
    if (patch.role)
        after.role = *patch.role;
    if (patch.status)
        after.status = *patch.status;
    const bool losesOwner = before->role == Role::Owner && before->status == QStringLiteral("active")
        && (after.role != Role::Owner || after.status != QStringLiteral("active"));
    if (losesOwner) {
        auto owners = activeOwners(actor.firmId);
        if (!owners)
            return fail(owners.error());
        if (*owners <= 1)
            return fail(ErrorCode::BusinessRule, QStringLiteral("The last owner can be neither demoted nor deactivated"));
    }
    after.updatedAt = m_ctx.now();
    QSqlQuery u(m_ctx.db.connection());
    u.prepare(QStringLiteral("UPDATE users SET name = ?, role = ?, status = ?, updated_at = ? WHERE id = ? AND firm_id = ?"));
    for (const QVariant &v : {QVariant(after.name), QVariant(roleName(after.role)), QVariant(after.status),
                              QVariant(after.updatedAt), QVariant(userId), QVariant(actor.firmId)})
        u.addBindValue(v);
    if (auto s = storage::exec(u); !s)
        return fail(s.error());
    if (before->status == QStringLiteral("active") && after.status == QStringLiteral("deactivated")) {
        if (auto s = m_auth.revokeAllSessions(userId, QStringLiteral("deactivated")); !s)
            return fail(s.error());
    }
    QJsonObject details;
    if (after.name != before->name)
        details.insert(QStringLiteral("name"),
                       QJsonObject{{QStringLiteral("before"), before->name}, {QStringLiteral("after"), after.name}});
    if (after.role != before->role)
        details.insert(
            QStringLiteral("role"),
            QJsonObject{{QStringLiteral("before"), roleName(before->role)}, {QStringLiteral("after"), roleName(after.role)}});
    if (after.status != before->status)
        details.insert(QStringLiteral("status"),
                       QJsonObject{{QStringLiteral("before"), before->status}, {QStringLiteral("after"), after.status}});
    const QString action = after.status != before->status
        ? (after.status == QStringLiteral("active") ? QStringLiteral("user.reactivated") : QStringLiteral("user.deactivated"))
        : after.role != before->role ? QStringLiteral("user.role_changed")
                                     : QStringLiteral("user.updated");
    if (auto s = m_ctx.record(actor, action, QStringLiteral("user"), userId, details); !s)
        return fail(s.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    m_ctx.sessions.invalidateUser(userId);
    return after;
}

Result<Invitation> AccountService::invite(const Actor &actor, const InviteInput &in)
{
    if (auto s = require(actor, Permission::UsersManage); !s)
        return fail(s.error());
    if (in.role == Role::Owner && !(actor.kind == Actor::Kind::System || actor.atLeast(Role::Owner)))
        return fail(ErrorCode::Forbidden, QStringLiteral("Only an owner may invite an owner"));
    const QString email = in.email.trimmed().toLower();
    auto token = newSecretToken();
    if (!token)
        return fail(token.error());
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    QSqlQuery dup(m_ctx.db.connection());
    dup.prepare(
        QStringLiteral("SELECT (SELECT COUNT(*) FROM users WHERE email = ?), (SELECT COUNT(*) FROM invitations WHERE firm_id = ? "
                       "AND email = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?)"));
    dup.addBindValue(email);
    dup.addBindValue(actor.firmId);
    dup.addBindValue(email);
    dup.addBindValue(m_ctx.now());
    if (auto s = storage::exec(dup); !s || !dup.next())
        return fail(Error::internal(QStringLiteral("duplicate check failed")));
    if (dup.value(0).toInt() > 0)
        return fail(ErrorCode::Conflict, QStringLiteral("An account with this email already exists"));
    if (dup.value(1).toInt() > 0)
        return fail(ErrorCode::Conflict, QStringLiteral("A pending invitation for this email already exists"));
    dup.finish();
    Invitation i;
    i.id = newId();
    i.email = email;
    i.name = in.name.trimmed();
    i.role = in.role;
    i.invitedBy = actor.userId;
    i.createdAt = m_ctx.now();
    i.expiresAt = m_ctx.inSeconds(kInvitationSeconds);
    i.status = QStringLiteral("pending");
    QSqlQuery ins(m_ctx.db.connection());
    ins.prepare(
        QStringLiteral("INSERT INTO invitations (id, firm_id, email, name, role, token_hash, invited_by, created_at, expires_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const QVariant &v :
         {QVariant(i.id), QVariant(actor.firmId), QVariant(i.email), QVariant(i.name), QVariant(roleName(i.role)),
          QVariant(tokenHash(*token)), QVariant(actor.actorId()), QVariant(i.createdAt), QVariant(i.expiresAt)})
        ins.addBindValue(v);
    if (auto s = storage::exec(ins); !s)
        return fail(s.error());
    auto firm = AuthService::loadFirm(m_ctx.db, actor.firmId);
    const QString body = QStringLiteral("Hello %1,\n\nyou have been invited to join %2 on KYConnect as %3.\n"
                                        "Accept within 72 hours with this single-use token:\n\n    %4\n\n"
                                        "POST /api/v1/users/invitations/accept {\"token\": \"…\", \"password\": \"…\"}\n")
                             .arg(i.name, firm ? firm->name : QString(), roleName(i.role), *token);
    if (auto s = m_ctx.outbox.queue(actor.firmId, i.email, QStringLiteral("You are invited to KYConnect"), body,
                                    QStringLiteral("invitation"));
        !s)
        return fail(s.error());
    if (auto s = m_ctx.record(actor, QStringLiteral("user.invited"), QStringLiteral("invitation"), i.id,
                              {{QStringLiteral("email"), i.email}, {QStringLiteral("role"), roleName(i.role)}});
        !s)
        return fail(s.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    m_ctx.outbox.flush();
    return i;
}

Result<Page<Invitation>> AccountService::invitations(const Actor &actor, const PageRequest &page)
{
    if (auto s = require(actor, Permission::UsersRead); !s)
        return fail(s.error());
    const QString where
        = QStringLiteral(" FROM invitations WHERE firm_id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?");
    QSqlQuery c(m_ctx.db.connection());
    c.prepare(QStringLiteral("SELECT COUNT(*)") + where);
    c.addBindValue(actor.firmId);
    c.addBindValue(m_ctx.now());
    if (auto s = storage::exec(c); !s || !c.next())
        return fail(Error::internal(QStringLiteral("count failed")));
    Page<Invitation> out;
    out.request = page;
    out.total = c.value(0).toLongLong();
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("SELECT id, email, name, role, invited_by, created_at, expires_at, accepted_at, revoked_at") + where
              + QStringLiteral(" ORDER BY created_at DESC LIMIT ? OFFSET ?"));
    q.addBindValue(actor.firmId);
    q.addBindValue(m_ctx.now());
    q.addBindValue(page.limit);
    q.addBindValue(page.offset());
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    while (q.next())
        out.items << readInvitation(q, m_ctx.now());
    return out;
}

Status AccountService::revokeInvitation(const Actor &actor, const QString &invitationId)
{
    if (auto s = require(actor, Permission::UsersManage); !s)
        return s;
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return s;
    QSqlQuery u(m_ctx.db.connection());
    u.prepare(QStringLiteral(
        "UPDATE invitations SET revoked_at = ? WHERE id = ? AND firm_id = ? AND accepted_at IS NULL AND revoked_at IS NULL"));
    u.addBindValue(m_ctx.now());
    u.addBindValue(invitationId);
    u.addBindValue(actor.firmId);
    if (auto s = storage::exec(u); !s)
        return s;
    if (u.numRowsAffected() != 1)
        return fail(ErrorCode::NotFound, QStringLiteral("Invitation not found"));
    if (auto s = m_ctx.record(actor, QStringLiteral("user.invitation_revoked"), QStringLiteral("invitation"), invitationId); !s)
        return s;
    return tx.commit();
}

Result<SignIn> AccountService::acceptInvitation(const QString &token, const QString &password, const QString &nameIn,
                                                const QString &ip)
{
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral(
        "SELECT id, firm_id, email, name, role, expires_at, accepted_at, revoked_at FROM invitations WHERE token_hash = ?"));
    q.addBindValue(tokenHash(token));
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next()) {
        // Not an invitation: perhaps the confirmation of a self-service registration.
        q.finish();
        tx.rollback();
        return confirmRegistration(token, password, ip);
    }
    if (!q.value(6).isNull() || !q.value(7).isNull() || q.value(5).toString() <= m_ctx.now())
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Invalid or expired invitation token"));
    const QString invitationId = q.value(0).toString(), firmId = q.value(1).toString(), email = q.value(2).toString();
    const QString name = nameIn.trimmed().isEmpty() ? q.value(3).toString() : nameIn.trimmed();
    Role role = Role::Viewer;
    parseRole(q.value(4).toString(), &role);
    q.finish();
    if (auto p = passwordProblem(password, email))
        return fail(Error::validation(QStringLiteral("password"), *p));
    auto hash = crypto::hashPassword(password);
    if (!hash)
        return fail(hash.error());
    if (auto s = requireNewEmail(m_ctx.db, email); !s)
        return fail(s.error());
    const User u = newActiveUser(firmId, email, name, role, m_ctx.now());
    if (auto s = insertUser(m_ctx.db, u, *hash); !s)
        return fail(s.error());
    QSqlQuery acc(m_ctx.db.connection());
    acc.prepare(QStringLiteral("UPDATE invitations SET accepted_at = ? WHERE id = ?"));
    acc.addBindValue(m_ctx.now());
    acc.addBindValue(invitationId);
    if (auto s = storage::exec(acc); !s)
        return fail(s.error());
    Actor actor;
    actor.kind = Actor::Kind::User;
    actor.firmId = firmId;
    actor.userId = u.id;
    actor.role = role;
    actor.ip = ip;
    if (auto s = m_ctx.record(actor, QStringLiteral("user.invitation_accepted"), QStringLiteral("user"), u.id,
                              {{QStringLiteral("invitation_id"), invitationId}, {QStringLiteral("role"), roleName(role)}});
        !s)
        return fail(s.error());
    auto signIn = m_auth.openSession(u, ip, QString());
    if (!signIn)
        return fail(signIn.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    return signIn;
}

Status AccountService::setPlatformAdmin(const QString &email, bool on)
{
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return s;
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(
        QStringLiteral("SELECT u.id, u.firm_id, f.is_operator FROM users u JOIN firms f ON f.id = u.firm_id WHERE u.email = ?"));
    q.addBindValue(email.trimmed().toLower());
    if (auto s = storage::exec(q); !s)
        return s;
    if (!q.next())
        return fail(ErrorCode::NotFound, QStringLiteral("No user with that email"));
    const QString userId = q.value(0).toString(), firmId = q.value(1).toString();
    if (on && !q.value(2).toBool())
        return fail(
            ErrorCode::BusinessRule,
            QStringLiteral("Platform admins must belong to the operator firm (create it with admin create-firm --operator)"));
    q.finish();
    QSqlQuery u(m_ctx.db.connection());
    u.prepare(QStringLiteral("UPDATE users SET platform_admin = ?, updated_at = ? WHERE id = ?"));
    u.addBindValue(on ? 1 : 0);
    u.addBindValue(m_ctx.now());
    u.addBindValue(userId);
    if (auto s = storage::exec(u); !s)
        return s;
    if (auto s = m_ctx.record(Actor::system(firmId),
                              on ? QStringLiteral("user.platform_admin_granted") : QStringLiteral("user.platform_admin_revoked"),
                              QStringLiteral("user"), userId);
        !s)
        return s;
    if (auto s = tx.commit(); !s)
        return s;
    m_ctx.sessions.invalidateUser(userId);
    return {};
}

Status AccountService::resetMfa(const QString &email)
{
    storage::Transaction tx(m_ctx.db);
    if (auto s = tx.begin(); !s)
        return s;
    QSqlQuery q(m_ctx.db.connection());
    q.prepare(QStringLiteral("SELECT id, firm_id FROM users WHERE email = ?"));
    q.addBindValue(email.trimmed().toLower());
    if (auto s = storage::exec(q); !s)
        return s;
    if (!q.next())
        return fail(ErrorCode::NotFound, QStringLiteral("No user with that email"));
    const QString userId = q.value(0).toString(), firmId = q.value(1).toString();
    q.finish();
    QSqlQuery u(m_ctx.db.connection());
    u.prepare(
        QStringLiteral("UPDATE users SET mfa_enabled = 0, mfa_secret = NULL, mfa_pending_secret = NULL, mfa_last_step = NULL, "
                       "updated_at = ? WHERE id = ?"));
    u.addBindValue(m_ctx.now());
    u.addBindValue(userId);
    if (auto s = storage::exec(u); !s)
        return s;
    QSqlQuery d(m_ctx.db.connection());
    d.prepare(QStringLiteral("DELETE FROM recovery_codes WHERE user_id = ?"));
    d.addBindValue(userId);
    if (auto s = storage::exec(d); !s)
        return s;
    if (auto s = m_auth.revokeAllSessions(userId, QStringLiteral("mfa_reset")); !s)
        return s;
    if (auto s = m_ctx.record(Actor::system(firmId), QStringLiteral("user.mfa_reset"), QStringLiteral("user"), userId); !s)
        return s;
    return tx.commit();
}

} // namespace kyc::identity
