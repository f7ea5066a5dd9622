// libFuzzer target: the block-YAML subset reader the PEP sources are published in.
#include "backend/screening/yamlsubset.h"
#include "tests/fuzz/fuzzsupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace kyc::screening;
    const QString text = detail::decodeText(kyc::fuzz::bytesOf(data, size));
    QList<qint64> lines;
    (void)detail::parseYamlSubset(text, &lines);
    return 0;
}
