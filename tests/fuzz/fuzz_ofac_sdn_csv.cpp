// libFuzzer target: the ofac_sdn_csv importer on a whole set: the input's parts (split at "#FILE" lines) are, in
// order, sdn.csv,add.csv,alt.csv,sdn_comments.csv.
#include "tests/fuzz/fuzzsupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace kyc;
    static const QString names[]
        = {QStringLiteral("sdn.csv"), QStringLiteral("add.csv"), QStringLiteral("alt.csv"), QStringLiteral("sdn_comments.csv")};
    std::vector<screening::detail::InputFile> files;
    qint64 total = 0;
    for (const QByteArray &part : fuzz::parts(fuzz::bytesOf(data, size))) {
        if (files.size() == std::size(names))
            break;
        files.push_back(fuzz::inputFile(names[files.size()], part));
        total += part.size();
    }
    const screening::ImportProgress none;
    screening::detail::ProgressReporter progress(none, total);
    (void)screening::detail::importOfacCsv(screening::ListFormat::OfacSdnCsv, files, progress);
    return 0;
}
