// libFuzzer target: request-body JSON (core/json: the limits scan and the parse behind every JSON route),
// and the canonical form the audit chain hashes, on whatever parses.
#include "backend/core/json.h"
#include "tests/fuzz/fuzzsupport.h"

#include <QJsonArray>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace kyc;
    const QByteArray bytes = fuzz::bytesOf(data, size);
    (void)json::measure(bytes, 1 << 20);
    auto doc = json::parse(bytes);
    if (!doc)
        return 0;
    const QJsonValue root = doc->isArray() ? QJsonValue(doc->array()) : QJsonValue(doc->object());
    const QByteArray canonical = json::canonical(root);
    // The canonical form is JSON again, within the same limits, and a fixed point.
    auto again = json::parse(canonical);
    if (!again)
        __builtin_trap();
    const QJsonValue second = again->isArray() ? QJsonValue(again->array()) : QJsonValue(again->object());
    if (json::canonical(second) != canonical)
        __builtin_trap();
    return 0;
}
