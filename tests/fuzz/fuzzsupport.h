#pragma once

// Shared by the libFuzzer targets of tests/fuzz (built only in the clang tree configured with -DKYC_FUZZ=ON):
// the fuzzer's bytes as a list file, held to the default import limits, fed to one importer in memory.

#include "backend/screening/import_formats.h"

#include <QByteArray>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kyc::fuzz {

inline QByteArray bytesOf(const uint8_t *data, size_t size)
{
    return QByteArray(reinterpret_cast<const char *>(data), qsizetype(size));
}

inline screening::detail::InputFile inputFile(const QString &name, QByteArray bytes)
{
    screening::detail::InputFile f;
    f.path = name;
    f.fileName = name;
    f.bytes = std::move(bytes);
    return f;
}

// The parts of a multi-file input: the fuzzer's bytes split at lines "#FILE" (the seeds put one before each
// file after the first), so one input can exercise a whole OFAC set.
inline std::vector<QByteArray> parts(const QByteArray &bytes)
{
    std::vector<QByteArray> out;
    qsizetype from = 0;
    for (;;) {
        const qsizetype at = bytes.indexOf("\n#FILE\n", from);
        if (at < 0) {
            out.push_back(bytes.sliced(from));
            return out;
        }
        out.push_back(bytes.sliced(from, at - from + 1));
        from = at + 7;
    }
}

// Runs one single-file importer of a list format and checks what any answer must hold.
template <typename Importer>
void importOne(const QString &fileName, const uint8_t *data, size_t size, Importer &&importer)
{
    const screening::ImportProgress none;
    screening::detail::InputFile file = inputFile(fileName, bytesOf(data, size));
    screening::detail::ProgressReporter progress(none, file.bytes.size());
    auto r = importer(file, progress);
    if (r) {
        for (const screening::Entity &e : r->entities) {
            if (e.names.isEmpty())
                __builtin_trap(); // an entity without a name must have been a problem instead
        }
    }
}

} // namespace kyc::fuzz
