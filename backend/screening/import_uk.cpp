// UK Sanctions List XML (FCDO): Designations/Designation with Names/Name{Name1..Name6, NameType,
// AliasStrength}, IndividualDetails, EntityDetails and ShipDetails.
#include "backend/screening/import_countries.h"
#include "backend/screening/import_formats.h"

#include <QXmlStreamReader>

namespace kyc::screening::detail {

namespace {

// "12/05/1958", "dd/mm/1945", "00/00/1945", "1946".
std::optional<BirthDate> parseUkDob(const QString &text)
{
    const QStringList parts = text.trimmed().split(u'/');
    BirthDate d;
    bool ok = false;
    if (parts.size() == 1) {
        d.year = parts[0].toInt(&ok);
    } else if (parts.size() == 3) {
        d.year = parts[2].toInt(&ok);
        d.month = parts[1].toInt(); // "mm" → 0
        d.day = d.month > 0 ? parts[0].toInt() : 0;
    }
    if (!ok || d.year < 1800 || d.year > 2200 || d.month < 0 || d.month > 12 || d.day < 0 || d.day > 31)
        return std::nullopt;
    return d;
}

// Every descendant text of `node` along a path of element names ("IndividualDetails", "Individual", "DOBs", "DOB").
void collect(const XmlNode &node, const QList<QStringView> &path, qsizetype depth, QStringList &out)
{
    if (depth == path.size()) {
        if (!node.text.isEmpty())
            out.append(node.text);
        return;
    }
    for (const XmlNode *c : node.childrenNamed(path[depth]))
        collect(*c, path, depth + 1, out);
}

QStringList textsAt(const XmlNode &node, const QList<QStringView> &path)
{
    QStringList out;
    collect(node, path, 0, out);
    return out;
}

QString joinedName(const XmlNode &name)
{
    QStringList parts;
    for (QStringView part : {u"Name1", u"Name2", u"Name3", u"Name4", u"Name5", u"Name6"}) {
        if (const QString p = name.childText(part); !p.isEmpty())
            parts.append(p);
    }
    return parts.join(u' ');
}

Entity ukEntity(const XmlNode &node)
{
    Entity e;
    e.source = QStringLiteral("uk_hmt");
    e.id = QStringLiteral("uk_hmt:") + node.childText(u"UniqueID");
    const QString kind = node.childText(u"IndividualEntityShip").toLower();
    if (kind == u"individual")
        e.type = EntityType::Person;
    else if (kind == u"entity")
        e.type = EntityType::Organization;
    else if (kind == u"ship")
        e.type = EntityType::Vessel;

    const XmlNode *names = node.child(u"Names");
    if (names) {
        for (const XmlNode *n : names->childrenNamed(u"Name")) {
            if (n->childText(u"NameType").compare(u"Primary Name", Qt::CaseInsensitive) == 0)
                addPrimaryName(e, joinedName(*n));
        }
        for (const XmlNode *n : names->childrenNamed(u"Name")) {
            const bool weak = n->childText(u"AliasStrength").contains(u"low", Qt::CaseInsensitive);
            addAlias(e, joinedName(*n), weak ? NameStrength::Weak : NameStrength::Strong);
        }
    }
    for (const QString &n : textsAt(node, {u"NonLatinNames", u"NonLatinName", u"NameNonLatinScript"}))
        addAlias(e, n);

    const QList<QStringView> individual{u"IndividualDetails", u"Individual"};
    auto at = [&](std::initializer_list<QStringView> rest) {
        QList<QStringView> path = individual;
        path.append(QList<QStringView>(rest));
        return textsAt(node, path);
    };
    for (const QString &dob : at({u"DOBs", u"DOB"})) {
        if (const auto d = parseUkDob(dob))
            addBirthDate(e, *d);
    }
    for (const QString &n : at({u"Nationalities", u"Nationality"}))
        addCountryName(e, n, QStringLiteral("Nationality"));
    for (const QString &g : at({u"Genders", u"Gender"}))
        setGender(e, g);
    for (const QString &p : at({u"PassportDetails", u"Passport", u"PassportNumber"}))
        addIdentifier(e, QStringLiteral("passport"), p);
    for (const QString &p : at({u"NationalIdentifierDetails", u"NationalIdentifier", u"NationalIdentifierNumber"}))
        addIdentifier(e, QStringLiteral("national_id"), p);
    if (const QStringList positions = at({u"Positions", u"Position"}); !positions.isEmpty())
        appendRemark(e, QStringLiteral("Position: ") + positions.join(QStringLiteral("; ")));

    for (const QString &r :
         textsAt(node, {u"EntityDetails", u"Entity", u"BusinessRegistrationNumbers", u"BusinessRegistrationNumber"}))
        addIdentifier(e, QStringLiteral("registration"), r);
    for (const QString &imo : textsAt(node, {u"ShipDetails", u"Ship", u"IMONumbers", u"IMONumber"}))
        addIdentifier(e, QStringLiteral("imo"), canonicalImo(imo));
    for (const QString &flag :
         textsAt(node, {u"ShipDetails", u"Ship", u"CurrentBelievedFlagOfShips", u"CurrentBelievedFlagOfShip"}))
        addCountryName(e, flag, QStringLiteral("Flag"));

    if (const XmlNode *addresses = node.child(u"Addresses")) {
        for (const XmlNode *a : addresses->childrenNamed(u"Address")) {
            QStringList parts;
            for (QStringView line : {u"AddressLine1", u"AddressLine2", u"AddressLine3", u"AddressLine4", u"AddressLine5",
                                     u"AddressLine6", u"AddressPostalCode", u"AddressCountry"})
                parts.append(a->childText(line));
            addAddress(e, parts);
            addCountryCode(e, countryCode(a->childText(u"AddressCountry")));
        }
    }

    addUnique(e.programs, node.childText(u"RegimeName"));
    e.topics = QStringList{QStringLiteral("sanction")};
    e.listedOn = isoFromSlashed(node.childText(u"DateDesignated"), DayMonthOrder::DayFirst);
    appendRemark(e, node.childText(u"OtherInformation"));
    appendRemark(e, node.childText(u"UKStatementofReasons"));
    if (const QString un = node.childText(u"UNReferenceNumber"); !un.isEmpty())
        appendRemark(e, QStringLiteral("UN reference: ") + un);
    if (const QString sanctions = node.childText(u"SanctionsImposed"); !sanctions.isEmpty())
        appendRemark(e, QStringLiteral("Sanctions imposed: ") + sanctions);
    return e;
}

} // namespace

Result<ImportResult> importUkXml(const InputFile &file, ProgressReporter &progress)
{
    XmlListFormat f{QStringLiteral("a UK Sanctions List XML file (Designations/Designation)"),
                    QStringLiteral("Designations"),
                    {QStringLiteral("Designation")}};
    f.onOther = [](QXmlStreamReader &xml, ImportResult &result) {
        if (xml.name() != u"DateGenerated")
            return false;
        result.publicationDate = isoFromSlashed(xml.readElementText(), DayMonthOrder::DayFirst);
        return true;
    };
    f.build = [](const XmlNode &node, Entity &e) {
        e = ukEntity(node);
        if (node.childText(u"UniqueID").isEmpty())
            return QStringLiteral("Designation without UniqueID");
        if (e.names.isEmpty())
            return QStringLiteral("Designation %1 has no name").arg(e.id);
        return QString();
    };
    return importXmlList(file, progress, f);
}

} // namespace kyc::screening::detail
