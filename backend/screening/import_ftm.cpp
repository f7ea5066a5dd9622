// OpenSanctions FollowTheMoney entities, one JSON object per line. Only the matchable schemas that are
// targets become screening entities; Sanction, Passport and Address records are folded into the party
// they point at; relationships (Ownership, Family, Directorship, …) are not screened.
#include "backend/screening/import_formats.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

namespace kyc::screening::detail {

namespace {

EntityType ftmType(const QString &schema)
{
    if (schema == u"Person")
        return EntityType::Person;
    if (schema == u"Organization" || schema == u"Company" || schema == u"LegalEntity" || schema == u"PublicBody")
        return EntityType::Organization;
    if (schema == u"Vessel")
        return EntityType::Vessel;
    if (schema == u"Airplane")
        return EntityType::Aircraft;
    return EntityType::Unknown;
}

QStringList values(const QJsonObject &properties, QStringView key)
{
    QStringList out;
    const QJsonValue v = properties.value(key);
    if (v.isArray()) {
        for (const QJsonValue &item : v.toArray()) {
            if (item.isString() && !item.toString().trimmed().isEmpty())
                out.append(item.toString().trimmed());
        }
    } else if (v.isString() && !v.toString().trimmed().isEmpty()) {
        out.append(v.toString().trimmed());
    }
    return out;
}

void addFtmCountries(Entity &e, const QStringList &codes)
{
    for (const QString &c : codes) {
        // FtM writes ISO codes in lower case, plus a few of its own ("suhh", "ge-ab"), which stay out.
        if (c.size() == 2)
            addCountryCode(e, c.toUpper());
    }
}

struct Record {
    QJsonObject object;
    qint64 line = 0;
};

Entity ftmEntity(const QJsonObject &o)
{
    const QJsonObject p = o.value(u"properties").toObject();
    Entity e;
    e.source = QStringLiteral("opensanctions");
    e.id = QStringLiteral("opensanctions:") + o.value(u"id").toString();
    e.type = ftmType(o.value(u"schema").toString());
    const QString caption = o.value(u"caption").toString().trimmed();
    const QStringList names = values(p, u"name");
    addPrimaryName(e, caption.isEmpty() && !names.isEmpty() ? names.first() : caption);
    for (const QString &n : names)
        addAlias(e, n);
    for (QStringView key : {u"alias", u"previousName"}) {
        for (const QString &n : values(p, key))
            addAlias(e, n);
    }
    for (QStringView key : {u"weakAlias", u"abbreviation"}) {
        for (const QString &n : values(p, key))
            addAlias(e, n, NameStrength::Weak);
    }
    for (const QString &b : values(p, u"birthDate")) {
        if (const auto d = parseIsoDate(b))
            addBirthDate(e, *d);
    }
    addFtmCountries(e, values(p, u"nationality"));
    addFtmCountries(e, values(p, u"citizenship"));
    addFtmCountries(e, values(p, u"country"));
    addFtmCountries(e, values(p, u"jurisdiction"));
    for (const QString &g : values(p, u"gender"))
        setGender(e, g);
    struct IdProperty {
        const char16_t *property;
        const char16_t *kind;
    };
    static const IdProperty idProperties[] = {
        {u"passportNumber", u"passport"}, {u"idNumber", u"national_id"},
        {u"imoNumber", u"imo"},           {u"mmsi", u"mmsi"},
        {u"taxNumber", u"tax_id"},        {u"innCode", u"tax_id"},
        {u"vatCode", u"tax_id"},          {u"registrationNumber", u"registration"},
        {u"ogrnCode", u"registration"},   {u"leiCode", u"registration"},
        {u"swiftBic", u"registration"},   {u"publicKey", u"crypto"},
    };
    for (const IdProperty &ip : idProperties) {
        const QString kind = QString::fromUtf16(ip.kind);
        for (const QString &v : values(p, ip.property))
            addIdentifier(e, kind, kind == u"imo" ? canonicalImo(v) : v);
    }
    for (const QString &a : values(p, u"address"))
        addAddress(e, {a});
    for (const QString &t : values(p, u"topics"))
        addUnique(e.topics, t);
    for (const QString &prog : values(p, u"programId"))
        addUnique(e.programs, prog);
    for (const QString &n : values(p, u"notes"))
        appendRemark(e, n);
    if (const QStringList positions = values(p, u"position"); !positions.isEmpty())
        appendRemark(e, QStringLiteral("Position: ") + positions.join(QStringLiteral("; ")));
    return e;
}

} // namespace

Result<ImportResult> importFtmJson(const InputFile &file, ProgressReporter &progress)
{
    const QString what = QStringLiteral("a FollowTheMoney JSON Lines file (one {id, schema, properties} object per line)");
    if (looksBinary(file.bytes))
        return fail(notTheFormat(file, what));

    ImportResult result;
    std::vector<Record> parties;
    std::vector<Record> others;
    qint64 line = 0;
    qint64 records = 0;
    qsizetype pos = 0;
    const QByteArray &bytes = file.bytes;
    while (pos < bytes.size()) {
        qsizetype end = bytes.indexOf('\n', pos);
        if (end < 0)
            end = bytes.size();
        ++line;
        if (end - pos > file.limits.maxLineChars)
            return fail(limitError(file, line, ImportLimit::LineLength));
        const QByteArray text = bytes.sliced(pos, end - pos).trimmed();
        pos = end + 1;
        if (text.isEmpty())
            continue;
        if (++records > file.limits.maxRecords)
            return fail(limitError(file, line, ImportLimit::Records));
        if (auto s = checkJsonShape(text, file, line); !s)
            return fail(s.error());
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(text, &error);
        QString problem;
        if (error.error != QJsonParseError::NoError)
            problem = QStringLiteral("invalid JSON: %1 at offset %2").arg(error.errorString()).arg(error.offset);
        else if (!doc.isObject() || !doc.object().value(u"id").isString() || !doc.object().value(u"schema").isString())
            problem = QStringLiteral("not an entity: no id or schema");
        if (!problem.isEmpty()) {
            if (records == 1)
                return fail(notTheFormat(file, what + QStringLiteral(": line %1: %2").arg(line).arg(problem)));
            addProblem(result, file, line, problem);
            continue;
        }
        QJsonObject o = doc.object();
        const QString lastSeen = isoDate(o.value(u"last_seen").toString());
        if (lastSeen > result.publicationDate)
            result.publicationDate = lastSeen; // the export's own date is the last time a record was seen
        if (ftmType(o.value(u"schema").toString()) != EntityType::Unknown) {
            // Records without the flag (plain FtM exports) are all targets.
            if (o.value(u"target").toBool(true))
                parties.push_back(Record{std::move(o), line});
        } else {
            others.push_back(Record{std::move(o), line});
        }
        if ((records & 0xFF) == 0)
            progress.update(pos);
    }
    if (records == 0)
        return fail(ErrorCode::Validation, QStringLiteral("%1 has no entities").arg(file.fileName));
    if (mostlyMalformed(records, result.problems.size()))
        return fail(
            notTheFormat(file, what + QStringLiteral(": %1 of %2 lines are malformed").arg(result.problems.size()).arg(records)));

    QHash<QString, qsizetype> byNativeId;
    for (const Record &r : parties) {
        Entity e = ftmEntity(r.object);
        if (e.names.isEmpty()) {
            addProblem(result, file, r.line, QStringLiteral("%1 has no name").arg(e.id));
            continue;
        }
        byNativeId.insert(r.object.value(u"id").toString(), result.entities.size());
        result.entities.append(std::move(e));
    }
    QHash<QString, QString> addresses; // Address entity id → full address
    for (const Record &r : others) {
        if (r.object.value(u"schema").toString() == u"Address") {
            const QJsonObject p = r.object.value(u"properties").toObject();
            const QStringList full = values(p, u"full");
            if (!full.isEmpty())
                addresses.insert(r.object.value(u"id").toString(), full.first());
        }
    }
    QHash<qsizetype, QString> earliestListing;
    for (const Record &r : others) {
        const QString schema = r.object.value(u"schema").toString();
        const QJsonObject p = r.object.value(u"properties").toObject();
        if (schema == u"Sanction") {
            for (const QString &target : values(p, u"entity")) {
                const auto it = byNativeId.constFind(target);
                if (it == byNativeId.cend())
                    continue;
                Entity &e = result.entities[*it];
                addUnique(e.topics, QStringLiteral("sanction"));
                for (const QString &prog : values(p, u"programId"))
                    addUnique(e.programs, prog);
                QStringList dates = values(p, u"listingDate") + values(p, u"startDate");
                for (const QString &d : std::as_const(dates)) {
                    const QString iso = isoDate(d);
                    QString &current = earliestListing[*it];
                    if (!iso.isEmpty() && (current.isEmpty() || iso < current))
                        current = iso;
                }
            }
        } else if (schema == u"Passport" || schema == u"Identification") {
            for (const QString &holder : values(p, u"holder")) {
                const auto it = byNativeId.constFind(holder);
                if (it == byNativeId.cend())
                    continue;
                QString country;
                if (const QStringList c = values(p, u"country"); !c.isEmpty() && c.first().size() == 2)
                    country = c.first().toUpper();
                const QString kind = schema == u"Passport" ? QStringLiteral("passport") : QStringLiteral("national_id");
                for (QStringView key : {u"number", u"passportNumber"}) {
                    for (const QString &n : values(p, key))
                        addIdentifier(result.entities[*it], kind, n, country);
                }
            }
        }
    }
    for (const Record &r : parties) {
        const auto it = byNativeId.constFind(r.object.value(u"id").toString());
        if (it == byNativeId.cend())
            continue;
        Entity &e = result.entities[*it];
        for (const QString &a : values(r.object.value(u"properties").toObject(), u"addressEntity")) {
            if (const auto addr = addresses.constFind(a); addr != addresses.cend())
                addAddress(e, {*addr});
        }
        e.listedOn = earliestListing.value(*it);
        if (e.listedOn.isEmpty())
            e.listedOn = isoDate(r.object.value(u"first_seen").toString());
    }
    progress.finishFile(file.bytes.size());
    finishResult(result);
    return result;
}

} // namespace kyc::screening::detail
