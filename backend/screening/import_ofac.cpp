// OFAC legacy CSV sets (SDN: sdn/add/alt/sdn_comments.csv; consolidated non-SDN: cons_prim/add/alt/comments.csv).
// No header, "-0-" nulls, CRLF, a Ctrl-Z EOF byte; remarks truncated at 1,000 characters and continued in
// the comments file, so the remarks are parsed only after the continuation is joined.
#include "backend/screening/import_countries.h"
#include "backend/screening/import_formats.h"
#include "backend/screening/import_remarks.h"

#include <QHash>

#include <array>

namespace kyc::screening::detail {

namespace {

enum class OfacPart { Primary, Addresses, Aliases, Comments };

constexpr int fieldCount(OfacPart part)
{
    switch (part) {
    case OfacPart::Primary: return 12;
    case OfacPart::Addresses: return 6;
    case OfacPart::Aliases: return 5;
    case OfacPart::Comments: return 2;
    }
    return 0;
}

QString partName(OfacPart part)
{
    switch (part) {
    case OfacPart::Primary: return QStringLiteral("an OFAC primary list (sdn.csv / cons_prim.csv, 12 columns)");
    case OfacPart::Addresses: return QStringLiteral("an OFAC address file (add.csv, 6 columns)");
    case OfacPart::Aliases: return QStringLiteral("an OFAC alias file (alt.csv, 5 columns)");
    case OfacPart::Comments: return QStringLiteral("an OFAC remarks continuation file (sdn_comments.csv, 2 columns)");
    }
    return {};
}

std::optional<OfacPart> partFromName(const QString &fileName)
{
    const QString name = fileName.toLower();
    if (name.contains(u"comments"))
        return OfacPart::Comments;
    if (name.endsWith(u"add.csv"))
        return OfacPart::Addresses;
    if (name.endsWith(u"alt.csv"))
        return OfacPart::Aliases;
    if (name.endsWith(u"sdn.csv") || name.endsWith(u"prim.csv"))
        return OfacPart::Primary;
    return std::nullopt;
}

bool isEntNum(QStringView text)
{
    if (text.isEmpty() || text.size() > 12)
        return false;
    return std::all_of(text.begin(), text.end(), [](QChar c) { return c >= u'0' && c <= u'9'; });
}

EntityType ofacType(const QString &sdnType)
{
    const QString t = sdnType.toLower();
    if (t.isEmpty())
        return EntityType::Organization; // "-0-": OFAC's entities
    if (t == u"individual")
        return EntityType::Person;
    if (t == u"vessel")
        return EntityType::Vessel;
    if (t == u"aircraft")
        return EntityType::Aircraft;
    return EntityType::Unknown;
}

struct OfacState {
    ImportResult result;
    QHash<QString, qsizetype> byEntNum;
    QList<qint64> lines; // line of each entity in the primary file
    QStringList rawRemarks; // per entity, joined with its continuation before parsing
};

// Runs `handle` on every well-formed record of one file; malformed records become problems.
template <typename Handler>
Status forEachRecord(const InputFile &file, OfacPart part, ProgressReporter &progress, ImportResult &result, Handler &&handle)
{
    if (looksBinary(file.bytes))
        return fail(notTheFormat(file, partName(part)));
    const QString text = decodeText(file.bytes);
    CsvReader reader(text, u',', CsvReader::LineBreaks::EndRecord, file);
    CsvRecord record;
    qint64 records = 0;
    qint64 problems = 0;
    const int expected = fieldCount(part);
    while (reader.next(record)) {
        ++records;
        QString problem = record.error;
        if (problem.isEmpty() && record.fields.size() != expected)
            problem = QStringLiteral("expected %1 fields, found %2").arg(expected).arg(record.fields.size());
        if (problem.isEmpty() && !isEntNum(record.fields[0].trimmed()))
            problem = QStringLiteral("ent_num \"%1\" is not a number").arg(record.fields[0].trimmed());
        if (!problem.isEmpty()) {
            // The first record decides whether this is the format at all.
            if (records == 1)
                return fail(
                    notTheFormat(file, QStringLiteral("%1: line %2: %3").arg(partName(part)).arg(record.line).arg(problem)));
            ++problems;
            addProblem(result, file, record.line, problem);
            continue;
        }
        handle(record);
        reportCsvProgress(progress, reader, file, records);
    }
    if (reader.limitError())
        return fail(*reader.limitError());
    if (mostlyMalformed(records, problems))
        return fail(notTheFormat(
            file, QStringLiteral("%1: %2 of %3 records are malformed").arg(partName(part)).arg(problems).arg(records)));
    if (part == OfacPart::Primary && records == 0)
        return fail(ErrorCode::Validation, QStringLiteral("%1 has no entries").arg(file.fileName));
    progress.finishFile(file.bytes.size());
    return {};
}

Entity *entityFor(OfacState &state, const InputFile &file, const CsvRecord &record, const QString &what)
{
    const QString entNum = record.fields[0].trimmed();
    const auto it = state.byEntNum.constFind(entNum);
    if (it == state.byEntNum.cend()) {
        addProblem(state.result, file, record.line, QStringLiteral("%1 for unknown ent_num %2").arg(what, entNum));
        return nullptr;
    }
    return &state.result.entities[*it];
}

} // namespace

Result<ImportResult> importOfacCsv(ListFormat format, const std::vector<InputFile> &files, ProgressReporter &progress)
{
    const bool consolidated = format == ListFormat::OfacConsCsv;
    const QString source = consolidated ? QStringLiteral("ofac_cons") : QStringLiteral("ofac_sdn");

    std::array<const InputFile *, 4> parts{};
    for (const InputFile &f : files) {
        std::optional<OfacPart> part = partFromName(f.fileName);
        if (!part && files.size() == 1)
            part = OfacPart::Primary;
        if (!part)
            return fail(ErrorCode::Validation,
                        QStringLiteral("cannot tell which part of an OFAC set %1 is (expected sdn.csv/cons_prim.csv, add, alt or "
                                       "comments files)")
                            .arg(f.fileName));
        const auto index = std::size_t(*part);
        if (parts[index])
            return fail(ErrorCode::Validation,
                        QStringLiteral("%1 and %2 are the same part of an OFAC set").arg(parts[index]->fileName, f.fileName));
        parts[index] = &f;
    }
    const InputFile *primary = parts[std::size_t(OfacPart::Primary)];
    if (!primary)
        return fail(ErrorCode::Validation,
                    QStringLiteral("an OFAC set needs its %1 file")
                        .arg(consolidated ? QStringLiteral("cons_prim.csv") : QStringLiteral("sdn.csv")));

    OfacState state;
    auto &entities = state.result.entities;

    // 1. Primary records.
    auto primaryResult = forEachRecord(*primary, OfacPart::Primary, progress, state.result, [&](const CsvRecord &r) {
        const QString entNum = r.fields[0].trimmed();
        const QString name = ofacNull(r.fields[1]);
        if (name.isEmpty()) {
            addProblem(state.result, *primary, r.line, QStringLiteral("ent_num %1 has no name").arg(entNum));
            return;
        }
        if (const auto it = state.byEntNum.constFind(entNum); it != state.byEntNum.cend()) {
            addProblem(state.result, *primary, r.line,
                       QStringLiteral("duplicate ent_num %1 (first on line %2)").arg(entNum).arg(state.lines[*it]));
            return;
        }
        Entity e;
        e.id = source + u':' + entNum;
        e.source = source;
        const QString sdnType = ofacNull(r.fields[2]);
        e.type = ofacType(sdnType);
        if (e.type == EntityType::Unknown)
            addProblem(state.result, *primary, r.line,
                       QStringLiteral("ent_num %1 has an unknown SDN_Type \"%2\"").arg(entNum, sdnType));
        addPrimaryName(e, name);
        QString programs = ofacNull(r.fields[3]);
        programs.remove(u'[').remove(u']');
        for (const QString &p : programs.split(u' ', Qt::SkipEmptyParts))
            addUnique(e.programs, p);
        e.topics = QStringList{QStringLiteral("sanction")};
        static const char16_t *const labels[]
            = {u"Title", u"Call sign", u"Vessel type", u"Tonnage", u"GRT", u"Vessel flag", u"Vessel owner"};
        QStringList details;
        for (int i = 4; i <= 10; ++i) {
            const QString v = ofacNull(r.fields[i]);
            if (!v.isEmpty())
                details.append(QString::fromUtf16(labels[i - 4]) + u' ' + v);
        }
        if (const QString flag = ofacNull(r.fields[9]); !flag.isEmpty())
            addCountryCode(e, countryCode(flag));
        if (const QString callSign = ofacNull(r.fields[5]); !callSign.isEmpty())
            addIdentifier(e, QStringLiteral("other"), callSign);
        state.byEntNum.insert(entNum, entities.size());
        state.lines.append(r.line);
        // Remarks are kept unparsed (and untrimmed: the continuation may start mid-word) until the comments are in.
        state.rawRemarks.append(r.fields[11].trimmed() == u"-0-" ? QString() : r.fields[11]);
        e.remarks = details.join(QStringLiteral("; "));
        entities.append(std::move(e));
    });
    if (!primaryResult)
        return fail(primaryResult.error());

    // 2. Remarks continuations, then the remarks themselves.
    if (const InputFile *comments = parts[std::size_t(OfacPart::Comments)]) {
        auto r = forEachRecord(*comments, OfacPart::Comments, progress, state.result, [&](const CsvRecord &rec) {
            const QString entNum = rec.fields[0].trimmed();
            const auto it = state.byEntNum.constFind(entNum);
            if (it == state.byEntNum.cend()) {
                addProblem(state.result, *comments, rec.line,
                           QStringLiteral("remarks continuation for unknown ent_num %1").arg(entNum));
                return;
            }
            if (ofacNull(rec.fields[1]).isEmpty())
                return;
            state.rawRemarks[*it] += rec.fields[1];
        });
        if (!r)
            return fail(r.error());
    }

    // 3. Strong aliases from alt.csv come before the weak ones in the remarks.
    if (const InputFile *aliases = parts[std::size_t(OfacPart::Aliases)]) {
        auto r = forEachRecord(*aliases, OfacPart::Aliases, progress, state.result, [&](const CsvRecord &rec) {
            Entity *e = entityFor(state, *aliases, rec, QStringLiteral("alias"));
            if (!e)
                return;
            const QString name = ofacNull(rec.fields[3]);
            if (name.isEmpty()) {
                addProblem(state.result, *aliases, rec.line, QStringLiteral("alias without a name"));
                return;
            }
            const bool weak = ofacNull(rec.fields[4]).contains(u"weak", Qt::CaseInsensitive);
            addAlias(*e, name, weak ? NameStrength::Weak : NameStrength::Strong);
        });
        if (!r)
            return fail(r.error());
    }

    for (qsizetype i = 0; i < entities.size(); ++i) {
        Entity &e = entities[i];
        const QString remarks = state.rawRemarks[i].trimmed();
        if (remarks.isEmpty())
            continue;
        applyOfacRemarks(e, remarks);
        e.remarks = e.remarks.isEmpty() ? remarks : remarks + u'\n' + e.remarks;
    }

    // 4. Addresses.
    if (const InputFile *addresses = parts[std::size_t(OfacPart::Addresses)]) {
        auto r = forEachRecord(*addresses, OfacPart::Addresses, progress, state.result, [&](const CsvRecord &rec) {
            Entity *e = entityFor(state, *addresses, rec, QStringLiteral("address"));
            if (!e)
                return;
            const QString country = ofacNull(rec.fields[4]);
            addAddress(*e, {ofacNull(rec.fields[2]), ofacNull(rec.fields[3]), country});
            addCountryName(*e, country, QStringLiteral("Address country"));
        });
        if (!r)
            return fail(r.error());
    }

    finishResult(state.result);
    return std::move(state.result);
}

} // namespace kyc::screening::detail
