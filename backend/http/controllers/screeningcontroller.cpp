#include "backend/backend.h"
#include "backend/core/ids.h"
#include "backend/core/validation.h"
#include "backend/http/controllers/controllers.h"
#include "backend/http/controllers/identityjson.h"
#include "backend/http/multipart.h"
#include "backend/objects/objectstore.h"
#include "backend/screening/import_tabular.h"
#include "backend/screening/listrefresher.h"
#include "backend/screening/screeningservice.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>

namespace kyc::http {

namespace {

QJsonValue orNull(const QString &s);

QJsonObject matchJson(const screening::StoredMatch &m, int rank)
{
    return {{QStringLiteral("id"), m.id},
            {QStringLiteral("rank"), rank},
            {QStringLiteral("list"), m.listSource},
            {QStringLiteral("list_version_id"), m.listVersionId},
            {QStringLiteral("entity_id"), m.entityId},
            {QStringLiteral("primary_name"), m.entityName},
            {QStringLiteral("matched_name"), m.matchedName},
            {QStringLiteral("is_alias"), m.matchedName != m.entityName},
            {QStringLiteral("category"), m.category},
            {QStringLiteral("score"), m.score},
            {QStringLiteral("explanation"), m.explanation},
            {QStringLiteral("resolution"), orNull(m.resolution)},
            {QStringLiteral("resolution_reason"), orNull(m.reason)},
            {QStringLiteral("resolved_by"), orNull(m.resolvedBy)},
            {QStringLiteral("resolved_at"), orNull(m.resolvedAt)},
            {QStringLiteral("remembered_from"), orNull(m.rememberedFrom)}};
}

QJsonObject decisionJson(const screening::RememberedDecision &d)
{
    return {{QStringLiteral("match_id"), d.matchId},
            {QStringLiteral("entity_id"), d.entityId},
            {QStringLiteral("resolution"), d.resolution},
            {QStringLiteral("reason"), orNull(d.reason)},
            {QStringLiteral("resolved_by"), orNull(d.resolvedBy)},
            {QStringLiteral("resolved_at"), orNull(d.resolvedAt)}};
}

QJsonObject screeningJson(const screening::Screening &s)
{
    QJsonArray matches;
    int rank = 0;
    for (const auto &m : s.matches)
        matches.append(matchJson(m, ++rank));
    QJsonArray lists;
    for (const auto &l : s.lists)
        lists.append(l.toObject().value(QStringLiteral("source")));
    QJsonArray remembered;
    for (const auto &d : s.remembered)
        remembered.append(decisionJson(d));
    return {{QStringLiteral("id"), s.id},
            {QStringLiteral("source"), s.source},
            {QStringLiteral("case_id"), s.caseId.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s.caseId)},
            {QStringLiteral("subject"), s.subject},
            {QStringLiteral("lists"), lists},
            {QStringLiteral("list_versions"), s.lists},
            {QStringLiteral("threshold"), s.threshold},
            {QStringLiteral("status"), s.status},
            {QStringLiteral("match_count"), int(s.matches.size())},
            {QStringLiteral("suppressed_count"), s.suppressed},
            {QStringLiteral("remembered_decisions"), remembered},
            {QStringLiteral("matches"), matches},
            {QStringLiteral("created_by"), s.createdBy},
            {QStringLiteral("created_at"), s.createdAt}};
}

QJsonObject listJson(const screening::ListVersion &v)
{
    // A firm's tabular list is stored as "tabular:<mapping>": the format is tabular, the mapping beside it.
    const bool mapped = v.format.startsWith(QStringLiteral("tabular:"));
    return {{QStringLiteral("id"), v.id},
            {QStringLiteral("source"), v.source},
            {QStringLiteral("format"), mapped ? QStringLiteral("tabular") : v.format},
            {QStringLiteral("mapping"), mapped ? QJsonValue(v.format.mid(8)) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("publication_date"),
             v.publicationDate.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(v.publicationDate)},
            {QStringLiteral("entity_count"), v.entityCount},
            {QStringLiteral("name_count"), v.nameCount},
            {QStringLiteral("problem_count"), v.problemCount},
            {QStringLiteral("problems"), v.problems},
            {QStringLiteral("delta"),
             QJsonObject{{QStringLiteral("added"), v.added},
                         {QStringLiteral("changed"), v.changed},
                         {QStringLiteral("removed"), v.removed}}},
            {QStringLiteral("loaded_at"), v.loadedAt},
            {QStringLiteral("checksum"), v.sha256},
            {QStringLiteral("version"), v.version},
            {QStringLiteral("active"), v.active},
            {QStringLiteral("owner"), v.owner.isEmpty() ? QStringLiteral("platform") : QStringLiteral("firm")},
            {QStringLiteral("owner_firm_id"), orNull(v.owner)}};
}

QJsonValue orNull(const QString &s)
{
    return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s);
}

QJsonObject batchJson(const screening::Batch &b)
{
    QJsonObject o{{QStringLiteral("id"), b.id},
                  {QStringLiteral("status"), b.status},
                  {QStringLiteral("total"), b.total},
                  {QStringLiteral("processed"), b.processed},
                  {QStringLiteral("potential_matches"), b.potentialMatches},
                  {QStringLiteral("progress"), b.total > 0 ? double(b.processed) / double(b.total) : 0.0},
                  {QStringLiteral("lists"), QJsonArray::fromStringList(b.lists)},
                  {QStringLiteral("threshold"), b.threshold >= 0 ? QJsonValue(b.threshold) : QJsonValue(QJsonValue::Null)},
                  {QStringLiteral("created_at"), b.createdAt},
                  {QStringLiteral("started_at"), orNull(b.startedAt)},
                  {QStringLiteral("completed_at"), orNull(b.completedAt)}};
    if (!b.error.isEmpty())
        o.insert(QStringLiteral("error"), b.error);
    return o;
}

QJsonObject refreshJson(const screening::ListRefreshStatus &s)
{
    return {{QStringLiteral("scheduled"), s.scheduled},
            {QStringLiteral("urls"), QJsonArray::fromStringList(s.urls)},
            {QStringLiteral("last_checked_at"), orNull(s.lastCheckedAt)},
            {QStringLiteral("last_success_at"), orNull(s.lastSuccessAt)},
            {QStringLiteral("last_changed_at"), orNull(s.lastChangedAt)},
            {QStringLiteral("last_error"), orNull(s.lastError)},
            {QStringLiteral("next_attempt_at"), orNull(s.nextAttemptAt)},
            {QStringLiteral("consecutive_failures"), s.consecutiveFailures},
            {QStringLiteral("age_seconds"), s.ageSeconds},
            {QStringLiteral("stale"), s.stale},
            {QStringLiteral("failing"), s.failing},
            {QStringLiteral("freshness"), orNull(s.freshness)},
            {QStringLiteral("publication_date"), orNull(s.publicationDate)}};
}

QJsonObject monitoringJson(const screening::MonitoringState &m)
{
    return {{QStringLiteral("case_id"), m.caseId},
            {QStringLiteral("enabled"), m.enabled},
            {QStringLiteral("last_screened_at"), orNull(m.lastScreenedAt)},
            {QStringLiteral("updated_at"), m.updatedAt}};
}

QJsonObject alertJson(const screening::MonitoringAlert &a)
{
    return {{QStringLiteral("id"), a.id},
            {QStringLiteral("case_id"), a.caseId},
            {QStringLiteral("screening_id"), a.screeningId},
            {QStringLiteral("match_id"), a.matchId},
            {QStringLiteral("list"), a.listSource},
            {QStringLiteral("list_version_id"), a.listVersionId},
            {QStringLiteral("entity_id"), a.entityId},
            {QStringLiteral("change"), a.change},
            {QStringLiteral("matched_name"), a.matchedName},
            {QStringLiteral("score"), a.score},
            {QStringLiteral("status"), a.status},
            {QStringLiteral("created_at"), a.createdAt},
            {QStringLiteral("resolved_at"), orNull(a.resolvedAt)}};
}

// `lists`: an optional array of list sources.
QStringList listSources(const QJsonObject &json, Validator &v)
{
    QStringList lists;
    if (!json.contains(QStringLiteral("lists")))
        return lists;
    const QJsonValue l = json.value(QStringLiteral("lists"));
    bool bad = !l.isArray();
    for (const auto &e : l.toArray()) {
        if (!e.isString() || e.toString().isEmpty() || e.toString().size() > 64)
            bad = true;
        else if (!lists.contains(e.toString()))
            lists << e.toString();
    }
    if (bad)
        v.add(QStringLiteral("lists"), QStringLiteral("lists must be an array of list sources"));
    return lists;
}

double thresholdOf(const QJsonObject &json, Validator &v)
{
    if (!json.contains(QStringLiteral("threshold")))
        return -1;
    const QJsonValue t = json.value(QStringLiteral("threshold"));
    if (!t.isDouble() || t.toDouble() < 0.5 || t.toDouble() > 1) {
        v.add(QStringLiteral("threshold"), QStringLiteral("threshold must be a number from 0.5 to 1"));
        return -1;
    }
    return t.toDouble();
}

screening::EntityType subjectType(const QString &type)
{
    return type == QStringLiteral("organization") ? screening::EntityType::Organization : screening::EntityType::Person;
}

// What operation 59 is asked to import, from a JSON body (files already in storage) or a multipart form
// (the files themselves).
struct ImportRequest {
    QString source;
    QString format;
    QString mapping; // the shipped mapping a firm's tabular list is read with
    QString publicationDate;
    bool force = false;
    QStringList storageKeys;
    QStringList files; // staged from a multipart body
};

QStringList importFormats()
{
    QStringList formats;
    for (const auto f : {screening::ListFormat::OfacSdnCsv, screening::ListFormat::OfacConsCsv, screening::ListFormat::UnXml,
                         screening::ListFormat::EuFsfXml, screening::ListFormat::UkXml, screening::ListFormat::BisDplTxt,
                         screening::ListFormat::CslCsv, screening::ListFormat::FtmJson})
        formats << screening::formatName(f);
    formats << QStringLiteral("tabular");
    return formats;
}

// The rules shared by both forms of the request; errors go to `errors`.
void checkImport(ImportRequest &in, QList<FieldError> &errors)
{
    static const QRegularExpression sourceRe(QStringLiteral("^(firm:)?[a-z0-9_]+$"));
    if (!in.source.isEmpty() && !sourceRe.match(in.source).hasMatch())
        errors << FieldError{
            QStringLiteral("source"),
            QStringLiteral("source must be lower-case letters, digits and '_' (a firm's own list: firm:<name>)")};
    else if (screening::isFirmListName(in.source) && !screening::isValidFirmListName(in.source))
        errors << FieldError{QStringLiteral("source"),
                             QStringLiteral("a firm list is named firm:<name>, at most 48 letters, digits or '_' after firm:")};
    if (in.format == QStringLiteral("tabular")) {
        if (screening::isFirmListName(in.source)) {
            if (!screening::tabularSource(in.mapping))
                errors << FieldError{QStringLiteral("mapping"),
                                     QStringLiteral("mapping must name a shipped PEP or adverse-media mapping for a firm's "
                                                    "tabular list")};
        } else if (!in.source.isEmpty() && !screening::tabularSource(in.source)) {
            errors << FieldError{QStringLiteral("source"),
                                 QStringLiteral("source must name a shipped PEP or adverse-media mapping for format tabular")};
        }
    } else if (!in.mapping.isEmpty()) {
        errors << FieldError{QStringLiteral("mapping"), QStringLiteral("mapping applies to format tabular only")};
    }
    if (!in.publicationDate.isEmpty() && !QDate::fromString(in.publicationDate, Qt::ISODate).isValid())
        errors << FieldError{QStringLiteral("publication_date"), QStringLiteral("publication_date must be a date (YYYY-MM-DD)")};
}

Result<ImportRequest> importFromJson(const ApiRequest &r)
{
    Validator v(r.json);
    v.only({QStringLiteral("source"), QStringLiteral("format"), QStringLiteral("storage_keys"),
            QStringLiteral("publication_date"), QStringLiteral("force"), QStringLiteral("mapping")});
    const auto source = v.string(QStringLiteral("source"), true, 1, 64);
    const auto format = v.oneOf(QStringLiteral("format"), importFormats(), true);
    const auto date = v.string(QStringLiteral("publication_date"), false, 10, 10);
    const auto mapping = v.string(QStringLiteral("mapping"), false, 1, 64);
    if (r.json.contains(QStringLiteral("force")) && !r.json.value(QStringLiteral("force")).isBool())
        v.add(QStringLiteral("force"), QStringLiteral("force must be true or false"));
    ImportRequest in;
    in.source = source.value_or(QString());
    in.format = format.value_or(QString());
    in.mapping = mapping.value_or(QString());
    in.publicationDate = date.value_or(QString());
    in.force = r.json.value(QStringLiteral("force")).toBool();
    QList<FieldError> errors;
    if (format)
        checkImport(in, errors);
    for (const auto &e : errors)
        v.add(e.field, e.message);
    const QJsonValue k = r.json.value(QStringLiteral("storage_keys"));
    bool badKeys = !k.isArray() || k.toArray().isEmpty() || k.toArray().size() > 10;
    for (const auto &e : k.toArray()) {
        if (!e.isString() || !objects::ObjectStore::isValidKey(e.toString()) || in.storageKeys.contains(e.toString()))
            badKeys = true;
        else
            in.storageKeys << e.toString();
    }
    if (badKeys)
        v.add(QStringLiteral("storage_keys"),
              QStringLiteral("storage_keys must be 1 to 10 distinct storage keys (letters, digits, '.', '_', '-')"));
    if (!v.ok())
        return fail(v.error());
    return in;
}

bool isMultipart(const ApiRequest &r)
{
    return QString::fromLatin1(r.header("content-type"))
        .trimmed()
        .startsWith(QStringLiteral("multipart/form-data"), Qt::CaseInsensitive);
}

Result<ImportRequest> importFromMultipart(const ApiRequest &r, const QString &dir)
{
    auto form = multipart::parse(r.header("content-type"), r.body);
    if (!form)
        return fail(form.error());
    ImportRequest in;
    QList<FieldError> errors;
    static const QStringList fields = {QStringLiteral("format"), QStringLiteral("source"), QStringLiteral("force"),
                                       QStringLiteral("publication_date"), QStringLiteral("mapping")};
    QSet<QString> seen, fileNames;
    static const QRegularExpression fileRe(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"));
    for (const auto &part : form->parts) {
        if (part.fileName.isNull()) {
            if (!fields.contains(part.name)) {
                errors << FieldError{part.name, QStringLiteral("%1 is not a field of a list import").arg(part.name)};
                continue;
            }
            if (seen.contains(part.name)) {
                errors << FieldError{part.name, QStringLiteral("%1 is given twice").arg(part.name)};
                continue;
            }
            seen.insert(part.name);
            const QString value = QString::fromUtf8(part.body).trimmed();
            if (part.name == QStringLiteral("format"))
                in.format = value;
            else if (part.name == QStringLiteral("source"))
                in.source = value;
            else if (part.name == QStringLiteral("mapping"))
                in.mapping = value;
            else if (part.name == QStringLiteral("publication_date"))
                in.publicationDate = value;
            else if (value == QStringLiteral("true") || value == QStringLiteral("false"))
                in.force = value == QStringLiteral("true");
            else
                errors << FieldError{QStringLiteral("force"), QStringLiteral("force must be true or false")};
            continue;
        }
        // A file: kept under its own name (sdn.csv, add.csv, … are recognised by it), nothing else of the path.
        const QString name = part.fileName.section(u'/', -1).section(u'\\', -1);
        if (!fileRe.match(name).hasMatch() || fileNames.contains(name)) {
            errors << FieldError{QStringLiteral("files"),
                                 QStringLiteral("each file needs a distinct name of letters, digits, '.', '_', '-'")};
            continue;
        }
        fileNames.insert(name);
        QFile f(QDir(dir).filePath(name));
        if (!f.open(QIODevice::WriteOnly) || f.write(part.body) != part.body.size())
            return fail(Error::internal(QStringLiteral("cannot stage an uploaded file")));
        in.files << f.fileName();
    }
    if (!importFormats().contains(in.format))
        errors << FieldError{QStringLiteral("format"),
                             QStringLiteral("format must be one of: %1").arg(importFormats().join(QStringLiteral(", ")))};
    if (in.source.isEmpty() && in.format == QStringLiteral("tabular"))
        errors << FieldError{QStringLiteral("source"), QStringLiteral("source is required for format tabular")};
    if (in.source.isEmpty()) {
        if (const auto f = screening::parseFormat(in.format))
            in.source = screening::formatSource(*f);
    }
    if (in.files.isEmpty() || in.files.size() > 10)
        errors << FieldError{QStringLiteral("files"), QStringLiteral("a list import takes 1 to 10 files")};
    checkImport(in, errors);
    if (!errors.isEmpty())
        return fail(Error::validation(errors));
    return in;
}

} // namespace

// AML Screening: sanctions, PEP and adverse media (operations 53–61).
Controller makeScreeningController(Backend *backend)
{
    auto service = [backend]() -> screening::ScreeningService & { return backend->screening(); };

    auto screen = [service](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("name"), QStringLiteral("type"), QStringLiteral("birth_date"), QStringLiteral("country"),
                QStringLiteral("lists"), QStringLiteral("threshold"), QStringLiteral("case_id")});
        const auto name = v.string(QStringLiteral("name"), true, 1, 300);
        const auto type = v.oneOf(QStringLiteral("type"), {QStringLiteral("person"), QStringLiteral("organization")}, true);
        const auto dob = v.string(QStringLiteral("birth_date"), false, 4, 10);
        const auto country = v.string(QStringLiteral("country"), false, 2, 2);
        const auto caseId = v.string(QStringLiteral("case_id"), false, 36, 36);
        const QStringList lists = listSources(r.json, v);
        const double threshold = thresholdOf(r.json, v);
        if (!v.ok())
            return ApiResponse::error(v.error());
        screening::ScreenInput in;
        in.name = *name;
        in.type = subjectType(*type);
        in.birthDate = dob.value_or(QString());
        in.country = country.value_or(QString());
        in.caseId = caseId.value_or(QString());
        in.lists = lists;
        in.threshold = threshold;
        return answer(service().screen(r.actor, in), screeningJson, 201);
    };
    auto batch = [service](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("subjects"), QStringLiteral("lists"), QStringLiteral("threshold")});
        screening::BatchInput in;
        const QJsonValue subjects = r.json.value(QStringLiteral("subjects"));
        if (!subjects.isArray() || subjects.toArray().isEmpty()
            || subjects.toArray().size() > screening::ScreeningService::kMaxBatchSubjects)
            v.add(QStringLiteral("subjects"),
                  QStringLiteral("subjects must be an array of 1 to %1 subjects")
                      .arg(screening::ScreeningService::kMaxBatchSubjects));
        else {
            const QJsonArray all = subjects.toArray();
            bool anyReference = false;
            for (qsizetype i = 0; i < all.size() && v.errorCount() < 20; ++i) {
                const QString at = QStringLiteral("subjects[%1].").arg(i);
                if (!all[i].isObject()) {
                    v.add(QStringLiteral("subjects[%1]").arg(i), QStringLiteral("%1 must be an object").arg(at.chopped(1)));
                    continue;
                }
                const QJsonObject o = all[i].toObject();
                Validator sv(o);
                sv.only({QStringLiteral("name"), QStringLiteral("type"), QStringLiteral("birth_date"), QStringLiteral("country"),
                         QStringLiteral("reference")});
                const auto name = sv.string(QStringLiteral("name"), true, 1, 300);
                const auto type
                    = sv.oneOf(QStringLiteral("type"), {QStringLiteral("person"), QStringLiteral("organization")}, true);
                const auto dob = sv.string(QStringLiteral("birth_date"), false, 4, 10);
                const auto country = sv.string(QStringLiteral("country"), false, 2, 2);
                const auto reference = sv.string(QStringLiteral("reference"), false, 1, 100);
                if (!sv.ok()) {
                    v.addPrefixed(at, sv);
                    continue;
                }
                screening::ScreenInput s;
                s.name = *name;
                s.type = subjectType(*type);
                s.birthDate = dob.value_or(QString());
                s.country = country.value_or(QString());
                in.subjects << s;
                in.references << reference.value_or(QString());
                anyReference = anyReference || reference.has_value();
            }
            if (!anyReference)
                in.references.clear();
        }
        in.lists = listSources(r.json, v);
        in.threshold = thresholdOf(r.json, v);
        QString key;
        for (const auto &[h, value] : r.headers) {
            if (h != "idempotency-key")
                continue;
            key = QString::fromUtf8(value).trimmed();
            if (key.isEmpty() || key.size() > 255)
                v.add(QStringLiteral("Idempotency-Key"), QStringLiteral("Idempotency-Key must be 1 to 255 characters"));
        }
        if (!v.ok())
            return ApiResponse::error(v.error());
        return answer(service().submitBatch(r.actor, in, key), batchJson, 202);
    };
    auto list = [service](const ApiRequest &r) {
        const auto page = pageFrom(r);
        if (!page)
            return ApiResponse::error(page.error());
        screening::ScreeningFilter f{r.queryValue(QStringLiteral("status")), r.queryValue(QStringLiteral("case_id")),
                                     r.queryValue(QStringLiteral("source")), r.queryValue(QStringLiteral("batch_id"))};
        static const QStringList statuses = {QStringLiteral("clear"), QStringLiteral("potential_match"),
                                             QStringLiteral("confirmed_match"), QStringLiteral("false_positive")};
        static const QStringList sources
            = {QStringLiteral("onboarding"), QStringLiteral("ad_hoc"), QStringLiteral("monitoring"), QStringLiteral("batch")};
        QList<FieldError> errors;
        if (!f.status.isEmpty() && !statuses.contains(f.status))
            errors << FieldError{QStringLiteral("status"),
                                 QStringLiteral("status must be one of: %1").arg(statuses.join(QStringLiteral(", ")))};
        if (!f.source.isEmpty() && !sources.contains(f.source))
            errors << FieldError{QStringLiteral("source"),
                                 QStringLiteral("source must be one of: %1").arg(sources.join(QStringLiteral(", ")))};
        if (!f.caseId.isEmpty() && !isValidId(f.caseId))
            errors << FieldError{QStringLiteral("case_id"), QStringLiteral("case_id must be a UUID")};
        if (!f.batchId.isEmpty() && !isValidId(f.batchId))
            errors << FieldError{QStringLiteral("batch_id"), QStringLiteral("batch_id must be a UUID")};
        if (!errors.isEmpty())
            return ApiResponse::error(Error::validation(errors));
        const auto result = service().screenings(r.actor, f, *page);
        if (!result)
            return ApiResponse::error(result.error());
        QJsonArray data;
        for (const auto &s : result->items)
            data.append(screeningJson(s));
        return ApiResponse::page(data, *page, result->total);
    };
    auto one = [service](const ApiRequest &r) {
        const auto id = pathId(r);
        if (!id)
            return notFound(QStringLiteral("Screening"));
        return answer(service().screening(r.actor, *id), screeningJson);
    };
    auto resolve = [service](const ApiRequest &r) {
        const auto id = pathId(r);
        const auto matchId = pathId(r, QStringLiteral("matchId"));
        if (!id || !matchId)
            return notFound(QStringLiteral("Match"));
        Validator v(r.json);
        v.only({QStringLiteral("resolution"), QStringLiteral("reason")});
        const auto resolution
            = v.oneOf(QStringLiteral("resolution"), {QStringLiteral("true_positive"), QStringLiteral("false_positive")}, true);
        const auto reason = v.string(QStringLiteral("reason"), true, 1, 2000);
        if (!v.ok())
            return ApiResponse::error(v.error());
        return answer(service().resolve(r.actor, *id, *matchId, *resolution, *reason), screeningJson);
    };
    auto lists = [service, backend](const ApiRequest &r) {
        const auto page = pageFrom(r);
        if (!page)
            return ApiResponse::error(page.error());
        const auto result = service().lists(r.actor); // checks the caller's permission
        if (!result)
            return ApiResponse::error(result.error());
        // How current each list is: its scheduled refresh from the official download URL, when it has one.
        QHash<QString, screening::ListRefreshStatus> refresh;
        if (auto st = backend->listRefresher().status())
            for (const auto &x : *st)
                refresh.insert(x.source, x);
        QJsonArray data;
        const QDate today = backend->clock().now().date();
        for (qsizetype i = page->offset(); i < result->size() && i < page->offset() + page->limit; ++i) {
            QJsonObject o = listJson(result->at(i));
            // How old the data itself is, by its publication date (every list, with a download URL or not).
            const QDate published = QDate::fromString(result->at(i).publicationDate, Qt::ISODate);
            o.insert(QStringLiteral("publication_age_days"),
                     published.isValid() ? QJsonValue(std::max<qint64>(0, published.daysTo(today)))
                                         : QJsonValue(QJsonValue::Null));
            const auto it = refresh.constFind(result->at(i).source);
            if (it != refresh.cend())
                o.insert(QStringLiteral("refresh"), refreshJson(*it));
            data.append(o);
        }
        return ApiResponse::page(data, *page, result->size());
    };

    // Operation 59: files uploaded to storage (POST /storage/presign, PUT /storage/objects/:key) become a new
    // version of the source. Each file is linked under its storage key as name, so the parts of an OFAC CSV set
    // (sdn.csv, add.csv, alt.csv, sdn_comments.csv) are recognised as they are on disk.
    auto importList = [service, backend](const ApiRequest &r) {
        // Authentication, then permission, then the body: a viewer learns nothing about the format it sent.
        if (!r.actor.atLeast(Role::Admin))
            return ApiResponse::error(ErrorCode::Forbidden,
                                      QStringLiteral("Importing lists requires the admin role or a stronger one"));
        QTemporaryDir dir;
        if (!dir.isValid())
            return ApiResponse::error(Error::internal(QStringLiteral("no temporary directory for the import")));
        ImportRequest in;
        if (isMultipart(r)) {
            auto parsed = importFromMultipart(r, dir.path());
            if (!parsed)
                return ApiResponse::error(parsed.error());
            in = *parsed;
        } else {
            auto parsed = importFromJson(r);
            if (!parsed)
                return ApiResponse::error(parsed.error());
            in = *parsed;
        }
        // An official list is the platform's: refused before any file is staged (the service checks it too).
        if (!screening::isFirmListName(in.source) && !r.actor.platformAdmin)
            return ApiResponse::error(
                ErrorCode::Forbidden,
                QStringLiteral("%1 is an official list shared by every firm: only a platform admin imports it. Import your "
                               "own list under a firm: name (e.g. firm:watchlist)")
                    .arg(in.source));
        QStringList files = in.files;
        for (const auto &key : in.storageKeys) {
            auto o = backend->objects().object(r.actor.firmId, key);
            if (!o)
                return ApiResponse::error(o.error().code == ErrorCode::NotFound ? Error::make(
                                              ErrorCode::NotFound, QStringLiteral("No stored object has the key %1").arg(key))
                                                                                : o.error());
            const QString path = dir.filePath(key);
            if (!QFile::link(o->filePath, path) && !QFile::copy(o->filePath, path))
                return ApiResponse::error(Error::internal(QStringLiteral("cannot stage the stored object")));
            files << path;
        }
        // The same bytes as the version serving now: nothing to import.
        const QString sha = screening::ScreeningService::filesSha256(files);
        if (auto active = service().lists(r.actor); active) {
            for (const auto &l : *active) {
                if (l.source == in.source && l.sha256 == sha)
                    return ApiResponse::error(ErrorCode::Conflict,
                                              QStringLiteral("Version %1 of %2 already has this checksum; nothing was imported")
                                                  .arg(l.version)
                                                  .arg(l.source));
            }
        }
        const QString format = in.format == QStringLiteral("tabular") && !in.mapping.isEmpty()
            ? QStringLiteral("tabular:") + in.mapping
            : in.format;
        auto imported = service().importList(r.actor, format, files, in.source, {}, in.publicationDate,
                                             in.force ? screening::ImportAge::AllowOlder : screening::ImportAge::RefuseOlder);
        if (!imported && imported.error().code == ErrorCode::Validation)
            // The request was valid; the file is what failed: 422 with the importer's reason.
            return ApiResponse::error(
                ErrorCode::BusinessRule,
                QStringLiteral("The file could not be imported: %1")
                    .arg(imported.error().fields.isEmpty() ? imported.error().message : imported.error().fields.first().message));
        QJsonObject body;
        if (imported) {
            body = listJson(*imported);
            body.insert(QStringLiteral("monitoring_alerts"), imported->alerts);
            body.insert(QStringLiteral("forced"), imported->forced);
        }
        return imported ? ApiResponse::json(body, 201) : ApiResponse::error(imported.error());
    };
    auto monitoring = [service](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("case_id"), QStringLiteral("enabled")});
        const auto caseId = v.string(QStringLiteral("case_id"), true, 36, 36);
        const QJsonValue enabled = r.json.value(QStringLiteral("enabled"));
        if (!enabled.isBool())
            v.add(QStringLiteral("enabled"), QStringLiteral("enabled must be true or false"));
        if (caseId && !isValidId(*caseId))
            v.add(QStringLiteral("case_id"), QStringLiteral("case_id must be a UUID"));
        if (!v.ok())
            return ApiResponse::error(v.error());
        return answer(service().setMonitoring(r.actor, *caseId, enabled.toBool()), monitoringJson);
    };
    auto alerts = [service](const ApiRequest &r) {
        const auto page = pageFrom(r);
        if (!page)
            return ApiResponse::error(page.error());
        screening::AlertFilter f{r.queryValue(QStringLiteral("status")), r.queryValue(QStringLiteral("case_id"))};
        QList<FieldError> errors;
        if (!f.status.isEmpty() && f.status != QStringLiteral("open") && f.status != QStringLiteral("resolved"))
            errors << FieldError{QStringLiteral("status"), QStringLiteral("status must be one of: open, resolved")};
        if (!f.caseId.isEmpty() && !isValidId(f.caseId))
            errors << FieldError{QStringLiteral("case_id"), QStringLiteral("case_id must be a UUID")};
        if (!errors.isEmpty())
            return ApiResponse::error(Error::validation(errors));
        const auto result = service().alerts(r.actor, f, *page);
        if (!result)
            return ApiResponse::error(result.error());
        QJsonArray data;
        for (const auto &a : result->items)
            data.append(alertJson(a));
        return ApiResponse::page(data, *page, result->total);
    };

    using A = Availability;
    return Controller{
        QStringLiteral("AML Screening"),
        QStringLiteral("sanctions, PEP and adverse media"),
        {
            {Method::Post, QStringLiteral("/aml/screen"), QStringLiteral("jwt | key:aml:screen"), screen, BodyKind::Json}, // 53
            // Its own body limit: 10 000 subjects at the field maxima fit in 16 MiB (a realistic batch is ~1.5 MB).
            {Method::Post, QStringLiteral("/aml/screen/batch"), QStringLiteral("jwt | key:aml:screen"), batch, BodyKind::Json,
             A::Available, Execution::Inline, 16 * 1024 * 1024}, // 54
            {Method::Get, QStringLiteral("/aml/screenings"), QStringLiteral("jwt | key:aml:read"), list, BodyKind::None}, // 55
            {Method::Get, QStringLiteral("/aml/screenings/:id"), QStringLiteral("jwt | key:aml:read"), one, BodyKind::None}, // 56
            {Method::Post, QStringLiteral("/aml/screenings/:id/matches/:matchId/resolve"), QStringLiteral("jwt (≥ analyst)"),
             resolve, BodyKind::Json}, // 57
            {Method::Get, QStringLiteral("/aml/lists"), QStringLiteral("jwt | key:aml:read"), lists, BodyKind::None}, // 58
            {Method::Post, QStringLiteral("/aml/lists/import"), QStringLiteral("jwt (≥ admin)"), importList,
             // Its own body limit, so that real list files fit as multipart (OFAC's sdn.csv is 3.9 MB); the
             // router checks the caller's credentials and role from the head before admitting such a body.
             BodyKind::JsonOrMultipart, A::Available, Execution::Worker, 128 * 1024 * 1024}, // 59
            {Method::Post, QStringLiteral("/aml/monitoring"), QStringLiteral("jwt (≥ analyst)"), monitoring,
             BodyKind::Json}, // 60
            {Method::Get, QStringLiteral("/aml/monitoring/alerts"), QStringLiteral("jwt | key:aml:read"), alerts,
             BodyKind::None}, // 61
        },
    };
}

} // namespace kyc::http
