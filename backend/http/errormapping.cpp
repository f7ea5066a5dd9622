#include "backend/core/json.h"
#include "backend/http/apitypes.h"

#include <QJsonDocument>

namespace kyc::http {

// The single table from ErrorCode to HTTP status.
int httpStatus(ErrorCode code)
{
    switch (code) {
    case ErrorCode::Validation: return 400;
    case ErrorCode::Unauthenticated: return 401;
    case ErrorCode::Forbidden: return 403;
    case ErrorCode::NotFound: return 404;
    case ErrorCode::MethodNotAllowed: return 405;
    case ErrorCode::Conflict: return 409;
    case ErrorCode::LengthRequired: return 411;
    case ErrorCode::PayloadTooLarge: return 413;
    case ErrorCode::UnsupportedMediaType: return 415;
    case ErrorCode::BusinessRule: return 422;
    case ErrorCode::RateLimited: return 429;
    case ErrorCode::Internal: return 500;
    case ErrorCode::NotImplemented: return 501;
    case ErrorCode::Unavailable: return 503;
    }
    return 500;
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return status < 400 ? "OK" : "Error";
    }
}

QJsonObject errorBody(const Error &e)
{
    const int status = httpStatus(e.code);
    QJsonObject o;
    o.insert(QStringLiteral("statusCode"), status);
    if (e.code == ErrorCode::Validation) {
        // 400 validation: an array of field messages.
        QJsonArray messages;
        for (const auto &f : e.fields)
            messages.append(f.message);
        if (messages.isEmpty())
            messages.append(e.message);
        o.insert(QStringLiteral("message"), messages);
    } else {
        o.insert(QStringLiteral("message"), e.message);
    }
    o.insert(QStringLiteral("error"), QString::fromLatin1(reasonPhrase(status)));
    for (auto it = e.extra.begin(); it != e.extra.end(); ++it)
        o.insert(it.key(), it.value());
    return o;
}

QByteArray methodName(Method m)
{
    switch (m) {
    case Method::Get: return "GET";
    case Method::Post: return "POST";
    case Method::Put: return "PUT";
    case Method::Patch: return "PATCH";
    case Method::Delete: return "DELETE";
    }
    return "GET";
}

QByteArray ApiRequest::header(QByteArrayView lowerName) const
{
    for (const auto &[k, v] : headers) {
        if (k == lowerName)
            return v;
    }
    return {};
}

QString ApiRequest::queryValue(const QString &name) const
{
    return query.queryItemValue(name, QUrl::FullyDecoded);
}

ApiResponse ApiResponse::json(const QJsonObject &o, int status)
{
    ApiResponse r;
    r.status = status;
    r.body = json::compact(o);
    return r;
}

ApiResponse ApiResponse::json(const QJsonArray &a, int status)
{
    ApiResponse r;
    r.status = status;
    r.body = QJsonDocument(a).toJson(QJsonDocument::Compact);
    return r;
}

ApiResponse ApiResponse::noContent()
{
    ApiResponse r;
    r.status = 204;
    r.contentType.clear();
    return r;
}

ApiResponse ApiResponse::error(const Error &e)
{
    return json(errorBody(e), httpStatus(e.code));
}

ApiResponse ApiResponse::error(ErrorCode code, const QString &message)
{
    return error(Error::make(code, message));
}

ApiResponse ApiResponse::page(const QJsonArray &data, const PageRequest &p, qint64 total)
{
    QJsonObject meta{{QStringLiteral("page"), p.page}, {QStringLiteral("limit"), p.limit}, {QStringLiteral("total"), total}};
    return json(QJsonObject{{QStringLiteral("data"), data}, {QStringLiteral("meta"), meta}});
}

ApiResponse &ApiResponse::withHeader(QByteArray name, QByteArray value)
{
    headers.append({std::move(name), std::move(value)});
    return *this;
}

Result<PageRequest> pageFrom(const ApiRequest &r)
{
    PageRequest p;
    QList<FieldError> errors;
    auto read = [&](const QString &name, int &target, int min, int max) {
        const QString v = r.queryValue(name);
        if (v.isEmpty())
            return;
        bool ok = false;
        const int n = v.toInt(&ok);
        if (!ok || n < min || n > max)
            errors << FieldError{name, QStringLiteral("%1 must be an integer from %2 to %3").arg(name).arg(min).arg(max)};
        else
            target = n;
    };
    read(QStringLiteral("page"), p.page, 1, 1'000'000);
    read(QStringLiteral("limit"), p.limit, 1, 100);
    if (!errors.isEmpty())
        return fail(Error::validation(errors));
    return p;
}

} // namespace kyc::http
