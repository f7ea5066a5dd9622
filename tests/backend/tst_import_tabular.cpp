// The declarative tabular importer (importTabular) on the real PEP and adverse-media files of
// ../shared/data/pep and ../shared/data/adverse: every shipped mapping imports its default files with the
// counts PROVENANCE.md states (after the merges the mappings document), spot checks of records read off the
// raw files, the YAML subset reader, date forms, and the error paths (unknown mapping, wrong or binary
// files, malformed rows, unparsable dates) on small files written to a temporary directory.
#include "backend/screening/import_tabular.h"
#include "backend/screening/tabularmapping.h"
#include "backend/screening/yamlsubset.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

using namespace kyc;
using namespace kyc::screening;

namespace {

QString sharedData(const QString &relative)
{
    return QStringLiteral(KYC_SHARED_DIR) + QStringLiteral("/data/") + relative;
}

QStringList defaultPaths(const QString &sourceId)
{
    QStringList out;
    const auto source = tabularSource(sourceId);
    if (source) {
        for (const QString &f : source->defaultFiles)
            out.append(sharedData(f));
    }
    return out;
}

// Each source is imported once and shared by the count test and the spot checks.
const ImportResult &imported(const QString &sourceId)
{
    static QHash<QString, ImportResult> cache;
    if (!cache.contains(sourceId)) {
        auto r = importTabular(sourceId, defaultPaths(sourceId));
        if (!r)
            qWarning("%s: %s", qPrintable(sourceId), qPrintable(r.error().message));
        cache.insert(sourceId, r ? *r : ImportResult{});
    }
    return cache[sourceId];
}

const Entity *byId(const ImportResult &r, const QString &id)
{
    for (const Entity &e : r.entities) {
        if (e.id == id)
            return &e;
    }
    return nullptr;
}

const Entity *byName(const ImportResult &r, const QString &name)
{
    for (const Entity &e : r.entities) {
        for (const Name &n : e.names) {
            if (n.full == name)
                return &e;
        }
    }
    return nullptr;
}

const Name *findName(const Entity &e, const QString &name)
{
    for (const Name &n : e.names) {
        if (n.full == name)
            return &n;
    }
    return nullptr;
}

bool hasBirthDate(const Entity &e, int year, int month = 0, int day = 0)
{
    for (const BirthDate &d : e.birthDates) {
        if (d.year == year && d.month == month && d.day == day)
            return true;
    }
    return false;
}

bool hasIdentifier(const Entity &e, const QString &kind, const QString &value, const QString &country = {})
{
    for (const Identifier &i : e.identifiers) {
        if (i.kind == kind && i.value == value && (country.isEmpty() || i.country == country))
            return true;
    }
    return false;
}

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write(bytes);
    return path;
}

// A mapping of its own for the small-file tests, through the same parser as the shipped ones.
Result<detail::TabularMappingSet> testMapping(const QByteArray &json)
{
    return detail::TabularMappingSet::fromJson(QJsonDocument::fromJson(json).object());
}

QJsonValue yaml(const QString &text, QList<qint64> *lines = nullptr)
{
    auto r = detail::parseYamlSubset(text, lines);
    return r ? *r : QJsonValue(QStringLiteral("ERROR: ") + r.error().message);
}

} // namespace

class TestImportTabular final : public QObject
{
    Q_OBJECT

private slots:
    void yamlSubset_data();
    void yamlSubset();
    void yamlErrors_data();
    void yamlErrors();
    void yamlRealFiles();
    void dateForms_data();
    void dateForms();
    void mojibakeRepair();
    void mappingsAreShipped();
    void mappingErrors_data();
    void mappingErrors();
    void realSources_data();
    void realSources();
    void usCongress();
    void nigeria();
    void ukraineRussiaIsrael();
    void ukMps();
    void ruPep();
    void interpol();
    void debarment();
    void malaysiaAndNavalny();
    void unknownMappingIsAnError();
    void wrongFilesAreErrors_data();
    void wrongFilesAreErrors();
    void bomAndMultilineCsv();
    void unparsableDateIsAProblem();
    void malformedRowsAreReported();
    void progressReachesTotal();
};

// --- YAML subset ---------------------------------------------------------------------------------

void TestImportTabular::yamlSubset_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("json");

    QTest::newRow("scalar map") << QStringLiteral("a: 1\nb: two words\nc:\n")
                                << QByteArray(R"({"a":"1","b":"two words","c":null})");
    QTest::newRow("nested") << QStringLiteral("name:\n  first: Maria\n  last: Cantwell\nbio:\n  gender: F\n")
                            << QByteArray(R"({"bio":{"gender":"F"},"name":{"first":"Maria","last":"Cantwell"}})");
    QTest::newRow("sequence of mappings") << QStringLiteral("- id: 1\n  x: a\n- id: 2\n  x: b\n")
                                          << QByteArray(R"([{"id":"1","x":"a"},{"id":"2","x":"b"}])");
    QTest::newRow("indentless sequence") << QStringLiteral("terms:\n- type: rep\n  start: '1993'\n- type: sen\nafter: 1\n")
                                         << QByteArray(R"({"after":"1","terms":[{"start":"1993","type":"rep"},{"type":"sen"}]})");
    QTest::newRow("indented list") << QStringLiteral("fec:\n    - S8WA00194\n    - H2WA01054\n")
                                   << QByteArray(R"({"fec":["S8WA00194","H2WA01054"]})");
    QTest::newRow("quotes") << QStringLiteral(
        "a: '00172'\nb: 'it''s'\nc: \"say \\\"hi\\\"\\t\\u00e9\"\nd: Eric A. \"Rick\" Crawford\n")
                            << QByteArray(R"({"a":"00172","b":"it's","c":"say \"hi\"\t\u00e9","d":"Eric A. \"Rick\" Crawford"})");
    QTest::newRow("quoted key, colon in value")
        << QStringLiteral("\"a b\": x\nurl: http://a.b/c?d=1&e=2\n") << QByteArray(R"({"a b":"x","url":"http://a.b/c?d=1&e=2"})");
    QTest::newRow("comments and document start") << QStringLiteral("# head\n---\na: 1 # note\n# inner\nb: 'x # y'\nc: a#b\n...\n")
                                                 << QByteArray(R"({"a":"1","b":"x # y","c":"a#b"})");
    QTest::newRow("null and booleans") << QStringLiteral("a: ~\nb: null\nc: true\nd: False\ne: 'true'\n")
                                       << QByteArray(R"({"a":null,"b":null,"c":true,"d":false,"e":"true"})");
    QTest::newRow("flow collections") << QStringLiteral("a: [x, 'y z', \"w\"]\nb: {}\nc: []\nd: {k: v, n: [1, 2]}\n")
                                      << QByteArray(R"({"a":["x","y z","w"],"b":{},"c":[],"d":{"k":"v","n":["1","2"]}})");
    QTest::newRow("multi-line plain") << QStringLiteral("a: one\n  two\n  three\nb: x\n")
                                      << QByteArray(R"({"a":"one two three","b":"x"})");
    QTest::newRow("multi-line quoted") << QStringLiteral("a: \"one\n  two\n\n  three\"\nb: x\n")
                                       << QByteArray(R"({"a":"one two\nthree","b":"x"})");
    QTest::newRow("literal block") << QStringLiteral("a: |\n  line 1\n    indented\n  line 3\nb: x\n")
                                   << QByteArray(R"({"a":"line 1\n  indented\nline 3\n","b":"x"})");
    QTest::newRow("folded block strip") << QStringLiteral("a: >-\n  one\n  two\n\n  three\n\nb: x\n")
                                        << QByteArray(R"({"a":"one two\nthree","b":"x"})");
    QTest::newRow("nested sequences") << QStringLiteral("- - a\n  - b\n- - c\n") << QByteArray(R"([["a","b"],["c"]])");
    QTest::newRow("item with extra spaces") << QStringLiteral("-   a: 1\n    b: 2\n") << QByteArray(R"([{"a":"1","b":"2"}])");
    QTest::newRow("empty document") << QStringLiteral("# nothing\n") << QByteArray("null");
    QTest::newRow("CRLF") << QStringLiteral("a: 1\r\nb:\r\n  - x\r\n") << QByteArray(R"({"a":"1","b":["x"]})");
}

void TestImportTabular::yamlSubset()
{
    QFETCH(QString, text);
    QFETCH(QByteArray, json);
    const QJsonValue got = yaml(text);
    QJsonDocument expectedDoc = QJsonDocument::fromJson("[" + json + "]");
    QVERIFY2(!expectedDoc.isNull(), json.constData());
    const QJsonValue expected = expectedDoc.array().first();
    QVERIFY2(got == expected,
             qPrintable(QString::fromUtf8(QJsonDocument(QJsonArray{got}).toJson(QJsonDocument::Compact)) + QStringLiteral(" != ")
                        + QString::fromUtf8(json)));
}

void TestImportTabular::yamlErrors_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("line");

    QTest::newRow("anchor") << QStringLiteral("a: &x 1\nb: *x\n") << QStringLiteral("line 1:");
    QTest::newRow("tag") << QStringLiteral("a: 1\nb: !!str 2\n") << QStringLiteral("line 2:");
    QTest::newRow("bad indentation") << QStringLiteral("a:\n  b: 1\n c: 2\n") << QStringLiteral("line 3:");
    QTest::newRow("tab indentation") << QStringLiteral("a:\n\tb: 1\n") << QStringLiteral("line 2:");
    QTest::newRow("duplicate key") << QStringLiteral("a: 1\na: 2\n") << QStringLiteral("line 2:");
    QTest::newRow("unterminated quote") << QStringLiteral("a: 'open\nb: 2\n") << QStringLiteral("line 1:");
    QTest::newRow("two documents") << QStringLiteral("a: 1\n---\nb: 2\n") << QStringLiteral("line 2:");
    QTest::newRow("item in a mapping") << QStringLiteral("a: 1\n- b\n") << QStringLiteral("line 2:");
}

void TestImportTabular::yamlErrors()
{
    QFETCH(QString, text);
    QFETCH(QString, line);
    auto r = detail::parseYamlSubset(text);
    QVERIFY(!r);
    QCOMPARE(r.error().code, ErrorCode::Validation);
    QVERIFY2(r.error().message.startsWith(line), qPrintable(r.error().message));
}

void TestImportTabular::yamlRealFiles()
{
    QFile f(sharedData(QStringLiteral("pep/il_knesset_persons/manifest.yaml")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonValue manifest = yaml(QString::fromUtf8(f.readAll()));
    QCOMPARE(manifest[u"table"][u"name"].toString(), QStringLiteral("KNS_Person"));
    QCOMPARE(manifest[u"table"][u"description"].toString(), QStringLiteral("חברי כנסת, שרים ובעלי תפקידים"));
    QCOMPARE(manifest[u"schema"][u"fields"][0][u"name"].toString(), QStringLiteral("Id"));
    QCOMPARE(manifest[u"schema"][u"fields"][0][u"nullable"].toBool(true), false);

    QFile c(sharedData(QStringLiteral("pep/us_congress_legislators/legislators-current.yaml")));
    QVERIFY(c.open(QIODevice::ReadOnly));
    QList<qint64> lines;
    const QJsonValue congress = yaml(QString::fromUtf8(c.readAll()), &lines);
    QVERIFY(congress.isArray());
    QCOMPARE(congress.toArray().size(), 537);
    QCOMPARE(lines.size(), 537);
    QCOMPARE(lines.first(), 1);
    const QJsonValue cantwell = congress[0];
    QCOMPARE(cantwell[u"id"][u"thomas"].toString(), QStringLiteral("00172"));
    QCOMPARE(cantwell[u"id"][u"fec"].toArray().size(), 2);
    QCOMPARE(cantwell[u"terms"].toArray().size(), 6);
    QCOMPARE(cantwell[u"terms"][0][u"district"].toString(), QStringLiteral("1"));
}

// --- dates and text ------------------------------------------------------------------------------

void TestImportTabular::dateForms_data()
{
    QTest::addColumn<QString>("form");
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("year");
    QTest::addColumn<int>("month");
    QTest::addColumn<int>("day");

    const int date = int(detail::DateParse::Date), noYear = int(detail::DateParse::NoYear),
              bad = int(detail::DateParse::Unparsable);
    QTest::newRow("ISO") << "ISO"
                         << "1958-10-13" << date << 1958 << 10 << 13;
    QTest::newRow("ISO date-time") << "ISO"
                                   << "2024-07-01T12:00:59Z" << date << 2024 << 7 << 1;
    QTest::newRow("ISO year") << "ISO"
                              << "1952" << date << 1952 << 0 << 0;
    QTest::newRow("ISO 18th century") << "ISO"
                                      << "1732-02-22" << date << 1732 << 2 << 22;
    QTest::newRow("ISO invalid day") << "ISO"
                                     << "2023-02-30" << bad << 0 << 0 << 0;
    QTest::newRow("DD.MM.YYYY") << "DD.MM.YYYY"
                                << "05.01.1968" << date << 1968 << 1 << 5;
    QTest::newRow("D.M.YYYY") << "D.M.YYYY"
                              << "8.03.1947" << date << 1947 << 3 << 8;
    QTest::newRow("MM.YYYY") << "MM.YYYY"
                             << "09.1961" << date << 1961 << 9 << 0;
    QTest::newRow("DD.MM no year") << "DD.MM"
                                   << "18.02" << noYear << 0 << 2 << 18;
    QTest::newRow("M/D/YYYY") << "M/D/YYYY"
                              << "3/1/1955" << date << 1955 << 3 << 1;
    QTest::newRow("M/D/YYYY not D/M") << "M/D/YYYY"
                                      << "28/10/1972" << bad << 0 << 0 << 0;
    QTest::newRow("YYYY/MM/DD") << "YYYY/MM/DD"
                                << "1999/01/23" << date << 1999 << 1 << 23;
    QTest::newRow("Mon DD, YYYY") << "Mon DD, YYYY"
                                  << "Jul 03, 2024" << date << 2024 << 7 << 3;
    QTest::newRow("Mon DD, YYYY long") << "Mon DD, YYYY"
                                       << "September 9, 2021" << date << 2021 << 9 << 9;
    QTest::newRow("not a month") << "Mon DD, YYYY"
                                 << "Foo 03, 2024" << bad << 0 << 0 << 0;
    QTest::newRow("text") << "DD.MM.YYYY"
                          << "16.12.YYYY" << bad << 0 << 0 << 0;
}

void TestImportTabular::dateForms()
{
    QFETCH(QString, form);
    QFETCH(QString, text);
    QFETCH(int, kind);
    QFETCH(int, year);
    QFETCH(int, month);
    QFETCH(int, day);
    auto set = testMapping(
        QByteArray(R"({"id":"tst","category":"pep","format":"csv","names":"n","birthDates":{"field":"d","formats":[")")
        + form.toUtf8() + "\"]}}");
    QVERIFY2(set, qPrintable(set ? QString() : set.error().message));
    const detail::ParsedDate d = detail::parseDateForms(text, set->base().birthDates.first().forms);
    QCOMPARE(int(d.kind), kind);
    if (d.kind != detail::DateParse::Unparsable) {
        QCOMPARE(d.date.year, year);
        QCOMPARE(d.date.month, month);
        QCOMPARE(d.date.day, day);
    }
}

void TestImportTabular::mojibakeRepair()
{
    // UTF-8 read as Windows-1252, as in Shine Your Eye's other_names.
    const QString arabic = QStringLiteral("سليمان محمد نظيف");
    const QString garbled = QString::fromLatin1(arabic.toUtf8()); // Latin-1 stands in for the C1 bytes
    QCOMPARE(detail::repairMojibake(garbled), arabic);
    QCOMPARE(detail::repairMojibake(QStringLiteral("Ã‰cole")), QStringLiteral("École")); // 0x89 via Windows-1252 ‰
    QCOMPARE(detail::repairMojibake(QStringLiteral("Ñandú")), QStringLiteral("Ñandú")); // valid Latin-1 text stays
    QCOMPARE(detail::repairMojibake(QStringLiteral("Кирилл")), QStringLiteral("Кирилл"));
}

// --- mappings ------------------------------------------------------------------------------------

void TestImportTabular::mappingsAreShipped()
{
    const QStringList ids = detail::tabularMappingIds();
    QCOMPARE(ids.size(), 16);
    const QList<TabularSource> sources = tabularSources();
    QCOMPARE(sources.size(), ids.size()); // every resource is a valid mapping
    for (const TabularSource &s : sources) {
        QVERIFY2(s.category == u"pep" || s.category == u"adverse", qPrintable(s.id));
        QVERIFY2(s.id.startsWith(s.category == u"pep" ? u"pep_" : u"adv_"), qPrintable(s.id));
        QVERIFY2(!s.title.isEmpty(), qPrintable(s.id));
        QVERIFY2(!s.defaultFiles.isEmpty(), qPrintable(s.id));
        for (const QString &f : s.defaultFiles) {
            QVERIFY2(f.startsWith(s.category + u'/'), qPrintable(f));
            QVERIFY2(QFile::exists(sharedData(f)), qPrintable(f));
        }
    }
    QVERIFY(tabularSource(QStringLiteral("pep_gb_mps")).has_value());
    QCOMPARE(tabularSource(QStringLiteral("pep_gb_mps"))->category, QStringLiteral("pep"));
    QVERIFY(!tabularSource(QStringLiteral("nope")).has_value());
}

void TestImportTabular::mappingErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("message");

    QTest::newRow("unknown key") << QByteArray(R"({"id":"tst","category":"pep","format":"csv","names":"n","nmaes":"x"})")
                                 << QStringLiteral("unknown key \"nmaes\"");
    QTest::newRow("no names") << QByteArray(R"({"id":"tst","category":"pep","format":"csv"})") << QStringLiteral("needs names");
    QTest::newRow("bad format") << QByteArray(R"({"id":"tst","category":"pep","format":"xlsx","names":"n"})")
                                << QStringLiteral("format must be");
    QTest::newRow("bad category") << QByteArray(R"({"id":"tst","category":"sanction","format":"csv","names":"n"})")
                                  << QStringLiteral("category");
    QTest::newRow("bad regex") << QByteArray(R"({"id":"tst","category":"pep","format":"csv","names":{"field":"n","match":"("}})")
                               << QStringLiteral("bad regular expression");
    QTest::newRow("bad date form") << QByteArray(
        R"({"id":"tst","category":"pep","format":"csv","names":"n","birthDates":{"field":"d","formats":["DD"]}})")
                                   << QStringLiteral("bad date form");
    QTest::newRow("bad type") << QByteArray(R"({"id":"tst","category":"pep","format":"csv","names":"n","type":"robot"})")
                              << QStringLiteral("unknown entity type");
    QTest::newRow("unknown value key") << QByteArray(
        R"({"id":"tst","category":"pep","format":"csv","names":{"field":"n","spilt":";"}})")
                                       << QStringLiteral("unknown key \"spilt\"");
    QTest::newRow("file changes id") << QByteArray(
        R"({"id":"tst","category":"pep","format":"csv","names":"n","files":[{"match":"*","set":{"id":"uu"}}]})")
                                     << QStringLiteral("cannot change");
}

void TestImportTabular::mappingErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, message);
    auto set = testMapping(json);
    QVERIFY(!set);
    QCOMPARE(set.error().code, ErrorCode::Validation);
    QVERIFY2(set.error().message.contains(message), qPrintable(set.error().message));
}

// --- the real files ------------------------------------------------------------------------------

void TestImportTabular::realSources_data()
{
    QTest::addColumn<QString>("source");
    QTest::addColumn<int>("entities");
    QTest::addColumn<int>("problems");

    // PROVENANCE.md counts; where rows of one person merge, the mapping says so and the count follows.
    QTest::newRow("pep_us_congress") << "pep_us_congress" << 537 << 0;
    QTest::newRow("pep_us_executive") << "pep_us_executive" << 80 << 0;
    QTest::newRow("pep_ng_nass") << "pep_ng_nass" << 105 + 360 << 0;
    QTest::newRow("pep_ng_governors") << "pep_ng_governors" << 36 << 0;
    // 505 + 478 mandates; 198 deputies sat in both convocations.
    QTest::newRow("pep_ua_rada") << "pep_ua_rada" << 505 + 478 - 198 << 0;
    QTest::newRow("pep_ru_mayors") << "pep_ru_mayors" << 67 << 0;
    QTest::newRow("pep_gb_mps") << "pep_gb_mps" << 653 << 0;
    QTest::newRow("pep_il_knesset") << "pep_il_knesset" << 847 + 43 + 60 + 234 << 0;
    // 14,825 rows; 6 are a second row of a person (same English name and full birth date), 2 of them exact copies.
    // Two birth dates are typos the importer reports ("12.01.2984", "16.07.2957").
    QTest::newRow("pep_ru_rupep") << "pep_ru_rupep" << 14825 - 6 << 2;
    QTest::newRow("adv_interpol_red") << "adv_interpol_red" << 6561 << 0;
    // 204 notice objects, 18 of them repeated.
    QTest::newRow("adv_interpol_api") << "adv_interpol_api" << 204 - 18 << 0;
    QTest::newRow("adv_worldbank_debarred") << "adv_worldbank_debarred" << 1285 << 0;
    QTest::newRow("adv_iadb_sanctioned") << "adv_iadb_sanctioned" << 1081 << 0;
    QTest::newRow("adv_ebrd_ineligible") << "adv_ebrd_ineligible" << 1322 << 0;
    QTest::newRow("adv_my_fcal") << "adv_my_fcal" << 509 << 0;
    // 6,694 rows; seven people are listed twice (two roles, same name and birth date). After the mapping's
    // clean-ups ("24 .08.1973", "1963 ()", "24.04/1985", month-first "11.27.1963") seven birth dates are in no
    // form: "8 марта 1959", "9 августа 1976", "16.12.YYYY", "05.11.YYYY", "23.05.197", "28.07.1953 - 29.03.2020",
    // "15.05.1960 (07.07.1977)".
    QTest::newRow("adv_ru_navalny") << "adv_ru_navalny" << 6694 - 7 << 7;
}

void TestImportTabular::realSources()
{
    QFETCH(QString, source);
    QFETCH(int, entities);
    QFETCH(int, problems);
    const ImportResult &r = imported(source);
    for (const ImportProblem &p : r.problems) {
        if (problems != r.problems.size())
            qWarning("%s line %lld: %s", qPrintable(source), p.line, qPrintable(p.message));
        QVERIFY2(p.line > 1, qPrintable(p.message));
    }
    QCOMPARE(r.entities.size(), entities);
    QCOMPARE(r.problems.size(), problems);

    const auto mapping = detail::loadTabularMapping(source);
    QVERIFY(mapping);
    const bool pep = mapping->base().category == u"pep";
    QSet<QString> ids;
    qint64 names = 0;
    for (const Entity &e : r.entities) {
        QVERIFY2(e.id.startsWith(source + u':') && e.id.size() > source.size() + 1, qPrintable(e.id));
        QCOMPARE(e.source, source);
        QVERIFY2(!ids.contains(e.id), qPrintable(QStringLiteral("duplicate id ") + e.id));
        ids.insert(e.id);
        QVERIFY2(!e.names.isEmpty() && e.names.first().primary, qPrintable(e.id));
        for (qsizetype i = 1; i < e.names.size(); ++i)
            QVERIFY2(!e.names[i].primary, qPrintable(e.id));
        for (const QString &c : e.countries)
            QVERIFY2(c.size() == 2 && c == c.toUpper(), qPrintable(e.id + u' ' + c));
        for (const BirthDate &d : e.birthDates)
            QVERIFY2(d.isValid(), qPrintable(e.id));
        QVERIFY2(!e.topics.isEmpty(), qPrintable(e.id));
        for (const QString &t : e.topics) {
            if (pep)
                QVERIFY2(t == u"role.pep" || t == u"role.rca", qPrintable(e.id + u' ' + t));
            else
                QVERIFY2(!t.startsWith(u"role.") && t != u"sanction", qPrintable(e.id + u' ' + t));
        }
        // Every country a mapping meets is recognised (no "Country: …" remark left behind).
        QVERIFY2(!e.remarks.contains(QStringLiteral("Country: ")) && !e.remarks.contains(QStringLiteral("Nationality: ")),
                 qPrintable(e.id + u' ' + e.remarks));
        names += e.names.size();
    }
    QCOMPARE(r.nameCount, names);
}

void TestImportTabular::usCongress()
{
    const ImportResult &r = imported(QStringLiteral("pep_us_congress"));
    const Entity *e = byId(r, QStringLiteral("pep_us_congress:C000127"));
    QVERIFY(e);
    QCOMPARE(e->primaryName(), QStringLiteral("Maria Cantwell"));
    QCOMPARE(e->type, EntityType::Person);
    QVERIFY(hasBirthDate(*e, 1958, 10, 13));
    QCOMPARE(e->gender, QStringLiteral("female"));
    QCOMPARE(e->countries, QStringList{QStringLiteral("US")});
    QVERIFY(hasIdentifier(*e, QStringLiteral("wikidata"), QStringLiteral("Q22250")));
    QCOMPARE(e->programs, QStringList{QStringLiteral("US Senate")});
    QVERIFY(e->remarks.contains(QStringLiteral("Position: Senator (WA)")));
    QVERIFY(e->remarks.contains(QStringLiteral("Party: Democrat")));
    QCOMPARE(e->topics, QStringList{QStringLiteral("role.pep")});
    const Entity *crawford = byId(r, QStringLiteral("pep_us_congress:C001087"));
    QVERIFY(crawford);
    QCOMPARE(crawford->primaryName(), QStringLiteral("Eric A. \"Rick\" Crawford"));
    QVERIFY(findName(*crawford, QStringLiteral("Rick Crawford"))); // nickname + last name
    QVERIFY(findName(*crawford, QStringLiteral("Eric Crawford")));
    int senators = 0;
    for (const Entity &x : r.entities)
        senators += x.programs.contains(QStringLiteral("US Senate")) ? 1 : 0;
    QCOMPARE(senators, 100);

    const ImportResult &x = imported(QStringLiteral("pep_us_executive"));
    const Entity *washington = byId(x, QStringLiteral("pep_us_executive:411351"));
    QVERIFY(washington);
    QCOMPARE(washington->primaryName(), QStringLiteral("George Washington"));
    QVERIFY(hasBirthDate(*washington, 1732, 2, 22));
    QVERIFY(washington->remarks.contains(QStringLiteral("Position: President of the United States")));
    const Entity *adams = byName(x, QStringLiteral("John Adams"));
    QVERIFY(adams);
    QVERIFY(adams->remarks.contains(QStringLiteral("Position: Vice President of the United States")));
    QVERIFY(adams->remarks.contains(QStringLiteral("Position: President of the United States")));
    const Entity *burr = byName(x, QStringLiteral("Aaron Burr Jr."));
    QVERIFY(burr);
    for (const Entity &p : x.entities)
        QVERIFY2(!p.birthDates.isEmpty(), qPrintable(p.id)); // "every record has a birth date"
}

void TestImportTabular::nigeria()
{
    const ImportResult &r = imported(QStringLiteral("pep_ng_nass"));
    const Entity *orji = byId(r, QStringLiteral("pep_ng_nass:73f394c3-b0ae-4154-b86c-8e5b7b637df8"));
    QVERIFY(orji);
    QCOMPARE(orji->primaryName(), QStringLiteral("Theodore Ahamefule Orji"));
    QVERIFY(hasBirthDate(*orji, 1950, 11, 11)); // M/D/YYYY
    QVERIFY(findName(*orji, QStringLiteral("THEODORE AHAMEFULE ORJI")) == nullptr); // same name, other case: not repeated
    QCOMPARE(orji->programs, QStringList{QStringLiteral("Senate of Nigeria")});
    const Entity *abaribe = byName(r, QStringLiteral("Abaribe Enyinnaya Harcourt"));
    QVERIFY(abaribe);
    QVERIFY(hasBirthDate(*abaribe, 1955, 3, 1)); // 3/1/1955 is March 1st
    QVERIFY(findName(*abaribe, QStringLiteral("ABARIBE HARCOURT ENYNNAYA")));
    QVERIFY(findName(*abaribe, QStringLiteral("Enyinnaya Abaribe")));
    const Entity *makura = byName(r, QStringLiteral("Tanko Al-Makura"));
    QVERIFY(makura);
    QVERIFY(hasBirthDate(*makura, 1952)); // bare year
    // Mojibake in other_names is repaired: Arabic and Cyrillic spellings with their scripts.
    const Entity *bulkachuwa = byName(r, QStringLiteral("Mohammed Bulkachuwa"));
    QVERIFY(bulkachuwa);
    const Name *arabic = findName(*bulkachuwa, QStringLiteral("سليمان محمد نظيف"));
    QVERIFY(arabic);
    QCOMPARE(arabic->script, QStringLiteral("Arab"));
    const Entity *dogara = byName(r, QStringLiteral("Dogara Yakubu"));
    QVERIFY(dogara);
    QCOMPARE(dogara->names.size(), 2); // "???·???" in other_names is no name
    const Entity *ndume = byName(r, QStringLiteral("Ali Ndume"));
    QVERIFY(ndume && findName(*ndume, QStringLiteral("Ндуме, Мохаммед Али")));
    const Entity *rep = byId(r, QStringLiteral("pep_ng_nass:e0167e52-a98b-44db-a385-e3c5b33c2969"));
    QVERIFY(rep);
    QCOMPARE(rep->gender, QStringLiteral("male"));
    QCOMPARE(rep->programs, QStringList{QStringLiteral("House of Representatives of Nigeria")});
    int withDob = 0;
    for (const Entity &e : r.entities)
        withDob += e.birthDates.isEmpty() ? 0 : 1;
    QCOMPARE(withDob, 27 + 39);

    const ImportResult &g = imported(QStringLiteral("pep_ng_governors"));
    const Entity *ikpeazu = byId(g, QStringLiteral("pep_ng_governors:gov:victor-okezie-ikpeazu"));
    QVERIFY(ikpeazu);
    QCOMPARE(ikpeazu->primaryName(), QStringLiteral("Okezie Ikpeazu"));
    QVERIFY(findName(*ikpeazu, QStringLiteral("Dr Okezie Ikpeazu")));
    QVERIFY(hasBirthDate(*ikpeazu, 1964, 10, 18));
    QVERIFY(ikpeazu->remarks.contains(QStringLiteral("Position: Governor of Abia State")));
    withDob = 0;
    for (const Entity &e : g.entities)
        withDob += e.birthDates.isEmpty() ? 0 : 1;
    QCOMPARE(withDob, 17);
}

void TestImportTabular::ukraineRussiaIsrael()
{
    const ImportResult &rada = imported(QStringLiteral("pep_ua_rada"));
    const Entity *stoyan = byName(rada, QStringLiteral("Стоян Олександр Миколайович"));
    QVERIFY(stoyan);
    QCOMPARE(stoyan->names.first().script, QStringLiteral("Cyrl"));
    QCOMPARE(stoyan->programs.size(), 2); // both convocations, one entity
    QVERIFY(stoyan->remarks.contains(QStringLiteral("Party: Блок Віктора Ющенка «Наша Україна»")));
    QVERIFY(stoyan->remarks.contains(QStringLiteral("Party: Партія регіонів")));
    QVERIFY(stoyan->remarks.contains(QStringLiteral("Mandate: 25.05.2006 to 23.11.2007")));
    const Entity *klyuev = byName(rada, QStringLiteral("Клюєв Андрій Петрович"));
    QVERIFY(klyuev && klyuev->remarks.contains(QStringLiteral("Mandate: 25.05.2006 to 12.09.2006"))); // footnote "[п 1]" gone
    const Entity *yushchenko = byName(rada, QStringLiteral("Ющенко Віктор Андрійович"));
    QVERIFY(yushchenko);
    QCOMPARE(yushchenko->programs, QStringList{QStringLiteral("Verkhovna Rada of Ukraine, 4th convocation (2002-2006)")});
    QCOMPARE(yushchenko->countries, QStringList{QStringLiteral("UA")});

    const ImportResult &mayors = imported(QStringLiteral("pep_ru_mayors"));
    const Entity *m = byName(mayors, QStringLiteral("Олег Анатольевич Полумордвинов")); // "Полумордвинов, Олег Анатольевич"
    QVERIFY(m);
    QCOMPARE(m->names.first().full, QStringLiteral("Олег Анатольевич Полумордвинов"));
    QVERIFY(hasBirthDate(*m, 1964, 6, 19));
    QVERIFY(m->remarks.contains(QStringLiteral("Position: Mayor of Астрахань")));
    const Entity *panchin = byName(mayors, QStringLiteral("Сергей Сергеевич Панчин"));
    QVERIFY(panchin);
    QCOMPARE(panchin->id, QStringLiteral("pep_ru_mayors:Q28865156"));
    QVERIFY(hasIdentifier(*panchin, QStringLiteral("wikidata"), QStringLiteral("Q28865156")));
    for (const Entity &e : mayors.entities) {
        QVERIFY2(!e.primaryName().contains(u','), qPrintable(e.primaryName()));
        QVERIFY(!e.birthDates.isEmpty()); // all 67 have one
    }

    const ImportResult &knesset = imported(QStringLiteral("pep_il_knesset"));
    const Entity *k = byId(knesset, QStringLiteral("pep_il_knesset:48"));
    QVERIFY(k);
    QCOMPARE(k->primaryName(), QStringLiteral("ירדנה מלר-הורוביץ"));
    QCOMPARE(k->names.first().script, QStringLiteral("Hebr"));
    QCOMPARE(k->gender, QStringLiteral("female"));
    QCOMPARE(knesset.publicationDate, QStringLiteral("2026-02-22"));
    int current = 0, women = 0;
    for (const Entity &e : knesset.entities) {
        current += e.remarks.contains(QStringLiteral("In office now: yes")) ? 1 : 0;
        women += e.gender == u"female" ? 1 : 0;
    }
    QCOMPARE(current, 139);
    QCOMPARE(women, 184);
}

void TestImportTabular::ukMps()
{
    const ImportResult &r = imported(QStringLiteral("pep_gb_mps"));
    const Entity *smith = byId(r, QStringLiteral("pep_gb_mps:9490e688-6578-4a6b-9ecb-949da9611df7"));
    QVERIFY(smith);
    QCOMPARE(smith->primaryName(), QStringLiteral("Angela Smith"));
    QCOMPARE(smith->names.size(), 1);
    QVERIFY(smith->remarks.contains(QStringLiteral("Party: Labour")));
    QVERIFY(smith->remarks.contains(QStringLiteral("Party: Independent")));
    QVERIFY(smith->remarks.contains(QStringLiteral("Position: Member of Parliament for Penistone and Stocksbridge")));
    QVERIFY(hasIdentifier(*smith, QStringLiteral("wikidata"), QStringLiteral("Q390949")));
    QCOMPARE(smith->gender, QStringLiteral("female"));
    QCOMPARE(smith->countries, QStringList{QStringLiteral("GB")});
}

void TestImportTabular::ruPep()
{
    const ImportResult &r = imported(QStringLiteral("pep_ru_rupep"));
    const Entity *toms = byName(r, QStringLiteral("Sergey Rudolfovich Toms"));
    QVERIFY(toms);
    QCOMPARE(toms->primaryName(), QStringLiteral("Sergey Rudolfovich Toms"));
    const Name *ru = findName(*toms, QStringLiteral("Сергей Рудольфович Томс"));
    QVERIFY(ru && !ru->primary);
    QCOMPARE(ru->script, QStringLiteral("Cyrl"));
    QVERIFY(hasBirthDate(*toms, 1968, 1, 5)); // DD.MM.YYYY
    QCOMPARE(toms->topics, QStringList{QStringLiteral("role.pep")});
    QVERIFY(toms->remarks.contains(QStringLiteral("Position: Ivanovo City Duma, deputy, deputy chairman")));
    QVERIFY(toms->remarks.contains(QStringLiteral("Position: Ивановская городская Дума, депутат, заместитель председателя")));

    const Entity *karlov = byName(r, QStringLiteral("Andrey Aleksandrovich Karlov"));
    QVERIFY(karlov);
    QVERIFY(hasBirthDate(*karlov, 1961, 9)); // MM.YYYY
    QVERIFY(hasIdentifier(*karlov, QStringLiteral("tax_id"), QStringLiteral("667107362106"), QStringLiteral("RU")));
    QVERIFY(karlov->countries.contains(QStringLiteral("RU"))); // from the Russian tax id
    const Entity *yanovskiy = byName(r, QStringLiteral("Viktor Boleslavovich Yanovskiy"));
    QVERIFY(yanovskiy);
    QVERIFY(hasBirthDate(*yanovskiy, 1959)); // bare year
    QVERIFY(yanovskiy->remarks.contains(QStringLiteral("Position: deputy"))); // ", deputy": no organisation
    const Entity *skryabina = byName(r, QStringLiteral("Olga Borisovna Skryabina"));
    QVERIFY(skryabina);
    QVERIFY(skryabina->birthDates.isEmpty()); // "18.02": a birthday without a year is no birth date
    QVERIFY(skryabina->remarks.contains(QStringLiteral("Date of birth (no year): 18.02")));
    const Entity *kitaeva = byName(r, QStringLiteral("Anna Vladimirovna Kitaeva"));
    QVERIFY(kitaeva);
    QCOMPARE(kitaeva->topics, QStringList{QStringLiteral("role.rca")});
    QVERIFY(kitaeva->remarks.contains(QStringLiteral("Relation: Close associate")));
    QVERIFY(!kitaeva->remarks.contains(QStringLiteral("Position: Close associate")));
    // Two INNs in one cell, one with a zero-width space.
    const Entity *lobov = byName(r, QStringLiteral("Igor Eduardovich Lobov"));
    QVERIFY(lobov);
    QVERIFY(hasIdentifier(*lobov, QStringLiteral("tax_id"), QStringLiteral("667004034382")));
    QVERIFY(hasIdentifier(*lobov, QStringLiteral("tax_id"), QStringLiteral("770474338716")));
    QCOMPARE(lobov->topics, QStringList{QStringLiteral("role.pep")}); // no category: still a PEP
    // Two rows of one person (ROSPOLITIKA, two positions, "Озёров"/"Озеров") are one entity.
    const Entity *ozerov = byName(r, QStringLiteral("Viktor Alekseevich Ozerov"));
    QVERIFY(ozerov);
    QVERIFY(findName(*ozerov, QStringLiteral("Виктор Алексеевич Озёров")));
    QVERIFY(findName(*ozerov, QStringLiteral("Виктор Алексеевич Озеров")));
    QVERIFY(ozerov->remarks.contains(QStringLiteral("Position: ROSPOLITIKA, employee")));
    QVERIFY(ozerov->remarks.contains(QStringLiteral("Position: ROSPOLITIKA, advisor to the head")));
    int rca = 0;
    for (const Entity &e : r.entities)
        rca += e.topics.contains(QStringLiteral("role.rca")) ? 1 : 0;
    QVERIFY2(rca > 4300 && rca <= 4327 + 57, qPrintable(QString::number(rca)));
}

void TestImportTabular::interpol()
{
    const ImportResult &os = imported(QStringLiteral("adv_interpol_red"));
    const Entity *n = byId(os, QStringLiteral("adv_interpol_red:NK-224TRezPqwzhQZ37exWxtX"));
    QVERIFY(n);
    QCOMPARE(n->primaryName(), QStringLiteral("SANAVBARI NIKITENKO"));
    QCOMPARE(n->type, EntityType::Person);
    QCOMPARE(n->countries, (QStringList{QStringLiteral("RU"), QStringLiteral("TJ")}));
    QVERIFY(hasBirthDate(*n, 1992, 6, 28));
    QCOMPARE(n->topics, (QStringList{QStringLiteral("crime"), QStringLiteral("wanted")}));
    QCOMPARE(n->listedOn, QStringLiteral("2024-03-04"));
    QCOMPARE(os.publicationDate, QStringLiteral("2025-05-23"));
    // A charge with line breaks inside its quoted field.
    const Entity *xia = byName(os, QStringLiteral("JIAN XIA"));
    QVERIFY(xia);
    QVERIFY2(xia->remarks.startsWith(QStringLiteral("Red Notice - 1) Murder")), qPrintable(xia->remarks));
    int ru = 0;
    for (const Entity &e : os.entities)
        ru += e.countries.contains(QStringLiteral("RU")) ? 1 : 0;
    QCOMPARE(ru, 3052);

    const ImportResult &api = imported(QStringLiteral("adv_interpol_api"));
    const Entity *a = byId(api, QStringLiteral("adv_interpol_api:2022-46614"));
    QVERIFY(a);
    QCOMPARE(a->primaryName(), QStringLiteral("ADEL ABDALKADER AL AJEIL"));
    QVERIFY(hasBirthDate(*a, 1999, 1, 23)); // YYYY/MM/DD
    QVERIFY(hasIdentifier(*a, QStringLiteral("interpol_notice"), QStringLiteral("2022/46614")));
    QCOMPARE(a->gender, QStringLiteral("male"));
    QCOMPARE(a->countries, QStringList{QStringLiteral("SY")});
    QVERIFY(a->remarks.contains(QStringLiteral("Charge: Murder")));
    QVERIFY(a->remarks.contains(QStringLiteral("Place of birth: Raqqa SY")));
    const Entity *year = byId(api, QStringLiteral("adv_interpol_api:2018-14264"));
    QVERIFY(year && hasBirthDate(*year, 1985));
    int russia = 0;
    for (const Entity &e : api.entities)
        russia += e.countries.contains(QStringLiteral("RU")) ? 1 : 0;
    QVERIFY(russia > 100);

    // The search results file holds the same notices, one array per search request.
    auto search = importTabular(QStringLiteral("adv_interpol_api"),
                                {sharedData(QStringLiteral("adverse/interpol_red_notices_api_json/red_notices.json"))});
    QVERIFY2(search, qPrintable(search ? QString() : search.error().message));
    QCOMPARE(search->entities.size(), 186);
    QCOMPARE(search->problems.size(), 0);
}

void TestImportTabular::debarment()
{
    const ImportResult &wb = imported(QStringLiteral("adv_worldbank_debarred"));
    const Entity *majidov = byName(wb, QStringLiteral("MR. RUFAT MAJIDOV"));
    QVERIFY(majidov);
    QCOMPARE(majidov->type, EntityType::Person); // by its honorific
    QCOMPARE(majidov->countries, QStringList{QStringLiteral("AZ")});
    QCOMPARE(majidov->listedOn, QStringLiteral("2024-12-10"));
    QCOMPARE(majidov->topics, QStringList{QStringLiteral("debarment")});
    QVERIFY(majidov->remarks.contains(QStringLiteral("Grounds: Obstructive Practices")));
    const Entity *grand = byName(wb, QStringLiteral("GRAND MOTORS LLC"));
    QVERIFY(grand && grand->type == EntityType::Organization);
    const Entity *baxodir = byName(wb, QStringLiteral("BAXODIR LOG’ON TEKSIL"));
    QVERIFY(baxodir && hasIdentifier(*baxodir, QStringLiteral("tax_id"), QStringLiteral("304332224")));
    QVERIFY(!baxodir->remarks.contains(QStringLiteral("*489")));
    const Entity *ural = byName(wb, QStringLiteral("URALKOTLOSERVICE PKF ZAO (TAMBOV)"));
    QVERIFY(ural && findName(*ural, QStringLiteral("UralKotloservice Commercial Production Firm Closed Joint-Stock Co.")));
    const Entity *hunan = byName(wb, QStringLiteral("HUNAN CONSTRUCTION GROUP CO., LTD."));
    QVERIFY(hunan);
    const Name *han = findName(*hunan, QStringLiteral("湖南建设集团有限公司"));
    QVERIFY(han && han->script == u"Hani");
    int persons = 0;
    for (const Entity &e : wb.entities)
        persons += e.type == EntityType::Person ? 1 : 0;
    QCOMPARE(persons, 161); // the names that start with MR./MS./MRS./DR.

    const ImportResult &idb = imported(QStringLiteral("adv_iadb_sanctioned"));
    int individuals = 0, firms = 0;
    for (const Entity &e : idb.entities) {
        individuals += e.type == EntityType::Person ? 1 : 0;
        firms += e.type == EntityType::Organization ? 1 : 0;
    }
    QCOMPARE(individuals, 233);
    QCOMPARE(firms, 848);
    const Entity *weihai = byName(idb, QStringLiteral("1st Construction Branch of Weihai Construction Group Co. Ltd."));
    QVERIFY(weihai);
    QCOMPARE(weihai->countries, QStringList{QStringLiteral("CN")});
    QCOMPARE(weihai->listedOn, QStringLiteral("2022-02-17")); // "Feb 17, 2022"
    QVERIFY(findName(*weihai, QStringLiteral("威海建设集团股份有限公司第一建筑分公司")));
    QCOMPARE(weihai->programs, QStringList{QStringLiteral("AfDB cross debarment")});
    QVERIFY(weihai->remarks.contains(QStringLiteral("Grounds: Fraud")));
    const Entity *ullah = byName(idb, QStringLiteral("A K M Shahid Ullah"));
    QVERIFY(ullah && ullah->type == EntityType::Person);
    QVERIFY(ullah->remarks.contains(QStringLiteral("Sanctioned until: Ongoing")));
    QVERIFY(!byName(idb, QStringLiteral("Zastosowane filtry: From Date jest dnia marca 23, 2007 lub później"))); // footer

    const ImportResult &ebrd = imported(QStringLiteral("adv_ebrd_ineligible"));
    const Entity *mabiro = byName(ebrd, QStringLiteral("Mr Edmund MABIRO"));
    QVERIFY(mabiro);
    QCOMPARE(mabiro->type, EntityType::Person);
    QCOMPARE(mabiro->countries, QStringList{QStringLiteral("UG")});
    QCOMPARE(mabiro->listedOn, QStringLiteral("2022-04-22")); // no "Ineligible From": the EBRD notice date
    const Entity *drc = byName(ebrd, QStringLiteral("Development and Relief Corporation B.V. (also known as DRC b.v.)"));
    QVERIFY(drc);
    QCOMPARE(drc->type, EntityType::Organization);
    QVERIFY(findName(*drc, QStringLiteral("DRC b.v.")));
    QVERIFY(findName(*drc, QStringLiteral("Development and Relief Corporation B.V.")));
    const Entity *gezhouba = byName(ebrd, QStringLiteral("China Gezhouba Group Co., Ltd. by Shares Nigeria Co., Ltd."));
    QVERIFY(gezhouba); // leading space trimmed; first column found despite the BOM
    QCOMPARE(gezhouba->listedOn, QStringLiteral("2024-07-01"));
    QVERIFY(gezhouba->remarks.contains(QStringLiteral("Ineligible until: 2025-05-31")));
    const Entity *invepar = byName(ebrd, QStringLiteral("lnvepar Construtora Ltda - ME (CNPJ: 20.182.043/0001-42)"));
    QVERIFY(
        invepar
        && hasIdentifier(*invepar, QStringLiteral("registration"), QStringLiteral("20.182.043/0001-42"), QStringLiteral("BR")));
    const Entity *ozaltin = byName(ebrd, QStringLiteral("OZALTIN ITHALAT IHRACAT VE INSAAT A.S.")); // line break in the name
    QVERIFY(ozaltin);
    persons = 0;
    for (const Entity &e : ebrd.entities)
        persons += e.type == EntityType::Person ? 1 : 0;
    QVERIFY2(persons >= 122, qPrintable(QString::number(persons)));
}

void TestImportTabular::malaysiaAndNavalny()
{
    const ImportResult &my = imported(QStringLiteral("adv_my_fcal"));
    const Entity *tp = byId(my, QStringLiteral("adv_my_fcal:NK-NxdAgxJZhsCZ9bh2W9VFVP"));
    QVERIFY(tp);
    QCOMPARE(tp->primaryName(), QStringLiteral("TP Eagle Venture Sdn Bhd (1114378-M)"));
    QVERIFY(findName(*tp, QStringLiteral("TP Eagle Venture Sdn Bhd")));
    QVERIFY(hasIdentifier(*tp, QStringLiteral("registration"), QStringLiteral("1114378-M"), QStringLiteral("MY")));
    QCOMPARE(tp->type, EntityType::Organization);
    QCOMPARE(tp->listedOn, QStringLiteral("2016-07-12"));
    QCOMPARE(tp->topics, QStringList{QStringLiteral("reg.warn")});
    QCOMPARE(my.publicationDate, QStringLiteral("2025-01-07"));

    const ImportResult &acf = imported(QStringLiteral("adv_ru_navalny"));
    const Entity *z = byName(acf, QStringLiteral("Zyuganov Gennady Andreevich"));
    QVERIFY(z);
    QVERIFY(findName(*z, QStringLiteral("Зюганов Геннадий Андреевич")));
    QVERIFY(hasBirthDate(*z, 1944, 6, 26));
    QCOMPARE(z->gender, QStringLiteral("male"));
    QCOMPARE(z->programs, (QStringList{QStringLiteral("Members of Parliament and Senate"), QStringLiteral("State Duma")}));
    QCOMPARE(z->topics, QStringList{QStringLiteral("poi")});
    const Entity *chalenko = byName(acf, QStringLiteral("Chalenko Alexander"));
    QVERIFY(chalenko && hasBirthDate(*chalenko, 1968, 4, 5)); // D.MM.YYYY
    const Entity *neydorf = byName(acf, QStringLiteral("Neydorf Regina Viktorovna"));
    QVERIFY(neydorf && neydorf->gender == u"female"); // "femail"
    const Entity *artyukhov = byName(acf, QStringLiteral("Artyukhov Andrey Viktorovich"));
    QVERIFY(artyukhov);
    QVERIFY(artyukhov->programs.contains(QStringLiteral("Speakers of the regional legislative assemblies")));
    QVERIFY(artyukhov->programs.contains(QStringLiteral("Federal and regional party leaders")));
    const Entity *nabokova = byName(acf, QStringLiteral("Набокова Алла"));
    QVERIFY(nabokova && nabokova->birthDates.isEmpty());
    QVERIFY(nabokova->remarks.contains(QStringLiteral("Date of birth (no year): 20.03")));
    bool sawNamedProblem = false;
    for (const ImportProblem &p : acf.problems) {
        QVERIFY2(p.message.startsWith(QStringLiteral("navalny_list_parsed.csv: Date of birth \"")), qPrintable(p.message));
        sawNamedProblem = sawNamedProblem || (p.message.contains(QStringLiteral("\"8 марта 1959\"")));
    }
    QVERIFY(sawNamedProblem);
}

// --- error paths on small files ------------------------------------------------------------------

void TestImportTabular::unknownMappingIsAnError()
{
    auto r
        = importTabular(QStringLiteral("pep_nowhere"), {sharedData(QStringLiteral("pep/uk_commons_everypolitician/gb_mps.csv"))});
    QVERIFY(!r);
    QCOMPARE(r.error().code, ErrorCode::Validation);
    auto bad = importTabular(QStringLiteral("../etc/passwd"), {});
    QVERIFY(!bad);
    QCOMPARE(bad.error().code, ErrorCode::Validation);
    auto none = importTabular(QStringLiteral("pep_gb_mps"), {});
    QVERIFY(!none);
    QCOMPARE(none.error().code, ErrorCode::Validation);
    auto missing = importTabular(QStringLiteral("pep_gb_mps"), {QStringLiteral("/nonexistent/gb_mps.csv")});
    QVERIFY(!missing);
    QCOMPARE(missing.error().code, ErrorCode::Validation);
}

void TestImportTabular::wrongFilesAreErrors_data()
{
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<QByteArray>("bytes");

    QTest::newRow("PNG as CSV") << "pep_gb_mps"
                                << "gb_mps.csv" << QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    QTest::newRow("binary as JSONL") << "pep_il_knesset"
                                     << "KNS_Person-000001.jsonl" << QByteArray("\0\1\2\3\4\5\6\7", 8);
    QTest::newRow("other CSV header") << "pep_gb_mps"
                                      << "gb_mps.csv" << QByteArray("a,b,c\n1,2,3\n");
    QTest::newRow("RuPEP header width") << "pep_ru_rupep"
                                        << "x.csv" << QByteArray("NAME_EN,NAME_RU\nA,Б\n");
    QTest::newRow("empty CSV") << "pep_gb_mps"
                               << "gb_mps.csv" << QByteArray("\n");
    QTest::newRow("header only") << "pep_ua_rada"
                                 << "rada4.tsv" << QByteArray("name\tparty\tdistrict\tdate_from\tdate_to\tlink\n");
    QTest::newRow("CSV as JSONL") << "pep_ru_mayors"
                                  << "ru_mayors.jsonl" << QByteArray("item,mayorLabel\nx,y\n");
    QTest::newRow("CSV as YAML") << "pep_us_congress"
                                 << "legislators.yaml" << QByteArray("id,name\n1,x\n2,y\n");
    QTest::newRow("JSON object, no records") << "adv_interpol_api"
                                             << "details.json" << QByteArray(R"({"a": 1})");
    QTest::newRow("broken JSON") << "adv_interpol_api"
                                 << "details.json" << QByteArray(R"([{"entity_id": "1",)");
    QTest::newRow("YAML without names") << "pep_us_congress"
                                        << "legislators.yaml" << QByteArray("- a: 1\n- a: 2\n- a: 3\n- a: 4\n");
    QTest::newRow("mostly malformed JSONL") << "pep_il_knesset"
                                            << "k.jsonl"
                                            << QByteArray(
                                                   "{\"Id\":1,\"FirstName\":\"a\",\"LastName\":\"b\"}\n{bad\n{bad\n{bad\n[1]\n");
}

void TestImportTabular::wrongFilesAreErrors()
{
    QFETCH(QString, source);
    QFETCH(QString, fileName);
    QFETCH(QByteArray, bytes);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto r = importTabular(source, {writeFile(dir, fileName, bytes)});
    QVERIFY2(!r, "imported a file that is not the source's format");
    QCOMPARE(r.error().code, ErrorCode::Validation);
    QVERIFY2(r.error().message.contains(fileName), qPrintable(r.error().message));
}

void TestImportTabular::bomAndMultilineCsv()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // The EBRD layout: BOM, a header name with a leading space, a quoted name over two lines, CRLF.
    const QByteArray ebrd
        = "\xEF\xBB\xBF"
          "Firm Name,Address,Nationality,Ineligible From, Ineligible Until,Notice Effective At EBRD,"
          "Originating Institution,Prohibited Practice\r\n"
          "\" ACME\r\nTrading Ltd.\",\"1 Road\",\"Kenya\",\"2024-01-02T00:00:00Z\",\"Ongoing\",\"\",\"EBRD\",\"Fraud\"\r\n"
          "\"Dr. Jane Roe\",\"2 Road\",\"Peoples Republic of China\",\"\",\"2030-01-01T00:00:00Z\","
          "\"2024-03-04T00:00:00Z\",\"World Bank Group\",\"Fraud\"\r\n";
    auto r = importTabular(QStringLiteral("adv_ebrd_ineligible"), {writeFile(dir, QStringLiteral("ebrd.csv"), ebrd)});
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(r->problems.size(), 0);
    QCOMPARE(r->entities.size(), 2);
    const Entity &acme = r->entities[0];
    QCOMPARE(acme.primaryName(), QStringLiteral("ACME Trading Ltd."));
    QCOMPARE(acme.type, EntityType::Organization);
    QCOMPARE(acme.countries, QStringList{QStringLiteral("KE")});
    QCOMPARE(acme.listedOn, QStringLiteral("2024-01-02"));
    QVERIFY(acme.remarks.contains(QStringLiteral("Ineligible until: Ongoing")));
    QCOMPARE(acme.programs, QStringList{QStringLiteral("European Bank for Reconstruction and Development")});
    const Entity &roe = r->entities[1];
    QCOMPARE(roe.type, EntityType::Person);
    QCOMPARE(roe.countries, QStringList{QStringLiteral("CN")});
    QCOMPARE(roe.listedOn, QStringLiteral("2024-03-04"));
    QVERIFY(roe.remarks.contains(QStringLiteral("Ineligible until: 2030-01-01")));

    // JSON Lines with a BOM and no final line break.
    const QByteArray jsonl = "\xEF\xBB\xBF{\"Id\":7,\"FirstName\":\"א\",\"LastName\":\"ב\",\"GenderID\":251}\n\n"
                             "{\"Id\":8,\"FirstName\":\"ג\",\"LastName\":\"ד\",\"GenderID\":250}";
    auto k = importTabular(QStringLiteral("pep_il_knesset"), {writeFile(dir, QStringLiteral("k.jsonl"), jsonl)});
    QVERIFY2(k, qPrintable(k ? QString() : k.error().message));
    QCOMPARE(k->entities.size(), 2);
    QCOMPARE(k->entities[0].id, QStringLiteral("pep_il_knesset:7"));
    QCOMPARE(k->entities[0].gender, QStringLiteral("male"));
    QCOMPARE(k->entities[1].primaryName(), QStringLiteral("ג ד"));
}

void TestImportTabular::unparsableDateIsAProblem()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QByteArray csv = "NAME_EN,NAME_RU,DOB,TAXPAYER_NUM,CATEGORY,LAST_POSITION_ENLAST_POSITION_RU\n"
                           "Ivan Ivanov,Иван Иванов,31.02.1970,,\"Duma, deputy\",\n"
                           "Petr Petrov,Петр Петров,1970-05-06,,\"Duma, deputy\",\n"
                           "Anna Ivanova,Анна Иванова,12.1980,,Family member,\n";
    auto r = importTabular(QStringLiteral("pep_ru_rupep"), {writeFile(dir, QStringLiteral("peps.csv"), csv)});
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(r->entities.size(), 3); // a bad date costs the date, not the record
    QCOMPARE(r->problems.size(), 2);
    QCOMPARE(r->problems[0].line, 2);
    QVERIFY2(r->problems[0].message.startsWith(QStringLiteral("peps.csv: ")), qPrintable(r->problems[0].message));
    QVERIFY2(r->problems[0].message.contains(QStringLiteral("\"31.02.1970\"")), qPrintable(r->problems[0].message));
    QCOMPARE(r->problems[1].line, 3);
    QVERIFY(r->entities[0].birthDates.isEmpty());
    QVERIFY(hasBirthDate(r->entities[2], 1980, 12));
    QCOMPARE(r->entities[2].topics, QStringList{QStringLiteral("role.rca")});
}

void TestImportTabular::malformedRowsAreReported()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // A short row, a row without a name, a stray quote; the good rows still come through.
    const QByteArray tsv = "name\tparty\tdistrict\tdate_from\tdate_to\tlink\n"
                           "Ющенко Віктор Андрійович\tНУ\t\t14.05.2002\t23.01.2005\thttps://x\n"
                           "short row\tonly\n"
                           "\tНУ\t\t14.05.2002\t23.01.2005\thttps://y\n"
                           "Стоян \"Олександр\tНУ\t\t14.05.2002\t25.05.2006\thttps://z\n"
                           "Мороз Олександр Олександрович\tСПУ\t\t14.05.2002\t25.05.2006\thttps://w\n"
                           "Тимошенко Юлія Володимирівна\tБЮТ\t\t14.05.2002\t25.05.2006\thttps://v\n"
                           "Симоненко Петро Миколайович\tКПУ\t\t14.05.2002\t25.05.2006\thttps://u\n";
    auto r = importTabular(QStringLiteral("pep_ua_rada"), {writeFile(dir, QStringLiteral("rada4.tsv"), tsv)});
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(r->entities.size(), 4);
    QCOMPARE(r->problems.size(), 3);
    QCOMPARE(r->problems[0].line, 3);
    QVERIFY(r->problems[0].message.contains(QStringLiteral("expected 6 fields, found 2")));
    QCOMPARE(r->problems[1].line, 4);
    QVERIFY(r->problems[1].message.contains(QStringLiteral("without a name")));
    QCOMPARE(r->problems[2].line, 5);
    QCOMPARE(r->entities[0].programs, QStringList{QStringLiteral("Verkhovna Rada of Ukraine, 4th convocation (2002-2006)")});

    // Malformed JSON Lines in the middle of a good file are problems with their line.
    const QByteArray jsonl
        = "{\"Id\":1,\"FirstName\":\"a\",\"LastName\":\"b\"}\n{oops\n{\"Id\":2,\"FirstName\":\"c\",\"LastName\":\"d\"}\n"
          "{\"Id\":3,\"FirstName\":\"e\",\"LastName\":\"f\"}\n";
    auto k = importTabular(QStringLiteral("pep_il_knesset"), {writeFile(dir, QStringLiteral("k.jsonl"), jsonl)});
    QVERIFY2(k, qPrintable(k ? QString() : k.error().message));
    QCOMPARE(k->entities.size(), 3);
    QCOMPARE(k->problems.size(), 1);
    QCOMPARE(k->problems[0].line, 2);
}

void TestImportTabular::progressReachesTotal()
{
    QList<std::pair<qint64, qint64>> calls;
    const QStringList files = defaultPaths(QStringLiteral("pep_il_knesset"));
    qint64 size = 0;
    for (const QString &f : files)
        size += QFileInfo(f).size();
    auto r = importTabular(QStringLiteral("pep_il_knesset"), files, [&](qint64 done, qint64 total) {
        calls.append({done, total});
    });
    QVERIFY(r);
    QVERIFY(calls.size() >= 2);
    QCOMPARE(calls.first().first, 0);
    QCOMPARE(calls.last().first, size);
    for (qsizetype i = 0; i < calls.size(); ++i) {
        QCOMPARE(calls[i].second, size);
        if (i > 0)
            QVERIFY(calls[i].first >= calls[i - 1].first);
    }
}

QTEST_GUILESS_MAIN(TestImportTabular)
#include "tst_import_tabular.moc"
