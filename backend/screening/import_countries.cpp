#include "backend/screening/import_countries.h"

#include <QHash>
#include <QLocale>
#include <QSet>

namespace kyc::screening::detail {

namespace {

// Spellings the lists use that Qt's CLDR English names do not cover.
struct CountryAlias {
    const char16_t *name;
    const char16_t *code;
};

const CountryAlias kAliases[] = {
    {u"Russian Federation", u"RU"},
    {u"Korea, North", u"KP"},
    {u"Democratic People's Republic of Korea", u"KP"},
    {u"Korea, Democratic People's Republic of", u"KP"},
    {u"DPRK", u"KP"},
    {u"Korea, South", u"KR"},
    {u"Republic of Korea", u"KR"},
    {u"Korea, Republic of", u"KR"},
    {u"Iran (Islamic Republic of)", u"IR"},
    {u"Iran, Islamic Republic of", u"IR"},
    {u"Islamic Republic of Iran", u"IR"},
    {u"Syrian Arab Republic", u"SY"},
    {u"Burma", u"MM"},
    {u"Myanmar (Burma)", u"MM"},
    {u"Congo, Democratic Republic of the", u"CD"},
    {u"Democratic Republic of the Congo", u"CD"},
    {u"DR Congo", u"CD"},
    {u"DRC", u"CD"},
    {u"Congo (Kinshasa)", u"CD"},
    {u"Congo", u"CG"},
    {u"Republic of the Congo", u"CG"},
    {u"Congo, Republic of the", u"CG"},
    {u"Congo (Brazzaville)", u"CG"},
    {u"United Kingdom of Great Britain and Northern Ireland", u"GB"},
    {u"Great Britain", u"GB"},
    {u"UK", u"GB"},
    {u"United States of America", u"US"},
    {u"USA", u"US"},
    {u"State of Palestine", u"PS"},
    {u"Palestine", u"PS"},
    {u"Palestinian", u"PS"},
    {u"Occupied Palestinian Territory", u"PS"},
    {u"West Bank", u"PS"},
    {u"Gaza Strip", u"PS"},
    {u"Türkiye", u"TR"},
    {u"Viet Nam", u"VN"},
    {u"United Republic of Tanzania", u"TZ"},
    {u"Tanzania, United Republic of", u"TZ"},
    {u"Lao People's Democratic Republic", u"LA"},
    {u"Bolivia (Plurinational State of)", u"BO"},
    {u"Venezuela (Bolivarian Republic of)", u"VE"},
    {u"Republic of Moldova", u"MD"},
    {u"Moldova, Republic of", u"MD"},
    {u"North Macedonia", u"MK"},
    {u"North Macedonia, The Republic of", u"MK"},
    {u"Republic of North Macedonia", u"MK"},
    {u"The former Yugoslav Republic of Macedonia", u"MK"},
    {u"China, Hong Kong Special Administrative Region", u"HK"},
    {u"Hong Kong SAR", u"HK"},
    {u"Macau", u"MO"},
    {u"China, Macao Special Administrative Region", u"MO"},
    {u"Taiwan, Province of China", u"TW"},
    {u"Czech Republic", u"CZ"},
    {u"Cabo Verde", u"CV"},
    {u"Côte d'Ivoire", u"CI"},
    {u"Cote d Ivoire", u"CI"},
    {u"Macedonia, The Former Yugoslav Republic of", u"MK"},
    {u"Man, Isle of", u"IM"},
    {u"Gaza", u"PS"},
    {u"Crimea", u"UA"},
    {u"Northern Mali", u"ML"},
    {u"Swaziland", u"SZ"},
    {u"East Timor", u"TL"},
    {u"Micronesia, Federated States of", u"FM"},
    {u"Micronesia (Federated States of)", u"FM"},
    {u"Holy See", u"VA"},
    {u"Brunei Darussalam", u"BN"},
    {u"Virgin Islands, British", u"VG"},
    {u"Virgin Islands, U.S.", u"VI"},
    {u"People's Republic of China", u"CN"},
    {u"PRC", u"CN"},
    {u"UAE", u"AE"},
    {u"Eritrean", u"ER"},
    {u"Saint Vincent and the Grenadines", u"VC"},
    {u"Netherlands (Kingdom of the)", u"NL"},
    {u"Holland", u"NL"},
    {u"Bosnia-Herzegovina", u"BA"},
    {u"Slovak Republic", u"SK"},
    {u"Kyrgyz Republic", u"KG"},
    {u"Libyan Arab Jamahiriya", u"LY"},
};

// Case, diacritics, punctuation and "the" do not distinguish country names.
QString countryKey(QStringView name)
{
    const QString decomposed = name.toString().normalized(QString::NormalizationForm_KD);
    QString key;
    key.reserve(decomposed.size());
    for (QChar c : decomposed) {
        if (c.category() == QChar::Mark_NonSpacing)
            continue;
        if (c == u'&') {
            key += QStringLiteral(" and ");
        } else if (c.isLetterOrNumber()) {
            key += c.toLower();
        } else if (c != u'\'' && c != u'\u2019') {
            key += u' ';
        }
    }
    QStringList words = key.split(u' ', Qt::SkipEmptyParts);
    words.removeAll(QStringLiteral("the"));
    for (QString &w : words) {
        if (w == u"st")
            w = QStringLiteral("saint");
    }
    return words.join(u' ');
}

struct CountryTable {
    QHash<QString, QString> byName;
    QSet<QString> codes;

    CountryTable()
    {
        for (int t = 1; t <= int(QLocale::LastTerritory); ++t) {
            const auto territory = static_cast<QLocale::Territory>(t);
            const QString code = QLocale::territoryToCode(territory);
            if (code.size() != 2 || code == u"EU" || code == u"QO")
                continue;
            codes.insert(code);
            byName.insert(countryKey(QLocale::territoryToString(territory)), code);
        }
        for (const CountryAlias &a : kAliases)
            byName.insert(countryKey(QStringView(a.name)), QString::fromUtf16(a.code));
    }
};

const CountryTable &table()
{
    static const CountryTable t; // immutable after construction; thread-safe static initialisation
    return t;
}

} // namespace

QString countryCode(QStringView name)
{
    QStringView trimmed = name.trimmed();
    if (trimmed.startsWith(u"Region:", Qt::CaseInsensitive)) // OFAC: "Region: Crimea", "Region: Gaza"
        trimmed = trimmed.sliced(7).trimmed();
    if (trimmed.isEmpty())
        return {};
    const CountryTable &t = table();
    // Two-letter codes only in upper case: the UN file writes "na" for "not available", not Namibia.
    if (trimmed.size() == 2 && trimmed[0].isUpper() && trimmed[1].isUpper()) {
        const QString code = trimmed.toString();
        if (t.codes.contains(code))
            return code;
    }
    return t.byName.value(countryKey(trimmed));
}

} // namespace kyc::screening::detail
