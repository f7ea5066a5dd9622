#pragma once

#include "backend/core/result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

// A strict reader of multipart/form-data bodies (RFC 7578 over RFC 2046): only what browsers and curl
// send. One boundary from the Content-Type (1–70 characters of the RFC's set, quoted or not), no preamble,
// CRLF line ends only, each part with a Content-Disposition of form-data and a name (and a filename for a
// file), optionally a Content-Type, and nothing else; the closing delimiter ends the body (a final CRLF may
// follow). Anything else, or anything past a limit, is a validation error naming what was wrong.
namespace kyc::http::multipart {

struct Limits {
    qint64 maxBodyBytes = 256LL * 1024 * 1024;
    int maxParts = 32;
    int maxHeaderBytes = 4096; // one part's header section
    int maxHeaderLines = 8;
};

struct Part {
    QString name;
    QString fileName; // null for a plain field
    QByteArray contentType; // as sent, empty when absent
    QByteArray body;
};

struct Form {
    QList<Part> parts;
};

// `contentType` is the request's Content-Type header value.
[[nodiscard]] Result<Form> parse(QByteArrayView contentType, QByteArrayView body, const Limits &limits = {});

// The boundary parameter of a multipart/form-data Content-Type; an error when there is none or it breaks the rules.
[[nodiscard]] Result<QByteArray> boundaryOf(QByteArrayView contentType);

} // namespace kyc::http::multipart
