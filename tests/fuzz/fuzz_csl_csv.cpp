// libFuzzer target: the csl_csv list importer on arbitrary bytes (seeds: slices of the shipped files).
#include "tests/fuzz/fuzzsupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kyc::fuzz::importOne(QStringLiteral("consolidated.csv"), data, size,
                         [](const auto &file, auto &progress) { return kyc::screening::detail::importCslCsv(file, progress); });
    return 0;
}
