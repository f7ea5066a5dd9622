// The screening service without HTTP, as the GUI and the API call it (issue 4, Workflow): list versions
// imported from the real files in ../shared/data/sanctions with their counts, checksum and delta, swapped in
// only when the file is good; screenings stored with their explained matches; matches resolved as true or
// false positives (audited), a false positive remembered for the same subject; roles, scopes and tenants.
#include "backend/identity/accountservice.h"
#include "backend/screening/screeningservice.h"
#include "tests/testsupport/apiassert.h"
#include "tests/testsupport/testsupport.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>

using namespace kyc;
using namespace kyc::screening;
using namespace Qt::Literals::StringLiterals;

using test::keyActor;
using test::userActor;

namespace {

const QString kPassword = u"correct horse battery staple"_s;

QString sanctionsFile(const QString &relative)
{
    return test::sharedDir() + u"/data/sanctions/"_s + relative;
}

const QString kUnFile = u"un_consolidated_xml/2026-02-27/UN_consolidated.xml"_s;
const QString kSdnBefore = u"ofac_sdn_csv/2024-04-26_full/sdn.csv"_s;
const QString kSdnAfter = u"ofac_sdn_csv/2024-05-03_full/sdn.csv"_s;

// "ok", or the name of the error's code, so that a comparison failure reads well.
template <typename T>
QString codeOf(const T &result)
{
    return result ? u"ok"_s : errorCodeName(result.error().code);
}

template <typename T>
QString why(const T &result)
{
    return result ? QString() : result.error().message;
}

template <typename T>
QStringList fieldsOf(const T &result)
{
    QStringList out;
    if (!result)
        for (const auto &f : result.error().fields)
            out << f.field;
    return out;
}

template <typename T>
QString fieldMessages(const T &result)
{
    QStringList out;
    if (!result)
        for (const auto &f : result.error().fields)
            out << f.field + u": "_s + f.message;
    return out.join(u"; "_s);
}

QString fileSha256(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(&f);
    return QString::fromLatin1(h.result().toHex());
}

struct Listed {
    QString reference; // REFERENCE_NUMBER
    QString name; // FIRST_NAME … FOURTH_NAME joined
};

// The first INDIVIDUAL records of the UN XML, read here independently of the importer.
QList<Listed> firstUnIndividuals(const QString &path, int howMany)
{
    QList<Listed> out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return out;
    QXmlStreamReader xml(&f);
    while (!xml.atEnd() && out.size() < howMany) {
        xml.readNext();
        if (!xml.isStartElement() || xml.name() != u"INDIVIDUAL"_s)
            continue;
        Listed l;
        QStringList parts(4);
        while (xml.readNextStartElement()) {
            const QString tag = xml.name().toString();
            static const QStringList nameTags = {u"FIRST_NAME"_s, u"SECOND_NAME"_s, u"THIRD_NAME"_s, u"FOURTH_NAME"_s};
            if (const auto i = nameTags.indexOf(tag); i >= 0)
                parts[i] = xml.readElementText().simplified();
            else if (tag == u"REFERENCE_NUMBER"_s)
                l.reference = xml.readElementText().trimmed();
            else
                xml.skipCurrentElement();
        }
        parts.removeAll(QString());
        l.name = parts.join(u' ');
        if (!l.name.isEmpty() && !l.reference.isEmpty())
            out << l;
    }
    return out;
}

const StoredMatch *findMatch(const Screening &s, const QString &entityId)
{
    for (const auto &m : s.matches) {
        if (m.entityId == entityId)
            return &m;
    }
    return nullptr;
}

QStringList entityIds(const Screening &s)
{
    QStringList out;
    for (const auto &m : s.matches)
        out << m.entityId;
    return out;
}

// The matcher's answer to a name, as comparable text: entity ids and scores in rank order.
QStringList answerOf(const Matcher &m, const QString &name)
{
    Query q;
    q.name = name;
    q.type = EntityType::Person;
    QStringList out;
    for (const auto &hit : m.screen(q, 20))
        out << u"%1=%2"_s.arg(hit.entity->id).arg(hit.score, 0, 'f', 6);
    return out;
}

} // namespace

class TestScreeningService : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::TempBackend> m_env;
    QString m_firmA, m_firmB, m_ownerA, m_ownerB, m_analyst, m_viewer;
    QList<Listed> m_listed;
    ListVersion m_un; // the version serving after importUnList
    int m_imports = 0; // list.imported events expected on the platform chain

    Backend &backend() { return m_env->backend(); }
    ScreeningService &service() { return backend().screening(); }
    Actor analyst() const { return userActor(m_firmA, m_analyst, Role::Analyst); }
    Actor viewer() const { return userActor(m_firmA, m_viewer, Role::Viewer); }
    Actor ownerB() const { return userActor(m_firmB, m_ownerB, Role::Owner); }

    qint64 count(const QString &sql, const QVariantList &binds = {}) { return test::count(backend().database(), sql, binds); }
    qint64 screeningRows() { return count(u"SELECT COUNT(*) FROM screenings"_s); }
    QList<audit::Event> events(const QString &firmId, const QString &action, const QString &entityId = {})
    {
        audit::Filter f;
        f.action = action;
        f.entityId = entityId;
        auto page = backend().audit().list(firmId, f, {1, 100});
        return page ? page->items : QList<audit::Event>{};
    }
    ScreenInput person(const QString &name)
    {
        ScreenInput in;
        in.name = name;
        in.type = EntityType::Person;
        return in;
    }

private slots:
    void initTestCase()
    {
        m_env = std::make_unique<test::TempBackend>();
        QVERIFY(m_env->ok());
        QVERIFY2(QFile::exists(sanctionsFile(kUnFile)), qPrintable(sanctionsFile(kUnFile)));
        m_listed = firstUnIndividuals(sanctionsFile(kUnFile), 3);
        QCOMPARE(m_listed.size(), 3);
        QCOMPARE(m_listed[0].reference, u"CDi.001"_s); // see PROVENANCE.md: ERIC BADEGE opens the list
        QCOMPARE(m_listed[0].name, u"ERIC BADEGE"_s);

        auto &accounts = backend().accounts();
        auto a = accounts.createFirm(
            {u"Screening Alpha Ltd"_s, u"GB"_s, {}, u"owner@screen-a.test"_s, kPassword, u"Alpha Owner"_s, {}});
        QVERIFY2(a, qPrintable(why(a)));
        auto b = accounts.createFirm(
            {u"Screening Beta GmbH"_s, u"DE"_s, {}, u"owner@screen-b.test"_s, kPassword, u"Beta Owner"_s, {}});
        QVERIFY2(b, qPrintable(why(b)));
        m_firmA = a->first.id;
        m_ownerA = a->second.id;
        m_firmB = b->first.id;
        m_ownerB = b->second.id;
        auto an
            = accounts.createUser(Actor::system(m_firmA), u"analyst@screen-a.test"_s, u"Ana Lyst"_s, Role::Analyst, kPassword);
        QVERIFY2(an, qPrintable(why(an)));
        auto vi = accounts.createUser(Actor::system(m_firmA), u"viewer@screen-a.test"_s, u"Vi Ewer"_s, Role::Viewer, kPassword);
        QVERIFY2(vi, qPrintable(why(vi)));
        m_analyst = an->id;
        m_viewer = vi->id;
    }

    // Nothing loaded yet: nothing to screen against, and lists() is empty.
    void emptyBeforeImport()
    {
        QCOMPARE(service().loadedEntities(), 0);
        auto l = service().lists(analyst());
        QVERIFY2(l, qPrintable(why(l)));
        QVERIFY(l->isEmpty());
    }

    void importUnList()
    {
        const QString path = sanctionsFile(kUnFile);
        qint64 lastDone = -1, lastTotal = -1, calls = 0;
        bool monotonic = true;
        auto v = service().importList(Actor::system(), ListFormat::UnXml, {path}, {}, [&](qint64 done, qint64 total) {
            monotonic = monotonic && done >= lastDone;
            lastDone = done;
            lastTotal = total;
            ++calls;
        });
        QVERIFY2(v, qPrintable(why(v)));
        ++m_imports;
        QCOMPARE(v->source, u"un"_s);
        QCOMPARE(v->format, u"un_xml"_s);
        QCOMPARE(v->entityCount, 1003); // 730 INDIVIDUAL + 273 ENTITY (PROVENANCE.md)
        QCOMPARE(v->publicationDate, u"2026-02-27"_s);
        QVERIFY(v->active);
        QVERIFY(v->nameCount >= v->entityCount);
        QCOMPARE(v->sha256, fileSha256(path));
        QVERIFY(v->problems.size() <= 100 && v->problems.size() <= v->problemCount);
        // The first version of a source: everything is new.
        QCOMPARE(v->added, 1003);
        QCOMPARE(v->changed, 0);
        QCOMPARE(v->removed, 0);
        QVERIFY(!v->loadedAt.isEmpty());
        QCOMPARE(v->loadedAt, isoUtc(m_env->clock().now()));
        // Progress in bytes, ending at the total.
        QVERIFY(calls >= 2);
        QVERIFY(monotonic);
        QVERIFY(lastTotal > 0);
        QCOMPARE(lastDone, lastTotal);

        QCOMPARE(service().loadedEntities(), 1003);
        auto l = service().lists(analyst());
        QVERIFY2(l, qPrintable(why(l)));
        QCOMPARE(l->size(), 1);
        QCOMPARE(l->first().id, v->id);
        QCOMPARE(l->first().sha256, v->sha256);
        QCOMPARE(l->first().entityCount, 1003);
        QCOMPARE(l->first().publicationDate, u"2026-02-27"_s);
        QVERIFY(l->first().active);
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_entities WHERE version_id = ?"_s, {v->id}), 1003);
        m_un = *v;
    }

    // A file that is not a list fails and changes nothing: the same version serves, the same index answers.
    void badFileLeavesServingVersion()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString text = dir.filePath(u"notes.txt"_s);
        {
            QFile f(text);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("These are meeting notes, not a sanctions list.\nSecond line; nothing to import here.\n");
        }
        const QString probe = m_listed[0].name;
        const auto matcherBefore = service().matcher();
        const QStringList answerBefore = answerOf(*matcherBefore, probe);
        QVERIFY2(!answerBefore.isEmpty(), "the probe name should match before the bad import");
        const qint64 versionsBefore = count(u"SELECT COUNT(*) FROM list_versions"_s);
        const qint64 entitiesBefore = count(u"SELECT COUNT(*) FROM list_entities"_s);
        const qsizetype importEventsBefore = events(QString(), u"list.imported"_s).size();

        const QList<std::pair<ListFormat, QStringList>> attempts = {
            {ListFormat::UnXml, {text}},
            {ListFormat::OfacSdnCsv, {text}},
            {ListFormat::UnXml, {dir.filePath(u"missing.xml"_s)}},
        };
        for (const auto &[format, files] : attempts) {
            auto v = service().importList(Actor::system(), format, files);
            QVERIFY2(!v, qPrintable(u"importing %1 as %2 succeeded"_s.arg(files.join(u", "_s), formatName(format))));
            QCOMPARE(codeOf(v), errorCodeName(ErrorCode::Validation));
            QVERIFY(!v.error().message.isEmpty() || !v.error().fields.isEmpty());
        }

        QCOMPARE(count(u"SELECT COUNT(*) FROM list_versions"_s), versionsBefore);
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_entities"_s), entitiesBefore);
        QCOMPARE(events(QString(), u"list.imported"_s).size(), importEventsBefore);
        auto l = service().lists(analyst());
        QVERIFY2(l, qPrintable(why(l)));
        QCOMPARE(l->size(), 1);
        QCOMPARE(l->first().id, m_un.id);
        QCOMPARE(l->first().sha256, m_un.sha256);
        QVERIFY(l->first().active);
        QCOMPARE(service().loadedEntities(), 1003);
        QVERIFY(service().matcher() == matcherBefore); // the serving index was never swapped
        QCOMPARE(answerOf(*service().matcher(), probe), answerBefore);
        // And a screening still finds the listed person.
        auto s = service().screen(analyst(), person(probe));
        QVERIFY2(s, qPrintable(why(s)));
        QVERIFY2(findMatch(*s, u"un:"_s + m_listed[0].reference), qPrintable(entityIds(*s).join(u", "_s)));
    }

    void importNeedsAdmin()
    {
        const QString path = sanctionsFile(kUnFile);
        const qint64 versionsBefore = count(u"SELECT COUNT(*) FROM list_versions"_s);
        const QList<std::pair<const char *, Actor>> refused = {
            {"viewer", viewer()},
            {"analyst", analyst()},
            {"compliance officer", userActor(m_firmA, m_analyst, Role::ComplianceOfficer)},
            {"API key with every AML scope", keyActor(m_firmA, {u"aml:screen"_s, u"aml:read"_s})},
        };
        for (const auto &[who, actor] : refused) {
            auto v = service().importList(actor, ListFormat::UnXml, {path});
            QVERIFY2(!v, who);
            QVERIFY2(v.error().code == ErrorCode::Forbidden, qPrintable(u"%1: %2"_s.arg(QLatin1String(who), codeOf(v))));
        }
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_versions"_s), versionsBefore);
        QCOMPARE(service().lists(analyst())->first().id, m_un.id);

        // The UN list is platform data: a firm's admin or owner may not replace it (issue 8, attack 1).
        for (const Role role : {Role::Admin, Role::Owner}) {
            auto v = service().importList(userActor(m_firmA, m_ownerA, role), ListFormat::UnXml, {path});
            QVERIFY(!v);
            QCOMPARE(v.error().code, ErrorCode::Forbidden);
        }
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_versions"_s), versionsBefore);
        // A platform admin may: the same file again is a new version with an empty delta that replaces the old one.
        m_env->clock().advanceMs(60'000);
        Actor platformAdmin = userActor(m_firmA, m_ownerA, Role::Admin);
        platformAdmin.platformAdmin = true;
        auto again = service().importList(platformAdmin, ListFormat::UnXml, {path});
        QVERIFY2(again, qPrintable(why(again)));
        ++m_imports;
        QVERIFY(again->id != m_un.id);
        QCOMPARE(again->sha256, m_un.sha256);
        QCOMPARE(again->entityCount, 1003);
        QCOMPARE(again->added, 0);
        QCOMPARE(again->changed, 0);
        QCOMPARE(again->removed, 0);
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_versions WHERE source = 'un'"_s), 2);
        QCOMPARE(count(u"SELECT COUNT(*) FROM list_versions WHERE source = 'un' AND active = 1"_s), 1);
        QCOMPARE(count(u"SELECT active FROM list_versions WHERE id = ?"_s, {m_un.id}), 0);
        auto l = service().lists(analyst());
        QVERIFY2(l, qPrintable(why(l)));
        QCOMPARE(l->size(), 1);
        QCOMPARE(l->first().id, again->id);
        QCOMPARE(service().loadedEntities(), 1003);
        m_un = *again;
    }

    // The real one-week change of the OFAC SDN list: 305 added, 8 removed, none edited (PROVENANCE.md).
    void ofacWeeklyDelta()
    {
        test::TempBackend env;
        QVERIFY(env.ok());
        auto &svc = env.backend().screening();
        auto before = svc.importList(Actor::system(), ListFormat::OfacSdnCsv, {sanctionsFile(kSdnBefore)});
        QVERIFY2(before, qPrintable(why(before)));
        QCOMPARE(before->source, u"ofac_sdn"_s);
        QCOMPARE(before->added, before->entityCount);
        QCOMPARE(before->changed, 0);
        QCOMPARE(before->removed, 0);
        QCOMPARE(before->sha256, fileSha256(sanctionsFile(kSdnBefore)));

        env.clock().advanceMs(7LL * 24 * 3600 * 1000);
        auto after = svc.importList(Actor::system(), ListFormat::OfacSdnCsv, {sanctionsFile(kSdnAfter)});
        QVERIFY2(after, qPrintable(why(after)));
        QCOMPARE(after->source, u"ofac_sdn"_s);
        QCOMPARE(after->added, 305);
        QCOMPARE(after->removed, 8);
        QCOMPARE(after->changed, 0);
        QCOMPARE(after->entityCount, before->entityCount + 305 - 8);
        QVERIFY(after->active);
        QVERIFY(after->sha256 != before->sha256);

        auto l = svc.lists(Actor::system());
        QVERIFY2(l, qPrintable(why(l)));
        QCOMPARE(l->size(), 1);
        QCOMPARE(l->first().source, u"ofac_sdn"_s);
        QCOMPARE(l->first().id, after->id);
        QVERIFY(l->first().active);
        QCOMPARE(l->first().added, 305);
        QCOMPARE(l->first().removed, 8);
        QCOMPARE(l->first().changed, 0);
        QCOMPARE(svc.loadedEntities(), after->entityCount);

        // The replaced version is kept, inactive; the audit event names it.
        QSqlQuery q(env.backend().database().connection());
        QVERIFY(q.exec(u"SELECT id, active FROM list_versions WHERE source = 'ofac_sdn' ORDER BY loaded_at"_s));
        QStringList rows;
        while (q.next())
            rows << q.value(0).toString() + u'/' + q.value(1).toString();
        QCOMPARE(rows, (QStringList{before->id + u"/0"_s, after->id + u"/1"_s}));
        audit::Filter f;
        f.action = u"list.imported"_s;
        f.entityId = after->id;
        auto ev = env.backend().audit().list(QString(), f, {1, 10});
        QVERIFY(ev && ev->items.size() == 1);
        const QJsonObject d = ev->items.first().details;
        QCOMPARE(d.value(u"replaces"_s).toString(), before->id);
        QCOMPARE(d.value(u"added"_s).toInteger(), 305);
        QCOMPARE(d.value(u"removed"_s).toInteger(), 8);
        QCOMPARE(d.value(u"changed"_s).toInteger(), 0);
        auto verified = env.backend().audit().verifyAll();
        QVERIFY(verified);
        for (const auto &r : *verified)
            QVERIFY2(r.valid, qPrintable(r.chain + u": "_s + r.reason));
    }

    void screenKnownName()
    {
        const Listed &who = m_listed[0];
        const QString entityId = u"un:"_s + who.reference;
        const qint64 rowsBefore = screeningRows();
        auto s = service().screen(analyst(), person(who.name));
        QVERIFY2(s, qPrintable(why(s)));
        QCOMPARE(screeningRows(), rowsBefore + 1);
        QVERIFY(!s->id.isEmpty());
        QCOMPARE(s->status, u"potential_match"_s);
        QCOMPARE(s->source, u"ad_hoc"_s);
        QCOMPARE(s->createdBy, m_analyst);
        QCOMPARE(s->threshold, Matcher::defaultThreshold());
        QCOMPARE(s->suppressed, 0);
        QCOMPARE(s->subject.value(u"name"_s).toString(), who.name);
        QCOMPARE(s->subject.value(u"type"_s).toString(), u"person"_s);
        QCOMPARE(s->lists.size(), 1);
        QCOMPARE(s->lists.first().toObject().value(u"source"_s).toString(), u"un"_s);
        QCOMPARE(s->lists.first().toObject().value(u"version_id"_s).toString(), m_un.id);

        const StoredMatch *m = findMatch(*s, entityId);
        QVERIFY2(m, qPrintable(entityIds(*s).join(u", "_s)));
        QCOMPARE(m->listSource, u"un"_s);
        QCOMPARE(m->listVersionId, m_un.id);
        QCOMPARE(m->category, u"sanction"_s);
        QVERIFY(!m->id.isEmpty());
        QVERIFY(!m->matchedName.isEmpty());
        QVERIFY(!m->entityName.isEmpty());
        QVERIFY2(m->score >= s->threshold && m->score <= 1.0, qPrintable(QString::number(m->score)));
        QVERIFY(m->resolution.isEmpty());
        const QJsonArray tokens = m->explanation.value(u"tokens"_s).toArray();
        QVERIFY2(!tokens.isEmpty(), "the explanation lists the aligned tokens");
        for (const auto &t : tokens) {
            const QJsonObject o = t.toObject();
            QVERIFY(o.contains(u"query_token"_s) && o.contains(u"name_token"_s) && o.contains(u"how"_s));
            QVERIFY(o.value(u"similarity"_s).isDouble());
        }
        QVERIFY(m->explanation.value(u"name_score"_s).isDouble());
        QVERIFY(m->explanation.value(u"qualifiers"_s).isArray());
        // Ranked best first.
        for (qsizetype i = 1; i < s->matches.size(); ++i)
            QVERIFY(s->matches[i - 1].score >= s->matches[i].score);

        // Stored as answered.
        auto stored = service().screening(analyst(), s->id);
        QVERIFY2(stored, qPrintable(why(stored)));
        QCOMPARE(stored->status, s->status);
        QCOMPARE(entityIds(*stored), entityIds(*s));
        const StoredMatch *sm = findMatch(*stored, entityId);
        QVERIFY(sm);
        QCOMPARE(sm->id, m->id);
        QCOMPARE(sm->score, m->score);
        QCOMPARE(sm->explanation, m->explanation);
        QCOMPARE(sm->category, u"sanction"_s);
        QCOMPARE(events(m_firmA, u"screening.created"_s, s->id).size(), 1);

        // Restricting to the loaded list gives the same hit; a viewer may screen too (screening.run).
        ScreenInput onlyUn = person(who.name);
        onlyUn.lists = {u"un"_s};
        auto restricted = service().screen(viewer(), onlyUn);
        QVERIFY2(restricted, qPrintable(why(restricted)));
        QVERIFY(findMatch(*restricted, entityId));
    }

    void screenUnrelatedName()
    {
        const qint64 rowsBefore = screeningRows();
        auto s = service().screen(analyst(), person(u"Thaddeus Quillfeather Brumblewick"_s));
        QVERIFY2(s, qPrintable(why(s)));
        QCOMPARE(s->status, u"clear"_s);
        QVERIFY2(s->matches.isEmpty(), qPrintable(entityIds(*s).join(u", "_s)));
        QCOMPARE(s->suppressed, 0);
        QCOMPARE(screeningRows(), rowsBefore + 1);
        auto stored = service().screening(analyst(), s->id);
        QVERIFY2(stored, qPrintable(why(stored)));
        QCOMPARE(stored->status, u"clear"_s);
        QVERIFY(stored->matches.isEmpty());
    }

    void screenValidation()
    {
        const qint64 rowsBefore = screeningRows();
        const qint64 matchRowsBefore = count(u"SELECT COUNT(*) FROM screening_matches"_s);
        const qsizetype eventsBefore = events(m_firmA, u"screening.created"_s).size();
        const QString name = m_listed[0].name;
        struct Case {
            const char *what;
            std::function<void(ScreenInput &)> change;
            QStringList fields;
        };
        const QList<Case> cases = {
            {"empty name", [](ScreenInput &in) { in.name = QString(); }, {u"name"_s}},
            {"blank name", [](ScreenInput &in) { in.name = u"   "_s; }, {u"name"_s}},
            {"month 13", [](ScreenInput &in) { in.birthDate = u"1990-13-01"_s; }, {u"birth_date"_s}},
            {"31 February", [](ScreenInput &in) { in.birthDate = u"1990-02-31"_s; }, {u"birth_date"_s}},
            {"alpha-3 country", [](ScreenInput &in) { in.country = u"USA"_s; }, {u"country"_s}},
            {"unknown list", [](ScreenInput &in) { in.lists = {u"nope"_s}; }, {u"lists"_s}},
            {"threshold too low", [](ScreenInput &in) { in.threshold = 0.2; }, {u"threshold"_s}},
            {"threshold above 1", [](ScreenInput &in) { in.threshold = 1.5; }, {u"threshold"_s}},
            {"everything wrong",
             [](ScreenInput &in) {
                 in.name = QString();
                 in.birthDate = u"1990-13-01"_s;
                 in.country = u"USA"_s;
                 in.lists = {u"nope"_s};
                 in.threshold = 0.2;
             },
             {u"name"_s, u"birth_date"_s, u"country"_s, u"lists"_s, u"threshold"_s}},
        };
        for (const auto &c : cases) {
            ScreenInput in = person(name);
            c.change(in);
            auto s = service().screen(analyst(), in);
            QVERIFY2(!s, c.what);
            QVERIFY2(s.error().code == ErrorCode::Validation, qPrintable(u"%1: %2"_s.arg(QLatin1String(c.what), codeOf(s))));
            QStringList got = fieldsOf(s);
            got.removeDuplicates();
            QStringList want = c.fields;
            got.sort();
            want.sort();
            QVERIFY2(got == want, qPrintable(u"%1: %2"_s.arg(QLatin1String(c.what), fieldMessages(s))));
            for (const auto &f : s.error().fields)
                QVERIFY2(!f.message.isEmpty(), c.what);
        }
        QCOMPARE(screeningRows(), rowsBefore);
        QCOMPARE(count(u"SELECT COUNT(*) FROM screening_matches"_s), matchRowsBefore);
        QCOMPARE(events(m_firmA, u"screening.created"_s).size(), eventsBefore);

        // The boundaries that are valid.
        ScreenInput edge = person(name);
        edge.birthDate = u"1971"_s;
        edge.country = u"cd"_s;
        edge.threshold = 0.5;
        auto ok = service().screen(analyst(), edge);
        QVERIFY2(ok, qPrintable(fieldMessages(ok) + why(ok)));
        QCOMPARE(ok->subject.value(u"country"_s).toString(), u"CD"_s);
        QCOMPARE(ok->threshold, 0.5);
    }

    void falsePositiveIsRemembered()
    {
        const Listed &who = m_listed[0];
        const QString entityId = u"un:"_s + who.reference;
        auto first = service().screen(analyst(), person(who.name));
        QVERIFY2(first, qPrintable(why(first)));
        QVERIFY2(first->matches.size() == 1 && first->matches.first().entityId == entityId,
                 qPrintable(entityIds(*first).join(u", "_s)));
        QCOMPARE(first->status, u"potential_match"_s);
        const QString matchId = first->matches.first().id;

        m_env->clock().advanceMs(5 * 60'000);
        const QString reason = u"Different person: our customer was born in 1988 in Lyon"_s;
        auto resolved = service().resolve(analyst(), first->id, matchId, u"false_positive"_s, u"  "_s + reason + u"  "_s);
        QVERIFY2(resolved, qPrintable(why(resolved) + fieldMessages(resolved)));
        QCOMPARE(resolved->id, first->id);
        QCOMPARE(resolved->status, u"false_positive"_s);
        QCOMPARE(resolved->matches.size(), 1);
        const StoredMatch &m = resolved->matches.first();
        QCOMPARE(m.resolution, u"false_positive"_s);
        QCOMPARE(m.reason, reason);
        QCOMPARE(m.resolvedBy, m_analyst);
        QCOMPARE(m.resolvedAt, isoUtc(m_env->clock().now()));
        auto stored = service().screening(analyst(), first->id);
        QVERIFY2(stored, qPrintable(why(stored)));
        QCOMPARE(stored->status, u"false_positive"_s);
        QCOMPARE(stored->matches.first().resolution, u"false_positive"_s);

        // The same subject again (case and spacing do not make another subject): the hit stays quiet.
        for (const QString &same : QStringList{who.name, u"  "_s + who.name.toLower() + u" "_s}) {
            auto again = service().screen(analyst(), person(same));
            QVERIFY2(again, qPrintable(why(again)));
            QCOMPARE(again->suppressed, 1);
            QVERIFY2(!findMatch(*again, entityId), qPrintable(entityIds(*again).join(u", "_s)));
            QCOMPARE(again->status, u"clear"_s);
        }
        // Another subject (another name, or the same name with a birth date) still gets the hit.
        const QStringList parts = who.name.split(u' ');
        const QString reversed = QStringList(parts.crbegin(), parts.crend()).join(u' ');
        auto other = service().screen(analyst(), person(reversed));
        QVERIFY2(other, qPrintable(why(other)));
        QVERIFY2(findMatch(*other, entityId), qPrintable(reversed + u": "_s + entityIds(*other).join(u", "_s)));
        QCOMPARE(other->suppressed, 0);
        QCOMPARE(other->status, u"potential_match"_s);
        ScreenInput withDob = person(who.name);
        withDob.birthDate = u"1971"_s;
        auto dated = service().screen(analyst(), withDob);
        QVERIFY2(dated, qPrintable(why(dated)));
        QVERIFY(findMatch(*dated, entityId));
        QCOMPARE(dated->suppressed, 0);
        // Another firm's resolution is not this firm's memory, and the other way round.
        auto firmB = service().screen(ownerB(), person(who.name));
        QVERIFY2(firmB, qPrintable(why(firmB)));
        QVERIFY(findMatch(*firmB, entityId));
        QCOMPARE(firmB->suppressed, 0);
        QCOMPARE(firmB->status, u"potential_match"_s);

        QCOMPARE(events(m_firmA, u"screening.match_resolved"_s, matchId).size(), 1);
        const auto ev = events(m_firmA, u"screening.match_resolved"_s, matchId);
        QCOMPARE(ev.first().actorId, m_analyst);
        QCOMPARE(ev.first().details.value(u"resolution"_s).toString(), u"false_positive"_s);
        QCOMPARE(ev.first().details.value(u"screening_id"_s).toString(), first->id);
        QCOMPARE(ev.first().details.value(u"reason"_s).toString(), reason);
    }

    void truePositiveAndConflicts()
    {
        const Listed &who = m_listed[1];
        const QString entityId = u"un:"_s + who.reference;
        auto s = service().screen(analyst(), person(who.name));
        QVERIFY2(s, qPrintable(why(s)));
        const StoredMatch *hit = findMatch(*s, entityId);
        QVERIFY2(hit, qPrintable(who.name + u": "_s + entityIds(*s).join(u", "_s)));
        QCOMPARE(s->status, u"potential_match"_s);
        const QString matchId = hit->id;

        // Bad input first: nothing changes.
        auto badResolution = service().resolve(analyst(), s->id, matchId, u"maybe"_s, u"not sure"_s);
        QCOMPARE(codeOf(badResolution), errorCodeName(ErrorCode::Validation));
        QCOMPARE(fieldsOf(badResolution), QStringList{u"resolution"_s});
        auto noReason = service().resolve(analyst(), s->id, matchId, u"true_positive"_s, u"  "_s);
        QCOMPARE(codeOf(noReason), errorCodeName(ErrorCode::Validation));
        QCOMPARE(fieldsOf(noReason), QStringList{u"reason"_s});
        auto unknownMatch = service().resolve(analyst(), s->id, u"00000000-0000-4000-8000-000000000000"_s, u"true_positive"_s,
                                              u"same person"_s);
        QCOMPARE(codeOf(unknownMatch), errorCodeName(ErrorCode::NotFound));
        QCOMPARE(service().screening(analyst(), s->id)->status, u"potential_match"_s);

        auto confirmed = service().resolve(analyst(), s->id, matchId, u"true_positive"_s, u"Same person: passport matches"_s);
        QVERIFY2(confirmed, qPrintable(why(confirmed)));
        QCOMPARE(confirmed->status, u"confirmed_match"_s);
        QCOMPARE(findMatch(*confirmed, entityId)->resolution, u"true_positive"_s);
        QCOMPARE(service().screening(analyst(), s->id)->status, u"confirmed_match"_s);

        // Resolving again, either way, is a state mismatch.
        for (const QString &resolution : {u"true_positive"_s, u"false_positive"_s}) {
            auto twice = service().resolve(analyst(), s->id, matchId, resolution, u"second thoughts"_s);
            QCOMPARE(codeOf(twice), errorCodeName(ErrorCode::Conflict));
        }
        auto after = service().screening(analyst(), s->id);
        QVERIFY(after);
        QCOMPARE(after->status, u"confirmed_match"_s);
        QCOMPARE(findMatch(*after, entityId)->resolution, u"true_positive"_s);
        QCOMPARE(findMatch(*after, entityId)->reason, u"Same person: passport matches"_s);
        QCOMPARE(events(m_firmA, u"screening.match_resolved"_s, matchId).size(), 1);
        // A true positive is not suppressed on the next screening of the subject: it comes back confirmed, with
        // who decided and why (issue 8, wrong answer 6).
        auto next = service().screen(analyst(), person(who.name));
        QVERIFY(next);
        QVERIFY(findMatch(*next, entityId));
        QCOMPARE(next->suppressed, 0);
        QCOMPARE(next->status, u"confirmed_match"_s);
        QCOMPARE(findMatch(*next, entityId)->resolution, u"true_positive"_s);
        QCOMPARE(findMatch(*next, entityId)->reason, u"Same person: passport matches"_s);
        QCOMPARE(findMatch(*next, entityId)->resolvedBy, m_analyst);
        QCOMPARE(findMatch(*next, entityId)->rememberedFrom, matchId);
        QCOMPARE(next->remembered.size(), 1);
    }

    void resolveNeedsAnalyst()
    {
        // m_listed[1] is a confirmed match of firm A by now (remembered): another listed person is still open.
        auto s = service().screen(viewer(), person(m_listed[2].name));
        QVERIFY2(s, qPrintable(why(s)));
        QVERIFY(!s->matches.isEmpty());
        const QString matchId = s->matches.first().id;
        const QList<std::pair<const char *, Actor>> refused = {
            {"viewer", viewer()},
            {"API key with every AML scope", keyActor(m_firmA, {u"aml:screen"_s, u"aml:read"_s})},
        };
        for (const auto &[who, actor] : refused) {
            auto r = service().resolve(actor, s->id, matchId, u"false_positive"_s, u"not them"_s);
            QVERIFY2(!r, who);
            QVERIFY2(r.error().code == ErrorCode::Forbidden, qPrintable(u"%1: %2"_s.arg(QLatin1String(who), codeOf(r))));
        }
        QCOMPARE(codeOf(service().resolve(Actor{}, s->id, matchId, u"false_positive"_s, u"not them"_s)),
                 errorCodeName(ErrorCode::Unauthenticated));
        auto stored = service().screening(viewer(), s->id);
        QVERIFY2(stored, qPrintable(why(stored)));
        QCOMPARE(stored->status, u"potential_match"_s);
        QVERIFY(stored->matches.first().resolution.isEmpty());
        QCOMPARE(events(m_firmA, u"screening.match_resolved"_s, matchId).size(), 0);

        // Keys screen and read with their scopes, not without.
        auto byKey = service().screen(keyActor(m_firmA, {u"aml:screen"_s}), person(m_listed[1].name));
        QVERIFY2(byKey, qPrintable(why(byKey)));
        QCOMPARE(byKey->createdBy, u"6d0c1f7a-2b3e-4c5d-8e9f-0a1b2c3d4e5f"_s);
        QCOMPARE(codeOf(service().screen(keyActor(m_firmA, {u"aml:read"_s}), person(m_listed[1].name))),
                 errorCodeName(ErrorCode::Forbidden));
        QCOMPARE(codeOf(service().screening(keyActor(m_firmA, {u"aml:read"_s}), s->id)), u"ok"_s);
        QCOMPARE(codeOf(service().screening(keyActor(m_firmA, {u"cases:read"_s}), s->id)), errorCodeName(ErrorCode::Forbidden));
        QCOMPARE(codeOf(service().lists(keyActor(m_firmA, {u"cases:read"_s}))), errorCodeName(ErrorCode::Forbidden));
    }

    void otherFirmSeesNothing()
    {
        auto s = service().screen(analyst(), person(m_listed[2].name));
        QVERIFY2(s, qPrintable(why(s)));
        QVERIFY(!s->matches.isEmpty());
        const QString matchId = s->matches.first().id;

        QCOMPARE(codeOf(service().screening(ownerB(), s->id)), errorCodeName(ErrorCode::NotFound));
        QCOMPARE(codeOf(service().screening(keyActor(m_firmB, {u"aml:read"_s}), s->id)), errorCodeName(ErrorCode::NotFound));
        QCOMPARE(codeOf(service().resolve(ownerB(), s->id, matchId, u"false_positive"_s, u"probing"_s)),
                 errorCodeName(ErrorCode::NotFound));
        // The match of firm A under a screening of firm B is not found either.
        auto own = service().screen(ownerB(), person(m_listed[2].name));
        QVERIFY2(own, qPrintable(why(own)));
        QCOMPARE(codeOf(service().resolve(ownerB(), own->id, matchId, u"false_positive"_s, u"probing"_s)),
                 errorCodeName(ErrorCode::NotFound));
        auto stillOpen = service().screening(analyst(), s->id);
        QVERIFY(stillOpen);
        QVERIFY(stillOpen->matches.first().resolution.isEmpty());

        auto listB = service().screenings(ownerB(), {}, {1, 100});
        QVERIFY2(listB, qPrintable(why(listB)));
        QCOMPARE(listB->total, count(u"SELECT COUNT(*) FROM screenings WHERE firm_id = ?"_s, {m_firmB}));
        for (const auto &x : listB->items)
            QVERIFY(x.id != s->id);
    }

    void listAndFilter()
    {
        auto all = service().screenings(analyst(), {}, {1, 100});
        QVERIFY2(all, qPrintable(why(all)));
        QCOMPARE(all->total, count(u"SELECT COUNT(*) FROM screenings WHERE firm_id = ?"_s, {m_firmA}));
        QVERIFY(all->total >= 10);
        for (const QString &status : {u"clear"_s, u"potential_match"_s, u"confirmed_match"_s, u"false_positive"_s}) {
            ScreeningFilter f;
            f.status = status;
            auto page = service().screenings(analyst(), f, {1, 100});
            QVERIFY2(page, qPrintable(why(page)));
            QCOMPARE(page->total,
                     count(u"SELECT COUNT(*) FROM screenings WHERE firm_id = ? AND status = ?"_s, {m_firmA, status}));
            QVERIFY2(page->total > 0, qPrintable(status));
            for (const auto &s : page->items)
                QCOMPARE(s.status, status);
        }
        auto paged = service().screenings(analyst(), {}, {2, 3});
        QVERIFY(paged);
        QCOMPARE(paged->items.size(), 3);
        QCOMPARE(paged->total, all->total);
        QCOMPARE(paged->items.first().id, all->items.at(3).id);
    }

    // Restricting a screening to some lists must not lose that list's hits to better hits of other lists:
    // the restriction applies before the result is cut to its maximum size, not after.
    void listRestrictionKeepsThatListsHits()
    {
        test::TempBackend env;
        QVERIFY(env.ok());
        auto &svc = env.backend().screening();
        auto sdn = svc.importList(Actor::system(), ListFormat::OfacSdnCsv, {sanctionsFile(kSdnAfter)});
        QVERIFY2(sdn, qPrintable(why(sdn)));
        auto un = svc.importList(Actor::system(), ListFormat::UnXml, {sanctionsFile(kUnFile)});
        QVERIFY2(un, qPrintable(why(un)));
        auto firm = env.backend().accounts().createFirm(
            {u"Two Lists Ltd"_s, u"GB"_s, {}, u"owner@two-lists.test"_s, kPassword, u"Two Owner"_s, {}});
        QVERIFY2(firm, qPrintable(why(firm)));
        const Actor actor = userActor(firm->first.id, firm->second.id, Role::Owner);

        const QList<std::pair<QString, double>> queries = {{u"KHAN"_s, 0.5}, {u"ALI HASSAN"_s, 0.6}};
        for (const auto &[name, threshold] : queries) {
            // What the UN list alone holds at this threshold, straight from the serving index.
            Query q;
            q.name = name;
            q.type = EntityType::Person;
            q.threshold = threshold;
            QStringList unHits;
            for (const auto &m : svc.matcher()->screen(q, -1)) {
                if (m.entity->source == u"un"_s)
                    unHits << m.entity->id;
            }
            QVERIFY2(!unHits.isEmpty(), qPrintable(name));

            ScreenInput in = person(name);
            in.lists = {u"un"_s};
            in.threshold = threshold;
            auto s = svc.screen(actor, in);
            QVERIFY2(s, qPrintable(why(s)));
            for (const auto &m : s->matches)
                QCOMPARE(m.listSource, u"un"_s);
            const QString context = u"%1 at %2 on [un]: %3 of the %4 UN entities at or above the threshold returned"_s.arg(name)
                                        .arg(threshold)
                                        .arg(s->matches.size())
                                        .arg(unHits.size());
            QVERIFY2(s->status != u"clear"_s, qPrintable(context));
            // At least every UN hit the unrestricted index returns: the restriction applies before the index's
            // cut to its best candidates, so it can find UN entries that other lists' names crowd out there.
            QVERIFY2(s->matches.size() >= std::min<qsizetype>(50, unHits.size()), qPrintable(context));
            if (unHits.size() < 50) {
                for (const auto &id : unHits)
                    QVERIFY2(findMatch(*s, id), qPrintable(context + u"; "_s + id + u" missing"_s));
            }
            QVERIFY2(findMatch(*s, unHits.first()),
                     qPrintable(context + u"; the best one, "_s + unHits.first() + u", missing"_s));
        }
    }

    // The firm's screening_lists setting (categories and/or sources) chooses the lists of a screening that names
    // none; the screening records the versions it used.
    void firmListsApply()
    {
        test::TempBackend env;
        QVERIFY(env.ok());
        auto &svc = env.backend().screening();
        auto un = svc.importList(Actor::system(), ListFormat::UnXml, {sanctionsFile(kUnFile)});
        QVERIFY2(un, qPrintable(why(un)));
        auto pep
            = svc.importList(Actor::system(), u"tabular"_s,
                             {test::sharedDir() + u"/data/pep/us_congress_legislators/executive.yaml"_s}, u"pep_us_executive"_s);
        QVERIFY2(pep, qPrintable(why(pep)));
        QCOMPARE(pep->format, u"tabular"_s);
        QCOMPARE(pep->entityCount, 80);
        auto firm = env.backend().accounts().createFirm(
            {u"Lists Setting Ltd"_s, u"GB"_s, {}, u"owner@lists-setting.test"_s, kPassword, u"Owner"_s, {}});
        QVERIFY2(firm, qPrintable(why(firm)));
        const Actor owner = userActor(firm->first.id, firm->second.id, Role::Owner);
        auto sources = [](const Screening &s) {
            QStringList out;
            for (const auto &m : s.matches)
                out << m.listSource;
            out.removeDuplicates();
            return out;
        };
        auto usedLists = [](const Screening &s) {
            QStringList out;
            for (const auto &l : s.lists)
                out << l.toObject().value(u"source"_s).toString();
            return out;
        };
        // Default (sanctions, pep, adverse_media): both lists.
        auto both = svc.screen(owner, person(u"Abraham Lincoln"_s));
        QVERIFY2(both, qPrintable(why(both)));
        QCOMPARE(sources(*both), QStringList{u"pep_us_executive"_s});
        QCOMPARE(usedLists(*both), (QStringList{u"pep_us_executive"_s, u"un"_s}));
        QCOMPARE(both->matches.first().category, u"pep"_s);

        auto set
            = env.backend().accounts().updateSettings(owner, QJsonObject{{u"screening_lists"_s, QJsonArray{u"sanctions"_s}}});
        QVERIFY2(set, qPrintable(why(set)));
        auto sanctionsOnly = svc.screen(owner, person(u"Abraham Lincoln"_s));
        QVERIFY2(sanctionsOnly, qPrintable(why(sanctionsOnly)));
        QCOMPARE(sanctionsOnly->status, u"clear"_s);
        QCOMPARE(usedLists(*sanctionsOnly), QStringList{u"un"_s});
        auto badege = svc.screen(owner, person(u"ERIC BADEGE"_s));
        QVERIFY2(badege, qPrintable(why(badege)));
        QCOMPARE(sources(*badege), QStringList{u"un"_s});

        set = env.backend().accounts().updateSettings(owner, QJsonObject{{u"screening_lists"_s, QJsonArray{u"pep"_s}}});
        QVERIFY2(set, qPrintable(why(set)));
        auto pepOnly = svc.screen(owner, person(u"ERIC BADEGE"_s));
        QVERIFY2(pepOnly, qPrintable(why(pepOnly)));
        QCOMPARE(pepOnly->status, u"clear"_s);
        QCOMPARE(usedLists(*pepOnly), QStringList{u"pep_us_executive"_s});
        // A request naming lists overrides the setting.
        ScreenInput named = person(u"ERIC BADEGE"_s);
        named.lists = {u"un"_s};
        auto explicitUn = svc.screen(owner, named);
        QVERIFY2(explicitUn, qPrintable(why(explicitUn)));
        QCOMPARE(sources(*explicitUn), QStringList{u"un"_s});
        // A source named in the setting works as well as a category.
        set = env.backend().accounts().updateSettings(owner, QJsonObject{{u"screening_lists"_s, QJsonArray{u"un"_s}}});
        QVERIFY2(set, qPrintable(why(set)));
        auto bySource = svc.screen(owner, person(u"Abraham Lincoln"_s));
        QVERIFY2(bySource, qPrintable(why(bySource)));
        QCOMPARE(bySource->status, u"clear"_s);
        QCOMPARE(usedLists(*bySource), QStringList{u"un"_s});
    }

    // The firm's screening_match_threshold setting is the threshold when a screening names none.
    void firmThresholdApplies()
    {
        auto set = backend().accounts().updateSettings(ownerB(), QJsonObject{{u"screening_match_threshold"_s, 0.95}});
        QVERIFY2(set, qPrintable(why(set) + fieldMessages(set)));
        auto s = service().screen(ownerB(), person(m_listed[1].name));
        QVERIFY2(s, qPrintable(why(s)));
        QCOMPARE(s->threshold, 0.95);
        for (const auto &m : s->matches)
            QVERIFY2(m.score >= 0.95, qPrintable(m.entityId + u" "_s + QString::number(m.score)));
        ScreenInput explicitOne = person(m_listed[1].name);
        explicitOne.threshold = 0.6;
        auto e = service().screen(ownerB(), explicitOne);
        QVERIFY2(e, qPrintable(why(e)));
        QCOMPARE(e->threshold, 0.6);
        QVERIFY(e->matches.size() >= s->matches.size());
        // Firm A keeps the default.
        auto a = service().screen(analyst(), person(u"Thaddeus Quillfeather Brumblewick"_s));
        QVERIFY(a);
        QCOMPARE(a->threshold, Matcher::defaultThreshold());
    }

    // The remembered false positive holds "until that list entity changes": a new list version in which
    // the entity reads differently brings the hit back for the same subject.
    void suppressionEndsWhenEntityChanges()
    {
        const Listed &who = m_listed[0];
        const QString entityId = u"un:"_s + who.reference;
        auto quiet = service().screen(analyst(), person(who.name));
        QVERIFY2(quiet, qPrintable(why(quiet)));
        QCOMPARE(quiet->suppressed, 1);
        QCOMPARE(quiet->status, u"clear"_s);
        // A new version in which the entity is the same keeps the hit quiet.
        auto same = service().importList(Actor::system(), ListFormat::UnXml, {sanctionsFile(kUnFile)});
        QVERIFY2(same, qPrintable(why(same)));
        ++m_imports;
        QCOMPARE(same->changed, 0);
        auto stillQuiet = service().screen(analyst(), person(who.name));
        QVERIFY2(stillQuiet, qPrintable(why(stillQuiet)));
        QCOMPARE(stillQuiet->suppressed, 1);
        QCOMPARE(stillQuiet->status, u"clear"_s);

        QFile original(sanctionsFile(kUnFile));
        QVERIFY(original.open(QIODevice::ReadOnly));
        QByteArray xml = original.readAll();
        const QByteArray comment = "He fled to Rwanda in March 2013";
        QCOMPARE(xml.count(comment), 1); // CDi.001's COMMENTS1
        xml.replace(comment, QByteArray(comment + " (remark amended by the list)"));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString changedFile = dir.filePath(u"UN_consolidated.xml"_s);
        {
            QFile out(changedFile);
            QVERIFY(out.open(QIODevice::WriteOnly));
            QCOMPARE(out.write(xml), xml.size());
        }
        m_env->clock().advanceMs(24LL * 3600 * 1000);
        auto v = service().importList(Actor::system(), ListFormat::UnXml, {changedFile});
        QVERIFY2(v, qPrintable(why(v)));
        ++m_imports;
        QCOMPARE(v->entityCount, 1003);
        QCOMPARE(v->added, 0);
        QCOMPARE(v->changed, 1);
        QCOMPARE(v->removed, 0);
        m_un = *v;

        auto back = service().screen(analyst(), person(who.name));
        QVERIFY2(back, qPrintable(why(back)));
        QCOMPARE(back->suppressed, 0);
        const StoredMatch *m = findMatch(*back, entityId);
        QVERIFY2(m, qPrintable(entityIds(*back).join(u", "_s)));
        QCOMPARE(m->listVersionId, v->id);
        QCOMPARE(back->status, u"potential_match"_s);
        // Resolving it again as a false positive silences it for the new content.
        auto resolved = service().resolve(analyst(), back->id, m->id, u"false_positive"_s, u"Still not our customer"_s);
        QVERIFY2(resolved, qPrintable(why(resolved)));
        QCOMPARE(resolved->status, u"false_positive"_s);
        auto quietAgain = service().screen(analyst(), person(who.name));
        QVERIFY2(quietAgain, qPrintable(why(quietAgain)));
        QCOMPARE(quietAgain->suppressed, 1);
        QCOMPARE(quietAgain->status, u"clear"_s);
    }

    void auditTrail()
    {
        QVERIFY(events(m_firmA, u"screening.created"_s).size() >= 10);
        QVERIFY(!events(m_firmB, u"screening.created"_s).isEmpty());
        QCOMPARE(events(m_firmA, u"screening.match_resolved"_s).size(), 3);
        const auto imported = events(QString(), u"list.imported"_s);
        QCOMPARE(imported.size(), m_imports);
        for (const auto &e : imported) {
            QCOMPARE(e.entityType, u"list_version"_s);
            QCOMPARE(e.details.value(u"source"_s).toString(), u"un"_s);
            QCOMPARE(e.details.value(u"format"_s).toString(), u"un_xml"_s);
        }
        const auto latest = events(QString(), u"list.imported"_s, m_un.id);
        QCOMPARE(latest.size(), 1);
        QCOMPARE(latest.first().details.value(u"sha256"_s).toString(), m_un.sha256);
        QCOMPARE(latest.first().details.value(u"changed"_s).toInteger(), 1);
        auto verified = backend().audit().verifyAll();
        QVERIFY2(verified, qPrintable(why(verified)));
        QVERIFY(verified->size() >= 3); // the platform chain and both firms'
        for (const auto &r : *verified)
            QVERIFY2(r.valid, qPrintable(r.chain + u": "_s + r.reason));
    }
};

QTEST_GUILESS_MAIN(TestScreeningService)
#include "tst_screening_service.moc"
