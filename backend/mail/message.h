#pragma once

#include "backend/core/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>
#include <QStringList>

namespace kyc::mail {

// One outgoing plain-text mail, as the outbox stores it.
struct Message {
    QString from; // "KYConnect <no-reply@kyconnect.local>" or a bare address
    QStringList to; // each a mailbox: "Name <a@b>" or a bare address
    QString subject;
    QString textBody; // UTF-8 plain text; any line-end convention
    QString messageId; // generated if empty: <uuid@kyconnect.local>
};

// The RFC 5322 message: Date (from dateUtc), From, To, Subject (RFC 2047 encoded-words when not plain
// ASCII), Message-ID, MIME-Version, Content-Type text/plain; charset=UTF-8 and a quoted-printable body
// (RFC 2045, lines of at most 76 characters). Every line ends in CRLF, the last one included, so the
// bytes can go to an .eml file or, dot-stuffed, to SMTP DATA. Call validate() first: toEml() formats
// whatever it is given.
[[nodiscard]] QByteArray toEml(const Message &m, const QDateTime &dateUtc);

// Rejects header injection (CR, LF or other control characters in from, to, subject or messageId),
// empty recipients and addresses that fail a simple addr-spec check, as ErrorCode::Validation with
// one FieldError per problem ("from", "to[1]", "subject", "messageId").
[[nodiscard]] Status validate(const Message &m);

// The addr-spec of a mailbox: "Name <a@b>" → "a@b", "a@b" → "a@b".
[[nodiscard]] QString addressOf(const QString &mailbox);

// A simple addr-spec check: dot-atom local part, host name labels (or a [literal]), ASCII only.
[[nodiscard]] bool isValidAddress(const QString &address);

// Building blocks of toEml(), public for the tests and for the outbox's file names and logs.
[[nodiscard]] QByteArray rfc5322Date(const QDateTime &dateUtc);
[[nodiscard]] QByteArray quotedPrintable(const QByteArray &utf8Text);
[[nodiscard]] QString generateMessageId();

} // namespace kyc::mail
