#pragma once

// A reader for the block-YAML subset the PEP sources are published in (unitedstates/congress-legislators,
// knesset-data manifests): nested block mappings and sequences (also "indentless" sequences under a key),
// "- key: value" items, plain, 'single' and "double" quoted scalars (multi-line plain and quoted scalars
// fold into one line), literal (|) and folded (>) block scalars, flow sequences and mappings of scalars
// ([a, 'b'], {}), comments and a leading "---". Anchors, aliases, tags, complex keys and multiple documents
// are refused with the line they are met on, so a file outside the subset fails loudly rather than being
// read wrong. Not part of the public API.

#include "backend/core/result.h"
#include "backend/screening/importlimits.h"

#include <QJsonValue>
#include <QList>
#include <QStringView>

namespace kyc::screening::detail {

// Plain scalars stay strings ("0042" keeps its zeros, "1958-10-13" is not a date), except null / ~ / an
// empty value (null) and true / false (booleans); quoted scalars are always strings. A syntax error gives
// ErrorCode::Validation with "line N: …". When `rootItemLines` is given and the document is a sequence,
// it receives the 1-based line of each item. The text is held to `limits` (line length, nesting depth, scalar
// length as the field length, items of a sequence as the record count, keys of a mapping as the fields per
// record); a text over one gives importLimitError("line N", …) (with "limit" in Error::extra). Aliases are
// refused, so nothing expands beyond the text itself.
[[nodiscard]] Result<QJsonValue> parseYamlSubset(QStringView text, QList<qint64> *rootItemLines = nullptr,
                                                 const ImportLimits &limits = {});

} // namespace kyc::screening::detail
