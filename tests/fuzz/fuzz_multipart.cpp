// libFuzzer target: the strict multipart/form-data reader of POST /aml/lists/import. The first line of the
// input (up to LF) is the Content-Type header value, the rest the body.
#include "backend/http/multipart.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView all(reinterpret_cast<const char *>(data), qsizetype(size));
    const qsizetype lf = all.indexOf('\n');
    const QByteArrayView contentType = lf < 0 ? QByteArrayView("multipart/form-data; boundary=b") : all.first(lf);
    const QByteArrayView body = lf < 0 ? all : all.sliced(lf + 1);
    kyc::http::multipart::Limits limits;
    limits.maxBodyBytes = 1 << 20;
    auto form = kyc::http::multipart::parse(contentType, body, limits);
    if (form) {
        qsizetype total = 0;
        for (const auto &p : form->parts)
            total += p.body.size() + p.name.size();
        (void)total;
    }
    return 0;
}
