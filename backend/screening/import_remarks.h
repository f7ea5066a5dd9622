#pragma once

#include "backend/screening/entity.h"

#include <QString>
#include <QStringView>

#include <optional>

namespace kyc::screening::detail {

// The identifier kind (passport, national_id, tax_id, registration, imo, mmsi, crypto, other) that a label
// of OFAC's remarks or the CSL "ids" column names, with the label's length in `text` when it starts with one
// ("Passport", "National ID No.", "Tax ID No.", "Vessel Registration Identification", "Digital Currency
// Address - XBT", …). Nothing when the text is not an identifier (e.g. "Website", "Linked To:").
struct IdentifierLabel {
    QString kind;
    qsizetype length = 0;
};
[[nodiscard]] std::optional<IdentifierLabel> identifierLabel(QStringView text);

// OFAC writes dates "10 Dec 1948", "Dec 1948", "1948", with ranges "1955 to 1957", "01 Jan 1960 to
// 31 Dec 1962", "circa 1955-1957".
[[nodiscard]] std::optional<BirthDate> parseOfacDate(QStringView text);

// Reads OFAC's semi-structured `Remarks` (sdn.csv column 12 plus its sdn_comments.csv continuation) into
// the entity: DOB, nationality / citizen, gender, identifiers (passport, national ids, tax and registration
// numbers, IMO, MMSI, digital currency addresses) and the weak a.k.a./f.k.a./n.k.a. aliases. The remarks
// text itself is kept as it is.
void applyOfacRemarks(Entity &e, const QString &remarks);

} // namespace kyc::screening::detail
