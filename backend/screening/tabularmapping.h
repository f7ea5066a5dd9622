#pragma once

// The declarative mapping behind importTabular(): how one source's records (CSV/TSV rows, JSON Lines
// objects, elements of a JSON array or YAML sequence) become Entities. The schema is described in
// docs/tabular-mappings.md; mappings ship as resources/screening/sources/<id>.json. Not part of the public API.

#include "backend/core/result.h"
#include "backend/screening/entity.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <optional>

namespace kyc::screening::detail {

// One record of any reader: CSV columns become string members; JSON objects stay as they are.
struct TabularRecord {
    QJsonObject object;
    qint64 line = 0; // 1-based line (CSV, JSON Lines, YAML) or record number (JSON array)
    QString fileName;
};

// Where a value comes from and how it is cleaned. Written in a mapping as a string ("DOB" is a field path,
// "{first} {last}" a template) or an object (see the documentation).
struct ValueSpec {
    enum class Kind { None, Field, Template, Constant };
    Kind kind = Kind::None;
    QStringList fields; // Field: paths, their values in order
    QString text; // Template
    QStringList constants; // Constant
    QStringList separators; // split each value on any of these
    QList<std::pair<QRegularExpression, QString>> replace;
    std::optional<QRegularExpression> match; // keep only values it matches
    QStringList skip; // values (case-insensitive) that mean "none"
    QHash<QString, QString> map; // lower-cased value → replacement; an empty replacement drops the value
    bool mapOnly = false; // values missing from the map are dropped
    std::optional<QString> fallback; // "default": what values missing from the map (or no value at all) become
    bool fixMojibake = false; // UTF-8 that was read as Windows-1252 ("Ã©" → "é") is repaired

    [[nodiscard]] bool isSet() const { return kind != Kind::None; }
    // The cleaned, non-empty values for a record.
    [[nodiscard]] QStringList values(const TabularRecord &record) const;
    [[nodiscard]] QString first(const TabularRecord &record) const;
    // The record members the spec reads (first path segments), for header checks.
    [[nodiscard]] QStringList columns() const;
};

// A date form: "ISO" (parseIsoDate) or a pattern of YYYY, MM/M, DD/D, Mon (month name) and literal text,
// e.g. "DD.MM.YYYY", "M/D/YYYY", "Mon DD, YYYY". A form without YYYY matches dates that are kept as remarks.
struct DateForm {
    QString pattern;
    bool iso = false;
    QRegularExpression regex;
    int yearGroup = 0, monthGroup = 0, dayGroup = 0, monthNameGroup = 0; // 0 = absent
};

struct DateRule {
    ValueSpec value;
    QList<DateForm> forms;
    QString label; // for problem messages
    QString noYearLabel; // remarks for dates without a year: "<label> (no year): 18.02"
    [[nodiscard]] bool isSet() const { return value.isSet(); }
};

enum class DateParse { Date, NoYear, Unparsable };
struct ParsedDate {
    DateParse kind = DateParse::Unparsable;
    BirthDate date;
};
[[nodiscard]] ParsedDate parseDateForms(const QString &text, const QList<DateForm> &forms);

enum class NameRole { Primary, Alias, Weak };
enum class NameOrder { AsPublished, CommaInverted };

struct NameRule {
    ValueSpec value;
    NameRole role = NameRole::Alias;
    NameOrder order = NameOrder::AsPublished;
};

struct TypeRule {
    ValueSpec value; // its (mapped) value is an entity type name
    EntityType fallback = EntityType::Unknown;
    std::optional<QRegularExpression> personIfName; // e.g. an honorific on the primary name
};

struct CountryRule {
    ValueSpec value;
    bool names = false; // values are country names (mapped through countryCode), not ISO codes
    QString label; // remark label for names that are not recognised
};

struct IdentifierRule {
    ValueSpec value;
    QString kind;
    QString country;
};

struct LabelledRule {
    ValueSpec value;
    QString label; // remarks: "<label>: <value>"; empty = the value alone
};

enum class ExtractTarget { Alias, WeakAlias, Identifier, Remark, Drop };

// Pulls parts out of a value with a regular expression (e.g. "(also known as X)" → alias X,
// "(Reg. No: 123)" → identifier). Each rule's matches are removed before the next rule runs; what is left
// goes to `rest` unless it is Drop.
struct ExtractPart {
    QRegularExpression regex;
    int group = 0;
    ExtractTarget target = ExtractTarget::Drop;
    QString kind; // identifier kind
    QString country; // identifier country
    QString label; // remark label
};

struct ExtractRule {
    ValueSpec value;
    QList<ExtractPart> parts;
    ExtractTarget rest = ExtractTarget::Drop;
    QString restLabel;
};

enum class TabularFormat { Csv, Tsv, JsonLines, JsonArray, Yaml };

struct ReaderOptions {
    QChar delimiter = u',';
    bool multiline = true; // line breaks allowed inside quoted CSV fields
    int skipRows = 0; // rows before the header
    bool header = true;
    int skipAfterHeader = 0; // e.g. the second row of a two-level header
    int footerRows = 0; // trailing rows that are not records
    bool lenientQuotes = false; // a quote inside a quoted field is text unless a delimiter or line end follows it
    QStringList columns; // replace the header's names (same count), or name the columns of a headerless file
    QString recordPath; // JSON array / YAML: where the records are ("" = the document; "*" = each element's elements)
};

// One mapping as it applies to one file (a mapping's "files" overrides are already merged in).
struct TabularMapping {
    QString id;
    QString title;
    QString category;
    QString description;
    QStringList defaultFiles;
    TabularFormat format = TabularFormat::Csv;
    ReaderOptions reader;

    QList<ValueSpec> idParts; // joined with '|'
    bool idHash = false; // the native id is a hash of the parts (no id in the source)
    QList<ValueSpec> mergeKey; // rows whose parts are all non-empty and equal are one entity
    TypeRule type;
    QList<NameRule> names;
    QList<DateRule> birthDates;
    ValueSpec gender;
    QList<CountryRule> countries;
    QList<IdentifierRule> identifiers;
    QList<ValueSpec> addresses;
    QList<ValueSpec> programs;
    QList<ValueSpec> positions;
    QList<ValueSpec> topics;
    QList<LabelledRule> remarks;
    QList<ExtractRule> extract;
    QList<DateRule> listedOn; // the first that gives a full date
    DateRule publicationDate; // the latest over all records

    // Record members the mapping reads: a CSV header must have them.
    [[nodiscard]] QStringList columns() const;
};

// A mapping document: the base mapping plus per-file variants.
class TabularMappingSet
{
public:
    // Parses and checks a mapping document; unknown keys, bad regular expressions and bad date forms are
    // errors (ErrorCode::Validation) so a typo in a mapping cannot silently drop data.
    static Result<TabularMappingSet> fromJson(const QJsonObject &json);
    // The same from the document's bytes, held to the JSON limits of a list file (depth, string length).
    static Result<TabularMappingSet> fromBytes(QByteArrayView json);
    [[nodiscard]] const TabularMapping &base() const { return m_base; }
    // The mapping for a file, by its name (the "files" entries match on the file name with * and ?).
    [[nodiscard]] const TabularMapping &forFile(const QString &fileName) const;

private:
    TabularMapping m_base;
    QList<std::pair<QRegularExpression, TabularMapping>> m_files;
};

// Loads :/screening/sources/<id>.json. Unknown id → NotFound-like Validation error.
[[nodiscard]] Result<TabularMappingSet> loadTabularMapping(const QString &id);
[[nodiscard]] QStringList tabularMappingIds();

[[nodiscard]] QString repairMojibake(const QString &text);
[[nodiscard]] EntityType entityTypeFromName(const QString &name, bool *ok = nullptr);

} // namespace kyc::screening::detail
