#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>

namespace kyc::json {

// Canonical JSON: object keys sorted by UTF-16 code unit, no insignificant white space, strings
// escaped exactly as Python's json.dumps(..., sort_keys=True, separators=(",", ":"),
// ensure_ascii=False) does, integers in plain decimal. Non-integral numbers are written in the
// shortest round-trip form. docs/audit-format.md specifies it for third-party verifiers.
[[nodiscard]] QByteArray canonical(const QJsonValue &value);
void appendCanonical(QByteArray &out, const QJsonValue &value);
void appendCanonicalString(QByteArray &out, QStringView s);
void appendCanonicalUtf8(QByteArray &out, QByteArrayView utf8);

[[nodiscard]] QByteArray compact(const QJsonObject &object);

// A JSON number with no fractional part (JSON has one number type; request fields that take counts,
// seconds or days accept only these).
[[nodiscard]] inline bool isInteger(const QJsonValue &v)
{
    return v.isDouble() && v.toDouble() == double(v.toInteger());
}

} // namespace kyc::json
