// Every list importer and parser against hostile input (issue 8, attack 3): deep nesting (the 1.4 MB file of
// 200 000 nested elements that used to overflow the stack), a 50 MB field, a line without end, a huge record
// count, too many fields or names, a DTD, YAML aliases, invalid UTF-8 and NUL bytes. Each gives the error that
// names its limit (ErrorCode::Validation, {"limit": …} in Error::extra) and the process lives on; the real
// shipped lists fit the default limits (their counts are checked by tst_importers and tst_import_tabular).
#include "backend/core/json.h"
#include "backend/screening/import_tabular.h"
#include "backend/screening/importers.h"
#include "backend/screening/tabularmapping.h"
#include "backend/screening/yamlsubset.h"
#include "tests/testsupport/testsupport.h"

#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QtTest>

using namespace kyc;
using namespace kyc::screening;
using namespace Qt::Literals::StringLiterals;

namespace {

// prefix + open × count + close × count + suffix: nesting when open/close are tags or brackets, one long
// field when only `open` is given.
struct Hostile {
    QByteArray prefix;
    QByteArray open;
    QByteArray close;
    qint64 count = 0;
    QByteArray suffix;

    [[nodiscard]] QByteArray bytes() const
    {
        QByteArray out;
        out.reserve(prefix.size() + (open.size() + close.size()) * count + suffix.size());
        out += prefix;
        for (qint64 i = 0; i < count; ++i)
            out += open;
        for (qint64 i = 0; i < count; ++i)
            out += close;
        out += suffix;
        return out;
    }
};

// "records=3,fields=10": small limits for the count tests (the defaults would need files of many MB).
ImportLimits limitsFrom(const QString &spec)
{
    ImportLimits l;
    for (const QString &part : spec.split(u',', Qt::SkipEmptyParts)) {
        const QString key = part.section(u'=', 0, 0);
        const qint64 value = part.section(u'=', 1).toLongLong();
        if (key == u"records")
            l.maxRecords = value;
        else if (key == u"fields")
            l.maxFieldsPerRecord = value;
        else if (key == u"names")
            l.maxNamesPerEntity = value;
        else if (key == u"line")
            l.maxLineChars = value;
        else if (key == u"field")
            l.maxFieldChars = value;
        else if (key == u"file")
            l.maxFileBytes = value;
        else if (key == u"depth")
            l.maxDepth = int(value);
    }
    return l;
}

QByteArray repeated(const QByteArray &unit, int n)
{
    QByteArray out;
    for (int i = 0; i < n; ++i)
        out += unit;
    return out;
}

const QByteArray kUnHead
    = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CONSOLIDATED_LIST dateGenerated=\"2026-02-27\">\n<INDIVIDUALS>\n";
const QByteArray kUnTail = "</INDIVIDUALS>\n</CONSOLIDATED_LIST>\n";
QByteArray unIndividual(int i)
{
    return "<INDIVIDUAL><DATAID>" + QByteArray::number(i) + "</DATAID><FIRST_NAME>PERSON " + QByteArray::number(i)
        + "</FIRST_NAME><REFERENCE_NUMBER>QDi." + QByteArray::number(i) + "</REFERENCE_NUMBER></INDIVIDUAL>\n";
}
const QByteArray kSdnRow = "36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
const QByteArray kDplHead
    = "\"Name\"\t\"Street_Address\"\t\"City\"\t\"State\"\t\"Country\"\t\"Postal_Code\"\t\"Effective_Date\"\t"
      "\"Expiration_Date\"\t\"Standard_Order\"\t\"Last_Update\"\t\"Action\"\t\"FR_Citation\"\n";
const QByteArray kCslHead = "_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,start_date,"
                            "end_date,standard_order,license_requirement,license_policy,call_sign,vessel_type,gross_tonnage,"
                            "gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,alt_names,citizenships,"
                            "dates_of_birth,nationalities,places_of_birth,source_information_url,ids\n";
const QByteArray kFtmHead = "{\"id\":\"NK-1\",\"schema\":\"Person\",\"properties\":{\"name\":[\"Ivan Petrov\"]}}\n";
constexpr qint64 k50MB = qint64(50) * 1000 * 1000;
// 5 MB on one line in fields of 10 000 characters: over the line length, within the field length.
const QByteArray kLongFieldComma = QByteArray(10'000, 'A') + ',';
const QByteArray kLongFieldTab = QByteArray(10'000, 'A') + '\t';

} // namespace

Q_DECLARE_METATYPE(Hostile)

class TestImportLimits : public QObject
{
    Q_OBJECT

private slots:
    void hostileFiles_data();
    void hostileFiles();
    void namesPerEntity();
    void fileSize();
    void quotesDoNotMakeCsvQuadratic();
    void yamlSubset_data();
    void yamlSubset();
    void mappingDocument();
    void jsonParse_data();
    void jsonParse();
    void shippedListsFitTheDefaults();
};

void TestImportLimits::hostileFiles_data()
{
    QTest::addColumn<QString>("importer"); // a list format, or "tabular:<source id>"
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<Hostile>("input");
    QTest::addColumn<QString>("limits"); // overrides of the defaults, see limitsFrom()
    QTest::addColumn<QString>("expected"); // "limit:<key>", or text the error must contain

    const QByteArray unRecord = kUnHead + "<INDIVIDUAL><DATAID>1</DATAID><REFERENCE_NUMBER>QDi.1</REFERENCE_NUMBER><FIRST_NAME>";
    const QByteArray unRecordEnd = "</FIRST_NAME></INDIVIDUAL>\n" + kUnTail;
    // The attack as reported: 1.4 MB, 200 000 nested elements inside one record.
    QTest::newRow("un_xml: 200 000 nested elements in a record")
        << u"un_xml"_s << u"deep.xml"_s << Hostile{kUnHead + "<INDIVIDUAL>", "<a>", "</a>", 200'000, "</INDIVIDUAL>" + kUnTail}
        << QString() << u"limit:nesting_depth"_s;
    QTest::newRow("un_xml: nesting in a skipped element")
        << u"un_xml"_s << u"deep.xml"_s << Hostile{kUnHead + "<OTHER>", "<a>", "</a>", 200'000, "</OTHER>" + kUnTail} << QString()
        << u"limit:nesting_depth"_s;
    QTest::newRow("un_xml: nested containers")
        << u"un_xml"_s << u"deep.xml"_s
        << Hostile{"<CONSOLIDATED_LIST>", "<INDIVIDUALS>", "</INDIVIDUALS>", 200'000, "</CONSOLIDATED_LIST>"} << QString()
        << u"limit:nesting_depth"_s;
    QTest::newRow("eu_fsf_xml: 200 000 nested elements") << u"eu_fsf_xml"_s << u"deep.xml"_s
                                                         << Hostile{"<export><sanctionEntity logicalId=\"1\">", "<nameAlias>",
                                                                    "</nameAlias>", 200'000, "</sanctionEntity></export>"}
                                                         << QString() << u"limit:nesting_depth"_s;
    QTest::newRow("uk_xml: 200 000 nested elements")
        << u"uk_xml"_s << u"deep.xml"_s
        << Hostile{"<Designations><Designation>", "<Names>", "</Names>", 200'000, "</Designation></Designations>"} << QString()
        << u"limit:nesting_depth"_s;
    QTest::newRow("un_xml: a 50 MB name") << u"un_xml"_s << u"field.xml"_s << Hostile{unRecord, "A", {}, k50MB, unRecordEnd}
                                          << QString() << u"limit:field_length"_s;
    QTest::newRow("un_xml: a 50 MB attribute")
        << u"un_xml"_s << u"attr.xml"_s << Hostile{kUnHead + "<INDIVIDUAL x=\"", "A", {}, k50MB, "\"/>" + kUnTail} << QString()
        << u"limit:field_length"_s;
    QTest::newRow("un_xml: record count")
        << u"un_xml"_s << u"many.xml"_s
        << Hostile{kUnHead + unIndividual(1) + unIndividual(2) + unIndividual(3) + unIndividual(4), {}, {}, 0, kUnTail}
        << u"records=3"_s << u"limit:record_count"_s;
    QTest::newRow("un_xml: elements in one record")
        << u"un_xml"_s << u"wide.xml"_s << Hostile{kUnHead + "<INDIVIDUAL>", "<NOTE/>", {}, 20'000, "</INDIVIDUAL>" + kUnTail}
        << QString() << u"limit:fields_per_record"_s;
    // A billion laughs needs entities, and entities need a DTD: none is allowed.
    QTest::newRow("un_xml: billion laughs")
        << u"un_xml"_s << u"lol.xml"_s
        << Hostile{"<?xml version=\"1.0\"?>\n<!DOCTYPE CONSOLIDATED_LIST [\n<!ENTITY l0 \"lol\">\n" +
                       [] {
                           QByteArray d;
                           for (int i = 1; i < 10; ++i)
                               d += "<!ENTITY l" + QByteArray::number(i) + " \""
                                   + repeated("&l" + QByteArray::number(i - 1) + ";", 10) + "\">\n";
                           return d;
                       }()
                       + "]>\n<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>&l9;</FIRST_NAME></INDIVIDUAL>"
                         "</INDIVIDUALS></CONSOLIDATED_LIST>",
                   {},
                   {},
                   0,
                   {}}
        << QString() << u"DTD"_s;
    QTest::newRow("un_xml: NUL bytes") << u"un_xml"_s << u"nul.xml"_s << Hostile{kUnHead, QByteArray(1, '\0'), {}, 100, kUnTail}
                                       << QString() << u"is not"_s;
    QTest::newRow("un_xml: invalid UTF-8") << u"un_xml"_s << u"utf8.xml"_s
                                           << Hostile{kUnHead + unIndividual(1) + "<INDIVIDUAL><FIRST_NAME>\xC3\x28\xFF\xFE",
                                                      {},
                                                      {},
                                                      0,
                                                      "</FIRST_NAME></INDIVIDUAL>" + kUnTail}
                                           << QString() << u"XML error"_s;

    QTest::newRow("ofac_sdn_csv: a 50 MB field")
        << u"ofac_sdn_csv"_s << u"sdn.csv"_s
        << Hostile{kSdnRow + "37,\"", "A", {}, k50MB, "\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"} << QString()
        << u"limit:field_length"_s;
    QTest::newRow("ofac_sdn_csv: a line without end")
        << u"ofac_sdn_csv"_s << u"sdn.csv"_s << Hostile{kSdnRow + "37,", kLongFieldComma, {}, 500, {}} << QString()
        << u"limit:line_length"_s;
    QTest::newRow("ofac_sdn_csv: record count")
        << u"ofac_sdn_csv"_s << u"sdn.csv"_s << Hostile{{}, kSdnRow, {}, 6, {}} << u"records=5"_s << u"limit:record_count"_s;
    QTest::newRow("ofac_sdn_csv: fields per record")
        << u"ofac_sdn_csv"_s << u"sdn.csv"_s << Hostile{kSdnRow + "37", ",x", {}, 20'000, "\r\n"} << QString()
        << u"limit:fields_per_record"_s;
    QTest::newRow("ofac_sdn_csv: NUL bytes")
        << u"ofac_sdn_csv"_s << u"sdn.csv"_s << Hostile{kSdnRow, QByteArray(1, '\0'), {}, 1000, kSdnRow} << QString()
        << u"is not"_s;
    QTest::newRow("ofac_sdn_csv: invalid UTF-8 imports as Latin-1")
        << u"ofac_sdn_csv"_s << u"sdn.csv"_s
        << Hostile{kSdnRow + "37,\"CAF\xC9 \xFF\xFE\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n", {}, {}, 0, {}}
        << QString() << QString();
    QTest::newRow("ofac_cons_csv: a line without end")
        << u"ofac_cons_csv"_s << u"cons_prim.csv"_s << Hostile{"1,", kLongFieldComma, {}, 500, {}} << QString()
        << u"limit:line_length"_s;
    QTest::newRow("bis_dpl_txt: a 50 MB field")
        << u"bis_dpl_txt"_s << u"dpl.txt"_s << Hostile{kDplHead + "\"", "A", {}, k50MB, "\"\t\t\t\t\t\t\t\t\t\t\t\n"} << QString()
        << u"limit:field_length"_s;
    QTest::newRow("bis_dpl_txt: record count")
        << u"bis_dpl_txt"_s << u"dpl.txt"_s << Hostile{kDplHead, "\"JOHN DOE\"\t\t\t\t\"US\"\t\t\t\t\t\t\t\n", {}, 10, {}}
        << u"records=5"_s << u"limit:record_count"_s;
    QTest::newRow("csl_csv: an unterminated quote to the end of 50 MB")
        << u"csl_csv"_s << u"csl.csv"_s << Hostile{kCslHead + "1,\"", "A\n", {}, 25'000'000, {}} << QString() << u"limit:"_s;
    QTest::newRow("csl_csv: fields per record") << u"csl_csv"_s << u"csl.csv"_s << Hostile{kCslHead + "1", ",", {}, 20'000, "\n"}
                                                << QString() << u"limit:fields_per_record"_s;

    QTest::newRow("ftm_json: deep nesting") << u"ftm_json"_s << u"e.ftm.json"_s
                                            << Hostile{kFtmHead + "{\"id\":\"NK-2\",\"schema\":\"Person\",\"properties\":", "[",
                                                       "]", 200'000, "}\n"}
                                            << QString() << u"limit:nesting_depth"_s;
    QTest::newRow("ftm_json: a line without end")
        << u"ftm_json"_s << u"e.ftm.json"_s << Hostile{kFtmHead + "{\"id\":\"", "A", {}, 5'000'000, {}} << QString()
        << u"limit:line_length"_s;
    QTest::newRow("ftm_json: a 50 MB name")
        << u"ftm_json"_s << u"e.ftm.json"_s
        << Hostile{kFtmHead + "{\"id\":\"NK-2\",\"schema\":\"Person\",\"properties\":{\"name\":[\"", "A", {}, k50MB, "\"]}}\n"}
        << u"line=100000000"_s << u"limit:field_length"_s;
    QTest::newRow("ftm_json: record count") << u"ftm_json"_s << u"e.ftm.json"_s << Hostile{{}, kFtmHead, {}, 4, {}}
                                            << u"records=3"_s << u"limit:record_count"_s;
    QTest::newRow("ftm_json: fields per record")
        << u"ftm_json"_s << u"e.ftm.json"_s
        << Hostile{kFtmHead + "{\"id\":\"NK-2\",\"schema\":\"Person\",\"properties\":{\"name\":[\"x\"",
                   ",\"y\"",
                   {},
                   20'000,
                   "]}}\n"}
        << QString() << u"limit:fields_per_record"_s;

    // The tabular importer in each of its forms.
    QTest::newRow("tabular csv: a 50 MB field")
        << u"tabular:pep_gb_mps"_s << u"gb_mps.csv"_s << Hostile{"id,name\n1,\"", "A", {}, k50MB, "\"\n"} << QString()
        << u"limit:field_length"_s;
    QTest::newRow("tabular csv: record count")
        << u"tabular:pep_gb_mps"_s << u"gb_mps.csv"_s << Hostile{"id,name\n", "1,x\n", {}, 10, {}} << u"records=5"_s
        << u"limit:record_count"_s;
    QTest::newRow("tabular tsv: a line without end")
        << u"tabular:pep_ua_rada"_s << u"rada4.tsv"_s << Hostile{"id\tname\n", kLongFieldTab, {}, 500, {}} << QString()
        << u"limit:line_length"_s;
    QTest::newRow("tabular jsonl: deep nesting")
        << u"tabular:pep_ru_mayors"_s << u"ru_mayors.jsonl"_s << Hostile{"{\"a\":", "[", "]", 200'000, "}\n"} << QString()
        << u"limit:nesting_depth"_s;
    QTest::newRow("tabular jsonl: a line without end")
        << u"tabular:pep_ru_mayors"_s << u"ru_mayors.jsonl"_s << Hostile{"{\"a\":\"", "A", {}, 5'000'000, {}} << QString()
        << u"limit:line_length"_s;
    QTest::newRow("tabular jsonl: record count")
        << u"tabular:pep_ru_mayors"_s << u"ru_mayors.jsonl"_s << Hostile{{}, "{\"a\":1}\n", {}, 10, {}} << u"records=5"_s
        << u"limit:record_count"_s;
    QTest::newRow("tabular json: deep nesting") << u"tabular:adv_interpol_api"_s << u"red_notices_details.json"_s
                                                << Hostile{"[", "[", "]", 200'000, "]"} << QString() << u"limit:nesting_depth"_s;
    QTest::newRow("tabular json: a 50 MB string")
        << u"tabular:adv_interpol_api"_s << u"red_notices_details.json"_s << Hostile{"[{\"name\":\"", "A", {}, k50MB, "\"}]"}
        << QString() << u"limit:field_length"_s;
    QTest::newRow("tabular json: record count")
        << u"tabular:adv_interpol_api"_s << u"red_notices_details.json"_s << Hostile{"[{}", ",{}", {}, 10, "]"} << u"records=5"_s
        << u"limit:record_count"_s;
    QTest::newRow("tabular yaml: deep block nesting")
        << u"tabular:pep_us_congress"_s << u"legislators-current.yaml"_s << Hostile{{}, "- ", {}, 100'000, "x\n"} << QString()
        << u"limit:nesting_depth"_s;
    QTest::newRow("tabular yaml: deep flow nesting")
        << u"tabular:pep_us_congress"_s << u"legislators-current.yaml"_s << Hostile{"- a: ", "[", "]", 200'000, "\n"} << QString()
        << u"limit:nesting_depth"_s;
    QTest::newRow("tabular yaml: a line without end")
        << u"tabular:pep_us_congress"_s << u"legislators-current.yaml"_s << Hostile{"- a: ", "A", {}, 5'000'000, {}} << QString()
        << u"limit:line_length"_s;
    QTest::newRow("tabular yaml: a 50 MB folded scalar")
        << u"tabular:pep_us_congress"_s << u"legislators-current.yaml"_s
        << Hostile{"- a: >\n", "    AAAAAAAAAAAAAAAA\n", {}, 3'000'000, {}} << QString() << u"limit:field_length"_s;
    QTest::newRow("tabular yaml: an unterminated quote over 1 000 000 lines")
        << u"tabular:pep_us_congress"_s << u"legislators-current.yaml"_s << Hostile{"- a: \"", "    x\n", {}, 1'000'000, {}}
        << QString() << u"limit:field_length"_s;
    QTest::newRow("tabular yaml: record count")
        << u"tabular:pep_us_congress"_s << u"legislators-current.yaml"_s << Hostile{{}, "- a: 1\n", {}, 10, {}} << u"records=5"_s
        << u"limit:record_count"_s;
    QTest::newRow("tabular yaml: aliases") << u"tabular:pep_us_congress"_s << u"legislators-current.yaml"_s
                                           << Hostile{"- a: &x [1, 2]\n- b: *x\n", {}, {}, 0, {}} << QString() << u"aliases"_s;
}

void TestImportLimits::hostileFiles()
{
    QFETCH(QString, importer);
    QFETCH(QString, fileName);
    QFETCH(Hostile, input);
    QFETCH(QString, limits);
    QFETCH(QString, expected);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(fileName);
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QVERIFY(f.write(input.bytes()) >= 0);
    }
    const ImportLimits l = limitsFrom(limits);
    Result<ImportResult> r = importer.startsWith(u"tabular:") ? importTabular(importer.mid(8), {path}, {}, l)
                                                              : importList(*parseFormat(importer), {path}, {}, l);
    if (expected.isEmpty()) {
        QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
        QVERIFY(!r->entities.isEmpty());
        return;
    }
    QVERIFY2(!r, "a hostile file was imported");
    QCOMPARE(r.error().code, ErrorCode::Validation);
    const QString message = r.error().message;
    if (expected.startsWith(u"limit:")) {
        const QString key = expected.mid(6);
        const QString got = r.error().extra.value(u"limit"_s).toString();
        QVERIFY2(!got.isEmpty(), qPrintable(message));
        if (!key.isEmpty()) {
            QCOMPARE(got, key);
            QVERIFY2(message.contains(QString(key).replace(u'_', u' ') + u" limit"_s), qPrintable(message));
        }
        QVERIFY2(message.contains(fileName) || message.contains(u"line"_s), qPrintable(message));
    } else {
        QVERIFY2(message.contains(expected), qPrintable(message.left(500)));
    }
}

// An entity with more names than the limit (FtM: names are one property; the UN: aliases are elements).
void TestImportLimits::namesPerEntity()
{
    QTemporaryDir dir;
    QByteArray names;
    for (int i = 0; i < 30; ++i)
        names += QByteArray(i ? ",\"" : "\"") + "Name " + QByteArray::number(i) + "\"";
    QFile f(dir.filePath(u"e.ftm.json"_s));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(kFtmHead + "{\"id\":\"NK-2\",\"schema\":\"Person\",\"properties\":{\"name\":[" + names + "]}}\n");
    f.close();
    ImportLimits l;
    l.maxNamesPerEntity = 20;
    auto r = importList(ListFormat::FtmJson, {f.fileName()}, {}, l);
    QVERIFY(!r);
    QCOMPARE(r.error().extra.value(u"limit"_s).toString(), u"names_per_entity"_s);
    QVERIFY2(r.error().message.contains(u"opensanctions:NK-2"_s), qPrintable(r.error().message));
    l.maxNamesPerEntity = 30;
    QVERIFY(importList(ListFormat::FtmJson, {f.fileName()}, {}, l));
}

// A file over the size limit is refused before it is read.
void TestImportLimits::fileSize()
{
    const QString sdn = test::sharedDir() + u"/data/sanctions/ofac_sdn_csv/2024-05-03_full/sdn.csv"_s;
    ImportLimits l;
    l.maxFileBytes = 1'000'000;
    auto r = importList(ListFormat::OfacSdnCsv, {sdn}, {}, l);
    QVERIFY(!r);
    QCOMPARE(r.error().extra.value(u"limit"_s).toString(), u"file_size"_s);
    QVERIFY2(r.error().message.contains(u"sdn.csv: over the file size limit (1000000 bytes)"_s), qPrintable(r.error().message));
    auto tabular = importTabular(u"pep_us_congress"_s,
                                 {test::sharedDir() + u"/data/pep/us_congress_legislators/legislators-current.yaml"_s}, {}, l);
    QVERIFY(!tabular);
    QCOMPARE(tabular.error().extra.value(u"limit"_s).toString(), u"file_size"_s);
}

// 200 000 lines that each open a quote in a CSV whose quoted fields may span lines: each unclosed quote costs
// its own line (as before) without a scan to the end of the file per line. The test has no timer: before the
// fix this input took hours, which the ctest timeout turns into a failure.
void TestImportLimits::quotesDoNotMakeCsvQuadratic()
{
    QTemporaryDir dir;
    QFile f(dir.filePath(u"csl.csv"_s));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(kCslHead);
    f.write("1,Denied Persons List (DPL) - Bureau of Industry and Security,,,,JOHN DOE" + QByteArray(23, ',') + "\n");
    for (int i = 0; i < 200'000; ++i)
        f.write("\"x\n");
    f.close();
    auto r = importList(ListFormat::CslCsv, {f.fileName()});
    QVERIFY(!r); // mostly malformed
    QVERIFY2(r.error().message.contains(u"malformed"_s), qPrintable(r.error().message));
}

void TestImportLimits::yamlSubset_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("limits");
    QTest::addColumn<QString>("expected");

    QTest::newRow("depth 10 within 10") << u"a:\n b:\n  c:\n   d:\n    e:\n     f:\n      g:\n       h:\n        i: 1\n"_s
                                        << u"depth=10"_s << QString();
    QTest::newRow("block depth") << QString(u"- "_s.repeated(100) + u"x\n"_s) << QString() << u"nesting_depth"_s;
    QTest::newRow("flow depth") << QString(u"a: "_s + u"["_s.repeated(100) + u"]"_s.repeated(100)) << QString()
                                << u"nesting_depth"_s;
    QTest::newRow("mapping depth") << [] {
        QString t;
        for (int i = 0; i < 100; ++i)
            t += QString(i, u' ') + u"k:\n"_s;
        return t;
    }() << QString() << u"nesting_depth"_s;
    QTest::newRow("items") << u"- 1\n- 2\n- 3\n- 4\n"_s << u"records=3"_s << u"record_count"_s;
    QTest::newRow("keys") << u"a: 1\nb: 2\nc: 3\n"_s << u"fields=2"_s << u"fields_per_record"_s;
    QTest::newRow("line") << u"a: 0123456789\n"_s << u"line=10"_s << u"line_length"_s;
    QTest::newRow("plain scalar over lines") << u"a: 0123\n  4567\n  89AB\n"_s << u"field=10"_s << u"field_length"_s;
    QTest::newRow("quoted scalar over lines") << u"a: \"0123\n  4567\n  89AB\"\n"_s << u"field=10"_s << u"field_length"_s;
    QTest::newRow("block scalar") << u"a: |\n  0123\n  4567\n  89AB\n"_s << u"field=10"_s << u"field_length"_s;
    QTest::newRow("flow over lines") << u"a: [0123,\n  4567,\n  89AB]\n"_s << u"field=10"_s << u"field_length"_s;
    QTest::newRow("quoted scalar closing later") << u"a: \"one\n  two\"\nb: 2\n"_s << QString() << QString();
    QTest::newRow("anchor") << u"a: &x 1\n"_s << QString() << u"anchors"_s;
    QTest::newRow("alias") << u"a: *x\n"_s << QString() << u"aliases"_s;
}

void TestImportLimits::yamlSubset()
{
    QFETCH(QString, text);
    QFETCH(QString, limits);
    QFETCH(QString, expected);
    auto r = detail::parseYamlSubset(text, nullptr, limitsFrom(limits));
    if (expected.isEmpty()) {
        QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
        return;
    }
    QVERIFY(!r);
    if (expected.contains(u'_')) {
        QCOMPARE(r.error().extra.value(u"limit"_s).toString(), expected);
        QVERIFY2(r.error().message.startsWith(u"line "_s), qPrintable(r.error().message));
    } else {
        QVERIFY2(r.error().message.contains(expected), qPrintable(r.error().message));
    }
}

// The mapping document itself (the tabular mapping reader) is held to the JSON limits.
void TestImportLimits::mappingDocument()
{
    QFile shipped(u":/screening/sources/pep_us_congress.json"_s);
    (void)detail::tabularMappingIds(); // registers the resources
    QVERIFY(shipped.open(QIODevice::ReadOnly));
    const QByteArray good = shipped.readAll();
    QVERIFY(detail::TabularMappingSet::fromBytes(good));
    const QByteArray deepJson = "{\"id\":" + QByteArray(100'000, '[') + QByteArray(100'000, ']') + "}";
    auto deep = detail::TabularMappingSet::fromBytes(deepJson);
    QVERIFY(!deep);
    QVERIFY2(deep.error().message.contains(u"nesting depth"_s), qPrintable(deep.error().message));
    QVERIFY(!detail::TabularMappingSet::fromBytes("{\"id\": \"x\""));
    QVERIFY(!detail::TabularMappingSet::fromBytes("[]"));
}

void TestImportLimits::jsonParse_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("expected"); // the limit key, "syntax", or empty when it parses

    QTest::newRow("32 levels") << QByteArray(QByteArray(31, '[') + "{}" + QByteArray(31, ']')) << QString();
    QTest::newRow("33 levels") << QByteArray(QByteArray(32, '[') + "{}" + QByteArray(32, ']')) << u"json_depth"_s;
    QTest::newRow("200 000 levels") << QByteArray(QByteArray(200'000, '[') + QByteArray(200'000, ']')) << u"json_depth"_s;
    QTest::newRow("unclosed 200 000 levels") << QByteArray(200'000, '{') << u"json_depth"_s;
    QTest::newRow("brackets inside strings do not count")
        << QByteArray("{\"a\":\"" + QByteArray(1000, '[') + "\\\"\"}") << QString();
    QTest::newRow("long string") << QByteArray("{\"a\":\"" + QByteArray(2 << 20, 'x') + "\"}") << u"json_string_length"_s;
    QTest::newRow("long key") << QByteArray("{\"" + QByteArray(2 << 20, 'x') + "\":1}") << u"json_string_length"_s;
    QTest::newRow("many members") << QByteArray("[" + repeated("1,", 100'000) + "1]") << u"json_members"_s;
    QTest::newRow("100 000 members") << QByteArray("[" + repeated("1,", 99'999) + "1]") << QString();
    QTest::newRow("many keys") << QByteArray("{" + [] {
        QByteArray o;
        for (int i = 0; i <= 100'000; ++i)
            o += (i ? ",\"k" : "\"k") + QByteArray::number(i) + "\":true";
        return o;
    }() + "}") << u"json_members"_s;
    QTest::newRow("syntax") << QByteArray("{\"a\":}") << u"syntax"_s;
    QTest::newRow("NUL") << QByteArray("{\"a\":\"\0\"}", 9) << u"syntax"_s;
    QTest::newRow("invalid UTF-8") << QByteArray("{\"a\":\"\xC3\x28\"}") << u"syntax"_s;
}

void TestImportLimits::jsonParse()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, expected);
    auto r = json::parse(text);
    if (expected.isEmpty()) {
        QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
        return;
    }
    QVERIFY(!r);
    QCOMPARE(r.error().code, ErrorCode::Validation);
    if (expected == u"syntax") {
        QVERIFY2(r.error().message.startsWith(u"Malformed JSON"_s), qPrintable(r.error().message));
    } else {
        QCOMPARE(r.error().extra.value(u"limit"_s).toString(), expected);
        QVERIFY2(r.error().message.contains(u"limit"_s), qPrintable(r.error().message));
    }
}

// Every shipped file measured against the defaults with room to spare: a tenth of each limit.
void TestImportLimits::shippedListsFitTheDefaults()
{
    const ImportLimits l;
    QDirIterator it(test::sharedDir() + u"/data"_s, QDir::Files, QDirIterator::Subdirectories);
    int files = 0;
    while (it.hasNext()) {
        QFile f(it.next());
        if (f.fileName().endsWith(u".xlsx"_s))
            continue;
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        ++files;
        QVERIFY2(bytes.size() * 10 < l.maxFileBytes, qPrintable(f.fileName()));
        qsizetype longest = 0;
        for (const QByteArray &line : bytes.split('\n'))
            longest = std::max(longest, line.size());
        QVERIFY2(longest * 10 < l.maxLineChars, qPrintable(f.fileName()));
        if (f.fileName().endsWith(u".json"_s) || f.fileName().endsWith(u".jsonl"_s)) {
            const json::JsonShape shape = json::measure(bytes, l.maxDepth);
            QVERIFY2(shape.depth * 4 < l.maxDepth, qPrintable(f.fileName()));
            QVERIFY2(shape.longestString * 10 < l.maxFieldChars, qPrintable(f.fileName()));
        }
    }
    QVERIFY(files > 30);
}

QTEST_GUILESS_MAIN(TestImportLimits)
#include "tst_import_limits.moc"
