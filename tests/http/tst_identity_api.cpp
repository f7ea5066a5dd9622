// Identity and access over HTTP (operations 5–35 and 62–66) against the real server on a loopback
// port: statuses, bodies in the contract's format and the side effects in the database, the audit
// trail and the mail outbox. Time (token expiry, lockouts, reset and invitation expiry, TOTP steps)
// follows the server's FakeClock, which only moves when a test moves it.
#include "backend/identity/accountservice.h"
#include "backend/security/crypto.h"
#include "backend/security/jwt.h"
#include "backend/security/secretfile.h"
#include "backend/security/totp.h"
#include "tests/testsupport/apiassert.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QtTest>

using namespace kyc;
using namespace Qt::Literals::StringLiterals;
using test::HttpResult;
using test::messages;

namespace {

const QString kPassword = u"correct horse battery staple"_s;
const QString kNewPassword = u"another long passphrase 42"_s;
const QString kOwner = u"owner@alpha.test"_s, kAdmin = u"admin@alpha.test"_s, kCo = u"co@alpha.test"_s,
              kAnalyst = u"analyst@alpha.test"_s, kOwnerB = u"owner@beta.test"_s;

// A JSON body from a template whose %1, %2… take the arguments.
template <typename... Args>
QJsonObject J(const char *json, const Args &...args)
{
    QString text = QString::fromUtf8(json);
    if constexpr (sizeof...(Args) > 0)
        text = text.arg(args...);
    return QJsonDocument::fromJson(text.toUtf8()).object();
}

// A member by dotted path, e.g. "user.role".
QJsonValue at(const QJsonObject &o, const char *path)
{
    QJsonValue v = o;
    for (const auto &key : QString::fromLatin1(path).split(u'.'))
        v = v.toObject().value(key);
    return v;
}
inline QJsonValue at(const HttpResult &r, const char *path)
{
    return at(r.json(), path);
}
inline QString str(const HttpResult &r, const char *path)
{
    return at(r, path).toString();
}

using Expected = QList<std::pair<const char *, QJsonValue>>;

// Empty when every dotted path of `o` holds the expected value; otherwise the differences.
QString differences(const QJsonObject &o, const Expected &expected)
{
    const auto text
        = [](const QJsonValue &v) { return QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)); };
    QStringList out;
    for (const auto &[path, value] : expected) {
        if (at(o, path) != value)
            out << u"%1 is %2, not %3"_s.arg(QLatin1String(path), text(at(o, path)), text(value));
    }
    return out.join(u"; "_s);
}

QJsonObject jwtPart(const QString &jwt, int index)
{
    return QJsonDocument::fromJson(
               QByteArray::fromBase64(jwt.section(u'.', index, index).toLatin1(), QByteArray::Base64UrlEncoding))
        .object();
}

QStringList strings(const QJsonValue &data, const QString &key)
{
    QStringList out;
    for (const auto &v : data.toArray())
        out << v.toObject().value(key).toString();
    return out;
}

inline bool allEqual(const QStringList &values, const QString &expected)
{
    return !values.isEmpty() && values.count(expected) == values.size();
}

} // namespace

class TestIdentityApi : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::TestServer> m_server;
    QString m_firmA, m_firmB;
    QHash<QString, QString> m_ids; // email → user id

    quint16 port() const { return m_server->port(); }
    Backend &backend() { return m_server->backend(); }
    FakeClock &clock() { return m_server->clock(); }

    HttpResult call(const QByteArray &method, const QString &path, const QJsonObject &body = {}, const QString &token = {},
                    const QString &key = {})
    {
        test::Headers h;
        if (!token.isEmpty())
            h.append({"Authorization", "Bearer " + token.toLatin1()});
        if (!key.isEmpty())
            h.append({"X-API-Key", key.toLatin1()});
        const bool hasBody = method == "POST" || method == "PATCH";
        return test::request(port(), method, "/api/v1" + path.toUtf8(),
                             hasBody ? QJsonDocument(body).toJson(QJsonDocument::Compact) : QByteArray(), h);
    }
    HttpResult get(const QString &path, const QString &token) { return call("GET", path, {}, token); }
    int withKey(const QString &path, const QString &key) { return call("GET", path, {}, {}, key).status; }
    int me(const QString &token) { return get(u"/auth/me"_s, token).status; }
    HttpResult login(const QString &email, const QString &password = kPassword, const QString &code = {})
    {
        QJsonObject body{{u"email"_s, email}, {u"password"_s, password}};
        if (!code.isEmpty())
            body.insert(u"mfa_code"_s, code);
        return call("POST", u"/auth/login"_s, body);
    }
    QString token(const QString &email) { return str(login(email), "access_token"); }
    QString addUser(const QString &firmId, const QString &email, Role role)
    {
        auto u = backend().accounts().createUser(Actor::system(firmId), email, u"Test User"_s, role, kPassword);
        return u ? m_ids[email] = u->id : QString();
    }
    qint64 count(const QString &sql, const QVariantList &binds = {}) { return test::count(backend().database(), sql, binds); }
    QList<audit::Event> events(const QString &firmId, const QString &action, const QString &entityId = {})
    {
        audit::Filter f;
        f.action = action;
        f.entityId = entityId;
        auto page = backend().audit().list(firmId, f, {1, 100});
        return page ? page->items : QList<audit::Event>{};
    }
    // The single-use token in the latest mail to `to`, read from its .eml file (the delivery without
    // SMTP); `inEml` says the file held it, and `inRow` whether the outbox row still does (it must not).
    QString mailToken(const QString &to, bool *inEml = nullptr, bool *inRow = nullptr)
    {
        QSqlQuery q(backend().database().connection());
        q.prepare(u"SELECT body, eml_file FROM mail_outbox WHERE to_address = ? ORDER BY created_at DESC, rowid DESC"_s);
        q.addBindValue(to);
        if (!q.exec() || !q.next())
            return {};
        QFile eml(QDir(m_server->dataDir() + u"/outbox"_s).filePath(q.value(1).toString()));
        // quoted-printable: soft line breaks removed
        const QString text = eml.open(QIODevice::ReadOnly) ? QString::fromUtf8(eml.readAll().replace("=\r\n", "")) : QString();
        const QString token = QRegularExpression(u"\n    (\\S+)\r?\n"_s).match(text).captured(1);
        if (inEml)
            *inEml = !token.isEmpty();
        if (inRow)
            *inRow = !token.isEmpty() && q.value(0).toString().contains(token);
        return token;
    }

#define TOKEN(var, email)                                                                                                        \
    const QString var = token(email);                                                                                            \
    QVERIFY2(!var.isEmpty(), "login failed")

private slots:
    void initTestCase()
    {
        m_server = std::make_unique<test::TestServer>();
        QVERIFY(m_server->ok() && port());
        auto a = backend().accounts().createFirm({u"Alpha Compliance"_s, u"GB"_s, {}, kOwner, kPassword, u"Olive Owner"_s, {}});
        auto b = backend().accounts().createFirm({u"Beta Partners"_s, u"DE"_s, {}, kOwnerB, kPassword, u"Bo Owner"_s, {}});
        QVERIFY(a && b);
        m_firmA = a->first.id;
        m_firmB = b->first.id;
        m_ids[kOwner] = a->second.id;
        m_ids[kOwnerB] = b->second.id;
        QVERIFY(!addUser(m_firmA, kAdmin, Role::Admin).isEmpty());
        QVERIFY(!addUser(m_firmA, kCo, Role::ComplianceOfficer).isEmpty());
        QVERIFY(!addUser(m_firmA, kAnalyst, Role::Analyst).isEmpty());
    }

    void registerFirm()
    {
        const auto rows = [this] {
            return QList{count(u"SELECT COUNT(*) FROM firms"_s), count(u"SELECT COUNT(*) FROM users"_s)};
        };
        const QJsonObject good = J(R"({"firm_name":"Gamma Registered Ltd","country":"GB","registration_number":"12345678",
            "admin_email":"founder@gamma.test","admin_password":"%1","admin_name":"Grace Founder"})",
                                   kPassword);
        const auto before = rows();
        // Registration answers 202 and creates nothing until the mailed token comes back.
        const HttpResult r = call("POST", u"/firms/register"_s, good);
        QCOMPARE(r.status, 202);
        QCOMPARE(rows(), before);
        const QString confirmToken = mailToken(u"founder@gamma.test"_s);
        QVERIFY(!confirmToken.isEmpty());
        EXPECT(call("POST", u"/users/invitations/accept"_s,
                    J(R"({"token":"%1","password":"%2"})", confirmToken, u"not the password chosen"_s)),
               401);
        QCOMPARE(rows(), before);
        const HttpResult confirmed
            = call("POST", u"/users/invitations/accept"_s, J(R"({"token":"%1","password":"%2"})", confirmToken, kPassword));
        QCOMPARE(confirmed.status, 201);
        QCOMPARE(differences(confirmed.json(),
                             {{"user.role", u"owner"_s},
                              {"user.email", u"founder@gamma.test"_s},
                              {"token_type", u"Bearer"_s},
                              {"expires_in", 900}}),
                 QString());
        QVERIFY(!str(confirmed, "refresh_token").isEmpty());
        const HttpResult firm = get(u"/firms/current"_s, str(confirmed, "access_token"));
        EXPECT(firm, 200);
        QCOMPARE(differences(firm.json(),
                             {{"name", u"Gamma Registered Ltd"_s}, {"country", u"GB"_s}, {"id", str(confirmed, "user.firm_id")}}),
                 QString());
        const auto after = rows();
        QCOMPARE(after, (QList{before[0] + 1, before[1] + 1}));
        EXPECT(call("POST", u"/users/invitations/accept"_s, J(R"({"token":"%1","password":"%2"})", confirmToken, kPassword)),
               401);

        // A taken address gets exactly the answer a new one gets (no enumeration); its owner is told
        // by mail, and nothing is created.
        QJsonObject dup = good;
        dup.insert(u"firm_name"_s, u"Another Name Ltd"_s);
        const HttpResult taken = call("POST", u"/firms/register"_s, dup);
        QJsonObject fresh = dup;
        fresh.insert(u"admin_email"_s, u"someone.new@gamma.test"_s);
        const HttpResult unknown = call("POST", u"/firms/register"_s, fresh);
        QCOMPARE(taken.status, 202);
        QCOMPARE(unknown.status, 202);
        QCOMPARE(taken.body, unknown.body);
        QCOMPARE(rows(), after);
        QCOMPARE(
            count(u"SELECT COUNT(*) FROM mail_outbox WHERE to_address = 'founder@gamma.test' AND kind = 'registration_notice'"_s),
            1);
        QVERIFY(mailToken(u"founder@gamma.test"_s).isEmpty()); // the notice carries no token
        const QList<std::pair<QJsonObject, QStringList>> bad = {
            {J(R"({"admin_password":"short"})"), {u"admin_password"_s}},
            {J(R"({"admin_email":"longer.founder@delta.test","admin_password":"longer.founder@delta.test"})"),
             {u"admin_password"_s}},
            {J(R"({"admin_email":"not-an-email"})"), {u"admin_email"_s}},
            {J(R"({"country":"GBR"})"), {u"country"_s}},
            {J(R"({"favourite_colour":"blue"})"), {u"favourite_colour"_s}},
            {J(R"({"admin_password":"short","country":"GBR","admin_email":"nope"})"),
             {u"admin_password"_s, u"country"_s, u"admin_email"_s}},
        };
        for (const auto &[patch, fields] : bad) {
            QJsonObject body = good;
            body.insert(u"firm_name"_s, u"Delta Ltd"_s);
            body.insert(u"admin_email"_s, u"delta@delta.test"_s);
            for (auto it = patch.begin(); it != patch.end(); ++it)
                body.insert(it.key(), it.value());
            const HttpResult e = call("POST", u"/firms/register"_s, body);
            EXPECT(e, 400);
            for (const auto &f : fields)
                QVERIFY2(messages(e).contains(f), qPrintable(messages(e)));
            QCOMPARE(rows(), after);
        }
    }

    void loginAndLockout()
    {
        const QString email = u"lock@alpha.test"_s, wrongPassword = u"not the right password"_s;
        const QString id = addUser(m_firmA, email, Role::Analyst);
        const HttpResult ok = login(email);
        EXPECT(ok, 200);
        QVERIFY(!str(ok, "access_token").isEmpty() && !str(ok, "refresh_token").isEmpty());
        QCOMPARE(differences(ok.json(), {{"token_type", u"Bearer"_s}, {"expires_in", 900}, {"user.id", id}}), QString());
        const HttpResult wrong = login(email, wrongPassword);
        EXPECT(wrong, 401);
        const HttpResult unknown = login(u"nobody@alpha.test"_s);
        EXPECT(unknown, 401);
        QCOMPARE(unknown.json(), wrong.json()); // the answer never tells whether the email exists
        for (int i = 0; i < 4; ++i)
            EXPECT(login(email, wrongPassword), 401);
        const HttpResult locked = login(email); // the right password, but locked after 5 failures
        EXPECT(locked, 401);
        QCOMPARE(locked.json(), wrong.json());
        clock().advanceMs(14 * 60'000);
        EXPECT(login(email), 401);
        clock().advanceMs(60'000 + 1000);
        EXPECT(login(email), 200);
        QVERIFY(events(m_firmA, u"auth.login_failed"_s, id).size() >= 5);
        QCOMPARE(events(m_firmA, u"auth.account_locked"_s, id).size(), 1);
        QVERIFY(!events(QString(), u"auth.login_failed"_s).isEmpty()); // the unknown account, on the platform chain
    }

    void tokens()
    {
        TOKEN(t, kAnalyst);
        const HttpResult profile = get(u"/auth/me"_s, t);
        EXPECT(profile, 200);
        QCOMPARE(differences(profile.json(),
                             {{"user.email", kAnalyst}, {"firm.id", m_firmA}, {"role", u"analyst"_s}, {"mfa_enabled", false}}),
                 QString());
        const QJsonObject claims = jwtPart(t, 1);
        const qint64 iat = clock().now().toSecsSinceEpoch();
        QCOMPARE(jwtPart(t, 0).value(u"alg"_s).toString(), u"HS256"_s);
        QVERIFY(!claims.value(u"sid"_s).toString().isEmpty() && !claims.value(u"jti"_s).toString().isEmpty());
        QCOMPARE(differences(claims,
                             {{"sub", m_ids.value(kAnalyst)},
                              {"firm", m_firmA},
                              {"role", u"analyst"_s},
                              {"iss", u"kyconnect"_s},
                              {"iat", iat},
                              {"exp", iat + 900}}),
                 QString());
        // Both directions with a standard HS256 implementation and the instance secret (a 0600 file).
        const QString secretPath = Backend::jwtSecretPath(m_server->dataDir());
        QVERIFY(!(QFile::permissions(secretPath) & (QFile::ReadGroup | QFile::ReadOther | QFile::WriteOther)));
        const auto secret = crypto::loadOrCreateSecret(secretPath, 32);
        QVERIFY(secret);
        QVERIFY(crypto::verifyJwt(t, *secret, {u"kyconnect"_s, iat, 0}));
        QJsonObject own = claims;
        own.insert(u"jti"_s, u"made-elsewhere"_s);
        QCOMPARE(me(crypto::signJwt(own, *secret)), 200);
        QJsonObject otherIssuer = claims, expired = claims;
        otherIssuer.insert(u"iss"_s, u"someone-else"_s);
        expired.insert(u"exp"_s, iat - 1);
        const qsizetype sig = t.lastIndexOf(u'.') + 1;
        QString flipped = t;
        flipped[sig + 10] = t[sig + 10] == u'A' ? u'B' : u'A';
        const QString none = QString::fromLatin1(QByteArray(R"({"alg":"none","typ":"JWT"})")
                                                     .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals))
            + u'.' + t.section(u'.', 1, 1) + u'.';
        const QString refresh = str(login(kAnalyst), "refresh_token");
        for (const QString &bad :
             {flipped, none, crypto::signJwt(claims, QByteArray(32, 'k')), crypto::signJwt(otherIssuer, *secret),
              crypto::signJwt(expired, *secret), refresh, u"not.a.jwt"_s})
            EXPECT(get(u"/auth/me"_s, bad), 401);
        EXPECT(get(u"/auth/me"_s, {}), 401);
        QCOMPARE(me(t), 200);
        clock().advanceMs(16 * 60'000);
        EXPECT(get(u"/auth/me"_s, t), 401);
    }

    void refreshRotation()
    {
        const HttpResult first = login(kAnalyst);
        const QString access1 = str(first, "access_token"), refresh1 = str(first, "refresh_token");
        const HttpResult r = call("POST", u"/auth/refresh"_s, J(R"({"refresh_token":"%1"})", refresh1));
        EXPECT(r, 200);
        const QString access2 = str(r, "access_token"), refresh2 = str(r, "refresh_token");
        QVERIFY(!access2.isEmpty() && !refresh2.isEmpty() && refresh2 != refresh1);
        QCOMPARE(me(access2), 200);
        EXPECT(call("POST", u"/auth/refresh"_s, J(R"({"refresh_token":"%1"})", refresh1)), 401); // reuse
        EXPECT(call("POST", u"/auth/refresh"_s, J(R"({"refresh_token":"%1"})", refresh2)), 401); // the session ended
        QCOMPARE(me(access2), 401);
        QCOMPARE(me(access1), 401);
        QCOMPARE(events(m_firmA, u"auth.refresh_reuse_detected"_s, jwtPart(access1, 1).value(u"sid"_s).toString()).size(), 1);
    }

    void logout()
    {
        TOKEN(t, kAnalyst);
        QCOMPARE(call("POST", u"/auth/logout"_s, {}, t).status, 204);
        EXPECT(get(u"/auth/me"_s, t), 401);
    }

    void sessions()
    {
        addUser(m_firmA, u"sessions@alpha.test"_s, Role::Viewer);
        TOKEN(t1, u"sessions@alpha.test"_s);
        TOKEN(t2, u"sessions@alpha.test"_s);
        const HttpResult list = get(u"/auth/sessions"_s, t1);
        EXPECT(list, 200);
        QCOMPARE(at(list, "data").toArray().size(), 2);
        QCOMPARE(at(list, "meta.total").toInt(), 2);
        QCOMPARE(at(list, "meta.page").toInt(), 1);
        QString other;
        for (const auto &s : at(list, "data").toArray()) {
            if (!s.toObject().value(u"current"_s).toBool())
                other = s.toObject().value(u"id"_s).toString();
        }
        QCOMPARE(other, jwtPart(t2, 1).value(u"sid"_s).toString());
        QCOMPARE(call("DELETE", u"/auth/sessions/"_s + other, {}, t1).status, 204);
        EXPECT(get(u"/auth/me"_s, t2), 401);
        QCOMPARE(me(t1), 200);
        QCOMPARE(at(get(u"/auth/sessions"_s, t1), "data").toArray().size(), 1);
        EXPECT(call("DELETE", u"/auth/sessions/3f1c2b6e-8a4d-4e1f-9b7a-2c5d6e7f8a9b"_s, {}, t1), 404);
        EXPECT(call("DELETE", u"/auth/sessions/not-a-uuid"_s, {}, t1), 404);
        TOKEN(a, kAnalyst); // another user's session is not the caller's to end
        EXPECT(call("DELETE", u"/auth/sessions/"_s + jwtPart(a, 1).value(u"sid"_s).toString(), {}, t1), 404);
        QCOMPARE(me(a), 200);
    }

    void mfa()
    {
        const QString email = u"mfa@alpha.test"_s;
        addUser(m_firmA, email, Role::Analyst);
        TOKEN(t, email);
        const HttpResult setup = call("POST", u"/auth/mfa/setup"_s, {}, t);
        EXPECT(setup, 200);
        const QString url = str(setup, "otpauth_url");
        QVERIFY2(url.startsWith(u"otpauth://totp/"_s) && url.contains(u"issuer=KYConnect"_s), qPrintable(url));
        const auto secret = crypto::base32Decode(str(setup, "secret"));
        QVERIFY(secret && !secret->isEmpty());
        const auto code = [&](qint64 offset = 0) { return crypto::totpAt(*secret, clock().now().toSecsSinceEpoch() + offset); };
        QString wrong = u"000000"_s;
        for (int i = 1; wrong == code(-30) || wrong == code() || wrong == code(30); ++i)
            wrong = QString::number(i * 7919 % 1000000).rightJustified(6, u'0');
        EXPECT(call("POST", u"/auth/mfa/verify"_s, J(R"({"code":"%1"})", wrong), t), 422);
        const HttpResult verified = call("POST", u"/auth/mfa/verify"_s, J(R"({"code":"%1"})", code()), t);
        EXPECT(verified, 200);
        QCOMPARE(at(verified, "mfa_enabled"), QJsonValue(true));
        const QStringList recovery = at(verified, "recovery_codes").toVariant().toStringList();
        QCOMPARE(recovery.size(), 10);
        QCOMPARE(QSet<QString>(recovery.begin(), recovery.end()).size(), 10);
        QCOMPARE(at(get(u"/auth/me"_s, t), "mfa_enabled"), QJsonValue(true));
        const HttpResult noCode = login(email);
        EXPECT(noCode, 401);
        QCOMPARE(at(noCode, "mfa_required"), QJsonValue(true));
        const HttpResult badCode = login(email, kPassword, wrong);
        EXPECT(badCode, 401);
        QCOMPARE(at(badCode, "mfa_required"), QJsonValue(true));
        // The verify call spent this time step's code; the next step's code signs in, once only.
        clock().advanceMs(30'000);
        const QString c = code();
        const HttpResult withCode = login(email, kPassword, c);
        EXPECT(withCode, 200);
        EXPECT(login(email, kPassword, c), 401);
        EXPECT(login(email, kPassword, recovery[0]), 200);
        EXPECT(login(email, kPassword, recovery[0]), 401);
        clock().advanceMs(30'000);
        const QJsonObject disable = J(R"({"code":"%1","password":"%2"})", code(), kPassword);
        QCOMPARE(call("POST", u"/auth/mfa/disable"_s, disable, str(withCode, "access_token")).status, 204);
        EXPECT(login(email), 200);
        QCOMPARE(events(m_firmA, u"auth.mfa_enabled"_s, m_ids.value(email)).size(), 1);
        QCOMPARE(events(m_firmA, u"auth.mfa_disabled"_s, m_ids.value(email)).size(), 1);
    }

    void mfaRequiredByFirm()
    {
        auto firm = backend().accounts().createFirm(
            {u"Epsilon Secure"_s, u"FR"_s, {}, u"owner@epsilon.test"_s, kPassword, u"Eve Owner"_s, {}});
        QVERIFY(firm);
        addUser(firm->first.id, u"member@epsilon.test"_s, Role::Admin);
        TOKEN(owner, u"owner@epsilon.test"_s);
        const HttpResult set = call("PATCH", u"/firms/current/settings"_s, J(R"({"mfa_required":true})"), owner);
        EXPECT(set, 200);
        QCOMPARE(at(set, "mfa_required"), QJsonValue(true));
        TOKEN(member, u"member@epsilon.test"_s);
        const HttpResult users = get(u"/users"_s, member);
        EXPECT(users, 403);
        QVERIFY2(str(users, "message").contains(u"MFA"_s), users.body.constData());
        EXPECT(call("POST", u"/auth/mfa/setup"_s, {}, member), 200);
    }

    void forgotAndReset()
    {
        const QString email = u"reset@alpha.test"_s;
        addUser(m_firmA, email, Role::Analyst);
        TOKEN(old, email);
        const qint64 rows = count(u"SELECT COUNT(*) FROM mail_outbox"_s);
        const HttpResult known = call("POST", u"/auth/forgot-password"_s, J(R"({"email":"%1"})", email));
        const HttpResult unknown = call("POST", u"/auth/forgot-password"_s, J(R"({"email":"ghost@alpha.test"})"));
        QCOMPARE(known.status, 202);
        QCOMPARE(unknown.status, 202);
        QCOMPARE(known.body, unknown.body);
        QCOMPARE(count(u"SELECT COUNT(*) FROM mail_outbox"_s), rows + 1);
        QCOMPARE(count(u"SELECT COUNT(*) FROM mail_outbox WHERE to_address = ?"_s, {email}), 1);
        bool inEml = false, inRow = true;
        const QString resetToken = mailToken(email, &inEml, &inRow);
        QVERIFY(!resetToken.isEmpty());
        QVERIFY(inEml);
        QVERIFY(!inRow); // delivered: the database keeps no copy of the token
        const QJsonObject reset = J(R"({"token":"%1","new_password":"%2"})", resetToken, kNewPassword);
        QCOMPARE(call("POST", u"/auth/reset-password"_s, reset).status, 204);
        EXPECT(call("POST", u"/auth/reset-password"_s, reset), 401);
        EXPECT(login(email), 401);
        EXPECT(login(email, kNewPassword), 200);
        EXPECT(get(u"/auth/me"_s, old), 401);
        QCOMPARE(events(m_firmA, u"auth.password_reset"_s, m_ids.value(email)).size(), 1);
        QCOMPARE(call("POST", u"/auth/forgot-password"_s, J(R"({"email":"%1"})", email)).status, 202);
        const QString late = mailToken(email);
        QVERIFY(!late.isEmpty() && late != resetToken);
        clock().advanceMs(31 * 60'000);
        EXPECT(call("POST", u"/auth/reset-password"_s, J(R"({"token":"%1","new_password":"%2"})", late, kPassword)), 401);
        EXPECT(login(email, kNewPassword), 200);
    }

    void changePassword()
    {
        const QString email = u"change@alpha.test"_s;
        addUser(m_firmA, email, Role::Viewer);
        TOKEN(t, email);
        const auto change = [&](const QString &current, const QString &next) {
            return call("POST", u"/auth/change-password"_s, J(R"({"current_password":"%1","new_password":"%2"})", current, next),
                        t);
        };
        EXPECT(change(u"not my password at all"_s, kNewPassword), 422);
        const HttpResult shortOne = change(kPassword, u"short"_s);
        EXPECT(shortOne, 400);
        QVERIFY(messages(shortOne).contains(u"new_password"_s));
        QCOMPARE(change(kPassword, kNewPassword).status, 204);
        EXPECT(login(email), 401);
        EXPECT(login(email, kNewPassword), 200);
        QCOMPARE(me(t), 200); // the session that changed the password stays
    }

    void invitations()
    {
        TOKEN(admin, kAdmin);
        TOKEN(owner, kOwner);
        const auto invite = [&](const QString &email, const QString &role, const QString &as) {
            return call("POST", u"/users/invite"_s, J(R"({"email":"%1","role":"%2","name":"New Person"})", email, role), as);
        };
        const auto accept = [&](const QString &token) {
            return call("POST", u"/users/invitations/accept"_s, J(R"({"token":"%1","password":"%2"})", token, kPassword));
        };
        const HttpResult inv = invite(u"new.analyst@alpha.test"_s, u"analyst"_s, admin);
        EXPECT(inv, 201);
        QCOMPARE(str(inv, "status"), u"pending"_s);
        QCOMPARE(count(u"SELECT COUNT(*) FROM mail_outbox WHERE to_address = ? AND kind = 'invitation'"_s,
                       {u"new.analyst@alpha.test"_s}),
                 1);
        bool inEml = false, inRow = true;
        const QString token = mailToken(u"new.analyst@alpha.test"_s, &inEml, &inRow);
        QVERIFY(!token.isEmpty() && inEml && !inRow);
        const HttpResult list = get(u"/users/invitations"_s, admin);
        EXPECT(list, 200);
        QVERIFY(strings(at(list, "data"), u"id"_s).contains(str(inv, "id")));
        EXPECT(invite(u"would.be.owner@alpha.test"_s, u"owner"_s, admin), 403);
        const HttpResult ownerInv = invite(u"second.owner@alpha.test"_s, u"owner"_s, owner);
        EXPECT(ownerInv, 201);
        const QString ownerToken = mailToken(u"second.owner@alpha.test"_s);
        const HttpResult accepted = accept(token);
        EXPECT(accepted, 201);
        QCOMPARE(str(accepted, "user.role"), u"analyst"_s);
        const HttpResult profile = get(u"/auth/me"_s, str(accepted, "access_token"));
        QCOMPARE(str(profile, "role"), u"analyst"_s);
        QCOMPARE(str(profile, "firm.id"), m_firmA);
        EXPECT(accept(token), 401);
        QCOMPARE(call("DELETE", u"/users/invitations/"_s + str(ownerInv, "id"), {}, admin).status, 204);
        EXPECT(accept(ownerToken), 401);
        EXPECT(invite(u"late@alpha.test"_s, u"viewer"_s, admin), 201);
        const QString lateToken = mailToken(u"late@alpha.test"_s);
        clock().advanceMs(72 * 3600'000LL + 1000);
        EXPECT(accept(lateToken), 401);
        QCOMPARE(count(u"SELECT COUNT(*) FROM users WHERE email IN ('late@alpha.test', 'second.owner@alpha.test')"_s), 0);
    }

    void users()
    {
        TOKEN(admin, kAdmin);
        TOKEN(owner, kOwner);
        TOKEN(analyst, kAnalyst);
        const HttpResult all = get(u"/users?limit=100"_s, admin);
        EXPECT(all, 200);
        QVERIFY(allEqual(strings(at(all, "data"), u"firm_id"_s), m_firmA));
        QVERIFY(strings(at(all, "data"), u"email"_s).contains(kOwner));
        QVERIFY(!strings(at(all, "data"), u"email"_s).contains(kOwnerB));
        QVERIFY(allEqual(strings(at(get(u"/users?role=analyst"_s, admin), "data"), u"role"_s), u"analyst"_s));
        QVERIFY(allEqual(strings(at(get(u"/users?status=active&limit=100"_s, admin), "data"), u"status"_s), u"active"_s));
        EXPECT(get(u"/users?role=bogus"_s, admin), 400);
        EXPECT(get(u"/users/"_s + m_ids.value(kAnalyst), analyst), 200);
        EXPECT(get(u"/users/"_s + m_ids.value(kAdmin), analyst), 403);
        EXPECT(get(u"/users/"_s + m_ids.value(kOwnerB), admin), 404); // another firm's id
        EXPECT(call("PATCH", u"/users/"_s + m_ids.value(kOwnerB), J(R"({"status":"deactivated"})"), admin), 404);
        const QString promoted = addUser(m_firmA, u"promote@alpha.test"_s, Role::Viewer);
        const HttpResult p = call("PATCH", u"/users/"_s + promoted, J(R"({"role":"analyst"})"), admin);
        EXPECT(p, 200);
        QCOMPARE(str(p, "role"), u"analyst"_s);
        const auto changed = events(m_firmA, u"user.role_changed"_s, promoted);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed[0].details.value(u"role"_s).toObject(), J(R"({"before":"viewer","after":"analyst"})"));
        const QString ownerPath = u"/users/"_s + m_ids.value(kOwner);
        EXPECT(call("PATCH", ownerPath, J(R"({"role":"admin"})"), owner), 422);
        EXPECT(call("PATCH", ownerPath, J(R"({"status":"deactivated"})"), owner), 422);
        EXPECT(call("PATCH", ownerPath, J(R"({"role":"admin"})"), admin), 403);
        const QString leaver = addUser(m_firmA, u"leaver@alpha.test"_s, Role::Admin);
        TOKEN(lt, u"leaver@alpha.test"_s);
        const HttpResult key = call("POST", u"/api-keys"_s, J(R"({"name":"CI","scopes":["audit:read"]})"), lt);
        EXPECT(key, 201);
        const HttpResult off = call("PATCH", u"/users/"_s + leaver, J(R"({"status":"deactivated"})"), owner);
        EXPECT(off, 200);
        QCOMPARE(str(off, "status"), u"deactivated"_s);
        EXPECT(get(u"/auth/me"_s, lt), 401);
        EXPECT(login(u"leaver@alpha.test"_s), 401);
        QCOMPARE(withKey(u"/audit/logs"_s, str(key, "key")), 200); // keys they created stay
        QCOMPARE(events(m_firmA, u"user.deactivated"_s, leaver).size(), 1);
    }

    void apiKeys()
    {
        TOKEN(admin, kAdmin);
        const auto create = [&](const char *scope, const QString &expires = {}) {
            QJsonObject body = J(R"({"name":"SIEM export","scopes":["%1"]})", QString::fromLatin1(scope));
            if (!expires.isEmpty())
                body.insert(u"expires_at"_s, expires);
            return call("POST", u"/api-keys"_s, body, admin);
        };
        const auto works = [&](const QString &key) { return withKey(u"/audit/logs"_s, key); };
        const HttpResult created = create("audit:read");
        EXPECT(created, 201);
        const QString key = str(created, "key"), id = str(created, "id");
        QVERIFY(key.startsWith(u"kc_live_"_s));
        const HttpResult one = get(u"/api-keys/"_s + id, admin);
        EXPECT(one, 200);
        QVERIFY(!one.json().contains(u"key"_s));
        QVERIFY(!get(u"/api-keys"_s, admin).body.contains(key.toLatin1()));
        // Only the SHA-256 (64 hex digits) is stored; the key itself is nowhere in its row.
        const QString hash = QString::fromLatin1(crypto::sha256Hex(key.toUtf8()));
        QCOMPARE(count(u"SELECT COUNT(*) FROM api_keys WHERE id = ? AND key_hash = ? AND length(key_hash) = 64"_s, {id, hash}),
                 1);
        QCOMPARE(
            count(u"SELECT COUNT(*) FROM api_keys WHERE instr(id||name||prefix||key_hash||scopes||created_by, ?) > 0"_s, {key}),
            0);
        QCOMPARE(works(key), 200);
        TOKEN(other, kOwnerB);
        EXPECT(get(u"/api-keys/"_s + id, other), 404); // another firm's id
        EXPECT(call("DELETE", u"/api-keys/"_s + id, {}, other), 404);
        QVERIFY(at(get(u"/api-keys/"_s + id, admin), "last_used_at").isString());
        EXPECT(call("GET", u"/audit/export"_s, {}, {}, key), 403);
        EXPECT(call("GET", u"/audit/logs"_s, {}, {}, str(create("cases:read"), "key")), 403);
        EXPECT(call("GET", u"/audit/logs"_s, {}, {}, u"kc_live_"_s + QString(40, u'x')), 401);
        QCOMPARE(call("DELETE", u"/api-keys/"_s + id, {}, admin).status, 204);
        EXPECT(call("GET", u"/audit/logs"_s, {}, {}, key), 401);
        const auto rotate = [&](const HttpResult &k, int grace) {
            return call("POST", u"/api-keys/%1/rotate"_s.arg(str(k, "id")), J(R"({"grace_period_s":%1})", QString::number(grace)),
                        admin);
        };
        const HttpResult k0 = create("audit:read");
        const HttpResult r0 = rotate(k0, 0);
        QVERIFY2(r0.status == 200 || r0.status == 201, r0.body.constData());
        QCOMPARE(works(str(k0, "key")), 401);
        QCOMPARE(works(str(r0, "key")), 200);
        const HttpResult k1 = create("audit:read");
        const QString graceKey = str(rotate(k1, 3600), "key");
        QVERIFY(graceKey.startsWith(u"kc_live_"_s));
        QCOMPARE(works(str(k1, "key")), 200);
        QCOMPARE(works(graceKey), 200);
        const HttpResult past = create("audit:read", isoUtc(clock().now().addSecs(-60)));
        EXPECT(past, 400);
        QVERIFY(messages(past).contains(u"expires_at"_s));
        const HttpResult expiring = create("audit:read", isoUtc(clock().now().addSecs(1800)));
        EXPECT(expiring, 201);
        QCOMPARE(works(str(expiring, "key")), 200);
        clock().advanceMs(1801'000);
        QCOMPARE(works(str(expiring, "key")), 401);
        QCOMPARE(works(str(k1, "key")), 200); // still within its grace period
        clock().advanceMs(1800'000);
        QCOMPARE(works(str(k1, "key")), 401); // 3601 s after the rotation
        QCOMPARE(works(graceKey), 200);
    }

    void auditEndpoints()
    {
        TOKEN(co, kCo);
        TOKEN(analyst, kAnalyst);
        const HttpResult logins = get(u"/audit/logs?action=auth.login&limit=100"_s, co);
        EXPECT(logins, 200);
        QVERIFY(allEqual(strings(at(logins, "data"), u"action"_s), u"auth.login"_s));
        QVERIFY(allEqual(strings(at(logins, "data"), u"firm_id"_s), m_firmA));
        QVERIFY(allEqual(strings(at(get(u"/audit/logs?entity_type=user&limit=100"_s, co), "data"), u"entity_type"_s), u"user"_s));
        const HttpResult page1 = get(u"/audit/logs?limit=2&page=1"_s, co), page2 = get(u"/audit/logs?limit=2&page=2"_s, co);
        QCOMPARE(at(page1, "meta.limit").toInt(), 2);
        QCOMPARE(at(page1, "meta.page").toInt(), 1);
        QVERIFY(at(page1, "meta.total").toInt() > 4);
        const QStringList ids1 = strings(at(page1, "data"), u"id"_s), ids2 = strings(at(page2, "data"), u"id"_s);
        QCOMPARE(ids1.size(), 2);
        QCOMPARE(ids2.size(), 2);
        QVERIFY(!ids1.contains(ids2[0]) && !ids1.contains(ids2[1]));
        const HttpResult one = get(u"/audit/logs/"_s + ids1[0], co);
        EXPECT(one, 200);
        QCOMPARE(str(one, "id"), ids1[0]);
        QVERIFY(one.json().contains(u"sequence"_s) && one.json().contains(u"prev_hash"_s) && one.json().contains(u"hash"_s));
        const auto theirs = backend().audit().list(m_firmB, {}, {1, 1});
        QVERIFY(theirs && !theirs->items.isEmpty());
        EXPECT(get(u"/audit/logs/"_s + theirs->items[0].id, co), 404);
        const HttpResult verify = get(u"/audit/verify"_s, co);
        EXPECT(verify, 200);
        QCOMPARE(at(verify, "valid"), QJsonValue(true));
        QVERIFY(at(verify, "checked").toInteger() > 0);
        QVERIFY(QRegularExpression(u"^[0-9a-f]{64}$"_s).match(str(verify, "head_hash")).hasMatch());
        const HttpResult csv = get(u"/audit/export?format=csv"_s, co);
        EXPECT(csv, 200);
        QVERIFY(csv.headers.value("content-type").startsWith("text/csv"));
        const QList<QByteArray> lines = csv.body.trimmed().split('\n');
        QVERIFY(lines.size() > 2);
        QVERIFY2(lines[0].trimmed().startsWith("sequence,id,chain") && lines[0].trimmed().endsWith(",hash"),
                 lines[0].constData());
        const HttpResult jsonl = get(u"/audit/export?format=jsonl"_s, co);
        EXPECT(jsonl, 200);
        QVERIFY(jsonl.headers.value("content-type").startsWith("application/x-ndjson"));
        for (const QByteArray &line : jsonl.body.trimmed().split('\n')) {
            const QJsonObject e = QJsonDocument::fromJson(line).object();
            QCOMPARE(e.value(u"chain"_s).toString(), m_firmA);
            QCOMPARE(e.value(u"hash"_s).toString().size(), 64);
        }
        const HttpResult cp = get(u"/audit/checkpoint"_s, co);
        EXPECT(cp, 200);
        audit::Checkpoint c;
        c.chain = m_firmA;
        c.sequence = at(cp, "sequence").toInteger();
        c.headHash = str(cp, "head_hash");
        c.signedAt = str(cp, "signed_at");
        const QByteArray signature = QByteArray::fromBase64(str(cp, "signature").toLatin1());
        const QByteArray publicKey = QByteArray::fromBase64(str(cp, "public_key").toLatin1());
        QVERIFY(c.sequence > 0 && !c.signedAt.isEmpty());
        QCOMPARE(publicKey, backend().audit().publicKey());
        QVERIFY(crypto::ed25519Verify(publicKey, audit::checkpointMessage(c), signature));
        c.sequence += 1;
        QVERIFY(!crypto::ed25519Verify(publicKey, audit::checkpointMessage(c), signature));
        EXPECT(get(u"/audit/logs"_s, analyst), 403);
        EXPECT(get(u"/audit/export"_s, analyst), 403);
    }

    void firms()
    {
        TOKEN(admin, kAdmin);
        TOKEN(owner, kOwner);
        TOKEN(analyst, kAnalyst);
        const HttpResult current = get(u"/firms/current"_s, analyst);
        EXPECT(current, 200);
        QCOMPARE(str(current, "id"), m_firmA);
        const QJsonObject patch = J(R"({"name":"Alpha Compliance Group",
            "address":{"line1":"1 High Street","city":"London","postal_code":"EC1A 1AA","country":"GB"}})");
        const HttpResult patched = call("PATCH", u"/firms/current"_s, patch, admin);
        EXPECT(patched, 200);
        QCOMPARE(str(patched, "name"), u"Alpha Compliance Group"_s);
        QCOMPARE(at(patched, "address"), patch.value(u"address"_s));
        QCOMPARE(events(m_firmA, u"firm.updated"_s, m_firmA).size(), 1);
        EXPECT(call("PATCH", u"/firms/current"_s, J(R"({"name":"Hijacked"})"), analyst), 403);
        const QJsonObject defaults = J(R"({"risk_thresholds":{"medium":40,"high":70},"screening_match_threshold":0.8,
            "screening_lists":["sanctions","pep","adverse_media"],"four_eyes_enabled":true,"mfa_required":false,
            "data_retention_days":1825,"default_currency":"EUR"})");
        const HttpResult settings = get(u"/firms/current/settings"_s, admin);
        EXPECT(settings, 200);
        QCOMPARE(settings.json(), defaults);
        EXPECT(call("PATCH", u"/firms/current/settings"_s, J(R"({"data_retention_days":3650})"), admin), 403);
        const QList<std::pair<const char *, QString>> bad = {
            {R"({"data_retention_days":10})", u"data_retention_days"_s},
            {R"({"default_currency":"eur"})", u"default_currency"_s},
            {R"({"risk_thresholds":{"medium":80,"high":60}})", u"risk_thresholds"_s},
            {R"({"unknown_key":1})", u"unknown_key"_s},
            {R"({"four_eyes_enabled":false,"data_retention_days":10})", u"data_retention_days"_s},
        };
        for (const auto &[body, field] : bad) {
            const HttpResult e = call("PATCH", u"/firms/current/settings"_s, J(body), owner);
            EXPECT(e, 400);
            QVERIFY2(messages(e).contains(field), qPrintable(messages(e)));
        }
        QCOMPARE(get(u"/firms/current/settings"_s, admin).json(), defaults);
        const HttpResult good
            = call("PATCH", u"/firms/current/settings"_s, J(R"({"data_retention_days":3650,"default_currency":"GBP"})"), owner);
        EXPECT(good, 200);
        QJsonObject expected = defaults;
        expected.insert(u"data_retention_days"_s, 3650);
        expected.insert(u"default_currency"_s, u"GBP"_s);
        QCOMPARE(good.json(), expected);
        QCOMPARE(get(u"/firms/current/settings"_s, admin).json(), expected);
        QCOMPARE(events(m_firmA, u"firm.settings_updated"_s).size(), 1);
    }

    // scrypt runs on the router's workers: /health, sent after 20 logins, is answered before the
    // last of them (20 logins cost over a second of hashing on two workers; /health microseconds).
    void healthDuringConcurrentLogins()
    {
        addUser(m_firmA, u"burst@alpha.test"_s, Role::Viewer);
        const QByteArray body = QJsonDocument(J(R"({"email":"burst@alpha.test","password":"%1"})", kPassword)).toJson();
        const QByteArray loginRaw = "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                    "Content-Length: "
            + QByteArray::number(body.size()) + "\r\n\r\n" + body;
        constexpr int kLogins = 20;
        QList<QByteArray> buffers(kLogins + 1);
        QList<HttpResult> results(kLogins + 1);
        QList<int> order; // socket indexes in the order their answers completed
        std::vector<std::unique_ptr<QTcpSocket>> sockets; // destroyed before what their handlers write to
        for (int i = 0; i <= kLogins; ++i) {
            auto s = std::make_unique<QTcpSocket>();
            connect(s.get(), &QTcpSocket::readyRead, this, [&, i, sock = s.get()] {
                buffers[i] += sock->readAll();
                if (!results[i].ok && test::parseResponse(buffers[i], results[i]) >= 0)
                    order << i;
            });
            s->connectToHost(u"127.0.0.1"_s, port());
            QVERIFY(s->waitForConnected(10'000));
            sockets.push_back(std::move(s));
        }
        for (int i = 0; i < kLogins; ++i) {
            sockets[i]->write(loginRaw);
            QVERIFY(sockets[i]->waitForBytesWritten(10'000));
        }
        sockets[kLogins]->write("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QVERIFY(sockets[kLogins]->waitForBytesWritten(10'000));
        QTRY_VERIFY_WITH_TIMEOUT(order.size() == kLogins + 1, 120'000);
        QCOMPARE(results[kLogins].status, 200);
        for (int i = 0; i < kLogins; ++i)
            QVERIFY2(results[i].status == 200, results[i].body.constData());
        QVERIFY2(order.indexOf(kLogins) < kLogins, "/health waited for every login to finish");
    }

    void auditChainsStillVerify()
    {
        auto all = backend().audit().verifyAll();
        QVERIFY(all && !all->isEmpty());
        for (const auto &v : *all)
            QVERIFY2(v.valid, qPrintable(v.chain + u": "_s + v.reason));
    }
};

QTEST_GUILESS_MAIN(TestIdentityApi)
#include "tst_identity_api.moc"
