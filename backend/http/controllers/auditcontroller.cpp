#include "backend/backend.h"
#include "backend/http/controllers/controllers.h"
#include "backend/http/controllers/identityjson.h"
#include "backend/identity/auditaccess.h"

#include <QTimeZone>

namespace kyc::http {

namespace {

QJsonObject eventJson(const audit::Event &e)
{
    return audit::toJson(e);
}

enum class Bound { Start, End };

// ISO-8601 query times (UTC unless they carry an offset); an unparsable one is a validation error
// rather than ignored. A date alone means the whole day: from its start (from=) to its end (to=).
bool readTime(const ApiRequest &r, const QString &name, QDateTime *out, QList<FieldError> &errors, Bound bound)
{
    const QString v = r.queryValue(name).trimmed();
    if (v.isEmpty())
        return true;
    if (v.size() == 10) {
        const QDate day = QDate::fromString(v, Qt::ISODate);
        if (day.isValid()) {
            *out = bound == Bound::Start ? QDateTime(day, QTime(0, 0), Qt::UTC) : QDateTime(day, QTime(23, 59, 59, 999), Qt::UTC);
            return true;
        }
    }
    *out = QDateTime::fromString(v, Qt::ISODateWithMs);
    if (out->isValid() && out->timeSpec() == Qt::LocalTime)
        out->setTimeSpec(Qt::UTC);
    if (!out->isValid()) {
        errors << FieldError{name, QStringLiteral("%1 must be an ISO-8601 date-time or date").arg(name)};
        return false;
    }
    return true;
}

bool readSequence(const ApiRequest &r, const QString &name, std::optional<qint64> *out, QList<FieldError> &errors)
{
    const QString v = r.queryValue(name);
    if (v.isEmpty())
        return true;
    bool ok = false;
    const qint64 n = v.toLongLong(&ok);
    if (!ok || n < 1) {
        errors << FieldError{name, QStringLiteral("%1 must be a positive integer").arg(name)};
        return false;
    }
    *out = n;
    return true;
}

} // namespace

// Audit Trail: immutable, hash-chained logs (operations 62–66).
Controller makeAuditController(Backend *backend)
{
    auto access = [backend]() -> identity::AuditAccess & { return backend->auditAccess(); };

    auto logs = [access](const ApiRequest &r) {
        const auto page = pageFrom(r);
        if (!page)
            return ApiResponse::error(page.error());
        audit::Filter f;
        f.actorId = r.queryValue(QStringLiteral("actor_id"));
        f.action = r.queryValue(QStringLiteral("action"));
        f.entityType = r.queryValue(QStringLiteral("entity_type"));
        f.entityId = r.queryValue(QStringLiteral("entity_id"));
        QList<FieldError> errors;
        readTime(r, QStringLiteral("from"), &f.from, errors, Bound::Start);
        readTime(r, QStringLiteral("to"), &f.to, errors, Bound::End);
        if (!errors.isEmpty())
            return ApiResponse::error(Error::validation(errors));
        const auto result = access().list(r.actor, f, *page);
        if (!result)
            return ApiResponse::error(result.error());
        QJsonArray data;
        for (const auto &e : result->items)
            data.append(eventJson(e));
        return ApiResponse::page(data, *page, result->total);
    };
    auto one = [access](const ApiRequest &r) {
        const auto id = pathId(r);
        if (!id)
            return notFound(QStringLiteral("Audit event"));
        return answer(access().get(r.actor, *id), eventJson);
    };
    auto verify = [access](const ApiRequest &r) {
        return answer(access().verify(r.actor), [](const audit::VerifyResult &v) {
            QJsonObject o{{QStringLiteral("valid"), v.valid},
                          {QStringLiteral("checked"), v.checked},
                          {QStringLiteral("head_sequence"), v.headSequence},
                          {QStringLiteral("head_hash"), v.headHash}};
            if (v.firstInvalidSequence) {
                o.insert(QStringLiteral("first_invalid_sequence"), *v.firstInvalidSequence);
                o.insert(QStringLiteral("reason"), v.reason);
            }
            return o;
        });
    };
    auto exportChain = [access](const ApiRequest &r) {
        const QString format = r.queryValue(QStringLiteral("format"));
        QList<FieldError> errors;
        if (!format.isEmpty() && format != QStringLiteral("jsonl") && format != QStringLiteral("csv"))
            errors << FieldError{QStringLiteral("format"), QStringLiteral("format must be jsonl or csv")};
        audit::ExportRange range;
        readSequence(r, QStringLiteral("from_sequence"), &range.fromSequence, errors);
        readSequence(r, QStringLiteral("to_sequence"), &range.toSequence, errors);
        readTime(r, QStringLiteral("from"), &range.from, errors, Bound::Start);
        readTime(r, QStringLiteral("to"), &range.to, errors, Bound::End);
        if (!errors.isEmpty())
            return ApiResponse::error(Error::validation(errors));
        const bool csv = format == QStringLiteral("csv");
        const auto data = access().exportChain(r.actor, csv ? audit::ExportFormat::Csv : audit::ExportFormat::JsonLines, range);
        if (!data)
            return ApiResponse::error(data.error());
        ApiResponse res;
        res.body = *data;
        res.contentType = csv ? "text/csv; charset=utf-8" : "application/x-ndjson";
        res.withHeader("Content-Disposition",
                       csv ? "attachment; filename=\"audit.csv\"" : "attachment; filename=\"audit.jsonl\"");
        return res;
    };
    auto checkpoint = [access](const ApiRequest &r) {
        return answer(access().checkpoint(r.actor), [](const audit::Checkpoint &c) { return toJson(c); });
    };

    return Controller{
        QStringLiteral("Audit Trail"),
        QStringLiteral("immutable, hash-chained logs"),
        {
            {Method::Get, QStringLiteral("/audit/logs"), QStringLiteral("jwt (≥ compliance_officer) | key:audit:read"), logs,
             BodyKind::None}, // 62
            {Method::Get, QStringLiteral("/audit/logs/:id"), QStringLiteral("jwt (≥ compliance_officer) | key:audit:read"), one,
             BodyKind::None}, // 63
            {Method::Get, QStringLiteral("/audit/verify"), QStringLiteral("jwt (≥ compliance_officer) | key:audit:read"), verify,
             BodyKind::None}, // 64
            {Method::Get, QStringLiteral("/audit/export"), QStringLiteral("jwt (≥ compliance_officer)"), exportChain,
             BodyKind::None}, // 65
            {Method::Get, QStringLiteral("/audit/checkpoint"), QStringLiteral("jwt | key:audit:read"), checkpoint,
             BodyKind::None}, // 66
        },
    };
}

} // namespace kyc::http
