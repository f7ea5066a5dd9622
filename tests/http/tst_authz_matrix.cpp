// The authorization matrix of issue 3: every identity operation of ENDPOINTS.md (5–35 and 62–66)
// called over HTTP as each role of firm A, as an API key of firm A with and without the
// operation's scope, with no credentials, and as the owner of firm B, each answer checked against
// the contract's auth column and the permission matrix (backend/identity/permissions.cpp):
//   401  missing credentials;
//   403  role or scope too weak, or an API key on an operation that takes none;
//   404  another firm's id (never 403, never 200), checked in both directions;
//   "allowed" the operation's success answer, or the documented 4xx that only a caller past the
//        permission check can reach (409/422).
// Lists and other answers seen by firm B must not carry any of firm A's rows or ids.
#include "backend/audit/auditlog.h"
#include "backend/identity/accountservice.h"
#include "backend/identity/apikeyservice.h"
#include "backend/identity/authservice.h"
#include "tests/testsupport/apiassert.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

#include <memory>
#include <tuple>
#include <utility>

using namespace kyc;

namespace {

// The contract's auth column, as this test reads it.
enum class Auth {
    Public, // public
    Jwt, // jwt: any role
    JwtAdmin, // jwt (≥ admin), and the API Keys section ("role ≥ admin")
    JwtOwner, // jwt (owner)
    JwtAdminOrSelf, // jwt (≥ admin, or self)
    JwtCompliance, // jwt (≥ compliance_officer)
    JwtComplianceOrKey, // jwt (≥ compliance_officer) | key:audit:read
    JwtOrKey, // jwt | key:audit:read
};

// What an operation's :id names, if it takes one.
enum class Target { None, User, Invitation, ApiKey, FreshApiKey, Session, AuditEvent };

struct Op {
    int number = 0;
    QByteArray method;
    QByteArray path;
    Auth auth = Auth::Jwt;
    Target target = Target::None;
    bool list = false; // answers {data, meta}: data[] must hold the caller's firm's rows only
    QList<int> allowed; // the answers that prove the permission check passed
};

Op op(int number, const char *method, const char *path, Auth auth, Target target = Target::None, bool list = false,
      QList<int> allowed = {200, 201, 202, 204})
{
    return Op{number, QByteArray(method), QByteArray(path), auth, target, list, std::move(allowed)};
}

const QList<Op> &operations()
{
    static const QList<Op> ops = {
        op(5, "POST", "/auth/login", Auth::Public),
        op(6, "POST", "/auth/refresh", Auth::Public),
        op(7, "POST", "/auth/logout", Auth::Jwt),
        op(8, "GET", "/auth/me", Auth::Jwt),
        op(9, "POST", "/auth/forgot-password", Auth::Public),
        op(10, "POST", "/auth/reset-password", Auth::Public),
        // A wrong current password is 422: only a signed-in user gets that far.
        op(11, "POST", "/auth/change-password", Auth::Jwt, Target::None, false, {422}),
        op(12, "POST", "/auth/mfa/setup", Auth::Jwt),
        // A wrong code after setup is 422 (409 without a setup): the caller passed the check.
        op(13, "POST", "/auth/mfa/verify", Auth::Jwt, Target::None, false, {409, 422}),
        // MFA is not enabled: 409, past the check.
        op(14, "POST", "/auth/mfa/disable", Auth::Jwt, Target::None, false, {409}),
        op(15, "GET", "/auth/sessions", Auth::Jwt, Target::None, true),
        op(16, "DELETE", "/auth/sessions/:id", Auth::Jwt, Target::Session),
        op(17, "GET", "/api-keys", Auth::JwtAdmin, Target::None, true),
        op(18, "POST", "/api-keys", Auth::JwtAdmin),
        op(19, "GET", "/api-keys/:id", Auth::JwtAdmin, Target::ApiKey),
        op(20, "PATCH", "/api-keys/:id", Auth::JwtAdmin, Target::FreshApiKey),
        op(21, "POST", "/api-keys/:id/rotate", Auth::JwtAdmin, Target::FreshApiKey),
        op(22, "DELETE", "/api-keys/:id", Auth::JwtAdmin, Target::FreshApiKey),
        op(23, "GET", "/users", Auth::JwtAdmin, Target::None, true),
        op(24, "POST", "/users/invite", Auth::JwtAdmin),
        op(25, "GET", "/users/invitations", Auth::JwtAdmin, Target::None, true),
        op(26, "DELETE", "/users/invitations/:id", Auth::JwtAdmin, Target::Invitation),
        op(27, "POST", "/users/invitations/accept", Auth::Public),
        op(28, "GET", "/users/roles", Auth::Jwt),
        op(29, "GET", "/users/:id", Auth::JwtAdminOrSelf, Target::User),
        op(30, "PATCH", "/users/:id", Auth::JwtAdmin, Target::User),
        op(31, "POST", "/firms/register", Auth::Public),
        op(32, "GET", "/firms/current", Auth::Jwt),
        op(33, "PATCH", "/firms/current", Auth::JwtAdmin),
        op(34, "GET", "/firms/current/settings", Auth::JwtAdmin),
        op(35, "PATCH", "/firms/current/settings", Auth::JwtOwner),
        op(62, "GET", "/audit/logs", Auth::JwtComplianceOrKey, Target::None, true),
        op(63, "GET", "/audit/logs/:id", Auth::JwtComplianceOrKey, Target::AuditEvent),
        op(64, "GET", "/audit/verify", Auth::JwtComplianceOrKey),
        op(65, "GET", "/audit/export", Auth::JwtCompliance),
        op(66, "GET", "/audit/checkpoint", Auth::JwtOrKey),
    };
    return ops;
}

const QString kOwner = QStringLiteral("owner");
const QString kAdmin = QStringLiteral("admin");
const QString kCompliance = QStringLiteral("compliance_officer");
const QString kAnalyst = QStringLiteral("analyst");
const QString kViewer = QStringLiteral("viewer");
const QString kKeyWith = QStringLiteral("key_with_scope");
const QString kKeyWithout = QStringLiteral("key_without_scope");
const QString kNone = QStringLiteral("none");
const QString kOther = QStringLiteral("other_firm_owner");
const QStringList kCallers = {kOwner, kAdmin, kCompliance, kAnalyst, kViewer, kKeyWith, kKeyWithout, kNone, kOther};
const QStringList kFirmARoles = {kOwner, kAdmin, kCompliance, kAnalyst, kViewer};

// Targets: "-" no id; "A"/"B" an object of firm A/B; "self" the caller's own user; "peer" another
// user of firm A.
const QString kNoTarget = QStringLiteral("-");
const QString kFirmA = QStringLiteral("A");
const QString kFirmB = QStringLiteral("B");
const QString kSelf = QStringLiteral("self");
const QString kPeer = QStringLiteral("peer");

const QString kAllowed = QStringLiteral("allowed");

bool isUserCaller(const QString &caller)
{
    return kFirmARoles.contains(caller) || caller == kOther;
}

Role roleOf(const QString &caller)
{
    Role r = Role::Viewer;
    if (caller == kOther)
        return Role::Owner;
    parseRole(caller, &r);
    return r;
}

bool takesKeys(const Op &o)
{
    return o.auth == Auth::JwtComplianceOrKey || o.auth == Auth::JwtOrKey;
}

QString callerFirm(const QString &caller)
{
    return caller == kOther ? kFirmB : kFirmA;
}

QString targetFirm(const QString &target, const QString &caller)
{
    if (target == kFirmB)
        return kFirmB;
    if (target == kSelf)
        return callerFirm(caller);
    return kFirmA;
}

// The expected outcome class, from the contract's auth column and the role matrix only.
QString expectation(const Op &o, const QString &caller, const QString &target)
{
    if (o.auth == Auth::Public)
        return kAllowed;
    if (caller == kNone)
        return QStringLiteral("401");
    if (caller == kKeyWith || caller == kKeyWithout) {
        if (!takesKeys(o) || caller == kKeyWithout)
            return QStringLiteral("403");
        return target == kFirmB ? QStringLiteral("404") : kAllowed;
    }
    const Role role = roleOf(caller);
    bool permitted = true;
    switch (o.auth) {
    case Auth::Public:
    case Auth::Jwt:
    case Auth::JwtOrKey: permitted = true; break;
    case Auth::JwtAdmin: permitted = int(role) >= int(Role::Admin); break;
    case Auth::JwtOwner: permitted = role == Role::Owner; break;
    case Auth::JwtAdminOrSelf: permitted = target == kSelf || int(role) >= int(Role::Admin); break;
    case Auth::JwtCompliance:
    case Auth::JwtComplianceOrKey: permitted = int(role) >= int(Role::ComplianceOfficer); break;
    }
    if (!permitted)
        return QStringLiteral("403");
    if (o.target != Target::None && targetFirm(target, caller) != callerFirm(caller))
        return QStringLiteral("404");
    return kAllowed;
}

// The rows of one operation and caller: one per target.
QStringList targetsFor(const Op &o, const QString &caller)
{
    if (o.target == Target::None)
        return {kNoTarget};
    if (o.auth == Auth::JwtAdminOrSelf) {
        if (caller == kOwner)
            return {kSelf, kPeer, kFirmB};
        if (kFirmARoles.contains(caller))
            return {kSelf, kPeer};
        if (caller == kOther)
            return {kFirmA, kSelf};
        return {kPeer};
    }
    if (caller == kOwner || caller == kOther || (caller == kKeyWith && takesKeys(o)))
        return {kFirmA, kFirmB};
    return {kFirmA};
}

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

struct Member {
    identity::User user;
    QString password;
    QString token;
    QString sessionId;
};

struct Outcome {
    int op = 0; // index into operations()
    QString caller;
    QString target;
    QString expected;
    int status = 0;
    bool passed = false;
};

} // namespace

class TestAuthzMatrix : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::TestServer> m_server;
    QString m_firmA, m_firmB;
    QMap<QString, Member> m_members; // by caller name; kOther is firm B's owner
    Member m_target; // another member of firm A: the "peer" of GET/PATCH /users/:id, signs in for 5, 6, 10
    QString m_keyWith, m_keyWithout; // secrets of firm A's keys
    QString m_fixtureKeyA, m_fixtureKeyB; // key ids
    QString m_eventA, m_eventB; // audit event ids
    QSet<QString> m_idsA; // every id of firm A this test knows of
    int m_seq = 0;
    QList<Outcome> m_outcomes;

    quint16 port() const { return m_server->port(); }
    Backend &backend() { return m_server->backend(); }
    QString next() { return QString::number(++m_seq); }

    Actor ownerActor(const QString &firm)
    {
        const Member &m = firm == kFirmB ? m_members[kOther] : m_members[kOwner];
        auto a = backend().auth().authenticate(m.token, QStringLiteral("127.0.0.1"));
        return a ? *a : Actor{};
    }

    Member signIn(const identity::User &user, const QString &password)
    {
        Member m{user, password, {}, {}};
        auto s = backend().auth().login(
            {user.email, password, QString(), QStringLiteral("127.0.0.1"), QStringLiteral("authz-matrix")});
        if (!s) {
            qWarning().noquote() << "login failed for" << user.email << s.error().message;
            return m;
        }
        m.token = s->accessToken;
        auto actor = backend().auth().authenticate(m.token, QStringLiteral("127.0.0.1"));
        if (actor)
            m.sessionId = actor->sessionId;
        return m;
    }

    // A new session of a user, without a password hash: {access token, refresh token, session id}.
    std::tuple<QString, QString, QString> freshSession(const identity::User &user)
    {
        auto s = backend().auth().openSession(user, QStringLiteral("127.0.0.1"), QStringLiteral("authz-matrix fresh"));
        if (!s)
            return {};
        auto actor = backend().auth().authenticate(s->accessToken, QStringLiteral("127.0.0.1"));
        const QString sid = actor ? actor->sessionId : QString();
        if (user.firmId == m_firmA)
            m_idsA.insert(sid);
        return {s->accessToken, s->refreshToken, sid};
    }

    QString freshKey(const QString &firm)
    {
        auto k = backend().apiKeys().create(ownerActor(firm),
                                            {QStringLiteral("matrix target ") + next(), {QStringLiteral("cases:read")}, {}});
        if (!k)
            return {};
        if (firm == kFirmA)
            m_idsA.insert(k->key.id);
        return k->key.id;
    }

    QString freshInvitation(const QString &firm, const QString &email)
    {
        auto i = backend().accounts().invite(ownerActor(firm), {email, QStringLiteral("Invitee ") + next(), Role::Viewer});
        if (!i)
            return {};
        if (firm == kFirmA)
            m_idsA.insert(i->id);
        return i->id;
    }

    // The single-use token of the newest mail of a kind to an address, read from the outbox.
    QString mailedToken(const QString &to, const QString &kind)
    {
        return test::mailedToken(backend().database(), m_server->dataDir(), to, kind);
    }

    QString id(const Op &o, const QString &caller, const QString &target)
    {
        const QString firm = targetFirm(target, caller);
        switch (o.target) {
        case Target::None: return {};
        case Target::User:
            if (target == kSelf)
                return m_members[caller].user.id;
            return firm == kFirmB ? m_members[kOther].user.id : m_target.user.id;
        case Target::Invitation: return freshInvitation(firm, QStringLiteral("revoke-me-%1@example.com").arg(next()));
        case Target::ApiKey: return firm == kFirmB ? m_fixtureKeyB : m_fixtureKeyA;
        case Target::FreshApiKey: return freshKey(firm);
        case Target::Session: {
            // Users revoke their own sessions; callers of the other firm aim at its owner's.
            const bool own = isUserCaller(caller) && firm == callerFirm(caller);
            const Member &holder = own ? m_members[caller] : firm == kFirmB ? m_members[kOther] : m_members[kOwner];
            return std::get<2>(freshSession(holder.user));
        }
        case Target::AuditEvent: return firm == kFirmB ? m_eventB : m_eventA;
        }
        return {};
    }

    QByteArray body(const Op &o, const QString &caller)
    {
        const QString n = next();
        switch (o.number) {
        case 5: return compact({{QStringLiteral("email"), m_target.user.email}, {QStringLiteral("password"), m_target.password}});
        case 6: return compact({{QStringLiteral("refresh_token"), std::get<1>(freshSession(m_target.user))}});
        case 9: return compact({{QStringLiteral("email"), QStringLiteral("nobody-%1@example.com").arg(n)}});
        case 10: {
            backend().auth().forgotPassword(m_target.user.email, QStringLiteral("127.0.0.1"));
            const QString token = mailedToken(m_target.user.email, QStringLiteral("password_reset"));
            // The same password again, so that the other rows can still sign the target in.
            return compact({{QStringLiteral("token"), token}, {QStringLiteral("new_password"), m_target.password}});
        }
        case 11:
            return compact({{QStringLiteral("current_password"), QStringLiteral("not-the-password-%1").arg(n)},
                            {QStringLiteral("new_password"), QStringLiteral("a-brand-new-password-%1").arg(n)}});
        case 13: return compact({{QStringLiteral("code"), QStringLiteral("000000")}});
        case 14:
            return compact({{QStringLiteral("code"), QStringLiteral("000000")},
                            {QStringLiteral("password"), QStringLiteral("not-the-password-%1").arg(n)}});
        case 18:
            return compact({{QStringLiteral("name"), QStringLiteral("matrix key %1").arg(n)},
                            {QStringLiteral("scopes"), QJsonArray{QStringLiteral("cases:read")}}});
        case 20: return compact({{QStringLiteral("name"), QStringLiteral("renamed key %1").arg(n)}});
        case 21: return compact({{QStringLiteral("grace_period_s"), 0}});
        case 24:
            return compact({{QStringLiteral("email"), QStringLiteral("invitee-%1@example.com").arg(n)},
                            {QStringLiteral("role"), QStringLiteral("viewer")},
                            {QStringLiteral("name"), QStringLiteral("Invitee %1").arg(n)}});
        case 27: {
            const QString email = QStringLiteral("accept-%1@example.com").arg(n);
            if (freshInvitation(kFirmA, email).isEmpty())
                return {};
            return compact({{QStringLiteral("token"), mailedToken(email, QStringLiteral("invitation"))},
                            {QStringLiteral("password"), QStringLiteral("accepted-password-%1").arg(n)}});
        }
        case 30: return compact({{QStringLiteral("name"), QStringLiteral("Renamed by %1 %2").arg(caller, n)}});
        case 31:
            return compact({{QStringLiteral("firm_name"), QStringLiteral("Registered Firm %1").arg(n)},
                            {QStringLiteral("country"), QStringLiteral("GB")},
                            {QStringLiteral("admin_email"), QStringLiteral("register-%1@example.com").arg(n)},
                            {QStringLiteral("admin_password"), QStringLiteral("register-password-%1").arg(n)},
                            {QStringLiteral("admin_name"), QStringLiteral("Registrant %1").arg(n)}});
        case 33:
            return compact({{QStringLiteral("contact"),
                             QJsonObject{{QStringLiteral("phone"),
                                          QStringLiteral("+4420794%1").arg(n.toInt() % 1000000, 6, 10, QLatin1Char('0'))}}}});
        case 35: return compact({{QStringLiteral("data_retention_days"), 2000 + m_seq}});
        default: return {};
        }
    }

    test::Headers headers(const Op &o, const QString &caller)
    {
        if (caller == kKeyWith)
            return {{"X-API-Key", m_keyWith.toLatin1()}};
        if (caller == kKeyWithout)
            return {{"X-API-Key", m_keyWithout.toLatin1()}};
        if (caller == kNone)
            return {};
        // Logging out ends the session it names: use a session of the caller made for this row.
        const QString token = o.number == 7 ? std::get<0>(freshSession(m_members[caller].user)) : m_members[caller].token;
        return {{"Authorization", QByteArray("Bearer " + token.toLatin1())}};
    }

    // Ids in an answer: its own, its user's, and its data[] rows'.
    static QStringList idsIn(const QJsonObject &o)
    {
        QStringList ids;
        if (o.value(QStringLiteral("id")).isString())
            ids << o.value(QStringLiteral("id")).toString();
        if (o.value(QStringLiteral("user")).isObject())
            ids << o.value(QStringLiteral("user")).toObject().value(QStringLiteral("id")).toString();
        for (const auto &v : o.value(QStringLiteral("data")).toArray())
            ids << v.toObject().value(QStringLiteral("id")).toString();
        ids.removeAll(QString());
        return ids;
    }

    // Firm-isolation checks on an allowed answer; empty when fine.
    QString isolationProblem(const Op &o, const QString &caller, const test::HttpResult &r)
    {
        if (o.auth == Auth::Public)
            return {};
        const QJsonObject json = r.json();
        const QString ownFirm = callerFirm(caller) == kFirmB ? m_firmB : m_firmA;
        if (o.list) {
            if (!json.value(QStringLiteral("data")).isArray())
                return QStringLiteral("the list has no data[]");
            for (const auto &v : json.value(QStringLiteral("data")).toArray()) {
                const QJsonValue firm = v.toObject().value(QStringLiteral("firm_id"));
                if (firm.isString() && firm.toString() != ownFirm)
                    return QStringLiteral("data[] holds a row of firm %1").arg(firm.toString());
            }
        }
        if (caller != kOther)
            return {};
        for (const auto &rowId : idsIn(json)) {
            if (m_idsA.contains(rowId))
                return QStringLiteral("firm B sees firm A's id %1").arg(rowId);
        }
        if (r.body.contains(m_firmA.toLatin1()))
            return QStringLiteral("firm B's answer names firm A (%1)").arg(m_firmA);
        for (const auto &known : std::as_const(m_idsA)) {
            if (!known.isEmpty() && r.body.contains(known.toLatin1()))
                return QStringLiteral("firm B's answer carries firm A's id %1").arg(known);
        }
        return {};
    }

    // A refusal must be in the contract's error format, and a key's 403 must come from the right gate.
    static QString refusalProblem(const Op &o, const QString &caller, const test::HttpResult &r)
    {
        const QJsonObject json = r.json();
        if (json.value(QStringLiteral("statusCode")).toInt() != r.status || !json.value(QStringLiteral("error")).isString())
            return QStringLiteral("the error body is not in the contract format");
        const QString message = json.value(QStringLiteral("message")).toString();
        if (r.status == 403 && (caller == kKeyWith || caller == kKeyWithout)) {
            const QString why
                = takesKeys(o) ? QStringLiteral("lacks the audit:read scope") : QStringLiteral("does not accept API keys");
            if (!message.contains(why))
                return QStringLiteral("the 403 does not say that the key %1").arg(why);
        }
        return {};
    }

private slots:
    void initTestCase()
    {
        m_server = std::make_unique<test::TestServer>();
        QVERIFY(m_server->ok());
        QVERIFY(port() != 0);
        auto &accounts = backend().accounts();

        const QString ownerPassword = QStringLiteral("matrix-owner-password");
        auto a = accounts.createFirm({QStringLiteral("Matrix Firm A"), QStringLiteral("GB"), QString(),
                                      QStringLiteral("owner@firm-a.example.com"), ownerPassword, QStringLiteral("Owner A"),
                                      QStringLiteral("127.0.0.1")});
        QVERIFY2(a, a ? "" : qPrintable(a.error().message));
        m_firmA = a->first.id;
        auto b = accounts.createFirm({QStringLiteral("Matrix Firm B"), QStringLiteral("DE"), QString(),
                                      QStringLiteral("owner@firm-b.example.com"), ownerPassword, QStringLiteral("Owner B"),
                                      QStringLiteral("127.0.0.1")});
        QVERIFY2(b, b ? "" : qPrintable(b.error().message));
        m_firmB = b->first.id;
        QVERIFY(m_firmA != m_firmB);

        m_members[kOwner] = signIn(a->second, ownerPassword);
        m_members[kOther] = signIn(b->second, ownerPassword);
        const std::pair<QString, Role> roles[] = {{kAdmin, Role::Admin},
                                                  {kCompliance, Role::ComplianceOfficer},
                                                  {kAnalyst, Role::Analyst},
                                                  {kViewer, Role::Viewer},
                                                  {QStringLiteral("target"), Role::Viewer}};
        for (const auto &[name, role] : roles) {
            const QString password = QStringLiteral("matrix-%1-password").arg(name);
            auto u = accounts.createUser(Actor::system(m_firmA), QStringLiteral("%1@firm-a.example.com").arg(name),
                                         QStringLiteral("Member %1").arg(name), role, password);
            QVERIFY2(u, u ? "" : qPrintable(u.error().message));
            if (name == QStringLiteral("target"))
                m_target = Member{*u, password, {}, {}};
            else
                m_members[name] = signIn(*u, password);
        }
        for (const auto &[name, m] : m_members.asKeyValueRange()) {
            QVERIFY2(!m.token.isEmpty() && !m.sessionId.isEmpty(), qPrintable(name));
            if (name != kOther)
                m_idsA << m.user.id << m.sessionId;
        }
        m_idsA << m_firmA << m_target.user.id;

        const Actor ownerA = ownerActor(kFirmA), ownerB = ownerActor(kFirmB);
        QCOMPARE(ownerA.firmId, m_firmA);
        QCOMPARE(ownerB.firmId, m_firmB);
        auto with = backend().apiKeys().create(ownerA, {QStringLiteral("all scopes"), identity::kApiKeyScopes, QString()});
        QVERIFY(with);
        auto without
            = backend().apiKeys().create(ownerA, {QStringLiteral("billing only"), {QStringLiteral("billing:read")}, QString()});
        QVERIFY(without);
        m_keyWith = with->secret;
        m_keyWithout = without->secret;
        m_idsA << with->key.id << without->key.id;
        m_fixtureKeyA = freshKey(kFirmA);
        m_fixtureKeyB = freshKey(kFirmB);
        QVERIFY(!m_fixtureKeyA.isEmpty() && !m_fixtureKeyB.isEmpty());
        QVERIFY(!freshInvitation(kFirmA, QStringLiteral("pending-a@example.com")).isEmpty());
        QVERIFY(!freshInvitation(kFirmB, QStringLiteral("pending-b@example.com")).isEmpty());

        auto eventsA = backend().audit().list(m_firmA, {}, {1, 100});
        auto eventsB = backend().audit().list(m_firmB, {}, {1, 100});
        QVERIFY(eventsA && !eventsA->items.isEmpty());
        QVERIFY(eventsB && !eventsB->items.isEmpty());
        for (const auto &e : eventsA->items)
            m_idsA << e.id;
        m_eventA = eventsA->items.first().id;
        m_eventB = eventsB->items.first().id;
    }

    void matrix_data()
    {
        QTest::addColumn<int>("op");
        QTest::addColumn<QString>("caller");
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("expected");
        const auto &ops = operations();
        for (int i = 0; i < ops.size(); ++i) {
            for (const auto &caller : kCallers) {
                for (const auto &target : targetsFor(ops[i], caller)) {
                    const QString tag = QStringLiteral("#%1 %2 %3 | %4%5")
                                            .arg(ops[i].number)
                                            .arg(QString::fromLatin1(ops[i].method), QString::fromLatin1(ops[i].path), caller,
                                                 target == kNoTarget ? QString() : QString(QStringLiteral(" → ") + target));
                    QTest::newRow(qPrintable(tag)) << i << caller << target << expectation(ops[i], caller, target);
                }
            }
        }
    }

    void matrix()
    {
        QFETCH(int, op);
        QFETCH(QString, caller);
        QFETCH(QString, target);
        QFETCH(QString, expected);
        const Op &o = operations().at(op);

        QByteArray path = o.path;
        if (o.target != Target::None) {
            const QString targetId = id(o, caller, target);
            QVERIFY2(!targetId.isEmpty(), "could not make the row's target");
            path.replace(":id", targetId.toLatin1());
        }
        const QByteArray payload = body(o, caller);
        const test::HttpResult r = test::request(port(), o.method, QByteArray("/api/v1" + path), payload, headers(o, caller));

        Outcome outcome{op, caller, target, expected, r.status, false};
        QString problem;
        if (!r.ok)
            problem = QStringLiteral("no complete answer");
        else if (expected == kAllowed && !o.allowed.contains(r.status))
            problem = QStringLiteral("not allowed (expected one of %1)").arg([&] {
                QStringList s;
                for (int code : o.allowed)
                    s << QString::number(code);
                return s.join(u'/');
            }());
        else if (expected != kAllowed && r.status != expected.toInt())
            problem = QStringLiteral("wrong status");
        else if (expected != kAllowed)
            problem = refusalProblem(o, caller, r);
        else if (expected == kAllowed && r.status / 100 == 2)
            problem = isolationProblem(o, caller, r);

        // Remember firm A's new ids, so that firm B's answers can be checked against them.
        if (problem.isEmpty() && expected == kAllowed && r.status / 100 == 2 && caller != kOther
            && (o.auth != Auth::Public || o.number == 27)) {
            for (const auto &newId : idsIn(r.json()))
                m_idsA.insert(newId);
        }
        outcome.passed = problem.isEmpty();
        m_outcomes << outcome;
        QVERIFY2(problem.isEmpty(),
                 qPrintable(QStringLiteral("#%1 %2 %3 as %4%5: expected %6, got %7 — %8; body: %9")
                                .arg(o.number)
                                .arg(QString::fromLatin1(o.method), QString::fromLatin1(path), caller,
                                     target == kNoTarget ? QString() : QStringLiteral(" (target %1)").arg(target), expected)
                                .arg(r.status)
                                .arg(problem, QString::fromUtf8(r.body.left(600)))));
    }

    void cleanupTestCase()
    {
        if (m_outcomes.isEmpty())
            return;
        // operation × caller → status; a caller with several targets shows them in row order.
        const QMap<QString, QString> abbreviations
            = {{kOwner, QStringLiteral("owner")},     {kAdmin, QStringLiteral("admin")},   {kCompliance, QStringLiteral("co")},
               {kAnalyst, QStringLiteral("analyst")}, {kViewer, QStringLiteral("viewer")}, {kKeyWith, QStringLiteral("key+")},
               {kKeyWithout, QStringLiteral("key-")}, {kNone, QStringLiteral("none")},     {kOther, QStringLiteral("firmB")}};
        QString header = QStringLiteral("%1").arg(QStringLiteral("operation"), -36);
        for (const auto &c : kCallers)
            header += QStringLiteral("%1").arg(abbreviations.value(c), -12);
        qInfo().noquote() << "Authorization matrix (status per caller; several statuses = several targets):";
        qInfo().noquote() << "  self/peer for GET /users/:id; A/B = firm A's id / firm B's id; firmB caller = firm B's owner";
        qInfo().noquote() << header;
        int failed = 0;
        const auto &ops = operations();
        for (int i = 0; i < ops.size(); ++i) {
            QString line = QStringLiteral("#%1 %2 %3")
                               .arg(ops[i].number)
                               .arg(QString::fromLatin1(ops[i].method), QString::fromLatin1(ops[i].path));
            line = QStringLiteral("%1").arg(line, -36);
            for (const auto &c : kCallers) {
                QStringList cell;
                for (const auto &out : std::as_const(m_outcomes)) {
                    if (out.op == i && out.caller == c)
                        cell << QString(QString::number(out.status) + (out.passed ? QString() : QStringLiteral("!")));
                }
                line += QStringLiteral("%1").arg(cell.join(u'/'), -12);
            }
            qInfo().noquote() << line;
        }
        for (const auto &out : std::as_const(m_outcomes))
            failed += out.passed ? 0 : 1;
        qInfo().noquote() << QStringLiteral("%1 rows, %2 failed (marked !)").arg(m_outcomes.size()).arg(failed);
    }
};

QTEST_GUILESS_MAIN(TestAuthzMatrix)
#include "tst_authz_matrix.moc"
