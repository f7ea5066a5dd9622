#include "backend/core/json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QVariant>

#include <algorithm>
#include <cmath>

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

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

} // namespace kyc::json
