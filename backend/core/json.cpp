#include "backend/core/json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QVariant>

#include <algorithm>
#include <cmath>
#include <vector>

namespace kyc::json {

void appendCanonicalString(QByteArray &out, QStringView s)
{
    appendCanonicalUtf8(out, s.toUtf8());
}

void appendCanonicalUtf8(QByteArray &out, QByteArrayView utf8)
{
    static constexpr char hex[] = "0123456789abcdef";
    out.append('"');
    const char *p = utf8.data();
    const char *end = p + utf8.size();
    while (p < end) {
        // Copy the run of bytes that need no escape in one go.
        const char *run = p;
        while (p < end && static_cast<unsigned char>(*p) >= 0x20 && *p != '"' && *p != '\\')
            ++p;
        if (p > run)
            out.append(run, p - run);
        if (p == end)
            break;
        const auto c = static_cast<unsigned char>(*p++);
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default: {
            const char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
            out.append(esc, 6);
        }
        }
    }
    out.append('"');
}

void appendCanonical(QByteArray &out, const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined: out.append("null"); break;
    case QJsonValue::Bool: out.append(value.toBool() ? "true" : "false"); break;
    case QJsonValue::Double: {
        // Integers are kept exactly (Qt holds them as 64-bit), doubles only when not integral.
        const QVariant v = value.toVariant();
        if (v.typeId() == QMetaType::LongLong || v.typeId() == QMetaType::Int) {
            out.append(QByteArray::number(v.toLongLong()));
            break;
        }
        const double d = value.toDouble();
        if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9007199254740992.0)
            out.append(QByteArray::number(qint64(d)));
        else if (std::isfinite(d))
            out.append(QByteArray::number(d, 'g', QLocale::FloatingPointShortest));
        else
            out.append("null");
        break;
    }
    case QJsonValue::String: appendCanonicalString(out, value.toString()); break;
    case QJsonValue::Array: {
        out.append('[');
        bool first = true;
        for (const auto &v : value.toArray()) {
            if (!first)
                out.append(',');
            first = false;
            appendCanonical(out, v);
        }
        out.append(']');
        break;
    }
    case QJsonValue::Object: {
        const QJsonObject o = value.toObject();
        QStringList keys = o.keys();
        std::sort(keys.begin(), keys.end()); // QString order is UTF-16 code unit order
        out.append('{');
        bool first = true;
        for (const auto &k : keys) {
            if (!first)
                out.append(',');
            first = false;
            appendCanonicalString(out, k);
            out.append(':');
            appendCanonical(out, o.value(k));
        }
        out.append('}');
        break;
    }
    }
}

QByteArray canonical(const QJsonValue &value)
{
    QByteArray out;
    out.reserve(256);
    appendCanonical(out, value);
    return out;
}

JsonShape measure(QByteArrayView text, int stopAtDepth)
{
    JsonShape shape;
    // Members seen so far in each open container, and whether it has any value yet (counted on its first token).
    std::vector<qsizetype> counts;
    bool valuePending = true; // the next value token starts a member of the innermost container
    auto countValue = [&]() {
        if (!counts.empty() && valuePending) {
            shape.largestContainer = std::max(shape.largestContainer, ++counts.back());
        }
        valuePending = false;
    };
    const char *p = text.data();
    const char *end = p + text.size();
    while (p < end) {
        const char c = *p++;
        switch (c) {
        case '"': {
            const char *start = p;
            while (p < end && *p != '"') {
                if (static_cast<unsigned char>(*p) < 0x20 && shape.rawControlAt < 0)
                    shape.rawControlAt = p - text.data();
                if (*p == '\\' && p + 1 < end)
                    ++p;
                ++p;
            }
            shape.longestString = std::max<qsizetype>(shape.longestString, p - start);
            if (p < end)
                ++p;
            // A key is followed by ':'; it is the member, counted when its value comes.
            const char *q = p;
            while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
                ++q;
            if (q < end && *q == ':') {
                p = q + 1;
                break;
            }
            countValue();
            break;
        }
        case '[':
        case '{':
            countValue();
            counts.push_back(0);
            valuePending = true;
            shape.depth = std::max(shape.depth, int(counts.size()));
            if (shape.depth > stopAtDepth)
                return shape;
            break;
        case ']':
        case '}':
            if (!counts.empty())
                counts.pop_back();
            valuePending = false;
            break;
        case ',': valuePending = true; break;
        case ' ':
        case '\t':
        case '\n':
        case '\r':
        case ':': break;
        default:
            // The first byte of a number, true, false or null; the rest of it is skipped as it comes.
            countValue();
            break;
        }
    }
    return shape;
}

Result<QJsonDocument> parse(QByteArrayView text, const JsonLimits &limits)
{
    const JsonShape shape = measure(text, limits.maxDepth);
    auto over = [](const char *key, const QString &message) {
        Error e = Error::make(ErrorCode::Validation, message);
        e.extra.insert(QStringLiteral("limit"), QString::fromLatin1(key));
        return fail(std::move(e));
    };
    if (shape.depth > limits.maxDepth)
        return over("json_depth", QStringLiteral("JSON nesting depth over the limit of %1 levels").arg(limits.maxDepth));
    if (shape.longestString > limits.maxStringBytes)
        return over("json_string_length",
                    QStringLiteral("a JSON string over the length limit of %1 bytes").arg(limits.maxStringBytes));
    if (shape.largestContainer > limits.maxContainer)
        return over("json_members",
                    QStringLiteral("a JSON array or object over the limit of %1 members").arg(limits.maxContainer));
    // RFC 8259 wants them escaped; Qt would take a raw NUL or line break into the string.
    if (shape.rawControlAt >= 0)
        return fail(ErrorCode::Validation,
                    QStringLiteral("Malformed JSON at offset %1: a control character must be escaped inside a string")
                        .arg(shape.rawControlAt));
    QJsonParseError error{};
    QJsonDocument doc = QJsonDocument::fromJson(text.toByteArray(), &error);
    if (error.error != QJsonParseError::NoError)
        return fail(ErrorCode::Validation,
                    QStringLiteral("Malformed JSON at offset %1: %2").arg(error.offset).arg(error.errorString()));
    return doc;
}

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

} // namespace kyc::json
