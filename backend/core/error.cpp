#include "backend/core/error.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcError, "kyc.error")

namespace kyc {

Error Error::validation(QList<FieldError> fields)
{
    Error e{ErrorCode::Validation, QStringLiteral("Validation failed"), std::move(fields), {}};
    return e;
}

Error Error::validation(const QString &field, const QString &message)
{
    return validation(QList<FieldError>{{field, message}});
}

Error Error::make(ErrorCode code, QString message)
{
    return Error{code, std::move(message), {}, {}};
}

Error Error::internal(QString logMessage)
{
    // The detail goes to the log only; callers and clients see a generic message.
    qCWarning(lcError).noquote() << "internal error:" << logMessage;
    return Error{ErrorCode::Internal, QStringLiteral("Internal server error"), {}, {}};
}

QString errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::Validation: return QStringLiteral("validation");
    case ErrorCode::Unauthenticated: return QStringLiteral("unauthenticated");
    case ErrorCode::Forbidden: return QStringLiteral("forbidden");
    case ErrorCode::NotFound: return QStringLiteral("not_found");
    case ErrorCode::Conflict: return QStringLiteral("conflict");
    case ErrorCode::BusinessRule: return QStringLiteral("business_rule");
    case ErrorCode::RateLimited: return QStringLiteral("rate_limited");
    case ErrorCode::Internal: return QStringLiteral("internal");
    case ErrorCode::MethodNotAllowed: return QStringLiteral("method_not_allowed");
    case ErrorCode::UnsupportedMediaType: return QStringLiteral("unsupported_media_type");
    case ErrorCode::PayloadTooLarge: return QStringLiteral("payload_too_large");
    case ErrorCode::LengthRequired: return QStringLiteral("length_required");
    case ErrorCode::NotImplemented: return QStringLiteral("not_implemented");
    case ErrorCode::Unavailable: return QStringLiteral("unavailable");
    }
    return QStringLiteral("internal");
}

} // namespace kyc
