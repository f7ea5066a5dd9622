#include "tests/testsupport/fakehttpserver.h"

#include <QFile>
#include <QHash>
#include <QHostAddress>
#include <QLocale>
#include <QMutex>
#include <QPointer>
#include <QRandomGenerator>
#include <QSemaphore>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimeZone>
#include <QTimer>

namespace kyc::test {

namespace {

enum class FaultKind { Status, Drop, Truncate, Garbage, Delay };

struct Fault {
    FaultKind kind = FaultKind::Status;
    int value = 0; // the status, or the delay in ms
    int remaining = -1; // < 0: forever
};

struct Route {
    QByteArray body;
    QByteArray etag;
    QDateTime lastModified;
    QUrl redirectTo;
    int redirectStatus = 0;
};

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

QByteArray head(int status, const QList<std::pair<QByteArray, QByteArray>> &headers, qint64 contentLength)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    for (const auto &[name, value] : headers)
        out += name + ": " + value + "\r\n";
    if (contentLength >= 0)
        out += "Content-Length: " + QByteArray::number(contentLength) + "\r\n";
    out += "Connection: close\r\n\r\n";
    return out;
}

} // namespace

QByteArray FakeHttpRequest::header(QByteArrayView name) const
{
    for (const auto &[n, v] : headers) {
        if (n.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    }
    return {};
}

bool FakeHttpRequest::hasHeader(QByteArrayView name) const
{
    for (const auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

struct FakeHttpServer::Impl {
    QThread thread;
    QObject *context = nullptr; // lives on `thread`; parent of the server and its sockets
    quint16 port = 0;

    mutable QMutex mutex; // guards the members below
    QHash<QString, Route> routes;
    QHash<QString, QList<Fault>> faults;
    QList<FakeHttpRequest> requests;
    int garbageCount = 0;

    void accept(QTcpServer *server);
    void handle(QTcpSocket *socket, const FakeHttpRequest &request);
    void answer(QTcpSocket *socket, const FakeHttpRequest &request);
};

void FakeHttpServer::Impl::accept(QTcpServer *server)
{
    while (QTcpSocket *socket = server->nextPendingConnection()) {
        auto buffer = std::make_shared<QByteArray>();
        QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket, buffer] {
            if (socket->property("answered").toBool())
                return; // one request per connection
            buffer->append(socket->readAll());
            const qsizetype end = buffer->indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const QList<QByteArray> lines = buffer->left(end).split('\n');
            *buffer = QByteArray();
            socket->setProperty("answered", true);
            FakeHttpRequest request;
            const QList<QByteArray> first = lines.value(0).trimmed().split(' ');
            request.method = first.value(0);
            request.target = first.value(1);
            request.path
                = request.target.left(request.target.indexOf('?') < 0 ? request.target.size() : request.target.indexOf('?'));
            for (qsizetype i = 1; i < lines.size(); ++i) {
                const QByteArray line = lines[i].trimmed();
                const qsizetype colon = line.indexOf(':');
                if (colon > 0)
                    request.headers.append({line.left(colon).trimmed(), line.mid(colon + 1).trimmed()});
            }
            handle(socket, request);
        });
    }
}

void FakeHttpServer::Impl::handle(QTcpSocket *socket, const FakeHttpRequest &request)
{
    const QString path = QString::fromUtf8(request.path);
    std::optional<Fault> fault;
    {
        QMutexLocker lock(&mutex);
        requests.append(request);
        auto it = faults.find(path);
        if (it != faults.end()) {
            for (auto &f : *it) {
                if (f.remaining == 0)
                    continue;
                if (f.remaining > 0)
                    --f.remaining;
                fault = f;
                break;
            }
        }
    }
    if (!fault)
        return answer(socket, request);
    switch (fault->kind) {
    case FaultKind::Status: {
        const QByteArray body = "fault injected by the test\n";
        socket->write(head(fault->value, {{"Content-Type", "text/plain"}}, body.size()) + body);
        socket->disconnectFromHost();
        return;
    }
    case FaultKind::Drop: socket->abort(); return;
    case FaultKind::Truncate: {
        QByteArray body;
        {
            QMutexLocker lock(&mutex);
            body = routes.value(path).body;
        }
        if (body.isEmpty())
            body = QByteArray(4096, 'x');
        socket->write(head(200, {{"Content-Type", "application/octet-stream"}}, body.size()) + body.left(body.size() / 2));
        socket->disconnectFromHost();
        return;
    }
    case FaultKind::Garbage: {
        int n = 0;
        {
            QMutexLocker lock(&mutex);
            n = ++garbageCount;
        }
        QByteArray body(8192, Qt::Uninitialized);
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(body.data()), body.size() / 4);
        socket->write(head(200,
                           {{"Content-Type", "application/octet-stream"}, {"ETag", "\"garbage-" + QByteArray::number(n) + '"'}},
                           body.size())
                      + body);
        socket->disconnectFromHost();
        return;
    }
    case FaultKind::Delay: {
        QPointer<QTcpSocket> guarded(socket);
        QTimer::singleShot(fault->value, socket, [this, guarded, request] {
            if (guarded && guarded->state() == QAbstractSocket::ConnectedState)
                answer(guarded, request);
        });
        return;
    }
    }
}

void FakeHttpServer::Impl::answer(QTcpSocket *socket, const FakeHttpRequest &request)
{
    std::optional<Route> route;
    {
        QMutexLocker lock(&mutex);
        auto it = routes.constFind(QString::fromUtf8(request.path));
        if (it != routes.cend())
            route = *it;
    }
    if (!route) {
        const QByteArray body = "not found\n";
        socket->write(head(404, {{"Content-Type", "text/plain"}}, body.size()) + body);
        socket->disconnectFromHost();
        return;
    }
    if (route->redirectStatus) {
        socket->write(head(route->redirectStatus, {{"Location", route->redirectTo.toEncoded()}}, 0));
        socket->disconnectFromHost();
        return;
    }
    QList<std::pair<QByteArray, QByteArray>> headers{{"Content-Type", "application/octet-stream"}};
    if (!route->etag.isEmpty())
        headers.append({"ETag", route->etag});
    if (route->lastModified.isValid())
        headers.append({"Last-Modified", httpDate(route->lastModified)});

    bool notModified = false;
    const QByteArray inm = request.header("If-None-Match");
    if (!inm.isEmpty()) {
        for (const QByteArray &tag : inm.split(','))
            notModified = notModified || (!route->etag.isEmpty() && (tag.trimmed() == route->etag || tag.trimmed() == "*"));
    } else if (const QByteArray ims = request.header("If-Modified-Since"); !ims.isEmpty() && route->lastModified.isValid()) {
        const QDateTime since = parseHttpDate(ims);
        notModified = since.isValid() && route->lastModified.toSecsSinceEpoch() <= since.toSecsSinceEpoch();
    }
    if (notModified)
        socket->write(head(304, headers, -1));
    else
        socket->write(head(200, headers, route->body.size()) + (request.method == "HEAD" ? QByteArray() : route->body));
    socket->disconnectFromHost();
}

FakeHttpServer::FakeHttpServer()
    : d(std::make_unique<Impl>())
{
    d->thread.setObjectName(QStringLiteral("fake-http"));
    d->context = new QObject;
    d->context->moveToThread(&d->thread);
    d->thread.start();
    QSemaphore ready;
    Impl *impl = d.get();
    QMetaObject::invokeMethod(
        d->context,
        [impl, &ready] {
            auto *server = new QTcpServer(impl->context);
            QObject::connect(server, &QTcpServer::newConnection, server, [impl, server] { impl->accept(server); });
            if (server->listen(QHostAddress::LocalHost, 0))
                impl->port = server->serverPort();
            ready.release();
        },
        Qt::QueuedConnection);
    ready.acquire();
}

FakeHttpServer::~FakeHttpServer()
{
    QSemaphore done;
    QObject *context = d->context;
    QMetaObject::invokeMethod(
        context,
        [context, &done] {
            delete context; // the server and its open sockets with it
            done.release();
        },
        Qt::QueuedConnection);
    done.acquire();
    d->thread.quit();
    d->thread.wait();
}

bool FakeHttpServer::isListening() const
{
    return d->port != 0;
}

quint16 FakeHttpServer::port() const
{
    return d->port;
}

QUrl FakeHttpServer::url(const QString &path) const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(d->port).arg(path));
}

void FakeHttpServer::serve(const QString &path, const QByteArray &body, const QByteArray &etag, const QDateTime &lastModified)
{
    QMutexLocker lock(&d->mutex);
    d->routes.insert(path, Route{body, etag, lastModified, {}, 0});
}

bool FakeHttpServer::serveFile(const QString &path, const QString &file, const QByteArray &etag, const QDateTime &lastModified)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return false;
    serve(path, f.readAll(), etag, lastModified);
    return true;
}

void FakeHttpServer::redirect(const QString &path, const QUrl &to, int status)
{
    QMutexLocker lock(&d->mutex);
    d->routes.insert(path, Route{{}, {}, {}, to, status});
}

void FakeHttpServer::remove(const QString &path)
{
    QMutexLocker lock(&d->mutex);
    d->routes.remove(path);
}

void FakeHttpServer::failWith(const QString &path, int status, int times)
{
    QMutexLocker lock(&d->mutex);
    d->faults[path].append(Fault{FaultKind::Status, status, times});
}

void FakeHttpServer::dropConnection(const QString &path, int times)
{
    QMutexLocker lock(&d->mutex);
    d->faults[path].append(Fault{FaultKind::Drop, 0, times});
}

void FakeHttpServer::truncate(const QString &path, int times)
{
    QMutexLocker lock(&d->mutex);
    d->faults[path].append(Fault{FaultKind::Truncate, 0, times});
}

void FakeHttpServer::garbage(const QString &path, int times)
{
    QMutexLocker lock(&d->mutex);
    d->faults[path].append(Fault{FaultKind::Garbage, 0, times});
}

void FakeHttpServer::delay(const QString &path, int ms, int times)
{
    QMutexLocker lock(&d->mutex);
    d->faults[path].append(Fault{FaultKind::Delay, ms, times});
}

void FakeHttpServer::clearFaults(const QString &path)
{
    QMutexLocker lock(&d->mutex);
    if (path.isEmpty())
        d->faults.clear();
    else
        d->faults.remove(path);
}

QList<FakeHttpRequest> FakeHttpServer::requests(const QString &path) const
{
    QMutexLocker lock(&d->mutex);
    if (path.isEmpty())
        return d->requests;
    QList<FakeHttpRequest> out;
    for (const auto &r : d->requests) {
        if (QString::fromUtf8(r.path) == path)
            out << r;
    }
    return out;
}

int FakeHttpServer::requestCount(const QString &path) const
{
    return int(requests(path).size());
}

void FakeHttpServer::clearRequests()
{
    QMutexLocker lock(&d->mutex);
    d->requests.clear();
}

QByteArray FakeHttpServer::httpDate(const QDateTime &t)
{
    return QLocale::c().toString(t.toUTC(), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'")).toLatin1();
}

QDateTime FakeHttpServer::parseHttpDate(const QByteArray &text)
{
    QDateTime t = QLocale::c().toDateTime(QString::fromLatin1(text.trimmed()), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"));
    if (t.isValid())
        t.setTimeZone(QTimeZone::utc());
    return t;
}

} // namespace kyc::test
