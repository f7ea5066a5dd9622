#pragma once

// The limits every list importer and parser holds its input to, in one place. A file over a limit is refused
// as a whole (ErrorCode::Validation, a 422 over HTTP and a message in the CLI) with a message naming the limit,
// and the serving version stays. The defaults leave the real lists ample room: the shipped files in
// ../shared/data are at most 4 MB, their longest line 36 KB (one JSON array), their longest field 8 KB
// (an OFAC remark), their deepest nesting 6 levels, their largest entity a few dozen names; the full
// official lists (EU FSF, UK, OpenSanctions sanctions exports) stay under 200 MB a file.

#include "backend/core/error.h"

#include <QString>

namespace kyc::screening {

enum class ImportLimit {
    FileSize, // bytes of one file
    Depth, // nesting of XML elements, JSON arrays/objects, YAML collections
    Records, // records (rows, elements, lines, items) of one file
    FieldLength, // characters of one field, XML text or attribute, JSON string, YAML scalar
    LineLength, // characters of one line in the line-based formats (CSV, TSV, JSON Lines, FtM, YAML)
    FieldsPerRecord, // columns of a row, elements inside an XML record, members of a JSON record
    NamesPerEntity, // names (primary and aliases) of one entity
};

struct ImportLimits {
    qint64 maxFileBytes = qint64(200) * 1024 * 1024; // the scheduled refresher's download cap too
    int maxDepth = 64;
    qint64 maxRecords = 2'000'000;
    qint64 maxFieldChars = 1024 * 1024;
    qint64 maxLineChars = 4 * 1024 * 1024;
    qint64 maxFieldsPerRecord = 10'000;
    qint64 maxNamesPerEntity = 1'000;

    [[nodiscard]] qint64 value(ImportLimit limit) const;
};

// "nesting depth", "record count", … as the messages say it.
[[nodiscard]] QString importLimitName(ImportLimit limit);
// "nesting_depth", "record_count", … for the error's "limit" member.
[[nodiscard]] QString importLimitKey(ImportLimit limit);

// "<where>: over the <name> limit (<value> <unit>)"; ErrorCode::Validation with {"limit": key, "max": value}.
[[nodiscard]] Error importLimitError(const QString &where, ImportLimit limit, const ImportLimits &limits);

} // namespace kyc::screening
