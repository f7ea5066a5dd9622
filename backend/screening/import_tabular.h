#pragma once

// PEP and adverse-media lists in plain tabular or record formats (CSV, TSV, JSON Lines, JSON arrays, a
// block-YAML subset), each read through a declarative mapping shipped as a Qt resource
// (resources/screening/sources/<id>.json, schema in docs/tabular-mappings.md). No source has code of its own.

#include "backend/core/result.h"
#include "backend/screening/entity.h"
#include "backend/screening/importers.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace kyc::screening {

struct TabularSource {
    QString id; // the entity source, e.g. "pep_us_congress"
    QString title;
    QString category; // "pep" | "adverse"
    QStringList defaultFiles; // relative to the shared data dir, e.g. "pep/ng_shineyoureye/senate.csv"
};

// Every mapping shipped in the resources, by id.
[[nodiscard]] QList<TabularSource> tabularSources();
[[nodiscard]] std::optional<TabularSource> tabularSource(const QString &id);

// Imports the files of one source with its mapping. Same contract as importList(): progress is (bytes done,
// bytes total); malformed rows (and values that cannot be read, such as a birth date in no known form) are in
// ImportResult::problems with "file: message" and their line; an unknown source, a file that cannot be read or
// is not what the mapping expects (binary, wrong header, not JSON/YAML, mostly malformed) gives an Error
// (ErrorCode::Validation). Entity ids are "<source id>:<native id>".
// The files are held to `limits` as importList() holds its files.
[[nodiscard]] Result<ImportResult> importTabular(const QString &sourceId, const QStringList &files,
                                                 const ImportProgress &progress = {}, const ImportLimits &limits = {});

} // namespace kyc::screening
