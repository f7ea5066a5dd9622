// Sanctions-list importers on the real files of ../shared/data/sanctions: entity counts as PROVENANCE.md
// states them (or as measured, cross-checked here against the raw file by an independent count), spot
// checks of well-known entries read off the raw files, malformed rows, non-list files and progress.
#include "backend/screening/importers.h"

#include <QElapsedTimer>
#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

using namespace kyc;
using namespace kyc::screening;

Q_DECLARE_METATYPE(kyc::screening::ListFormat)

namespace {

QString sanctionsDir()
{
    return QStringLiteral(KYC_SHARED_DIR) + QStringLiteral("/data/sanctions/");
}

QString dataPath(const QString &relative)
{
    return sanctionsDir() + relative;
}

QStringList dataPaths(const QString &folder, const QStringList &names)
{
    QStringList out;
    for (const QString &n : names)
        out.append(dataPath(folder + u'/' + n));
    return out;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

QList<QByteArray> rawLines(const QString &path)
{
    QList<QByteArray> lines = readAll(path).split('\n');
    for (QByteArray &l : lines) {
        if (l.endsWith('\r'))
            l.chop(1);
    }
    return lines;
}

// Independent of the importer's CSV reader: OFAC lines start with the ent_num, the primary file's name is one
// quoted field and the type comes third.
struct OfacRaw {
    QSet<QByteArray> entNums;
    int individuals = 0, vessels = 0, aircraft = 0, organizations = 0;
};

OfacRaw ofacPrimaryRaw(const QString &path)
{
    static const QRegularExpression row(QStringLiteral("^(\\d+),\"(?:[^\"]|\"\")*\",(?:\"([a-z]+)\"|-0- ?),"));
    OfacRaw raw;
    for (const QByteArray &line : rawLines(path)) {
        const QRegularExpressionMatch m = row.match(QString::fromLatin1(line));
        if (!m.hasMatch())
            continue;
        raw.entNums.insert(m.captured(1).toLatin1());
        const QString type = m.captured(2);
        if (type == u"individual")
            ++raw.individuals;
        else if (type == u"vessel")
            ++raw.vessels;
        else if (type == u"aircraft")
            ++raw.aircraft;
        else
            ++raw.organizations;
    }
    return raw;
}

QByteArray leadingEntNum(const QByteArray &line)
{
    const qsizetype comma = line.indexOf(',');
    return comma > 0 ? line.left(comma) : QByteArray();
}

const Entity *findEntity(const ImportResult &r, const QString &id)
{
    for (const Entity &e : r.entities) {
        if (e.id == id)
            return &e;
    }
    return nullptr;
}

const Name *findName(const Entity &e, const QString &name)
{
    for (const Name &n : e.names) {
        if (n.full.compare(name, Qt::CaseInsensitive) == 0)
            return &n;
    }
    return nullptr;
}

bool hasIdentifier(const Entity &e, const QString &kind, const QString &value, const QString &country = {})
{
    for (const Identifier &i : e.identifiers) {
        if (i.kind == kind && i.value == value && (country.isEmpty() || i.country == country))
            return true;
    }
    return false;
}

bool hasBirthDate(const Entity &e, int year, int month = 0, int day = 0, int toYear = 0)
{
    for (const BirthDate &d : e.birthDates) {
        if (d.year == year && d.month == month && d.day == day && d.toYear == toYear)
            return true;
    }
    return false;
}

QMap<EntityType, int> typeCounts(const ImportResult &r)
{
    QMap<EntityType, int> counts;
    for (const Entity &e : r.entities)
        ++counts[e.type];
    return counts;
}

void checkCommonInvariants(const ImportResult &r, const QString &source)
{
    QSet<QString> ids;
    qint64 names = 0;
    for (const Entity &e : r.entities) {
        QVERIFY2(e.id.startsWith(source + u':'), qPrintable(e.id));
        QCOMPARE(e.source, source);
        QVERIFY2(!ids.contains(e.id), qPrintable(QStringLiteral("duplicate id ") + e.id));
        ids.insert(e.id);
        QVERIFY2(!e.names.isEmpty() && e.names.first().primary, qPrintable(e.id));
        for (qsizetype i = 1; i < e.names.size(); ++i)
            QVERIFY2(!e.names[i].primary, qPrintable(e.id));
        for (const QString &c : e.countries)
            QVERIFY2(c.size() == 2 && c == c.toUpper(), qPrintable(e.id + u' ' + c));
        for (const BirthDate &d : e.birthDates)
            QVERIFY2(d.isValid() && (d.toYear == 0 || d.toYear > d.year), qPrintable(e.id));
        QVERIFY2(!e.topics.isEmpty(), qPrintable(e.id));
        names += e.names.size();
    }
    QCOMPARE(r.nameCount, names);
}

Result<ImportResult> importFiles(ListFormat format, const QStringList &files)
{
    return importList(format, files);
}

} // namespace

class TestImporters final : public QObject
{
    Q_OBJECT

private slots:
    void formatNames();
    void ofacSdn_data();
    void ofacSdn();
    void ofacSdnSpotChecks();
    void ofacRemarksContinuation();
    void ofacOneWeekChange();
    void ofacCons_data();
    void ofacCons();
    void un_data();
    void un();
    void unSpotChecks();
    void euFsf_data();
    void euFsf();
    void euFsfSpotChecks();
    void uk_data();
    void uk();
    void ukSpotChecks();
    void bisDpl_data();
    void bisDpl();
    void bisDplIdsAreStable();
    void csl_data();
    void csl();
    void ftm_data();
    void ftm();
    void malformedRowsAreReported_data();
    void malformedRowsAreReported();
    void notAListIsAnError_data();
    void notAListIsAnError();
    void progressReachesTotal();
    void importAllShippedLists();
};

void TestImporters::formatNames()
{
    const QList<ListFormat> all{ListFormat::OfacSdnCsv, ListFormat::OfacConsCsv, ListFormat::UnXml,  ListFormat::EuFsfXml,
                                ListFormat::UkXml,      ListFormat::BisDplTxt,   ListFormat::CslCsv, ListFormat::FtmJson};
    const QStringList names{QStringLiteral("ofac_sdn_csv"), QStringLiteral("ofac_cons_csv"), QStringLiteral("un_xml"),
                            QStringLiteral("eu_fsf_xml"),   QStringLiteral("uk_xml"),        QStringLiteral("bis_dpl_txt"),
                            QStringLiteral("csl_csv"),      QStringLiteral("ftm_json")};
    for (qsizetype i = 0; i < all.size(); ++i) {
        QCOMPARE(formatName(all[i]), names[i]);
        QVERIFY(parseFormat(names[i]) == all[i]);
    }
    QVERIFY(!parseFormat(QStringLiteral("nope")));
}

// --- OFAC SDN --------------------------------------------------------------------------------------

void TestImporters::ofacSdn_data()
{
    QTest::addColumn<QStringList>("files");
    QTest::addColumn<int>("entities");
    // Type counts; -1 = PROVENANCE.md gives none, then the independent raw count is the reference.
    QTest::addColumn<int>("individuals");
    QTest::addColumn<int>("vessels");
    QTest::addColumn<int>("aircraft");
    QTest::addColumn<int>("organizations");
    // The add/alt/comments files as PROVENANCE.md describes them (-1: not stated):
    // {alt rows, entities with alt rows, add rows, entities with add rows, comment rows}.
    QTest::addColumn<QList<int>>("parts");

    const QString sdn0503 = QStringLiteral("ofac_sdn_csv/2024-05-03_full");
    const QStringList fullSet{QStringLiteral("sdn.csv"), QStringLiteral("add.csv"), QStringLiteral("alt.csv"),
                              QStringLiteral("sdn_comments.csv")};
    QTest::newRow("2024-05-03_full") << dataPaths(sdn0503, {QStringLiteral("sdn.csv")}) << 14965 << 6854 << 851 << 376 << 6884
                                     << QList<int>{0, 0, 0, 0, 0};
    // PROVENANCE gives only the total; measured 6,820 / 835 / 383 / 6,630.
    QTest::newRow("2024-04-26_full") << dataPaths(QStringLiteral("ofac_sdn_csv/2024-04-26_full"), {QStringLiteral("sdn.csv")})
                                     << 14668 << -1 << -1 << -1 << -1 << QList<int>{0, 0, 0, 0, 0};
    QTest::newRow("2021-07-07_full_set") << dataPaths(QStringLiteral("ofac_sdn_csv/2021-07-07_full_set"), fullSet) << 8976 << 4620
                                         << 406 << 277 << 3673 << QList<int>{11910, 4139, 13837, 8976, 5};
    // Measured 4 / 4 / 2 / 7; 9 of its add/alt rows are for entities outside the 17.
    QTest::newRow("fixture_2025-05_watchman_ofactest")
        << dataPaths(QStringLiteral("ofac_sdn_csv/fixture_2025-05_watchman_ofactest"), fullSet) << 17 << -1 << -1 << -1 << -1
        << QList<int>{18, -1, 28, -1, 1};
    // The 2025-02 set has no sdn.csv of its own; against the 2024-05-03 list its rows for entities that
    // list does not hold must come back as problems, not vanish.
    QTest::newRow("2025-02-27_partial+2024-05-03_sdn")
        << (dataPaths(QStringLiteral("ofac_sdn_csv/2025-02-27_partial"),
                      {QStringLiteral("add.csv"), QStringLiteral("alt.csv"), QStringLiteral("sdn_comments.csv")})
            + dataPaths(sdn0503, {QStringLiteral("sdn.csv")}))
        << 14965 << 6854 << 851 << 376 << 6884 << QList<int>{19486, 8191, 22641, 16989, 21};
    QTest::newRow("2023-12-22_comments+2024-05-03_sdn")
        << (dataPaths(QStringLiteral("ofac_sdn_csv/2023-12-22_sdn_comments_only"), {QStringLiteral("sdn_comments.csv")})
            + dataPaths(sdn0503, {QStringLiteral("sdn.csv")}))
        << 14965 << 6854 << 851 << 376 << 6884 << QList<int>{0, 0, 0, 0, 13};
}

void TestImporters::ofacSdn()
{
    QFETCH(QStringList, files);
    QFETCH(int, entities);
    QFETCH(int, individuals);
    QFETCH(int, vessels);
    QFETCH(int, aircraft);
    QFETCH(int, organizations);
    QFETCH(QList<int>, parts);

    auto r = importFiles(ListFormat::OfacSdnCsv, files);
    QVERIFY2(r.has_value(), qPrintable(r ? QString() : r.error().message));
    checkCommonInvariants(*r, QStringLiteral("ofac_sdn"));

    QString primaryPath;
    for (const QString &f : files) {
        if (f.endsWith(u"/sdn.csv"))
            primaryPath = f;
    }
    const OfacRaw raw = ofacPrimaryRaw(primaryPath);
    QCOMPARE(r->entities.size(), entities);
    QCOMPARE(qsizetype(raw.entNums.size()), qsizetype(entities));
    const auto counts = typeCounts(*r);
    QCOMPARE(counts.value(EntityType::Person), raw.individuals);
    QCOMPARE(counts.value(EntityType::Vessel), raw.vessels);
    QCOMPARE(counts.value(EntityType::Aircraft), raw.aircraft);
    QCOMPARE(counts.value(EntityType::Organization), raw.organizations);
    if (individuals >= 0) {
        QCOMPARE(counts.value(EntityType::Person), individuals);
        QCOMPARE(counts.value(EntityType::Vessel), vessels);
        QCOMPARE(counts.value(EntityType::Aircraft), aircraft);
        QCOMPARE(counts.value(EntityType::Organization), organizations);
    }
    QCOMPARE(counts.value(EntityType::Unknown), 0);

    // Rows of add/alt/comments files for an ent_num the primary file lacks are the only problems.
    QStringList expectedProblems;
    QHash<QByteArray, QSet<QString>> altNames;
    QHash<QByteArray, QStringList> comments;
    QSet<QByteArray> withAddress;
    qsizetype addressRows = 0;
    QList<int> rawParts{0, 0, 0, 0, 0};
    QSet<QByteArray> altEntities;
    QSet<QByteArray> addEntities;
    static const QRegularExpression altRow(QStringLiteral("^(\\d+),\\d+,\"[a-z]+\",\"(.*)\",(?:-0- ?|\".*\")$"));
    static const QRegularExpression commentRow(QStringLiteral("^(\\d+),\"(.*)\"$"));
    static const QRegularExpression emptyAddress(QStringLiteral("^\\d+,\\d+,-0- ?,-0- ?,-0- ?,"));
    for (const QString &f : files) {
        if (f == primaryPath)
            continue;
        const QList<QByteArray> lines = rawLines(f);
        for (qsizetype i = 0; i < lines.size(); ++i) {
            const QByteArray entNum = leadingEntNum(lines[i]);
            if (entNum.isEmpty())
                continue;
            const QString line = QString::fromLatin1(lines[i]);
            if (f.endsWith(u"alt.csv")) {
                ++rawParts[0];
                altEntities.insert(entNum);
            } else if (f.endsWith(u"add.csv")) {
                ++rawParts[2];
                addEntities.insert(entNum);
            } else {
                ++rawParts[4];
            }
            if (!raw.entNums.contains(entNum)) {
                expectedProblems.append(QFileInfo(f).fileName() + u':' + QString::number(i + 1));
                continue;
            }
            if (f.endsWith(u"alt.csv")) {
                const QRegularExpressionMatch m = altRow.match(line);
                QVERIFY2(m.hasMatch(), qPrintable(line));
                altNames[entNum].insert(m.captured(2).replace(QStringLiteral("\"\""), QStringLiteral("\"")));
            } else if (f.endsWith(u"add.csv")) {
                if (!emptyAddress.match(line).hasMatch()) {
                    withAddress.insert(entNum);
                    ++addressRows;
                }
            } else {
                const QRegularExpressionMatch m = commentRow.match(line);
                QVERIFY2(m.hasMatch(), qPrintable(line));
                comments[entNum].append(m.captured(2));
            }
        }
    }
    rawParts[1] = int(altEntities.size());
    rawParts[3] = int(addEntities.size());
    for (qsizetype i = 0; i < parts.size(); ++i) {
        if (parts[i] >= 0)
            QCOMPARE(rawParts[i], parts[i]);
    }
    QStringList problems;
    for (const ImportProblem &p : r->problems)
        problems.append(p.message.section(u':', 0, 0) + u':' + QString::number(p.line));
    expectedProblems.sort();
    problems.sort();
    QCOMPARE(problems, expectedProblems);

    // Every alias row is on its entity as a strong name, every non-empty address row gave an address and
    // every remarks continuation is in the remarks.
    qsizetype entitiesWithAddress = 0;
    qsizetype addresses = 0;
    for (const Entity &e : r->entities) {
        const QByteArray entNum = e.id.section(u':', 1).toLatin1();
        for (const QString &alias : altNames.value(entNum)) {
            const Name *n = findName(e, alias.simplified());
            QVERIFY2(n && !n->weak, qPrintable(e.id + u' ' + alias));
        }
        for (const QString &comment : comments.value(entNum))
            QVERIFY2(e.remarks.contains(comment.trimmed()), qPrintable(e.id));
        if (!e.addresses.isEmpty())
            ++entitiesWithAddress;
        addresses += e.addresses.size();
    }
    QCOMPARE(entitiesWithAddress, qsizetype(withAddress.size()));
    QCOMPARE(addresses, addressRows);
    QVERIFY(r->publicationDate.isEmpty()); // the legacy CSV carries no date
}

void TestImporters::ofacSdnSpotChecks()
{
    auto r = importFiles(ListFormat::OfacSdnCsv, {dataPath(QStringLiteral("ofac_sdn_csv/2024-05-03_full/sdn.csv"))});
    QVERIFY(r);

    // 306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",…,"a.k.a. 'BNC'."
    const Entity *bnc = findEntity(*r, QStringLiteral("ofac_sdn:306"));
    QVERIFY(bnc);
    QCOMPARE(bnc->type, EntityType::Organization);
    QCOMPARE(bnc->primaryName(), QStringLiteral("BANCO NACIONAL DE CUBA"));
    QCOMPARE(bnc->programs, QStringList{QStringLiteral("CUBA")});
    QCOMPARE(bnc->topics, QStringList{QStringLiteral("sanction")});
    const Name *weak = findName(*bnc, QStringLiteral("BNC"));
    QVERIFY(weak && weak->weak);

    // 2676,"AL ZAWAHIRI, Dr. Ayman","individual","SDGT",…,"DOB 19 Jun 1951; POB Giza, Egypt; Passport 1084010 (Egypt); alt.
    // Passport 19820215; …"
    const Entity *zawahiri = findEntity(*r, QStringLiteral("ofac_sdn:2676"));
    QVERIFY(zawahiri);
    QCOMPARE(zawahiri->type, EntityType::Person);
    QCOMPARE(zawahiri->primaryName(), QStringLiteral("AL ZAWAHIRI, Dr. Ayman"));
    QVERIFY(hasBirthDate(*zawahiri, 1951, 6, 19));
    QVERIFY(hasIdentifier(*zawahiri, QStringLiteral("passport"), QStringLiteral("1084010"), QStringLiteral("EG")));
    QVERIFY(hasIdentifier(*zawahiri, QStringLiteral("passport"), QStringLiteral("19820215")));
    QCOMPARE(zawahiri->countries, QStringList{QStringLiteral("EG")}); // the passport's, not the place of birth's

    // 16129,"RICCIO, Mario",…"DOB 28 Jun 1991; POB Mugnano di Napoli, Italy." — a place of birth is not a nationality.
    const Entity *riccio = findEntity(*r, QStringLiteral("ofac_sdn:16129"));
    QVERIFY(riccio);
    QVERIFY(riccio->countries.isEmpty());
    QVERIFY(hasBirthDate(*riccio, 1991, 6, 28));

    // 22790,"MADURO MOROS, Nicolas","individual","VENEZUELA] [IRAN-CON-ARMS-EO",…"DOB 23 Nov 1962; …; citizen Venezuela; Gender
    // Male; Cedula No. 5892464 (Venezuela); …"
    const Entity *maduro = findEntity(*r, QStringLiteral("ofac_sdn:22790"));
    QVERIFY(maduro);
    QCOMPARE(maduro->programs, (QStringList{QStringLiteral("VENEZUELA"), QStringLiteral("IRAN-CON-ARMS-EO")}));
    QCOMPARE(maduro->countries, QStringList{QStringLiteral("VE")});
    QCOMPARE(maduro->gender, QStringLiteral("male"));
    QVERIFY(hasBirthDate(*maduro, 1962, 11, 23));
    QVERIFY(hasIdentifier(*maduro, QStringLiteral("national_id"), QStringLiteral("5892464"), QStringLiteral("VE")));

    // 4243,"EBANO","vessel","CUBA",…,"Panama",…,"Vessel Registration Identification IMO 7406784; f.k.a. 'ANA I'; f.k.a. 'SAND
    // SWAN'."
    const Entity *ebano = findEntity(*r, QStringLiteral("ofac_sdn:4243"));
    QVERIFY(ebano);
    QCOMPARE(ebano->type, EntityType::Vessel);
    QVERIFY(hasIdentifier(*ebano, QStringLiteral("imo"), QStringLiteral("IMO 7406784")));
    QCOMPARE(ebano->countries, QStringList{QStringLiteral("PA")}); // the flag
    QVERIFY(findName(*ebano, QStringLiteral("SAND SWAN")) && findName(*ebano, QStringLiteral("SAND SWAN"))->weak);

    // 25308,"YAN, Xiaobing",…"DOB 25 Mar 1977; …; citizen China; Gender Male; Digital Currency Address - XBT
    // 12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h; …"
    const Entity *yan = findEntity(*r, QStringLiteral("ofac_sdn:25308"));
    QVERIFY(yan);
    QVERIFY(hasIdentifier(*yan, QStringLiteral("crypto"), QStringLiteral("12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h")));
    QVERIFY(hasIdentifier(*yan, QStringLiteral("crypto"), QStringLiteral("1Kuf2Rd8mDyAViwBozGTNYnvWL8uYFrkVo")));
    QCOMPARE(yan->countries, QStringList{QStringLiteral("CN")});
    QVERIFY(hasBirthDate(*yan, 1977, 3, 25));

    // 15431,"EP-GOM","aircraft","SDGT",…
    const Entity *aircraft = findEntity(*r, QStringLiteral("ofac_sdn:15431"));
    QVERIFY(aircraft);
    QCOMPARE(aircraft->type, EntityType::Aircraft);

    // The complete 2021 set: alt.csv aliases are strong, add.csv gives addresses and their countries.
    auto set = importFiles(ListFormat::OfacSdnCsv,
                           dataPaths(QStringLiteral("ofac_sdn_csv/2021-07-07_full_set"),
                                     {QStringLiteral("sdn.csv"), QStringLiteral("alt.csv"), QStringLiteral("add.csv")}));
    QVERIFY(set);
    const Entity *bnc2021 = findEntity(*set, QStringLiteral("ofac_sdn:306"));
    QVERIFY(bnc2021);
    const Name *nbc = findName(*bnc2021, QStringLiteral("NATIONAL BANK OF CUBA"));
    QVERIFY(nbc && !nbc->weak);
    QVERIFY(bnc2021->addresses.contains(QStringLiteral("Zweierstrasse 35, Zurich CH-8022, Switzerland")));
    for (const char16_t *c : {u"CH", u"ES", u"JP", u"PA"})
        QVERIFY(bnc2021->countries.contains(QString::fromUtf16(c)));
}

void TestImporters::ofacRemarksContinuation()
{
    const QString sdn = dataPath(QStringLiteral("ofac_sdn_csv/2024-05-03_full/sdn.csv"));
    // TORNADO CASH's remarks stop at "…alt. Digital Currency A"; the 2023 continuation begins "ddress - ETH 0x4736…".
    auto alone = importFiles(ListFormat::OfacSdnCsv, {sdn});
    auto joined = importFiles(ListFormat::OfacSdnCsv,
                              {dataPath(QStringLiteral("ofac_sdn_csv/2023-12-22_sdn_comments_only/sdn_comments.csv")), sdn});
    QVERIFY(alone && joined);
    const QString continued = QStringLiteral("0x4736dCf1b7A3d580672CcE6E7c65cd5cc9cFBa9D");
    const Entity *tornado = findEntity(*joined, QStringLiteral("ofac_sdn:39796"));
    QVERIFY(tornado);
    QCOMPARE(tornado->primaryName(), QStringLiteral("TORNADO CASH"));
    QVERIFY(hasIdentifier(*tornado, QStringLiteral("crypto"), QStringLiteral("0x12D66f87A04A9E220743712cE6d9bB1B5616B8Fc")));
    QVERIFY(hasIdentifier(*tornado, QStringLiteral("crypto"), continued));
    QVERIFY(!hasIdentifier(*findEntity(*alone, QStringLiteral("ofac_sdn:39796")), QStringLiteral("crypto"), continued));

    // watchman's reference case: XBT 12VrYZgS1nmf9KHHped24xBb1aLLRpV2cT → 36216 HYDRA MARKET, from the 2025 continuation;
    // the address cut at the 1,000-character boundary ("1B11Ezqg3AXj" + "FhMdRq5…") is joined whole.
    auto hydraSet = importFiles(ListFormat::OfacSdnCsv,
                                {sdn, dataPath(QStringLiteral("ofac_sdn_csv/2025-02-27_partial/sdn_comments.csv"))});
    QVERIFY(hydraSet);
    const Entity *hydra = findEntity(*hydraSet, QStringLiteral("ofac_sdn:36216"));
    QVERIFY(hydra);
    QCOMPARE(hydra->primaryName(), QStringLiteral("HYDRA MARKET"));
    QVERIFY(hasIdentifier(*hydra, QStringLiteral("crypto"), QStringLiteral("12VrYZgS1nmf9KHHped24xBb1aLLRpV2cT")));
    QVERIFY(hasIdentifier(*hydra, QStringLiteral("crypto"), QStringLiteral("1B11Ezqg3AXjFhMdRq5UpPDpNyriYNVtkn")));

    // Without its sdn.csv an OFAC set cannot be imported.
    auto partialOnly
        = importFiles(ListFormat::OfacSdnCsv,
                      dataPaths(QStringLiteral("ofac_sdn_csv/2025-02-27_partial"),
                                {QStringLiteral("add.csv"), QStringLiteral("alt.csv"), QStringLiteral("sdn_comments.csv")}));
    QVERIFY(!partialOnly);
    QCOMPARE(partialOnly.error().code, ErrorCode::Validation);
    QVERIFY2(partialOnly.error().message.contains(u"sdn.csv"), qPrintable(partialOnly.error().message));
}

void TestImporters::ofacOneWeekChange()
{
    // PROVENANCE: 2024-04-26 → 2024-05-03 is a real one-week change, 305 entries added, 8 removed, none edited in place.
    auto before = importFiles(ListFormat::OfacSdnCsv, {dataPath(QStringLiteral("ofac_sdn_csv/2024-04-26_full/sdn.csv"))});
    auto after = importFiles(ListFormat::OfacSdnCsv, {dataPath(QStringLiteral("ofac_sdn_csv/2024-05-03_full/sdn.csv"))});
    QVERIFY(before && after);
    auto fingerprint = [](const Entity &e) {
        QStringList parts{entityTypeName(e.type), e.remarks, e.programs.join(u','), e.countries.join(u','), e.gender};
        for (const Name &n : e.names)
            parts.append(n.full + (n.weak ? QStringLiteral("/w") : QString()));
        for (const Identifier &i : e.identifiers)
            parts.append(i.kind + u'=' + i.value + u'@' + i.country);
        for (const BirthDate &d : e.birthDates)
            parts.append(QStringLiteral("%1-%2-%3-%4").arg(d.year).arg(d.month).arg(d.day).arg(d.toYear));
        return parts.join(u'|');
    };
    QHash<QString, QString> old;
    for (const Entity &e : before->entities)
        old.insert(e.id, fingerprint(e));
    int added = 0;
    int changed = 0;
    QSet<QString> seen;
    for (const Entity &e : after->entities) {
        seen.insert(e.id);
        const auto it = old.constFind(e.id);
        if (it == old.cend())
            ++added;
        else if (*it != fingerprint(e))
            ++changed;
    }
    int removed = 0;
    for (auto it = old.cbegin(); it != old.cend(); ++it)
        removed += seen.contains(it.key()) ? 0 : 1;
    QCOMPARE(added, 305);
    QCOMPARE(removed, 8);
    QCOMPARE(changed, 0);
}

// --- OFAC consolidated -------------------------------------------------------------------------------

void TestImporters::ofacCons_data()
{
    QTest::addColumn<QStringList>("files");
    QTest::newRow("2025-12-19") << dataPaths(QStringLiteral("ofac_cons_csv/2025-12-19"),
                                             {QStringLiteral("cons_prim.csv"), QStringLiteral("cons_add.csv"),
                                              QStringLiteral("cons_alt.csv"), QStringLiteral("cons_comments.csv")});
}

void TestImporters::ofacCons()
{
    QFETCH(QStringList, files);
    auto r = importFiles(ListFormat::OfacConsCsv, files);
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    checkCommonInvariants(*r, QStringLiteral("ofac_cons"));
    QVERIFY(r->problems.isEmpty());
    // PROVENANCE: 442 entries (individual 79, entity 363); UKRAINE-EO13662 286, RUSSIA-EO14024 93, NS-PLC 78, CMIC-EO13959 68.
    QCOMPARE(r->entities.size(), 442);
    const auto counts = typeCounts(*r);
    QCOMPARE(counts.value(EntityType::Person), 79);
    QCOMPARE(counts.value(EntityType::Organization), 363);
    const OfacRaw raw = ofacPrimaryRaw(files.first());
    QCOMPARE(raw.individuals, 79);
    QCOMPARE(raw.organizations, 363);
    QMap<QString, int> programs;
    for (const Entity &e : r->entities) {
        for (const QString &p : e.programs)
            ++programs[p];
    }
    QCOMPARE(programs.value(QStringLiteral("UKRAINE-EO13662")), 286);
    QCOMPARE(programs.value(QStringLiteral("RUSSIA-EO14024")), 93);
    QCOMPARE(programs.value(QStringLiteral("NS-PLC")), 78);
    QCOMPARE(programs.value(QStringLiteral("CMIC-EO13959")), 68);
    // cons_alt.csv has 1,073 rows for 395 entities; each is on its entity.
    QSet<QString> withAlias;
    for (const QByteArray &line : rawLines(files[2])) {
        if (!leadingEntNum(line).isEmpty())
            withAlias.insert(QStringLiteral("ofac_cons:") + QString::fromLatin1(leadingEntNum(line)));
    }
    QCOMPARE(withAlias.size(), 395);
    for (const QString &id : withAlias) {
        const Entity *e = findEntity(*r, id);
        QVERIFY2(e && e->names.size() >= 2, qPrintable(id));
    }
    // PROVENANCE: cons_add 574 rows, cons_alt 1,073, cons_comments 10.
    auto rows = [](const QString &path) {
        int n = 0;
        for (const QByteArray &line : rawLines(path))
            n += leadingEntNum(line).isEmpty() ? 0 : 1;
        return n;
    };
    QCOMPARE(rows(files[1]), 574);
    QCOMPARE(rows(files[2]), 1073);
    QCOMPARE(rows(files[3]), 10);
    int strongAliases = 0;
    for (const Entity &e : r->entities) {
        for (const Name &n : e.names)
            strongAliases += (!n.primary && !n.weak) ? 1 : 0;
    }
    QCOMPARE(strongAliases, 1073 - 2); // two alias rows repeat their entity's primary name
}

// --- UN ------------------------------------------------------------------------------------------

void TestImporters::un_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("individuals");
    QTest::addColumn<int>("entities");
    QTest::addColumn<QString>("published");
    QTest::newRow("2026-02-27") << dataPath(QStringLiteral("un_consolidated_xml/2026-02-27/UN_consolidated.xml")) << 730 << 273
                                << QStringLiteral("2026-02-27");
}

void TestImporters::un()
{
    QFETCH(QString, file);
    QFETCH(int, individuals);
    QFETCH(int, entities);
    QFETCH(QString, published);
    auto r = importFiles(ListFormat::UnXml, {file});
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    checkCommonInvariants(*r, QStringLiteral("un"));
    QVERIFY(r->problems.isEmpty());
    QCOMPARE(r->entities.size(), individuals + entities);
    const auto counts = typeCounts(*r);
    QCOMPARE(counts.value(EntityType::Person), individuals);
    QCOMPARE(counts.value(EntityType::Organization), entities);
    const QByteArray raw = readAll(file);
    QCOMPARE(int(raw.count("<INDIVIDUAL>")), individuals);
    QCOMPARE(int(raw.count("<ENTITY>")), entities);
    QCOMPARE(r->publicationDate, published);
    // NATIONALITY appears for 625 individuals (PROVENANCE); all but "former Soviet Union" and "na" are mapped.
    int withNationality = 0;
    for (const Entity &e : r->entities) {
        if (e.type == EntityType::Person && (!e.countries.isEmpty() || e.remarks.contains(u"Nationality:")))
            ++withNationality;
    }
    QVERIFY(withNationality >= 625);
}

void TestImporters::unSpotChecks()
{
    auto r = importFiles(ListFormat::UnXml, {dataPath(QStringLiteral("un_consolidated_xml/2026-02-27/UN_consolidated.xml"))});
    QVERIFY(r);

    const Entity *badege = findEntity(*r, QStringLiteral("un:CDi.001"));
    QVERIFY(badege);
    QCOMPARE(badege->primaryName(), QStringLiteral("ERIC BADEGE"));
    QCOMPARE(badege->type, EntityType::Person);
    QCOMPARE(badege->gender, QStringLiteral("male"));
    QVERIFY(hasBirthDate(*badege, 1971));
    QCOMPARE(badege->countries, (QStringList{QStringLiteral("CD"), QStringLiteral("RW")}));
    QCOMPARE(badege->listedOn, QStringLiteral("2012-12-31"));
    QCOMPARE(badege->programs, QStringList{QStringLiteral("DRC")});

    const Entity *iyamuremye = findEntity(*r, QStringLiteral("un:CDi.003"));
    QVERIFY(iyamuremye);
    QVERIFY(findName(*iyamuremye, QStringLiteral("Rumuli"))->weak);
    QVERIFY(!findName(*iyamuremye, QStringLiteral("Victor Rumuri"))->weak);

    // BETWEEN 1973 and 1974, address in Belgium, Low-quality "Lydia".
    const Entity *ntaganda = findEntity(*r, QStringLiteral("un:CDi.030"));
    QVERIFY(ntaganda);
    QCOMPARE(ntaganda->primaryName(), QStringLiteral("BOSCO TAGANDA"));
    QVERIFY(hasBirthDate(*ntaganda, 1973, 0, 0, 1974));
    QVERIFY(ntaganda->countries.contains(QStringLiteral("BE")));
    QVERIFY(findName(*ntaganda, QStringLiteral("Lydia"))->weak);

    // National Identification Number (FARDC ID) 1-78-09-44621-80.
    const Entity *cdi019 = findEntity(*r, QStringLiteral("un:CDi.019"));
    QVERIFY(cdi019);
    QVERIFY(hasIdentifier(*cdi019, QStringLiteral("national_id"), QStringLiteral("1-78-09-44621-80")));

    // NAME_ORIGINAL_SCRIPT becomes an Arabic-script alias.
    const Entity *saddam = findEntity(*r, QStringLiteral("un:IQi.001"));
    QVERIFY(saddam);
    QCOMPARE(saddam->primaryName(), QStringLiteral("SADDAM HUSSEIN AL-TIKRITI"));
    const Name *arabic = findName(*saddam, QStringLiteral("صدام حسين التكريتي"));
    QVERIFY(arabic);
    QCOMPARE(arabic->script, QStringLiteral("Arab"));
    QVERIFY(hasBirthDate(*saddam, 1937, 4, 28));
    QCOMPARE(saddam->countries, QStringList{QStringLiteral("IQ")});

    // An alias with its own DATE_OF_BIRTH ("Jang Hyon U", 1958-02-22) next to the DOB 1957-04-15.
    const Entity *jang = findEntity(*r, QStringLiteral("un:KPi.016"));
    QVERIFY(jang);
    QVERIFY(findName(*jang, QStringLiteral("Jang Hyon U")));
    QVERIFY(hasBirthDate(*jang, 1958, 2, 22));
    QVERIFY(hasBirthDate(*jang, 1957, 4, 15));

    const Entity *adf = findEntity(*r, QStringLiteral("un:CDe.001"));
    QVERIFY(adf);
    QCOMPARE(adf->type, EntityType::Organization);
    QCOMPARE(adf->primaryName(), QStringLiteral("ADF"));
    QVERIFY(!findName(*adf, QStringLiteral("Allied Democratic Forces"))->weak);
    QVERIFY(findName(*adf, QStringLiteral("NALU")));
}

// --- EU FSF --------------------------------------------------------------------------------------

void TestImporters::euFsf_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("ids");
    QTest::newRow("excerpt_2026-08-05_GSmiguel")
        << dataPath(QStringLiteral("eu_fsf_xml/excerpt_2026-08-05_GSmiguel/sample_eu_fsf.xml"))
        << QStringList{QStringLiteral("eu_fsf:191"), QStringLiteral("eu_fsf:521"), QStringLiteral("eu_fsf:3822"),
                       QStringLiteral("eu_fsf:6106"), QStringLiteral("eu_fsf:6177")};
}

void TestImporters::euFsf()
{
    QFETCH(QString, file);
    QFETCH(QStringList, ids);
    auto r = importFiles(ListFormat::EuFsfXml, {file});
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    checkCommonInvariants(*r, QStringLiteral("eu_fsf"));
    QVERIFY(r->problems.isEmpty());
    QStringList got;
    for (const Entity &e : r->entities)
        got.append(e.id);
    QCOMPARE(got, ids);
    QCOMPARE(r->publicationDate, QStringLiteral("2026-08-05"));
    // 45 nameAlias elements (PROVENANCE); every wholeName is on its entity, duplicates only once.
    const QString raw = QString::fromUtf8(readAll(file));
    static const QRegularExpression wholeName(QStringLiteral("wholeName=\"([^\"]*)\""));
    int aliases = 0;
    QSet<QString> distinct;
    for (auto it = wholeName.globalMatch(raw); it.hasNext();) {
        const QString name = it.next().captured(1).replace(QStringLiteral("&quot;"), QStringLiteral("\"")).simplified();
        ++aliases;
        distinct.insert(name.toLower());
        bool found = false;
        for (const Entity &e : r->entities)
            found = found || findName(e, name);
        QVERIFY2(found, qPrintable(name));
    }
    QCOMPARE(aliases, 45);
    QCOMPARE(r->nameCount, qint64(distinct.size()));
}

void TestImporters::euFsfSpotChecks()
{
    auto r = importFiles(ListFormat::EuFsfXml,
                         {dataPath(QStringLiteral("eu_fsf_xml/excerpt_2026-08-05_GSmiguel/sample_eu_fsf.xml"))});
    QVERIFY(r);
    const Entity *ksm = findEntity(*r, QStringLiteral("eu_fsf:191"));
    QVERIFY(ksm);
    QCOMPARE(ksm->type, EntityType::Person);
    QCOMPARE(ksm->primaryName(), QStringLiteral("Khalid Sheikh MOHAMMED")); // the oldest alias, logicalId 289
    QVERIFY(hasBirthDate(*ksm, 1965, 4, 14));
    QVERIFY(hasBirthDate(*ksm, 1964, 3, 1));
    QVERIFY(hasIdentifier(*ksm, QStringLiteral("passport"), QStringLiteral("488555"), QString()));
    QCOMPARE(ksm->gender, QStringLiteral("male"));
    QCOMPARE(ksm->programs, QStringList{QStringLiteral("TERR")});

    const Entity *jan = findEntity(*r, QStringLiteral("eu_fsf:521"));
    QVERIFY(jan);
    QVERIFY(hasBirthDate(*jan, 1953, 0, 0, 1958));
    QCOMPARE(jan->countries, QStringList{QStringLiteral("AF")});
    QCOMPARE(jan->listedOn, QStringLiteral("2001-01-25"));

    const Entity *parchin = findEntity(*r, QStringLiteral("eu_fsf:3822"));
    QVERIFY(parchin);
    QCOMPARE(parchin->type, EntityType::Organization);
    QCOMPARE(parchin->primaryName(), QStringLiteral("Parchin Chemical Industries (PCI)"));
    const Name *farsi = findName(*parchin, QStringLiteral("صنایع شیمیایی پارچین"));
    QVERIFY(farsi);
    QCOMPARE(farsi->script, QStringLiteral("Arab"));
    QCOMPARE(parchin->countries, QStringList{QStringLiteral("IR")});
    QVERIFY(hasIdentifier(*parchin, QStringLiteral("registration"), QStringLiteral("892")));

    const Entity *asiri = findEntity(*r, QStringLiteral("eu_fsf:6177"));
    QVERIFY(asiri);
    QCOMPARE(asiri->primaryName(), QStringLiteral("Ibrahim Hassan Tali Al-Asiri"));
    QVERIFY(findName(*asiri, QStringLiteral("Abu-Salaah"))->weak); // remark "low quality alias"
    QVERIFY(!findName(*asiri, QStringLiteral("Ibrahim al-'Asiri"))->weak);
    QVERIFY(hasIdentifier(*asiri, QStringLiteral("passport"), QStringLiteral("F654645"), QStringLiteral("SA")));
    QVERIFY(hasIdentifier(*asiri, QStringLiteral("national_id"), QStringLiteral("1028745097"), QStringLiteral("SA")));
    QVERIFY(hasBirthDate(*asiri, 1982, 4, 19));
    QVERIFY(!hasBirthDate(*asiri, 1402, 6, 24)); // the ISLAMIC calendar record counts by its Gregorian date
    QCOMPARE(asiri->countries, (QStringList{QStringLiteral("SA"), QStringLiteral("YE")}));
}

// --- UK ------------------------------------------------------------------------------------------

void TestImporters::uk_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("ids");
    QTest::newRow("excerpt_2026-09-10_GSmiguel")
        << dataPath(QStringLiteral("uk_sanctions_list_xml/excerpt_2026-09-10_GSmiguel/sample_uk_sanctions.xml"))
        << QStringList{QStringLiteral("uk_hmt:AFG0001"), QStringLiteral("uk_hmt:AFG0006"), QStringLiteral("uk_hmt:BEL0107"),
                       QStringLiteral("uk_hmt:DPR0075"), QStringLiteral("uk_hmt:AQD0195")};
}

void TestImporters::uk()
{
    QFETCH(QString, file);
    QFETCH(QStringList, ids);
    auto r = importFiles(ListFormat::UkXml, {file});
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    checkCommonInvariants(*r, QStringLiteral("uk_hmt"));
    QVERIFY(r->problems.isEmpty());
    QStringList got;
    for (const Entity &e : r->entities)
        got.append(e.id);
    QCOMPARE(got, ids);
    QCOMPARE(int(readAll(file).count("<Designation>")), ids.size());
    QCOMPARE(r->publicationDate, QStringLiteral("2026-09-10"));
}

void TestImporters::ukSpotChecks()
{
    auto r = importFiles(ListFormat::UkXml,
                         {dataPath(QStringLiteral("uk_sanctions_list_xml/excerpt_2026-09-10_GSmiguel/sample_uk_sanctions.xml"))});
    QVERIFY(r);
    const Entity *akhund = findEntity(*r, QStringLiteral("uk_hmt:AFG0006"));
    QVERIFY(akhund);
    QCOMPARE(akhund->type, EntityType::Person);
    QCOMPARE(akhund->primaryName(), QStringLiteral("MOHAMMAD HASSAN AKHUND"));
    QVERIFY(findName(*akhund, QStringLiteral("Mohammad Akhwand")));
    QCOMPARE(findName(*akhund, QStringLiteral("محمد حسن آخوند"))->script, QStringLiteral("Arab"));
    QVERIFY(hasBirthDate(*akhund, 1958, 5, 12));
    QVERIFY(hasBirthDate(*akhund, 1945));
    QVERIFY(hasBirthDate(*akhund, 1946));
    QCOMPARE(akhund->countries, QStringList{QStringLiteral("AF")});
    QCOMPARE(akhund->identifiers.size(), 2); // the passport is listed twice
    QVERIFY(hasIdentifier(*akhund, QStringLiteral("passport"), QStringLiteral("P04581926")));
    QVERIFY(hasIdentifier(*akhund, QStringLiteral("national_id"), QStringLiteral("2132370")));
    QCOMPARE(akhund->listedOn, QStringLiteral("2001-01-25"));
    QCOMPARE(akhund->gender, QStringLiteral("male"));

    const Entity *bnk = findEntity(*r, QStringLiteral("uk_hmt:BEL0107"));
    QVERIFY(bnk);
    QCOMPARE(bnk->type, EntityType::Organization);
    QVERIFY(findName(*bnk, QStringLiteral("BNK"))->weak);
    QVERIFY(!findName(*bnk, QStringLiteral("BNK UK Limited"))->weak);
    QCOMPARE(bnk->countries, QStringList{QStringLiteral("GB")});

    const Entity *petrel = findEntity(*r, QStringLiteral("uk_hmt:DPR0075"));
    QVERIFY(petrel);
    QCOMPARE(petrel->type, EntityType::Vessel);
    QVERIFY(hasIdentifier(*petrel, QStringLiteral("imo"), QStringLiteral("IMO 9562233")));
    QCOMPARE(petrel->countries, QStringList{QStringLiteral("KM")});

    const Entity *harun = findEntity(*r, QStringLiteral("uk_hmt:AQD0195"));
    QVERIFY(harun);
    QCOMPARE(harun->primaryName(), QStringLiteral("Fadhil Harun"));
    QVERIFY(hasBirthDate(*harun, 1972));
}

// --- BIS DPL -------------------------------------------------------------------------------------

void TestImporters::bisDpl_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("rows");
    QTest::addColumn<QString>("lastUpdate");
    QTest::newRow("2019-07") << dataPath(QStringLiteral("us_bis_dpl_txt/2019-07/dpl.txt")) << 546 << QStringLiteral("2019-06-12");
    QTest::newRow("2022-09") << dataPath(QStringLiteral("us_bis_dpl_txt/2022-09/dpl.txt")) << 581 << QStringLiteral("2022-09-02");
}

void TestImporters::bisDpl()
{
    QFETCH(QString, file);
    QFETCH(int, rows);
    QFETCH(QString, lastUpdate);
    auto r = importFiles(ListFormat::BisDplTxt, {file});
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    checkCommonInvariants(*r, QStringLiteral("us_bis_dpl"));
    QVERIFY(r->problems.isEmpty());
    QCOMPARE(r->entities.size(), rows);
    int nonEmpty = 0;
    for (const QByteArray &l : rawLines(file))
        nonEmpty += l.trimmed().isEmpty() ? 0 : 1;
    QCOMPARE(nonEmpty - 1, rows); // minus the header
    QCOMPARE(r->publicationDate, lastUpdate); // typo dates (3017-08-22, 2922-09-01) ignored

    // The same file imported again gives the same ids.
    auto again = importFiles(ListFormat::BisDplTxt, {file});
    QVERIFY(again);
    for (qsizetype i = 0; i < r->entities.size(); ++i)
        QCOMPARE(again->entities[i].id, r->entities[i].id);

    for (const Entity &e : r->entities) {
        QCOMPARE(e.topics, (QStringList{QStringLiteral("debarment"), QStringLiteral("export.control")}));
        QVERIFY(!e.primaryName().startsWith(u' ')); // " I. ASH"
    }
    bool ash = false;
    bool pearl = false;
    for (const Entity &e : r->entities) {
        if (e.primaryName() == u"I. ASH" && e.addresses.value(0).contains(u"SEAGOVILLE")) {
            ash = true;
            QCOMPARE(e.countries, QStringList{QStringLiteral("US")});
            QCOMPARE(e.listedOn, QStringLiteral("2003-06-19"));
        }
        if (e.primaryName() == u"PEARL (A.K.A. NEI-CHIEN CHU) LI") {
            pearl = true;
            QVERIFY(!findName(e, QStringLiteral("NEI-CHIEN CHU"))->weak);
            QVERIFY(findName(e, QStringLiteral("PEARL LI")));
        }
    }
    QVERIFY(ash && pearl);
}

void TestImporters::bisDplIdsAreStable()
{
    // A denial that did not change between the 2019 and 2022 files keeps its id, so a list delta sees no change.
    auto y2019 = importFiles(ListFormat::BisDplTxt, {dataPath(QStringLiteral("us_bis_dpl_txt/2019-07/dpl.txt"))});
    auto y2022 = importFiles(ListFormat::BisDplTxt, {dataPath(QStringLiteral("us_bis_dpl_txt/2022-09/dpl.txt"))});
    QVERIFY(y2019 && y2022);
    QHash<QString, QString> ids2022;
    for (const Entity &e : y2022->entities)
        ids2022.insert(e.id, e.primaryName());
    int kept = 0;
    for (const Entity &e : y2019->entities) {
        if (ids2022.contains(e.id)) {
            ++kept;
            QCOMPARE(ids2022.value(e.id), e.primaryName());
        }
        if (e.primaryName() == u"I. ASH" && e.addresses.value(0).contains(u"SEAGOVILLE"))
            QVERIFY(ids2022.contains(e.id));
    }
    // Independently: rows whose name, address and effective date appear in both files (as often as in both).
    auto keys = [](const QString &path) {
        QHash<QString, int> out;
        const QList<QByteArray> lines = rawLines(path);
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QList<QByteArray> fields = lines[i].split('\t');
            if (fields.size() < 7)
                continue;
            QStringList key;
            for (int f = 0; f < 7; ++f)
                key.append(QString::fromLatin1(fields[f]).remove(u'"').simplified().toUpper());
            ++out[key.join(u'|')];
        }
        return out;
    };
    const QHash<QString, int> k2019 = keys(dataPath(QStringLiteral("us_bis_dpl_txt/2019-07/dpl.txt")));
    const QHash<QString, int> k2022 = keys(dataPath(QStringLiteral("us_bis_dpl_txt/2022-09/dpl.txt")));
    int expected = 0;
    for (auto it = k2019.cbegin(); it != k2019.cend(); ++it)
        expected += std::min(it.value(), k2022.value(it.key()));
    QCOMPARE(kept, expected);
    qInfo("BIS DPL 2019-07 -> 2022-09: %d of %lld entities keep their id", kept, qlonglong(y2019->entities.size()));
}

// --- CSL -----------------------------------------------------------------------------------------

void TestImporters::csl_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("rows");
    QTest::addColumn<QStringList>("sources");
    QTest::newRow("2019-12") << dataPath(QStringLiteral("us_csl_csv/2019-12/csl.csv")) << 115
                             << QStringList{QStringLiteral("CAP"), QStringLiteral("DPL"), QStringLiteral("DTC"),
                                            QStringLiteral("EL"),  QStringLiteral("ISN"), QStringLiteral("PLC"),
                                            QStringLiteral("SDN"), QStringLiteral("SSI"), QStringLiteral("UVL")};
    QTest::newRow("2025-06_fixture") << dataPath(QStringLiteral("us_csl_csv/2025-06_fixture/consolidated.csv")) << 13
                                     << QStringList{};
}

void TestImporters::csl()
{
    QFETCH(QString, file);
    QFETCH(int, rows);
    QFETCH(QStringList, sources);
    auto r = importFiles(ListFormat::CslCsv, {file});
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    checkCommonInvariants(*r, QStringLiteral("us_csl"));
    QVERIFY(r->problems.isEmpty());
    QCOMPARE(r->entities.size(), rows);
    int nonEmpty = 0;
    for (const QByteArray &l : rawLines(file))
        nonEmpty += l.trimmed().isEmpty() ? 0 : 1;
    QCOMPARE(nonEmpty - 1, rows); // no field of these files spans lines
    if (!sources.isEmpty()) {
        QSet<QString> got;
        static const QRegularExpression abbr(QStringLiteral("List: .*\\(([A-Z]+)\\)"));
        for (const Entity &e : r->entities)
            got.insert(abbr.match(e.remarks).captured(1));
        QStringList sorted(got.begin(), got.end());
        sorted.sort();
        QCOMPARE(sorted, sources);
    }

    if (file.endsWith(u"csl.csv")) {
        const Entity *psa = findEntity(*r, QStringLiteral("us_csl:20264"));
        QVERIFY(psa);
        QCOMPARE(psa->primaryName(), QStringLiteral("200G PSA HOLDINGS LLC"));
        QCOMPARE(psa->type, EntityType::Organization);
        QVERIFY(hasIdentifier(*psa, QStringLiteral("tax_id"), QStringLiteral("80-0890696"), QStringLiteral("US")));
        QCOMPARE(psa->countries, QStringList{QStringLiteral("US")});
        const Entity *canada = findEntity(*r, QStringLiteral("us_csl:8124"));
        QVERIFY(canada);
        QVERIFY(findName(*canada, QStringLiteral("CARIBE SOL")));
        QVERIFY(findName(*canada, QStringLiteral("HAVANTUR CANADA INC.")));
        // A DPL party without entity_number is known by list and name.
        QVERIFY(findEntity(*r, QStringLiteral("us_csl:DPL:ADRIAN MANUEL HERNANDEZ")));
        QCOMPARE(findEntity(*r, QStringLiteral("us_csl:DPL:ADRIAN MANUEL HERNANDEZ"))->topics,
                 (QStringList{QStringLiteral("debarment"), QStringLiteral("export.control")}));
    } else {
        const Entity *rim = findEntity(*r, QStringLiteral("us_csl:52291"));
        QVERIFY(rim);
        QCOMPARE(rim->primaryName(), QStringLiteral("RIM, Ryong Nam"));
        QCOMPARE(rim->type, EntityType::Person);
        QVERIFY(hasIdentifier(*rim, QStringLiteral("passport"), QStringLiteral("836238033"), QStringLiteral("KP")));
        QVERIFY(hasBirthDate(*rim, 1978, 12, 5));
        QCOMPARE(rim->gender, QStringLiteral("male"));
        QCOMPARE(rim->countries, (QStringList{QStringLiteral("KP"), QStringLiteral("CN")}));
        QCOMPARE(rim->topics, QStringList{QStringLiteral("sanction")});
    }
}

// --- OpenSanctions FtM -----------------------------------------------------------------------------

void TestImporters::ftm_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("persons");
    QTest::addColumn<int>("organizations");
    QTest::addColumn<QString>("lastSeen");
    // zala: 14 of 91 records are targets (Person 6, Company 8); t1: 6 of 7 (Person 4, Organization 2).
    QTest::newRow("yente_zala_fixture") << dataPath(QStringLiteral("opensanctions_ftm_json/yente_zala_fixture/entities.ftm.json"))
                                        << 6 << 8 << QStringLiteral("2026-04-29");
    QTest::newRow("yente_t1_fixture") << dataPath(QStringLiteral("opensanctions_ftm_json/yente_t1_fixture/entities.ftm.json"))
                                      << 4 << 2 << QStringLiteral("2024-06-01");
}

void TestImporters::ftm()
{
    QFETCH(QString, file);
    QFETCH(int, persons);
    QFETCH(int, organizations);
    QFETCH(QString, lastSeen);
    auto r = importFiles(ListFormat::FtmJson, {file});
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    checkCommonInvariants(*r, QStringLiteral("opensanctions"));
    QVERIFY(r->problems.isEmpty());
    const auto counts = typeCounts(*r);
    QCOMPARE(counts.value(EntityType::Person), persons);
    QCOMPARE(counts.value(EntityType::Organization), organizations);
    QCOMPARE(r->entities.size(), persons + organizations);
    static const QRegularExpression target(QStringLiteral("\"target\":\\s*true"));
    int targets = 0;
    for (const QByteArray &l : rawLines(file))
        targets += target.match(QString::fromUtf8(l)).hasMatch() ? 1 : 0;
    QCOMPARE(targets, persons + organizations);
    QCOMPARE(r->publicationDate, lastSeen);

    if (file.contains(u"zala")) {
        const Entity *zakharov = findEntity(*r, QStringLiteral("opensanctions:NK-aU5ybkbRFJucf8YMwsJvDw"));
        QVERIFY(zakharov);
        QCOMPARE(zakharov->primaryName(), QStringLiteral("Alexander Vyacheslavovich ZAKHAROV"));
        QVERIFY(hasBirthDate(*zakharov, 1965, 9, 21));
        QCOMPARE(zakharov->countries.first(), QStringLiteral("RU"));
        QVERIFY(zakharov->topics.contains(QStringLiteral("sanction")));
        QVERIFY(zakharov->programs.contains(QStringLiteral("EU-UKR"))); // from its Sanction records
        const Entity *cst = findEntity(*r, QStringLiteral("opensanctions:NK-abdzbEBkqyT29GyREbiURZ"));
        QVERIFY(cst);
        QCOMPARE(cst->type, EntityType::Organization);
        QCOMPARE(cst->primaryName(), QStringLiteral("LLC CST"));
        QVERIFY(!findEntity(*r, QStringLiteral("opensanctions:ru-inn-5920040846"))); // not a target
    }
}

// --- damaged and foreign files ---------------------------------------------------------------------

void TestImporters::malformedRowsAreReported_data()
{
    QTest::addColumn<ListFormat>("format");
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<int>("line"); // 1-based line to replace
    QTest::addColumn<QByteArray>("replacement");
    QTest::addColumn<int>("problemLine");

    const QString fixture = QStringLiteral("ofac_sdn_csv/fixture_2025-05_watchman_ofactest/sdn.csv");
    QTest::newRow("ofac unterminated quote") << ListFormat::OfacSdnCsv << fixture << QStringLiteral("sdn.csv") << 5
                                             << QByteArray("12345,\"BROKEN NAME,-0- ,\"SDGT\"\r") << 5;
    QTest::newRow("ofac too few fields") << ListFormat::OfacSdnCsv << fixture << QStringLiteral("sdn.csv") << 9
                                         << QByteArray("99999,\"SHORT ROW\",-0- \r") << 9;
    QTest::newRow("ofac ent_num not a number")
        << ListFormat::OfacSdnCsv << fixture << QStringLiteral("sdn.csv") << 12
        << QByteArray("X12,\"NAME\",-0- ,\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r") << 12;
    QTest::newRow("dpl missing columns") << ListFormat::BisDplTxt << QStringLiteral("us_bis_dpl_txt/2019-07/dpl.txt")
                                         << QStringLiteral("dpl.txt") << 100 << QByteArray("\"JOHN DOE\"\t\"1 MAIN ST\"") << 100;
    QTest::newRow("csl broken quote") << ListFormat::CslCsv << QStringLiteral("us_csl_csv/2025-06_fixture/consolidated.csv")
                                      << QStringLiteral("consolidated.csv") << 4 << QByteArray("\"abc\",\"Broken\"x,\"\"") << 4;
    // An opening quote without its closing one must cost only its own line, not the rest of the file.
    QTest::newRow("csl unterminated quote") << ListFormat::CslCsv << QStringLiteral("us_csl_csv/2025-06_fixture/consolidated.csv")
                                            << QStringLiteral("consolidated.csv") << 6 << QByteArray("\"zzz\",\"Unterminated")
                                            << 6;
    QTest::newRow("csl unterminated quote on the last line")
        << ListFormat::CslCsv << QStringLiteral("us_csl_csv/2019-12/csl.csv") << QStringLiteral("csl.csv") << 116
        << QByteArray("Denied Persons List (DPL) - Bureau of Industry and Security,,,,\"LAST ROW") << 116;
    QTest::newRow("ftm invalid json") << ListFormat::FtmJson
                                      << QStringLiteral("opensanctions_ftm_json/yente_t1_fixture/entities.ftm.json")
                                      << QStringLiteral("entities.ftm.json") << 3
                                      << QByteArray("{\"id\": \"NK-broken\", \"schema\": \"Person\"") << 3;
    // CDe.002 BUTEMBO AIRLINES (BAL) has no alias; without its FIRST_NAME (line 42431) the ENTITY (line 42428) has no name.
    QTest::newRow("un entity without a name")
        << ListFormat::UnXml << QStringLiteral("un_consolidated_xml/2026-02-27/UN_consolidated.xml")
        << QStringLiteral("UN_consolidated.xml") << 42431 << QByteArray("      <FIRST_NAME/>") << 42428;
    QTest::newRow("eu sanctionEntity without logicalId")
        << ListFormat::EuFsfXml << QStringLiteral("eu_fsf_xml/excerpt_2026-08-05_GSmiguel/sample_eu_fsf.xml")
        << QStringLiteral("sample_eu_fsf.xml") << 3
        << QByteArray("<sanctionEntity designationDetails=\"\" unitedNationId=\"\" euReferenceNumber=\"EU.3579.2\">") << 3;
}

void TestImporters::malformedRowsAreReported()
{
    QFETCH(ListFormat, format);
    QFETCH(QString, source);
    QFETCH(QString, fileName);
    QFETCH(int, line);
    QFETCH(QByteArray, replacement);
    QFETCH(int, problemLine);

    auto original = importFiles(format, {dataPath(source)});
    QVERIFY(original);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QList<QByteArray> lines = readAll(dataPath(source)).split('\n');
    QVERIFY(line <= lines.size());
    lines[line - 1] = replacement;
    const QString path = dir.filePath(fileName);
    QFile out(path);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(lines.join('\n'));
    out.close();

    auto r = importFiles(format, {path});
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(r->entities.size(), original->entities.size() - 1);
    QCOMPARE(r->problems.size(), original->problems.size() + 1);
    bool found = false;
    for (const ImportProblem &p : r->problems) {
        if (p.line == problemLine) {
            found = true;
            QVERIFY2(p.message.startsWith(fileName), qPrintable(p.message));
        }
    }
    QVERIFY2(found, qPrintable(QStringLiteral("no problem on line %1").arg(problemLine)));
}

void TestImporters::notAListIsAnError_data()
{
    QTest::addColumn<ListFormat>("format");
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<QByteArray>("content");

    const QByteArray png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89", 33);
    const QByteArray text("Lorem ipsum dolor sit amet,\nconsectetur adipiscing elit.\nSed do eiusmod tempor.\n");
    const QList<std::pair<ListFormat, QString>> formats{
        {ListFormat::OfacSdnCsv, QStringLiteral("sdn.csv")}, {ListFormat::OfacConsCsv, QStringLiteral("cons_prim.csv")},
        {ListFormat::UnXml, QStringLiteral("un.xml")},       {ListFormat::EuFsfXml, QStringLiteral("eu.xml")},
        {ListFormat::UkXml, QStringLiteral("uk.xml")},       {ListFormat::BisDplTxt, QStringLiteral("dpl.txt")},
        {ListFormat::CslCsv, QStringLiteral("csl.csv")},     {ListFormat::FtmJson, QStringLiteral("entities.ftm.json")},
    };
    for (const auto &[format, name] : formats) {
        QTest::addRow("%s png", qPrintable(formatName(format))) << format << name << png;
        QTest::addRow("%s text", qPrintable(formatName(format))) << format << name << text;
        QTest::addRow("%s empty", qPrintable(formatName(format))) << format << name << QByteArray();
    }
    // Another list's XML, the empty sdn.csv of a failed scrape, a truncated XML download, a JSON non-entity.
    QTest::newRow("uk file as un") << ListFormat::UnXml << QStringLiteral("un.xml")
                                   << readAll(dataPath(QStringLiteral(
                                          "uk_sanctions_list_xml/excerpt_2026-09-10_GSmiguel/sample_uk_sanctions.xml")));
    QTest::newRow("truncated un xml")
        << ListFormat::UnXml << QStringLiteral("un.xml")
        << readAll(dataPath(QStringLiteral("un_consolidated_xml/2026-02-27/UN_consolidated.xml"))).left(500000);
    QTest::newRow("csl as dpl") << ListFormat::BisDplTxt << QStringLiteral("dpl.txt")
                                << readAll(dataPath(QStringLiteral("us_csl_csv/2019-12/csl.csv")));
    QTest::newRow("dpl as csl") << ListFormat::CslCsv << QStringLiteral("csl.csv")
                                << readAll(dataPath(QStringLiteral("us_bis_dpl_txt/2019-07/dpl.txt")));
    QTest::newRow("json array as ftm") << ListFormat::FtmJson << QStringLiteral("x.json") << QByteArray("[1, 2, 3]\n");
    QTest::newRow("csl as ofac") << ListFormat::OfacSdnCsv << QStringLiteral("sdn.csv")
                                 << readAll(dataPath(QStringLiteral("us_csl_csv/2019-12/csl.csv")));
}

void TestImporters::notAListIsAnError()
{
    QFETCH(ListFormat, format);
    QFETCH(QString, fileName);
    QFETCH(QByteArray, content);
    QTemporaryDir dir;
    const QString path = dir.filePath(fileName);
    QFile out(path);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(content);
    out.close();
    auto r = importFiles(format, {path});
    QVERIFY2(!r, qPrintable(r ? QStringLiteral("imported %1 entities").arg(r->entities.size()) : QString()));
    QCOMPARE(r.error().code, ErrorCode::Validation);
    QVERIFY(!r.error().message.isEmpty());

    auto missing = importFiles(format, {dir.filePath(QStringLiteral("does-not-exist"))});
    QVERIFY(!missing);
    QCOMPARE(missing.error().code, ErrorCode::Validation);
}

void TestImporters::progressReachesTotal()
{
    const QStringList files = dataPaths(
        QStringLiteral("ofac_sdn_csv/2021-07-07_full_set"),
        {QStringLiteral("sdn.csv"), QStringLiteral("add.csv"), QStringLiteral("alt.csv"), QStringLiteral("sdn_comments.csv")});
    qint64 size = 0;
    for (const QString &f : files)
        size += QFileInfo(f).size();
    QList<std::pair<qint64, qint64>> calls;
    auto r = importList(ListFormat::OfacSdnCsv, files, [&](qint64 done, qint64 total) { calls.append({done, total}); });
    QVERIFY(r);
    QVERIFY(calls.size() >= 3);
    QCOMPARE(calls.first(), (std::pair<qint64, qint64>(0, size)));
    QCOMPARE(calls.last(), (std::pair<qint64, qint64>(size, size)));
    for (qsizetype i = 1; i < calls.size(); ++i) {
        QVERIFY(calls[i].first >= calls[i - 1].first);
        QCOMPARE(calls[i].second, size);
    }

    // Single-file formats too.
    const QString un = dataPath(QStringLiteral("un_consolidated_xml/2026-02-27/UN_consolidated.xml"));
    qint64 last = -1;
    qint64 lastTotal = -1;
    int count = 0;
    auto u = importList(ListFormat::UnXml, {un}, [&](qint64 done, qint64 total) {
        last = done;
        lastTotal = total;
        ++count;
    });
    QVERIFY(u);
    QVERIFY(count > 2);
    QCOMPARE(lastTotal, QFileInfo(un).size());
    QCOMPARE(last, lastTotal);
}

void TestImporters::importAllShippedLists()
{
    struct Job {
        ListFormat format;
        QStringList files;
    };
    const QList<Job> jobs{
        {ListFormat::OfacSdnCsv, {dataPath(QStringLiteral("ofac_sdn_csv/2024-05-03_full/sdn.csv"))}},
        {ListFormat::OfacSdnCsv, {dataPath(QStringLiteral("ofac_sdn_csv/2024-04-26_full/sdn.csv"))}},
        {ListFormat::OfacSdnCsv,
         dataPaths(QStringLiteral("ofac_sdn_csv/2021-07-07_full_set"),
                   {QStringLiteral("sdn.csv"), QStringLiteral("add.csv"), QStringLiteral("alt.csv"),
                    QStringLiteral("sdn_comments.csv")})},
        {ListFormat::OfacSdnCsv,
         dataPaths(QStringLiteral("ofac_sdn_csv/fixture_2025-05_watchman_ofactest"),
                   {QStringLiteral("sdn.csv"), QStringLiteral("add.csv"), QStringLiteral("alt.csv"),
                    QStringLiteral("sdn_comments.csv")})},
        {ListFormat::OfacConsCsv,
         dataPaths(QStringLiteral("ofac_cons_csv/2025-12-19"),
                   {QStringLiteral("cons_prim.csv"), QStringLiteral("cons_add.csv"), QStringLiteral("cons_alt.csv"),
                    QStringLiteral("cons_comments.csv")})},
        {ListFormat::UnXml, {dataPath(QStringLiteral("un_consolidated_xml/2026-02-27/UN_consolidated.xml"))}},
        {ListFormat::EuFsfXml, {dataPath(QStringLiteral("eu_fsf_xml/excerpt_2026-08-05_GSmiguel/sample_eu_fsf.xml"))}},
        {ListFormat::UkXml,
         {dataPath(QStringLiteral("uk_sanctions_list_xml/excerpt_2026-09-10_GSmiguel/sample_uk_sanctions.xml"))}},
        {ListFormat::BisDplTxt, {dataPath(QStringLiteral("us_bis_dpl_txt/2019-07/dpl.txt"))}},
        {ListFormat::BisDplTxt, {dataPath(QStringLiteral("us_bis_dpl_txt/2022-09/dpl.txt"))}},
        {ListFormat::CslCsv, {dataPath(QStringLiteral("us_csl_csv/2019-12/csl.csv"))}},
        {ListFormat::CslCsv, {dataPath(QStringLiteral("us_csl_csv/2025-06_fixture/consolidated.csv"))}},
        {ListFormat::FtmJson, {dataPath(QStringLiteral("opensanctions_ftm_json/yente_zala_fixture/entities.ftm.json"))}},
        {ListFormat::FtmJson, {dataPath(QStringLiteral("opensanctions_ftm_json/yente_t1_fixture/entities.ftm.json"))}},
    };
    QElapsedTimer timer;
    timer.start();
    qint64 entities = 0;
    qint64 names = 0;
    for (const Job &job : jobs) {
        QElapsedTimer one;
        one.start();
        auto r = importList(job.format, job.files);
        QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
        entities += r->entities.size();
        names += r->nameCount;
        qInfo().noquote() << QStringLiteral("%1 %2: %3 entities, %4 names, %5 problems, %6 ms")
                                 .arg(formatName(job.format), QFileInfo(job.files.first()).dir().dirName())
                                 .arg(r->entities.size())
                                 .arg(r->nameCount)
                                 .arg(r->problems.size())
                                 .arg(one.elapsed());
    }
    qInfo().noquote() << QStringLiteral("all shipped sanctions lists: %1 entities, %2 names in %3 ms")
                             .arg(entities)
                             .arg(names)
                             .arg(timer.elapsed());
}

QTEST_GUILESS_MAIN(TestImporters)
#include "tst_importers.moc"
