#pragma once

#include <QByteArray>
#include <QString>
#include <QUrl>

#include <atomic>
#include <expected>
#include <memory>

class QNetworkAccessManager;

namespace kyc::screening {

struct DownloadRequest {
    QUrl url;
    QString destination; // the file the body is written to
    QByteArray etag; // sent as If-None-Match when set
    QByteArray lastModified; // sent as If-Modified-Since when set
    qint64 maxBytes = 200LL * 1024 * 1024;
    int timeoutMs = 120'000; // with no data moving for this long the request is abandoned
};

struct Downloaded {
    bool notModified = false; // 304: nothing written
    qint64 bytes = 0;
    QByteArray etag; // the validators the server sent with a 200
    QByteArray lastModified;
    int requests = 0; // tries, retries included
};

struct DownloadFailure {
    QString message;
    bool transient = false; // worth another try: refused, reset, timed out, truncated, 5xx, 429
    bool interrupted = false; // stop() was called
    int requests = 0;
};

using DownloadResult = std::expected<Downloaded, DownloadFailure>;

// Fetches list files over HTTP(S) on the calling thread, which waits in a local event loop (so only ever
// from a worker thread, or from tests and the command line). Conditional GET, a size cap, Content-Length
// checked against the bytes received, redirects followed but never from https to http, "KYConnect/<version>"
// as the User-Agent, and transient failures retried with exponential back-off.
class ListDownloader final
{
public:
    ListDownloader(int attempts, int retryDelayMs, const std::atomic_bool &stop);
    ~ListDownloader();
    ListDownloader(const ListDownloader &) = delete;
    ListDownloader &operator=(const ListDownloader &) = delete;

    [[nodiscard]] DownloadResult fetch(const DownloadRequest &request);

private:
    [[nodiscard]] DownloadResult fetchOnce(const DownloadRequest &request);
    // Waits `ms`, or less when stop is requested; false when it was.
    bool pause(int ms);

    int m_attempts;
    int m_retryDelayMs;
    const std::atomic_bool &m_stop;
    std::unique_ptr<QNetworkAccessManager> m_nam;
};

} // namespace kyc::screening
