#include "backend/screening/import_common.h"

#include "backend/core/json.h"
#include "backend/screening/import_countries.h"
#include "backend/screening/import_formats.h"

#include <QDate>
#include <QFile>
#include <QFileInfo>
#include <QStringDecoder>
#include <QXmlStreamReader>

namespace kyc::screening::detail {

namespace {

QString simplifiedName(const QString &name)
{
    return name.simplified();
}

} // namespace

Result<InputFile> readInputFile(const QString &path, const ImportLimits &limits)
{
    InputFile file;
    file.path = path;
    file.fileName = QFileInfo(path).fileName();
    file.limits = limits;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return fail(ErrorCode::Validation, QStringLiteral("cannot read %1: %2").arg(path, f.errorString()));
    if (f.size() > limits.maxFileBytes)
        return fail(limitError(file, 0, ImportLimit::FileSize));
    // Not f.readAll(): a file that grows while it is read, or a device whose size is unknown, stops at the limit.
    file.bytes = f.read(limits.maxFileBytes + 1);
    if (f.error() != QFileDevice::NoError)
        return fail(ErrorCode::Validation, QStringLiteral("cannot read %1: %2").arg(path, f.errorString()));
    if (file.bytes.size() > limits.maxFileBytes)
        return fail(limitError(file, 0, ImportLimit::FileSize));
    return file;
}

Error limitError(const InputFile &file, qint64 line, ImportLimit limit)
{
    return importLimitError(line > 0 ? QStringLiteral("%1: line %2").arg(file.fileName).arg(line) : file.fileName, limit,
                            file.limits);
}

Status checkJsonShape(QByteArrayView text, const InputFile &file, qint64 line, JsonRecord record)
{
    const ImportLimits &limits = file.limits;
    const json::JsonShape shape = json::measure(text, limits.maxDepth);
    if (shape.depth > limits.maxDepth)
        return fail(limitError(file, line, ImportLimit::Depth));
    if (shape.longestString > limits.maxFieldChars)
        return fail(limitError(file, line, ImportLimit::FieldLength));
    if (record == JsonRecord::Line && shape.largestContainer > limits.maxFieldsPerRecord)
        return fail(limitError(file, line, ImportLimit::FieldsPerRecord));
    return {};
}

Status checkEntityLimits(const ImportResult &result, const ImportLimits &limits)
{
    for (const Entity &e : result.entities) {
        if (e.names.size() > limits.maxNamesPerEntity)
            return fail(importLimitError(e.id, ImportLimit::NamesPerEntity, limits));
    }
    return {};
}

bool looksBinary(const QByteArray &bytes)
{
    static const QByteArray signatures[] = {
        QByteArrayLiteral("\x89PNG"),    QByteArrayLiteral("GIF8"), QByteArrayLiteral("\xFF\xD8\xFF"),
        QByteArrayLiteral("PK\x03\x04"), QByteArrayLiteral("%PDF"), QByteArrayLiteral("\x1F\x8B"),
    };
    for (const QByteArray &s : signatures) {
        if (bytes.startsWith(s))
            return true;
    }
    const qsizetype n = std::min<qsizetype>(bytes.size(), 8192);
    qsizetype control = 0;
    for (qsizetype i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c == 0)
            return true;
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != 0x1A)
            ++control;
    }
    return n > 0 && control * 20 > n; // more than 5% control characters
}

Error notTheFormat(const InputFile &file, const QString &what)
{
    return Error::make(ErrorCode::Validation, QStringLiteral("%1 is not %2").arg(file.fileName, what));
}

QString decodeText(const QByteArray &bytes)
{
    QByteArrayView view(bytes);
    if (view.startsWith("\xEF\xBB\xBF"))
        view = view.sliced(3);
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = utf8.decode(view);
    if (utf8.hasError())
        text = QString::fromLatin1(view);
    return text;
}

// --- progress ------------------------------------------------------------------------------------

ProgressReporter::ProgressReporter(const ImportProgress &callback, qint64 total)
    : m_callback(callback)
    , m_total(total)
    , m_step(std::max<qint64>(1, total / 100))
{
}

void ProgressReporter::start()
{
    emitProgress(0);
}

void ProgressReporter::update(qint64 done)
{
    const qint64 absolute = std::min(m_total, m_base + std::max<qint64>(0, done));
    if (absolute - m_last >= m_step)
        emitProgress(absolute);
}

void ProgressReporter::finishFile(qint64 size)
{
    m_base = std::min(m_total, m_base + size);
    update(0);
}

void ProgressReporter::finish()
{
    if (m_last != m_total)
        emitProgress(m_total);
}

void ProgressReporter::emitProgress(qint64 done)
{
    m_last = done;
    if (m_callback)
        m_callback(done, m_total);
}

// --- CSV -----------------------------------------------------------------------------------------

CsvReader::CsvReader(QStringView text, QChar delimiter, LineBreaks lineBreaks, const InputFile &file)
    : m_text(text)
    , m_delimiter(delimiter)
    , m_lineBreaks(lineBreaks)
    , m_file(file)
{
}

bool CsvReader::next(CsvRecord &record)
{
    if (m_limitError)
        return false;
    const qsizetype before = m_pos;
    if (!readRecord(record))
        return false;
    const ImportLimits &limits = m_file.limits;
    std::optional<ImportLimit> over;
    if (++m_records > limits.maxRecords)
        over = ImportLimit::Records;
    else if (record.fields.size() > limits.maxFieldsPerRecord)
        over = ImportLimit::FieldsPerRecord;
    else if (std::any_of(record.fields.cbegin(), record.fields.cend(),
                         [&](const QString &f) { return f.size() > limits.maxFieldChars; }))
        over = ImportLimit::FieldLength;
    else if (m_pos - before > limits.maxLineChars)
        over = ImportLimit::LineLength;
    if (!over)
        return true;
    m_limitError = detail::limitError(m_file, record.line, *over);
    return false;
}

bool CsvReader::atLineEnd() const
{
    return m_pos >= m_text.size() || m_text[m_pos] == u'\n' || m_text[m_pos] == u'\r';
}

void CsvReader::consumeLineEnd()
{
    if (m_pos < m_text.size() && m_text[m_pos] == u'\r')
        ++m_pos;
    if (m_pos < m_text.size() && m_text[m_pos] == u'\n') {
        ++m_pos;
        ++m_line;
    }
}

void CsvReader::skipToLineEnd()
{
    while (!atLineEnd())
        ++m_pos;
    consumeLineEnd();
}

bool CsvReader::readRecord(CsvRecord &record)
{
    const qsizetype n = m_text.size();
    // Blank lines and the Ctrl-Z EOF marker carry nothing.
    for (;;) {
        if (m_pos >= n)
            return false;
        qsizetype p = m_pos;
        while (p < n && (m_text[p] == u' ' || m_text[p] == u'\t' || m_text[p] == QChar(0x1A)))
            ++p;
        if (p >= n) {
            m_pos = n;
            return false;
        }
        if (m_text[p] != u'\n' && m_text[p] != u'\r')
            break;
        m_pos = p;
        if (m_text[m_pos] == u'\r' && (m_pos + 1 >= n || m_text[m_pos + 1] != u'\n')) {
            ++m_pos; // a lone CR
            continue;
        }
        consumeLineEnd();
    }

    record.fields.clear();
    record.error.clear();
    record.line = m_line;
    const qsizetype recordStart = m_pos;
    // A malformed record ends at the end of its line; if a stray quote made it run over line breaks, only
    // its first line is given up, so the lines after it are read again as records of their own.
    auto malformed = [&](const QString &message) {
        record.error = message;
        if (m_line != record.line || m_pos >= n) {
            m_pos = recordStart;
            m_line = record.line;
        }
        skipToLineEnd();
        return true;
    };
    for (;;) {
        QString field;
        if (m_pos < n && m_text[m_pos] == u'"') {
            ++m_pos;
            bool closed = false;
            const qsizetype contentStart = m_pos;
            while (m_pos < n) {
                const qsizetype quote = m_text.indexOf(u'"', m_pos);
                if (m_unclosedFrom >= 0 && m_pos >= m_unclosedFrom && quote != m_pos
                    && m_lineBreaks == LineBreaks::AllowedInQuotes) {
                    m_pos = n; // in step with the earlier unclosed field: no closing quote follows
                    break;
                }
                const qsizetype segmentEnd = quote < 0 ? n : quote;
                if (m_lineBreaks == LineBreaks::EndRecord) {
                    const qsizetype lf = m_text.sliced(m_pos, segmentEnd - m_pos).indexOf(u'\n');
                    if (lf >= 0) {
                        field += m_text.sliced(m_pos, lf);
                        m_pos += lf;
                        break;
                    }
                }
                const QStringView segment = m_text.sliced(m_pos, segmentEnd - m_pos);
                m_line += segment.count(u'\n');
                field += segment;
                m_pos = segmentEnd;
                if (quote < 0)
                    break;
                if (quote + 1 < n && m_text[quote + 1] == u'"') {
                    field += u'"';
                    m_pos = quote + 2;
                    continue;
                }
                m_pos = quote + 1;
                closed = true;
                break;
            }
            if (!closed) {
                if (m_pos >= n && (m_unclosedFrom < 0 || contentStart < m_unclosedFrom))
                    m_unclosedFrom = contentStart;
                if (field.endsWith(u'\r'))
                    field.chop(1);
                record.fields.append(field);
                return malformed(QStringLiteral("unterminated quoted field"));
            }
            // Only spaces may follow the closing quote.
            while (m_pos < n && m_text[m_pos] == u' ')
                ++m_pos;
            if (!atLineEnd() && m_text[m_pos] != m_delimiter) {
                record.fields.append(field);
                return malformed(QStringLiteral("unexpected text after a closing quote"));
            }
        } else {
            const qsizetype start = m_pos;
            while (m_pos < n && m_text[m_pos] != m_delimiter && m_text[m_pos] != u'\n' && m_text[m_pos] != u'\r')
                ++m_pos;
            field = m_text.sliced(start, m_pos - start).toString();
            if (field.contains(u'"') && record.error.isEmpty())
                record.error = QStringLiteral("stray quote in an unquoted field");
        }
        record.fields.append(field);
        if (m_pos < n && m_text[m_pos] == m_delimiter) {
            ++m_pos;
            continue;
        }
        consumeLineEnd();
        return true;
    }
}

// --- XML -----------------------------------------------------------------------------------------

QString XmlNode::attr(QStringView attrName) const
{
    for (const auto &[k, v] : attributes) {
        if (k == attrName)
            return v;
    }
    return {};
}

const XmlNode *XmlNode::child(QStringView childName) const
{
    for (const XmlNode &c : children) {
        if (c.name == childName)
            return &c;
    }
    return nullptr;
}

std::vector<const XmlNode *> XmlNode::childrenNamed(QStringView childName) const
{
    std::vector<const XmlNode *> out;
    for (const XmlNode &c : children) {
        if (c.name == childName)
            out.push_back(&c);
    }
    return out;
}

QString XmlNode::childText(QStringView childName) const
{
    const XmlNode *c = child(childName);
    return c ? c->text : QString();
}

QStringList XmlNode::texts(QStringView childName, QStringView leafName) const
{
    QStringList out;
    for (const XmlNode *c : childrenNamed(childName)) {
        for (const XmlNode &leaf : c->children) {
            if (leaf.name == leafName && !leaf.text.isEmpty())
                out.append(leaf.text);
        }
    }
    return out;
}

Result<XmlNode> readXmlElement(QXmlStreamReader &xml, const InputFile &file, int depthLeft)
{
    const ImportLimits &limits = file.limits;
    qint64 elements = 0;
    // The open elements, innermost last; each node is moved into its parent when its end tag comes.
    std::vector<XmlNode> open;
    std::vector<QString> texts;
    auto start = [&]() -> Status {
        if (int(open.size()) >= depthLeft)
            return fail(limitError(file, xml.lineNumber(), ImportLimit::Depth));
        if (++elements > limits.maxFieldsPerRecord)
            return fail(limitError(file, xml.lineNumber(), ImportLimit::FieldsPerRecord));
        XmlNode node;
        node.name = xml.name().toString();
        node.line = xml.lineNumber();
        const QXmlStreamAttributes attrs = xml.attributes();
        node.attributes.reserve(std::size_t(attrs.size()));
        for (const QXmlStreamAttribute &a : attrs) {
            if (a.value().size() > limits.maxFieldChars)
                return fail(limitError(file, xml.lineNumber(), ImportLimit::FieldLength));
            node.attributes.emplace_back(a.name().toString(), a.value().toString());
        }
        open.push_back(std::move(node));
        texts.emplace_back();
        return {};
    };
    if (auto s = start(); !s)
        return fail(s.error());
    while (!xml.atEnd()) {
        const QXmlStreamReader::TokenType token = xml.readNext();
        if (token == QXmlStreamReader::StartElement) {
            if (auto s = start(); !s)
                return fail(s.error());
        } else if (token == QXmlStreamReader::Characters) {
            QString &text = texts.back();
            if (text.size() + xml.text().size() > limits.maxFieldChars)
                return fail(limitError(file, xml.lineNumber(), ImportLimit::FieldLength));
            text += xml.text();
        } else if (token == QXmlStreamReader::EndElement) {
            XmlNode done = std::move(open.back());
            done.text = texts.back().trimmed();
            open.pop_back();
            texts.pop_back();
            if (open.empty())
                return done;
            open.back().children.push_back(std::move(done));
        }
    }
    // Only an XML error (reported by the caller from the reader) ends the document inside an element.
    XmlNode partial = std::move(open.front());
    return partial;
}

Status skipXmlElement(QXmlStreamReader &xml, const InputFile &file, int depthLeft)
{
    int depth = 1;
    while (depth > 0 && !xml.atEnd()) {
        const QXmlStreamReader::TokenType token = xml.readNext();
        if (token == QXmlStreamReader::StartElement) {
            if (++depth > depthLeft)
                return fail(limitError(file, xml.lineNumber(), ImportLimit::Depth));
        } else if (token == QXmlStreamReader::EndElement) {
            --depth;
        }
    }
    return {};
}

QString readToRootElement(QXmlStreamReader &xml)
{
    while (!xml.atEnd()) {
        const QXmlStreamReader::TokenType token = xml.readNext();
        if (token == QXmlStreamReader::StartElement)
            return xml.name().toString();
        if (token == QXmlStreamReader::DTD) {
            // No list is published with one, and its entities are the way to blow a small file up in memory.
            xml.raiseError(QStringLiteral("a document type declaration (DTD) is not allowed in a list file"));
            return {};
        }
    }
    return {};
}

Error xmlError(const InputFile &file, const QXmlStreamReader &xml)
{
    return Error::make(ErrorCode::Validation,
                       QStringLiteral("%1: XML error at line %2, column %3: %4")
                           .arg(file.fileName)
                           .arg(xml.lineNumber())
                           .arg(xml.columnNumber())
                           .arg(xml.errorString()));
}

void reportCsvProgress(ProgressReporter &progress, const CsvReader &reader, const InputFile &file, qint64 records)
{
    if ((records & 0xFF) == 0)
        progress.update(
            qint64(double(reader.position()) / double(std::max<qsizetype>(1, reader.size())) * double(file.bytes.size())));
}

Status checkCsvRecords(const CsvReader &reader, const InputFile &file, const QString &what, qint64 records, qint64 problems)
{
    if (reader.limitError())
        return fail(*reader.limitError());
    if (records == 0)
        return fail(ErrorCode::Validation, QStringLiteral("%1 has no entries").arg(file.fileName));
    if (mostlyMalformed(records, problems))
        return fail(notTheFormat(file, what + QStringLiteral(": %1 of %2 rows are malformed").arg(problems).arg(records)));
    return {};
}

Result<CsvHeader> readCsvHeader(CsvReader &reader, const InputFile &file, const QString &what, const QStringList &required)
{
    CsvRecord record;
    const bool read = reader.next(record);
    if (reader.limitError())
        return fail(*reader.limitError());
    if (!read || !record.error.isEmpty())
        return fail(notTheFormat(file, what));
    CsvHeader header;
    header.width = record.fields.size();
    for (qsizetype i = 0; i < record.fields.size(); ++i)
        header.column.insert(record.fields[i].trimmed().toLower(), i);
    for (const QString &c : required) {
        if (!header.column.contains(c.toLower()))
            return fail(notTheFormat(file, what + QStringLiteral(": the header has no %1 column").arg(c)));
    }
    return header;
}

Result<ImportResult> importXmlList(const InputFile &file, ProgressReporter &progress, const XmlListFormat &format)
{
    if (looksBinary(file.bytes))
        return fail(notTheFormat(file, format.what));
    QXmlStreamReader xml(file.bytes);
    if (readToRootElement(xml) != format.root)
        return fail(xml.hasError() ? xmlError(file, xml) : notTheFormat(file, format.what));

    const int maxDepth = file.limits.maxDepth;
    ImportResult result;
    if (format.onRoot)
        format.onRoot(xml, result);
    qint64 records = 0;
    int depth = 1; // the document element is open
    while (!xml.atEnd()) {
        const QXmlStreamReader::TokenType token = xml.readNext();
        if (token == QXmlStreamReader::EndElement)
            --depth;
        if (token != QXmlStreamReader::StartElement)
            continue;
        if (++depth > maxDepth)
            return fail(limitError(file, xml.lineNumber(), ImportLimit::Depth));
        const QString name = xml.name().toString();
        if (format.containers.contains(name))
            continue;
        --depth; // the element is read whole below
        if (!format.records.contains(name)) {
            if (!(format.onOther && format.onOther(xml, result))) {
                if (auto s = skipXmlElement(xml, file, maxDepth - depth); !s)
                    return fail(s.error());
            }
            continue;
        }
        if (records >= file.limits.maxRecords)
            return fail(limitError(file, xml.lineNumber(), ImportLimit::Records));
        auto read = readXmlElement(xml, file, maxDepth - depth);
        if (!read)
            return fail(read.error());
        if (xml.hasError())
            break;
        const XmlNode &node = *read;
        ++records;
        Entity e;
        if (const QString problem = format.build(node, e); !problem.isEmpty())
            addProblem(result, file, node.line, problem);
        else
            result.entities.append(std::move(e));
        progress.update(xml.characterOffset());
    }
    if (xml.hasError())
        return fail(xmlError(file, xml));
    if (records == 0)
        return fail(ErrorCode::Validation,
                    QStringLiteral("%1 has no %2 records")
                        .arg(file.fileName,
                             format.recordsLabel.isEmpty() ? format.records.join(QStringLiteral(" or ")) : format.recordsLabel));
    progress.finishFile(file.bytes.size());
    finishResult(result);
    return result;
}

// --- dates ---------------------------------------------------------------------------------------

int monthFromName(QStringView name)
{
    static const char16_t *const months[]
        = {u"jan", u"feb", u"mar", u"apr", u"may", u"jun", u"jul", u"aug", u"sep", u"oct", u"nov", u"dec"};
    if (name.size() < 3)
        return 0;
    const QString lower = name.toString().toLower();
    for (int i = 0; i < 12; ++i) {
        if (lower.startsWith(QStringView(months[i])))
            return i + 1;
    }
    return 0;
}

namespace {

// Parses exactly `digits` ASCII digits; -1 if anything else.
int parseDigits(QStringView text)
{
    if (text.isEmpty())
        return -1;
    int value = 0;
    for (QChar c : text) {
        if (c < u'0' || c > u'9')
            return -1;
        value = value * 10 + (c.unicode() - u'0');
    }
    return value;
}

bool plausibleYear(int year)
{
    return year >= 1800 && year <= 2200;
}

} // namespace

std::optional<BirthDate> parseIsoDate(QStringView text)
{
    text = text.trimmed();
    const qsizetype t = text.indexOf(u'T');
    if (t > 0)
        text = text.first(t);
    BirthDate d;
    if (text.size() == 4) {
        d.year = parseDigits(text);
    } else if (text.size() == 7 && text[4] == u'-') {
        d.year = parseDigits(text.first(4));
        d.month = parseDigits(text.sliced(5, 2));
    } else if (text.size() == 10 && text[4] == u'-' && text[7] == u'-') {
        d.year = parseDigits(text.first(4));
        d.month = parseDigits(text.sliced(5, 2));
        d.day = parseDigits(text.sliced(8, 2));
    } else {
        return std::nullopt;
    }
    if (!plausibleYear(d.year) || d.month < 0 || d.month > 12 || d.day < 0 || d.day > 31)
        return std::nullopt;
    if (d.day > 0 && !QDate(d.year, d.month, d.day).isValid())
        return std::nullopt;
    if (d.month == 0)
        d.day = 0;
    return d;
}

QString isoFromSlashed(QStringView text, DayMonthOrder order)
{
    const auto parts = text.trimmed().split(u'/');
    if (parts.size() != 3)
        return {};
    const int a = parseDigits(parts[0]);
    const int b = parseDigits(parts[1]);
    const int year = parseDigits(parts[2]);
    const int day = order == DayMonthOrder::DayFirst ? a : b;
    const int month = order == DayMonthOrder::DayFirst ? b : a;
    const QDate date(year, month, day);
    if (parts[2].size() != 4 || !date.isValid())
        return {};
    return date.toString(Qt::ISODate);
}

QString isoDate(QStringView text)
{
    text = text.trimmed();
    if (text.size() < 10)
        return {};
    const QDate date = QDate::fromString(text.first(10).toString(), Qt::ISODate);
    return date.isValid() ? date.toString(Qt::ISODate) : QString();
}

// --- entity building -----------------------------------------------------------------------------

QString scriptOf(QStringView text)
{
    for (QChar c : text) {
        if (!c.isLetter())
            continue;
        switch (c.script()) {
        case QChar::Script_Latin: return {};
        case QChar::Script_Arabic: return QStringLiteral("Arab");
        case QChar::Script_Cyrillic: return QStringLiteral("Cyrl");
        case QChar::Script_Greek: return QStringLiteral("Grek");
        case QChar::Script_Hebrew: return QStringLiteral("Hebr");
        case QChar::Script_Han: return QStringLiteral("Hani");
        case QChar::Script_Hangul: return QStringLiteral("Hang");
        case QChar::Script_Hiragana:
        case QChar::Script_Katakana: return QStringLiteral("Jpan");
        case QChar::Script_Georgian: return QStringLiteral("Geor");
        case QChar::Script_Armenian: return QStringLiteral("Armn");
        case QChar::Script_Thai: return QStringLiteral("Thai");
        case QChar::Script_Devanagari: return QStringLiteral("Deva");
        case QChar::Script_Bengali: return QStringLiteral("Beng");
        case QChar::Script_Ethiopic: return QStringLiteral("Ethi");
        case QChar::Script_Myanmar: return QStringLiteral("Mymr");
        case QChar::Script_Khmer: return QStringLiteral("Khmr");
        case QChar::Script_Syriac: return QStringLiteral("Syrc");
        case QChar::Script_Thaana: return QStringLiteral("Thaa");
        default: return {};
        }
    }
    return {};
}

namespace {

void addName(Entity &e, const QString &raw, bool primary, NameStrength strength)
{
    const QString name = simplifiedName(raw);
    if (name.isEmpty())
        return;
    for (Name &existing : e.names) {
        if (existing.full.compare(name, Qt::CaseInsensitive) == 0) {
            if (strength == NameStrength::Strong)
                existing.weak = false;
            return;
        }
    }
    Name n;
    n.full = name;
    n.weak = strength == NameStrength::Weak && !primary;
    n.script = scriptOf(name);
    const bool isFirst = primary && (e.names.isEmpty() || !e.names.first().primary);
    n.primary = isFirst;
    if (isFirst)
        e.names.prepend(n);
    else
        e.names.append(n);
}

} // namespace

void addPrimaryName(Entity &e, const QString &name)
{
    addName(e, name, true, NameStrength::Strong);
}

void addAlias(Entity &e, const QString &name, NameStrength strength)
{
    addName(e, name, false, strength);
}

void addBirthDate(Entity &e, const BirthDate &date)
{
    if (!date.isValid())
        return;
    for (const BirthDate &d : std::as_const(e.birthDates)) {
        if (d.year == date.year && d.month == date.month && d.day == date.day && d.toYear == date.toYear)
            return;
    }
    e.birthDates.append(date);
}

void addCountryCode(Entity &e, const QString &code)
{
    if (code.size() == 2)
        addUnique(e.countries, code.toUpper());
}

void addCountryName(Entity &e, const QString &name, const QString &label)
{
    const QString trimmed = name.simplified();
    if (trimmed.isEmpty())
        return;
    const QString code = countryCode(trimmed);
    if (!code.isEmpty())
        addCountryCode(e, code);
    else
        appendRemark(e, QStringLiteral("%1: %2").arg(label, trimmed));
}

void addIdentifier(Entity &e, const QString &kind, const QString &rawValue, const QString &country)
{
    const QString value = rawValue.simplified();
    if (value.isEmpty())
        return;
    for (Identifier &id : e.identifiers) {
        if (id.kind == kind && id.value.compare(value, Qt::CaseInsensitive) == 0) {
            if (id.country.isEmpty())
                id.country = country;
            return;
        }
    }
    e.identifiers.append(Identifier{kind, value, country});
}

void addAddress(Entity &e, const QStringList &parts)
{
    QStringList clean;
    for (const QString &p : parts) {
        const QString s = p.simplified();
        if (!s.isEmpty() && !clean.contains(s, Qt::CaseInsensitive))
            clean.append(s);
    }
    if (!clean.isEmpty())
        addUnique(e.addresses, clean.join(QStringLiteral(", ")));
}

void addUnique(QStringList &list, const QString &value)
{
    const QString v = value.trimmed();
    if (!v.isEmpty() && !list.contains(v))
        list.append(v);
}

void appendRemark(Entity &e, const QString &text)
{
    const QString t = text.trimmed();
    if (t.isEmpty() || e.remarks.contains(t))
        return;
    if (!e.remarks.isEmpty())
        e.remarks += QStringLiteral("\n");
    e.remarks += t;
}

void setGender(Entity &e, QStringView text)
{
    const QString g = text.trimmed().toString().toLower();
    if (g == u"male" || g == u"m")
        e.gender = QStringLiteral("male");
    else if (g == u"female" || g == u"f")
        e.gender = QStringLiteral("female");
}

QString canonicalImo(const QString &text)
{
    QString digits;
    for (QChar c : text) {
        if (c.isDigit())
            digits += c;
    }
    if (digits.size() == 7)
        return QStringLiteral("IMO ") + digits;
    return text.simplified();
}

QString ofacNull(const QString &field)
{
    const QString t = field.trimmed();
    return t == u"-0-" ? QString() : t;
}

void finishResult(ImportResult &result)
{
    qint64 names = 0;
    for (Entity &e : result.entities) {
        // A record whose source marks no primary name is known by its first name.
        if (!e.names.isEmpty() && !e.names.first().primary) {
            e.names.first().primary = true;
            e.names.first().weak = false;
        }
        names += e.names.size();
        // A passport's issuer or a registry's country is a citizenship or jurisdiction too.
        for (const Identifier &id : std::as_const(e.identifiers))
            addCountryCode(e, id.country);
    }
    result.nameCount = names;
}

} // namespace kyc::screening::detail
