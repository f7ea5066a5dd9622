#pragma once

#include "backend/core/result.h"

#include <QByteArray>
#include <QJsonDocument>
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

// The shape of JSON text, measured in one pass without building values and without recursion: the deepest
// nesting of arrays and objects, the longest string as written (bytes between its quotes) and the most
// members or elements of one array or object. Measuring stops once the depth passes `stopAtDepth`. Text that
// is not JSON still gets a shape; the parser reports what is wrong with it.
struct JsonShape {
    int depth = 0;
    qsizetype longestString = 0;
    qsizetype largestContainer = 0;
    qsizetype rawControlAt = -1; // offset of the first control character (< 0x20) written raw inside a string
};
[[nodiscard]] JsonShape measure(QByteArrayView text, int stopAtDepth);

// Limits for JSON from outside (request bodies, list files, mappings). Qt's parser alone accepts 1024 levels
// (recursing once per level) and strings and arrays of any size.
struct JsonLimits {
    int maxDepth = 32;
    qsizetype maxStringBytes = qsizetype(1) << 20;
    qsizetype maxContainer = 100'000;
};

// Parses a JSON document held to `limits`: ErrorCode::Validation naming the limit ("JSON nesting depth over
// the limit of 32 levels", with {"limit": "json_depth"}) or the syntax error with its offset.
[[nodiscard]] Result<QJsonDocument> parse(QByteArrayView text, const JsonLimits &limits = {});

} // namespace kyc::json
