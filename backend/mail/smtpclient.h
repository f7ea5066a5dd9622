#pragma once

#include "backend/core/result.h"
#include "backend/mail/message.h"

#include <QDateTime>
#include <QList>
#include <QSslCertificate>
#include <QString>

namespace kyc::mail {

struct SmtpConfig {
    QString host; // empty = SMTP disabled
    quint16 port = 587;
    QString username; // empty = no AUTH
    QString password;
    QString heloName = QStringLiteral("kyconnect.local");
    bool requireStartTls = true; // refuse to send if the server does not offer STARTTLS
    QList<QSslCertificate> extraCaCertificates; // trusted in addition to the system store
    bool verifyPeer = true;
    int timeoutMs = 15000; // for each step: connecting, the TLS handshake, each reply, each write

    [[nodiscard]] bool enabled() const { return !host.isEmpty(); }
};

// Blocking SMTP submission (RFC 5321, RFC 3207 STARTTLS, RFC 4954 AUTH) for worker threads, never the
// GUI or HTTP thread: EHLO, STARTTLS, EHLO again, AUTH PLAIN (or LOGIN when only that is offered) when a
// username is set and only over TLS, MAIL FROM, RCPT TO for each recipient, DATA with the dot-stuffed
// toEml() bytes, QUIT.
// Fails with ErrorCode::Validation when the message does not validate() or SMTP is not configured, and
// with ErrorCode::Unavailable on any network, TLS or protocol failure; the message then names the step
// and carries the server's reply code and text, never the password.
[[nodiscard]] Status sendSmtp(const SmtpConfig &config, const Message &message, const QDateTime &dateUtc);

// The DATA payload for `eml`: lines starting with '.' get a second one (RFC 5321 4.5.2), bare CR and LF
// become CRLF, and the result ends with CRLF (the terminating ".\r\n" is not included).
[[nodiscard]] QByteArray dotStuffed(const QByteArray &eml);

} // namespace kyc::mail
