// libFuzzer target: the uk_xml list importer on arbitrary bytes (seeds: slices of the shipped files).
#include "tests/fuzz/fuzzsupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kyc::fuzz::importOne(QStringLiteral("UK_Sanctions_List.xml"), data, size,
                         [](const auto &file, auto &progress) { return kyc::screening::detail::importUkXml(file, progress); });
    return 0;
}
