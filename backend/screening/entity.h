#pragma once

#include <QDate>
#include <QList>
#include <QString>
#include <QStringList>

namespace kyc::screening {

// One listed party from any source, in one model (sanctions, PEP and adverse-media lists alike).
enum class EntityType { Person, Organization, Vessel, Aircraft, Unknown };

struct Name {
    QString full; // as published, e.g. "Kim Jong Un" or "OSAMA BIN LADEN"
    bool primary = false;
    bool weak = false; // a "weak" / low-quality alias (OFAC a.k.a. weak, UN "Low" quality)
    QString script; // ISO 15924 if known (e.g. "Cyrl", "Arab"); empty for Latin / unknown
};

// Birth dates come as full dates, years, or ranges ("1955 to 1957", "circa 1960").
struct BirthDate {
    int year = 0; // 0 = unknown
    int month = 0; // 0 = unknown
    int day = 0; // 0 = unknown
    int toYear = 0; // > year for a range
    [[nodiscard]] bool isValid() const { return year > 0; }
};

struct Identifier {
    QString kind; // passport, national_id, imo, mmsi, crypto, tax_id, registration, other
    QString value; // as published
    QString country; // ISO 3166-1 alpha-2 if known
};

struct Entity {
    QString id; // source-qualified: "<source>:<native id>", e.g. "ofac_sdn:36", "un:QDi.430"
    QString source; // e.g. "ofac_sdn", "un", "eu_fsf", "uk_hmt", "us_bis_dpl", "us_csl", "opensanctions", a PEP/adverse source id
    EntityType type = EntityType::Unknown;
    QList<Name> names; // names[0] is the primary name
    QList<BirthDate> birthDates;
    QStringList countries; // ISO 3166-1 alpha-2, upper case (citizenship, nationality, residence, jurisdiction)
    QString gender; // "male", "female" or empty
    QList<Identifier> identifiers;
    QStringList addresses; // one line each
    QStringList programs; // e.g. "SDGT", "UKRAINE-EO13662"
    QStringList topics; // FollowTheMoney-style: "sanction", "role.pep", "crime", "debarment", "wanted", …
    QString remarks;
    QString listedOn; // ISO date if known
    QString owner; // the firm that owns a firm-private list's entity; empty for the platform's lists (not hashed)

    [[nodiscard]] QString primaryName() const { return names.isEmpty() ? QString() : names.first().full; }
};

// A malformed record met during an import: counted and reported, never silently dropped.
struct ImportProblem {
    qint64 line = 0; // 1-based line (or record number for XML/JSON when no line is known)
    QString message;
};

struct ImportResult {
    QList<Entity> entities;
    QList<ImportProblem> problems;
    QString publicationDate; // ISO date from the file when it carries one
    qint64 nameCount = 0; // all names of all entities
};

[[nodiscard]] QString entityTypeName(EntityType t);

} // namespace kyc::screening
