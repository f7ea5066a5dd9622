#include "backend/http/requesthead.h"

#include <cstring>

namespace kyc::http {

namespace {

bool isTchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// field-value bytes: SP, HTAB, VCHAR and obs-text. No NUL, no other control byte, no DEL.
bool isValueByte(char c)
{
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
}

QByteArrayView trimOws(QByteArrayView v)
{
    while (!v.isEmpty() && (v.front() == ' ' || v.front() == '\t'))
        v = v.sliced(1);
    while (!v.isEmpty() && (v.back() == ' ' || v.back() == '\t'))
        v.chop(1);
    return v;
}

bool equalsCi(QByteArrayView a, QByteArrayView b)
{
    return a.size() == b.size() && a.compare(b, Qt::CaseInsensitive) == 0;
}

bool containsCi(QByteArrayView hay, QByteArrayView needle)
{
    for (qsizetype i = 0; i + needle.size() <= hay.size(); ++i) {
        if (equalsCi(hay.sliced(i, needle.size()), needle))
            return true;
    }
    return false;
}

HeadVerdict refuse(int status, const QString &message)
{
    HeadVerdict v;
    v.status = status;
    v.message = message;
    return v;
}

// A path segment that QUrl or a file system would read as "." or "..", percent-encoded or not.
bool isDotSegment(QByteArrayView seg)
{
    int dots = 0;
    for (qsizetype i = 0; i < seg.size();) {
        if (seg[i] == '.') {
            ++dots;
            ++i;
        } else if (i + 2 < seg.size() && seg[i] == '%' && seg[i + 1] == '2' && (seg[i + 2] == 'e' || seg[i + 2] == 'E')) {
            ++dots;
            i += 3;
        } else {
            return false;
        }
    }
    return dots == 1 || dots == 2;
}

HeadVerdict checkRequestLine(QByteArrayView line)
{
    const QString malformed = QStringLiteral("Malformed request line");
    // method SP request-target SP HTTP-version, single spaces (QHttpServer skips runs of them).
    const qsizetype sp1 = line.indexOf(' ');
    if (sp1 <= 0)
        return refuse(400, malformed);
    const qsizetype sp2 = line.indexOf(' ', sp1 + 1);
    if (sp2 < 0 || sp2 == sp1 + 1 || line.indexOf(' ', sp2 + 1) >= 0)
        return refuse(400, malformed);
    const QByteArrayView method = line.first(sp1);
    const QByteArrayView target = line.sliced(sp1 + 1, sp2 - sp1 - 1);
    const QByteArrayView version = line.sliced(sp2 + 1);
    if (method.size() > 16)
        return refuse(400, malformed);
    for (const char c : method) {
        if (!isTchar(c))
            return refuse(400, malformed);
    }
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        if (version.size() == 8 && version.startsWith("HTTP/") && version[6] == '.')
            return refuse(505, QStringLiteral("Only HTTP/1.1 and HTTP/1.0 are supported"));
        return refuse(400, malformed);
    }
    if (target.size() > HeadLimits::kMaxTargetBytes)
        return refuse(414, QStringLiteral("The request target exceeds %1 bytes").arg(HeadLimits::kMaxTargetBytes));
    // Origin form only: an absolute or authority form, or "//host/...", would give QUrl an
    // authority of the client's choosing and a path other than the one on the wire.
    if (!target.startsWith('/') || target.startsWith("//"))
        return refuse(400, QStringLiteral("The request target must be an absolute path"));
    for (const char c : target) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '#')
            return refuse(400, QStringLiteral("The request target contains a character that must be percent-encoded"));
    }
    QByteArrayView path = target;
    if (const qsizetype q = path.indexOf('?'); q >= 0)
        path = path.first(q);
    for (qsizetype from = 1; from <= path.size();) {
        qsizetype slash = path.indexOf('/', from);
        if (slash < 0)
            slash = path.size();
        if (isDotSegment(path.sliced(from, slash - from)))
            return refuse(400, QStringLiteral("The request target contains a dot segment"));
        from = slash + 1;
    }
    static constexpr QByteArrayView kMethods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    bool known = false;
    for (const auto m : kMethods)
        known = known || m == method;
    if (!known)
        return refuse(501, QStringLiteral("The method is not supported"));
    HeadVerdict v;
    v.method = method;
    v.target = target;
    return v;
}

HeadVerdict checkFieldLine(QByteArrayView line)
{
    if (line.front() == ' ' || line.front() == '\t')
        return refuse(400, QStringLiteral("Folded header lines (obs-fold) are not accepted"));
    if (line.size() > HeadLimits::kMaxFieldBytes)
        return refuse(431, QStringLiteral("A request header field exceeds %1 bytes").arg(HeadLimits::kMaxFieldBytes));
    const qsizetype colon = line.indexOf(':');
    if (colon < 0)
        return refuse(400, QStringLiteral("A header line has no colon"));
    if (colon == 0)
        return refuse(400, QStringLiteral("A header line has an empty name"));
    for (const char c : line.first(colon)) {
        if (!isTchar(c))
            return refuse(400, QStringLiteral("A header name contains a character outside the RFC 9110 token set"));
    }
    for (const char c : line.sliced(colon + 1)) {
        if (!isValueByte(c))
            return refuse(400, QStringLiteral("A header value contains a control character"));
    }
    return {};
}

} // namespace

HeadVerdict checkHeadLine(QByteArrayView line, bool requestLine)
{
    if (line.isEmpty() || line.back() != '\n')
        return refuse(400, QStringLiteral("Incomplete line in a request head"));
    if (line.size() < 2 || line[line.size() - 2] != '\r')
        return refuse(400, QStringLiteral("Lines of a request head must end in CRLF (a bare LF was sent)"));
    const QByteArrayView text = line.chopped(2);
    for (const char c : text) {
        if (c == '\r' || c == '\n' || c == '\0')
            return refuse(400, QStringLiteral("A request head contains a bare CR or a NUL byte"));
    }
    if (requestLine)
        return checkRequestLine(text);
    if (text.isEmpty())
        return {};
    return checkFieldLine(text);
}

HeadVerdict checkRequestHead(QByteArrayView head)
{
    HeadVerdict v;
    int fields = 0;
    int lengths = 0;
    int hosts = 0;
    bool transferEncoding = false;
    bool connectionUpgrade = false;
    bool websocket = false;
    bool requestLine = true;
    qsizetype pos = 0;
    while (pos < head.size()) {
        const auto *start = head.data() + pos;
        const auto *lf = static_cast<const char *>(std::memchr(start, '\n', size_t(head.size() - pos)));
        if (!lf)
            break; // an incomplete line: checked once it is complete
        const QByteArrayView line(start, lf + 1 - start);
        pos += line.size();
        HeadVerdict lv = checkHeadLine(line, requestLine);
        if (!lv.ok())
            return lv;
        if (requestLine) {
            requestLine = false;
            v.method = lv.method;
            v.target = lv.target;
            continue;
        }
        const QByteArrayView text = line.chopped(2);
        if (text.isEmpty()) {
            v.complete = true;
            break;
        }
        if (++fields > HeadLimits::kMaxFields)
            return refuse(431, QStringLiteral("A request may carry at most %1 header fields").arg(HeadLimits::kMaxFields));
        const qsizetype colon = text.indexOf(':');
        const QByteArrayView name = text.first(colon);
        const QByteArrayView value = trimOws(text.sliced(colon + 1));
        if (equalsCi(name, "content-length")) {
            if (++lengths > 1)
                return refuse(400, QStringLiteral("A request may carry only one Content-Length"));
            if (value.isEmpty() || value.size() > HeadLimits::kMaxContentLengthDigits)
                return refuse(400, QStringLiteral("Invalid Content-Length"));
            qint64 n = 0;
            for (const char c : value) {
                if (c < '0' || c > '9')
                    return refuse(400, QStringLiteral("Invalid Content-Length"));
                n = n * 10 + (c - '0');
            }
            v.contentLength = n;
        } else if (equalsCi(name, "transfer-encoding")) {
            transferEncoding = true;
        } else if (equalsCi(name, "host")) {
            if (++hosts > 1)
                return refuse(400, QStringLiteral("A request may carry only one Host"));
            for (const char c : value) {
                if (!(isTchar(c) || c == ':' || c == '[' || c == ']'))
                    return refuse(400, QStringLiteral("Invalid Host"));
            }
        } else if (equalsCi(name, "expect")) {
            v.expectContinue = v.expectContinue || equalsCi(value, "100-continue");
        } else if (equalsCi(name, "connection")) {
            connectionUpgrade = connectionUpgrade || containsCi(value, "upgrade");
        } else if (equalsCi(name, "upgrade")) {
            websocket = websocket || containsCi(value, "websocket");
        }
    }
    if (!v.complete)
        return v;
    if (transferEncoding && lengths > 0)
        return refuse(400, QStringLiteral("A request may not carry both Content-Length and Transfer-Encoding"));
    if (transferEncoding)
        return refuse(411, QStringLiteral("Request bodies must declare a Content-Length (no Transfer-Encoding)"));
    if (connectionUpgrade && websocket)
        return refuse(400, QStringLiteral("Protocol upgrades are not supported"));
    return v;
}

QList<std::pair<QByteArray, QByteArray>> headerFields(QByteArrayView head)
{
    QList<std::pair<QByteArray, QByteArray>> out;
    qsizetype pos = head.indexOf('\n') + 1;
    if (pos <= 0)
        return out;
    while (pos < head.size()) {
        qsizetype end = head.indexOf('\n', pos);
        if (end < 0)
            end = head.size();
        QByteArrayView line = head.sliced(pos, end - pos);
        pos = end + 1;
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty())
            break;
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        out.append({line.first(colon).toByteArray().toLower(), trimOws(line.sliced(colon + 1)).toByteArray()});
    }
    return out;
}

} // namespace kyc::http
