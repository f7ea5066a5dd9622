#include "backend/core/json.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cmath>

namespace kyc::json {

void appendCanonicalString(QByteArray &out, QStringView s)
{
    static constexpr char hex[] = "0123456789abcdef";
    out.append('"');
    const QByteArray utf8 = s.toUtf8();
    for (const char ch : utf8) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default:
            if (c < 0x20) {
                out.append("\\u00");
                out.append(hex[c >> 4]);
                out.append(hex[c & 0xF]);
            } else {
                out.append(ch);
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
