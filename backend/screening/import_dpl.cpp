// US BIS Denied Persons List, tab-separated text with a header row, every field quoted.
// The file has no record ids: an entity's id is a hash of what identifies the denial (name, address,
// effective date), so it stays the same from one version of the file to the next.
#include "backend/screening/import_countries.h"
#include "backend/screening/import_formats.h"

#include <QCryptographicHash>
#include <QHash>
#include <QRegularExpression>

namespace kyc::screening::detail {

namespace {

const QStringList kColumns
    = {QStringLiteral("Name"),           QStringLiteral("Street_Address"),  QStringLiteral("City"),
       QStringLiteral("State"),          QStringLiteral("Country"),         QStringLiteral("Postal_Code"),
       QStringLiteral("Effective_Date"), QStringLiteral("Expiration_Date"), QStringLiteral("Standard_Order"),
       QStringLiteral("Last_Update"),    QStringLiteral("Action"),          QStringLiteral("FR_Citation")};

// Parties written with an alias inside the name: "PEARL (A.K.A. NEI-CHIEN CHU) LI", "SIBERIAN AIRLINES D/B/A S7
// AIRLINES", "APPLIED SYSTEMS METHODS AND TECHNOLOGY (ASMAT)".
void addDplNames(Entity &e, const QString &name)
{
    addPrimaryName(e, name);
    static const QRegularExpression dba(QStringLiteral("\\s+(?:D/B/A|A\\.K\\.A\\.|F\\.K\\.A\\.)\\s+"),
                                        QRegularExpression::CaseInsensitiveOption);
    const QStringList dbaParts = name.split(dba, Qt::SkipEmptyParts);
    if (dbaParts.size() > 1) {
        for (const QString &p : dbaParts)
            addAlias(e, p);
    }
    static const QRegularExpression paren(QStringLiteral("\\(([^()]*)\\)"));
    QRegularExpressionMatchIterator it = paren.globalMatch(name);
    bool any = false;
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        any = true;
        static const QRegularExpression akaPrefix(QStringLiteral("^(?:A\\.?K\\.?A\\.?|F\\.?K\\.?A\\.?)\\s+"),
                                                  QRegularExpression::CaseInsensitiveOption);
        QString inner = m.captured(1).trimmed();
        const bool aka = inner.contains(akaPrefix);
        inner.remove(akaPrefix);
        // An a.k.a. is a name of its own; other bracketed text (an acronym, a nickname, a parent company) is weak.
        addAlias(e, inner, aka ? NameStrength::Strong : NameStrength::Weak);
    }
    if (any)
        addAlias(e, QString(name).remove(paren).simplified());
}

EntityType guessType(const QString &name)
{
    static const QRegularExpression company(
        QStringLiteral(
            "\\b(?:LTD|LIMITED|LLC|L\\.L\\.C|INC|INCORPORATED|CORP|CORPORATION|CO|COMPANY|GMBH|AG|S\\.?A|S\\.?R\\.?L|B\\.?V|PLC|"
            "LLP|FZE|FZC|FZCO|TRADING|INTERNATIONAL|INDUSTRIES|INDUSTRY|GROUP|AIRLINES?|ENTERPRISES?|TECHNOLOG(?:Y|IES)|"
            "ELECTRONICS?|SYSTEMS|SERVICES|INSTITUTE|BANK|AVIATION|IMPORT|EXPORT|LOGISTICS|SHIPPING)\\b"),
        QRegularExpression::CaseInsensitiveOption);
    return company.match(name).hasMatch() ? EntityType::Organization : EntityType::Unknown;
}

} // namespace

Result<ImportResult> importBisDplTxt(const InputFile &file, ProgressReporter &progress)
{
    const QString what
        = QStringLiteral("a BIS Denied Persons List file (tab-separated, header Name/Street_Address/…/FR_Citation)");
    if (looksBinary(file.bytes))
        return fail(notTheFormat(file, what));
    const QString text = decodeText(file.bytes);
    CsvReader reader(text, u'\t', CsvReader::LineBreaks::EndRecord, file);
    auto header = readCsvHeader(reader, file, what, kColumns);
    if (!header)
        return fail(header.error());
    const QHash<QString, qsizetype> &column = header->column;
    const qsizetype width = header->width;
    CsvRecord record;
    auto field
        = [&](const CsvRecord &r, const QString &name) { return r.fields.value(column.value(name.toLower())).simplified(); };

    ImportResult result;
    QHash<QString, int> idUses;
    qint64 records = 0;
    int latestEffectiveYear = 0;
    QStringList lastUpdates;
    while (reader.next(record)) {
        ++records;
        if (!record.error.isEmpty() || record.fields.size() != width) {
            addProblem(result, file, record.line,
                       record.error.isEmpty()
                           ? QStringLiteral("expected %1 fields, found %2").arg(width).arg(record.fields.size())
                           : record.error);
            continue;
        }
        const QString name = field(record, kColumns[0]);
        if (name.isEmpty()) {
            addProblem(result, file, record.line, QStringLiteral("row without a name"));
            continue;
        }
        const QString street = field(record, kColumns[1]);
        const QString city = field(record, kColumns[2]);
        const QString state = field(record, kColumns[3]);
        const QString country = field(record, kColumns[4]);
        const QString postal = field(record, kColumns[5]);
        const QString effective = isoFromSlashed(field(record, kColumns[6]), DayMonthOrder::MonthFirst);

        Entity e;
        e.source = QStringLiteral("us_bis_dpl");
        const QString key = QStringList{name.toUpper(),    street.toUpper(), city.toUpper(), state.toUpper(),
                                        country.toUpper(), postal.toUpper(), effective}
                                .join(u'|');
        QString id = QString::fromLatin1(QCryptographicHash::hash(key.toUtf8(), QCryptographicHash::Sha1).toHex().left(16));
        const int uses = ++idUses[id];
        if (uses > 1)
            id += u'-' + QString::number(uses); // the same row twice in the file
        e.id = QStringLiteral("us_bis_dpl:") + id;
        e.type = guessType(name);
        addDplNames(e, name);
        addAddress(e, {street, city, state, postal, country});
        addCountryName(e, country, QStringLiteral("Country"));
        e.topics = QStringList{QStringLiteral("debarment"), QStringLiteral("export.control")};
        e.listedOn = effective;
        if (!effective.isEmpty())
            latestEffectiveYear = std::max(latestEffectiveYear, effective.left(4).toInt());
        if (const QString update = isoDate(field(record, kColumns[9])); !update.isEmpty())
            lastUpdates.append(update);
        QStringList details;
        for (qsizetype c = 7; c < kColumns.size(); ++c) {
            if (const QString v = field(record, kColumns[c]); !v.isEmpty())
                details.append(kColumns[c] + QStringLiteral(": ") + v);
        }
        appendRemark(e, details.join(QStringLiteral("; ")));
        result.entities.append(std::move(e));
        reportCsvProgress(progress, reader, file, records);
    }
    if (auto s = checkCsvRecords(reader, file, what, records, result.problems.size()); !s)
        return fail(s.error());
    // The file carries no date; its last update is. Typos such as 3017-08-22 are ignored: an update
    // cannot be more than a year after the latest effective date.
    for (const QString &u : std::as_const(lastUpdates)) {
        if (u.left(4).toInt() <= latestEffectiveYear + 1 && u > result.publicationDate)
            result.publicationDate = u;
    }
    progress.finishFile(file.bytes.size());
    finishResult(result);
    return result;
}

} // namespace kyc::screening::detail
