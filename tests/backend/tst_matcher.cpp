// Screening matcher: scoring properties on a hand-made list, then evaluation and latency over real lists
// (UN consolidated XML, OFAC SDN and consolidated CSV, BIS Denied Persons) read by minimal parsers below.
// The real importers live elsewhere; these parsers only take what the matcher needs.
#include "backend/screening/importers.h"
#include "backend/screening/matcher.h"
#include "backend/screening/nameindex.h"
#include "backend/screening/normalizer.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QXmlStreamReader>
#include <QtConcurrent/QtConcurrentMap>
#include <QtConcurrent/QtConcurrentRun>
#include <QtTest>

#include <algorithm>
#include <functional>
#include <optional>

using namespace kyc::screening;

namespace {

QString sharedPath(const char *relative)
{
    return QStringLiteral(KYC_SHARED_DIR "/") + QString::fromLatin1(relative);
}

Entity makeEntity(const char *id, EntityType type, QStringList names, QList<BirthDate> dobs = {}, QStringList countries = {},
                  QString gender = {}, QList<Identifier> ids = {})
{
    Entity e;
    e.id = QString::fromLatin1(id);
    e.source = e.id.section(QLatin1Char(':'), 0, 0);
    e.type = type;
    for (qsizetype i = 0; i < names.size(); ++i)
        e.names.append(Name{names.at(i), i == 0, false, {}});
    e.birthDates = std::move(dobs);
    e.countries = std::move(countries);
    e.gender = std::move(gender);
    e.identifiers = std::move(ids);
    e.topics = {QStringLiteral("sanction")};
    return e;
}

QList<Entity> handMadeEntities()
{
    using T = EntityType;
    const auto S = [](const char *s) { return QString::fromUtf8(s); };
    QList<Entity> list;
    list << makeEntity("t:putin", T::Person, {S("PUTIN, Vladimir Vladimirovich"), S("Путин Владимир Владимирович")},
                       {{1952, 10, 7, 0}}, {S("RU")}, S("male"), {{S("passport"), S("AB 123456"), S("RU")}});
    list << makeEntity("t:xyz", T::Organization, {S("XYZ TRADING CORP")});
    list << makeEntity("t:argument", T::Organization, {S("JSC ARGUMENT")});
    list << makeEntity("t:kim", T::Person, {S("KIM Jong Un"), S("Kim Jong-un")}, {{1984, 1, 8, 0}}, {S("KP")}, S("male"));
    list << makeEntity("t:romashka", T::Organization, {S("OOO ROMASHKA")}, {}, {S("RU")});
    list << makeEntity("t:ubl", T::Person, {S("USAMA BIN LADEN"), S("أسامة بن لادن")}, {{1957, 0, 0, 0}}, {S("SA")}, S("male"));
    list << makeEntity("t:evergiven", T::Vessel, {S("EVER GIVEN")}, {}, {S("PA")}, {}, {{S("imo"), S("IMO 9811000"), {}}});
    list << makeEntity("t:xi", T::Person, {S("XI Jinping")}, {{1953, 6, 15, 0}}, {S("CN")}, S("male"));
    list << makeEntity("t:mah", T::Person, {S("Mohammed Ali HASSAN")}, {{1970, 0, 0, 0}});
    list << makeEntity("t:abc", T::Organization, {S("ABC TRADING LLC")});
    list << makeEntity("t:smith", T::Person, {S("SMITH, John")}, {{1960, 1, 1, 0}}, {S("US")}, S("male"));
    list << makeEntity("t:global", T::Organization, {S("GLOBAL TRADING COMPANY")});
    list << makeEntity("t:garcia", T::Person, {S("Maria GARCIA LOPEZ")}, {{1955, 0, 0, 1957}}, {S("MX")}, S("female"));
    list << makeEntity("t:tornado", T::Organization, {S("TORNADO CASH")}, {}, {}, {},
                       {{S("crypto"), S("0x8589427373D6D84E98730D7795D8f6f8731FDA16"), {}}});
    list << makeEntity("t:acme", T::Organization, {S("ACME TRADING CORP")});
    list << makeEntity("t:delta", T::Organization, {S("DELTA TRADING CORP")});
    list << makeEntity("t:omega", T::Organization, {S("OMEGA CORP")});
    list << makeEntity("t:sigma", T::Organization, {S("SIGMA TRADING LTD")});
    list << makeEntity("t:qaduli", T::Person, {S("‘ABD AL-RAHMAN MUHAMMAD MUSTAFA AL-QADULI")}, {{1959, 0, 0, 0}}, {S("IQ")});
    list << makeEntity("t:hassan2", T::Person, {S("Hassan Ahmed MAHMOUD")}, {{1980, 5, 5, 0}});
    return list;
}

// ---- minimal list readers (test data only) ----

QList<Entity> readUn(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QXmlStreamReader xml(&f);
    QList<Entity> out;
    std::optional<Entity> current;
    QStringList nameParts(4);
    QString reference, aliasQuality, aliasName, docType, docNumber;
    BirthDate dob;
    QString section; // the element whose children we are in
    while (!xml.atEnd()) {
        xml.readNext();
        const QString tag = xml.name().toString();
        if (xml.isStartElement()) {
            if (tag == QLatin1String("INDIVIDUAL") || tag == QLatin1String("ENTITY")) {
                current = Entity{};
                current->type = tag == QLatin1String("INDIVIDUAL") ? EntityType::Person : EntityType::Organization;
                current->source = QStringLiteral("un");
                current->topics = {QStringLiteral("sanction")};
                nameParts = QStringList(4);
                reference.clear();
            } else if (!current) {
                continue;
            } else if (tag == QLatin1String("INDIVIDUAL_ALIAS") || tag == QLatin1String("ENTITY_ALIAS")) {
                section = tag;
                aliasQuality.clear();
                aliasName.clear();
            } else if (tag == QLatin1String("INDIVIDUAL_DATE_OF_BIRTH")) {
                section = tag;
                dob = {};
            } else if (tag == QLatin1String("INDIVIDUAL_DOCUMENT")) {
                section = tag;
                docType.clear();
                docNumber.clear();
            } else if (tag == QLatin1String("NATIONALITY")) {
                section = tag;
            } else if (tag == QLatin1String("INDIVIDUAL_ADDRESS") || tag == QLatin1String("ENTITY_ADDRESS")
                       || tag == QLatin1String("INDIVIDUAL_PLACE_OF_BIRTH")) {
                section = tag;
            } else {
                const QString text = xml.readElementText(QXmlStreamReader::IncludeChildElements).trimmed();
                if (tag == QLatin1String("FIRST_NAME"))
                    nameParts[0] = text;
                else if (tag == QLatin1String("SECOND_NAME"))
                    nameParts[1] = text;
                else if (tag == QLatin1String("THIRD_NAME"))
                    nameParts[2] = text;
                else if (tag == QLatin1String("FOURTH_NAME"))
                    nameParts[3] = text;
                else if (tag == QLatin1String("REFERENCE_NUMBER"))
                    reference = text;
                else if (tag == QLatin1String("GENDER"))
                    current->gender = text.toLower();
                else if (tag == QLatin1String("NAME_ORIGINAL_SCRIPT") && !text.isEmpty())
                    current->names.append(Name{text, false, false, {}});
                else if (tag == QLatin1String("QUALITY"))
                    aliasQuality = text;
                else if (tag == QLatin1String("ALIAS_NAME"))
                    aliasName = text;
                else if (tag == QLatin1String("VALUE") && section == QLatin1String("NATIONALITY")) {
                    const QString c = countryCode(text);
                    if (!c.isEmpty() && !current->countries.contains(c))
                        current->countries.append(c);
                } else if (section == QLatin1String("INDIVIDUAL_DATE_OF_BIRTH")) {
                    if (tag == QLatin1String("DATE")) {
                        const BirthDate b = parseBirthDate(text);
                        dob.year = b.year;
                        dob.month = b.month;
                        dob.day = b.day;
                    } else if (tag == QLatin1String("YEAR") || tag == QLatin1String("FROM_YEAR")) {
                        dob.year = text.toInt();
                    } else if (tag == QLatin1String("TO_YEAR")) {
                        dob.toYear = text.toInt();
                    }
                } else if (section == QLatin1String("INDIVIDUAL_DOCUMENT")) {
                    if (tag == QLatin1String("TYPE_OF_DOCUMENT"))
                        docType = text;
                    else if (tag == QLatin1String("NUMBER"))
                        docNumber = text;
                }
            }
        } else if (xml.isEndElement() && current) {
            if (tag == QLatin1String("INDIVIDUAL_ALIAS") || tag == QLatin1String("ENTITY_ALIAS")) {
                if (!aliasName.isEmpty()) {
                    const bool weak = aliasQuality.contains(QLatin1String("Low"), Qt::CaseInsensitive);
                    current->names.append(Name{aliasName, false, weak, {}});
                }
                section.clear();
            } else if (tag == QLatin1String("INDIVIDUAL_DATE_OF_BIRTH")) {
                if (dob.isValid())
                    current->birthDates.append(dob);
                section.clear();
            } else if (tag == QLatin1String("INDIVIDUAL_DOCUMENT")) {
                if (!docNumber.isEmpty())
                    current->identifiers.append({docType.contains(QLatin1String("Passport"), Qt::CaseInsensitive)
                                                     ? QStringLiteral("passport")
                                                     : QStringLiteral("national_id"),
                                                 docNumber,
                                                 {}});
                section.clear();
            } else if (tag == QLatin1String("NATIONALITY") || tag.endsWith(QLatin1String("ADDRESS"))
                       || tag == QLatin1String("INDIVIDUAL_PLACE_OF_BIRTH")) {
                section.clear();
            } else if (tag == QLatin1String("INDIVIDUAL") || tag == QLatin1String("ENTITY")) {
                QStringList parts;
                for (const QString &p : std::as_const(nameParts)) {
                    if (!p.isEmpty())
                        parts << p;
                }
                current->id = QStringLiteral("un:") + reference;
                current->names.prepend(Name{parts.join(QLatin1Char(' ')), true, false, {}});
                out.append(*current);
                current.reset();
            }
        }
    }
    return out;
}

QList<QStringList> readCsv(const QString &path, QChar separator = QLatin1Char(','))
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QString text = QString::fromUtf8(f.readAll());
    QList<QStringList> rows;
    QStringList row;
    QString field;
    bool quoted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (quoted) {
            if (c == QLatin1Char('"')) {
                if (i + 1 < text.size() && text.at(i + 1) == QLatin1Char('"')) {
                    field += c;
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                field += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == separator) {
            row << field.trimmed();
            field.clear();
        } else if (c == QLatin1Char('\n') || c == QLatin1Char('\r')) {
            if (c == QLatin1Char('\r') && i + 1 < text.size() && text.at(i + 1) == QLatin1Char('\n'))
                ++i;
            row << field.trimmed();
            field.clear();
            if (row.size() > 1 || !row.first().isEmpty())
                rows << row;
            row.clear();
        } else {
            field += c;
        }
    }
    if (!field.isEmpty() || !row.isEmpty()) {
        row << field.trimmed();
        rows << row;
    }
    return rows;
}

QString nullable(const QString &s)
{
    return s == QLatin1String("-0-") ? QString() : s;
}

// "DOB 10 Jul 1961; alt. DOB 1962; DOB circa 1960; DOB 1955 to 1957; DOB 01 Jan 1960 to 31 Dec 1962".
QList<BirthDate> ofacBirthDates(const QString &remarks)
{
    static const QStringList months
        = {QStringLiteral("jan"), QStringLiteral("feb"), QStringLiteral("mar"), QStringLiteral("apr"),
           QStringLiteral("may"), QStringLiteral("jun"), QStringLiteral("jul"), QStringLiteral("aug"),
           QStringLiteral("sep"), QStringLiteral("oct"), QStringLiteral("nov"), QStringLiteral("dec")};
    QList<BirthDate> out;
    const QRegularExpression re(QStringLiteral("DOB ([^;]*)"));
    for (auto it = re.globalMatch(remarks); it.hasNext();) {
        const QString value = it.next().captured(1);
        const QStringList halves = value.split(QStringLiteral(" to "));
        BirthDate b;
        for (qsizetype h = 0; h < halves.size() && h < 2; ++h) {
            int day = 0, month = 0, year = 0;
            for (const QString &w : halves.at(h).split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
                const QString t = w.toLower().remove(QLatin1Char('.'));
                bool ok = false;
                const int n = t.toInt(&ok);
                if (ok && t.size() == 4)
                    year = n;
                else if (ok && t.size() <= 2)
                    day = n;
                else if (months.contains(t.left(3)))
                    month = int(months.indexOf(t.left(3))) + 1;
            }
            if (h == 0) {
                b.year = year;
                b.month = halves.size() == 1 ? month : 0;
                b.day = halves.size() == 1 ? day : 0;
            } else if (year > b.year) {
                b.toYear = year;
            }
        }
        if (b.isValid())
            out << b;
    }
    return out;
}

void ofacExtras(Entity &e, const QString &remarks)
{
    e.birthDates = ofacBirthDates(remarks);
    if (remarks.contains(QLatin1String("Gender Male")))
        e.gender = QStringLiteral("male");
    else if (remarks.contains(QLatin1String("Gender Female")))
        e.gender = QStringLiteral("female");
    static const QRegularExpression passport(QStringLiteral("Passport ([A-Z0-9-]{5,})"));
    static const QRegularExpression imo(QStringLiteral("IMO (\\d{7})"));
    static const QRegularExpression crypto(QStringLiteral("Digital Currency Address - \\w+ (\\w{20,})"));
    static const QRegularExpression nationality(QStringLiteral("(?:nationality|citizen) ([A-Za-z ,]+?)[;.]"));
    for (auto it = passport.globalMatch(remarks); it.hasNext();)
        e.identifiers << Identifier{QStringLiteral("passport"), it.next().captured(1), {}};
    for (auto it = imo.globalMatch(remarks); it.hasNext();)
        e.identifiers << Identifier{QStringLiteral("imo"), it.next().captured(1), {}};
    for (auto it = crypto.globalMatch(remarks); it.hasNext();)
        e.identifiers << Identifier{QStringLiteral("crypto"), it.next().captured(1), {}};
    for (auto it = nationality.globalMatch(remarks); it.hasNext();) {
        const QString c = countryCode(it.next().captured(1));
        if (!c.isEmpty() && !e.countries.contains(c))
            e.countries << c;
    }
}

// OFAC legacy CSV: sdn.csv (ent_num, name, type, program, …, remarks) and alt.csv (ent_num, alt_num, type, name).
QList<Entity> readOfac(const QString &primary, const QString &aliases, const char *source)
{
    QList<Entity> out;
    QHash<QString, qsizetype> byNum;
    for (const QStringList &r : readCsv(primary)) {
        if (r.size() < 12)
            continue;
        Entity e;
        e.source = QString::fromLatin1(source);
        e.id = e.source + QLatin1Char(':') + r.at(0);
        const QString type = nullable(r.at(2));
        e.type = type == QLatin1String("individual") ? EntityType::Person
            : type == QLatin1String("vessel")        ? EntityType::Vessel
            : type == QLatin1String("aircraft")      ? EntityType::Aircraft
                                                     : EntityType::Organization;
        e.names << Name{r.at(1), true, false, {}};
        e.programs = nullable(r.at(3)).split(QLatin1Char(';'), Qt::SkipEmptyParts);
        e.topics = {QStringLiteral("sanction")};
        ofacExtras(e, nullable(r.at(11)));
        byNum.insert(r.at(0), out.size());
        out << e;
    }
    for (const QStringList &r : readCsv(aliases)) {
        if (r.size() < 4)
            continue;
        const auto it = byNum.constFind(r.at(0));
        if (it != byNum.cend() && !nullable(r.at(3)).isEmpty())
            out[*it].names << Name{r.at(3), false, r.at(2) == QLatin1String("weak"), {}};
    }
    return out;
}

QList<Entity> readDpl(const QString &path)
{
    QList<Entity> out;
    const QList<QStringList> rows = readCsv(path, QLatin1Char('\t'));
    for (qsizetype i = 1; i < rows.size(); ++i) {
        const QStringList &r = rows.at(i);
        if (r.isEmpty() || r.first().isEmpty())
            continue;
        Entity e;
        e.source = QStringLiteral("us_bis_dpl");
        e.id = QStringLiteral("us_bis_dpl:%1").arg(i);
        e.names << Name{r.first(), true, false, {}};
        if (r.size() > 4 && !r.at(4).isEmpty())
            e.countries << r.at(4).toUpper();
        e.topics = {QStringLiteral("debarment")};
        out << e;
    }
    return out;
}

struct RealLists {
    QList<Entity> un;
    QList<Entity> all; // UN + OFAC SDN (with the 2025 aliases) + OFAC consolidated + BIS DPL
};

RealLists readRealLists()
{
    RealLists r;
    r.un = readUn(sharedPath("data/sanctions/un_consolidated_xml/2026-02-27/UN_consolidated.xml"));
    r.all = r.un;
    r.all << readOfac(sharedPath("data/sanctions/ofac_sdn_csv/2024-05-03_full/sdn.csv"),
                      sharedPath("data/sanctions/ofac_sdn_csv/2025-02-27_partial/alt.csv"), "ofac_sdn");
    r.all << readOfac(sharedPath("data/sanctions/ofac_cons_csv/2025-12-19/cons_prim.csv"),
                      sharedPath("data/sanctions/ofac_cons_csv/2025-12-19/cons_alt.csv"), "ofac_cons");
    r.all << readDpl(sharedPath("data/sanctions/us_bis_dpl_txt/2022-09/dpl.txt"));
    return r;
}

const Match *findEntity(const QList<Match> &matches, const char *id)
{
    for (const Match &m : matches) {
        if (m.entity->id == QLatin1String(id))
            return &m;
    }
    return nullptr;
}

double scoreOf(const Matcher &matcher, Query q, const char *id)
{
    q.threshold = 0;
    const Match *m = findEntity(matcher.screen(q, 50), id);
    return m ? m->score : 0.0;
}

Query nameQuery(const QString &name, EntityType type = EntityType::Unknown)
{
    Query q;
    q.name = name;
    q.type = type;
    return q;
}

// Resident set size from /proc (Linux); 0 elsewhere.
qint64 residentKiB()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return 0;
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, std::size_t(double(v.size()) * p))];
}

} // namespace

class TestMatcher final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void tokenSimilarities();
    void identityScoresOne();
    void orderInsensitive();
    void lastFirstOrder();
    void oneTokenQueriesDoNotMatch_data();
    void oneTokenQueriesDoNotMatch();
    void joinedTokens();
    void restrictionAppliesBeforeTheCut();
    void crossScript_data();
    void crossScript();
    void companyForms();
    void honorificsAndInitials();
    void typos();
    void birthDateMovesScore();
    void birthDateRanges();
    void countryAndGender();
    void typeMismatchLowers();
    void typeMismatchDoesNotHide();
    void identifierIsDecisive();
    void explanations();
    void thresholdRespected();
    void concurrentScreening();
    void parseHelpers();
    void realListIdentity();
    void evaluation();
    void latency();

private:
    std::unique_ptr<Matcher> m_small;
    std::unique_ptr<Matcher> m_un;
    std::unique_ptr<Matcher> m_all;
};

void TestMatcher::initTestCase()
{
    m_small = std::make_unique<Matcher>(handMadeEntities());
    QCOMPARE(m_small->entityCount(), handMadeEntities().size());
    QVERIFY(m_small->nameCount() >= m_small->entityCount());

    if (!QFileInfo::exists(sharedPath("data/sanctions/un_consolidated_xml/2026-02-27/UN_consolidated.xml")))
        return;
    QElapsedTimer t;
    t.start();
    RealLists lists = readRealLists();
    const qint64 parseMs = t.restart();
    m_un = std::make_unique<Matcher>(lists.un);
    const qint64 unMs = t.restart();
    const qint64 rssBefore = residentKiB();
    m_all = std::make_unique<Matcher>(lists.all);
    const qint64 allMs = t.elapsed();
    const qint64 rssIndex = residentKiB() - rssBefore;
    qInfo("real lists parsed in %lld ms; UN index: %lld entities, %lld names in %lld ms; all lists: %lld entities, "
          "%lld names, %lld distinct tokens in %lld ms, index resident memory +%lld MiB",
          parseMs, qlonglong(m_un->entityCount()), qlonglong(m_un->nameCount()), unMs, qlonglong(m_all->entityCount()),
          qlonglong(m_all->nameCount()), qlonglong(m_all->vocabularySize()), allMs, rssIndex / 1024);
    QCOMPARE(m_un->entityCount(), 1003); // PROVENANCE.md: 730 individuals + 273 entities
}

void TestMatcher::tokenSimilarities()
{
    const auto sim = [](const char *a, const char *b) {
        const QString qa = QString::fromLatin1(a), qb = QString::fromLatin1(b);
        return tokenSimilarity(qa, phoneticKey(qa), qb, phoneticKey(qb));
    };
    QCOMPARE(sim("putin", "putin").kind, TokenMatchKind::Exact);
    QCOMPARE(sim("abdulah", "abdullah").kind, TokenMatchKind::JaroWinkler);
    QVERIFY(sim("abdulah", "abdullah").similarity > 0.95f);
    QCOMPARE(sim("j", "john").kind, TokenMatchKind::Initial);
    QVERIFY(sim("j", "john").similarity < 0.5f);
    QCOMPARE(sim("hsyn", "hussein").kind, TokenMatchKind::Phonetic);
    QCOMPARE(sim("smith", "jones").kind, TokenMatchKind::None);
    QCOMPARE(sim("ali", "ari").kind, TokenMatchKind::None); // short tokens need (near) identity
    QCOMPARE(sim("ali", "aly").kind, TokenMatchKind::Phonetic); // one edit apart and the same key
}

void TestMatcher::identityScoresOne()
{
    for (const Entity &e : m_small->entities()) {
        const QList<Match> matches = m_small->screen(nameQuery(e.primaryName()));
        QVERIFY2(!matches.isEmpty(), qPrintable(e.primaryName()));
        const Match *m = findEntity(matches, e.id.toLatin1().constData());
        QVERIFY2(m, qPrintable(e.primaryName()));
        QCOMPARE(m->score, 1.0);
        QCOMPARE(m->nameScore, 1.0);
        QCOMPARE(m->nameIndex, 0);
        QCOMPARE(matches.first().score, 1.0);
    }
}

void TestMatcher::orderInsensitive()
{
    const double straight = scoreOf(*m_small, nameQuery(QStringLiteral("Kim Jong Un")), "t:kim");
    const double rotated = scoreOf(*m_small, nameQuery(QStringLiteral("Un Kim Jong")), "t:kim");
    const double reversed = scoreOf(*m_small, nameQuery(QStringLiteral("Un Jong Kim")), "t:kim");
    QCOMPARE(straight, 1.0);
    // Only the small, documented order factor (at most 3%) separates them.
    QVERIFY2(rotated >= 0.97 && rotated < 1.0, qPrintable(QString::number(rotated)));
    QVERIFY2(reversed >= 0.97 && reversed <= rotated, qPrintable(QString::number(reversed)));
    const double mah = scoreOf(*m_small, nameQuery(QStringLiteral("Hassan Mohammed Ali")), "t:mah");
    QVERIFY(mah >= 0.97);
}

void TestMatcher::lastFirstOrder()
{
    QCOMPARE(scoreOf(*m_small, nameQuery(QStringLiteral("Vladimir Vladimirovich Putin")), "t:putin"), 1.0);
    QCOMPARE(scoreOf(*m_small, nameQuery(QStringLiteral("SMITH, John")), "t:smith"), 1.0);
    QCOMPARE(scoreOf(*m_small, nameQuery(QStringLiteral("John Smith")), "t:smith"), 1.0);
    // Without the patronymic: still a strong match, not a full one.
    const double noPatronymic = scoreOf(*m_small, nameQuery(QStringLiteral("PUTIN, Vladimir")), "t:putin");
    QVERIFY2(noPatronymic >= Matcher::defaultThreshold() && noPatronymic < 1.0, qPrintable(QString::number(noPatronymic)));
}

void TestMatcher::oneTokenQueriesDoNotMatch_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QString>("entity");
    QTest::newRow("CORP") << QStringLiteral("CORP") << QStringLiteral("t:xyz");
    QTest::newRow("TRADING") << QStringLiteral("TRADING") << QStringLiteral("t:xyz");
    QTest::newRow("XYZ") << QStringLiteral("XYZ") << QStringLiteral("t:xyz");
    QTest::newRow("Trading Corp") << QStringLiteral("Trading Corp") << QStringLiteral("t:xyz");
    QTest::newRow("LLC") << QStringLiteral("LLC") << QStringLiteral("t:abc");
    QTest::newRow("Mohammed") << QStringLiteral("Mohammed") << QStringLiteral("t:mah");
    QTest::newRow("Putin") << QStringLiteral("Putin") << QStringLiteral("t:putin");
    QTest::newRow("Vladimir") << QStringLiteral("Vladimir") << QStringLiteral("t:putin");
}

void TestMatcher::oneTokenQueriesDoNotMatch()
{
    QFETCH(QString, query);
    QFETCH(QString, entity);
    const QList<Match> matches = m_small->screen(nameQuery(query));
    for (const Match &m : matches)
        QVERIFY2(m.entity->id != entity, qPrintable(QStringLiteral("%1 matched %2 at %3").arg(query, m.entity->id).arg(m.score)));
    const double s = scoreOf(*m_small, nameQuery(query), entity.toLatin1().constData());
    QVERIFY2(s <= 0.5, qPrintable(QString::number(s)));
}

void TestMatcher::joinedTokens()
{
    // The complaint: "JSCARGUMENT" vs "JSC ARGUMENT".
    const QList<Match> joined = m_small->screen(nameQuery(QStringLiteral("JSCARGUMENT")));
    QVERIFY(!joined.isEmpty());
    QCOMPARE(joined.first().entity->id, QStringLiteral("t:argument"));
    QVERIFY(joined.first().score >= 0.95);
    QCOMPARE(joined.first().tokens.first().how, QStringLiteral("joined"));

    // The other way round: the list has it joined.
    Entity e = makeEntity("j:1", EntityType::Organization, {QStringLiteral("JSCARGUMENT")});
    Entity f = makeEntity("j:2", EntityType::Person, {QStringLiteral("ABDULRAHMAN Ahmed KHALIL")});
    const Matcher other({e, f, makeEntity("j:3", EntityType::Organization, {QStringLiteral("OTHER HOLDING")})});
    QVERIFY(scoreOf(other, nameQuery(QStringLiteral("JSC Argument")), "j:1") >= 0.95);
    const QList<Match> split = other.screen(nameQuery(QStringLiteral("Abdul Rahman Ahmed Khalil")));
    QVERIFY(!split.isEmpty());
    QCOMPARE(split.first().entity->id, QStringLiteral("j:2"));
    QVERIFY(split.first().score >= 0.95);
    QVERIFY(std::any_of(split.first().tokens.cbegin(), split.first().tokens.cend(),
                        [](const TokenPair &p) { return p.how == QLatin1String("split"); }));
    // Chinese given names come as syllables: 习近平 -> "xi jin ping" against "XI Jinping".
    QVERIFY(scoreOf(*m_small, nameQuery(QStringLiteral("Xi Jin Ping")), "t:xi") >= 0.95);
}

// 600 entries of one list that share the query's tokens outrank, in the candidate estimate, the one entry of
// another list; restricted to that list (or to its entity id) the query still finds it.
void TestMatcher::restrictionAppliesBeforeTheCut()
{
    QList<Entity> list;
    for (int i = 0; i < 600; ++i) {
        Entity e = makeEntity(qPrintable(QStringLiteral("big:%1").arg(i)), EntityType::Person,
                              {QStringLiteral("Mohammed Ali Hassan %1").arg(QChar(u'A' + i % 26)) + QString::number(i)});
        list << e;
    }
    list << makeEntity("small:1", EntityType::Person, {QStringLiteral("Mohamed Ali Hasan")});
    const Matcher m(list);
    Query q = nameQuery(QStringLiteral("Mohammed Ali Hassan"));
    q.threshold = 0.5;
    q.sources = {QStringLiteral("small")};
    const QList<Match> only = m.screen(q, 10);
    QVERIFY(!only.isEmpty());
    QCOMPARE(only.first().entity->id, QStringLiteral("small:1"));
    for (const auto &hit : only)
        QCOMPARE(hit.entity->source, QStringLiteral("small"));
    q.sources.clear();
    const QSet<QString> ids{QStringLiteral("small:1")};
    q.entityIds = &ids;
    const QList<Match> byId = m.screen(q, 10);
    QCOMPARE(byId.size(), 1);
    QCOMPARE(byId.first().entity->id, QStringLiteral("small:1"));
}

void TestMatcher::crossScript_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QString>("entity");
    QTest::newRow("cyrillic") << QStringLiteral("Владимир Путин") << QStringLiteral("t:putin");
    QTest::newRow("cyrillic full") << QStringLiteral("Путин Владимир Владимирович") << QStringLiteral("t:putin");
    QTest::newRow("chinese") << QStringLiteral("习近平") << QStringLiteral("t:xi");
    QTest::newRow("korean") << QStringLiteral("김정은") << QStringLiteral("t:kim");
    QTest::newRow("arabic") << QStringLiteral("أسامة بن لادن") << QStringLiteral("t:ubl");
    QTest::newRow("latin to arabic entry") << QStringLiteral("Usama bin Ladin") << QStringLiteral("t:ubl");
}

void TestMatcher::crossScript()
{
    QFETCH(QString, query);
    QFETCH(QString, entity);
    const QList<Match> matches = m_small->screen(nameQuery(query));
    QVERIFY2(!matches.isEmpty(), qPrintable(query));
    QCOMPARE(matches.first().entity->id, entity);
    QVERIFY(matches.first().score >= Matcher::defaultThreshold());
}

void TestMatcher::companyForms()
{
    for (const char *q : {"Romashka LLC", "OOO Romashka", "ООО «Ромашка»", "Romashka Limited Liability Company"}) {
        const QList<Match> matches = m_small->screen(nameQuery(QString::fromUtf8(q)));
        QVERIFY2(!matches.isEmpty(), q);
        QCOMPARE(matches.first().entity->id, QStringLiteral("t:romashka"));
        QCOMPARE(matches.first().score, 1.0);
    }
    QCOMPARE(scoreOf(*m_small, nameQuery(QStringLiteral("XYZ Trading Corporation")), "t:xyz"), 1.0);
    QCOMPARE(scoreOf(*m_small, nameQuery(QStringLiteral("XYZ Trading Inc.")), "t:xyz"), 1.0);
    // Another company sharing only the common word and the form stays well below.
    QVERIFY(scoreOf(*m_small, nameQuery(QStringLiteral("QWERTY Trading Corp")), "t:xyz") < 0.6);
}

void TestMatcher::honorificsAndInitials()
{
    QCOMPARE(scoreOf(*m_small, nameQuery(QStringLiteral("Mr. John Smith")), "t:smith"), 1.0);
    QCOMPARE(scoreOf(*m_small, nameQuery(QStringLiteral("Sheikh Usama bin Laden")), "t:ubl"), 1.0);
    const double full = scoreOf(*m_small, nameQuery(QStringLiteral("John Smith")), "t:smith");
    const double initial = scoreOf(*m_small, nameQuery(QStringLiteral("J. Smith")), "t:smith");
    const double surname = scoreOf(*m_small, nameQuery(QStringLiteral("Smith")), "t:smith");
    QVERIFY2(initial < full && initial > surname, qPrintable(QStringLiteral("%1 %2 %3").arg(full).arg(initial).arg(surname)));
}

void TestMatcher::typos()
{
    QVERIFY(scoreOf(*m_small, nameQuery(QStringLiteral("Vladimir Vladimirovitch Poutin")), "t:putin") >= 0.8);
    QVERIFY(scoreOf(*m_small, nameQuery(QStringLiteral("Muhammad Ali Hasan")), "t:mah") >= 0.85);
    QVERIFY(scoreOf(*m_small, nameQuery(QStringLiteral("ABD AL-RAHMAN MUHAMAD MUSTAFA AL-QADOULI")), "t:qaduli") >= 0.85);
}

void TestMatcher::birthDateMovesScore()
{
    Query q = nameQuery(QStringLiteral("Mohammed Ali"), EntityType::Person);
    const double plain = scoreOf(*m_small, q, "t:mah");
    q.birthDate = {1970, 3, 1, 0};
    const double year = scoreOf(*m_small, q, "t:mah");
    q.birthDate = {1985, 0, 0, 0};
    const double mismatch = scoreOf(*m_small, q, "t:mah");
    QVERIFY2(year > plain && mismatch < plain, qPrintable(QStringLiteral("%1 %2 %3").arg(plain).arg(year).arg(mismatch)));

    Query k = nameQuery(QStringLiteral("Kim Jong"), EntityType::Person);
    const double kimPlain = scoreOf(*m_small, k, "t:kim");
    k.birthDate = {1984, 1, 8, 0};
    const double kimExact = scoreOf(*m_small, k, "t:kim");
    k.birthDate = {1984, 0, 0, 0};
    const double kimYear = scoreOf(*m_small, k, "t:kim");
    k.birthDate = {1985, 0, 0, 0};
    const double kimNear = scoreOf(*m_small, k, "t:kim");
    k.birthDate = {1984, 7, 9, 0};
    const double kimDay = scoreOf(*m_small, k, "t:kim");
    k.birthDate = {1950, 1, 8, 0};
    const double kimMismatch = scoreOf(*m_small, k, "t:kim");
    QVERIFY(kimExact > kimYear);
    QVERIFY(kimYear > kimPlain);
    QVERIFY(kimPlain > kimDay);
    QVERIFY(kimDay > kimNear);
    QVERIFY(kimNear > kimMismatch);
    QVERIFY(kimMismatch < kimPlain * 0.75);

    // Identity stays at 1.0 with an agreeing date, and a mismatching date pulls even an identical name down.
    Query id = nameQuery(QStringLiteral("KIM Jong Un"), EntityType::Person);
    id.birthDate = {1984, 1, 8, 0};
    QCOMPARE(scoreOf(*m_small, id, "t:kim"), 1.0);
    id.birthDate = {1950, 1, 1, 0};
    QVERIFY(scoreOf(*m_small, id, "t:kim") < Matcher::defaultThreshold());
}

void TestMatcher::birthDateRanges()
{
    Query q = nameQuery(QStringLiteral("Maria Garcia"), EntityType::Person);
    const double plain = scoreOf(*m_small, q, "t:garcia");
    q.birthDate = {1956, 4, 4, 0}; // inside 1955–1957
    QVERIFY(scoreOf(*m_small, q, "t:garcia") > plain);
    q.birthDate = {1950, 0, 0, 1955}; // query range overlapping
    QVERIFY(scoreOf(*m_small, q, "t:garcia") > plain);
    q.birthDate = {1990, 0, 0, 0};
    QVERIFY(scoreOf(*m_small, q, "t:garcia") < plain);
}

void TestMatcher::countryAndGender()
{
    Query q = nameQuery(QStringLiteral("Kim Jong"), EntityType::Person);
    const double plain = scoreOf(*m_small, q, "t:kim");
    q.country = QStringLiteral("kp");
    const double same = scoreOf(*m_small, q, "t:kim");
    q.country = QStringLiteral("North Korea");
    QCOMPARE(scoreOf(*m_small, q, "t:kim"), same);
    q.country = QStringLiteral("FR");
    const double other = scoreOf(*m_small, q, "t:kim");
    QVERIFY(same > plain && other < plain);
    QVERIFY(plain - other < 0.1); // small
    q.country.clear();
    q.gender = QStringLiteral("female");
    QVERIFY(scoreOf(*m_small, q, "t:kim") < plain);
    q.gender = QStringLiteral("male");
    QCOMPARE(scoreOf(*m_small, q, "t:kim"), plain);
}

void TestMatcher::typeMismatchLowers()
{
    const double untyped = scoreOf(*m_small, nameQuery(QStringLiteral("Ever Given")), "t:evergiven");
    const double vessel = scoreOf(*m_small, nameQuery(QStringLiteral("Ever Given"), EntityType::Vessel), "t:evergiven");
    const double person = scoreOf(*m_small, nameQuery(QStringLiteral("Ever Given"), EntityType::Person), "t:evergiven");
    const double org = scoreOf(*m_small, nameQuery(QStringLiteral("Ever Given"), EntityType::Organization), "t:evergiven");
    QCOMPARE(untyped, 1.0);
    QCOMPARE(vessel, 1.0);
    QVERIFY(org < vessel && org > person);
    // At the default threshold the mismatched entity is still found (issue 8), below the typed match.
    const auto atDefault = [&](const char *name, EntityType type, const char *id) {
        const QList<Match> matches = m_small->screen(nameQuery(QString::fromLatin1(name), type));
        const Match *m = findEntity(matches, id);
        return m ? m->score : 0.0;
    };
    const double personAtDefault = atDefault("Ever Given", EntityType::Person, "t:evergiven");
    QVERIFY(personAtDefault >= Matcher::defaultThreshold() && personAtDefault < 1.0);
    const double personAsOrg = atDefault("John Smith", EntityType::Organization, "t:smith");
    QVERIFY(personAsOrg >= Matcher::defaultThreshold() && personAsOrg < 1.0);
    // An untyped query that reads as a company against a person.
    QVERIFY(scoreOf(*m_small, nameQuery(QStringLiteral("John Smith LLC")), "t:smith") < 1.0);
}

// Issue 8, wrong answer 2: "Bank Melli" against the OFAC SDN list as the demo loads it (sdn.csv alone, so BANK
// MELLI IRAN is known by its primary name only). Screened as a person (the Screening pane's default) it was
// clear; as an organization BANK MELLI IRAN ranked below BANK MELLAT. A type mismatch lowers the score but does
// not hide the entity, and the name that holds every query token exactly ranks above one that only resembles it.
void TestMatcher::typeMismatchDoesNotHide()
{
    const QString sdnFile = sharedPath("data/sanctions/ofac_sdn_csv/2024-05-03_full/sdn.csv");
    if (!QFileInfo::exists(sdnFile))
        QSKIP("shared sanctions data not available");
    auto sdn = importList(ListFormat::OfacSdnCsv, {sdnFile});
    QVERIFY2(sdn, qPrintable(sdn ? QString() : sdn.error().message));
    const Matcher matcher(sdn->entities);
    const auto rank = [](const QList<Match> &matches, const char *id) {
        for (qsizetype i = 0; i < matches.size(); ++i) {
            if (matches[i].entity->id == QLatin1String(id))
                return i;
        }
        return qsizetype(-1);
    };

    const QList<Match> asOrganization = matcher.screen(nameQuery(QStringLiteral("Bank Melli"), EntityType::Organization));
    QVERIFY(!asOrganization.isEmpty());
    const qsizetype melliAsOrganization = rank(asOrganization, "ofac_sdn:25578");
    QVERIFY2(melliAsOrganization >= 0, "BANK MELLI IRAN is not a match for Bank Melli");
    const qsizetype mellat = rank(asOrganization, "ofac_sdn:25019");
    QVERIFY2(mellat < 0 || mellat > melliAsOrganization,
             qPrintable(QStringLiteral("BANK MELLAT ranks %1, BANK MELLI IRAN %2").arg(mellat).arg(melliAsOrganization)));
    for (const Match &m : asOrganization) {
        // Only names holding both tokens exactly (in any order) rank above it.
        if (m.entity->id == QLatin1String("ofac_sdn:25578"))
            break;
        const QString name = m.entity->names.at(m.nameIndex).full.toUpper();
        QVERIFY2(name.contains(QStringLiteral("BANK")) && name.contains(QStringLiteral("MELLI ")), qPrintable(name));
    }

    const QList<Match> asPerson = matcher.screen(nameQuery(QStringLiteral("Bank Melli"), EntityType::Person));
    const qsizetype melliAsPerson = rank(asPerson, "ofac_sdn:25578");
    QVERIFY2(melliAsPerson >= 0, "screened as a person, BANK MELLI IRAN is hidden");
    const Match &hit = asPerson.at(melliAsPerson);
    QVERIFY(hit.score >= Matcher::defaultThreshold());
    QVERIFY(hit.score < asOrganization.at(melliAsOrganization).score);
    QVERIFY(std::any_of(hit.qualifiers.cbegin(), hit.qualifiers.cend(), [](const Qualifier &q) {
        return q.kind == QStringLiteral("type") && q.outcome == QStringLiteral("mismatch") && q.effect < 0;
    }));
    const qsizetype mellatAsPerson = rank(asPerson, "ofac_sdn:25019");
    QVERIFY(mellatAsPerson < 0 || mellatAsPerson > melliAsPerson);
    // The order among organizations does not change with the mismatch: the same entities rank the same way.
    QCOMPARE(melliAsPerson, melliAsOrganization);
}

void TestMatcher::identifierIsDecisive()
{
    Query q = nameQuery(QStringLiteral("Somebody Else Entirely"), EntityType::Person);
    q.identifiers = {{QStringLiteral("passport"), QStringLiteral("ab-123456"), {}}};
    const QList<Match> byPassport = m_small->screen(q);
    QCOMPARE(byPassport.size(), 1);
    QCOMPARE(byPassport.first().entity->id, QStringLiteral("t:putin"));
    QCOMPARE(byPassport.first().score, 1.0);
    QCOMPARE(byPassport.first().qualifiers.last().kind, QStringLiteral("identifier"));

    Query imo;
    imo.identifiers = {{QStringLiteral("imo"), QStringLiteral("9811000"), {}}};
    imo.identifiers.first().value = QStringLiteral("IMO 9811000");
    const QList<Match> byImo = m_small->screen(imo);
    QCOMPARE(byImo.size(), 1);
    QCOMPARE(byImo.first().entity->id, QStringLiteral("t:evergiven"));
    QCOMPARE(byImo.first().score, 1.0);

    Query wallet = nameQuery(QStringLiteral("Tornado"));
    wallet.identifiers = {{QStringLiteral("crypto"), QStringLiteral("0x8589427373d6d84e98730d7795d8f6f8731fda16"), {}}};
    const QList<Match> byWallet = m_small->screen(wallet);
    QCOMPARE(byWallet.first().entity->id, QStringLiteral("t:tornado"));
    QCOMPARE(byWallet.first().score, 1.0);

    // Even a birth-date mismatch does not outweigh a shared passport number.
    q.birthDate = {1990, 1, 1, 0};
    QCOMPARE(m_small->screen(q).first().score, 1.0);
}

void TestMatcher::explanations()
{
    Query q = nameQuery(QStringLiteral("Vladimir Vladimirovitch Poutin"), EntityType::Person);
    q.birthDate = {1952, 10, 7, 0};
    q.country = QStringLiteral("RU");
    q.gender = QStringLiteral("male");
    const QList<Match> matches = m_small->screen(q);
    QVERIFY(!matches.isEmpty());
    const Match &m = matches.first();
    QCOMPARE(m.entity->id, QStringLiteral("t:putin"));
    QCOMPARE(m.tokens.size(), 3);
    const QStringList known
        = {QStringLiteral("exact"),  QStringLiteral("jaro_winkler"), QStringLiteral("phonetic"), QStringLiteral("initial"),
           QStringLiteral("joined"), QStringLiteral("split"),        QStringLiteral("unmatched")};
    for (const TokenPair &p : m.tokens) {
        QVERIFY(known.contains(p.how));
        QVERIFY(p.similarity >= 0 && p.similarity <= 1);
    }
    QCOMPARE(m.tokens.at(0).queryToken, QStringLiteral("vladimir"));
    QCOMPARE(m.tokens.at(0).how, QStringLiteral("exact"));
    QCOMPARE(m.tokens.at(2).nameToken, QStringLiteral("putin"));
    QStringList kinds;
    for (const Qualifier &x : m.qualifiers)
        kinds << x.kind + QLatin1Char('=') + x.outcome;
    QCOMPARE(kinds,
             (QStringList{QStringLiteral("birth_date=exact"), QStringLiteral("country=match"), QStringLiteral("gender=match"),
                          QStringLiteral("type=match")}));
    // The qualifiers' effects add up to the difference between the name score and the score.
    double sum = 0;
    for (const Qualifier &x : m.qualifiers)
        sum += x.effect;
    QVERIFY(qAbs(m.nameScore + sum - m.score) < 1e-9);
    QVERIFY(m.qualifiers.first().effect > 0);

    // Unmatched tokens are listed on both sides.
    const Match *partial = findEntity(m_small->screen(nameQuery(QStringLiteral("Vladimir Putin Junior")), 5), "t:putin");
    if (partial) {
        QVERIFY(std::any_of(partial->tokens.cbegin(), partial->tokens.cend(), [](const TokenPair &p) {
            return p.how == QLatin1String("unmatched") && p.nameToken == QLatin1String("vladimirovich");
        }));
    }
}

void TestMatcher::thresholdRespected()
{
    Query q = nameQuery(QStringLiteral("Trading Company"));
    q.threshold = 0;
    const QList<Match> all = m_small->screen(q, 100);
    QVERIFY(all.size() > 1);
    for (qsizetype i = 1; i < all.size(); ++i)
        QVERIFY(all.at(i - 1).score >= all.at(i).score);
    for (const double t : {0.3, 0.5, 0.7, 0.9}) {
        q.threshold = t;
        const QList<Match> some = m_small->screen(q, 100);
        for (const Match &m : some)
            QVERIFY(m.score >= t);
        const auto expected = std::count_if(all.cbegin(), all.cend(), [&](const Match &m) { return m.score >= t; });
        QCOMPARE(some.size(), qsizetype(expected));
    }
    q.threshold = -1;
    for (const Match &m : m_small->screen(q, 100))
        QVERIFY(m.score >= Matcher::defaultThreshold());
    q.threshold = 0;
    QCOMPARE(m_small->screen(q, 2).size(), 2);
    QVERIFY(m_small->screen(nameQuery(QString())).isEmpty());
    QVERIFY(m_small->screen(nameQuery(QStringLiteral("  --  "))).isEmpty());
}

void TestMatcher::concurrentScreening()
{
    const Matcher &matcher = m_all ? *m_all : *m_small;
    QList<Query> queries;
    const char *names[] = {"Vladimir Putin",  "Владимир Путин", "JSCARGUMENT",         "Kim Jong Un",
                           "Usama bin Ladin", "习近平",         "Mohammed Ali Hassan", "XYZ Trading Corp"};
    for (int round = 0; round < 8; ++round) {
        for (const char *n : names) {
            Query q = nameQuery(QString::fromUtf8(n));
            q.threshold = 0.5;
            q.birthDate = {1950 + round, 0, 0, 0};
            queries << q;
        }
    }
    QList<QList<Match>> serial;
    for (const Query &q : std::as_const(queries))
        serial << matcher.screen(q);

    const auto same = [](const QList<Match> &a, const QList<Match> &b) {
        if (a.size() != b.size())
            return false;
        for (qsizetype i = 0; i < a.size(); ++i) {
            if (a[i].entity != b[i].entity || a[i].score != b[i].score || a[i].nameIndex != b[i].nameIndex
                || a[i].tokens.size() != b[i].tokens.size() || a[i].qualifiers.size() != b[i].qualifiers.size())
                return false;
        }
        return true;
    };

    // Eight queries at once, on eight threads, several rounds.
    QThreadPool pool;
    pool.setMaxThreadCount(8);
    for (qsizetype start = 0; start < queries.size(); start += 8) {
        QList<QFuture<QList<Match>>> futures;
        for (qsizetype i = start; i < start + 8 && i < queries.size(); ++i)
            futures << QtConcurrent::run(&pool, [&matcher, q = queries.at(i)] { return matcher.screen(q); });
        for (qsizetype i = 0; i < futures.size(); ++i)
            QVERIFY(same(futures[i].result(), serial.at(start + i)));
    }
    const QList<QList<Match>> many = matcher.screenMany(queries);
    QCOMPARE(many.size(), serial.size());
    for (qsizetype i = 0; i < many.size(); ++i)
        QVERIFY(same(many.at(i), serial.at(i)));
}

void TestMatcher::parseHelpers()
{
    QCOMPARE(countryCode(QStringLiteral("af")), QStringLiteral("AF"));
    QCOMPARE(countryCode(QStringLiteral("Iraq")), QStringLiteral("IQ"));
    QCOMPARE(countryCode(QStringLiteral("Russian Federation")), QStringLiteral("RU"));
    QCOMPARE(countryCode(QStringLiteral("Iran (Islamic Republic of)")), QStringLiteral("IR"));
    QCOMPARE(countryCode(QStringLiteral("Democratic People's Republic of Korea")), QStringLiteral("KP"));
    QCOMPARE(countryCode(QStringLiteral("South Korea")), QStringLiteral("KR"));
    QCOMPARE(countryCode(QStringLiteral("United Kingdom")), QStringLiteral("GB"));
    QCOMPARE(countryCode(QStringLiteral("Atlantis")), QString());
    const BirthDate a = parseBirthDate(QStringLiteral("1969-7-16"));
    QCOMPARE(a.year, 1969);
    QCOMPARE(a.month, 7);
    QCOMPARE(a.day, 16);
    QCOMPARE(parseBirthDate(QStringLiteral("1965")).year, 1965);
    QCOMPARE(parseBirthDate(QStringLiteral("1965")).month, 0);
    QCOMPARE(parseBirthDate(QStringLiteral("29/06/1960")).day, 29);
    QCOMPARE(parseBirthDate(QStringLiteral("1955 to 1957")).toYear, 1957);
    QVERIFY(!parseBirthDate(QString()).isValid());
    QVERIFY(!parseBirthDate(QStringLiteral("unknown")).isValid());
}

void TestMatcher::realListIdentity()
{
    if (!m_un || !m_all)
        QSKIP("shared sanctions data not available");
    // Every UN entity, and every 10th entity of all lists, finds itself at 1.0 by its primary name.
    const auto check = [](const Matcher &matcher, int step) {
        const QList<Entity> &entities = matcher.entities();
        for (qsizetype i = 0; i < entities.size(); i += step) {
            const Entity &e = entities.at(i);
            const QList<Match> matches = matcher.screen(nameQuery(e.primaryName(), e.type), 50);
            const Match *m = findEntity(matches, e.id.toLatin1().constData());
            QVERIFY2(m, qPrintable(e.id + QLatin1Char(' ') + e.primaryName()));
            QVERIFY2(m->score == 1.0, qPrintable(QStringLiteral("%1 %2 %3").arg(e.id, e.primaryName()).arg(m->score)));
        }
    };
    check(*m_un, 1);
    check(*m_all, 10);
}

void TestMatcher::evaluation()
{
    if (!m_un || !m_all)
        QSKIP("shared sanctions data not available");
    const QString positives = sharedPath("data/screening-eval/un_positives_dev.jsonl");
    const QString negatives = sharedPath("data/screening-eval/negatives_dev.jsonl");

    // Positives against the UN list alone (as the README asks), negatives against every list read here.
    const auto un = evaluate(*m_un, positives, QString());
    QVERIFY2(un.has_value(), qPrintable(un ? QString() : un.error().message));
    const auto all = evaluate(*m_all, positives, negatives);
    QVERIFY2(all.has_value(), qPrintable(all ? QString() : all.error().message));

    qInfo().noquote() << "\n== UN positives vs UN list ==\n" << un->summary();
    qInfo().noquote() << "\n== positives and negatives vs UN + OFAC SDN/consolidated + BIS DPL ==\n" << all->summary();
    for (const QString &s : un->misses)
        qInfo().noquote() << "miss:" << s;
    for (const QString &s : all->falsePositiveExamples)
        qInfo().noquote() << "false positive:" << s;

    QVERIFY2(un->recall >= 0.97, qPrintable(QString::number(un->recall)));
    QVERIFY2(un->top1Accuracy >= 0.95, qPrintable(QString::number(un->top1Accuracy)));
    QVERIFY2(all->recall >= 0.97, qPrintable(QString::number(all->recall)));
    QVERIFY2(all->falsePositiveRate <= 0.01, qPrintable(QString::number(all->falsePositiveRate)));

    QVERIFY(!evaluate(*m_un, sharedPath("data/screening-eval/missing.jsonl"), QString()).has_value());
}

void TestMatcher::latency()
{
    if (!m_all)
        QSKIP("shared sanctions data not available");
    // A mix: real names with small damage, eval-style people, companies, one-token and cross-script queries.
    QList<Query> queries;
    const QList<Entity> &entities = m_all->entities();
    for (qsizetype i = 0; i < entities.size() && queries.size() < 3000; i += 7) {
        QString name = entities.at(i).primaryName();
        if (i % 3 == 0 && name.size() > 6)
            name.remove(name.size() / 2, 1); // a typo
        Query q = nameQuery(name, i % 2 ? entities.at(i).type : EntityType::Unknown);
        if (i % 5 == 0)
            q.birthDate = {1960 + int(i % 30), 1 + int(i % 12), 1 + int(i % 28), 0};
        queries << q;
    }
    for (const char *n : {"Mohammed", "Trading", "CORP", "Ahmed Ali", "Владимир Путин", "حسین موسوی", "习近平", "Bank", "Al",
                          "Kim", "Islamic Revolutionary Guard Corps", "Joint Stock Company Rosoboronexport"})
        queries << nameQuery(QString::fromUtf8(n));

    for (int i = 0; i < 50; ++i) // warm-up
        (void)m_all->screen(queries.at(i));
    std::vector<double> ms;
    ms.reserve(std::size_t(queries.size()));
    QElapsedTimer t;
    qint64 results = 0;
    for (const Query &q : std::as_const(queries)) {
        t.start();
        results += m_all->screen(q).size();
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    const double p50 = percentile(ms, 0.50), p99 = percentile(ms, 0.99), max = percentile(ms, 1.0);
    qInfo("latency over %lld queries against %lld names: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms (%lld results)",
          qlonglong(queries.size()), qlonglong(m_all->nameCount()), p50, percentile(ms, 0.90), p99, max, results);

    QElapsedTimer batch;
    batch.start();
    const QList<QList<Match>> many = m_all->screenMany(queries);
    qInfo("screenMany: %lld queries in %lld ms on %d threads", qlonglong(many.size()), batch.elapsed(),
          QThreadPool::globalInstance()->maxThreadCount());
    // Targets are p50 <= 1 ms and p99 <= 5 ms; the assertion leaves room for a loaded CI machine.
    QVERIFY2(p50 < 5.0 && p99 < 25.0, qPrintable(QStringLiteral("p50 %1 p99 %2").arg(p50).arg(p99)));
}

QTEST_GUILESS_MAIN(TestMatcher)
#include "tst_matcher.moc"
