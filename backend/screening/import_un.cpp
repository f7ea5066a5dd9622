// UN Security Council consolidated list XML: CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL* and ENTITIES/ENTITY*.
#include "backend/screening/import_countries.h"
#include "backend/screening/import_formats.h"

#include <QXmlStreamReader>

namespace kyc::screening::detail {

namespace {

void addUnBirthDates(Entity &e, const XmlNode &node)
{
    for (const XmlNode *dob : node.childrenNamed(u"INDIVIDUAL_DATE_OF_BIRTH")) {
        const QString type = dob->childText(u"TYPE_OF_DATE").toUpper();
        if (const QString date = dob->childText(u"DATE"); !date.isEmpty()) {
            if (const auto d = parseIsoDate(date))
                addBirthDate(e, *d);
        } else if (const QString year = dob->childText(u"YEAR"); !year.isEmpty()) {
            if (const auto d = parseIsoDate(year))
                addBirthDate(e, *d);
        } else if (type == u"BETWEEN" || dob->child(u"FROM_YEAR")) {
            const auto from = parseIsoDate(dob->childText(u"FROM_YEAR"));
            const auto to = parseIsoDate(dob->childText(u"TO_YEAR"));
            if (from) {
                BirthDate d = *from;
                if (to && to->year > from->year)
                    d.toYear = to->year;
                addBirthDate(e, d);
            }
        }
        if (const QString note = dob->childText(u"NOTE"); !note.isEmpty())
            appendRemark(e, QStringLiteral("Date of birth note: ") + note);
    }
}

QString documentKind(const QString &type)
{
    const QString t = type.simplified().toLower();
    if (t.contains(u"passport") || t.contains(u"passeport") || t.contains(u"pasaporte"))
        return QStringLiteral("passport");
    if (t.contains(u"national identification") || t.contains(u"identity card") || t.contains(u"id card"))
        return QStringLiteral("national_id");
    return QStringLiteral("other");
}

void addUnAddresses(Entity &e, const XmlNode &node, QStringView element)
{
    for (const XmlNode *a : node.childrenNamed(element)) {
        const QString country = a->childText(u"COUNTRY");
        addAddress(e,
                   {a->childText(u"STREET"), a->childText(u"CITY"), a->childText(u"STATE_PROVINCE"), a->childText(u"ZIP_CODE"),
                    country});
        addCountryCode(e, countryCode(country));
    }
}

Entity unEntity(const XmlNode &node, bool individual)
{
    Entity e;
    e.source = QStringLiteral("un");
    QString ref = node.childText(u"REFERENCE_NUMBER");
    if (ref.isEmpty())
        ref = node.childText(u"DATAID");
    e.id = QStringLiteral("un:") + ref;
    e.type = individual ? EntityType::Person : EntityType::Organization;

    QStringList parts;
    for (QStringView part : {u"FIRST_NAME", u"SECOND_NAME", u"THIRD_NAME", u"FOURTH_NAME"}) {
        if (const QString p = node.childText(part); !p.isEmpty())
            parts.append(p);
    }
    addPrimaryName(e, parts.join(u' '));
    for (const XmlNode *alias : node.childrenNamed(individual ? u"INDIVIDUAL_ALIAS" : u"ENTITY_ALIAS")) {
        const QString name = alias->childText(u"ALIAS_NAME");
        if (name.isEmpty())
            continue;
        // QUALITY is Good / Low for individuals and a.k.a. / f.k.a. for entities; "Low" is the weak one.
        const bool weak = alias->childText(u"QUALITY").compare(u"Low", Qt::CaseInsensitive) == 0;
        addAlias(e, name, weak ? NameStrength::Weak : NameStrength::Strong);
        if (const auto d = parseIsoDate(alias->childText(u"DATE_OF_BIRTH")))
            addBirthDate(e, *d);
    }
    if (const QString original = node.childText(u"NAME_ORIGINAL_SCRIPT"); !original.isEmpty())
        addAlias(e, original);

    if (individual) {
        addUnBirthDates(e, node);
        for (const QString &n : node.texts(u"NATIONALITY", u"VALUE"))
            addCountryName(e, n, QStringLiteral("Nationality"));
        setGender(e, node.childText(u"GENDER"));
        for (const XmlNode *doc : node.childrenNamed(u"INDIVIDUAL_DOCUMENT")) {
            const QString number = doc->childText(u"NUMBER");
            if (number.isEmpty())
                continue;
            QString country = countryCode(doc->childText(u"ISSUING_COUNTRY"));
            if (country.isEmpty())
                country = countryCode(doc->childText(u"COUNTRY_OF_ISSUE"));
            addIdentifier(e, documentKind(doc->childText(u"TYPE_OF_DOCUMENT")), number, country);
        }
        addUnAddresses(e, node, u"INDIVIDUAL_ADDRESS");
    } else {
        addUnAddresses(e, node, u"ENTITY_ADDRESS");
    }

    addUnique(e.programs, node.childText(u"UN_LIST_TYPE"));
    e.topics = QStringList{QStringLiteral("sanction")};
    e.listedOn = isoDate(node.childText(u"LISTED_ON"));
    appendRemark(e, node.childText(u"COMMENTS1"));
    if (const QStringList titles = node.texts(u"TITLE", u"VALUE"); !titles.isEmpty())
        appendRemark(e, QStringLiteral("Title: ") + titles.join(QStringLiteral("; ")));
    if (const QStringList designations = node.texts(u"DESIGNATION", u"VALUE"); !designations.isEmpty())
        appendRemark(e, QStringLiteral("Designation: ") + designations.join(QStringLiteral("; ")));
    return e;
}

} // namespace

Result<ImportResult> importUnXml(const InputFile &file, ProgressReporter &progress)
{
    XmlListFormat f{QStringLiteral("a UN consolidated list XML file (CONSOLIDATED_LIST)"),
                    QStringLiteral("CONSOLIDATED_LIST"),
                    {QStringLiteral("INDIVIDUAL"), QStringLiteral("ENTITY")},
                    {QStringLiteral("INDIVIDUALS"), QStringLiteral("ENTITIES")}};
    f.onRoot = [](QXmlStreamReader &xml, ImportResult &result) {
        result.publicationDate = isoDate(xml.attributes().value(QLatin1StringView("dateGenerated")));
    };
    f.build = [](const XmlNode &node, Entity &e) {
        e = unEntity(node, node.name == u"INDIVIDUAL");
        if (e.names.isEmpty())
            return QStringLiteral("%1 %2 has no name").arg(node.name, e.id);
        if (e.id == u"un:")
            return QStringLiteral("%1 without REFERENCE_NUMBER or DATAID").arg(node.name);
        return QString();
    };
    return importXmlList(file, progress, f);
}

} // namespace kyc::screening::detail
