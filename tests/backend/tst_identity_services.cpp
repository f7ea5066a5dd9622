// The identity services without HTTP, as the GUI calls them: the permission matrix, typed settings
// validation, transactions that roll back whole (audit included), tenant isolation in the services,
// the mail outbox, an audit event for every state change of the issue, and the session cache.
#include "backend/identity/accountservice.h"
#include "backend/identity/apikeyservice.h"
#include "backend/identity/auditaccess.h"
#include "backend/identity/outbox.h"
#include "backend/identity/permissions.h"
#include "backend/security/crypto.h"
#include "backend/security/totp.h"
#include "tests/testsupport/testsupport.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QThread>
#include <QtTest>

using namespace kyc;
using namespace kyc::identity;
using namespace Qt::Literals::StringLiterals;

using test::keyActor;
using test::userActor;

namespace {

const QString kPassword = u"correct horse battery staple"_s;
const QList<Permission> kPermissions = {
    Permission::FirmRead,     Permission::FirmUpdate,       Permission::SettingsRead,  Permission::SettingsUpdate,
    Permission::UsersRead,    Permission::UsersManage,      Permission::ApiKeysManage, Permission::AuditRead,
    Permission::AuditExport,  Permission::CasesRead,        Permission::CasesWrite,    Permission::CasesDecide,
    Permission::ScreeningRun, Permission::ScreeningResolve, Permission::BillingRead,   Permission::BillingManage,
};
const QList<Role> kRoles = {Role::Viewer, Role::Analyst, Role::ComplianceOfficer, Role::Admin, Role::Owner};

QJsonObject parse(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

// "ok", or the name of the error's code, so that a comparison failure reads well.
template <typename T>
QString codeOf(const T &result)
{
    return result ? u"ok"_s : errorCodeName(result.error().code);
}

QString name(ErrorCode code)
{
    return errorCodeName(code);
}

} // namespace

class TestIdentityServices : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::TempBackend> m_tb;
    Firm m_firmA, m_firmB;
    User m_ownerA, m_ownerB;

    Backend &backend() { return m_tb->backend(); }
    qint64 count(const QString &sql, const QVariantList &binds = {})
    {
        QSqlQuery q(backend().database().connection());
        q.prepare(sql);
        for (const auto &b : binds)
            q.addBindValue(b);
        return q.exec() && q.next() ? q.value(0).toLongLong() : -1;
    }
    QString mailToken(const QString &to)
    {
        QSqlQuery q(backend().database().connection());
        q.prepare(u"SELECT eml_file FROM mail_outbox WHERE to_address = ? ORDER BY created_at DESC, rowid DESC"_s);
        q.addBindValue(to);
        if (!q.exec() || !q.next())
            return {};
        // The database keeps no token once the mail is delivered: read the .eml drop.
        QFile eml(QDir(backend().outbox().directory()).filePath(q.value(0).toString()));
        if (!eml.open(QIODevice::ReadOnly))
            return {};
        return QRegularExpression(u"\n    (\\S+)\r?\n"_s)
            .match(QString::fromUtf8(eml.readAll().replace("=\r\n", "")))
            .captured(1);
    }

private slots:
    void initTestCase()
    {
        m_tb = std::make_unique<test::TempBackend>();
        QVERIFY(m_tb->ok());
        auto a = backend().accounts().createFirm({u"Alpha"_s, u"GB"_s, {}, u"owner@alpha.test"_s, kPassword, u"A Owner"_s, {}});
        auto b = backend().accounts().createFirm({u"Beta"_s, u"DE"_s, {}, u"owner@beta.test"_s, kPassword, u"B Owner"_s, {}});
        QVERIFY(a && b);
        std::tie(m_firmA, m_ownerA) = *a;
        std::tie(m_firmB, m_ownerB) = *b;
    }

    void permissions_data()
    {
        QTest::addColumn<int>("permission");
        QTest::addColumn<int>("role");
        for (Permission p : kPermissions) {
            for (Role r : kRoles)
                QTest::addRow("%s as %s", qPrintable(permissionName(p)), qPrintable(roleName(r))) << int(p) << int(r);
        }
    }
    void permissions()
    {
        QFETCH(int, permission);
        QFETCH(int, role);
        const auto p = Permission(permission);
        const auto r = Role(role);
        const bool allowed = int(r) >= int(minimumRole(p));
        const Status s = require(userActor(m_firmA.id, m_ownerA.id, r), p);
        QCOMPARE(s.has_value(), allowed);
        if (!allowed)
            QCOMPARE(codeOf(s), name(ErrorCode::Forbidden));

        // The matrix served by /users/roles says the same.
        const QJsonObject matrix = rolesMatrix();
        bool listed = false;
        for (const auto &v : matrix.value(u"roles"_s).toArray()) {
            if (v.toObject().value(u"name"_s).toString() == roleName(r))
                listed = v.toObject().value(u"permissions"_s).toArray().contains(permissionName(p));
        }
        QCOMPARE(listed, allowed);
        for (const auto &v : matrix.value(u"permissions"_s).toArray()) {
            if (v.toObject().value(u"name"_s).toString() == permissionName(p))
                QCOMPARE(v.toObject().value(u"minimum_role"_s).toString(), roleName(minimumRole(p)));
        }

        // Whatever the role: the system may, nobody anonymous may, and keys go by scope only.
        QVERIFY(require(Actor::system(m_firmA.id), p));
        QCOMPARE(codeOf(require(Actor{}, p)), name(ErrorCode::Unauthenticated));
        QCOMPARE(codeOf(require(keyActor(m_firmA.id, kApiKeyScopes), p)), name(ErrorCode::Forbidden));
        QVERIFY(requireOrScope(keyActor(m_firmA.id, {u"audit:read"_s}), p, u"audit:read"_s));
        QCOMPARE(codeOf(requireOrScope(keyActor(m_firmA.id, {u"cases:read"_s}), p, u"audit:read"_s)), name(ErrorCode::Forbidden));
        QCOMPARE(requireOrScope(userActor(m_firmA.id, m_ownerA.id, r), p, u"audit:read"_s).has_value(), allowed);
    }

    // The contract's roles for the operations of this issue (ENDPOINTS.md, operations 17–35, 62–66).
    void matrixMatchesContract()
    {
        const QList<std::pair<Permission, Role>> contract = {
            {Permission::FirmRead, Role::Viewer},
            {Permission::FirmUpdate, Role::Admin},
            {Permission::SettingsRead, Role::Admin},
            {Permission::SettingsUpdate, Role::Owner},
            {Permission::UsersRead, Role::Admin},
            {Permission::UsersManage, Role::Admin},
            {Permission::ApiKeysManage, Role::Admin},
            {Permission::AuditRead, Role::ComplianceOfficer},
            {Permission::AuditExport, Role::ComplianceOfficer},
        };
        for (const auto &[p, r] : contract)
            QCOMPARE(roleName(minimumRole(p)), roleName(r));
    }

    void settingsValidation_data()
    {
        QTest::addColumn<QByteArray>("patch");
        QTest::addColumn<QString>("badField"); // empty: the patch is valid
        const QString ok;
        QTest::newRow("empty") << QByteArray("{}") << ok;
        QTest::newRow("retention min") << QByteArray(R"({"data_retention_days":365})") << ok;
        QTest::newRow("retention max") << QByteArray(R"({"data_retention_days":36500})") << ok;
        QTest::newRow("retention low") << QByteArray(R"({"data_retention_days":10})") << u"data_retention_days"_s;
        QTest::newRow("retention high") << QByteArray(R"({"data_retention_days":36501})") << u"data_retention_days"_s;
        QTest::newRow("retention fraction") << QByteArray(R"({"data_retention_days":400.5})") << u"data_retention_days"_s;
        QTest::newRow("retention string") << QByteArray(R"({"data_retention_days":"400"})") << u"data_retention_days"_s;
        QTest::newRow("currency") << QByteArray(R"({"default_currency":"GBP"})") << ok;
        QTest::newRow("currency lower") << QByteArray(R"({"default_currency":"eur"})") << u"default_currency"_s;
        QTest::newRow("currency long") << QByteArray(R"({"default_currency":"EURO"})") << u"default_currency"_s;
        QTest::newRow("currency number") << QByteArray(R"({"default_currency":978})") << u"default_currency"_s;
        QTest::newRow("thresholds") << QByteArray(R"({"risk_thresholds":{"medium":30,"high":80}})") << ok;
        QTest::newRow("thresholds medium only") << QByteArray(R"({"risk_thresholds":{"medium":50}})") << ok;
        QTest::newRow("thresholds inverted")
            << QByteArray(R"({"risk_thresholds":{"medium":80,"high":60}})") << u"risk_thresholds"_s;
        QTest::newRow("thresholds equal") << QByteArray(R"({"risk_thresholds":{"medium":70}})") << u"risk_thresholds"_s;
        QTest::newRow("thresholds range") << QByteArray(R"({"risk_thresholds":{"high":101}})") << u"risk_thresholds"_s;
        QTest::newRow("thresholds key") << QByteArray(R"({"risk_thresholds":{"low":1}})") << u"risk_thresholds"_s;
        QTest::newRow("thresholds array") << QByteArray(R"({"risk_thresholds":[40,70]})") << u"risk_thresholds"_s;
        QTest::newRow("match threshold") << QByteArray(R"({"screening_match_threshold":0.5})") << ok;
        QTest::newRow("match threshold one") << QByteArray(R"({"screening_match_threshold":1})") << ok;
        QTest::newRow("match threshold low")
            << QByteArray(R"({"screening_match_threshold":0.49})") << u"screening_match_threshold"_s;
        QTest::newRow("match threshold string")
            << QByteArray(R"({"screening_match_threshold":"0.9"})") << u"screening_match_threshold"_s;
        QTest::newRow("lists") << QByteArray(R"({"screening_lists":["sanctions","pep"]})") << ok;
        QTest::newRow("lists empty") << QByteArray(R"({"screening_lists":[]})") << u"screening_lists"_s;
        QTest::newRow("lists upper") << QByteArray(R"({"screening_lists":["Sanctions"]})") << u"screening_lists"_s;
        QTest::newRow("lists string") << QByteArray(R"({"screening_lists":"sanctions"})") << u"screening_lists"_s;
        QTest::newRow("four eyes") << QByteArray(R"({"four_eyes_enabled":false})") << ok;
        QTest::newRow("four eyes string") << QByteArray(R"({"four_eyes_enabled":"false"})") << u"four_eyes_enabled"_s;
        QTest::newRow("mfa number") << QByteArray(R"({"mfa_required":1})") << u"mfa_required"_s;
        QTest::newRow("unknown") << QByteArray(R"({"bogus":1})") << u"bogus"_s;
        QTest::newRow("valid with invalid") << QByteArray(R"({"four_eyes_enabled":false,"default_currency":"x"})")
                                            << u"default_currency"_s;
    }
    void settingsValidation()
    {
        QFETCH(QByteArray, patch);
        QFETCH(QString, badField);
        const FirmSettings defaults;
        const QJsonObject before = defaults.toJson();
        const auto result = defaults.patched(parse(patch));
        QCOMPARE(defaults.toJson(), before);
        if (!badField.isEmpty()) {
            QVERIFY(!result);
            QCOMPARE(codeOf(result), name(ErrorCode::Validation));
            QStringList fields;
            for (const auto &f : result.error().fields)
                fields << f.field;
            QVERIFY2(fields.contains(badField), qPrintable(fields.join(u", "_s)));
            return;
        }
        QVERIFY2(result, result ? "" : qPrintable(result.error().message));
        const QJsonObject after = result->toJson();
        const QJsonObject p = parse(patch);
        for (auto it = p.begin(); it != p.end(); ++it) {
            if (it.key() == u"risk_thresholds"_s) {
                const QJsonObject t = it.value().toObject(), applied = after.value(it.key()).toObject();
                for (auto k = t.begin(); k != t.end(); ++k)
                    QCOMPARE(applied.value(k.key()), k.value());
            } else {
                QCOMPARE(after.value(it.key()), it.value());
            }
        }
        // Stored values read back the same; unreadable stored values fall back to the defaults.
        QCOMPARE(FirmSettings::fromStored(after).toJson(), after);
        QCOMPARE(FirmSettings::fromStored(parse(R"({"data_retention_days":-1})")).toJson(), before);
    }

    // A unit of work that fails half-way leaves neither the user nor its audit event.
    void rolledBackTransactionLeavesNothing()
    {
        const Actor admin = userActor(m_firmA.id, m_ownerA.id, Role::Owner);
        const qint64 users = count(u"SELECT COUNT(*) FROM users"_s);
        const qint64 events = count(u"SELECT COUNT(*) FROM audit_events"_s);
        {
            storage::Transaction tx(backend().database());
            QVERIFY(tx.begin());
            auto first = backend().accounts().createUser(admin, u"half@alpha.test"_s, u"Half"_s, Role::Viewer, kPassword);
            QVERIFY(first);
            auto dup = backend().accounts().createUser(admin, u"half@alpha.test"_s, u"Half"_s, Role::Viewer, kPassword);
            QCOMPARE(codeOf(dup), name(ErrorCode::Conflict));
            tx.rollback();
        }
        QCOMPARE(count(u"SELECT COUNT(*) FROM users"_s), users);
        QCOMPARE(count(u"SELECT COUNT(*) FROM audit_events"_s), events);
        QCOMPARE(count(u"SELECT COUNT(*) FROM users WHERE email = 'half@alpha.test'"_s), 0);
        // A duplicate on its own fails before writing anything.
        QCOMPARE(codeOf(backend().accounts().createUser(admin, u"owner@beta.test"_s, u"Dup"_s, Role::Viewer, kPassword)),
                 name(ErrorCode::Conflict));
        QCOMPARE(count(u"SELECT COUNT(*) FROM audit_events"_s), events);
        // The chain carries on from the committed head.
        QVERIFY(backend().accounts().createUser(admin, u"whole@alpha.test"_s, u"Whole"_s, Role::Viewer, kPassword));
        QCOMPARE(count(u"SELECT COUNT(*) FROM audit_events"_s), events + 1);
        auto v = backend().audit().verifyChain(m_firmA.id);
        QVERIFY(v && v->valid);
    }

    void tenantIsolation()
    {
        auto &accounts = backend().accounts();
        const Actor ownerA = userActor(m_firmA.id, m_ownerA.id, Role::Owner);
        const Actor ownerB = userActor(m_firmB.id, m_ownerB.id, Role::Owner);
        QCOMPARE(codeOf(accounts.user(ownerA, m_ownerB.id)), name(ErrorCode::NotFound));
        QCOMPARE(codeOf(accounts.updateUser(ownerA, m_ownerB.id, {u"Renamed"_s, {}, {}})), name(ErrorCode::NotFound));
        QCOMPARE(accounts.currentFirm(ownerA)->id, m_firmA.id);

        auto keyB = backend().apiKeys().create(ownerB, {u"B key"_s, {u"audit:read"_s}, {}});
        QVERIFY(keyB);
        QCOMPARE(codeOf(backend().apiKeys().get(ownerA, keyB->key.id)), name(ErrorCode::NotFound));
        QCOMPARE(codeOf(backend().apiKeys().update(ownerA, keyB->key.id, u"Mine now"_s, std::nullopt)),
                 name(ErrorCode::NotFound));
        QCOMPARE(codeOf(backend().apiKeys().rotate(ownerA, keyB->key.id, 0)), name(ErrorCode::NotFound));
        QCOMPARE(codeOf(backend().apiKeys().revoke(ownerA, keyB->key.id)), name(ErrorCode::NotFound));
        QVERIFY(backend().apiKeys().get(ownerB, keyB->key.id));
        // B's key reads B's trail only.
        auto asKey = backend().apiKeys().authenticate(keyB->secret, {});
        QVERIFY(asKey);
        auto keyPage = backend().auditAccess().list(*asKey, {}, {1, 100});
        QVERIFY(keyPage && !keyPage->items.isEmpty());
        for (const auto &e : keyPage->items)
            QCOMPARE(e.firmId, m_firmB.id);

        auto eventsB = backend().audit().list(m_firmB.id, {}, {1, 1});
        QVERIFY(eventsB && !eventsB->items.isEmpty());
        QCOMPARE(codeOf(backend().auditAccess().get(ownerA, eventsB->items[0].id)), name(ErrorCode::NotFound));
        QVERIFY(backend().auditAccess().get(ownerB, eventsB->items[0].id));

        auto invitationB = accounts.invite(ownerB, {u"someone@beta.test"_s, u"Someone"_s, Role::Viewer});
        QVERIFY(invitationB);
        QCOMPARE(codeOf(accounts.revokeInvitation(ownerA, invitationB->id)), name(ErrorCode::NotFound));
        auto signInB = backend().auth().login({u"owner@beta.test"_s, kPassword, {}, {}, {}});
        QVERIFY(signInB);
        auto actorB = backend().auth().authenticate(signInB->accessToken, {});
        QVERIFY(actorB);
        QCOMPARE(codeOf(backend().auth().revokeSession(ownerA, actorB->sessionId)), name(ErrorCode::NotFound));
        QVERIFY(backend().auth().authenticate(signInB->accessToken, {}));
    }

    void outboxWritesRowAndEml()
    {
        auto &outbox = backend().outbox();
        const qint64 rows = count(u"SELECT COUNT(*) FROM mail_outbox"_s);
        {
            storage::Transaction tx(backend().database());
            QVERIFY(tx.begin());
            QVERIFY(outbox.queue(m_firmA.id, u"lost@alpha.test"_s, u"Never sent"_s, u"rolled back\n"_s, u"test"_s));
            tx.rollback();
        }
        outbox.flush();
        QCOMPARE(count(u"SELECT COUNT(*) FROM mail_outbox"_s), rows);
        {
            storage::Transaction tx(backend().database());
            QVERIFY(tx.begin());
            QVERIFY(
                outbox.queue(m_firmA.id, u"reader@alpha.test"_s, u"Hello"_s, u"Your token:\n\n    tok-123_ABC\n"_s, u"test"_s));
            QVERIFY(tx.commit());
        }
        outbox.flush();
        QSqlQuery q(backend().database().connection());
        q.prepare(u"SELECT firm_id, subject, kind, eml_file, attempts FROM mail_outbox WHERE to_address = ?"_s);
        q.addBindValue(u"reader@alpha.test"_s);
        QVERIFY(q.exec() && q.next());
        QCOMPARE(q.value(0).toString(), m_firmA.id);
        QCOMPARE(q.value(1).toString(), u"Hello"_s);
        QCOMPARE(q.value(2).toString(), u"test"_s);
        QCOMPARE(q.value(4).toInt(), 0); // attempts count SMTP deliveries; none is configured here
        QCOMPARE(outbox.directory(), QDir(m_tb->dataDir()).filePath(u"outbox"_s));
        QFile eml(QDir(outbox.directory()).filePath(q.value(3).toString()));
        QVERIFY(eml.open(QIODevice::ReadOnly));
        const QByteArray text = eml.readAll();
        QVERIFY(text.contains("reader@alpha.test"));
        QVERIFY(text.contains("Subject: Hello"));
        QVERIFY(text.contains("tok-123_ABC"));
        QCOMPARE(count(u"SELECT COUNT(*) FROM mail_outbox WHERE to_address = 'lost@alpha.test'"_s), 0);
    }

    void everyStateChangeIsAudited()
    {
        auto &auth = backend().auth();
        auto &accounts = backend().accounts();
        auto &keys = backend().apiKeys();
        FakeClock &clock = m_tb->clock();
        const QString ip = u"198.51.100.4"_s, next = u"a brand new passphrase"_s, third = u"yet another passphrase"_s;
        auto reg = accounts.registerFirm({u"Audited Ltd"_s, u"IE"_s, {}, u"owner@audited.test"_s, kPassword, u"Owner"_s, ip});
        QVERIFY(reg);
        const QString firm = reg->first.id;
        auto owner = auth.authenticate(reg->second.accessToken, ip);
        QVERIFY(owner);
        QVERIFY(accounts.invite(*owner, {u"member@audited.test"_s, u"Member"_s, Role::Admin}));
        auto joined = accounts.acceptInvitation(mailToken(u"member@audited.test"_s), kPassword, {}, ip);
        QVERIFY(joined);
        const QString memberId = joined->user.id;
        QCOMPARE(codeOf(auth.login({u"member@audited.test"_s, u"wrong password!!"_s, {}, ip, {}})),
                 name(ErrorCode::Unauthenticated));
        auto signIn = auth.login({u"member@audited.test"_s, kPassword, {}, ip, {}});
        QVERIFY(signIn);
        auto refreshed = auth.refresh(signIn->refreshToken, ip);
        QVERIFY(refreshed);
        auto member = auth.authenticate(refreshed->accessToken, ip);
        QVERIFY(member);
        QVERIFY(auth.changePassword(*member, kPassword, next));
        auto setup = auth.mfaSetup(*member);
        QVERIFY(setup);
        const auto secret = crypto::base32Decode(setup->secret);
        QVERIFY(secret);
        auto codes = auth.mfaVerify(*member, crypto::totpAt(*secret, clock.now().toSecsSinceEpoch()));
        QVERIFY(codes && codes->size() == 10);
        clock.advanceMs(30'000);
        QVERIFY(auth.mfaDisable(*member, crypto::totpAt(*secret, clock.now().toSecsSinceEpoch()), next));
        auth.forgotPassword(u"member@audited.test"_s, ip);
        QVERIFY(auth.resetPassword(mailToken(u"member@audited.test"_s), third, ip));
        QCOMPARE(codeOf(auth.authenticate(refreshed->accessToken, ip)), name(ErrorCode::Unauthenticated));
        QVERIFY(accounts.updateUser(*owner, memberId, {{}, Role::Analyst, {}}));
        auto key = keys.create(*owner, {u"ci"_s, {u"audit:read"_s}, {}});
        QVERIFY(key);
        auto rotated = keys.rotate(*owner, key->key.id, 0);
        QVERIFY(rotated);
        QVERIFY(keys.revoke(*owner, rotated->key.id));
        QVERIFY(accounts.updateFirm(*owner, parse(R"({"name":"Audited Group Ltd"})")));
        QVERIFY(accounts.updateSettings(*owner, parse(R"({"four_eyes_enabled":false})")));
        QVERIFY(accounts.updateUser(*owner, memberId, {{}, {}, u"deactivated"_s}));
        QVERIFY(auth.logout(*owner));

        const QStringList actions = {
            u"firm.registered"_s,
            u"auth.login"_s,
            u"auth.login_failed"_s,
            u"auth.logout"_s,
            u"auth.refresh"_s,
            u"auth.password_changed"_s,
            u"auth.password_reset"_s,
            u"auth.mfa_enabled"_s,
            u"auth.mfa_disabled"_s,
            u"user.invited"_s,
            u"user.invitation_accepted"_s,
            u"user.role_changed"_s,
            u"user.deactivated"_s,
            u"api_key.created"_s,
            u"api_key.rotated"_s,
            u"api_key.revoked"_s,
            u"firm.updated"_s,
            u"firm.settings_updated"_s,
        };
        QStringList missing;
        for (const QString &action : actions) {
            audit::Filter f;
            f.action = action;
            auto page = backend().audit().list(firm, f, {1, 100});
            if (!page || page->items.isEmpty())
                missing << action;
        }
        QVERIFY2(missing.isEmpty(), qPrintable(u"no audit event for: "_s + missing.join(u", "_s)));
        audit::Filter changed;
        changed.action = u"user.role_changed"_s;
        const auto roleEvent = backend().audit().list(firm, changed, {1, 1})->items.value(0);
        QCOMPARE(roleEvent.actorId, owner->userId);
        QCOMPARE(roleEvent.entityId, memberId);
        QCOMPARE(roleEvent.details.value(u"role"_s).toObject().value(u"after"_s).toString(), u"analyst"_s);

        auto v = backend().audit().verifyChain(firm);
        QVERIFY(v && v->valid);
        QCOMPARE(v->checked, count(u"SELECT COUNT(*) FROM audit_events WHERE chain = ?"_s, {firm}));
        auto all = backend().audit().verifyAll();
        QVERIFY(all);
        for (const auto &c : *all)
            QVERIFY2(c.valid, qPrintable(c.chain + u": "_s + c.reason));
    }

    // revokeAllSessions runs "inside the caller's transaction". A request that authenticates the
    // user's token after the revocation is written but before it is committed reads the old row;
    // once the revocation commits, the token must be refused all the same.
    void revocationSurvivesConcurrentLookup()
    {
        QVERIFY(backend().accounts().createUser(Actor::system(m_firmA.id), u"racer@alpha.test"_s, u"Racer"_s, Role::Viewer,
                                                kPassword));
        auto signIn = backend().auth().login({u"racer@alpha.test"_s, kPassword, {}, {}, {}});
        QVERIFY(signIn);
        const QString token = signIn->accessToken;
        QVERIFY(backend().auth().authenticate(token, {}));
        {
            storage::Transaction tx(backend().database());
            QVERIFY(tx.begin());
            QVERIFY(backend().auth().revokeAllSessions(signIn->user.id, u"test"_s));
            // Today the lookup reads the committed, still open session at once; a cache that made it
            // wait for the commit would be right too, so this wait is bounded and not asserted.
            std::unique_ptr<QThread> other(QThread::create([&] { (void)backend().auth().authenticate(token, {}); }));
            other->start();
            (void)other->wait(5'000);
            QVERIFY(tx.commit());
            QVERIFY(other->wait(30'000));
        }
        QCOMPARE(count(u"SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL"_s, {signIn->user.id}), 0);
        const auto after = backend().auth().authenticate(token, {});
        QVERIFY2(!after, "a revoked session still authenticates: the session cache kept the state read before the commit");
    }

    // The services check credentials themselves, so the GUI and the API obey the same rules.
    void auditAccessNeedsCredentials()
    {
        auto &access = backend().auditAccess();
        const Actor anonymous;
        QCOMPARE(codeOf(access.list(anonymous, {}, {1, 10})), name(ErrorCode::Unauthenticated));
        QCOMPARE(codeOf(access.verify(anonymous)), name(ErrorCode::Unauthenticated));
        QCOMPARE(codeOf(access.exportChain(anonymous, audit::ExportFormat::Csv, {})), name(ErrorCode::Unauthenticated));
        QCOMPARE(codeOf(access.checkpoint(keyActor(m_firmA.id, {u"cases:read"_s}))), name(ErrorCode::Forbidden));
        QVERIFY(access.checkpoint(keyActor(m_firmA.id, {u"audit:read"_s})));
        QVERIFY(access.checkpoint(userActor(m_firmA.id, m_ownerA.id, Role::Viewer)));
        QCOMPARE(codeOf(access.list(userActor(m_firmA.id, m_ownerA.id, Role::Analyst), {}, {1, 10})), name(ErrorCode::Forbidden));
        QCOMPARE(codeOf(access.exportChain(keyActor(m_firmA.id, {u"audit:read"_s}), audit::ExportFormat::Csv, {})),
                 name(ErrorCode::Forbidden));
        QCOMPARE(codeOf(access.checkpoint(anonymous)), name(ErrorCode::Unauthenticated));
    }
};

QTEST_GUILESS_MAIN(TestIdentityServices)
#include "tst_identity_services.moc"
