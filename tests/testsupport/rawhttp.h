#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMap>

namespace kyc::test {

struct HttpResult {
    bool ok = false; // a complete response arrived
    int status = 0;
    QMap<QByteArray, QByteArray> headers; // lower-case names
    QByteArray body;
    [[nodiscard]] QJsonObject json() const;
};

using Headers = QList<std::pair<QByteArray, QByteArray>>;

// A plain HTTP/1.1 client over a blocking socket, so tests control every byte sent.
[[nodiscard]] HttpResult request(quint16 port, const QByteArray &method, const QByteArray &path, const QByteArray &body = {},
                                 const Headers &headers = {}, int timeoutMs = 10000);
// Sends bytes as given and reads one response.
[[nodiscard]] HttpResult sendRaw(quint16 port, const QByteArray &raw, int timeoutMs = 10000);
// Reads one response from bytes already received; returns consumed length or -1 if incomplete.
[[nodiscard]] qsizetype parseResponse(const QByteArray &data, HttpResult &out);

} // namespace kyc::test
