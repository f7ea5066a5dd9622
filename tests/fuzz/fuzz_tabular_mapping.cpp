// libFuzzer target: the tabular mapping reader (the mapping JSON itself: value specs, regular expressions,
// date forms, per-file variants).
#include "backend/screening/tabularmapping.h"
#include "tests/fuzz/fuzzsupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace kyc::screening::detail;
    auto set = TabularMappingSet::fromBytes(kyc::fuzz::bytesOf(data, size));
    if (set) {
        (void)set->forFile(QStringLiteral("list.csv")).columns();
        (void)parseDateForms(QStringLiteral("1 January 1970"),
                             set->base().birthDates.isEmpty() ? QList<DateForm>{} : set->base().birthDates.first().forms);
    }
    return 0;
}
