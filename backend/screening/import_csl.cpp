// US Consolidated Screening List (trade.gov) CSV with a header; the 2025 export adds a leading `_id`.
// Multi-valued fields are joined with "; ". The `ids` column lists "type, number, country" (2025) or
// "country, number, type" (2019) triples.
#include "backend/screening/import_countries.h"
#include "backend/screening/import_formats.h"
#include "backend/screening/import_remarks.h"

#include <QHash>
#include <QRegularExpression>

namespace kyc::screening::detail {

namespace {

struct CslSource {
    const char16_t *abbreviation;
    bool sanction;
    const char16_t *otherTopic; // nullptr when none
};

// Which lists of the CSL are sanctions programmes and which are export controls or debarments.
const CslSource kSources[] = {
    {u"SDN", true, nullptr},
    {u"SSI", true, nullptr},
    {u"FSE", true, nullptr},
    {u"PLC", true, nullptr},
    {u"CAP", true, nullptr},
    {u"CMIC", true, nullptr},
    {u"MBS", true, nullptr},
    {u"NS-MBS", true, nullptr},
    {u"ISN", true, nullptr},
    {u"DPL", false, u"debarment"},
    {u"DTC", false, u"debarment"},
    {u"EL", false, u"export.control"},
    {u"UVL", false, u"export.control"},
    {u"MEU", false, u"export.control"},
};

QString sourceAbbreviation(const QString &source)
{
    static const QRegularExpression abbr(QStringLiteral("\\(([A-Z0-9-]+)\\)"));
    const QRegularExpressionMatch m = abbr.match(source);
    return m.hasMatch() ? m.captured(1) : source.simplified();
}

QStringList topicsFor(const QString &abbreviation)
{
    for (const CslSource &s : kSources) {
        if (abbreviation == QStringView(s.abbreviation)) {
            QStringList topics;
            if (s.sanction)
                topics.append(QStringLiteral("sanction"));
            if (s.otherTopic) {
                topics.append(QString::fromUtf16(s.otherTopic));
                if (abbreviation == u"DPL")
                    topics.append(QStringLiteral("export.control"));
            }
            return topics;
        }
    }
    return {QStringLiteral("sanction")};
}

QStringList splitList(const QString &value)
{
    QStringList out;
    for (QString item : value.split(u';', Qt::SkipEmptyParts)) {
        item = item.simplified();
        if (item.startsWith(u"and ", Qt::CaseInsensitive))
            item = item.sliced(4);
        if (!item.isEmpty())
            out.append(item);
    }
    return out;
}

bool isCountryCodePart(const QString &part)
{
    return part.size() == 2 && part[0].isUpper() && part[1].isUpper();
}

void addCslIdentifiers(Entity &e, const QString &ids)
{
    for (const QString &item : splitList(ids)) {
        const QStringList parts = item.split(QStringLiteral(", "));
        qsizetype labelAt = -1;
        QString kind;
        for (qsizetype i = 0; i < parts.size(); ++i) {
            const QString part = parts[i].trimmed();
            if (part.compare(u"Gender", Qt::CaseInsensitive) == 0 && i + 1 < parts.size()) {
                setGender(e, parts[i + 1]);
                break;
            }
            const auto label = identifierLabel(part);
            if (label && label->length == part.size()) {
                labelAt = i;
                kind = label->kind;
                break;
            }
        }
        if (labelAt < 0)
            continue;
        QString value;
        QString country;
        for (qsizetype i = 0; i < parts.size(); ++i) {
            if (i == labelAt)
                continue;
            const QString part = parts[i].trimmed();
            if (isCountryCodePart(part) && country.isEmpty() && parts.size() > 2)
                country = countryCode(part);
            else if (value.isEmpty())
                value = part;
        }
        if (const qsizetype paren = value.indexOf(QStringLiteral(" (")); paren > 0)
            value.truncate(paren);
        if (kind == u"imo")
            value = canonicalImo(value);
        addIdentifier(e, kind, value, country);
    }
}

EntityType cslType(const QString &type)
{
    const QString t = type.toLower();
    if (t == u"individual")
        return EntityType::Person;
    if (t == u"entity")
        return EntityType::Organization;
    if (t == u"vessel")
        return EntityType::Vessel;
    if (t == u"aircraft")
        return EntityType::Aircraft;
    return EntityType::Unknown;
}

} // namespace

Result<ImportResult> importCslCsv(const InputFile &file, ProgressReporter &progress)
{
    const QString what = QStringLiteral("a US Consolidated Screening List CSV file (header with source, name, …)");
    if (looksBinary(file.bytes))
        return fail(notTheFormat(file, what));
    const QString text = decodeText(file.bytes);
    CsvReader reader(text, u',', CsvReader::LineBreaks::AllowedInQuotes, file);
    auto header = readCsvHeader(reader, file, what,
                                {QStringLiteral("source"), QStringLiteral("name"), QStringLiteral("alt_names"),
                                 QStringLiteral("addresses"), QStringLiteral("ids")});
    if (!header)
        return fail(header.error());
    const QHash<QString, qsizetype> &column = header->column;
    const qsizetype width = header->width;
    CsvRecord record;
    auto field = [&](const CsvRecord &r, QStringView name) {
        const auto it = column.constFind(name.toString());
        return it == column.cend() ? QString() : r.fields.value(*it).trimmed();
    };

    ImportResult result;
    QHash<QString, int> idUses;
    qint64 records = 0;
    while (reader.next(record)) {
        ++records;
        if (!record.error.isEmpty() || record.fields.size() != width) {
            addProblem(result, file, record.line,
                       record.error.isEmpty()
                           ? QStringLiteral("expected %1 fields, found %2").arg(width).arg(record.fields.size())
                           : record.error);
            continue;
        }
        const QString name = field(record, u"name").simplified();
        const QString source = field(record, u"source");
        if (name.isEmpty()) {
            addProblem(result, file, record.line, QStringLiteral("row without a name"));
            continue;
        }
        const QString abbreviation = sourceAbbreviation(source);
        Entity e;
        e.source = QStringLiteral("us_csl");
        QString id = field(record, u"_id");
        if (id.isEmpty())
            id = field(record, u"entity_number");
        if (id.isEmpty())
            id = abbreviation + u':' + name;
        const int uses = ++idUses[id];
        if (uses > 1)
            id += u'#' + QString::number(uses); // e.g. one DPL party listed at two addresses
        e.id = QStringLiteral("us_csl:") + id;
        e.type = cslType(field(record, u"type"));
        addPrimaryName(e, name);
        for (const QString &alias : splitList(field(record, u"alt_names")))
            addAlias(e, alias);
        for (const QString &dob : splitList(field(record, u"dates_of_birth"))) {
            if (auto d = parseIsoDate(dob))
                addBirthDate(e, *d);
            else if (auto od = parseOfacDate(dob))
                addBirthDate(e, *od);
        }
        static const QRegularExpression listSeparator(QStringLiteral("[;,]"));
        for (QStringView col : {u"nationalities", u"citizenships"}) {
            for (const QString &c : field(record, col).split(listSeparator, Qt::SkipEmptyParts))
                addCountryName(e, c, QStringLiteral("Nationality"));
        }
        for (const QString &address : splitList(field(record, u"addresses"))) {
            addAddress(e, {address});
            const QString last = address.section(u',', -1).trimmed();
            addCountryCode(e, isCountryCodePart(last) ? countryCode(last) : QString());
        }
        addCslIdentifiers(e, field(record, u"ids"));
        if (const QString flag = field(record, u"vessel_flag"); !flag.isEmpty())
            addCountryName(e, flag, QStringLiteral("Vessel flag"));
        if (const QString callSign = field(record, u"call_sign"); !callSign.isEmpty())
            addIdentifier(e, QStringLiteral("other"), callSign);
        for (const QString &p : splitList(field(record, u"programs")))
            addUnique(e.programs, p);
        e.topics = topicsFor(abbreviation);
        e.listedOn = isoDate(field(record, u"start_date"));
        appendRemark(e, field(record, u"remarks"));
        if (const QString title = field(record, u"title"); !title.isEmpty())
            appendRemark(e, QStringLiteral("Title: ") + title);
        if (const QString pob = field(record, u"places_of_birth"); !pob.isEmpty())
            appendRemark(e, QStringLiteral("Place of birth: ") + pob);
        appendRemark(e, QStringLiteral("List: ") + source);
        result.entities.append(std::move(e));
        reportCsvProgress(progress, reader, file, records);
    }
    if (auto s = checkCsvRecords(reader, file, what, records, result.problems.size()); !s)
        return fail(s.error());
    progress.finishFile(file.bytes.size());
    finishResult(result);
    return result;
}

} // namespace kyc::screening::detail
