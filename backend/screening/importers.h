#pragma once

#include "backend/core/result.h"
#include "backend/screening/entity.h"
#include "backend/screening/importlimits.h"

#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace kyc::screening {

// The sanctions-list file formats the screening module reads (see ../shared/data/sanctions/PROVENANCE.md).
enum class ListFormat { OfacSdnCsv, OfacConsCsv, UnXml, EuFsfXml, UkXml, BisDplTxt, CslCsv, FtmJson };

// "ofac_sdn_csv", "ofac_cons_csv", "un_xml", "eu_fsf_xml", "uk_xml", "bis_dpl_txt", "csl_csv", "ftm_json".
[[nodiscard]] QString formatName(ListFormat f);
[[nodiscard]] std::optional<ListFormat> parseFormat(const QString &name);
// The source part of the entity ids a format produces ("ofac_sdn", "un", "eu_fsf", …).
[[nodiscard]] QString formatSource(ListFormat f);

using ImportProgress = std::function<void(qint64 done, qint64 total)>;

// Imports one list from its file(s). For the OFAC legacy CSV sets pass the folder's files (sdn.csv or
// cons_prim.csv, plus add, alt and comments when present, in any order; they are recognised by file name).
// Progress is called with (bytes done, bytes total) at the start, now and then, and at the end.
// Malformed rows are reported in ImportResult::problems with their line; a file that cannot be read or
// is not the format at all gives an Error (ErrorCode::Validation); so does a file over one of `limits`, with a
// message naming the limit and {"limit": …, "max": …} in Error::extra.
[[nodiscard]] Result<ImportResult> importList(ListFormat format, const QStringList &files, const ImportProgress &progress = {},
                                              const ImportLimits &limits = {});

} // namespace kyc::screening
