// EU Financial Sanctions Files XML v1.1: export/sanctionEntity with nameAlias, birthdate, citizenship,
// address and identification children, all information in attributes.
#include "backend/screening/import_formats.h"

#include <QXmlStreamReader>

#include <algorithm>
#include <limits>

namespace kyc::screening::detail {

namespace {

QString euCountry(const XmlNode &node)
{
    const QString code = node.attr(u"countryIso2Code").trimmed().toUpper();
    return code.size() == 2 && code != u"00" ? code : QString();
}

QString euIdentifierKind(const QString &code)
{
    const QString c = code.toLower();
    if (c == u"passport")
        return QStringLiteral("passport");
    if (c == u"id" || c == u"nationalid" || c == u"ssn")
        return QStringLiteral("national_id");
    if (c == u"regnumber" || c == u"companyregistrationnumber")
        return QStringLiteral("registration");
    if (c == u"fiscalcode" || c == u"tin" || c == u"taxnumber" || c == u"vat")
        return QStringLiteral("tax_id");
    if (c == u"imo")
        return QStringLiteral("imo");
    return QStringLiteral("other");
}

QString remarksOf(const XmlNode &node)
{
    QStringList out;
    for (const XmlNode *r : node.childrenNamed(u"remark"))
        out.append(r->text);
    return out.join(u' ');
}

qint64 logicalIdOf(const XmlNode &node)
{
    bool ok = false;
    const qint64 id = node.attr(u"logicalId").toLongLong(&ok);
    return ok ? id : std::numeric_limits<qint64>::max();
}

void addEuBirthDate(Entity &e, const XmlNode &b)
{
    // A non-Gregorian (e.g. ISLAMIC) record carries the Gregorian date in @birthdate only.
    const QString calendar = b.attr(u"calendarType").toUpper();
    const bool gregorian = calendar.isEmpty() || calendar == u"GREGORIAN";
    if (const auto d = parseIsoDate(b.attr(u"birthdate"))) {
        addBirthDate(e, *d);
        return;
    }
    if (!gregorian)
        return;
    bool ok = false;
    const int from = b.attr(u"yearRangeFrom").toInt(&ok);
    if (ok && from > 0) {
        BirthDate d;
        d.year = from;
        const int to = b.attr(u"yearRangeTo").toInt();
        if (to > from)
            d.toYear = to;
        addBirthDate(e, d);
        return;
    }
    BirthDate d;
    d.year = b.attr(u"year").toInt();
    d.month = b.attr(u"monthOfYear").toInt();
    d.day = d.month > 0 ? b.attr(u"dayOfMonth").toInt() : 0;
    if (d.year >= 1800 && d.month >= 0 && d.month <= 12 && d.day >= 0 && d.day <= 31)
        addBirthDate(e, d);
}

Entity euEntity(const XmlNode &node)
{
    Entity e;
    e.source = QStringLiteral("eu_fsf");
    e.id = QStringLiteral("eu_fsf:") + node.attr(u"logicalId").trimmed();
    if (const XmlNode *subject = node.child(u"subjectType")) {
        const QString code = subject->attr(u"code").toLower();
        if (code == u"person")
            e.type = EntityType::Person;
        else if (code == u"enterprise")
            e.type = EntityType::Organization;
    }

    // The file does not mark the primary name; the oldest alias (lowest logicalId) is the one the
    // listing was made under, later ones are additions and translations.
    std::vector<const XmlNode *> aliases = node.childrenNamed(u"nameAlias");
    const auto oldest = std::min_element(aliases.begin(), aliases.end(),
                                         [](const XmlNode *a, const XmlNode *b) { return logicalIdOf(*a) < logicalIdOf(*b); });
    auto wholeName = [](const XmlNode &a) {
        QString name = a.attr(u"wholeName").simplified();
        if (name.isEmpty()) {
            name = QStringList{a.attr(u"firstName"), a.attr(u"middleName"), a.attr(u"lastName")}.join(u' ').simplified();
        }
        return name;
    };
    if (oldest != aliases.end())
        addPrimaryName(e, wholeName(**oldest));
    for (const XmlNode *a : aliases) {
        const bool weak = a->attr(u"strong").compare(u"false", Qt::CaseInsensitive) == 0
            || remarksOf(*a).contains(u"low quality", Qt::CaseInsensitive);
        addAlias(e, wholeName(*a), weak ? NameStrength::Weak : NameStrength::Strong);
        if (e.gender.isEmpty())
            setGender(e, a->attr(u"gender"));
        if (const QString function = a->attr(u"function").simplified(); !function.isEmpty())
            appendRemark(e, QStringLiteral("Function: ") + function);
    }

    for (const XmlNode *b : node.childrenNamed(u"birthdate"))
        addEuBirthDate(e, *b);
    for (const XmlNode *c : node.childrenNamed(u"citizenship"))
        addCountryCode(e, euCountry(*c));
    for (const XmlNode *id : node.childrenNamed(u"identification"))
        addIdentifier(e, euIdentifierKind(id->attr(u"identificationTypeCode")), id->attr(u"number"), euCountry(*id));
    for (const XmlNode *a : node.childrenNamed(u"address")) {
        const QString country = a->attr(u"countryDescription");
        addAddress(e,
                   {a->attr(u"street"), a->attr(u"poBox"), a->attr(u"city"), a->attr(u"zipCode"), a->attr(u"region"),
                    country.compare(u"UNKNOWN", Qt::CaseInsensitive) == 0 ? QString() : country});
        addCountryCode(e, euCountry(*a));
    }
    for (const XmlNode *r : node.childrenNamed(u"regulation"))
        addUnique(e.programs, r->attr(u"programme"));
    e.topics = QStringList{QStringLiteral("sanction")};
    e.listedOn = isoDate(node.attr(u"designationDate"));
    appendRemark(e, remarksOf(node));
    appendRemark(e, node.attr(u"designationDetails"));
    if (const QString un = node.attr(u"unitedNationId").trimmed(); !un.isEmpty())
        appendRemark(e, QStringLiteral("UN reference: ") + un);
    if (const QString eu = node.attr(u"euReferenceNumber").trimmed(); !eu.isEmpty())
        appendRemark(e, QStringLiteral("EU reference: ") + eu);
    return e;
}

} // namespace

Result<ImportResult> importEuFsfXml(const InputFile &file, ProgressReporter &progress)
{
    XmlListFormat f{QStringLiteral("an EU Financial Sanctions Files XML file (export/sanctionEntity)"),
                    QStringLiteral("export"),
                    {QStringLiteral("sanctionEntity")}};
    f.onRoot = [](QXmlStreamReader &xml, ImportResult &result) {
        result.publicationDate = isoDate(xml.attributes().value(QLatin1StringView("generationDate")));
    };
    f.build = [](const XmlNode &node, Entity &e) {
        e = euEntity(node);
        if (node.attr(u"logicalId").trimmed().isEmpty())
            return QStringLiteral("sanctionEntity without logicalId");
        if (e.names.isEmpty())
            return QStringLiteral("sanctionEntity %1 has no name").arg(e.id);
        return QString();
    };
    return importXmlList(file, progress, f);
}

} // namespace kyc::screening::detail
