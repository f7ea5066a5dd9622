#include "backend/screening/listdownloader.h"

#include "backend/core/version.h"

#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>

namespace kyc::screening {

namespace {

constexpr int kPollMs = 100; // how quickly a wait notices stop()

bool transientNetworkError(QNetworkReply::NetworkError e)
{
    switch (e) {
    case QNetworkReply::ConnectionRefusedError:
    case QNetworkReply::RemoteHostClosedError:
    case QNetworkReply::HostNotFoundError:
    case QNetworkReply::TimeoutError:
    case QNetworkReply::OperationCanceledError: // the transfer timeout aborts this way
    case QNetworkReply::TemporaryNetworkFailureError:
    case QNetworkReply::NetworkSessionFailedError:
    case QNetworkReply::UnknownNetworkError:
    case QNetworkReply::ProxyConnectionRefusedError:
    case QNetworkReply::ProxyConnectionClosedError:
    case QNetworkReply::ProxyTimeoutError:
    case QNetworkReply::ProxyNotFoundError:
    case QNetworkReply::ProtocolFailure: // a malformed or cut-off answer
    case QNetworkReply::UnknownServerError:
    case QNetworkReply::InternalServerError:
    case QNetworkReply::ServiceUnavailableError: return true;
    default: return false;
    }
}

DownloadFailure failure(QString message, bool transient)
{
    DownloadFailure f;
    f.message = std::move(message);
    f.transient = transient;
    return f;
}

} // namespace

ListDownloader::ListDownloader(int attempts, int retryDelayMs, const std::atomic_bool &stop)
    : m_attempts(std::max(1, attempts))
    , m_retryDelayMs(std::max(0, retryDelayMs))
    , m_stop(stop)
    , m_nam(std::make_unique<QNetworkAccessManager>())
{
    // Redirects are followed (OFAC's legacy URLs redirect to its list service), but never from https to http.
    m_nam->setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
}

ListDownloader::~ListDownloader() = default;

bool ListDownloader::pause(int ms)
{
    if (m_stop.load())
        return false;
    if (ms <= 0)
        return true;
    QEventLoop loop;
    QTimer done;
    done.setSingleShot(true);
    QObject::connect(&done, &QTimer::timeout, &loop, &QEventLoop::quit);
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (m_stop.load())
            loop.quit();
    });
    done.start(ms);
    poll.start(kPollMs);
    loop.exec();
    return !m_stop.load();
}

DownloadResult ListDownloader::fetch(const DownloadRequest &request)
{
    int requests = 0;
    for (int attempt = 1;; ++attempt) {
        auto result = fetchOnce(request);
        ++requests;
        if (result) {
            result->requests = requests;
            return result;
        }
        result.error().requests = requests;
        if (!result.error().transient || result.error().interrupted || attempt >= m_attempts)
            return result;
        const qint64 delay = qint64(m_retryDelayMs) << std::min(attempt - 1, 16);
        if (!pause(int(std::min<qint64>(delay, 3'600'000)))) {
            DownloadFailure f = failure(QStringLiteral("interrupted"), false);
            f.interrupted = true;
            f.requests = requests;
            return std::unexpected(f);
        }
    }
}

DownloadResult ListDownloader::fetchOnce(const DownloadRequest &r)
{
    if (m_stop.load()) {
        DownloadFailure f = failure(QStringLiteral("interrupted"), false);
        f.interrupted = true;
        return std::unexpected(f);
    }
    QFile out(r.destination);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return std::unexpected(failure(QStringLiteral("cannot write %1: %2").arg(r.destination, out.errorString()), false));

    QNetworkRequest req(r.url);
    req.setHeader(QNetworkRequest::UserAgentHeader, QStringLiteral("KYConnect/%1").arg(version()));
    req.setMaximumRedirectsAllowed(5);
    req.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    req.setTransferTimeout(r.timeoutMs);
    if (!r.etag.isEmpty())
        req.setRawHeader("If-None-Match", r.etag);
    if (!r.lastModified.isEmpty())
        req.setRawHeader("If-Modified-Since", r.lastModified);

    QNetworkReply *reply = nullptr;
    qint64 received = 0;
    QString refused; // why we abandoned the answer ourselves
    bool stopped = false;
    auto abandon = [&](const QString &why) {
        if (refused.isEmpty())
            refused = why;
        reply->abort();
    };
    auto drain = [&] {
        if (!refused.isEmpty() || stopped || !reply->isOpen())
            return;
        const QByteArray chunk = reply->readAll();
        if (chunk.isEmpty())
            return;
        received += chunk.size();
        if (received > r.maxBytes)
            return abandon(QStringLiteral("larger than the %1-byte limit").arg(r.maxBytes));
        if (out.write(chunk) != chunk.size())
            return abandon(QStringLiteral("cannot write %1: %2").arg(r.destination, out.errorString()));
    };
    reply = m_nam->get(req);
    // Declared after everything its handlers use, so it goes first.
    const std::unique_ptr<QNetworkReply> owner(reply);
    QObject::connect(reply, &QNetworkReply::metaDataChanged, reply, [&] {
        const QVariant length = reply->header(QNetworkRequest::ContentLengthHeader);
        if (length.isValid() && length.toLongLong() > r.maxBytes)
            abandon(QStringLiteral("announces %1 bytes, more than the %2-byte limit").arg(length.toLongLong()).arg(r.maxBytes));
    });
    QObject::connect(reply, &QNetworkReply::readyRead, reply, drain);

    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (m_stop.load() && !stopped) {
            stopped = true;
            reply->abort();
        }
    });
    poll.start(kPollMs);
    if (!reply->isFinished())
        loop.exec();
    poll.stop();
    drain();
    out.close();

    if (stopped) {
        DownloadFailure f = failure(QStringLiteral("interrupted"), false);
        f.interrupted = true;
        return std::unexpected(f);
    }
    if (!refused.isEmpty())
        return std::unexpected(failure(refused, false));

    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QVariant length = reply->header(QNetworkRequest::ContentLengthHeader);
    const QByteArray encoding = reply->rawHeader("Content-Encoding").trimmed().toLower();
    // Qt drops Content-Length when it decompresses a body; only an uncompressed one can be compared.
    const bool lengthComparable = length.isValid() && (encoding.isEmpty() || encoding == "identity");
    const bool truncated = lengthComparable && status == 200 && received < length.toLongLong();

    if (reply->error() != QNetworkReply::NoError) {
        if (status >= 500 || status == 429 || status == 408)
            return std::unexpected(failure(QStringLiteral("HTTP %1 from %2").arg(status).arg(r.url.host()), true));
        if (status >= 400)
            return std::unexpected(failure(QStringLiteral("HTTP %1 from %2").arg(status).arg(r.url.host()), false));
        if (truncated)
            return std::unexpected(failure(QStringLiteral("truncated body: %1 of %2 bytes before the connection closed")
                                               .arg(received)
                                               .arg(length.toLongLong()),
                                           true));
        if (reply->error() == QNetworkReply::OperationCanceledError || reply->error() == QNetworkReply::TimeoutError)
            return std::unexpected(
                failure(QStringLiteral("%1: timed out (no data for %2 s)").arg(r.url.host()).arg(r.timeoutMs / 1000.0), true));
        return std::unexpected(
            failure(QStringLiteral("%1: %2").arg(r.url.host(), reply->errorString()), transientNetworkError(reply->error())));
    }
    if (status == 304) {
        Downloaded d;
        d.notModified = true;
        return d;
    }
    if (status != 200)
        return std::unexpected(failure(QStringLiteral("unexpected HTTP %1 from %2").arg(status).arg(r.url.host()), false));
    // Qt does not always report a connection closed before the announced length as an error.
    if (truncated)
        return std::unexpected(
            failure(QStringLiteral("truncated body: %1 of %2 bytes").arg(received).arg(length.toLongLong()), true));
    if (lengthComparable && received != length.toLongLong())
        return std::unexpected(failure(
            QStringLiteral("body of %1 bytes where Content-Length says %2").arg(received).arg(length.toLongLong()), true));
    if (received == 0)
        return std::unexpected(failure(QStringLiteral("empty body from %1").arg(r.url.host()), false));
    Downloaded d;
    d.bytes = received;
    d.etag = reply->rawHeader("ETag");
    d.lastModified = reply->rawHeader("Last-Modified");
    return d;
}

} // namespace kyc::screening
