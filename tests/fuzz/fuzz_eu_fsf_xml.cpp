// libFuzzer target: the eu_fsf_xml list importer on arbitrary bytes (seeds: slices of the shipped files).
#include "tests/fuzz/fuzzsupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kyc::fuzz::importOne(QStringLiteral("export.xml"), data, size,
                         [](const auto &file, auto &progress) { return kyc::screening::detail::importEuFsfXml(file, progress); });
    return 0;
}
