// Who owns which screening list, over HTTP against the real server (issue 8): official lists are platform
// data (a firm admin's import of "un" is 403 and every firm keeps screening the real UN list), firm-private
// lists ("firm:…") are seen, screened and monitored only inside their firm, an import re-screens only the
// subjects its list is visible to and answers only the caller's own counts, a list imported under its own
// name works both ways, unknown screening_lists names are 400, a screening that covers no list is 422, both
// kinds of decision are remembered, an older file does not replace a newer one unless forced, and the
// import takes multipart files with the permission checked first.
#include "backend/identity/accountservice.h"
#include "backend/identity/authservice.h"
#include "backend/screening/screeningservice.h"
#include "tests/testsupport/apiassert.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

using namespace kyc;
using namespace Qt::Literals::StringLiterals;
using test::HttpResult;
using test::messages;

namespace {

const QString kPassword = u"correct horse battery staple"_s;
const QString kUnFile = u"/data/sanctions/un_consolidated_xml/2026-02-27/UN_consolidated.xml"_s;
const QString kListedName = u"ERIC BADEGE"_s, kListedId = u"un:CDi.001"_s;
const QString kOtherListedName = u"FRANK KAKOLELE BWAMBALE"_s, kOtherListedId = u"un:CDi.002"_s;

// A firm's own watchlist in FollowTheMoney JSON Lines: names no official list holds.
QByteArray watchlist(const QStringList &names)
{
    QByteArray out;
    int i = 0;
    for (const auto &n : names)
        out += QJsonDocument(QJsonObject{{u"id"_s, u"w-%1"_s.arg(++i)},
                                         {u"schema"_s, u"Person"_s},
                                         {u"properties"_s, QJsonObject{{u"name"_s, QJsonArray{n}}}}})
                   .toJson(QJsonDocument::Compact)
            + '\n';
    return out;
}

QJsonObject findMatch(const QJsonObject &screening, const QString &entityId)
{
    for (const auto &m : screening.value(u"matches"_s).toArray()) {
        if (m.toObject().value(u"entity_id"_s).toString() == entityId)
            return m.toObject();
    }
    return {};
}

QStringList matchedLists(const QJsonObject &screening)
{
    QStringList out;
    for (const auto &m : screening.value(u"matches"_s).toArray())
        out << m.toObject().value(u"list"_s).toString();
    return out;
}

QStringList sources(const HttpResult &lists)
{
    QStringList out;
    for (const auto &l : lists.json().value(u"data"_s).toArray())
        out << l.toObject().value(u"source"_s).toString();
    return out;
}

struct Multipart {
    QByteArray contentType;
    QByteArray body;
};

Multipart multipart(const QList<std::pair<QByteArray, QByteArray>> &fields, const QList<std::pair<QByteArray, QByteArray>> &files)
{
    const QByteArray boundary = "kyc-test-boundary-7d1f";
    Multipart m{"multipart/form-data; boundary=" + boundary, {}};
    for (const auto &[name, value] : fields)
        m.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
    for (const auto &[name, bytes] : files)
        m.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" + name
            + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes + "\r\n";
    m.body += "--" + boundary + "--\r\n";
    return m;
}

} // namespace

class TestListOwnership : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::TestServer> m_server;
    QString m_firmA, m_firmB, m_attackerFirm;
    QString m_ownerA, m_analystA, m_viewerA, m_ownerB, m_attacker, m_platform; // access tokens
    QString m_analystAId;
    QString m_unVersion;

    quint16 port() const { return m_server->port(); }
    Backend &backend() { return m_server->backend(); }

    HttpResult send(const QByteArray &method, const QString &path, const QByteArray &body, const QString &token = {},
                    const QByteArray &contentType = {})
    {
        test::Headers h;
        if (!token.isEmpty())
            h.append({"Authorization", "Bearer " + token.toLatin1()});
        if (!contentType.isEmpty())
            h.append({"Content-Type", contentType});
        return test::request(port(), method, "/api/v1" + path.toUtf8(), body, h);
    }
    HttpResult post(const QString &path, const QJsonObject &body, const QString &token = {})
    {
        return send("POST", path, QJsonDocument(body).toJson(QJsonDocument::Compact), token);
    }
    HttpResult get(const QString &path, const QString &token) { return send("GET", path, {}, token); }
    HttpResult screen(const QString &name, const QString &token, const QJsonArray &lists = {}, const QString &caseId = {})
    {
        QJsonObject body{{u"name"_s, name}, {u"type"_s, u"person"_s}};
        if (!lists.isEmpty())
            body.insert(u"lists"_s, lists);
        if (!caseId.isEmpty())
            body.insert(u"case_id"_s, caseId);
        return post(u"/aml/screen"_s, body, token);
    }
    qint64 count(const QString &sql, const QVariantList &binds = {}) { return test::count(backend().database(), sql, binds); }
    QString sessionFor(const identity::User &user)
    {
        auto s = backend().auth().openSession(user, u"127.0.0.1"_s, u"list ownership test"_s);
        return s ? s->accessToken : QString();
    }
    bool upload(const QString &token, const QString &key, const QByteArray &bytes)
    {
        const HttpResult p = post(u"/storage/presign"_s, {{u"method"_s, u"PUT"_s}, {u"key"_s, key}}, token);
        if (p.status != 200)
            return false;
        const QString url = p.json().value(u"url"_s).toString();
        const QByteArray target = url.mid(url.indexOf(u"/api/v1/"_s)).toUtf8();
        return test::request(port(), "PUT", target, bytes, {{"Content-Type", "application/octet-stream"}}).status == 201;
    }
    QByteArray sharedFile(const QString &relative)
    {
        QFile f(test::sharedDir() + relative);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    HttpResult importKeys(const QString &token, const QString &source, const QString &format, const QStringList &keys,
                          const QJsonObject &extra = {})
    {
        QJsonObject body = extra;
        body.insert(u"source"_s, source);
        body.insert(u"format"_s, format);
        body.insert(u"storage_keys"_s, QJsonArray::fromStringList(keys));
        return post(u"/aml/lists/import"_s, body, token);
    }
    qint64 alertsOf(const QString &firmId)
    {
        return count(u"SELECT COUNT(*) FROM monitoring_alerts WHERE firm_id = ?"_s, {firmId});
    }
    QList<audit::Event> events(const QString &firmId, const QString &action, const QString &entityId = {})
    {
        audit::Filter f;
        f.action = action;
        f.entityId = entityId;
        auto page = backend().audit().list(firmId, f, {1, 100});
        return page ? page->items : QList<audit::Event>{};
    }

private slots:
    void initTestCase()
    {
        Config config = test::testConfig();
        config.bodyLimitBytes = 1024 * 1024; // the default: real list files fit through the import route's own limit
        m_server = std::make_unique<test::TestServer>(config);
        QVERIFY(m_server->ok() && port());
        auto v = backend().screening().importList(Actor::system(), screening::ListFormat::UnXml, {test::sharedDir() + kUnFile});
        QVERIFY2(v, v ? "" : qPrintable(v.error().message));
        m_unVersion = v->id;

        auto &accounts = backend().accounts();
        auto a = accounts.createFirm({u"Ownership Alpha"_s, u"GB"_s, {}, u"owner@own-a.test"_s, kPassword, u"Alpha Owner"_s, {}});
        auto b = accounts.createFirm({u"Ownership Beta"_s, u"FR"_s, {}, u"owner@own-b.test"_s, kPassword, u"Beta Owner"_s, {}});
        auto op = accounts.createFirm(
            {u"Platform Operator"_s, u"GB"_s, {}, u"ops@operator.test"_s, kPassword, u"Op Erator"_s, {}}, true);
        QVERIFY(a && b && op);
        m_firmA = a->first.id;
        m_firmB = b->first.id;
        QVERIFY(accounts.setPlatformAdmin(u"ops@operator.test"_s, true));
        identity::User platformUser = op->second;
        platformUser.platformAdmin = true;
        auto analyst
            = accounts.createUser(Actor::system(m_firmA), u"analyst@own-a.test"_s, u"Ana Lyst"_s, Role::Analyst, kPassword);
        auto viewer = accounts.createUser(Actor::system(m_firmA), u"viewer@own-a.test"_s, u"Vi Ewer"_s, Role::Viewer, kPassword);
        QVERIFY(analyst && viewer);
        m_analystAId = analyst->id;
        m_ownerA = sessionFor(a->second);
        m_ownerB = sessionFor(b->second);
        m_analystA = sessionFor(*analyst);
        m_viewerA = sessionFor(*viewer);
        m_platform = sessionFor(platformUser);
        QVERIFY(!m_ownerA.isEmpty() && !m_ownerB.isEmpty() && !m_analystA.isEmpty() && !m_viewerA.isEmpty()
                && !m_platform.isEmpty());

        // The attacker: anyone may register a firm and so become its owner.
        const HttpResult reg = post(u"/firms/register"_s,
                                    {{u"firm_name"_s, u"Hostile Newcomer Ltd"_s},
                                     {u"country"_s, u"GB"_s},
                                     {u"admin_email"_s, u"mallory@hostile.test"_s},
                                     {u"admin_password"_s, kPassword},
                                     {u"admin_name"_s, u"Mallory Hostile"_s}});
        EXPECT(reg, 202);
        const QString confirm = test::mailedToken(backend().database(), m_server->dataDir(), u"mallory@hostile.test"_s);
        QVERIFY(!confirm.isEmpty());
        const HttpResult owner = post(u"/users/invitations/accept"_s, {{u"token"_s, confirm}, {u"password"_s, kPassword}});
        EXPECT(owner, 201);
        m_attacker = owner.json().value(u"access_token"_s).toString();
        m_attackerFirm = owner.json().value(u"user"_s).toObject().value(u"firm_id"_s).toString();
        QVERIFY(!m_attackerFirm.isEmpty());
        QVERIFY2(!m_attacker.isEmpty(), reg.body.constData());
    }

    // Attack 1: a newly registered firm's admin replaces the UN list with its own file.
    void firmCannotRewriteOfficialList()
    {
        QVERIFY(upload(m_attacker, u"fake-un.json"_s, watchlist({u"Somebody Harmless"_s})));
        const qint64 versions = count(u"SELECT COUNT(*) FROM list_versions"_s);
        for (const QString &official : {u"un"_s, u"ofac_sdn"_s, u"pep_us_congress"_s, u"opensanctions"_s}) {
            const HttpResult r = importKeys(m_attacker, official, u"ftm_json"_s, {u"fake-un.json"_s});
            EXPECT(r, 403);
            QVERIFY2(r.json().value(u"message"_s).toString().contains(u"platform admin"_s), r.body.constData());
        }
        // The same through a multipart upload.
        const Multipart m = multipart({{"format", "ftm_json"}, {"source", "un"}}, {{"fake-un.json", watchlist({u"X Y"_s})}});
        EXPECT(send("POST", u"/aml/lists/import"_s, m.body, m_attacker, m.contentType), 403);
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_versions"_s), versions);
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_versions WHERE source = 'un' AND active = 1 AND id = ?"_s, {m_unVersion}), 1);
        // And in-process, whatever the caller's role in its firm.
        auto direct = backend().screening().importList(test::userActor(m_attackerFirm, u"u"_s, Role::Owner), u"un_xml"_s,
                                                       {test::sharedDir() + kUnFile}, u"un"_s);
        QVERIFY(!direct);
        QCOMPARE(direct.error().code, ErrorCode::Forbidden);

        // Every firm still screens against the real UN list.
        for (const QString &token : {m_analystA, m_ownerB, m_attacker}) {
            const HttpResult hit = screen(kListedName, token);
            EXPECT(hit, 201);
            QCOMPARE(hit.json().value(u"status"_s).toString(), u"potential_match"_s);
            QVERIFY2(!findMatch(hit.json(), kListedId).isEmpty(), hit.body.constData());
        }
        const HttpResult lists = get(u"/aml/lists"_s, m_attacker);
        EXPECT(lists, 200);
        const QJsonObject un = lists.json().value(u"data"_s).toArray().first().toObject();
        QCOMPARE(un.value(u"source"_s).toString(), u"un"_s);
        QCOMPARE(un.value(u"owner"_s).toString(), u"platform"_s);
        QVERIFY(un.value(u"owner_firm_id"_s).isNull());
        // Freshness: the UN file is dated 2026-02-27, after the server's clock (2026-01-01): no age yet, and
        // its scheduled refresh has never failed.
        QCOMPARE(un.value(u"publication_age_days"_s).toInt(-1), 0);
        QCOMPARE(un.value(u"refresh"_s).toObject().value(u"freshness"_s).toString(), u"current"_s);
        QCOMPARE(un.value(u"refresh"_s).toObject().value(u"failing"_s).toBool(), false);
        QCOMPARE(un.value(u"refresh"_s).toObject().value(u"publication_date"_s).toString(), u"2026-02-27"_s);
    }

    // The bug on the same path: a list imported under its own name (here by a platform admin, the way the
    // CLI's --name does) is screened both restricted to it and unrestricted, with its version recorded.
    void customNamedListBothWays()
    {
        QVERIFY(upload(m_platform, u"un_latin_only.ftm.json"_s, sharedFile(u"/data/screening-eval/un_latin_only.ftm.json"_s)));
        const HttpResult imported = importKeys(m_platform, u"un_latin_only"_s, u"ftm_json"_s, {u"un_latin_only.ftm.json"_s});
        EXPECT(imported, 201);
        QCOMPARE(imported.json().value(u"source"_s).toString(), u"un_latin_only"_s);
        QCOMPARE(imported.json().value(u"owner"_s).toString(), u"platform"_s);
        const QString version = imported.json().value(u"id"_s).toString();

        const HttpResult only = screen(kListedName, m_analystA, {u"un_latin_only"_s});
        EXPECT(only, 201);
        QCOMPARE(only.json().value(u"status"_s).toString(), u"potential_match"_s);
        const QJsonObject m = findMatch(only.json(), u"un_latin_only:un-latin-CDi.001"_s);
        QVERIFY2(!m.isEmpty(), only.body.constData());
        QCOMPARE(m.value(u"list"_s).toString(), u"un_latin_only"_s);
        QCOMPARE(m.value(u"list_version_id"_s).toString(), version);
        QCOMPARE(matchedLists(only.json()).removeDuplicates(), matchedLists(only.json()).size() - 1);

        const HttpResult all = screen(kListedName, m_analystA);
        EXPECT(all, 201); // was 500: NOT NULL constraint failed: screening_matches.list_version_id
        QCOMPARE(findMatch(all.json(), u"un_latin_only:un-latin-CDi.001"_s).value(u"list_version_id"_s).toString(), version);
        QCOMPARE(findMatch(all.json(), kListedId).value(u"list_version_id"_s).toString(), m_unVersion);
        QCOMPARE(count(u"SELECT COUNT(*) FROM screening_matches WHERE list_version_id IS NULL OR list_version_id = ''"_s), 0);
    }

    // A firm's own list: imported by its admin, screened and listed for that firm only.
    void firmPrivateList()
    {
        const QString name = u"Zebulon Quartermaine Vexley"_s;
        QVERIFY(upload(m_ownerA, u"watch-a.json"_s, watchlist({name, u"Ottoline Brackwater Fenn"_s})));
        EXPECT(importKeys(m_analystA, u"firm:watchlist"_s, u"ftm_json"_s, {u"watch-a.json"_s}), 403);
        EXPECT(importKeys(m_ownerA, u"firm:Bad Name"_s, u"ftm_json"_s, {u"watch-a.json"_s}), 400);
        const HttpResult r = importKeys(m_ownerA, u"firm:watchlist"_s, u"ftm_json"_s, {u"watch-a.json"_s});
        EXPECT(r, 201);
        QCOMPARE(r.json().value(u"owner"_s).toString(), u"firm"_s);
        QCOMPARE(r.json().value(u"owner_firm_id"_s).toString(), m_firmA);
        QCOMPARE(r.json().value(u"entity_count"_s).toInt(), 2);
        QCOMPARE(events(m_firmA, u"list.imported"_s, r.json().value(u"id"_s).toString()).size(), 1); // the firm's own chain

        const HttpResult hit = screen(name, m_analystA);
        EXPECT(hit, 201);
        const QJsonObject m = findMatch(hit.json(), u"firm:watchlist:w-1"_s);
        QVERIFY2(!m.isEmpty(), hit.body.constData());
        QCOMPARE(m.value(u"list"_s).toString(), u"firm:watchlist"_s);
        EXPECT(screen(name, m_analystA, {u"firm:watchlist"_s}), 201);
        QVERIFY(sources(get(u"/aml/lists"_s, m_analystA)).contains(u"firm:watchlist"_s));

        // Firm B neither sees nor matches it, nor may name it.
        const HttpResult other = screen(name, m_ownerB);
        EXPECT(other, 201);
        QCOMPARE(other.json().value(u"status"_s).toString(), u"clear"_s);
        QVERIFY(!other.json().value(u"lists"_s).toArray().contains(u"firm:watchlist"_s));
        QVERIFY(!sources(get(u"/aml/lists"_s, m_ownerB)).contains(u"firm:watchlist"_s));
        EXPECT(screen(name, m_ownerB, {u"firm:watchlist"_s}), 400);
        EXPECT(send("PATCH", u"/firms/current/settings"_s, R"({"screening_lists":["sanctions","firm:watchlist"]})", m_ownerB),
               400);
        // … and its own list of the same name is its own.
        QVERIFY(upload(m_ownerB, u"watch-b.json"_s, watchlist({u"Perpetua Klingsmith Oyelaran"_s})));
        const HttpResult rb = importKeys(m_ownerB, u"firm:watchlist"_s, u"ftm_json"_s, {u"watch-b.json"_s});
        EXPECT(rb, 201);
        QCOMPARE(rb.json().value(u"version"_s).toInt(), 1);
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_versions WHERE source = 'firm:watchlist' AND active = 1"_s), 2);
        QVERIFY2(!findMatch(screen(name, m_analystA).json(), u"firm:watchlist:w-1"_s).isEmpty(), "A keeps its list");
        QCOMPARE(screen(u"Perpetua Klingsmith Oyelaran"_s, m_analystA).json().value(u"status"_s).toString(), u"clear"_s);

        // Selectable in the firm's settings.
        EXPECT(send("PATCH", u"/firms/current/settings"_s, R"({"screening_lists":["sanctions","firm:watchlist"]})", m_ownerA),
               200);
        const HttpResult restricted = screen(name, m_analystA);
        EXPECT(restricted, 201);
        QVERIFY(restricted.json().value(u"lists"_s).toArray().contains(u"firm:watchlist"_s));
        QVERIFY(!findMatch(restricted.json(), u"firm:watchlist:w-1"_s).isEmpty());
        EXPECT(send("PATCH", u"/firms/current/settings"_s, R"({"screening_lists":["sanctions","pep","adverse_media",
                                                                                 "firm:watchlist"]})",
                    m_ownerA),
               200);
    }

    // A firm's own list read through a shipped PEP mapping (the firm's own PEP register, say).
    void firmTabularList()
    {
        QVERIFY(upload(m_ownerA, u"executive.yaml"_s, sharedFile(u"/data/pep/us_congress_legislators/executive.yaml"_s)));
        EXPECT(importKeys(m_ownerA, u"firm:presidents"_s, u"tabular"_s, {u"executive.yaml"_s}), 400); // which mapping?
        EXPECT(importKeys(m_ownerA, u"firm:presidents"_s, u"tabular"_s, {u"executive.yaml"_s}, {{u"mapping"_s, u"nope"_s}}), 400);
        const HttpResult r = importKeys(m_ownerA, u"firm:presidents"_s, u"tabular"_s, {u"executive.yaml"_s},
                                        {{u"mapping"_s, u"pep_us_executive"_s}});
        EXPECT(r, 201);
        QCOMPARE(r.json().value(u"format"_s).toString(), u"tabular"_s);
        QCOMPARE(r.json().value(u"mapping"_s).toString(), u"pep_us_executive"_s);
        QCOMPARE(r.json().value(u"entity_count"_s).toInt(), 80);
        const HttpResult hit = screen(u"Abraham Lincoln"_s, m_analystA, {u"firm:presidents"_s});
        EXPECT(hit, 201);
        QVERIFY2(!hit.json().value(u"matches"_s).toArray().isEmpty(), hit.body.constData());
        const QJsonObject m = hit.json().value(u"matches"_s).toArray().first().toObject();
        QCOMPARE(m.value(u"list"_s).toString(), u"firm:presidents"_s);
        QCOMPARE(m.value(u"category"_s).toString(), u"pep"_s);
        // Selecting the pep category selects the firm's PEP list too.
        EXPECT(send("PATCH", u"/firms/current/settings"_s, R"({"screening_lists":["pep"]})", m_ownerA), 200);
        const HttpResult byCategory = screen(u"Abraham Lincoln"_s, m_analystA);
        EXPECT(byCategory, 201);
        QCOMPARE(byCategory.json().value(u"lists"_s).toArray(), QJsonArray{u"firm:presidents"_s});
        EXPECT(
            send("PATCH", u"/firms/current/settings"_s, R"({"screening_lists":["sanctions","pep","adverse_media"]})", m_ownerA),
            200);
        QCOMPARE(screen(u"Abraham Lincoln"_s, m_ownerB).json().value(u"status"_s).toString(), u"clear"_s);
    }

    // Attack 2: an import re-screens only the monitored subjects its list is visible to and answers only
    // with the caller's own alerts.
    void monitoringStaysInsideTheFirm()
    {
        const QString name = u"Cassius Ravenscroft Duquesne"_s;
        const QString caseA = u"1a2b3c4d-0000-4000-8000-00000000000a"_s, caseB = u"1a2b3c4d-0000-4000-8000-00000000000b"_s;
        EXPECT(screen(name, m_analystA, {}, caseA), 201);
        EXPECT(screen(name, m_ownerB, {}, caseB), 201);
        EXPECT(post(u"/aml/monitoring"_s, {{u"case_id"_s, caseA}, {u"enabled"_s, true}}, m_analystA), 200);
        EXPECT(post(u"/aml/monitoring"_s, {{u"case_id"_s, caseB}, {u"enabled"_s, true}}, m_ownerB), 200);
        const qint64 alertsA = alertsOf(m_firmA), alertsB = alertsOf(m_firmB);

        // B plants the name in its own private list: only B's subject is screened, A gets nothing.
        QVERIFY(upload(m_ownerB, u"plant.json"_s, watchlist({name})));
        const HttpResult planted = importKeys(m_ownerB, u"firm:plant"_s, u"ftm_json"_s, {u"plant.json"_s});
        EXPECT(planted, 201);
        QCOMPARE(planted.json().value(u"monitoring_alerts"_s).toInt(), 1); // B's own
        QCOMPARE(alertsOf(m_firmA), alertsA);
        QCOMPARE(alertsOf(m_firmB), alertsB + 1);
        QCOMPARE(count(u"SELECT COUNT(*) FROM screenings WHERE firm_id = ? AND source = 'monitoring'"_s, {m_firmA}), 0);

        // A's own list raises A's alert, and A's answer says nothing of B.
        QVERIFY(upload(m_ownerA, u"watch-a2.json"_s, watchlist({u"Zebulon Quartermaine Vexley"_s, name})));
        const HttpResult own = importKeys(m_ownerA, u"firm:watchlist"_s, u"ftm_json"_s, {u"watch-a2.json"_s});
        EXPECT(own, 201);
        QCOMPARE(own.json().value(u"monitoring_alerts"_s).toInt(), 1);
        QCOMPARE(alertsOf(m_firmA), alertsA + 1);
        QCOMPARE(alertsOf(m_firmB), alertsB + 1);

        // An official list reaches every firm's monitored subjects; the platform admin's answer carries only
        // its own firm's count (none), not the other firms'.
        QVERIFY(upload(m_platform, u"official.json"_s, watchlist({name})));
        const HttpResult official = importKeys(m_platform, u"opensanctions"_s, u"ftm_json"_s, {u"official.json"_s});
        EXPECT(official, 201);
        QCOMPARE(official.json().value(u"monitoring_alerts"_s).toInt(), 0);
        QCOMPARE(alertsOf(m_firmA), alertsA + 2);
        QCOMPARE(alertsOf(m_firmB), alertsB + 2);
        const HttpResult listedB = get(u"/aml/monitoring/alerts?case_id=%1"_s.arg(caseB), m_ownerB);
        EXPECT(listedB, 200);
        QStringList lists;
        for (const auto &a : listedB.json().value(u"data"_s).toArray())
            lists << a.toObject().value(u"list"_s).toString();
        lists.sort();
        QCOMPARE(lists, (QStringList{u"firm:plant"_s, u"opensanctions"_s}));
    }

    // Wrong answer 1: a typo in screening_lists is 400; a screening that would cover no list is 422 and
    // nothing is stored.
    void screeningListsValidated()
    {
        const HttpResult typo = send("PATCH", u"/firms/current/settings"_s, R"({"screening_lists":["sanction"]})", m_ownerB);
        EXPECT(typo, 400);
        QVERIFY2(messages(typo).contains(u"sanction"_s), typo.body.constData());
        QVERIFY(
            !get(u"/firms/current/settings"_s, m_ownerB).json().value(u"screening_lists"_s).toArray().contains(u"sanction"_s));

        // A valid category with nothing loaded for it: refused with the reason, never "clear".
        EXPECT(send("PATCH", u"/firms/current/settings"_s, R"({"screening_lists":["pep"]})", m_ownerB), 200);
        const qint64 before = count(u"SELECT COUNT(*) FROM screenings WHERE firm_id = ?"_s, {m_firmB});
        const HttpResult none = screen(u"Saddam Hussein"_s, m_ownerB);
        EXPECT(none, 422);
        QVERIFY2(none.json().value(u"message"_s).toString().contains(u"screening_lists"_s), none.body.constData());
        EXPECT(post(u"/aml/screen/batch"_s,
                    {{u"subjects"_s, QJsonArray{QJsonObject{{u"name"_s, u"Saddam Hussein"_s}, {u"type"_s, u"person"_s}}}}},
                    m_ownerB),
               422);
        QCOMPARE(count(u"SELECT COUNT(*) FROM screenings WHERE firm_id = ?"_s, {m_firmB}), before);
        QCOMPARE(count(u"SELECT COUNT(*) FROM screening_batches WHERE firm_id = ?"_s, {m_firmB}), 0);
        EXPECT(
            send("PATCH", u"/firms/current/settings"_s, R"({"screening_lists":["sanctions","pep","adverse_media"]})", m_ownerB),
            200);
        EXPECT(screen(u"Saddam Hussein"_s, m_ownerB), 201);
    }

    void freshInstallScreensNothing()
    {
        test::TestServer fresh;
        QVERIFY(fresh.ok());
        auto f = fresh.backend().accounts().createFirm(
            {u"Fresh Firm"_s, u"GB"_s, {}, u"owner@fresh.test"_s, kPassword, u"Fresh Owner"_s, {}});
        QVERIFY(f);
        auto s = fresh.backend().auth().openSession(f->second, u"127.0.0.1"_s, u"t"_s);
        QVERIFY(s);
        const test::Headers auth{{"Authorization", "Bearer " + s->accessToken.toLatin1()}};
        const HttpResult r
            = test::request(fresh.port(), "POST", "/api/v1/aml/screen", R"({"name":"Saddam Hussein","type":"person"})", auth);
        EXPECT(r, 422);
        QVERIFY2(r.json().value(u"message"_s).toString().contains(u"No screening list is loaded"_s), r.body.constData());
        EXPECT(test::request(fresh.port(), "POST", "/api/v1/aml/screen/batch",
                             R"({"subjects":[{"name":"Saddam Hussein","type":"person"}]})", auth),
               422);
        QCOMPARE(test::count(fresh.backend().database(), u"SELECT COUNT(*) FROM screenings"_s), 0);
    }

    // Wrong answer 6: a confirmed true positive comes back confirmed, with who decided and why; a false
    // positive stays hidden and the screening says which decision hid it.
    void decisionsRemembered()
    {
        const HttpResult first = screen(kOtherListedName, m_analystA, {u"un"_s});
        EXPECT(first, 201);
        const QJsonObject m = findMatch(first.json(), kOtherListedId);
        QVERIFY2(!m.isEmpty(), first.body.constData());
        const QString screeningId = first.json().value(u"id"_s).toString(), matchId = m.value(u"id"_s).toString();
        EXPECT(post(u"/aml/screenings/%1/matches/%2/resolve"_s.arg(screeningId, matchId),
                    {{u"resolution"_s, u"true_positive"_s}, {u"reason"_s, u"Passport copy matches the listing"_s}}, m_analystA),
               200);
        const HttpResult again = screen(kOtherListedName, m_analystA, {u"un"_s});
        EXPECT(again, 201);
        QCOMPARE(again.json().value(u"status"_s).toString(), u"confirmed_match"_s);
        const QJsonObject r = findMatch(again.json(), kOtherListedId);
        QCOMPARE(r.value(u"resolution"_s).toString(), u"true_positive"_s);
        QCOMPARE(r.value(u"resolution_reason"_s).toString(), u"Passport copy matches the listing"_s);
        QCOMPARE(r.value(u"resolved_by"_s).toString(), m_analystAId);
        QCOMPARE(r.value(u"remembered_from"_s).toString(), matchId);
        QCOMPARE(count(u"SELECT COUNT(*) FROM screenings WHERE id = ? AND status = 'confirmed_match'"_s,
                       {again.json().value(u"id"_s).toString()}),
                 1);
        // Another firm's screening of the same subject knows nothing of A's decision.
        QVERIFY(findMatch(screen(kOtherListedName, m_ownerB, {u"un"_s}).json(), kOtherListedId).value(u"resolution"_s).isNull());

        const HttpResult fp = screen(kListedName, m_analystA, {u"un"_s});
        const QString fpMatch = findMatch(fp.json(), kListedId).value(u"id"_s).toString();
        EXPECT(post(u"/aml/screenings/%1/matches/%2/resolve"_s.arg(fp.json().value(u"id"_s).toString(), fpMatch),
                    {{u"resolution"_s, u"false_positive"_s}, {u"reason"_s, u"Different birth date and nationality"_s}},
                    m_analystA),
               200);
        const HttpResult quiet = screen(kListedName, m_analystA, {u"un"_s});
        EXPECT(quiet, 201);
        QVERIFY(findMatch(quiet.json(), kListedId).isEmpty());
        QCOMPARE(quiet.json().value(u"suppressed_count"_s).toInt(), 1);
        const QJsonArray remembered = quiet.json().value(u"remembered_decisions"_s).toArray();
        QCOMPARE(remembered.size(), 1);
        QCOMPARE(remembered.first().toObject().value(u"resolution"_s).toString(), u"false_positive"_s);
        QCOMPARE(remembered.first().toObject().value(u"reason"_s).toString(), u"Different birth date and nationality"_s);
        QCOMPARE(remembered.first().toObject().value(u"resolved_by"_s).toString(), m_analystAId);
        QCOMPARE(remembered.first().toObject().value(u"match_id"_s).toString(), fpMatch);
    }

    // Wrong answer 4: OFAC 2024-04-26 over the serving 2024-05-03 is refused unless forced, and a forced
    // one is audited.
    void olderImportRefusedUnlessForced()
    {
        // The OFAC CSV set carries no date of its own: the request gives the publication date.
        auto importWeek = [&](const char *week, bool force) {
            QList<std::pair<QByteArray, QByteArray>> fields{
                {"format", "ofac_sdn_csv"}, {"source", "ofac_sdn"}, {"publication_date", week}};
            if (force)
                fields.append(std::pair<QByteArray, QByteArray>("force", "true"));
            const Multipart m = multipart(
                fields, {{"sdn.csv", sharedFile(u"/data/sanctions/ofac_sdn_csv/%1_full/sdn.csv"_s.arg(QLatin1String(week)))}});
            return send("POST", u"/aml/lists/import"_s, m.body, m_platform, m.contentType);
        };
        const HttpResult newer = importWeek("2024-05-03", false);
        EXPECT(newer, 201);
        // A 2024 list on a server whose clock says 2026: its age shows, and it is not current.
        m_server->clock().set(QDateTime(QDate(2026, 1, 1), QTime(0, 0), Qt::UTC));
        const HttpResult lists = get(u"/aml/lists?limit=100"_s, m_platform);
        bool seen = false;
        for (const auto &l : lists.json().value(u"data"_s).toArray()) {
            if (l.toObject().value(u"source"_s).toString() != u"ofac_sdn"_s)
                continue;
            seen = true;
            QCOMPARE(l.toObject().value(u"publication_age_days"_s).toInt(), int(QDate(2024, 5, 3).daysTo(QDate(2026, 1, 1))));
            QCOMPARE(l.toObject().value(u"refresh"_s).toObject().value(u"freshness"_s).toString(), u"stale"_s);
        }
        QVERIFY2(seen, lists.body.constData());
        const QString serving = newer.json().value(u"id"_s).toString();
        const HttpResult older = importWeek("2024-04-26", false);
        EXPECT(older, 409);
        QVERIFY2(older.json().value(u"message"_s).toString().contains(u"older than the serving version"_s),
                 older.body.constData());
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_versions WHERE source = 'ofac_sdn' AND active = 1 AND id = ?"_s, {serving}),
                 1);
        const HttpResult forced = importWeek("2024-04-26", true);
        EXPECT(forced, 201);
        QCOMPARE(forced.json().value(u"forced"_s).toBool(), true);
        QCOMPARE(forced.json().value(u"publication_date"_s).toString(), u"2024-04-26"_s);
        const auto audited = events(QString(), u"list.imported"_s, forced.json().value(u"id"_s).toString());
        QCOMPARE(audited.size(), 1);
        QCOMPARE(audited.first().details.value(u"forced_older"_s).toBool(), true);
        QCOMPARE(audited.first().details.value(u"replaces_publication_date"_s).toString(), u"2024-05-03"_s);
    }

    // OFAC's CSV files carry no date: without one given, the list's own numbering (ent_num, assigned in order)
    // tells an older file, which is refused unless forced. A date in the future is refused outright.
    void undatedOlderFileRefused()
    {
        auto importSet = [&](const QString &set, bool force, const QByteArray &date = {}) {
            QList<std::pair<QByteArray, QByteArray>> fields{{"format", "ofac_sdn_csv"}, {"source", "firm:sdn_week"}};
            if (force)
                fields.append(std::pair<QByteArray, QByteArray>("force", "true"));
            if (!date.isEmpty())
                fields.append(std::pair<QByteArray, QByteArray>("publication_date", date));
            const Multipart m
                = multipart(fields, {{"sdn.csv", sharedFile(u"/data/sanctions/ofac_sdn_csv/%1/sdn.csv"_s.arg(set))}});
            return send("POST", u"/aml/lists/import"_s, m.body, m_ownerA, m.contentType);
        };
        const HttpResult newer = importSet(u"2024-05-03_full"_s, false);
        EXPECT(newer, 201);
        const QString serving = newer.json().value(u"id"_s).toString();
        for (const QString &older : {u"2024-04-26_full"_s, u"2021-07-07_full_set"_s}) {
            const HttpResult r = importSet(older, false);
            EXPECT(r, 409);
            QVERIFY2(r.json().value(u"message"_s).toString().contains(u"older than the serving version"_s), r.body.constData());
        }
        const HttpResult future = importSet(u"2024-04-26_full"_s, false, "2099-01-01");
        EXPECT(future, 422);
        QVERIFY2(future.body.contains("in the future"), future.body.constData());
        QCOMPARE(
            count(u"SELECT COUNT(*) FROM list_versions WHERE source = 'firm:sdn_week' AND active = 1 AND id = ?"_s, {serving}),
            1);
        const HttpResult forced = importSet(u"2024-04-26_full"_s, true);
        EXPECT(forced, 201);
        QCOMPARE(forced.json().value(u"forced"_s).toBool(), true);
        QCOMPARE(forced.json().value(u"delta"_s).toObject().value(u"removed"_s).toInt(), 305);
    }

    // A firm's own list alone never makes a "clear" against the categories it asked for, and one firm's list
    // makes nobody ready.
    void firmListAloneIsNoCoverage()
    {
        test::TestServer empty;
        QVERIFY(empty.ok());
        auto firm = empty.backend().accounts().createFirm(
            {u"Lonely Ltd"_s, u"GB"_s, {}, u"owner@lonely.test"_s, kPassword, u"Lo Nely"_s, {}});
        QVERIFY(firm);
        auto session = empty.backend().auth().openSession(firm->second, u"127.0.0.1"_s, u"coverage"_s);
        QVERIFY(session);
        const Actor owner = test::userActor(firm->first.id, firm->second.id, Role::Owner);
        QTemporaryDir dir;
        const QString file = dir.filePath(u"own.json"_s);
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(watchlist({u"Hieronymus Faraday Quillon"_s}));
        f.close();
        QVERIFY(empty.backend().screening().importList(owner, u"ftm_json"_s, {file}, u"firm:own"_s));
        auto screenOn = [&](const QJsonObject &body) {
            return test::request(
                empty.port(), "POST", "/api/v1/aml/screen", QJsonDocument(body).toJson(QJsonDocument::Compact),
                {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + session->accessToken.toLatin1()}});
        };
        const HttpResult r = screenOn({{u"name"_s, u"Saddam Hussein"_s}, {u"type"_s, u"person"_s}});
        EXPECT(r, 422);
        QVERIFY2(r.body.contains("No official list is loaded"), r.body.constData());
        QCOMPARE(test::request(empty.port(), "GET", "/api/v1/health/ready").status, 503);
        // Named on purpose, the firm's list alone is what the caller asked for.
        const HttpResult named = screenOn(
            {{u"name"_s, u"Hieronymus Faraday Quillon"_s}, {u"type"_s, u"person"_s}, {u"lists"_s, QJsonArray{u"firm:own"_s}}});
        EXPECT(named, 201);
        QCOMPARE(named.json().value(u"status"_s).toString(), u"potential_match"_s);
    }

    // Permission before body format; multipart accepted.
    void multipartImport()
    {
        const Multipart m = multipart({{"format", "ftm_json"}, {"source", "firm:blocklist"}},
                                      {{"block.json", watchlist({u"Hieronymus Faraday Quillon"_s})}});
        EXPECT(send("POST", u"/aml/lists/import"_s, m.body, m_viewerA, m.contentType), 403);
        EXPECT(send("POST", u"/aml/lists/import"_s, m.body, m_analystA, m.contentType), 403);
        EXPECT(send("POST", u"/aml/lists/import"_s, "garbage", m_viewerA, "multipart/form-data; boundary=x"), 403);
        const HttpResult ok = send("POST", u"/aml/lists/import"_s, m.body, m_ownerA, m.contentType);
        EXPECT(ok, 201);
        QCOMPARE(ok.json().value(u"source"_s).toString(), u"firm:blocklist"_s);
        QVERIFY(!findMatch(screen(u"Hieronymus Faraday Quillon"_s, m_analystA).json(), u"firm:blocklist:w-1"_s).isEmpty());

        const qint64 versions = count(u"SELECT COUNT(*) FROM list_versions"_s);
        QByteArray broken = m.body;
        broken.replace("\r\n", "\n");
        EXPECT(send("POST", u"/aml/lists/import"_s, broken, m_ownerA, m.contentType), 400);
        EXPECT(send("POST", u"/aml/lists/import"_s, m.body, m_ownerA, "multipart/form-data"), 400);
        const Multipart noFile = multipart({{"format", "ftm_json"}, {"source", "firm:blocklist"}}, {});
        EXPECT(send("POST", u"/aml/lists/import"_s, noFile.body, m_ownerA, noFile.contentType), 400);
        const Multipart badFormat = multipart({{"format", "pdf"}, {"source", "firm:blocklist"}}, {{"a.json", "x"}});
        EXPECT(send("POST", u"/aml/lists/import"_s, badFormat.body, m_ownerA, badFormat.contentType), 400);
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_versions"_s), versions);
    }

    // A real list file (OFAC's sdn.csv, 3.9 MB) is over the general body limit: the import route's own limit
    // admits it, but only for a caller whose credentials and role the head proves; others are refused before a
    // byte of the body is read.
    void largeMultipartImport()
    {
        QFile f(test::sharedDir() + u"/data/sanctions/ofac_sdn_csv/2024-05-03_full/sdn.csv"_s);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const Multipart m = multipart({{"format", "ofac_sdn_csv"}, {"source", "firm:sdn_copy"}}, {{"sdn.csv", f.readAll()}});
        QVERIFY(m.body.size() > 3 * 1024 * 1024);
        const QByteArray first64k = m.body.left(64 * 1024);
        auto headOnly = [&](const QString &token) {
            QByteArray raw = "POST /api/v1/aml/lists/import HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + m.contentType
                + "\r\nContent-Length: " + QByteArray::number(m.body.size()) + "\r\n";
            if (!token.isEmpty())
                raw += "Authorization: Bearer " + token.toLatin1() + "\r\n";
            return test::sendRaw(port(), raw + "\r\n" + first64k); // the rest of the body is never sent
        };
        const qint64 versions = count(u"SELECT COUNT(*) FROM list_versions"_s);
        EXPECT(headOnly({}), 401);
        EXPECT(headOnly(u"not-a-token"_s), 401);
        EXPECT(headOnly(m_viewerA), 403);
        EXPECT(headOnly(m_analystA), 403);
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_versions"_s), versions);
        const HttpResult ok = send("POST", u"/aml/lists/import"_s, m.body, m_ownerA, m.contentType);
        EXPECT(ok, 201);
        QCOMPARE(ok.json().value(u"source"_s).toString(), u"firm:sdn_copy"_s);
        QVERIFY(ok.json().value(u"entity_count"_s).toInteger() > 10000);
    }

    void auditChainsIntact()
    {
        auto verified = backend().audit().verifyAll();
        QVERIFY(verified);
        for (const auto &r : *verified)
            QVERIFY2(r.valid, qPrintable(r.chain + u": "_s + r.reason));
    }
};

QTEST_GUILESS_MAIN(TestListOwnership)
#include "tst_list_ownership.moc"
