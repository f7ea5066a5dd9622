#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

namespace kyc::http {

// The verdict on a request head (request line and header lines). The guard is the one authority
// on framing: QHttpServer 6.4 reads heads leniently (bare LF line ends, folded lines, the first of
// several Content-Length headers, "chunked" anywhere in Transfer-Encoding), and on a header line
// it does not like (a name outside the token set, more than 100 fields, a field over 8 KiB) it
// drops *all* headers and reads the body as the next request. A head passes only when every
// reader reads it the same way; anything else is refused before QHttpServer sees a byte of it.
struct HeadVerdict {
    int status = 0; // 0: acceptable (so far); otherwise the status to answer before closing
    QString message; // why, for the client (the contract's error message)
    bool complete = false; // the head ended with its blank line
    QByteArrayView method; // views into the checked bytes, set once the request line is complete
    QByteArrayView target;
    qint64 contentLength = 0;
    bool expectContinue = false;

    [[nodiscard]] bool ok() const { return status == 0; }
};

// Limits of a head: the tighter of ours and QHttpServer 6.4's (QHttpHeaderParser).
struct HeadLimits {
    static constexpr int kMaxFields = 100;
    static constexpr int kMaxFieldBytes = 8 * 1024 - 64; // name, colon and value, with room to spare
    static constexpr int kMaxTargetBytes = 8 * 1024;
    static constexpr int kMaxContentLengthDigits = 15; // a petabyte; no overflow anywhere
};

// Checks a head from its first byte. `head` may be incomplete (bytes still arriving): then its
// complete lines are checked and the verdict has `complete == false`. Bytes after the blank line
// are not looked at. Safe on any input (tests/fuzz/fuzz_http_head.cpp).
[[nodiscard]] HeadVerdict checkRequestHead(QByteArrayView head);

// Checks one line of a head, `line` ending with its LF: CRLF line end, no control bytes, and the
// request line's shape (`requestLine`) or a header field's (a token name, a colon, a value of
// visible characters, no fold). Sets method and target for a request line. For checking a head
// as its lines arrive, without rescanning it.
[[nodiscard]] HeadVerdict checkHeadLine(QByteArrayView line, bool requestLine);

// The header fields of a head that passed checkRequestHead: names lower-cased, values trimmed, in
// order, the request line left out.
[[nodiscard]] QList<std::pair<QByteArray, QByteArray>> headerFields(QByteArrayView head);

} // namespace kyc::http
