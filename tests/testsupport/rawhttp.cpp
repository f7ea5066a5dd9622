#include "tests/testsupport/rawhttp.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QTcpSocket>

namespace kyc::test {

QJsonObject HttpResult::json() const
{
    return QJsonDocument::fromJson(body).object();
}

qsizetype parseResponse(const QByteArray &data, HttpResult &out)
{
    const qsizetype end = data.indexOf("\r\n\r\n");
    if (end < 0)
        return -1;
    const auto lines = data.left(end).split('\n');
    const auto statusLine = lines.value(0).split(' ');
    out.status = statusLine.value(1).toInt();
    out.headers.clear();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            out.headers.insert(line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed());
    }
    if (out.status == 100) { // interim answer: skip it
        HttpResult next;
        const qsizetype used = parseResponse(data.mid(end + 4), next);
        if (used < 0)
            return -1;
        out = next;
        return end + 4 + used;
    }
    const qint64 length = out.headers.value("content-length", "0").toLongLong();
    if (data.size() < end + 4 + length)
        return -1;
    out.body = data.mid(end + 4, length);
    out.ok = true;
    return end + 4 + length;
}

HttpResult sendRaw(quint16 port, const QByteArray &raw, int timeoutMs)
{
    HttpResult r;
    QTcpSocket s;
    s.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!s.waitForConnected(timeoutMs))
        return r;
    s.write(raw);
    QByteArray data;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        if (parseResponse(data, r) >= 0)
            return r;
        if (!s.waitForReadyRead(int(std::max<qint64>(1, timeoutMs - t.elapsed()))))
            break;
        data += s.readAll();
    }
    data += s.readAll();
    (void)parseResponse(data, r);
    return r;
}

HttpResult request(quint16 port, const QByteArray &method, const QByteArray &path, const QByteArray &body, const Headers &headers,
                   int timeoutMs)
{
    QByteArray raw = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    bool hasType = false;
    for (const auto &[k, v] : headers) {
        raw += k + ": " + v + "\r\n";
        hasType |= k.toLower() == "content-type";
    }
    if (!body.isEmpty() && !hasType)
        raw += "Content-Type: application/json\r\n";
    if (!body.isEmpty() || method == "POST" || method == "PUT" || method == "PATCH")
        raw += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    raw += "\r\n" + body;
    return sendRaw(port, raw, timeoutMs);
}

} // namespace kyc::test
