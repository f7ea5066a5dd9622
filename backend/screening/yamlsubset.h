#pragma once

// A reader for the block-YAML subset the PEP sources are published in (unitedstates/congress-legislators,
// knesset-data manifests): nested block mappings and sequences (also "indentless" sequences under a key),
// "- key: value" items, plain, 'single' and "double" quoted scalars (multi-line plain and quoted scalars
// fold into one line), literal (|) and folded (>) block scalars, flow sequences and mappings of scalars
// ([a, 'b'], {}), comments and a leading "---". Anchors, aliases, tags, complex keys and multiple documents
// are refused with the line they are met on, so a file outside the subset fails loudly rather than being
// read wrong. Not part of the public API.

#include "backend/core/result.h"

#include <QJsonValue>
#include <QList>
#include <QStringView>

namespace kyc::screening::detail {

// Plain scalars stay strings ("0042" keeps its zeros, "1958-10-13" is not a date), except null / ~ / an
// empty value (null) and true / false (booleans); quoted scalars are always strings. A syntax error gives
// ErrorCode::Validation with "line N: …". When `rootItemLines` is given and the document is a sequence,
// it receives the 1-based line of each item.
[[nodiscard]] Result<QJsonValue> parseYamlSubset(QStringView text, QList<qint64> *rootItemLines = nullptr);

} // namespace kyc::screening::detail
