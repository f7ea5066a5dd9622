#pragma once

#include <QString>
#include <QStringView>

namespace kyc::screening::detail {

// ISO 3166-1 alpha-2 code (upper case) for a country name or code as the lists write it ("Russia",
// "Korea, North", "Iran (Islamic Republic of)", "Türkiye", "PAKISTAN", "ru", "PRC"); empty when unknown
// (e.g. "former Soviet Union"). The names come from Qt's CLDR territory table plus the lists' own spellings.
[[nodiscard]] QString countryCode(QStringView name);

} // namespace kyc::screening::detail
