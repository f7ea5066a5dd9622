#include "backend/backend.h"
#include "backend/core/validation.h"
#include "backend/http/controllers/controllers.h"
#include "backend/http/controllers/identityjson.h"
#include "backend/screening/screeningservice.h"

namespace kyc::http {

namespace {

QJsonObject matchJson(const screening::StoredMatch &m, int rank)
{
    auto orNull = [](const QString &s) { return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s); };
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
            {QStringLiteral("resolved_at"), orNull(m.resolvedAt)}};
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
            {QStringLiteral("matches"), matches},
            {QStringLiteral("created_by"), s.createdBy},
            {QStringLiteral("created_at"), s.createdAt}};
}

QJsonObject listJson(const screening::ListVersion &v)
{
    return {{QStringLiteral("id"), v.id},
            {QStringLiteral("source"), v.source},
            {QStringLiteral("format"), v.format},
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
            {QStringLiteral("active"), v.active}};
}

} // namespace

// AML Screening: sanctions, PEP and adverse media (operations 53–61).
Controller makeScreeningController(Backend *backend)
{
    auto service = [backend]() -> screening::ScreeningService & { return backend->screening(); };
    const Handler pending = notYetAvailable(QStringLiteral("This screening operation"));

    auto screen = [service](const ApiRequest &r) {
        Validator v(r.json);
        v.only({QStringLiteral("name"), QStringLiteral("type"), QStringLiteral("birth_date"), QStringLiteral("country"),
                QStringLiteral("lists"), QStringLiteral("threshold")});
        const auto name = v.string(QStringLiteral("name"), true, 1, 300);
        const auto type = v.oneOf(QStringLiteral("type"), {QStringLiteral("person"), QStringLiteral("organization")}, true);
        const auto dob = v.string(QStringLiteral("birth_date"), false, 4, 10);
        const auto country = v.string(QStringLiteral("country"), false, 2, 2);
        QStringList lists;
        if (r.json.contains(QStringLiteral("lists"))) {
            const QJsonValue l = r.json.value(QStringLiteral("lists"));
            if (!l.isArray())
                v.add(QStringLiteral("lists"), QStringLiteral("lists must be an array of list sources"));
            for (const auto &e : l.toArray()) {
                if (!e.isString())
                    v.add(QStringLiteral("lists"), QStringLiteral("lists must be an array of list sources"));
                else
                    lists << e.toString();
            }
        }
        double threshold = -1;
        if (r.json.contains(QStringLiteral("threshold"))) {
            const QJsonValue t = r.json.value(QStringLiteral("threshold"));
            if (!t.isDouble() || t.toDouble() < 0.5 || t.toDouble() > 1)
                v.add(QStringLiteral("threshold"), QStringLiteral("threshold must be a number from 0.5 to 1"));
            else
                threshold = t.toDouble();
        }
        if (!v.ok())
            return ApiResponse::error(v.error());
        screening::ScreenInput in;
        in.name = *name;
        in.type = *type == QStringLiteral("organization") ? screening::EntityType::Organization : screening::EntityType::Person;
        in.birthDate = dob.value_or(QString());
        in.country = country.value_or(QString());
        in.lists = lists;
        in.threshold = threshold;
        return answer(service().screen(r.actor, in), screeningJson, 201);
    };
    auto list = [service](const ApiRequest &r) {
        const auto page = pageFrom(r);
        if (!page)
            return ApiResponse::error(page.error());
        screening::ScreeningFilter f{r.queryValue(QStringLiteral("status")), r.queryValue(QStringLiteral("case_id")),
                                     r.queryValue(QStringLiteral("source"))};
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
    auto lists = [service](const ApiRequest &r) {
        const auto page = pageFrom(r);
        if (!page)
            return ApiResponse::error(page.error());
        const auto result = service().lists(r.actor);
        if (!result)
            return ApiResponse::error(result.error());
        QJsonArray data;
        for (qsizetype i = page->offset(); i < result->size() && i < page->offset() + page->limit; ++i)
            data.append(listJson(result->at(i)));
        return ApiResponse::page(data, *page, result->size());
    };

    using A = Availability;
    return Controller{
        QStringLiteral("AML Screening"),
        QStringLiteral("sanctions, PEP and adverse media"),
        {
            {Method::Post, QStringLiteral("/aml/screen"), QStringLiteral("jwt | key:aml:screen"), screen, BodyKind::Json}, // 53
            {Method::Post, QStringLiteral("/aml/screen/batch"), QStringLiteral("jwt | key:aml:screen"), pending, BodyKind::Json,
             A::Pending}, // 54
            {Method::Get, QStringLiteral("/aml/screenings"), QStringLiteral("jwt | key:aml:read"), list, BodyKind::None}, // 55
            {Method::Get, QStringLiteral("/aml/screenings/:id"), QStringLiteral("jwt | key:aml:read"), one, BodyKind::None}, // 56
            {Method::Post, QStringLiteral("/aml/screenings/:id/matches/:matchId/resolve"), QStringLiteral("jwt (≥ analyst)"),
             resolve, BodyKind::Json}, // 57
            {Method::Get, QStringLiteral("/aml/lists"), QStringLiteral("jwt | key:aml:read"), lists, BodyKind::None}, // 58
            {Method::Post, QStringLiteral("/aml/lists/import"), QStringLiteral("jwt (≥ admin)"), pending, BodyKind::Json,
             A::Pending}, // 59
            {Method::Post, QStringLiteral("/aml/monitoring"), QStringLiteral("jwt (≥ analyst)"), pending, BodyKind::Json,
             A::Pending}, // 60
            {Method::Get, QStringLiteral("/aml/monitoring/alerts"), QStringLiteral("jwt | key:aml:read"), pending, BodyKind::None,
             A::Pending}, // 61
        },
    };
}

} // namespace kyc::http
