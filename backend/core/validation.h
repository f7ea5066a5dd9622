#pragma once

#include "backend/core/error.h"

#include <QJsonObject>
#include <QStringList>

#include <optional>

namespace kyc {

// Collects field errors while reading a JSON request, so one answer lists every problem.
class Validator
{
public:
    explicit Validator(const QJsonObject &body)
        : m_body(body)
    {
    }

    // A string field: trimmed; required or optional; length limits.
    std::optional<QString> string(const QString &field, bool required, int minLength = 1, int maxLength = 255);
    std::optional<QString> email(const QString &field, bool required = true);
    std::optional<QString> password(const QString &field, const QString &email = {});
    std::optional<QString> oneOf(const QString &field, const QStringList &allowed, bool required);
    std::optional<bool> boolean(const QString &field, bool required);
    std::optional<QStringList> stringList(const QString &field, const QStringList &allowed, bool required);
    // Refuses fields outside `allowed` (request bodies are closed).
    void only(const QStringList &allowed);
    void add(const QString &field, const QString &message) { m_errors << FieldError{field, message}; }

    // Adds another validator's errors with `prefix` before each field name and message (nested objects).
    void addPrefixed(const QString &prefix, const Validator &inner)
    {
        for (const auto &e : inner.m_errors)
            m_errors << FieldError{prefix + e.field, prefix + e.message};
    }
    [[nodiscard]] qsizetype errorCount() const { return m_errors.size(); }
    [[nodiscard]] bool ok() const { return m_errors.isEmpty(); }
    [[nodiscard]] Error error() const { return Error::validation(m_errors); }

private:
    QJsonObject m_body;
    QList<FieldError> m_errors;
};

[[nodiscard]] bool isValidEmail(const QString &email);
// An assigned ISO 3166-1 alpha-2 country code (upper case), from resources/iso/iso3166-1-alpha2.txt.
[[nodiscard]] bool isCountryCode(QStringView code);
// An ISO 4217 currency code (upper case), from resources/iso/iso4217.txt.
[[nodiscard]] bool isCurrencyCode(QStringView code);
// The one password rule: not empty, not only white space, 12 to 256 characters, and not the email
// (or its local part). Every path that sets a password uses it.
[[nodiscard]] std::optional<QString> passwordProblem(const QString &password, const QString &email);

} // namespace kyc
