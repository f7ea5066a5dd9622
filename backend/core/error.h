#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>

namespace kyc {

// The failure classes a service can report. The HTTP adapter maps each to a status in one table
// (backend/http/errormapping.cpp); the GUI shows the message.
enum class ErrorCode {
    Validation,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    BusinessRule,
    RateLimited,
    Internal,
    // Raised by the HTTP adapter itself rather than by services.
    MethodNotAllowed,
    UnsupportedMediaType,
    PayloadTooLarge,
    LengthRequired,
    NotImplemented,
    Unavailable,
};

struct FieldError {
    QString field;
    QString message;
};

struct Error {
    ErrorCode code = ErrorCode::Internal;
    QString message;
    QList<FieldError> fields;
    QJsonObject extra; // additional members of the error body, e.g. {"mfa_required": true}

    static Error validation(QList<FieldError> fields);
    static Error validation(const QString &field, const QString &message);
    static Error make(ErrorCode code, QString message);
    static Error internal(QString logMessage);
};

[[nodiscard]] QString errorCodeName(ErrorCode code);

} // namespace kyc
