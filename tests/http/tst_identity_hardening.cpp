// Issue 8, "defects a new user hit", over HTTP against the real server: one password rule, reset
// tokens that die with a later reset or password change, API keys rotated once, PATCH /firms/current
// held to its own OpenAPI schema (and null clearing optional fields), validators and the OpenAPI
// document agreeing at their limits, "must not be empty", an empty mfa_code, lone UTF-16 surrogates,
// real ISO country and currency codes, a date-only to= covering its day, and MFA set up under
// mfa_required counting at the very next request.
#include "backend/core/validation.h"
#include "backend/identity/accountservice.h"
#include "backend/security/totp.h"
#include "tests/testsupport/apiassert.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QUrlQuery>
#include <QtTest>

using namespace kyc;
using namespace Qt::Literals::StringLiterals;
using test::HttpResult;
using test::messages;

namespace {

const QString kPassword = u"correct horse battery staple"_s;
const QString kNewPassword = u"another long passphrase 42"_s;
const QString kBlank = u"                "_s; // 16 spaces: long enough, and nothing else

QJsonObject J(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json)).object();
}

} // namespace

class TstIdentityHardening : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::TestServer> m_server;
    int m_firms = 0;

    Backend &backend() { return m_server->backend(); }
    FakeClock &clock() { return m_server->clock(); }

    HttpResult raw(const QByteArray &method, const QString &path, const QByteArray &body, const QString &token = {})
    {
        test::Headers h;
        if (!token.isEmpty())
            h.append({"Authorization", "Bearer " + token.toLatin1()});
        return test::request(m_server->port(), method, "/api/v1" + path.toUtf8(), body, h);
    }
    HttpResult call(const QByteArray &method, const QString &path, const QJsonObject &body = {}, const QString &token = {})
    {
        const bool hasBody = method == "POST" || method == "PATCH";
        return raw(method, path, hasBody ? QJsonDocument(body).toJson(QJsonDocument::Compact) : QByteArray(), token);
    }
    HttpResult login(const QString &email, const QString &password = kPassword, const QJsonValue &code = {})
    {
        QJsonObject body{{u"email"_s, email}, {u"password"_s, password}};
        if (!code.isUndefined())
            body.insert(u"mfa_code"_s, code);
        return call("POST", u"/auth/login"_s, body);
    }
    QString token(const QString &email, const QString &password = kPassword)
    {
        return login(email, password).json().value(u"access_token"_s).toString();
    }
    // A new firm with its owner; returns the firm id.
    QString newFirm(const QString &owner)
    {
        auto f = backend().accounts().createFirm(
            {u"Hardening Firm %1"_s.arg(++m_firms), u"GB"_s, {}, owner, kPassword, u"Olive Owner"_s, {}});
        return f ? f->first.id : QString();
    }
    QString addUser(const QString &firmId, const QString &email, Role role)
    {
        auto u = backend().accounts().createUser(Actor::system(firmId), email, u"Test User"_s, role, kPassword);
        return u ? u->id : QString();
    }
    qint64 count(const QString &sql, const QVariantList &binds = {}) { return test::count(backend().database(), sql, binds); }
    // The token of the newest mail of a kind to an address, from its .eml file (the delivery without SMTP).
    QString mailedToken(const QString &to, const QString &kind)
    {
        QSqlQuery q(backend().database().connection());
        q.prepare(u"SELECT eml_file FROM mail_outbox WHERE to_address = ? AND kind = ? ORDER BY created_at DESC, rowid DESC"_s);
        q.addBindValue(to);
        q.addBindValue(kind);
        if (!q.exec() || !q.next())
            return {};
        QFile eml(QDir(backend().outbox().directory()).filePath(q.value(0).toString()));
        if (!eml.open(QIODevice::ReadOnly))
            return {};
        return QRegularExpression(u"\\n    (\\S+)\\r?\\n"_s)
            .match(QString::fromUtf8(eml.readAll().replace("=\r\n", "")))
            .captured(1);
    }

private slots:
    void initTestCase()
    {
        m_server = std::make_unique<test::TestServer>();
        QVERIFY(m_server->ok() && m_server->port());
    }

    // A password of white space only was accepted by every setter and then refused at login (locked out).
    void whiteSpacePasswordIsRefusedEverywhere()
    {
        // Registration.
        const HttpResult reg = call("POST", u"/firms/register"_s,
                                    {{u"firm_name"_s, u"Blank Ltd"_s},
                                     {u"country"_s, u"GB"_s},
                                     {u"admin_email"_s, u"blank@blank.test"_s},
                                     {u"admin_password"_s, kBlank},
                                     {u"admin_name"_s, u"Bea Blank"_s}});
        EXPECT(reg, 400);
        QVERIFY2(messages(reg).contains(u"admin_password"_s), qPrintable(messages(reg)));
        QCOMPARE(count(u"SELECT COUNT(*) FROM users WHERE email = 'blank@blank.test'"_s), 0);

        const QString firm = newFirm(u"owner@ws.test"_s);
        QVERIFY(!addUser(firm, u"user@ws.test"_s, Role::Analyst).isEmpty());
        const QString owner = token(u"owner@ws.test"_s), user = token(u"user@ws.test"_s);
        QVERIFY(!owner.isEmpty() && !user.isEmpty());

        // Change.
        const HttpResult change
            = call("POST", u"/auth/change-password"_s, {{u"current_password"_s, kPassword}, {u"new_password"_s, kBlank}}, user);
        EXPECT(change, 400);
        QVERIFY2(messages(change).contains(u"new_password"_s), qPrintable(messages(change)));

        // Reset.
        QCOMPARE(call("POST", u"/auth/forgot-password"_s, {{u"email"_s, u"user@ws.test"_s}}).status, 202);
        const QString reset = mailedToken(u"user@ws.test"_s, u"password_reset"_s);
        QVERIFY(!reset.isEmpty());
        EXPECT(call("POST", u"/auth/reset-password"_s, {{u"token"_s, reset}, {u"new_password"_s, kBlank}}), 400);

        // Invitation.
        EXPECT(call("POST", u"/users/invite"_s,
                    {{u"email"_s, u"invited@ws.test"_s}, {u"name"_s, u"Ivy Invited"_s}, {u"role"_s, u"analyst"_s}}, owner),
               201);
        const QString invitation = mailedToken(u"invited@ws.test"_s, u"invitation"_s);
        QVERIFY(!invitation.isEmpty());
        const HttpResult accept
            = call("POST", u"/users/invitations/accept"_s, {{u"token"_s, invitation}, {u"password"_s, kBlank}});
        EXPECT(accept, 400);
        QCOMPARE(count(u"SELECT COUNT(*) FROM users WHERE email = 'invited@ws.test'"_s), 0);

        // Nobody got locked out: the old password still works, the blank one never did.
        QCOMPARE(login(u"user@ws.test"_s).status, 200);
        EXPECT(login(u"user@ws.test"_s, kBlank), 401);
    }

    // Reset tokens asked for earlier died neither with a later reset nor with a password change.
    void resetTokensDieWithAResetOrAChange()
    {
        const QString firm = newFirm(u"owner@reset.test"_s);
        QVERIFY(!addUser(firm, u"user@reset.test"_s, Role::Analyst).isEmpty());
        QCOMPARE(call("POST", u"/auth/forgot-password"_s, {{u"email"_s, u"user@reset.test"_s}}).status, 202);
        const QString first = mailedToken(u"user@reset.test"_s, u"password_reset"_s);
        clock().advanceMs(1000);
        QCOMPARE(call("POST", u"/auth/forgot-password"_s, {{u"email"_s, u"user@reset.test"_s}}).status, 202);
        const QString second = mailedToken(u"user@reset.test"_s, u"password_reset"_s);
        QVERIFY(!first.isEmpty() && !second.isEmpty() && first != second);
        QCOMPARE(call("POST", u"/auth/reset-password"_s, {{u"token"_s, second}, {u"new_password"_s, kNewPassword}}).status, 204);
        EXPECT(call("POST", u"/auth/reset-password"_s, {{u"token"_s, first}, {u"new_password"_s, u"an attacker's choice 1"_s}}),
               401);
        QCOMPARE(login(u"user@reset.test"_s, kNewPassword).status, 200);

        // Asked for, then the password is changed while signed in: the token is dead too.
        clock().advanceMs(1000);
        QCOMPARE(call("POST", u"/auth/forgot-password"_s, {{u"email"_s, u"user@reset.test"_s}}).status, 202);
        const QString third = mailedToken(u"user@reset.test"_s, u"password_reset"_s);
        QVERIFY(!third.isEmpty() && third != second);
        const QString t = token(u"user@reset.test"_s, kNewPassword);
        QCOMPARE(
            call("POST", u"/auth/change-password"_s, {{u"current_password"_s, kNewPassword}, {u"new_password"_s, kPassword}}, t)
                .status,
            204);
        EXPECT(call("POST", u"/auth/reset-password"_s, {{u"token"_s, third}, {u"new_password"_s, u"an attacker's choice 2"_s}}),
               401);
        QCOMPARE(login(u"user@reset.test"_s, kPassword).status, 200);
        QCOMPARE(count(u"SELECT COUNT(*) FROM password_resets r JOIN users u ON u.id = r.user_id "
                       "WHERE u.email = 'user@reset.test' AND r.used_at IS NULL"_s),
                 0);
    }

    // A key in its grace period could be rotated again (200), leaving two live successors.
    void aRotatedKeyIsNotRotatedAgain()
    {
        newFirm(u"owner@keys.test"_s);
        const QString owner = token(u"owner@keys.test"_s);
        const HttpResult created
            = call("POST", u"/api-keys"_s, {{u"name"_s, u"ci"_s}, {u"scopes"_s, QJsonArray{u"audit:read"_s}}}, owner);
        EXPECT(created, 201);
        const QString id = created.json().value(u"id"_s).toString();
        const HttpResult rotated = call("POST", u"/api-keys/%1/rotate"_s.arg(id), {{u"grace_period_s"_s, 3600}}, owner);
        EXPECT(rotated, 200);
        const QString successor = rotated.json().value(u"id"_s).toString();
        QVERIFY(!successor.isEmpty() && successor != id);
        const HttpResult again = call("POST", u"/api-keys/%1/rotate"_s.arg(id), {{u"grace_period_s"_s, 3600}}, owner);
        EXPECT(again, 409);
        QCOMPARE(count(u"SELECT COUNT(*) FROM api_keys WHERE name = 'ci' AND revoked_at IS NULL"_s),
                 2); // the old (in grace) and one successor
        // The successor rotates normally, and its own successor does not expire with the old grace period.
        const HttpResult next = call("POST", u"/api-keys/%1/rotate"_s.arg(successor), {{u"grace_period_s"_s, 0}}, owner);
        EXPECT(next, 200);
        QVERIFY(next.json().value(u"expires_at"_s).isNull() || next.json().value(u"expires_at"_s).toString().isEmpty());
        // A revoked key is not rotated either.
        EXPECT(call("POST", u"/api-keys/%1/rotate"_s.arg(successor), {}, owner), 409);
    }

    // PATCH /firms/current stored what its own schema forbids; null answered 200 and kept the old value.
    void firmPatchFollowsItsSchemaAndNullClears()
    {
        const QString firm = newFirm(u"owner@patch.test"_s);
        const QString owner = token(u"owner@patch.test"_s);
        const HttpResult set = call("PATCH", u"/firms/current"_s, J(R"({"contact":{"name":"Ann Contact","email":"ann@patch.test"},
                                          "address":{"line1":"1 Main St","city":"Leeds","postal_code":"LS1 1AA","country":"GB"}})"),
                                    owner);
        EXPECT(set, 200);
        const QJsonObject before = call("GET", u"/firms/current"_s, {}, owner).json();
        const QList<std::pair<const char *, const char *>> bad = {
            {R"({"contact":{"email":"not-an-email"}})", "contact.email"},
            {R"({"address":{"line1":"1 Main St","city":"Leeds","postal_code":"123456789012345678901","country":"GB"}})",
             "address.postal_code"},
            {R"({"address":{"line1":"1 Main St","city":"Leeds","country":"XX"}})", "address.country"},
            {R"({"logo_storage_key":"../../etc/passwd"})", "logo_storage_key"},
            {R"({"name":null})", "name"},
            {R"({"name":""})", "name"},
        };
        for (const auto &[body, field] : bad) {
            const HttpResult e = call("PATCH", u"/firms/current"_s, J(body), owner);
            EXPECT(e, 400);
            QVERIFY2(messages(e).contains(QLatin1String(field)), qPrintable(QLatin1String(body) + u" → "_s + messages(e)));
        }
        // Permission before validation: a viewer's bad body is refused for the viewer, not described.
        QVERIFY(!addUser(firm, u"viewer@patch.test"_s, Role::Viewer).isEmpty());
        EXPECT(call("PATCH", u"/firms/current"_s, J(R"({"contact":{"email":"not-an-email"}})"), token(u"viewer@patch.test"_s)),
               403);
        // A well-formed key with no object behind it.
        const HttpResult missing = call("PATCH", u"/firms/current"_s, J(R"({"logo_storage_key":"no-such-logo.png"})"), owner);
        EXPECT(missing, 404);
        QCOMPARE(call("GET", u"/firms/current"_s, {}, owner).json(), before);

        // An uploaded object is accepted, and null removes it again; null clears the contact too.
        QSqlQuery obj(backend().database().connection());
        obj.prepare(u"INSERT INTO storage_objects (firm_id, object_key, content_type, size, sha256, file, created_at) "
                    "VALUES (?, 'logo.png', 'image/png', 4, 'x', 'f', '2026-01-01T00:00:00.000Z')"_s);
        obj.addBindValue(firm);
        QVERIFY(obj.exec());
        const HttpResult logo = call("PATCH", u"/firms/current"_s, J(R"({"logo_storage_key":"logo.png"})"), owner);
        EXPECT(logo, 200);
        QCOMPARE(logo.json().value(u"logo_storage_key"_s).toString(), u"logo.png"_s);
        const HttpResult cleared = call("PATCH", u"/firms/current"_s, J(R"({"logo_storage_key":null,"contact":null})"), owner);
        EXPECT(cleared, 200);
        const QJsonObject after = call("GET", u"/firms/current"_s, {}, owner).json();
        QVERIFY2(after.value(u"logo_storage_key"_s).toString().isEmpty(), QJsonDocument(after).toJson().constData());
        QVERIFY2(after.value(u"contact"_s).toObject().isEmpty(), QJsonDocument(after).toJson().constData());
        QCOMPARE(after.value(u"address"_s), before.value(u"address"_s));
        // A nullable member of an object clears just that member.
        EXPECT(call("PATCH", u"/firms/current"_s, J(R"({"contact":{"name":"Bo","email":"bo@patch.test"}})"), owner), 200);
        const HttpResult partial = call("PATCH", u"/firms/current"_s, J(R"({"contact":{"name":"Bo","email":null}})"), owner);
        EXPECT(partial, 200);
        QCOMPARE(partial.json().value(u"contact"_s).toObject(), (QJsonObject{{u"name"_s, u"Bo"_s}}));
    }

    // The validators and the OpenAPI document disagreed (grace_period_s, registration_number): both
    // now follow the request schema the server publishes, at the limit and one past it.
    void validatorsAgreeWithTheOpenApiDocument()
    {
        const QJsonObject doc = call("GET", u"/health/openapi.json"_s).json();
        const QJsonObject paths = doc.value(u"paths"_s).toObject();
        auto property = [&](const QString &path, const QString &method, const QString &name) {
            return paths.value(path)
                .toObject()
                .value(method)
                .toObject()
                .value(u"requestBody"_s)
                .toObject()
                .value(u"content"_s)
                .toObject()
                .value(u"application/json"_s)
                .toObject()
                .value(u"schema"_s)
                .toObject()
                .value(u"properties"_s)
                .toObject()
                .value(name)
                .toObject();
        };
        const qint64 maxGrace
            = property(u"/api-keys/{id}/rotate"_s, u"post"_s, u"grace_period_s"_s).value(u"maximum"_s).toInteger();
        const qint64 maxNumber
            = property(u"/firms/register"_s, u"post"_s, u"registration_number"_s).value(u"maxLength"_s).toInteger();
        QVERIFY2(maxGrace > 0 && maxNumber > 0, "the published schema names both limits");

        newFirm(u"owner@agree.test"_s);
        const QString owner = token(u"owner@agree.test"_s);
        auto newKey = [&] {
            return call("POST", u"/api-keys"_s, {{u"name"_s, u"agree"_s}, {u"scopes"_s, QJsonArray{u"audit:read"_s}}}, owner)
                .json()
                .value(u"id"_s)
                .toString();
        };
        EXPECT(call("POST", u"/api-keys/%1/rotate"_s.arg(newKey()), {{u"grace_period_s"_s, maxGrace + 1}}, owner), 400);
        EXPECT(call("POST", u"/api-keys/%1/rotate"_s.arg(newKey()), {{u"grace_period_s"_s, maxGrace}}, owner), 200);

        auto registration = [&](const QString &number, const QString &email) {
            return call("POST", u"/firms/register"_s,
                        {{u"firm_name"_s, u"Agree %1 Ltd"_s.arg(number.size())},
                         {u"country"_s, u"GB"_s},
                         {u"registration_number"_s, number},
                         {u"admin_email"_s, email},
                         {u"admin_password"_s, kPassword},
                         {u"admin_name"_s, u"Ada Agree"_s}});
        };
        // The refresh token's documented limit (the controller used to allow 4096 characters).
        const qint64 maxRefresh = property(u"/auth/refresh"_s, u"post"_s, u"refresh_token"_s).value(u"maxLength"_s).toInteger();
        QVERIFY(maxRefresh > 0);
        EXPECT(call("POST", u"/auth/refresh"_s, {{u"refresh_token"_s, QString(maxRefresh + 1, u'a')}}), 400);
        EXPECT(call("POST", u"/auth/refresh"_s, {{u"refresh_token"_s, QString(maxRefresh, u'a')}}),
               401); // well-formed, not valid

        EXPECT(registration(QString(maxNumber + 1, u'7'), u"one.past@agree.test"_s), 400);
        EXPECT(registration(QString(maxNumber, u'7'), u"at.limit@agree.test"_s), 202); // accepted: the confirmation is mailed
    }

    // Empty strings were told "must be at most N characters".
    void emptyStringsMustNotBeEmpty()
    {
        const QString firm = newFirm(u"owner@empty.test"_s);
        const QString userId = addUser(firm, u"user@empty.test"_s, Role::Analyst);
        const QString owner = token(u"owner@empty.test"_s);
        const HttpResult name = call("PATCH", u"/users/%1"_s.arg(userId), {{u"name"_s, u""_s}}, owner);
        EXPECT(name, 400);
        QVERIFY2(messages(name).contains(u"name must not be empty"_s), qPrintable(messages(name)));
        const HttpResult key
            = call("POST", u"/api-keys"_s, {{u"name"_s, u"   "_s}, {u"scopes"_s, QJsonArray{u"audit:read"_s}}}, owner);
        EXPECT(key, 400);
        QVERIFY2(messages(key).contains(u"name must not be empty"_s), qPrintable(messages(key)));
        QVERIFY(!messages(key).contains(u"at most"_s));
    }

    // Forms send "mfa_code": "" when there is none: that was a 400.
    void emptyMfaCodeIsNoCode()
    {
        newFirm(u"owner@form.test"_s);
        QCOMPARE(login(u"owner@form.test"_s, kPassword, u""_s).status, 200);
        QCOMPARE(login(u"owner@form.test"_s, kPassword, QJsonValue::Null).status, 200);
        EXPECT(login(u"owner@form.test"_s, u"not the password"_s, u""_s), 401);
    }

    // Lone surrogates were stored and read back mangled (U+FFFD).
    void loneSurrogatesAreRefused()
    {
        newFirm(u"owner@utf16.test"_s);
        const QString owner = token(u"owner@utf16.test"_s);
        const QJsonObject before = call("GET", u"/firms/current"_s, {}, owner).json();
        for (const QByteArray &body :
             {QByteArray(R"({"name":"Bad \uD800 Ltd"})"), QByteArray(R"({"name":"Bad \uDC00\uD800 Ltd"})"),
              QByteArray(R"({"name":"Bad \ud83d"})")}) {
            const HttpResult r = raw("PATCH", u"/firms/current"_s, body, owner);
            EXPECT(r, 400);
            QVERIFY2(messages(r).contains(u"surrogate"_s), qPrintable(messages(r)));
        }
        QCOMPARE(call("GET", u"/firms/current"_s, {}, owner).json(), before);
        // A proper pair, and an escaped backslash before a "u", are fine.
        const HttpResult pair
            = raw("PATCH", u"/firms/current"_s, QByteArray(R"({"name":"Smile \uD83D\uDE00 Ltd \\uD800"})"), owner);
        EXPECT(pair, 200);
        QCOMPARE(pair.json().value(u"name"_s).toString(), u"Smile \U0001F600 Ltd \\uD800"_s);
        // Not only identity bodies: every JSON body.
        const HttpResult login = raw("POST", u"/auth/login"_s, QByteArray(R"({"email":"owner@utf16.test","password":"\uD800"})"));
        EXPECT(login, 400);
    }

    // XX / ZZ countries and the ZZZ currency were accepted.
    void countriesAndCurrenciesAreReal()
    {
        for (const char *country : {"XX", "ZZ", "UK"}) {
            const HttpResult r = call("POST", u"/firms/register"_s,
                                      {{u"firm_name"_s, u"Nowhere %1 Ltd"_s.arg(QLatin1String(country))},
                                       {u"country"_s, QLatin1String(country)},
                                       {u"admin_email"_s, u"nowhere.%1@iso.test"_s.arg(QLatin1String(country)).toLower()},
                                       {u"admin_password"_s, kPassword},
                                       {u"admin_name"_s, u"No Where"_s}});
            EXPECT(r, 400);
            QVERIFY2(messages(r).contains(u"country"_s), qPrintable(messages(r)));
        }
        newFirm(u"owner@iso.test"_s);
        const QString owner = token(u"owner@iso.test"_s);
        const HttpResult zzz = call("PATCH", u"/firms/current/settings"_s, {{u"default_currency"_s, u"ZZZ"_s}}, owner);
        EXPECT(zzz, 400);
        QVERIFY2(messages(zzz).contains(u"default_currency"_s), qPrintable(messages(zzz)));
        EXPECT(call("PATCH", u"/firms/current/settings"_s, {{u"default_currency"_s, u"CHF"_s}}, owner), 200);
        QVERIFY(isCountryCode(u"GB") && isCountryCode(u"DE") && !isCountryCode(u"XX") && !isCountryCode(u"gb"));
        QVERIFY(isCurrencyCode(u"EUR") && isCurrencyCode(u"JPY") && !isCurrencyCode(u"ZZZ") && !isCurrencyCode(u"XTS"));
    }

    // A date-only to= excluded that day.
    void dateOnlyToCoversTheWholeDay()
    {
        const QString firm = newFirm(u"owner@dates.test"_s);
        addUser(firm, u"officer@dates.test"_s, Role::ComplianceOfficer);
        clock().advanceMs(5 * 3600 * 1000); // well into the day
        const QString officer = token(u"officer@dates.test"_s); // the login is audited now
        const QString day = clock().now().toUTC().date().toString(Qt::ISODate);
        auto total = [&](const QString &query) {
            const HttpResult r = call("GET", u"/audit/logs?"_s + query, {}, officer);
            return r.status == 200 ? r.json().value(u"meta"_s).toObject().value(u"total"_s).toInteger(-1) : -2;
        };
        const qint64 all = total(u"action=auth.login"_s);
        QVERIFY2(all >= 1, qPrintable(QString::number(all)));
        QCOMPARE(total(u"action=auth.login&to="_s + day), all);
        QCOMPARE(total(u"action=auth.login&from="_s + day + u"&to="_s + day), all);
        QCOMPARE(total(u"action=auth.login&to="_s + clock().now().toUTC().date().addDays(-1).toString(Qt::ISODate)), 0);
        EXPECT(call("GET", u"/audit/logs?to=2026-13-45"_s, {}, officer), 400);
    }

    // With mfa_required, the token stayed "set up MFA first" (403) after a successful /auth/mfa/verify until refreshed.
    void mfaSetUpCountsAtTheNextRequest()
    {
        const QString firm = newFirm(u"owner@mfa.test"_s);
        addUser(firm, u"analyst@mfa.test"_s, Role::Analyst);
        const QString owner = token(u"owner@mfa.test"_s);
        EXPECT(call("PATCH", u"/firms/current/settings"_s, {{u"mfa_required"_s, true}}, owner), 200);
        const QString t = token(u"analyst@mfa.test"_s);
        QVERIFY(!t.isEmpty());
        EXPECT(call("GET", u"/firms/current"_s, {}, t), 403);
        const HttpResult setup = call("POST", u"/auth/mfa/setup"_s, {}, t);
        EXPECT(setup, 200);
        const auto secret = crypto::base32Decode(setup.json().value(u"secret"_s).toString());
        QVERIFY(secret);
        EXPECT(call("POST", u"/auth/mfa/verify"_s, {{u"code"_s, crypto::totpAt(*secret, clock().now().toSecsSinceEpoch())}}, t),
               200);
        // The same token, no refresh.
        EXPECT(call("GET", u"/firms/current"_s, {}, t), 200);
        // The other way round: a token issued before the setting changed is held to it at once.
        EXPECT(call("PATCH", u"/firms/current/settings"_s, {{u"mfa_required"_s, false}}, owner),
               403); // the owner must set it up too
    }
};

QTEST_GUILESS_MAIN(TstIdentityHardening)
#include "tst_identity_hardening.moc"
