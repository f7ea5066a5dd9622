// AML screening over HTTP (operations 53–61) against the real server on a loopback port, with the real
// UN consolidated list loaded: statuses and bodies in the contract's format, roles and API-key scopes,
// tenant isolation (another firm's id is 404), the list status, readiness, and the operations still
// pending (501). Time follows the server's FakeClock, which only moves when a test moves it.
#include "backend/identity/accountservice.h"
#include "backend/identity/apikeyservice.h"
#include "backend/screening/screeningservice.h"
#include "tests/testsupport/apiassert.h"
#include "tests/testsupport/rawhttp.h"
#include "tests/testsupport/testsupport.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QtTest>

using namespace kyc;
using namespace Qt::Literals::StringLiterals;
using test::HttpResult;
using test::messages;

namespace {

const QString kPassword = u"correct horse battery staple"_s;
const QString kUnFile = u"/data/sanctions/un_consolidated_xml/2026-02-27/UN_consolidated.xml"_s;
// The first INDIVIDUAL of that file (REFERENCE_NUMBER CDi.001) and the one after it (CDi.002).
const QString kListedName = u"ERIC BADEGE"_s, kListedId = u"un:CDi.001"_s;
const QString kOtherListedName = u"FRANK KAKOLELE BWAMBALE"_s, kOtherListedId = u"un:CDi.002"_s;
const QString kUnknownId = u"7b1e0c9a-4f2d-4e8b-9a6c-3d5e1f2a4b6c"_s;

QJsonObject J(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json)).object();
}

QStringList strings(const QJsonArray &items, const QString &key)
{
    QStringList out;
    for (const auto &v : items)
        out << v.toObject().value(key).toString();
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

bool isUuid(const QString &s)
{
    static const QRegularExpression re(u"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"_s);
    return re.match(s).hasMatch();
}

// Empty when a screening body has the documented members and each match its list, entity, matched name,
// score, category and explanation; otherwise what is missing.
QString screeningShape(const QJsonObject &s)
{
    QStringList out;
    if (!isUuid(s.value(u"id"_s).toString()))
        out << u"id"_s;
    static const QStringList statuses = {u"clear"_s, u"potential_match"_s, u"confirmed_match"_s, u"false_positive"_s};
    if (!statuses.contains(s.value(u"status"_s).toString()))
        out << u"status"_s;
    if (!s.value(u"matches"_s).isArray())
        out << u"matches"_s;
    if (!s.value(u"subject"_s).isObject())
        out << u"subject"_s;
    if (!s.value(u"threshold"_s).isDouble())
        out << u"threshold"_s;
    if (s.value(u"created_at"_s).toString().isEmpty())
        out << u"created_at"_s;
    const QJsonArray matches = s.value(u"matches"_s).toArray();
    if (s.value(u"match_count"_s).toInt(-1) != matches.size())
        out << u"match_count"_s;
    double previous = 2;
    for (const auto &v : matches) {
        const QJsonObject m = v.toObject();
        for (const char *key : {"id", "list", "entity_id", "matched_name", "category"}) {
            if (m.value(QLatin1String(key)).toString().isEmpty())
                out << u"matches[].%1"_s.arg(QLatin1String(key));
        }
        const double score = m.value(u"score"_s).toDouble(-1);
        if (!m.value(u"score"_s).isDouble() || score < 0 || score > 1)
            out << u"matches[].score"_s;
        if (score > previous)
            out << u"matches ranked out of order"_s;
        previous = score;
        static const QStringList categories = {u"sanction"_s, u"pep"_s, u"adverse_media"_s};
        if (!categories.contains(m.value(u"category"_s).toString()))
            out << u"matches[].category"_s;
        const QJsonObject e = m.value(u"explanation"_s).toObject();
        if (e.value(u"tokens"_s).toArray().isEmpty() || !e.value(u"qualifiers"_s).isArray())
            out << u"matches[].explanation"_s;
    }
    out.removeDuplicates();
    return out.join(u", "_s);
}

} // namespace

class TestScreeningApi : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::TestServer> m_server;
    QString m_firmA, m_firmB;
    QString m_analystId, m_ownerA;
    QString m_owner, m_analyst, m_viewer, m_ownerB; // access tokens
    QString m_screenKey, m_casesKey, m_screenKeyId;
    QString m_unVersion, m_unSha;
    QString m_hitScreening; // a potential match of firm A, resolved in resolve()

    quint16 port() const { return m_server->port(); }
    Backend &backend() { return m_server->backend(); }

    HttpResult send(const QByteArray &method, const QString &path, const QByteArray &body, const QString &token = {},
                    const QString &key = {})
    {
        test::Headers h;
        if (!token.isEmpty())
            h.append({"Authorization", "Bearer " + token.toLatin1()});
        if (!key.isEmpty())
            h.append({"X-API-Key", key.toLatin1()});
        return test::request(port(), method, "/api/v1" + path.toUtf8(), body, h);
    }
    HttpResult post(const QString &path, const QJsonObject &body, const QString &token = {}, const QString &key = {})
    {
        return send("POST", path, QJsonDocument(body).toJson(QJsonDocument::Compact), token, key);
    }
    HttpResult get(const QString &path, const QString &token = {}, const QString &key = {})
    {
        return send("GET", path, {}, token, key);
    }
    HttpResult screen(const QString &name, const QString &token, const QString &key = {})
    {
        return post(u"/aml/screen"_s, {{u"name"_s, name}, {u"type"_s, u"person"_s}}, token, key);
    }
    qint64 count(const QString &sql, const QVariantList &binds = {}) { return test::count(backend().database(), sql, binds); }
    qint64 rowsA() { return count(u"SELECT COUNT(*) FROM screenings WHERE firm_id = ?"_s, {m_firmA}); }
    QString sessionFor(const identity::User &user)
    {
        auto s = backend().auth().openSession(user, u"127.0.0.1"_s, u"screening api test"_s);
        return s ? s->accessToken : QString();
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
        m_server = std::make_unique<test::TestServer>();
        QVERIFY(m_server->ok() && port());

        const QString unFile = test::sharedDir() + kUnFile;
        auto v = backend().screening().importList(Actor::system(), screening::ListFormat::UnXml, {unFile});
        QVERIFY2(v, v ? "" : qPrintable(v.error().message));
        m_unVersion = v->id;
        QFile f(unFile);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCryptographicHash h(QCryptographicHash::Sha256);
        h.addData(&f);
        m_unSha = QString::fromLatin1(h.result().toHex());

        auto &accounts = backend().accounts();
        // Firm A is the platform's operator and its owner a platform admin: official lists are theirs to import.
        auto a = accounts.createFirm(
            {u"Screening API Alpha"_s, u"GB"_s, {}, u"owner@aml-a.test"_s, kPassword, u"Alpha Owner"_s, {}}, true);
        auto b
            = accounts.createFirm({u"Screening API Beta"_s, u"FR"_s, {}, u"owner@aml-b.test"_s, kPassword, u"Beta Owner"_s, {}});
        QVERIFY(a && b);
        m_firmA = a->first.id;
        m_firmB = b->first.id;
        m_ownerA = a->second.id;
        auto analyst
            = accounts.createUser(Actor::system(m_firmA), u"analyst@aml-a.test"_s, u"Ana Lyst"_s, Role::Analyst, kPassword);
        auto viewer = accounts.createUser(Actor::system(m_firmA), u"viewer@aml-a.test"_s, u"Vi Ewer"_s, Role::Viewer, kPassword);
        QVERIFY(analyst && viewer);
        m_analystId = analyst->id;
        QVERIFY(accounts.setPlatformAdmin(u"owner@aml-a.test"_s, true));
        a->second.platformAdmin = true;
        m_owner = sessionFor(a->second);
        m_ownerB = sessionFor(b->second);
        m_analyst = sessionFor(*analyst);
        m_viewer = sessionFor(*viewer);
        QVERIFY(!m_owner.isEmpty() && !m_ownerB.isEmpty() && !m_analyst.isEmpty() && !m_viewer.isEmpty());

        auto owner = backend().auth().authenticate(m_owner, u"127.0.0.1"_s);
        QVERIFY(owner);
        auto screenKey = backend().apiKeys().create(*owner, {u"screening"_s, {u"aml:screen"_s, u"aml:read"_s}, {}});
        auto casesKey = backend().apiKeys().create(*owner, {u"cases only"_s, {u"cases:read"_s}, {}});
        QVERIFY(screenKey && casesKey);
        m_screenKey = screenKey->secret;
        m_screenKeyId = screenKey->key.id;
        m_casesKey = casesKey->secret;
    }

    void screenAsAnalyst()
    {
        const qint64 before = rowsA();
        const HttpResult r = screen(kListedName, m_analyst);
        EXPECT(r, 201);
        const QJsonObject s = r.json();
        QCOMPARE(screeningShape(s), QString());
        QCOMPARE(s.value(u"status"_s).toString(), u"potential_match"_s);
        QCOMPARE(s.value(u"source"_s).toString(), u"ad_hoc"_s);
        QCOMPARE(s.value(u"created_by"_s).toString(), m_analystId);
        QCOMPARE(s.value(u"suppressed_count"_s).toInt(-1), 0);
        QCOMPARE(s.value(u"subject"_s).toObject().value(u"name"_s).toString(), kListedName);
        QCOMPARE(s.value(u"lists"_s).toArray(), QJsonArray{u"un"_s});
        const QJsonObject m = findMatch(s, kListedId);
        QVERIFY2(!m.isEmpty(), r.body.constData());
        QCOMPARE(m.value(u"list"_s).toString(), u"un"_s);
        QCOMPARE(m.value(u"list_version_id"_s).toString(), m_unVersion);
        QCOMPARE(m.value(u"category"_s).toString(), u"sanction"_s);
        QVERIFY(m.value(u"score"_s).toDouble() >= s.value(u"threshold"_s).toDouble());
        QVERIFY(m.value(u"resolution"_s).isNull());
        QCOMPARE(s.value(u"matches"_s).toArray().first().toObject().value(u"rank"_s).toInt(), 1);
        QCOMPARE(rowsA(), before + 1);
        QCOMPARE(count(u"SELECT COUNT(*) FROM screening_matches WHERE screening_id = ?"_s, {s.value(u"id"_s).toString()}),
                 s.value(u"matches"_s).toArray().size());
        QCOMPARE(events(m_firmA, u"screening.created"_s, s.value(u"id"_s).toString()).size(), 1);
        m_hitScreening = s.value(u"id"_s).toString();

        // With every optional member.
        const HttpResult full = post(u"/aml/screen"_s, J(R"({"name":"Frank Kakolele Bwambale","type":"person","birth_date":"1974",
                                           "country":"cd","lists":["un"],"threshold":0.85})"),
                                     m_analyst);
        EXPECT(full, 201);
        QCOMPARE(screeningShape(full.json()), QString());
        QCOMPARE(full.json().value(u"threshold"_s).toDouble(), 0.85);
        QCOMPARE(full.json().value(u"subject"_s).toObject().value(u"country"_s).toString(), u"CD"_s);
        QVERIFY2(!findMatch(full.json(), kOtherListedId).isEmpty(), full.body.constData());

        // A made-up name is clear.
        const HttpResult clear = screen(u"Thaddeus Quillfeather Brumblewick"_s, m_analyst);
        EXPECT(clear, 201);
        QCOMPARE(clear.json().value(u"status"_s).toString(), u"clear"_s);
        QVERIFY(clear.json().value(u"matches"_s).toArray().isEmpty());
    }

    void screenCredentials()
    {
        const qint64 before = rowsA();
        const HttpResult byKey = screen(kOtherListedName, {}, m_screenKey);
        EXPECT(byKey, 201);
        QCOMPARE(screeningShape(byKey.json()), QString());
        QCOMPARE(byKey.json().value(u"created_by"_s).toString(), m_screenKeyId);
        QVERIFY2(!findMatch(byKey.json(), kOtherListedId).isEmpty(), byKey.body.constData());
        QCOMPARE(rowsA(), before + 1);

        const HttpResult wrongScope = screen(kOtherListedName, {}, m_casesKey);
        EXPECT(wrongScope, 403);
        QVERIFY2(wrongScope.json().value(u"message"_s).toString().contains(u"aml:screen"_s), wrongScope.body.constData());
        EXPECT(screen(kOtherListedName, {}), 401);
        EXPECT(screen(kOtherListedName, u"not.a.token"_s), 401);
        EXPECT(screen(kOtherListedName, {}, u"kc_live_thisisnotakey"_s), 401);
        // A viewer may screen (screening.run is every member's).
        EXPECT(screen(u"Thaddeus Quillfeather Brumblewick"_s, m_viewer), 201);
        QCOMPARE(rowsA(), before + 2);
    }

    void screenBadBodies()
    {
        const qint64 before = rowsA();
        const qint64 matchRows = count(u"SELECT COUNT(*) FROM screening_matches"_s);
        const QList<std::pair<QJsonObject, QStringList>> bad = {
            {J(R"({"type":"person"})"), {u"name"_s}},
            {J(R"({"name":"","type":"person"})"), {u"name"_s}},
            {J(R"({"name":"Eric Badege"})"), {u"type"_s}},
            {J(R"({"name":"Eric Badege","type":"alien"})"), {u"type"_s}},
            {J(R"({"name":"Eric Badege","type":"person","favourite_colour":"blue"})"), {u"favourite_colour"_s}},
            {J(R"({"name":"Eric Badege","type":"person","birth_date":"1990-13-01"})"), {u"birth_date"_s}},
            {J(R"({"name":"Eric Badege","type":"person","country":"USA"})"), {u"country"_s}},
            {J(R"({"name":"Eric Badege","type":"person","lists":["nope"]})"), {u"nope"_s}},
            {J(R"({"name":"Eric Badege","type":"person","lists":"un"})"), {u"lists"_s}},
            {J(R"({"name":"Eric Badege","type":"person","threshold":0.2})"), {u"threshold"_s}},
            {J(R"({"name":"Eric Badege","type":"person","threshold":"high"})"), {u"threshold"_s}},
            {J(R"({"name":"Eric Badege","type":"person","threshold":0})"), {u"threshold"_s}},
            {J(R"({"name":"Eric Badege","type":"person","threshold":1.01})"), {u"threshold"_s}},
            {J(R"({"name":42,"type":"alien","extra":true})"), {u"name"_s, u"type"_s, u"extra"_s}},
        };
        for (const auto &[body, fields] : bad) {
            const HttpResult r = post(u"/aml/screen"_s, body, m_analyst);
            const QString text = QString::fromUtf8(QJsonDocument(body).toJson(QJsonDocument::Compact));
            const QString why = test::errorMismatch(r, 400);
            QVERIFY2(why.isEmpty(), qPrintable(text + u" → "_s + why));
            for (const auto &f : fields)
                QVERIFY2(messages(r).contains(f), qPrintable(text + u" → "_s + messages(r)));
        }
        const HttpResult malformed = send("POST", u"/aml/screen"_s, "{\"name\": \"Eric", m_analyst);
        EXPECT(malformed, 400);
        QCOMPARE(rowsA(), before);
        QCOMPARE(count(u"SELECT COUNT(*) FROM screening_matches"_s), matchRows);
    }

    // A negative threshold is outside 0.5–1 like any other; it must not be taken as "use the firm's default"
    // (that is only what an absent threshold means).
    void screenNegativeThreshold()
    {
        const qint64 before = rowsA();
        const HttpResult r = post(u"/aml/screen"_s, J(R"({"name":"Eric Badege","type":"person","threshold":-0.3})"), m_analyst);
        EXPECT(r, 400);
        QVERIFY2(messages(r).contains(u"threshold"_s), qPrintable(messages(r)));
        QCOMPARE(rowsA(), before);
    }

    void listScreenings()
    {
        const HttpResult all = get(u"/aml/screenings"_s, m_analyst);
        EXPECT(all, 200);
        const QJsonObject o = all.json();
        QVERIFY(o.value(u"data"_s).isArray());
        QCOMPARE(o.value(u"meta"_s).toObject(), (QJsonObject{{u"page"_s, 1}, {u"limit"_s, 20}, {u"total"_s, rowsA()}}));
        QVERIFY(rowsA() >= 5);
        for (const auto &s : o.value(u"data"_s).toArray())
            QCOMPARE(screeningShape(s.toObject()), QString());
        QVERIFY(strings(o.value(u"data"_s).toArray(), u"id"_s).contains(m_hitScreening));

        const HttpResult potential = get(u"/aml/screenings?status=potential_match"_s, m_analyst);
        EXPECT(potential, 200);
        const QJsonArray pd = potential.json().value(u"data"_s).toArray();
        QVERIFY(!pd.isEmpty());
        QCOMPARE(potential.json().value(u"meta"_s).toObject().value(u"total"_s).toInteger(),
                 count(u"SELECT COUNT(*) FROM screenings WHERE firm_id = ? AND status = 'potential_match'"_s, {m_firmA}));
        for (const auto &s : pd)
            QCOMPARE(s.toObject().value(u"status"_s).toString(), u"potential_match"_s);
        const HttpResult clear = get(u"/aml/screenings?status=clear&source=ad_hoc"_s, m_analyst);
        EXPECT(clear, 200);
        QVERIFY(!clear.json().value(u"data"_s).toArray().isEmpty());
        for (const auto &s : clear.json().value(u"data"_s).toArray())
            QCOMPARE(s.toObject().value(u"status"_s).toString(), u"clear"_s);

        const HttpResult paged = get(u"/aml/screenings?page=2&limit=2"_s, m_analyst);
        EXPECT(paged, 200);
        QCOMPARE(paged.json().value(u"data"_s).toArray().size(), 2);
        QCOMPARE(paged.json().value(u"meta"_s).toObject(), (QJsonObject{{u"page"_s, 2}, {u"limit"_s, 2}, {u"total"_s, rowsA()}}));

        const HttpResult bogus = get(u"/aml/screenings?status=bogus"_s, m_analyst);
        EXPECT(bogus, 400);
        QVERIFY2(messages(bogus).contains(u"status"_s), qPrintable(messages(bogus)));
        EXPECT(get(u"/aml/screenings?source=somewhere"_s, m_analyst), 400);
        EXPECT(get(u"/aml/screenings?limit=101"_s, m_analyst), 400);

        // Credentials: aml:read keys read, other keys and nobody do not; another firm sees only its own.
        const HttpResult byKey = get(u"/aml/screenings"_s, {}, m_screenKey);
        EXPECT(byKey, 200);
        QCOMPARE(byKey.json().value(u"meta"_s).toObject().value(u"total"_s).toInteger(), rowsA());
        EXPECT(get(u"/aml/screenings"_s, {}, m_casesKey), 403);
        EXPECT(get(u"/aml/screenings"_s), 401);
        EXPECT(get(u"/aml/screenings"_s, m_viewer), 200);
        const HttpResult other = get(u"/aml/screenings"_s, m_ownerB);
        EXPECT(other, 200);
        QCOMPARE(other.json().value(u"meta"_s).toObject().value(u"total"_s).toInteger(), 0);
        QVERIFY(other.json().value(u"data"_s).toArray().isEmpty());
    }

    void getScreening()
    {
        const QString path = u"/aml/screenings/"_s + m_hitScreening;
        const HttpResult one = get(path, m_analyst);
        EXPECT(one, 200);
        QCOMPARE(screeningShape(one.json()), QString());
        QCOMPARE(one.json().value(u"id"_s).toString(), m_hitScreening);
        QVERIFY(!findMatch(one.json(), kListedId).isEmpty());
        EXPECT(get(path, {}, m_screenKey), 200);
        EXPECT(get(u"/aml/screenings/"_s + m_hitScreening.toUpper(), m_analyst), 200);
        EXPECT(get(path, {}, m_casesKey), 403);
        EXPECT(get(path), 401);

        const HttpResult otherFirm = get(path, m_ownerB);
        EXPECT(otherFirm, 404);
        EXPECT(get(u"/aml/screenings/not-a-uuid"_s, m_analyst), 404);
        EXPECT(get(u"/aml/screenings/"_s + kUnknownId, m_analyst), 404);
        // Another firm's id answers exactly like an id that does not exist.
        QCOMPARE(otherFirm.json(), get(u"/aml/screenings/"_s + kUnknownId, m_ownerB).json());
    }

    void resolve()
    {
        const HttpResult before = get(u"/aml/screenings/"_s + m_hitScreening, m_analyst);
        EXPECT(before, 200);
        const QJsonArray matches = before.json().value(u"matches"_s).toArray();
        QVERIFY2(matches.size() == 1, before.body.constData());
        const QString matchId = findMatch(before.json(), kListedId).value(u"id"_s).toString();
        QVERIFY(isUuid(matchId));
        const QString path = u"/aml/screenings/%1/matches/%2/resolve"_s.arg(m_hitScreening, matchId);
        const QJsonObject good{{u"resolution"_s, u"false_positive"_s},
                               {u"reason"_s, u"Different person: customer born 1990 in Lisbon"_s}};

        const HttpResult asViewer = post(path, good, m_viewer);
        EXPECT(asViewer, 403);
        EXPECT(post(path, good, {}, m_screenKey), 403);
        EXPECT(post(path, good), 401);
        const HttpResult badResolution = post(path, J(R"({"resolution":"maybe","reason":"unsure"})"), m_analyst);
        EXPECT(badResolution, 400);
        QVERIFY2(messages(badResolution).contains(u"resolution"_s), qPrintable(messages(badResolution)));
        const HttpResult noReason = post(path, J(R"({"resolution":"false_positive"})"), m_analyst);
        EXPECT(noReason, 400);
        QVERIFY2(messages(noReason).contains(u"reason"_s), qPrintable(messages(noReason)));
        EXPECT(post(path, J(R"({"resolution":"false_positive","reason":"x","extra":1})"), m_analyst), 400);
        EXPECT(post(path, good, m_ownerB), 404);
        EXPECT(post(u"/aml/screenings/%1/matches/%2/resolve"_s.arg(m_hitScreening, kUnknownId), good, m_analyst), 404);
        EXPECT(post(u"/aml/screenings/%1/matches/%2/resolve"_s.arg(kUnknownId, matchId), good, m_analyst), 404);
        EXPECT(post(u"/aml/screenings/%1/matches/bad-id/resolve"_s.arg(m_hitScreening), good, m_analyst), 404);
        // Nothing of that changed the match.
        const HttpResult unchanged = get(u"/aml/screenings/"_s + m_hitScreening, m_analyst);
        QCOMPARE(unchanged.json().value(u"status"_s).toString(), u"potential_match"_s);
        QVERIFY(findMatch(unchanged.json(), kListedId).value(u"resolution"_s).isNull());
        QCOMPARE(events(m_firmA, u"screening.match_resolved"_s).size(), 0);

        const HttpResult done = post(path, good, m_analyst);
        EXPECT(done, 200);
        const QJsonObject s = done.json();
        QCOMPARE(screeningShape(s), QString());
        QCOMPARE(s.value(u"id"_s).toString(), m_hitScreening);
        QCOMPARE(s.value(u"status"_s).toString(), u"false_positive"_s);
        const QJsonObject m = findMatch(s, kListedId);
        QCOMPARE(m.value(u"resolution"_s).toString(), u"false_positive"_s);
        QCOMPARE(m.value(u"resolution_reason"_s).toString(), good.value(u"reason"_s).toString());
        QCOMPARE(m.value(u"resolved_by"_s).toString(), m_analystId);
        QCOMPARE(m.value(u"resolved_at"_s).toString(), isoUtc(m_server->clock().now()));
        QCOMPARE(get(u"/aml/screenings/"_s + m_hitScreening, m_analyst).json(), s);
        QCOMPARE(events(m_firmA, u"screening.match_resolved"_s, matchId).size(), 1);

        const HttpResult twice = post(path, J(R"({"resolution":"true_positive","reason":"changed my mind"})"), m_analyst);
        EXPECT(twice, 409);

        // The false positive is remembered: the same subject again is clear, with the hit suppressed.
        const HttpResult again = screen(kListedName, m_analyst);
        EXPECT(again, 201);
        QCOMPARE(again.json().value(u"status"_s).toString(), u"clear"_s);
        QCOMPARE(again.json().value(u"suppressed_count"_s).toInt(), 1);
        QVERIFY(findMatch(again.json(), kListedId).isEmpty());
        const HttpResult filtered = get(u"/aml/screenings?status=false_positive"_s, m_analyst);
        EXPECT(filtered, 200);
        QCOMPARE(strings(filtered.json().value(u"data"_s).toArray(), u"id"_s), QStringList{m_hitScreening});

        // A true positive confirms the match.
        const HttpResult other = screen(kOtherListedName, m_analyst);
        EXPECT(other, 201);
        const QString otherMatch = findMatch(other.json(), kOtherListedId).value(u"id"_s).toString();
        QVERIFY2(isUuid(otherMatch), other.body.constData());
        const HttpResult confirmed
            = post(u"/aml/screenings/%1/matches/%2/resolve"_s.arg(other.json().value(u"id"_s).toString(), otherMatch),
                   J(R"({"resolution":"true_positive","reason":"Same person: passport number matches"})"), m_analyst);
        EXPECT(confirmed, 200);
        QCOMPARE(confirmed.json().value(u"status"_s).toString(), u"confirmed_match"_s);
    }

    void lists()
    {
        const HttpResult r = get(u"/aml/lists"_s, m_analyst);
        EXPECT(r, 200);
        const QJsonArray data = r.json().value(u"data"_s).toArray();
        QCOMPARE(data.size(), 1);
        QCOMPARE(r.json().value(u"meta"_s).toObject(), (QJsonObject{{u"page"_s, 1}, {u"limit"_s, 20}, {u"total"_s, 1}}));
        const QJsonObject l = data.first().toObject();
        QCOMPARE(l.value(u"id"_s).toString(), m_unVersion);
        QCOMPARE(l.value(u"source"_s).toString(), u"un"_s);
        QCOMPARE(l.value(u"format"_s).toString(), u"un_xml"_s);
        QCOMPARE(l.value(u"publication_date"_s).toString(), u"2026-02-27"_s);
        QCOMPARE(l.value(u"entity_count"_s).toInteger(), 1003);
        QVERIFY(l.value(u"name_count"_s).toInteger() >= 1003);
        QVERIFY(QRegularExpression(u"^[0-9a-f]{64}$"_s).match(l.value(u"checksum"_s).toString()).hasMatch());
        QCOMPARE(l.value(u"checksum"_s).toString(), m_unSha);
        QCOMPARE(l.value(u"delta"_s).toObject(), (QJsonObject{{u"added"_s, 1003}, {u"changed"_s, 0}, {u"removed"_s, 0}}));
        QVERIFY(!l.value(u"loaded_at"_s).toString().isEmpty());
        QCOMPARE(l.value(u"active"_s).toBool(), true);
        QCOMPARE(l.value(u"version"_s).toInt(), 1);
        // How current it is: the UN list has an official download URL, so its scheduled refresh shows.
        const QJsonObject refresh = l.value(u"refresh"_s).toObject();
        QCOMPARE(refresh.value(u"scheduled"_s).toBool(), true);
        QVERIFY2(refresh.value(u"urls"_s).toArray().first().toString().startsWith(u"https://"_s), r.body.constData());
        QCOMPARE(refresh.value(u"stale"_s).toBool(), false);
        QVERIFY(refresh.value(u"age_seconds"_s).toInteger() >= 0);
        QVERIFY(refresh.value(u"last_checked_at"_s).isNull());

        EXPECT(get(u"/aml/lists"_s, {}, m_screenKey), 200);
        EXPECT(get(u"/aml/lists"_s, m_viewer), 200);
        EXPECT(get(u"/aml/lists"_s, {}, m_casesKey), 403);
        EXPECT(get(u"/aml/lists"_s), 401);
    }

    void readiness()
    {
        const HttpResult r = test::request(port(), "GET", "/api/v1/health/ready");
        EXPECT(r, 200);
        QCOMPARE(r.json().value(u"status"_s).toString(), u"ready"_s);
        QJsonObject sanctions;
        for (const auto &c : r.json().value(u"checks"_s).toArray()) {
            if (c.toObject().value(u"name"_s).toString() == u"sanctions_lists"_s)
                sanctions = c.toObject();
        }
        QVERIFY2(!sanctions.isEmpty(), r.body.constData());
        QCOMPARE(sanctions.value(u"ok"_s).toBool(), true);
        QVERIFY2(sanctions.value(u"detail"_s).toString().contains(u"1003"_s), r.body.constData());
    }

    // Uploads a file through a pre-signed URL as the owner: the storage flow a client of operation 59 follows.
    bool upload(const QString &key, const QByteArray &bytes)
    {
        const HttpResult p = post(u"/storage/presign"_s, {{u"method"_s, u"PUT"_s}, {u"key"_s, key}}, m_owner);
        if (p.status != 200)
            return false;
        const QString url = p.json().value(u"url"_s).toString();
        const QByteArray target = url.mid(url.indexOf(u"/api/v1/"_s)).toUtf8();
        const HttpResult put = test::request(port(), "PUT", target, bytes, {{"Content-Type", "application/octet-stream"}});
        return put.status == 201;
    }
    QByteArray sharedFile(const QString &relative)
    {
        QFile f(test::sharedDir() + relative);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

    // Operation 59: a list uploaded to storage becomes a new version (an OFAC CSV set recognised by its keys
    // as file names; a PEP source through its mapping); the same bytes again are 409, a missing object 404,
    // a file that does not parse 422 with the serving version untouched; admin only, JWT only.
    void importListOverHttp()
    {
        const QString dir = u"/data/sanctions/ofac_sdn_csv/2024-04-26_full/"_s;
        for (const char *name : {"sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv"})
            QVERIFY2(upload(QString::fromLatin1(name), sharedFile(dir + QString::fromLatin1(name))), name);
        const QJsonObject body{{u"source"_s, u"ofac_sdn"_s},
                               {u"format"_s, u"ofac_sdn_csv"_s},
                               {u"storage_keys"_s, QJsonArray{u"sdn.csv"_s, u"add.csv"_s, u"alt.csv"_s, u"sdn_comments.csv"_s}},
                               {u"publication_date"_s, u"2024-04-26"_s}};
        EXPECT(post(u"/aml/lists/import"_s, body, m_analyst), 403);
        EXPECT(post(u"/aml/lists/import"_s, body, {}, m_screenKey), 403);
        const qint64 versionsBefore = count(u"SELECT COUNT(*) FROM list_versions"_s);
        const HttpResult r = post(u"/aml/lists/import"_s, body, m_owner);
        EXPECT(r, 201);
        const QJsonObject v = r.json();
        QCOMPARE(v.value(u"source"_s).toString(), u"ofac_sdn"_s);
        QCOMPARE(v.value(u"format"_s).toString(), u"ofac_sdn_csv"_s);
        QCOMPARE(v.value(u"version"_s).toInt(), 1);
        QCOMPARE(v.value(u"publication_date"_s).toString(), u"2024-04-26"_s);
        QVERIFY2(v.value(u"entity_count"_s).toInt() > 12000, r.body.constData());
        QCOMPARE(v.value(u"active"_s).toBool(), true);
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_versions"_s), versionsBefore + 1);
        QCOMPARE(events(QString(), u"list.imported"_s, v.value(u"id"_s).toString()).size(), 1);
        // Screening now finds an OFAC-only name.
        const HttpResult hit
            = post(u"/aml/screen"_s, {{u"name"_s, u"AEROCARIBBEAN AIRLINES"_s}, {u"type"_s, u"organization"_s}}, m_analyst);
        EXPECT(hit, 201);
        QVERIFY2(!findMatch(hit.json(), u"ofac_sdn:36"_s).isEmpty(), hit.body.constData());

        EXPECT(post(u"/aml/lists/import"_s, body, m_owner), 409); // the same bytes again
        QJsonObject missing = body;
        missing.insert(u"storage_keys"_s, QJsonArray{u"never-uploaded.csv"_s});
        EXPECT(post(u"/aml/lists/import"_s, missing, m_owner), 404);
        EXPECT(post(u"/aml/lists/import"_s, body, m_ownerB), 403); // an official list, and firm B is no platform admin
        QVERIFY(upload(u"garbage.xml"_s, QByteArray("\x89PNG\r\n\x1a\n not a list at all", 27)));
        const HttpResult bad = post(
            u"/aml/lists/import"_s,
            {{u"source"_s, u"un"_s}, {u"format"_s, u"un_xml"_s}, {u"storage_keys"_s, QJsonArray{u"garbage.xml"_s}}}, m_owner);
        EXPECT(bad, 422);
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_versions"_s), versionsBefore + 1);
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_versions WHERE source = 'un' AND active = 1 AND id = ?"_s, {m_unVersion}), 1);
        for (const char *json : {R"({"source":"ofac_sdn","format":"pdf","storage_keys":["sdn.csv"]})",
                                 R"({"source":"Bad Source","format":"un_xml","storage_keys":["sdn.csv"]})",
                                 R"({"source":"un","format":"un_xml","storage_keys":[]})",
                                 R"({"source":"un","format":"un_xml","storage_keys":["a/b"]})",
                                 R"({"source":"un","format":"un_xml","storage_keys":["x"],"publication_date":"2024-13-01"})",
                                 R"({"source":"nope","format":"tabular","storage_keys":["x"]})"})
            EXPECT(send("POST", u"/aml/lists/import"_s, json, m_owner), 400);

        // A PEP source through its shipped mapping.
        QVERIFY(upload(u"executive.yaml"_s, sharedFile(u"/data/pep/us_congress_legislators/executive.yaml"_s)));
        const HttpResult pep = post(u"/aml/lists/import"_s,
                                    {{u"source"_s, u"pep_us_executive"_s},
                                     {u"format"_s, u"tabular"_s},
                                     {u"storage_keys"_s, QJsonArray{u"executive.yaml"_s}}},
                                    m_owner);
        EXPECT(pep, 201);
        QCOMPARE(pep.json().value(u"entity_count"_s).toInt(), 80); // PROVENANCE.md: 80 presidents and vice presidents
        const HttpResult president
            = post(u"/aml/screen"_s, {{u"name"_s, u"Abraham Lincoln"_s}, {u"type"_s, u"person"_s}}, m_analyst);
        EXPECT(president, 201);
        bool pepHit = false;
        for (const auto &m : president.json().value(u"matches"_s).toArray())
            pepHit = pepHit
                || (m.toObject().value(u"list"_s).toString() == u"pep_us_executive"_s
                    && m.toObject().value(u"category"_s).toString() == u"pep"_s);
        QVERIFY2(pepHit, president.body.constData());
    }

    // Operation 54: 202 with the batch and its progress; a repeat with the same Idempotency-Key answers the
    // same batch, another body under that key is 409; the screenings appear under ?batch_id=.
    void batchScreening()
    {
        const QByteArray body = R"({"subjects":[{"name":"Badege Eric","type":"person","reference":"c-1"},)"
                                R"({"name":"Plain Ordinary Customer","type":"person","birth_date":"1980-01-02","country":"gb"},)"
                                R"({"name":"Acme Widgets Ltd","type":"organization"}]})";
        const test::Headers key{{"Authorization", "Bearer " + m_analyst.toLatin1()}, {"Idempotency-Key", "batch-key-1"}};
        const HttpResult first = test::request(port(), "POST", "/api/v1/aml/screen/batch", body, key);
        EXPECT(first, 202);
        const QJsonObject b = first.json();
        QVERIFY(isUuid(b.value(u"id"_s).toString()));
        QCOMPARE(b.value(u"total"_s).toInt(), 3);
        QVERIFY(b.value(u"progress"_s).isDouble());
        QVERIFY(QStringList({u"queued"_s, u"running"_s, u"completed"_s}).contains(b.value(u"status"_s).toString()));
        QVERIFY(backend().screening().waitForBatches(60'000));

        const HttpResult again = test::request(port(), "POST", "/api/v1/aml/screen/batch", body, key);
        EXPECT(again, 202);
        QCOMPARE(again.json().value(u"id"_s).toString(), b.value(u"id"_s).toString());
        QCOMPARE(again.json().value(u"status"_s).toString(), u"completed"_s);
        QCOMPARE(again.json().value(u"processed"_s).toInt(), 3);
        QCOMPARE(again.json().value(u"progress"_s).toDouble(), 1.0);
        QCOMPARE(again.json().value(u"potential_matches"_s).toInt(), 1);

        QByteArray other = body;
        other.replace("c-1", "c-2");
        EXPECT(test::request(port(), "POST", "/api/v1/aml/screen/batch", other, key), 409);

        const HttpResult listed = get(u"/aml/screenings?batch_id=%1&limit=100"_s.arg(b.value(u"id"_s).toString()), m_analyst);
        EXPECT(listed, 200);
        QCOMPARE(listed.json().value(u"meta"_s).toObject().value(u"total"_s).toInt(), 3);
        // API key with aml:screen; a key without it is 403; no credentials 401.
        EXPECT(send("POST", u"/aml/screen/batch"_s, body, {}, m_screenKey), 202);
        EXPECT(send("POST", u"/aml/screen/batch"_s, body, {}, m_casesKey), 403);
        EXPECT(send("POST", u"/aml/screen/batch"_s, body), 401);
        QVERIFY(backend().screening().waitForBatches(60'000));
    }

    void batchBadBodies()
    {
        const qint64 before = count(u"SELECT COUNT(*) FROM screening_batches"_s);
        const QList<std::pair<QByteArray, QString>> cases = {
            {R"({})", u"subjects"_s},
            {R"({"subjects":[]})", u"subjects"_s},
            {R"({"subjects":"x"})", u"subjects"_s},
            {R"({"subjects":[{"name":"A B","type":"alien"}]})", u"subjects[0].type"_s},
            {R"({"subjects":[{"name":"A B","type":"person","extra":1}]})", u"subjects[0]"_s},
            {R"({"subjects":[{"name":"A B","type":"person","birth_date":"2001-13-40"}]})", u"subjects[0].birth_date"_s},
            {R"({"subjects":[{"name":"A B","type":"person"}],"threshold":7})", u"threshold"_s},
            {R"({"subjects":[{"name":"A B","type":"person"}],"lists":["nope"]})", u"lists"_s},
            {R"({"subjects":[{"name":"A B","type":"person"}],"unknown":true})", u"unknown"_s},
        };
        for (const auto &[body, field] : cases) {
            const HttpResult r = send("POST", u"/aml/screen/batch"_s, body, m_analyst);
            EXPECT(r, 400);
            QVERIFY2(messages(r).contains(field), qPrintable(QString::fromUtf8(body) + u" -> "_s + messages(r)));
        }
        QByteArray tooMany = R"({"subjects":[)";
        for (int i = 0; i <= screening::ScreeningService::kMaxBatchSubjects; ++i)
            tooMany += R"({"name":"N","type":"person"},)";
        tooMany.chop(1);
        tooMany += "]}";
        EXPECT(send("POST", u"/aml/screen/batch"_s, tooMany, m_analyst), 400);
        const test::Headers longKey{{"Authorization", "Bearer " + m_analyst.toLatin1()},
                                    {"Idempotency-Key", QByteArray(256, 'k')}};
        EXPECT(test::request(port(), "POST", "/api/v1/aml/screen/batch", R"({"subjects":[{"name":"A B","type":"person"}]})",
                             longKey),
               400);
        QCOMPARE(count(u"SELECT COUNT(*) FROM screening_batches"_s), before);
    }

    // Operations 60 and 61: monitoring a case (≥ analyst, the case must be known in this firm), alerts
    // listed with filters (any role or aml:read), another firm sees neither.
    void monitoringAndAlerts()
    {
        const QString caseId = u"5d6e7f80-1a2b-4c3d-9e8f-7a6b5c4d3e2f"_s;
        const QJsonObject on{{u"case_id"_s, caseId}, {u"enabled"_s, true}};
        EXPECT(post(u"/aml/monitoring"_s, on, m_analyst), 404); // no screening of that case yet
        EXPECT(post(u"/aml/screen"_s,
                    {{u"name"_s, u"Maria Customer Example"_s}, {u"type"_s, u"person"_s}, {u"case_id"_s, caseId}}, m_analyst),
               201);
        EXPECT(post(u"/aml/monitoring"_s, on, m_viewer), 403);
        EXPECT(post(u"/aml/monitoring"_s, on, {}, m_screenKey), 403); // jwt only
        EXPECT(post(u"/aml/monitoring"_s, on, m_ownerB), 404);
        EXPECT(post(u"/aml/monitoring"_s, {{u"case_id"_s, u"nope"_s}, {u"enabled"_s, true}}, m_analyst), 400);
        EXPECT(post(u"/aml/monitoring"_s, {{u"case_id"_s, caseId}, {u"enabled"_s, u"yes"_s}}, m_analyst), 400);
        const HttpResult r = post(u"/aml/monitoring"_s, on, m_analyst);
        EXPECT(r, 200);
        QCOMPARE(r.json().value(u"case_id"_s).toString(), caseId);
        QCOMPARE(r.json().value(u"enabled"_s).toBool(), true);
        QVERIFY(!r.json().value(u"updated_at"_s).toString().isEmpty());
        QCOMPARE(events(m_firmA, u"monitoring.enabled"_s, caseId).size(), 1);

        const HttpResult alerts = get(u"/aml/monitoring/alerts?status=open"_s, m_viewer);
        EXPECT(alerts, 200);
        QVERIFY(alerts.json().value(u"data"_s).isArray());
        QVERIFY(alerts.json().value(u"meta"_s).toObject().contains(u"total"_s));
        EXPECT(get(u"/aml/monitoring/alerts"_s, {}, m_screenKey), 200);
        EXPECT(get(u"/aml/monitoring/alerts"_s, {}, m_casesKey), 403);
        EXPECT(get(u"/aml/monitoring/alerts?status=closed"_s, m_viewer), 400);
        EXPECT(get(u"/aml/monitoring/alerts?case_id=xyz"_s, m_viewer), 400);
        EXPECT(get(u"/aml/monitoring/alerts"_s), 401);
    }

    void auditChains()
    {
        QCOMPARE(events(m_firmA, u"screening.created"_s).size(), rowsA()); // one event per stored screening
        QCOMPARE(events(m_firmA, u"screening.match_resolved"_s).size(), 2);
        QCOMPARE(events(QString(), u"list.imported"_s, m_unVersion).size(), 1);
        auto verified = backend().audit().verifyAll();
        QVERIFY(verified);
        for (const auto &r : *verified)
            QVERIFY2(r.valid, qPrintable(r.chain + u": "_s + r.reason));
    }
};

QTEST_GUILESS_MAIN(TestScreeningApi)
#include "tst_screening_api.moc"
