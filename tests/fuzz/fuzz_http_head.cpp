// libFuzzer target for the HTTP request head check (backend/http/requesthead.h): any bytes, as a
// whole head and as lines arriving one by one, must give a verdict without crashing, and the two
// ways of checking must agree on refusing.
#include "backend/http/requesthead.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView head(reinterpret_cast<const char *>(data), qsizetype(size));
    const kyc::http::HeadVerdict whole = kyc::http::checkRequestHead(head);
    if (whole.ok() && whole.complete) {
        if (whole.contentLength < 0 || whole.method.isEmpty() || !whole.target.startsWith('/'))
            std::abort();
        (void)kyc::http::headerFields(head);
    }

    // Line by line, as the guard checks a head that arrives in pieces.
    bool refused = false;
    qsizetype pos = 0;
    bool first = true;
    while (pos < head.size() && !refused) {
        const void *lf = std::memchr(head.data() + pos, '\n', size_t(head.size() - pos));
        if (!lf)
            break;
        const qsizetype end = static_cast<const char *>(lf) - head.data() + 1;
        const QByteArrayView line = head.sliced(pos, end - pos);
        refused = !kyc::http::checkHeadLine(line, first).ok();
        if (!first && line.size() == 2)
            break;
        first = false;
        pos = end;
    }
    // A line the line check refuses is refused by the whole check too.
    if (refused && whole.ok())
        std::abort();
    return 0;
}
