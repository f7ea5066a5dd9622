// The generic importer behind importTabular(): readers turn each file into records (a JSON object per CSV
// row, JSON Lines line, JSON array element or YAML sequence item) and one builder turns records into
// Entities as the source's mapping says. Everything specific to a source lives in its mapping.
#include "backend/screening/import_tabular.h"

#include "backend/screening/import_countries.h"
#include "backend/screening/import_formats.h"
#include "backend/screening/tabularmapping.h"
#include "backend/screening/yamlsubset.h"

#include <QCryptographicHash>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace kyc::screening {

namespace detail {

namespace {

struct FileRecords {
    QList<TabularRecord> records;
    qint64 attempted = 0; // data rows, including malformed ones
    qint64 rejected = 0;
};

QString describe(const TabularMapping &m)
{
    return m.title.isEmpty() ? m.id : m.title;
}

// One line of CSV whose quoted fields hold unescaped quotes ("Closed Joint Stock Co "Sharora"",…): a quote ends
// a quoted field only where a delimiter or the line end follows it (or follows the pair `""`).
std::optional<QStringList> lenientFields(QStringView line, QChar delimiter)
{
    while (!line.isEmpty() && (line.front() == u'\n' || line.front() == u'\r'))
        line = line.sliced(1);
    while (!line.isEmpty() && (line.back() == u'\n' || line.back() == u'\r'))
        line.chop(1);
    if (line.contains(u'\n'))
        return std::nullopt;
    auto endsField = [&](qsizetype i) { return i >= line.size() || line[i] == delimiter; };
    QStringList fields;
    qsizetype i = 0;
    for (;;) {
        QString field;
        if (i < line.size() && line[i] == u'"') {
            ++i;
            for (;;) {
                if (i >= line.size())
                    return std::nullopt; // unterminated
                if (line[i] != u'"') {
                    field += line[i++];
                    continue;
                }
                if (endsField(i + 1)) {
                    ++i;
                    break;
                }
                if (i + 1 < line.size() && line[i + 1] == u'"' && endsField(i + 2)) {
                    field += u'"';
                    i += 2;
                    break;
                }
                field += u'"';
                i += i + 1 < line.size() && line[i + 1] == u'"' ? 2 : 1;
            }
        } else {
            const qsizetype start = i;
            while (i < line.size() && line[i] != delimiter)
                ++i;
            field = line.sliced(start, i - start).toString();
        }
        fields.append(field);
        if (i >= line.size())
            return fields;
        ++i; // the delimiter
    }
}

// CSV / TSV: a header (after `skipRows`), records of the header's width, `footerRows` ignored at the end.
Result<FileRecords> readDelimited(const InputFile &file, const TabularMapping &m, ImportResult &result)
{
    const QString what = QStringLiteral("a %1 file for %2").arg(m.format == TabularFormat::Tsv ? u"TSV" : u"CSV", describe(m));
    const QString text = decodeText(file.bytes);
    CsvReader reader(text, m.reader.delimiter,
                     m.reader.multiline ? CsvReader::LineBreaks::AllowedInQuotes : CsvReader::LineBreaks::EndRecord, file);
    QList<CsvRecord> rows;
    CsvRecord record;
    for (qsizetype start = reader.position(); reader.next(record); start = reader.position()) {
        if (!record.error.isEmpty() && m.reader.lenientQuotes) {
            if (auto fields = lenientFields(QStringView(text).sliced(start, reader.position() - start), m.reader.delimiter)) {
                record.fields = *fields;
                record.error.clear();
            }
        }
        rows.append(record);
    }
    if (reader.limitError())
        return fail(*reader.limitError());
    qsizetype at = std::min<qsizetype>(m.reader.skipRows, rows.size());
    QStringList names = m.reader.columns;
    if (m.reader.header) {
        if (at >= rows.size() || !rows[at].error.isEmpty())
            return fail(notTheFormat(file, what + QStringLiteral(": no header row")));
        QStringList header;
        for (const QString &h : std::as_const(rows[at].fields))
            header.append(h.trimmed());
        ++at;
        if (names.isEmpty())
            names = header;
        else if (names.size() != header.size())
            return fail(notTheFormat(file,
                                     what
                                         + QStringLiteral(": the header has %1 columns, the mapping expects %2")
                                               .arg(header.size())
                                               .arg(names.size())));
        at += m.reader.skipAfterHeader;
    }
    for (const QString &column : m.columns()) {
        const QString head = column.section(u'.', 0, 0).section(u'[', 0, 0);
        if (!names.contains(column) && !names.contains(head))
            return fail(notTheFormat(file, what + QStringLiteral(": there is no column \"%1\"").arg(column)));
    }
    const qsizetype end = std::max<qsizetype>(at, rows.size() - m.reader.footerRows);
    FileRecords out;
    for (qsizetype i = at; i < end; ++i) {
        const CsvRecord &row = rows[i];
        ++out.attempted;
        if (!row.error.isEmpty() || row.fields.size() != names.size()) {
            addProblem(result, file, row.line,
                       row.error.isEmpty()
                           ? QStringLiteral("expected %1 fields, found %2").arg(names.size()).arg(row.fields.size())
                           : row.error);
            ++out.rejected;
            continue;
        }
        bool blank = true;
        TabularRecord r;
        r.line = row.line;
        r.fileName = file.fileName;
        for (qsizetype c = 0; c < names.size(); ++c) {
            blank = blank && row.fields[c].trimmed().isEmpty();
            if (!names[c].isEmpty())
                r.object.insert(names[c], row.fields[c]);
        }
        if (blank) {
            --out.attempted; // a row of empty cells (spreadsheet exports) is no record
            continue;
        }
        out.records.append(std::move(r));
    }
    return out;
}

Result<FileRecords> readJsonLines(const InputFile &file, const TabularMapping &m, ImportResult &result)
{
    const QString what = QStringLiteral("a JSON Lines file for %1").arg(describe(m));
    QByteArray bytes = file.bytes;
    if (bytes.startsWith("\xEF\xBB\xBF"))
        bytes.remove(0, 3);
    FileRecords out;
    qint64 line = 0;
    qsizetype pos = 0;
    while (pos < bytes.size()) {
        qsizetype lineEnd = bytes.indexOf('\n', pos);
        if (lineEnd < 0)
            lineEnd = bytes.size();
        ++line;
        if (lineEnd - pos > file.limits.maxLineChars)
            return fail(limitError(file, line, ImportLimit::LineLength));
        const QByteArray text = bytes.sliced(pos, lineEnd - pos).trimmed();
        pos = lineEnd + 1;
        if (text.isEmpty())
            continue;
        if (++out.attempted > file.limits.maxRecords)
            return fail(limitError(file, line, ImportLimit::Records));
        if (auto s = checkJsonShape(text, file, line); !s)
            return fail(s.error());
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(text, &error);
        QString problem;
        if (error.error != QJsonParseError::NoError)
            problem = QStringLiteral("invalid JSON: %1 at offset %2").arg(error.errorString()).arg(error.offset);
        else if (!doc.isObject())
            problem = QStringLiteral("not a JSON object");
        if (!problem.isEmpty()) {
            if (out.attempted == 1)
                return fail(notTheFormat(file, what + QStringLiteral(": line %1: %2").arg(line).arg(problem)));
            addProblem(result, file, line, problem);
            ++out.rejected;
            continue;
        }
        out.records.append(TabularRecord{doc.object(), line, file.fileName});
    }
    return out;
}

// JSON arrays and YAML documents: the records are found along `records` ("" = the document, "a/b" =
// members, "*" = every element of an array); arrays at the end give their elements.
Result<FileRecords> readDocument(const InputFile &file, const TabularMapping &m, ImportResult &result)
{
    const bool yaml = m.format == TabularFormat::Yaml;
    const QString what = QStringLiteral("a %1 document for %2").arg(yaml ? u"YAML" : u"JSON", describe(m));
    QJsonValue root;
    QList<qint64> itemLines;
    if (yaml) {
        auto parsed = parseYamlSubset(decodeText(file.bytes), &itemLines, file.limits);
        if (!parsed && parsed.error().extra.contains(QStringLiteral("limit"))) {
            Error e = parsed.error();
            e.message = file.fileName + QStringLiteral(": ") + e.message;
            return fail(std::move(e));
        }
        if (!parsed)
            return fail(notTheFormat(file, what + QStringLiteral(": ") + parsed.error().message));
        root = *parsed;
    } else {
        QByteArray bytes = file.bytes;
        if (bytes.startsWith("\xEF\xBB\xBF"))
            bytes.remove(0, 3);
        if (auto s = checkJsonShape(bytes, file, 0, JsonRecord::Whole); !s)
            return fail(s.error());
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
        if (error.error != QJsonParseError::NoError)
            return fail(
                notTheFormat(file, what + QStringLiteral(": %1 at offset %2").arg(error.errorString()).arg(error.offset)));
        root = doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object());
    }
    QList<QJsonValue> current{root};
    for (QStringView step : QStringView(m.reader.recordPath).split(u'/', Qt::SkipEmptyParts)) {
        QList<QJsonValue> next;
        for (const QJsonValue &v : std::as_const(current)) {
            if (step == u"*") {
                for (const QJsonValue &item : v.toArray())
                    next.append(item);
            } else if (v.isObject() && v.toObject().contains(step.toString())) {
                next.append(v.toObject().value(step.toString()));
            }
        }
        current = next;
    }
    QList<QJsonValue> values;
    for (const QJsonValue &v : std::as_const(current)) {
        if (v.isArray()) {
            for (const QJsonValue &item : v.toArray())
                values.append(item);
        } else {
            values.append(v);
        }
    }
    if (current.isEmpty() || (values.size() == 1 && !values.first().isObject()))
        return fail(notTheFormat(file, what + QStringLiteral(": no records at \"%1\"").arg(m.reader.recordPath)));
    const bool knownLines = m.reader.recordPath.isEmpty() && itemLines.size() == values.size();
    if (values.size() > file.limits.maxRecords)
        return fail(limitError(file, 0, ImportLimit::Records));
    FileRecords out;
    for (qsizetype i = 0; i < values.size(); ++i) {
        ++out.attempted;
        const qint64 line = knownLines ? itemLines[i] : i + 1;
        if (values[i].isObject() && values[i].toObject().size() > file.limits.maxFieldsPerRecord)
            return fail(limitError(file, line, ImportLimit::FieldsPerRecord));
        if (!values[i].isObject()) {
            addProblem(result, file, line, QStringLiteral("record %1 is not an object").arg(i + 1));
            ++out.rejected;
            continue;
        }
        out.records.append(TabularRecord{values[i].toObject(), line, file.fileName});
    }
    return out;
}

// --- entities ------------------------------------------------------------------------------------

QString commaInverted(const QString &name)
{
    const QStringList parts = name.split(u',');
    if (parts.size() != 2 || parts[0].trimmed().isEmpty() || parts[1].trimmed().isEmpty())
        return name;
    return parts[1].trimmed() + u' ' + parts[0].trimmed();
}

void addCountry(Entity &e, const CountryRule &rule, const QString &value)
{
    if (rule.names) {
        addCountryName(e, value, rule.label);
        return;
    }
    // ISO codes are written in either case ("ru;tj" in OpenSanctions exports).
    const QString code = countryCode(value.size() == 2 ? value.toUpper() : value);
    if (!code.isEmpty())
        addCountryCode(e, code);
    else
        appendRemark(e, QStringLiteral("%1: %2").arg(rule.label, value));
}

QString labelled(const QString &label, const QString &value)
{
    return label.isEmpty() ? value.simplified() : label + QStringLiteral(": ") + value.simplified();
}

void extractParts(Entity &e, const ExtractRule &rule, const QString &value)
{
    QString rest = value;
    for (const ExtractPart &part : rule.parts) {
        QRegularExpressionMatchIterator it = part.regex.globalMatch(rest);
        while (it.hasNext()) {
            const QString found = it.next().captured(part.group).simplified();
            if (found.isEmpty())
                continue;
            switch (part.target) {
            case ExtractTarget::Alias: addAlias(e, found); break;
            case ExtractTarget::WeakAlias: addAlias(e, found, NameStrength::Weak); break;
            case ExtractTarget::Identifier: addIdentifier(e, part.kind, found, part.country); break;
            case ExtractTarget::Remark: appendRemark(e, labelled(part.label, found)); break;
            case ExtractTarget::Drop: break;
            }
        }
        rest.replace(part.regex, QStringLiteral(" "));
    }
    static const QRegularExpression edges(QStringLiteral("^[\\s,;:]+|[\\s,;:]+$"));
    rest = rest.simplified().remove(edges);
    if (rest.isEmpty())
        return;
    switch (rule.rest) {
    case ExtractTarget::Alias: addAlias(e, rest); break;
    case ExtractTarget::WeakAlias: addAlias(e, rest, NameStrength::Weak); break;
    case ExtractTarget::Remark: appendRemark(e, labelled(rule.restLabel, rest)); break;
    case ExtractTarget::Identifier:
    case ExtractTarget::Drop: break;
    }
}

QString isoOf(const BirthDate &d)
{
    return QDate(d.year, d.month, d.day).toString(Qt::ISODate);
}

class EntityBuilder
{
public:
    EntityBuilder(const InputFile &file, ImportResult &result)
        : m_file(file)
        , m_result(result)
    {
    }

    // The entity of one record, or nothing when the record has no name (reported as a problem).
    std::optional<Entity> build(const TabularMapping &m, const TabularRecord &r)
    {
        Entity e;
        e.source = m.id;
        bool primary = false;
        for (const NameRule &rule : m.names) {
            for (const QString &v : rule.value.values(r)) {
                const QString name = rule.order == NameOrder::CommaInverted ? commaInverted(v) : v;
                if (!std::any_of(name.cbegin(), name.cend(), [](QChar c) { return c.isLetter(); }))
                    continue; // "???": a name lost to an encoding error upstream
                if (rule.role == NameRole::Primary && !primary) {
                    addPrimaryName(e, name);
                    primary = true;
                } else {
                    addAlias(e, name, rule.role == NameRole::Weak ? NameStrength::Weak : NameStrength::Strong);
                }
            }
        }
        if (e.names.isEmpty()) {
            addProblem(m_result, m_file, r.line, QStringLiteral("record without a name"));
            return std::nullopt;
        }
        e.type = m.type.fallback;
        if (m.type.value.isSet()) {
            bool ok = false;
            const EntityType t = entityTypeFromName(m.type.value.first(r), &ok);
            if (ok && t != EntityType::Unknown)
                e.type = t;
        }
        if (e.type != EntityType::Person && m.type.personIfName && m.type.personIfName->match(e.primaryName()).hasMatch())
            e.type = EntityType::Person;

        for (const DateRule &rule : m.birthDates) {
            for (const QString &v : rule.value.values(r)) {
                const ParsedDate d = parseDateForms(v, rule.forms);
                if (d.kind == DateParse::Date)
                    addBirthDate(e, d.date);
                else if (d.kind == DateParse::NoYear)
                    appendRemark(e, labelled(rule.noYearLabel, v));
                else
                    dateProblem(r, rule, v);
            }
        }
        if (m.gender.isSet())
            setGender(e, m.gender.first(r));
        for (const CountryRule &rule : m.countries) {
            for (const QString &v : rule.value.values(r))
                addCountry(e, rule, v);
        }
        for (const IdentifierRule &rule : m.identifiers) {
            for (const QString &v : rule.value.values(r))
                addIdentifier(e, rule.kind, v, rule.country);
        }
        for (const ValueSpec &spec : m.addresses) {
            for (const QString &v : spec.values(r))
                addAddress(e, {v});
        }
        for (const ValueSpec &spec : m.programs) {
            for (const QString &v : spec.values(r))
                addUnique(e.programs, v.simplified());
        }
        for (const ValueSpec &spec : m.positions) {
            for (const QString &v : spec.values(r))
                appendRemark(e, labelled(QStringLiteral("Position"), v));
        }
        for (const ValueSpec &spec : m.topics) {
            for (const QString &v : spec.values(r))
                addUnique(e.topics, v);
        }
        for (const LabelledRule &rule : m.remarks) {
            for (const QString &v : rule.value.values(r))
                appendRemark(e, labelled(rule.label, v));
        }
        for (const ExtractRule &rule : m.extract) {
            for (const QString &v : rule.value.values(r))
                extractParts(e, rule, v);
        }
        for (const DateRule &rule : m.listedOn) {
            for (const QString &v : rule.value.values(r)) {
                const ParsedDate d = parseDateForms(v, rule.forms);
                if (d.kind == DateParse::Date && d.date.day > 0 && e.listedOn.isEmpty())
                    e.listedOn = isoOf(d.date);
                else if (d.kind == DateParse::Unparsable)
                    dateProblem(r, rule, v);
            }
        }
        if (m.publicationDate.isSet()) {
            for (const QString &v : m.publicationDate.value.values(r)) {
                const ParsedDate d = parseDateForms(v, m.publicationDate.forms);
                if (d.kind == DateParse::Date && d.date.day > 0 && isoOf(d.date) > m_result.publicationDate)
                    m_result.publicationDate = isoOf(d.date);
            }
        }
        return e;
    }

private:
    void dateProblem(const TabularRecord &r, const DateRule &rule, const QString &value)
    {
        addProblem(
            m_result, m_file, r.line,
            QStringLiteral("%1 \"%2\" is in none of the forms %3").arg(rule.label, value.simplified(), formsText(rule.forms)));
    }

    static QString formsText(const QList<DateForm> &forms)
    {
        QStringList p;
        for (const DateForm &f : forms)
            p.append(f.pattern);
        return p.join(QStringLiteral(", "));
    }

    const InputFile &m_file;
    ImportResult &m_result;
};

void mergeInto(Entity &into, const Entity &from)
{
    for (const Name &n : from.names)
        addAlias(into, n.full, n.weak ? NameStrength::Weak : NameStrength::Strong);
    if (into.type == EntityType::Unknown)
        into.type = from.type;
    for (const BirthDate &d : from.birthDates)
        addBirthDate(into, d);
    for (const QString &c : from.countries)
        addUnique(into.countries, c);
    if (into.gender.isEmpty())
        into.gender = from.gender;
    for (const Identifier &i : from.identifiers)
        addIdentifier(into, i.kind, i.value, i.country);
    for (const QString &a : from.addresses)
        addUnique(into.addresses, a);
    for (const QString &p : from.programs)
        addUnique(into.programs, p);
    for (const QString &t : from.topics)
        addUnique(into.topics, t);
    for (const QString &line : from.remarks.split(u'\n', Qt::SkipEmptyParts))
        appendRemark(into, line);
    if (!from.listedOn.isEmpty() && (into.listedOn.isEmpty() || from.listedOn < into.listedOn))
        into.listedOn = from.listedOn;
}

QString nativeId(const TabularMapping &m, const TabularRecord &r)
{
    QStringList parts;
    bool any = false;
    for (const ValueSpec &spec : m.idParts) {
        parts.append(spec.first(r).simplified());
        any = any || !parts.last().isEmpty();
    }
    if (!any) // no id in the source: the position in the file is the last resort
        return QFileInfo(r.fileName).completeBaseName() + u'-' + QString::number(r.line);
    const QString joined = parts.join(u'|');
    if (!m.idHash)
        return joined;
    return QString::fromLatin1(QCryptographicHash::hash(joined.toUtf8(), QCryptographicHash::Sha1).toHex().left(16));
}

// Empty when a part is missing: such a row is never merged.
QString mergeKeyOf(const TabularMapping &m, const TabularRecord &r)
{
    if (m.mergeKey.isEmpty())
        return {};
    QStringList parts;
    for (const ValueSpec &spec : m.mergeKey) {
        const QString part = spec.first(r).simplified().toLower();
        if (part.isEmpty())
            return {};
        parts.append(part);
    }
    return parts.join(QChar(0x1F));
}

} // namespace

} // namespace detail

QList<TabularSource> tabularSources()
{
    QList<TabularSource> out;
    for (const QString &id : detail::tabularMappingIds()) {
        if (auto source = tabularSource(id))
            out.append(*source);
    }
    return out;
}

std::optional<TabularSource> tabularSource(const QString &id)
{
    const auto set = detail::loadTabularMapping(id);
    if (!set)
        return std::nullopt;
    const detail::TabularMapping &m = set->base();
    return TabularSource{m.id, m.title, m.category, m.defaultFiles};
}

Result<ImportResult> importTabular(const QString &sourceId, const QStringList &files, const ImportProgress &progress,
                                   const ImportLimits &limits)
{
    using namespace detail;
    auto set = loadTabularMapping(sourceId);
    if (!set)
        return fail(set.error());
    if (files.isEmpty())
        return fail(ErrorCode::Validation, QStringLiteral("no file given for %1").arg(sourceId));
    std::vector<InputFile> inputs;
    inputs.reserve(std::size_t(files.size()));
    qint64 total = 0;
    for (const QString &path : files) {
        auto file = readInputFile(path, limits);
        if (!file)
            return fail(file.error());
        total += file->bytes.size();
        inputs.push_back(std::move(*file));
    }

    ProgressReporter reporter(progress, total);
    reporter.start();
    ImportResult result;
    QHash<QString, qsizetype> byMergeKey;
    QHash<QString, int> idUses;
    for (const InputFile &file : inputs) {
        const TabularMapping &m = set->forFile(file.fileName);
        if (looksBinary(file.bytes))
            return fail(notTheFormat(file, QStringLiteral("a text file for %1").arg(m.title)));
        const qsizetype problemsBefore = result.problems.size();
        Result<FileRecords> read = [&]() -> Result<FileRecords> {
            switch (m.format) {
            case TabularFormat::Csv:
            case TabularFormat::Tsv: return readDelimited(file, m, result);
            case TabularFormat::JsonLines: return readJsonLines(file, m, result);
            case TabularFormat::JsonArray:
            case TabularFormat::Yaml: return readDocument(file, m, result);
            }
            return fail(ErrorCode::Internal, QStringLiteral("unknown format"));
        }();
        if (!read)
            return fail(read.error());
        EntityBuilder builder(file, result);
        qint64 rejected = read->rejected;
        const qsizetype count = read->records.size();
        for (qsizetype i = 0; i < count; ++i) {
            const TabularRecord &r = read->records[i];
            std::optional<Entity> e = builder.build(m, r);
            if ((i & 0xFF) == 0)
                reporter.update(qint64(double(i) / double(count) * double(file.bytes.size())));
            if (!e) {
                ++rejected;
                continue;
            }
            const QString key = mergeKeyOf(m, r);
            if (!key.isEmpty()) {
                if (const auto it = byMergeKey.constFind(key); it != byMergeKey.cend()) {
                    mergeInto(result.entities[*it], *e);
                    continue;
                }
                byMergeKey.insert(key, result.entities.size());
            }
            QString id = nativeId(m, r);
            if (const int uses = ++idUses[id]; uses > 1)
                id += u'#' + QString::number(uses);
            e->id = m.id + u':' + id;
            result.entities.append(std::move(*e));
        }
        if (read->attempted == 0)
            return fail(ErrorCode::Validation, QStringLiteral("%1 has no records").arg(file.fileName));
        if (mostlyMalformed(read->attempted, rejected) || rejected == read->attempted)
            return fail(notTheFormat(
                file,
                QStringLiteral("a file for %1: %2 of %3 records are malformed").arg(m.title).arg(rejected).arg(read->attempted)));
        // Reading and building report separately; a file's problems are listed in line order.
        std::stable_sort(result.problems.begin() + problemsBefore, result.problems.end(),
                         [](const ImportProblem &a, const ImportProblem &b) { return a.line < b.line; });
        reporter.finishFile(file.bytes.size());
    }
    finishResult(result);
    if (auto s = checkEntityLimits(result, limits); !s)
        return fail(s.error());
    reporter.finish();
    return result;
}

} // namespace kyc::screening
