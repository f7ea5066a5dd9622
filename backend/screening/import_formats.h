#pragma once

// The per-format importers behind importList(). Internal.

#include "backend/screening/import_common.h"

#include <vector>

namespace kyc::screening::detail {

// OFAC legacy CSV set: sdn.csv / cons_prim.csv plus add, alt and comments files, recognised by name.
[[nodiscard]] Result<ImportResult> importOfacCsv(ListFormat format, const std::vector<InputFile> &files,
                                                 ProgressReporter &progress);
[[nodiscard]] Result<ImportResult> importUnXml(const InputFile &file, ProgressReporter &progress);
[[nodiscard]] Result<ImportResult> importEuFsfXml(const InputFile &file, ProgressReporter &progress);
[[nodiscard]] Result<ImportResult> importUkXml(const InputFile &file, ProgressReporter &progress);
[[nodiscard]] Result<ImportResult> importBisDplTxt(const InputFile &file, ProgressReporter &progress);
[[nodiscard]] Result<ImportResult> importCslCsv(const InputFile &file, ProgressReporter &progress);
[[nodiscard]] Result<ImportResult> importFtmJson(const InputFile &file, ProgressReporter &progress);

// A record-level problem, with the file name in front of the message.
void addProblem(ImportResult &result, const InputFile &file, qint64 line, const QString &message);

// Too many malformed records means the file is not what it claims to be (or is badly damaged).
[[nodiscard]] bool mostlyMalformed(qint64 records, qint64 problems);

} // namespace kyc::screening::detail
