// libFuzzer target: the tabular importer with every shipped mapping (CSV, TSV, JSON Lines, JSON arrays, YAML).
// The first byte picks the mapping; the rest is the file, written under the name of the mapping's first default
// file (the per-file variants match on it).
#include "backend/screening/import_tabular.h"
#include "tests/fuzz/fuzzsupport.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace kyc::screening;
    static const QList<TabularSource> sources = tabularSources();
    static QTemporaryDir dir;
    if (size == 0 || sources.isEmpty() || !dir.isValid())
        return 0;
    const TabularSource &source = sources[data[0] % sources.size()];
    const QString name
        = source.defaultFiles.isEmpty() ? QStringLiteral("list.csv") : QFileInfo(source.defaultFiles.first()).fileName();
    const QString path = dir.filePath(name);
    {
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return 0;
        f.write(reinterpret_cast<const char *>(data + 1), qint64(size - 1));
    }
    (void)importTabular(source.id, {path});
    return 0;
}
