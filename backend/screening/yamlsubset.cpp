// A line-based recursive-descent reader: every block node is parsed at the indentation of its first line,
// and a "- item" line is rewritten in place as a line indented to where the item's content starts, so
// "- id:\n    bioguide: X" and "- a: 1\n  b: 2" need no special cases.
#include "backend/screening/yamlsubset.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>

#include <optional>

namespace kyc::screening::detail {

namespace {

struct Line {
    qint64 number = 0; // 1-based
    int indent = 0;
    QStringView text; // after the indentation, without the line break
    bool blank = false; // empty or only a comment
};

bool isSequenceItem(QStringView text)
{
    return text == u"-" || text.startsWith(u"- ");
}

QJsonValue plainScalar(QStringView text)
{
    if (text.isEmpty() || text == u"~" || text == u"null" || text == u"Null" || text == u"NULL")
        return QJsonValue(QJsonValue::Null);
    if (text == u"true" || text == u"True" || text == u"TRUE")
        return true;
    if (text == u"false" || text == u"False" || text == u"FALSE")
        return false;
    return text.toString();
}

// The comment starts at a '#' that opens the text or follows a space (a '#' inside a word is text).
QStringView withoutComment(QStringView text)
{
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text[i] == u'#' && (i == 0 || text[i - 1] == u' ' || text[i - 1] == u'\t'))
            return text.first(i).trimmed();
    }
    return text.trimmed();
}

class YamlParser final
{
public:
    YamlParser(QStringView text, const ImportLimits &limits)
        : m_limits(limits)
    {
        qint64 number = 0;
        qsizetype pos = 0;
        while (pos <= text.size()) {
            qsizetype end = text.indexOf(u'\n', pos);
            if (end < 0)
                end = text.size();
            QStringView raw = text.sliced(pos, end - pos);
            if (raw.endsWith(u'\r'))
                raw.chop(1);
            Line line;
            line.number = ++number;
            if (raw.size() > m_limits.maxLineChars) {
                setLimitError(line.number, ImportLimit::LineLength);
                break;
            }
            while (line.indent < raw.size() && raw[line.indent] == u' ')
                ++line.indent;
            line.text = raw.sliced(line.indent);
            const QStringView trimmed = line.text.trimmed();
            line.blank = trimmed.isEmpty() || trimmed.startsWith(u'#');
            if (!line.blank && line.text.startsWith(u'\t'))
                setError(line.number, QStringLiteral("a tab in the indentation"));
            m_lines.append(line);
            pos = end + 1;
        }
        m_end = m_lines.size();
    }

    Result<QJsonValue> parse(QList<qint64> *rootItemLines)
    {
        if (m_failed) // a line over the limit
            return fail(importLimitError(QStringLiteral("line %1").arg(m_errorLine), *m_limit, m_limits));
        skipBlank();
        while (!atEnd() && current().indent == 0 && current().text.startsWith(u'%'))
            advanceAndSkip(); // %YAML / %TAG directives
        if (!atEnd() && current().indent == 0 && (current().text == u"---" || current().text.startsWith(u"--- "))) {
            const QStringView rest = withoutComment(current().text.sliced(3));
            if (!rest.isEmpty())
                return fail(ErrorCode::Validation,
                            QStringLiteral("line %1: content on the document start line is not supported").arg(current().number));
            advanceAndSkip();
        }
        // The document ends at "..." or at the next "---"; the nodes are parsed up to there.
        const qsizetype total = m_lines.size();
        m_end = m_i;
        while (m_end < total && !isDocumentMarker(m_lines[m_end]))
            ++m_end;
        QJsonValue root = atEnd() ? QJsonValue(QJsonValue::Null) : parseNode(-1, rootItemLines, 0);
        if (!m_failed) {
            skipBlank();
            if (!atEnd())
                setError(current().number, QStringLiteral("unexpected content (bad indentation?)"));
        }
        if (!m_failed && m_end < total) {
            if (m_lines[m_end].text.startsWith(u"---"))
                setError(m_lines[m_end].number, QStringLiteral("more than one document is not supported"));
            for (qsizetype i = m_end + 1; i < total && !m_failed; ++i) {
                if (!m_lines[i].blank)
                    setError(m_lines[i].number, QStringLiteral("more than one document is not supported"));
            }
        }
        if (m_failed && m_limit)
            return fail(importLimitError(QStringLiteral("line %1").arg(m_errorLine), *m_limit, m_limits));
        if (m_failed)
            return fail(ErrorCode::Validation, QStringLiteral("line %1: %2").arg(m_errorLine).arg(m_error));
        return root;
    }

private:
    [[nodiscard]] bool atEnd() const { return m_i >= m_end; }

    static bool isDocumentMarker(const Line &line)
    {
        return line.indent == 0 && (line.text.startsWith(u"---") || line.text.startsWith(u"..."))
            && (line.text.size() == 3 || line.text[3] == u' ');
    }
    Line &current() { return m_lines[m_i]; }

    void skipBlank()
    {
        while (!atEnd() && m_lines[m_i].blank)
            ++m_i;
    }

    void advanceAndSkip()
    {
        ++m_i;
        skipBlank();
    }

    QJsonValue setLimitError(qint64 line, ImportLimit limit)
    {
        if (!m_failed)
            m_limit = limit;
        return setError(line, importLimitName(limit));
    }

    // Scalars are checked as they grow, so a long one stops early.
    bool overFieldLength(qsizetype size, qint64 line)
    {
        if (size <= m_limits.maxFieldChars)
            return false;
        setLimitError(line, ImportLimit::FieldLength);
        return true;
    }

    QJsonValue setError(qint64 line, const QString &message)
    {
        if (!m_failed) {
            m_failed = true;
            m_errorLine = line;
            m_error = message;
        }
        return {};
    }

    // A node whose first line is the current one, indented deeper than its parent.
    QJsonValue parseNode(int parentIndent, QList<qint64> *itemLines, int depth)
    {
        skipBlank();
        if (atEnd() || current().indent <= parentIndent)
            return QJsonValue(QJsonValue::Null);
        if (depth > m_limits.maxDepth)
            return setLimitError(current().number, ImportLimit::Depth);
        const Line &line = current();
        if (isSequenceItem(line.text))
            return parseSequence(line.indent, itemLines, depth + 1);
        const QChar first = line.text.front();
        if (first != u'[' && first != u'{' && first != u'|' && first != u'>' && findKeyEnd(line.text) >= 0)
            return parseMapping(line.indent, depth + 1);
        const QStringView text = line.text;
        const qint64 number = line.number;
        ++m_i;
        return parseInlineValue(text, number, parentIndent);
    }

    QJsonValue parseSequence(int indent, QList<qint64> *itemLines, int depth)
    {
        QJsonArray items;
        while (!m_failed) {
            skipBlank();
            if (atEnd())
                break;
            Line &line = current();
            if (line.indent != indent || !isSequenceItem(line.text)) {
                if (line.indent > indent)
                    setError(line.number, QStringLiteral("unexpected indentation in a sequence"));
                break;
            }
            if (items.size() >= m_limits.maxRecords)
                return setLimitError(line.number, ImportLimit::Records);
            if (itemLines)
                itemLines->append(line.number);
            QStringView rest = line.text.sliced(1);
            int extra = 0;
            while (extra < rest.size() && rest[extra] == u' ')
                ++extra;
            rest = rest.sliced(extra);
            if (rest.isEmpty() || rest.startsWith(u'#')) {
                ++m_i;
                items.append(parseNode(indent, nullptr, depth));
            } else {
                // "- content": the content is a node indented to where it starts.
                line.indent = indent + 1 + extra;
                line.text = rest;
                items.append(parseNode(indent, nullptr, depth));
            }
        }
        return items;
    }

    QJsonValue parseMapping(int indent, int depth)
    {
        QJsonObject map;
        while (!m_failed) {
            skipBlank();
            if (atEnd())
                break;
            const Line line = current();
            if (line.indent != indent) {
                if (line.indent > indent)
                    setError(line.number, QStringLiteral("unexpected indentation in a mapping"));
                break;
            }
            if (isSequenceItem(line.text))
                return setError(line.number, QStringLiteral("a sequence item where a mapping key was expected"));
            const qsizetype colon = findKeyEnd(line.text);
            if (colon < 0)
                return setError(line.number, QStringLiteral("expected \"key: value\""));
            const QString key = parseKey(line.text.first(colon).trimmed(), line.number);
            if (m_failed)
                break;
            if (map.contains(key))
                return setError(line.number, QStringLiteral("duplicate key \"%1\"").arg(key));
            if (map.size() >= m_limits.maxFieldsPerRecord)
                return setLimitError(line.number, ImportLimit::FieldsPerRecord);
            const QStringView rest = withoutComment(line.text.sliced(colon + 1));
            ++m_i;
            QJsonValue value;
            if (rest.isEmpty()) {
                skipBlank();
                if (!atEnd() && current().indent > indent)
                    value = parseNode(indent, nullptr, depth);
                else if (!atEnd() && current().indent == indent && isSequenceItem(current().text))
                    value = parseSequence(indent, nullptr, depth); // an "indentless" sequence under the key
                else
                    value = QJsonValue(QJsonValue::Null);
            } else {
                value = parseInlineValue(line.text.sliced(colon + 1).trimmed(), line.number, indent);
            }
            map.insert(key, value);
        }
        return map;
    }

    // Where the ':' that ends a mapping key is, or -1 if the line is not "key: …".
    static qsizetype findKeyEnd(QStringView text)
    {
        qsizetype i = 0;
        if (!text.isEmpty() && (text[0] == u'"' || text[0] == u'\'')) {
            const QChar quote = text[0];
            for (i = 1; i < text.size(); ++i) {
                if (text[i] == quote) {
                    if (quote == u'\'' && i + 1 < text.size() && text[i + 1] == u'\'') {
                        ++i;
                        continue;
                    }
                    break;
                }
                if (quote == u'"' && text[i] == u'\\')
                    ++i;
            }
            if (i >= text.size())
                return -1;
            ++i;
            while (i < text.size() && text[i] == u' ')
                ++i;
            return i < text.size() && text[i] == u':' && (i + 1 == text.size() || text[i + 1] == u' ') ? i : -1;
        }
        for (; i < text.size(); ++i) {
            if (text[i] == u'#' && i > 0 && text[i - 1] == u' ')
                return -1;
            if (text[i] == u':' && (i + 1 == text.size() || text[i + 1] == u' ' || text[i + 1] == u'\t'))
                return i > 0 ? i : -1;
        }
        return -1;
    }

    QString parseKey(QStringView key, qint64 number)
    {
        if (key.startsWith(u'?') || key.startsWith(u'&') || key.startsWith(u'*') || key.startsWith(u'!') || key.startsWith(u'[')
            || key.startsWith(u'{')) {
            setError(number, QStringLiteral("complex keys, anchors, aliases and tags are not supported"));
            return {};
        }
        if (key.startsWith(u'"') || key.startsWith(u'\'')) {
            qsizetype pos = 0;
            QString out;
            if (!readQuoted(key, pos, out, number) || pos != key.size()) {
                setError(number, QStringLiteral("malformed quoted key"));
                return {};
            }
            return out;
        }
        return key.toString();
    }

    // A value that starts on a line already consumed: scalars (possibly continued on deeper lines), block
    // scalars and flow collections.
    QJsonValue parseInlineValue(QStringView text, qint64 number, int parentIndent)
    {
        if (text.startsWith(u'&') || text.startsWith(u'*') || text.startsWith(u'!'))
            return setError(number, QStringLiteral("anchors, aliases and tags are not supported"));
        if (text.startsWith(u'|') || text.startsWith(u'>'))
            return parseBlockScalar(text, number, parentIndent);
        if (text.startsWith(u'"') || text.startsWith(u'\''))
            return parseQuotedScalar(text, number, parentIndent);
        if (text.startsWith(u'[') || text.startsWith(u'{'))
            return parseFlowText(text, number, parentIndent);
        QString value = withoutComment(text).toString();
        // Continuation lines of a plain scalar are indented deeper than its parent; they fold into spaces.
        QString pendingBreaks;
        while (!atEnd()) {
            const Line &next = current();
            if (next.text.trimmed().isEmpty()) {
                pendingBreaks += u'\n';
                ++m_i;
                continue;
            }
            if (next.blank || next.indent <= parentIndent)
                break;
            value += pendingBreaks.isEmpty() ? QStringLiteral(" ") : pendingBreaks;
            pendingBreaks.clear();
            value += withoutComment(next.text);
            if (overFieldLength(value.size(), number))
                return {};
            ++m_i;
        }
        return plainScalar(value);
    }

    // Reads a quoted scalar starting at text[pos]; advances pos past the closing quote. False if unterminated.
    // The text may hold the scalar's later lines joined with '\n': a single break folds to a space, n > 1 breaks
    // to n - 1 newlines, and an escaped break (double quotes) joins the lines.
    bool readQuoted(QStringView text, qsizetype &pos, QString &out, qint64 number)
    {
        const QChar quote = text[pos];
        for (++pos; pos < text.size(); ++pos) {
            const QChar c = text[pos];
            if (c == quote) {
                if (quote == u'\'' && pos + 1 < text.size() && text[pos + 1] == u'\'') {
                    out += u'\'';
                    ++pos;
                    continue;
                }
                ++pos;
                return true;
            }
            if (c == u'\n') {
                while (out.endsWith(u' ') || out.endsWith(u'\t'))
                    out.chop(1);
                qsizetype breaks = 1;
                while (pos + 1 < text.size() && text[pos + 1] == u'\n') {
                    ++breaks;
                    ++pos;
                }
                out += breaks == 1 ? QString(u' ') : QString(breaks - 1, u'\n');
                continue;
            }
            if (quote == u'"' && c == u'\\') {
                if (++pos >= text.size())
                    return false;
                if (text[pos] == u'\n')
                    continue;
                if (!appendEscape(text, pos, out)) {
                    setError(number, QStringLiteral("unknown escape \\%1 in a double-quoted scalar").arg(text[pos]));
                    return false;
                }
                continue;
            }
            out += c;
        }
        return false;
    }

    static bool appendEscape(QStringView text, qsizetype &pos, QString &out)
    {
        const QChar c = text[pos];
        switch (c.unicode()) {
        case u'0': out += QChar(0); return true;
        case u'a': out += QChar(7); return true;
        case u'b': out += u'\b'; return true;
        case u't':
        case u'\t': out += u'\t'; return true;
        case u'n': out += u'\n'; return true;
        case u'v': out += QChar(11); return true;
        case u'f': out += u'\f'; return true;
        case u'r': out += u'\r'; return true;
        case u'e': out += QChar(27); return true;
        case u' ': out += u' '; return true;
        case u'"': out += u'"'; return true;
        case u'/': out += u'/'; return true;
        case u'\\': out += u'\\'; return true;
        case u'N': out += QChar(0x85); return true;
        case u'_': out += QChar(0xA0); return true;
        case u'L': out += QChar(0x2028); return true;
        case u'P': out += QChar(0x2029); return true;
        case u'x':
        case u'u':
        case u'U': {
            const int digits = c == u'x' ? 2 : c == u'u' ? 4 : 8;
            if (pos + digits >= text.size())
                return false;
            bool ok = false;
            const uint code = text.sliced(pos + 1, digits).toUInt(&ok, 16);
            if (!ok || code > 0x10FFFF)
                return false;
            const char32_t cp = code;
            out += QString::fromUcs4(&cp, 1);
            pos += digits;
            return true;
        }
        default: return false;
        }
    }

    // A quoted scalar may run over lines: the lines it may cover (up to one indented no deeper than its parent)
    // are gathered once and read once, and the lines up to its closing quote are consumed.
    QJsonValue parseQuotedScalar(QStringView text, qint64 number, int parentIndent)
    {
        QString combined = text.toString();
        for (qsizetype j = m_i; j < m_end; ++j) {
            const Line &next = m_lines[j];
            const QStringView content = next.text.trimmed();
            if (!content.isEmpty() && next.indent <= parentIndent)
                break;
            combined += u'\n' + content.toString();
            if (combined.size() > m_limits.maxFieldChars + m_limits.maxLineChars)
                break; // enough to tell whether it closes within the field length limit
        }
        QString out;
        qsizetype pos = 0;
        if (!readQuoted(combined, pos, out, number)) {
            if (m_failed)
                return {};
            if (overFieldLength(out.size(), number))
                return {};
            return setError(number, QStringLiteral("unterminated quoted scalar"));
        }
        if (overFieldLength(out.size(), number))
            return {};
        const QStringView rest = QStringView(combined).sliced(pos);
        const qsizetype lineEnd = rest.indexOf(u'\n');
        m_i += QStringView(combined).first(pos).count(u'\n');
        if (!withoutComment(lineEnd < 0 ? rest : rest.first(lineEnd)).isEmpty())
            return setError(number, QStringLiteral("text after a quoted scalar"));
        return out;
    }

    QJsonValue parseBlockScalar(QStringView header, qint64 number, int parentIndent)
    {
        const bool folded = header.startsWith(u'>');
        char chomp = 'c';
        int explicitIndent = 0;
        const QStringView indicators = withoutComment(header.sliced(1));
        for (QChar c : indicators) {
            if (c == u'-' || c == u'+')
                chomp = char(c.unicode());
            else if (c >= u'1' && c <= u'9')
                explicitIndent = c.unicode() - u'0';
            else
                return setError(number, QStringLiteral("malformed block scalar header"));
        }
        int blockIndent = explicitIndent > 0 ? std::max(parentIndent, 0) + explicitIndent : -1;
        QStringList lines;
        qsizetype size = 0;
        while (!atEnd()) {
            const Line &next = current();
            const bool empty = next.text.trimmed().isEmpty();
            if (!empty) {
                if (blockIndent < 0) {
                    if (next.indent <= parentIndent)
                        break;
                    blockIndent = next.indent;
                }
                if (next.indent < blockIndent)
                    break;
            }
            // Text deeper than the block's indentation keeps its extra spaces.
            const int extra = empty ? 0 : next.indent - blockIndent;
            lines.append(empty ? QString() : QString(extra, u' ') + next.text.toString());
            size += lines.last().size() + 1;
            if (overFieldLength(size, number))
                return {};
            ++m_i;
        }
        int trailing = 0;
        while (!lines.isEmpty() && lines.last().isEmpty()) {
            lines.removeLast();
            ++trailing;
        }
        QString out;
        for (qsizetype i = 0; i < lines.size(); ++i) {
            if (i > 0) {
                // Folding: a break between two text lines is a space, an empty line is the break itself, and
                // more-indented lines keep their breaks.
                if (!folded || lines[i].isEmpty())
                    out += u'\n';
                else if (!lines[i - 1].isEmpty())
                    out += lines[i].startsWith(u' ') || lines[i - 1].startsWith(u' ') ? u'\n' : u' ';
            }
            out += lines[i];
        }
        if (!lines.isEmpty() && chomp != '-')
            out += u'\n';
        if (chomp == '+')
            out += QString(trailing, u'\n');
        return out;
    }

    // Flow collections may run over lines; the text is gathered until the brackets balance (scanned as it
    // grows, each character once; a comment ends the scan for good, as the collection cannot close after it).
    QJsonValue parseFlowText(QStringView first, qint64 number, int parentIndent)
    {
        QString text = first.toString();
        int depth = 0;
        QChar quote;
        bool stopped = false;
        qsizetype scanned = 0;
        auto balanced = [&](QStringView t) {
            for (qsizetype i = scanned; i < t.size() && !stopped; ++i) {
                const QChar c = t[i];
                if (!quote.isNull()) {
                    if (c == quote)
                        quote = QChar();
                    else if (c == u'\\' && quote == u'"')
                        ++i;
                    continue;
                }
                if (c == u'"' || c == u'\'')
                    quote = c;
                else if (c == u'[' || c == u'{')
                    ++depth;
                else if (c == u']' || c == u'}')
                    --depth;
                else if (c == u'#' && i > 0 && t[i - 1] == u' ')
                    stopped = true;
                scanned = i + 1;
            }
            if (stopped)
                scanned = t.size();
            return depth <= 0;
        };
        while (!balanced(text)) {
            if (atEnd() || current().indent <= parentIndent)
                return setError(number, QStringLiteral("unterminated flow collection"));
            if (overFieldLength(text.size(), number))
                return {};
            text += u' ' + withoutComment(current().text);
            ++m_i;
        }
        QStringView view(text);
        qsizetype pos = 0;
        QJsonValue value = parseFlow(view, pos, number, 0);
        if (m_failed)
            return {};
        if (!withoutComment(view.sliced(pos)).isEmpty())
            return setError(number, QStringLiteral("text after a flow collection"));
        return value;
    }

    static void skipSpaces(QStringView text, qsizetype &pos)
    {
        while (pos < text.size() && (text[pos] == u' ' || text[pos] == u'\t'))
            ++pos;
    }

    QJsonValue parseFlow(QStringView text, qsizetype &pos, qint64 number, int depth)
    {
        if (depth > m_limits.maxDepth)
            return setLimitError(number, ImportLimit::Depth);
        skipSpaces(text, pos);
        if (pos >= text.size())
            return setError(number, QStringLiteral("unterminated flow collection"));
        const QChar open = text[pos];
        if (open == u'[' || open == u'{') {
            const QChar close = open == u'[' ? u']' : u'}';
            ++pos;
            QJsonArray array;
            QJsonObject object;
            for (;;) {
                skipSpaces(text, pos);
                if (pos < text.size() && text[pos] == close) {
                    ++pos;
                    break;
                }
                if (open == u'{') {
                    const QJsonValue key = parseFlowScalar(text, pos, number, true);
                    skipSpaces(text, pos);
                    if (m_failed || pos >= text.size() || text[pos] != u':')
                        return setError(number, QStringLiteral("expected \"key: value\" in a flow mapping"));
                    ++pos;
                    object.insert(key.isString() ? key.toString() : QString(), parseFlow(text, pos, number, depth + 1));
                } else {
                    array.append(parseFlow(text, pos, number, depth + 1));
                }
                if (m_failed)
                    return {};
                skipSpaces(text, pos);
                if (pos < text.size() && text[pos] == u',') {
                    ++pos;
                    continue;
                }
                if (pos < text.size() && text[pos] == close) {
                    ++pos;
                    break;
                }
                return setError(number, QStringLiteral("expected ',' or '%1' in a flow collection").arg(close));
            }
            if (open == u'[')
                return array;
            return object;
        }
        return parseFlowScalar(text, pos, number, false);
    }

    QJsonValue parseFlowScalar(QStringView text, qsizetype &pos, qint64 number, bool key)
    {
        skipSpaces(text, pos);
        if (pos < text.size() && (text[pos] == u'"' || text[pos] == u'\'')) {
            QString out;
            if (!readQuoted(text, pos, out, number))
                return setError(number, QStringLiteral("unterminated quoted scalar"));
            return out;
        }
        if (pos < text.size() && (text[pos] == u'&' || text[pos] == u'*' || text[pos] == u'!'))
            return setError(number, QStringLiteral("anchors, aliases and tags are not supported"));
        const qsizetype start = pos;
        while (pos < text.size()) {
            const QChar c = text[pos];
            if (c == u',' || c == u']' || c == u'}' || c == u'[' || c == u'{')
                break;
            if (c == u':' && (key || pos + 1 == text.size() || text[pos + 1] == u' '))
                break;
            ++pos;
        }
        return plainScalar(text.sliced(start, pos - start).trimmed());
    }

    ImportLimits m_limits;
    std::optional<ImportLimit> m_limit; // set when the error is a limit
    QList<Line> m_lines;
    qsizetype m_i = 0;
    qsizetype m_end = 0; // the line that ends the document
    bool m_failed = false;
    qint64 m_errorLine = 0;
    QString m_error;
};

} // namespace

Result<QJsonValue> parseYamlSubset(QStringView text, QList<qint64> *rootItemLines, const ImportLimits &limits)
{
    if (rootItemLines)
        rootItemLines->clear();
    YamlParser parser(text, limits);
    return parser.parse(rootItemLines);
}

} // namespace kyc::screening::detail
