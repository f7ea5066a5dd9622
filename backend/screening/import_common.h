#pragma once

// Internal helpers shared by the list importers: file reading, progress, text decoding, a CSV reader
// with line numbers, a small XML element tree, date parsing and Entity builders. Not part of the public API.

#include "backend/core/result.h"
#include "backend/screening/entity.h"
#include "backend/screening/importers.h"
#include "backend/screening/importlimits.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>
#include <QStringView>

#include <functional>
#include <optional>
#include <utility>
#include <vector>

class QXmlStreamReader;

namespace kyc::screening::detail {

struct InputFile {
    QString path;
    QString fileName; // base name, for messages and for recognising the parts of an OFAC set
    QByteArray bytes;
    ImportLimits limits; // what every reader of this file holds it to
};

// Reads a whole file. Missing or unreadable → Validation; over limits.maxFileBytes → the file size limit error.
[[nodiscard]] Result<InputFile> readInputFile(const QString &path, const ImportLimits &limits);

// Holds one JSON text of `file` (a line or the whole document) to the file's depth and field length limits,
// and, when `record` says so, to the fields per record limit (no array or object with more members).
enum class JsonRecord { Whole, Line };
[[nodiscard]] Status checkJsonShape(QByteArrayView text, const InputFile &file, qint64 line,
                                    JsonRecord record = JsonRecord::Line);

// The limit error for `file`, at `line` when it is known (> 0).
[[nodiscard]] Error limitError(const InputFile &file, qint64 line, ImportLimit limit);
// Refuses an entity with more names than the limit (checked once the importer is done with a file).
[[nodiscard]] Status checkEntityLimits(const ImportResult &result, const ImportLimits &limits);

// A file that is obviously not text (NUL bytes, image/archive signatures) cannot be any of the list formats.
[[nodiscard]] bool looksBinary(const QByteArray &bytes);

[[nodiscard]] Error notTheFormat(const InputFile &file, const QString &what);

// UTF-8 (BOM stripped); files that are not valid UTF-8 are read as Latin-1, which never fails.
[[nodiscard]] QString decodeText(const QByteArray &bytes);

// Reports (bytes done, bytes total) over all files of one import, at most about every 1% of the total.
class ProgressReporter final
{
public:
    ProgressReporter(const ImportProgress &callback, qint64 total);
    void start();
    // `done` bytes of the current file are processed.
    void update(qint64 done);
    // The current file is done; later updates count from its end.
    void finishFile(qint64 size);
    void finish();

private:
    void emitProgress(qint64 done);

    const ImportProgress &m_callback;
    qint64 m_total = 0;
    qint64 m_base = 0;
    qint64 m_last = -1;
    qint64 m_step = 1;
};

struct CsvRecord {
    QStringList fields;
    qint64 line = 0; // 1-based line where the record starts
    QString error; // non-empty when the record is malformed
};

// RFC 4180 with the quirks of the files at hand: CRLF or LF, unquoted fields with stray spaces
// (OFAC "-0- "), a Ctrl-Z EOF byte, blank lines. Without `multiline`, a line break inside quotes ends
// the record with an error instead of swallowing the rest of the file.
// A record over one of the file's limits (record count, line length, field length, fields per record) stops
// the reader: next() answers false and limitError() says which limit; callers check it after their loop.
class CsvReader final
{
public:
    enum class LineBreaks { EndRecord, AllowedInQuotes };
    CsvReader(QStringView text, QChar delimiter, LineBreaks lineBreaks, const InputFile &file);
    [[nodiscard]] bool next(CsvRecord &record);
    [[nodiscard]] qsizetype position() const { return m_pos; }
    [[nodiscard]] qsizetype size() const { return m_text.size(); }
    [[nodiscard]] const std::optional<Error> &limitError() const { return m_limitError; }

private:
    bool readRecord(CsvRecord &record);
    void skipToLineEnd();
    bool atLineEnd() const;
    void consumeLineEnd();

    QStringView m_text;
    QChar m_delimiter;
    LineBreaks m_lineBreaks;
    const InputFile &m_file;
    qsizetype m_pos = 0;
    qint64 m_line = 1;
    qint64 m_records = 0;
    // Where an earlier quoted field ran to the end of the text unclosed: a later quoted field that reaches
    // ordinary text beyond this point cannot close either (both scans are then in step), so it is known to be
    // unterminated at once instead of after another scan to the end (quadratic on a file of stray quotes).
    qsizetype m_unclosedFrom = -1;
    std::optional<Error> m_limitError;
};

// Reports how far `reader` has come through `file` (now and then: every 256th record).
void reportCsvProgress(ProgressReporter &progress, const CsvReader &reader, const InputFile &file, qint64 records);
// After the last record of a delimited list: a limit the reader stopped at, none at all, or mostly malformed ones, means not this
// format.
[[nodiscard]] Status checkCsvRecords(const CsvReader &reader, const InputFile &file, const QString &what, qint64 records,
                                     qint64 problems);

// The header row of a delimited file: lower-cased, trimmed column name -> position, and the row's width.
struct CsvHeader {
    QHash<QString, qsizetype> column;
    qsizetype width = 0;
};
// Reads the first record as the header; not the format (Validation) when it is missing, malformed or lacks one
// of `required` (compared case-insensitively).
[[nodiscard]] Result<CsvHeader> readCsvHeader(CsvReader &reader, const InputFile &file, const QString &what,
                                              const QStringList &required);

// One XML element with its attributes, trimmed text and children (the lists are small enough to hold
// one record at a time as a tree; names are local names, namespaces are ignored).
struct XmlNode {
    QString name;
    std::vector<std::pair<QString, QString>> attributes;
    QString text;
    std::vector<XmlNode> children;
    qint64 line = 0;

    [[nodiscard]] QString attr(QStringView attrName) const;
    [[nodiscard]] const XmlNode *child(QStringView childName) const;
    [[nodiscard]] std::vector<const XmlNode *> childrenNamed(QStringView childName) const;
    [[nodiscard]] QString childText(QStringView childName) const; // trimmed; empty when absent
    // Texts of every descendant named `leafName` below the child `childName` (e.g. NATIONALITY/VALUE).
    [[nodiscard]] QStringList texts(QStringView childName, QStringView leafName) const;
};

// Reads the element the reader is positioned on (a StartElement) up to its end, without recursion. Elements
// nested deeper than `depthLeft` levels, texts and attributes over the field length and more than the fields
// per record limit of elements stop it with that limit's error.
[[nodiscard]] Result<XmlNode> readXmlElement(QXmlStreamReader &xml, const InputFile &file, int depthLeft);
// Skips the element the reader is positioned on, with the same depth limit.
[[nodiscard]] Status skipXmlElement(QXmlStreamReader &xml, const InputFile &file, int depthLeft);

// Moves to the document element; returns its local name, or an empty string if there is none.
[[nodiscard]] QString readToRootElement(QXmlStreamReader &xml);

[[nodiscard]] Error xmlError(const InputFile &file, const QXmlStreamReader &xml);

// An XML list format: a document element and record elements, each read whole into an XmlNode and turned
// into an entity (UN, EU FSF and UK lists).
struct XmlListFormat {
    QString what; // "a UN consolidated list XML file (CONSOLIDATED_LIST)", for the not-the-format error
    QString root; // the document element
    QStringList records; // record elements
    QStringList containers = {}; // elements whose children are records (descended into, not skipped)
    QString recordsLabel = {}; // "INDIVIDUAL or ENTITY", for "has no … records"
    std::function<void(QXmlStreamReader &, ImportResult &)> onRoot = {}; // at the document element (its attributes)
    std::function<bool(QXmlStreamReader &, ImportResult &)> onOther = {}; // another element; true when it read it
    // Fills the entity of a record; a non-empty answer is the problem that keeps it out.
    std::function<QString(const XmlNode &, Entity &)> build = {};
};

[[nodiscard]] Result<ImportResult> importXmlList(const InputFile &file, ProgressReporter &progress, const XmlListFormat &format);

// --- dates ---------------------------------------------------------------------------------------

[[nodiscard]] int monthFromName(QStringView name); // "Jan", "January", "Sept" → 1..12, else 0
// "1965", "1965-04", "1965-04-14", "1965-04-14T00:00:00".
[[nodiscard]] std::optional<BirthDate> parseIsoDate(QStringView text);
// A plain date to ISO "yyyy-MM-dd" from "dd/mm/yyyy" or "MM/dd/yyyy"; empty if invalid.
enum class DayMonthOrder { DayFirst, MonthFirst };
[[nodiscard]] QString isoFromSlashed(QStringView text, DayMonthOrder order);
[[nodiscard]] QString isoDate(QStringView text); // the "yyyy-MM-dd" prefix of an ISO date or date-time, else empty

// --- entity building -----------------------------------------------------------------------------

enum class NameStrength { Strong, Weak };

// ISO 15924 code of the first letter's script when it is not Latin ("Arab", "Cyrl", …).
[[nodiscard]] QString scriptOf(QStringView text);

// Adds a name (whitespace simplified). The first name added with addPrimaryName is names[0]; a name
// equal (case-insensitively) to one already present is not repeated, though a strong copy upgrades a weak one.
void addPrimaryName(Entity &e, const QString &name);
void addAlias(Entity &e, const QString &name, NameStrength strength = NameStrength::Strong);

void addBirthDate(Entity &e, const BirthDate &date);
void addCountryCode(Entity &e, const QString &code);
// Maps a country name or code; an unknown name is kept in the remarks under `label` instead.
void addCountryName(Entity &e, const QString &name, const QString &label);
void addIdentifier(Entity &e, const QString &kind, const QString &value, const QString &country = {});
void addAddress(Entity &e, const QStringList &parts);
void addUnique(QStringList &list, const QString &value);
void appendRemark(Entity &e, const QString &text);
void setGender(Entity &e, QStringView text);

// "IMO 1234567" from any spelling that carries the seven digits ("IMO9562233", "7406784"); else the text.
[[nodiscard]] QString canonicalImo(const QString &text);

[[nodiscard]] QString ofacNull(const QString &field); // trimmed; OFAC's "-0-" null becomes empty

// Makes sure names[0] is marked primary, adds identifier countries to the countries, counts the names.
void finishResult(ImportResult &result);

} // namespace kyc::screening::detail
