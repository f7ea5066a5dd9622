#include "backend/screening/entityjson.h"

#include "backend/core/json.h"

#include <QCryptographicHash>
#include <QJsonArray>

namespace kyc::screening {

namespace {
QJsonObject dateJson(const BirthDate &d)
{
    QJsonObject o{{QStringLiteral("year"), d.year}};
    if (d.month)
        o.insert(QStringLiteral("month"), d.month);
    if (d.day)
        o.insert(QStringLiteral("day"), d.day);
    if (d.toYear)
        o.insert(QStringLiteral("to_year"), d.toYear);
    return o;
}

EntityType typeFrom(const QString &s)
{
    for (EntityType t : {EntityType::Person, EntityType::Organization, EntityType::Vessel, EntityType::Aircraft}) {
        if (entityTypeName(t) == s)
            return t;
    }
    return EntityType::Unknown;
}
} // namespace

QJsonObject toJson(const Entity &e)
{
    QJsonArray names, dates, ids;
    for (const auto &n : e.names) {
        QJsonObject o{{QStringLiteral("name"), n.full}};
        if (n.primary)
            o.insert(QStringLiteral("primary"), true);
        if (n.weak)
            o.insert(QStringLiteral("weak"), true);
        if (!n.script.isEmpty())
            o.insert(QStringLiteral("script"), n.script);
        names.append(o);
    }
    for (const auto &d : e.birthDates)
        dates.append(dateJson(d));
    for (const auto &i : e.identifiers) {
        QJsonObject o{{QStringLiteral("kind"), i.kind}, {QStringLiteral("value"), i.value}};
        if (!i.country.isEmpty())
            o.insert(QStringLiteral("country"), i.country);
        ids.append(o);
    }
    QJsonObject o{{QStringLiteral("id"), e.id},
                  {QStringLiteral("source"), e.source},
                  {QStringLiteral("type"), entityTypeName(e.type)},
                  {QStringLiteral("names"), names},
                  {QStringLiteral("birth_dates"), dates},
                  {QStringLiteral("countries"), QJsonArray::fromStringList(e.countries)},
                  {QStringLiteral("identifiers"), ids},
                  {QStringLiteral("addresses"), QJsonArray::fromStringList(e.addresses)},
                  {QStringLiteral("programs"), QJsonArray::fromStringList(e.programs)},
                  {QStringLiteral("topics"), QJsonArray::fromStringList(e.topics)}};
    if (!e.gender.isEmpty())
        o.insert(QStringLiteral("gender"), e.gender);
    if (!e.remarks.isEmpty())
        o.insert(QStringLiteral("remarks"), e.remarks);
    if (!e.listedOn.isEmpty())
        o.insert(QStringLiteral("listed_on"), e.listedOn);
    return o;
}

Entity entityFromJson(const QJsonObject &o)
{
    Entity e;
    e.id = o.value(QStringLiteral("id")).toString();
    e.source = o.value(QStringLiteral("source")).toString();
    e.type = typeFrom(o.value(QStringLiteral("type")).toString());
    for (const auto &v : o.value(QStringLiteral("names")).toArray()) {
        const QJsonObject n = v.toObject();
        e.names.append(Name{n.value(QStringLiteral("name")).toString(), n.value(QStringLiteral("primary")).toBool(),
                            n.value(QStringLiteral("weak")).toBool(), n.value(QStringLiteral("script")).toString()});
    }
    for (const auto &v : o.value(QStringLiteral("birth_dates")).toArray()) {
        const QJsonObject d = v.toObject();
        e.birthDates.append(BirthDate{d.value(QStringLiteral("year")).toInt(), d.value(QStringLiteral("month")).toInt(),
                                      d.value(QStringLiteral("day")).toInt(), d.value(QStringLiteral("to_year")).toInt()});
    }
    auto strings = [&](const char *key) {
        QStringList out;
        for (const auto &v : o.value(QLatin1String(key)).toArray())
            out << v.toString();
        return out;
    };
    e.countries = strings("countries");
    e.addresses = strings("addresses");
    e.programs = strings("programs");
    e.topics = strings("topics");
    for (const auto &v : o.value(QStringLiteral("identifiers")).toArray()) {
        const QJsonObject i = v.toObject();
        e.identifiers.append(Identifier{i.value(QStringLiteral("kind")).toString(), i.value(QStringLiteral("value")).toString(),
                                        i.value(QStringLiteral("country")).toString()});
    }
    e.gender = o.value(QStringLiteral("gender")).toString();
    e.remarks = o.value(QStringLiteral("remarks")).toString();
    e.listedOn = o.value(QStringLiteral("listed_on")).toString();
    return e;
}

QString contentHash(const Entity &e)
{
    return QString::fromLatin1(QCryptographicHash::hash(json::canonical(toJson(e)), QCryptographicHash::Sha256).toHex());
}

QString category(const Entity &e)
{
    for (const auto &t : e.topics) {
        if (t == QStringLiteral("sanction") || t.startsWith(QStringLiteral("sanction.")))
            return QStringLiteral("sanction");
    }
    for (const auto &t : e.topics) {
        if (t.startsWith(QStringLiteral("role.pep")) || t == QStringLiteral("role.rca"))
            return QStringLiteral("pep");
    }
    return QStringLiteral("adverse_media");
}

} // namespace kyc::screening
