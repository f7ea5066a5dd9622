#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QString>
#include <QUrl>

#include <memory>

namespace kyc::test {

struct FakeHttpRequest {
    QByteArray method;
    QByteArray target; // as sent: path and query
    QByteArray path; // without the query
    QList<std::pair<QByteArray, QByteArray>> headers;

    // The first header of that name (case-insensitive); empty when absent.
    [[nodiscard]] QByteArray header(QByteArrayView name) const;
    [[nodiscard]] bool hasHeader(QByteArrayView name) const;
};

// A small HTTP/1.1 server on 127.0.0.1 (a port the system picks) that runs on its own thread, so that
// a client blocking the test's thread is still answered. Each path serves content, with ETag and
// Last-Modified and 304 answers to matching conditional requests, or meets a fault on purpose: an
// error status, a dropped connection, a truncated body, garbage, a slow answer. Every request is
// recorded with its headers. One request per connection (Connection: close).
class FakeHttpServer final
{
public:
    FakeHttpServer();
    ~FakeHttpServer();
    FakeHttpServer(const FakeHttpServer &) = delete;
    FakeHttpServer &operator=(const FakeHttpServer &) = delete;

    [[nodiscard]] bool isListening() const;
    [[nodiscard]] quint16 port() const;
    // http://127.0.0.1:<port><path>
    [[nodiscard]] QUrl url(const QString &path) const;

    // Serves `body` at `path` (the query is ignored when matching) with 200. With an ETag, a request whose
    // If-None-Match names it gets 304; with a Last-Modified, one without If-None-Match whose
    // If-Modified-Since is not earlier gets 304.
    void serve(const QString &path, const QByteArray &body, const QByteArray &etag = {}, const QDateTime &lastModified = {});
    // The same with a file's bytes (read now); false when it cannot be read.
    bool serveFile(const QString &path, const QString &file, const QByteArray &etag = {}, const QDateTime &lastModified = {});
    void redirect(const QString &path, const QUrl &to, int status = 302);
    void remove(const QString &path);

    // The next `times` requests of `path` (times < 0: every one) meet a fault instead of the content. Faults
    // queue: the first one with requests left applies.
    void failWith(const QString &path, int status, int times = -1); // that status and a short body
    void dropConnection(const QString &path, int times = -1); // closed without a byte of answer
    void truncate(const QString &path, int times = -1); // the full Content-Length announced, half the body sent, closed
    void garbage(const QString &path, int times = -1); // 200 with random bytes (and a fresh ETag)
    void delay(const QString &path, int ms, int times = -1); // the normal answer, after `ms`
    void clearFaults(const QString &path = {});

    // Requests received, oldest first; only those of `path` when given.
    [[nodiscard]] QList<FakeHttpRequest> requests(const QString &path = {}) const;
    [[nodiscard]] int requestCount(const QString &path = {}) const;
    void clearRequests();

    // An HTTP date (RFC 7231 IMF-fixdate) and back.
    [[nodiscard]] static QByteArray httpDate(const QDateTime &t);
    [[nodiscard]] static QDateTime parseHttpDate(const QByteArray &text);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace kyc::test
