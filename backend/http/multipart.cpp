#include "backend/http/multipart.h"

namespace kyc::http::multipart {

namespace {

Error bad(const QString &why)
{
    return Error::validation(QStringLiteral("body"), QStringLiteral("Malformed multipart/form-data body: %1").arg(why));
}

bool isBoundaryChar(char c)
{
    // RFC 2046 bchars.
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || QByteArrayView("'()+_,-./:=? ").contains(c);
}

bool isTokenChar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

QByteArray lower(QByteArrayView v)
{
    return v.toByteArray().toLower();
}

// Parameters of a header value after its first ';': name=token or name="quoted" (\" and \\ escapes).
// Returns false on a syntax error or a repeated parameter.
bool parseParams(QByteArrayView v, QList<std::pair<QByteArray, QByteArray>> &out)
{
    qsizetype i = 0;
    const qsizetype n = v.size();
    auto skipSpace = [&] {
        while (i < n && (v[i] == ' ' || v[i] == '\t'))
            ++i;
    };
    while (true) {
        skipSpace();
        if (i == n)
            return true;
        if (v[i] != ';')
            return false;
        ++i;
        skipSpace();
        const qsizetype start = i;
        while (i < n && isTokenChar(v[i]))
            ++i;
        if (i == start || i == n || v[i] != '=')
            return false;
        const QByteArray name = lower(v.sliced(start, i - start));
        ++i;
        QByteArray value;
        if (i < n && v[i] == '"') {
            ++i;
            bool closed = false;
            while (i < n) {
                const char c = v[i++];
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\') {
                    if (i == n)
                        return false;
                    value += v[i++];
                } else if (c == '\r' || c == '\n' || c == '\0') {
                    return false;
                } else {
                    value += c;
                }
            }
            if (!closed)
                return false;
        } else {
            const qsizetype vs = i;
            while (i < n && isTokenChar(v[i]))
                ++i;
            if (i == vs)
                return false;
            value = v.sliced(vs, i - vs).toByteArray();
        }
        for (const auto &p : out) {
            if (p.first == name)
                return false;
        }
        out.append({name, value});
    }
}

} // namespace

Result<QByteArray> boundaryOf(QByteArrayView contentType)
{
    const qsizetype semi = contentType.indexOf(';');
    const QByteArray type = lower(contentType.first(semi < 0 ? contentType.size() : semi)).trimmed();
    if (type != "multipart/form-data")
        return fail(bad(QStringLiteral("the Content-Type is not multipart/form-data")));
    QList<std::pair<QByteArray, QByteArray>> params;
    if (semi < 0 || !parseParams(contentType.sliced(semi), params))
        return fail(bad(QStringLiteral("the Content-Type's parameters do not parse")));
    QByteArray boundary;
    for (const auto &[k, v] : params) {
        if (k == "boundary")
            boundary = v;
    }
    if (boundary.isEmpty() || boundary.size() > 70 || boundary.endsWith(' '))
        return fail(bad(QStringLiteral("the boundary must be 1 to 70 characters, not ending in a space")));
    for (const char c : boundary) {
        if (!isBoundaryChar(c))
            return fail(bad(QStringLiteral("the boundary holds a character RFC 2046 does not allow")));
    }
    return boundary;
}

Result<Form> parse(QByteArrayView contentType, QByteArrayView body, const Limits &limits)
{
    auto boundary = boundaryOf(contentType);
    if (!boundary)
        return fail(boundary.error());
    if (body.size() > limits.maxBodyBytes)
        return fail(bad(QStringLiteral("the body is larger than %1 bytes").arg(limits.maxBodyBytes)));
    const QByteArray dashBoundary = "--" + *boundary;
    const QByteArray delimiter = "\r\n" + dashBoundary;
    if (!body.startsWith(dashBoundary))
        return fail(bad(QStringLiteral("the body must start with the boundary")));
    qsizetype pos = dashBoundary.size();
    Form form;
    while (true) {
        // After a boundary: "--" closes the body, CRLF opens a part.
        if (body.sliced(pos).startsWith("--")) {
            pos += 2;
            const QByteArrayView rest = body.sliced(pos);
            if (!rest.isEmpty() && rest != "\r\n")
                return fail(bad(QStringLiteral("data after the closing boundary")));
            break;
        }
        if (!body.sliced(pos).startsWith("\r\n"))
            return fail(bad(QStringLiteral("a boundary must be followed by CRLF or --")));
        pos += 2;
        if (form.parts.size() >= limits.maxParts)
            return fail(bad(QStringLiteral("more than %1 parts").arg(limits.maxParts)));
        // The part's header section ends at the first empty line.
        if (body.sliced(pos).startsWith("\r\n"))
            return fail(bad(QStringLiteral("a part has no Content-Disposition")));
        const qsizetype headerEnd = body.indexOf("\r\n\r\n", pos);
        if (headerEnd < 0)
            return fail(bad(QStringLiteral("a part's headers do not end")));
        if (headerEnd - pos > limits.maxHeaderBytes)
            return fail(bad(QStringLiteral("a part's headers are longer than %1 bytes").arg(limits.maxHeaderBytes)));
        const QByteArray headers = body.sliced(pos, headerEnd - pos).toByteArray();
        Part part;
        bool disposition = false, typeSeen = false;
        int lines = 0;
        for (const QByteArray &line : headers.split('\n')) {
            // Lines were split on LF: each but the last must have ended in CR (CRLF), and none may hold another CR.
            QByteArrayView l = line;
            if (lines < int(headers.count('\n'))) {
                if (!l.endsWith('\r'))
                    return fail(bad(QStringLiteral("a part's header line ends in a bare LF")));
                l.chop(1);
            }
            if (++lines > limits.maxHeaderLines)
                return fail(bad(QStringLiteral("more than %1 header lines in a part").arg(limits.maxHeaderLines)));
            if (l.contains('\r') || l.contains('\0'))
                return fail(bad(QStringLiteral("a stray CR or NUL in a part's headers")));
            if (l.startsWith(' ') || l.startsWith('\t'))
                return fail(bad(QStringLiteral("folded header lines are not accepted")));
            const qsizetype colon = l.indexOf(':');
            if (colon <= 0)
                return fail(bad(QStringLiteral("a part's header line has no name")));
            for (const char c : l.first(colon)) {
                if (!isTokenChar(c))
                    return fail(bad(QStringLiteral("a part's header name holds a character outside the token set")));
            }
            const QByteArray name = lower(l.first(colon));
            const QByteArrayView value = QByteArrayView(l.sliced(colon + 1)).trimmed();
            if (name == "content-disposition") {
                if (disposition)
                    return fail(bad(QStringLiteral("a part has two Content-Disposition headers")));
                disposition = true;
                const qsizetype semi = value.indexOf(';');
                if (lower(value.first(semi < 0 ? value.size() : semi)).trimmed() != "form-data")
                    return fail(bad(QStringLiteral("a part's Content-Disposition must be form-data")));
                QList<std::pair<QByteArray, QByteArray>> params;
                if (semi < 0 || !parseParams(value.sliced(semi), params))
                    return fail(bad(QStringLiteral("a part's Content-Disposition parameters do not parse")));
                bool named = false;
                for (const auto &[k, v] : params) {
                    if (k == "name") {
                        named = true;
                        part.name = QString::fromUtf8(v);
                    } else if (k == "filename") {
                        part.fileName = QString::fromUtf8(v);
                        if (part.fileName.isNull())
                            part.fileName = QStringLiteral("");
                    } else {
                        return fail(bad(QStringLiteral("a part's Content-Disposition has an unknown parameter")));
                    }
                }
                if (!named || part.name.isEmpty() || part.name.size() > 100)
                    return fail(bad(QStringLiteral("every part needs a name of 1 to 100 characters")));
            } else if (name == "content-type") {
                if (typeSeen)
                    return fail(bad(QStringLiteral("a part has two Content-Type headers")));
                typeSeen = true;
                part.contentType = value.toByteArray();
            } else {
                return fail(bad(QStringLiteral("a part may carry only Content-Disposition and Content-Type")));
            }
        }
        if (!disposition)
            return fail(bad(QStringLiteral("a part has no Content-Disposition")));
        pos = headerEnd + 4;
        const qsizetype end = body.indexOf(delimiter, pos);
        if (end < 0)
            return fail(bad(QStringLiteral("the closing boundary is missing")));
        part.body = body.sliced(pos, end - pos).toByteArray();
        form.parts << part;
        pos = end + delimiter.size();
    }
    if (form.parts.isEmpty())
        return fail(bad(QStringLiteral("no part")));
    return form;
}

} // namespace kyc::http::multipart
