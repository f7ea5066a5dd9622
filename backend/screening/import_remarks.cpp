#include "backend/screening/import_remarks.h"

#include "backend/screening/import_common.h"
#include "backend/screening/import_countries.h"

#include <algorithm>
#include <vector>

namespace kyc::screening::detail {

namespace {

struct LabelKind {
    const char16_t *label;
    const char16_t *kind;
};

// Labels seen in OFAC remarks (2021–2025) and the CSL "ids" column. Longer labels win over their prefixes.
const LabelKind kLabels[] = {
    {u"Passport No.", u"passport"},
    {u"Passport", u"passport"},
    {u"Diplomatic Passport", u"passport"},
    {u"Travel Document Number", u"passport"},
    {u"National ID No.", u"national_id"},
    {u"National ID Number", u"national_id"},
    {u"National Identification Number", u"national_id"},
    {u"National Foreign ID Number", u"national_id"},
    {u"Identification Number", u"national_id"},
    {u"Personal ID Card", u"national_id"},
    {u"Cedula No.", u"national_id"},
    {u"C.U.R.P. #", u"national_id"},
    {u"C.U.R.P.", u"national_id"},
    {u"CURP #", u"national_id"},
    {u"CURP", u"national_id"},
    {u"D.N.I.", u"national_id"},
    {u"DNI", u"national_id"},
    {u"NIE", u"national_id"},
    {u"Kenyan ID No.", u"national_id"},
    {u"Turkish Identification Number", u"national_id"},
    {u"Numero de Identidad", u"national_id"},
    {u"Citizen's Card Number", u"national_id"},
    {u"Residency Number", u"national_id"},
    {u"SSN", u"national_id"},
    {u"Electoral Registry No.", u"national_id"},
    {u"Credencial electoral", u"national_id"},
    {u"I.F.E.", u"national_id"},
    {u"C.U.I.P.", u"national_id"},
    {u"C.U.I.", u"national_id"},
    {u"Birth Certificate Number", u"national_id"},
    {u"Identity Card", u"national_id"},
    {u"Refugee ID Card", u"national_id"},
    {u"Driver's License No.", u"other"},
    {u"Cartilla de Servicio Militar Nacional", u"other"},
    {u"VisaNumberID", u"other"},
    {u"Tax ID No.", u"tax_id"},
    {u"Tax ID", u"tax_id"},
    {u"R.F.C. #", u"tax_id"},
    {u"R.F.C.", u"tax_id"},
    {u"RFC", u"tax_id"},
    {u"NIT #", u"tax_id"},
    {u"RUC #", u"tax_id"},
    {u"RIF #", u"tax_id"},
    {u"RTN", u"tax_id"},
    {u"V.A.T. Number", u"tax_id"},
    {u"C.U.I.T.", u"tax_id"},
    {u"US FEIN", u"tax_id"},
    {u"Italian Fiscal Code", u"tax_id"},
    {u"Registration Number", u"registration"},
    {u"Registration ID", u"registration"},
    {u"Business Registration Number", u"registration"},
    {u"Business Registration Document #", u"registration"},
    {u"Business Number", u"registration"},
    {u"Company Number", u"registration"},
    {u"UK Company Number", u"registration"},
    {u"Commercial Registry Number", u"registration"},
    {u"Government Gazette Number", u"registration"},
    {u"Unified Social Credit Code", u"registration"},
    {u"United Social Credit Code Certificate", u"registration"},
    {u"Legal Entity Number", u"registration"},
    {u"LE Number", u"registration"},
    {u"C.R. No.", u"registration"},
    {u"Economic Register Number", u"registration"},
    {u"Chamber of Commerce Number", u"registration"},
    {u"Istanbul Chamber of Comm. No.", u"registration"},
    {u"Dubai Chamber of Commerce Membership No.", u"registration"},
    {u"Trade License No.", u"registration"},
    {u"Folio Mercantil No.", u"registration"},
    {u"Matricula Mercantil No", u"registration"},
    {u"D-U-N-S Number", u"registration"},
    {u"Central Registration System Number", u"registration"},
    {u"Enterprise Number", u"registration"},
    {u"Branch Unit Number", u"registration"},
    {u"Public Registration Number", u"registration"},
    {u"Certificate of Incorporation Number", u"registration"},
    {u"Registered Charity No.", u"registration"},
    {u"SWIFT/BIC", u"registration"},
    {u"BIK", u"registration"},
    {u"Aircraft Tail Number", u"registration"},
    {u"Aircraft Manufacturer's Serial Number (MSN)", u"other"},
    {u"Vessel Registration Identification", u"imo"},
    {u"Identification Number IMO", u"imo"},
    {u"Company Number IMO", u"imo"},
    {u"IMO", u"imo"},
    {u"MMSI", u"mmsi"},
};

struct LabelTable {
    std::vector<std::pair<QString, QString>> entries; // longest first

    LabelTable()
    {
        for (const LabelKind &l : kLabels)
            entries.emplace_back(QString::fromUtf16(l.label), QString::fromUtf16(l.kind));
        std::stable_sort(entries.begin(), entries.end(),
                         [](const auto &a, const auto &b) { return a.first.size() > b.first.size(); });
    }
};

const LabelTable &labels()
{
    static const LabelTable t;
    return t;
}

const QString kCryptoLabel = QStringLiteral("Digital Currency Address - ");

QStringView stripAlt(QStringView segment)
{
    segment = segment.trimmed();
    if (segment.startsWith(u"alt. ", Qt::CaseInsensitive))
        segment = segment.sliced(5).trimmed();
    return segment;
}

// The value after a label: skip "(USCC)"-style qualifiers, stop at the first " (" or " issued"/" expires".
struct ParsedValue {
    QString value;
    QString country;
};

ParsedValue parseValue(QStringView rest)
{
    rest = rest.trimmed();
    while (rest.startsWith(u'(')) {
        const qsizetype close = rest.indexOf(u')');
        if (close < 0)
            break;
        rest = rest.sliced(close + 1).trimmed();
    }
    ParsedValue out;
    qsizetype end = rest.size();
    for (QStringView stop : {QStringView(u" ("), QStringView(u" issued"), QStringView(u" expires"), QStringView(u", issued")}) {
        const qsizetype at = rest.indexOf(stop, 0, Qt::CaseInsensitive);
        if (at >= 0)
            end = std::min(end, at);
    }
    out.value = rest.first(end).trimmed().toString();
    while (out.value.endsWith(u'.') || out.value.endsWith(u','))
        out.value.chop(1);
    // The country is the first parenthesised group that names one ("(Stuttgart) (Germany)").
    qsizetype from = end;
    while (from < rest.size()) {
        const qsizetype open = rest.indexOf(u'(', from);
        if (open < 0)
            break;
        const qsizetype close = rest.indexOf(u')', open);
        if (close < 0)
            break;
        const QString code = countryCode(rest.sliced(open + 1, close - open - 1));
        if (!code.isEmpty()) {
            out.country = code;
            break;
        }
        from = close + 1;
    }
    return out;
}

// "10 Dec 1948", "Dec 1948", "1948".
std::optional<BirthDate> parseSingleOfacDate(QStringView text)
{
    const auto words = text.trimmed().split(u' ', Qt::SkipEmptyParts);
    BirthDate d;
    bool ok = false;
    if (words.size() == 1) {
        d.year = words[0].toInt(&ok);
    } else if (words.size() == 2) {
        d.month = monthFromName(words[0]);
        d.year = words[1].toInt(&ok);
    } else if (words.size() == 3) {
        d.day = words[0].toInt(&ok);
        if (!ok)
            return std::nullopt;
        d.month = monthFromName(words[1]);
        d.year = words[2].toInt(&ok);
    }
    if (!ok || d.year < 1800 || d.year > 2200 || (words.size() > 1 && d.month == 0) || d.day < 0 || d.day > 31)
        return std::nullopt;
    return d;
}

} // namespace

std::optional<IdentifierLabel> identifierLabel(QStringView text)
{
    if (text.startsWith(kCryptoLabel, Qt::CaseInsensitive)) {
        // "Digital Currency Address - XBT 12Qt…": the currency code is part of the label.
        const qsizetype space = text.indexOf(u' ', kCryptoLabel.size());
        return IdentifierLabel{QStringLiteral("crypto"), space < 0 ? text.size() : space};
    }
    for (const auto &[label, kind] : labels().entries) {
        if (!text.startsWith(label, Qt::CaseInsensitive))
            continue;
        if (text.size() > label.size()) {
            const QChar next = text[label.size()];
            if (next != u' ' && next != u',' && next != u'(')
                continue;
        }
        return IdentifierLabel{kind, label.size()};
    }
    return std::nullopt;
}

std::optional<BirthDate> parseOfacDate(QStringView text)
{
    text = text.trimmed();
    if (text.startsWith(u"circa ", Qt::CaseInsensitive))
        text = text.sliced(6).trimmed();
    qsizetype to = text.indexOf(u" to ", 0, Qt::CaseInsensitive);
    qsizetype sepLength = 4;
    if (to < 0 && text.size() == 9 && text[4] == u'-') { // "1955-1957"
        to = 4;
        sepLength = 1;
    }
    if (to < 0)
        return parseSingleOfacDate(text);
    const auto from = parseSingleOfacDate(text.first(to));
    const auto until = parseSingleOfacDate(text.sliced(to + sepLength));
    if (!from || !until)
        return std::nullopt;
    BirthDate d = *from;
    if (until->year > from->year) {
        d.month = 0;
        d.day = 0;
        d.toYear = until->year;
    } else if (until->year == from->year) {
        if (until->month != from->month)
            d.month = 0;
        if (until->month != from->month || until->day != from->day)
            d.day = 0;
    }
    return d;
}

void applyOfacRemarks(Entity &e, const QString &remarks)
{
    const QStringList segments = remarks.split(u';');
    for (const QString &raw : segments) {
        QStringView segment = stripAlt(raw);
        while (segment.endsWith(u'.') && !segment.endsWith(u".."))
            segment.chop(1);
        if (segment.isEmpty())
            continue;
        if (segment.startsWith(u"DOB ")) {
            if (const auto d = parseOfacDate(segment.sliced(4)))
                addBirthDate(e, *d);
            continue;
        }
        if (segment.startsWith(u"nationality ") || segment.startsWith(u"citizen ")) {
            const QStringView country = segment.sliced(segment.indexOf(u' ') + 1);
            addCountryCode(e, countryCode(country));
            continue;
        }
        if (segment.startsWith(u"Gender ")) {
            setGender(e, segment.sliced(7));
            continue;
        }
        if (segment.startsWith(u"a.k.a. ") || segment.startsWith(u"f.k.a. ") || segment.startsWith(u"n.k.a. ")) {
            // OFAC keeps its weak ("low quality") aliases here, not in alt.csv.
            QStringView name = segment.sliced(7).trimmed();
            const qsizetype open = name.indexOf(u'\'');
            const qsizetype close = name.lastIndexOf(u'\'');
            if (open >= 0 && close > open)
                name = name.sliced(open + 1, close - open - 1);
            addAlias(e, name.toString(), NameStrength::Weak);
            continue;
        }
        const auto label = identifierLabel(segment);
        if (!label)
            continue;
        const ParsedValue v = parseValue(segment.sliced(label->length));
        if (v.value.isEmpty())
            continue;
        if (label->kind == u"imo" || (v.value.startsWith(u"IMO ") && v.value.size() == 11))
            addIdentifier(e, QStringLiteral("imo"), canonicalImo(v.value), v.country);
        else
            addIdentifier(e, label->kind, v.value, v.country);
    }
}

} // namespace kyc::screening::detail
