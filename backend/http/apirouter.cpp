#include "backend/http/apirouter.h"

#include "backend/core/ids.h"
#include "backend/core/json.h"
#include "backend/http/guardedtcpserver.h"
#include "backend/http/requesthead.h"

#include <QElapsedTimer>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QPointer>
#include <QTcpSocket>
#include <QThread>
#include <QUrl>

#include <atomic>

Q_LOGGING_CATEGORY(lcAccess, "kyc.http.access")
Q_LOGGING_CATEGORY(lcRouter, "kyc.http")

namespace kyc::http {

struct ApiRouter::Compiled {
    Method method;
    QList<QString> segments; // empty string = parameter
    QList<QString> paramNames; // parallel to segments
    int literalCount = 0;
    AuthSpec auth;
    BodyKind body;
    Handler handler;
    Bucket bucket;
    Availability availability;
    Execution execution;
    qint64 bodyLimitBytes = 0;
    HeadCheck headCheck;
};

namespace {

std::optional<Method> parseMethod(QByteArrayView m)
{
    if (m == "GET")
        return Method::Get;
    if (m == "POST")
        return Method::Post;
    if (m == "PUT")
        return Method::Put;
    if (m == "PATCH")
        return Method::Patch;
    if (m == "DELETE")
        return Method::Delete;
    return std::nullopt;
}

QByteArray methodString(QHttpServerRequest::Method m)
{
    switch (m) {
    case QHttpServerRequest::Method::Get: return "GET";
    case QHttpServerRequest::Method::Post: return "POST";
    case QHttpServerRequest::Method::Put: return "PUT";
    case QHttpServerRequest::Method::Patch: return "PATCH";
    case QHttpServerRequest::Method::Delete: return "DELETE";
    case QHttpServerRequest::Method::Head: return "HEAD";
    case QHttpServerRequest::Method::Options: return "OPTIONS";
    case QHttpServerRequest::Method::Connect: return "CONNECT";
    case QHttpServerRequest::Method::Trace: return "TRACE";
    default: return "UNKNOWN";
    }
}

// Request ids: a random per-process prefix and a counter. Unique, cheap (no system call per
// request), and they say nothing about the request.
QString nextRequestId()
{
    static const QString prefix = newId().left(8);
    static std::atomic<quint64> counter{0};
    return prefix + u'-' + QString::number(counter.fetch_add(1) + 1);
}

bool isSafeRequestId(QByteArrayView id)
{
    if (id.isEmpty() || id.size() > 64)
        return false;
    for (const char c : id) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

QByteArray headerValue(const QList<std::pair<QByteArray, QByteArray>> &headers, QByteArrayView name)
{
    for (const auto &[k, v] : headers) {
        if (k == name)
            return v;
    }
    return {};
}

bool mediaTypeIs(const QByteArray &contentType, QByteArrayView type)
{
    const qsizetype semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.left(semi)).trimmed().compare(type, Qt::CaseInsensitive) == 0;
}

} // namespace

ApiRouter::ApiRouter(const Config &config, const Clock &clock, QObject *parent)
    : QAbstractHttpServer(parent)
    , m_config(config)
    , m_clock(clock)
    , m_limiter(clock)
{
    m_clockNs.start();
    m_workers.setMaxThreadCount(std::max(2, QThread::idealThreadCount()));
}

ApiRouter::~ApiRouter()
{
    // Workers post their answers back to this object: let them finish first.
    m_workers.waitForDone();
}

void ApiRouter::addController(Controller controller)
{
    for (const auto &r : controller.routes) {
        auto c = std::make_unique<Compiled>();
        c->method = r.method;
        c->auth = AuthSpec::parse(r.auth);
        if (c->auth.minRole.isEmpty() && c->auth.jwt && !c->auth.acceptsApiKey())
            c->auth.minRole = categoryMinRole(controller);
        c->body = r.body;
        c->handler = r.handler;
        c->availability = r.availability;
        c->execution = r.execution;
        c->bodyLimitBytes = r.bodyLimitBytes;
        c->headCheck = r.headCheck;
        for (const auto &seg : r.path.split(u'/', Qt::SkipEmptyParts)) {
            if (seg.startsWith(u':')) {
                c->segments << QString();
                c->paramNames << seg.mid(1);
            } else {
                c->segments << seg;
                c->paramNames << QString();
                ++c->literalCount;
            }
        }
        const QByteArray key = methodName(r.method) + ' ' + r.path.toLatin1();
        if (c->auth.signature)
            c->bucket = Bucket::Unlimited;
        else if (key == "POST /auth/login")
            c->bucket = Bucket::Login;
        else if (key == "POST /auth/forgot-password")
            c->bucket = Bucket::ForgotPassword;
        else if (key == "POST /onboarding/individual")
            c->bucket = Bucket::Onboarding;
        else
            c->bucket = Bucket::General;
        m_routes.push_back(std::move(c));
    }
    m_controllers << std::move(controller);
}

const ApiRouter::Compiled *ApiRouter::match(Method m, const QList<QString> &segments, QHash<QString, QString> &params,
                                            QList<QByteArray> &allowed) const
{
    // Among the patterns that fit the path, literal segments win over parameters, from the left.
    const Compiled *best = nullptr;
    auto better = [](const Compiled *a, const Compiled *b) {
        for (qsizetype i = 0; i < a->segments.size(); ++i) {
            const bool al = !a->segments[i].isEmpty(), bl = !b->segments[i].isEmpty();
            if (al != bl)
                return al;
        }
        return false;
    };
    for (const auto &r : m_routes) {
        if (r->segments.size() != segments.size())
            continue;
        bool fits = true;
        for (qsizetype i = 0; i < segments.size() && fits; ++i)
            fits = r->segments[i].isEmpty() ? !segments[i].isEmpty() : r->segments[i] == segments[i];
        if (!fits)
            continue;
        const QByteArray name = methodName(r->method);
        if (!allowed.contains(name))
            allowed << name;
        if (r->method == m && (!best || better(r.get(), best)))
            best = r.get();
    }
    if (best) {
        for (qsizetype i = 0; i < segments.size(); ++i) {
            if (!best->paramNames[i].isEmpty())
                params.insert(best->paramNames[i], segments[i]);
        }
    }
    return best;
}

ApiRouter::Prepared ApiRouter::prepare(const IncomingRequest &in)
{
    Prepared p;
    p.startedNs = m_clockNs.nsecsElapsed();
    p.method = in.method;
    p.path = in.encodedPath;
    ApiRequest &req = p.request;
    const QByteArray inboundId = headerValue(in.headers, "x-request-id");
    req.requestId = isSafeRequestId(inboundId) ? QString::fromLatin1(inboundId) : nextRequestId();
    req.ip = in.ip;
    req.headers = in.headers;
    req.body = in.body;
    req.query = QUrlQuery(QString::fromUtf8(in.encodedQuery));
    try {
        ApiResponse res = route(in, req, &p.route);
        if (!p.route)
            p.answer = std::move(res);
    } catch (...) {
        qCCritical(lcRouter).noquote() << "unhandled exception while routing" << in.method << "rid" << req.requestId;
        p.answer = ApiResponse::error(ErrorCode::Internal, QStringLiteral("Internal server error"));
        p.route = nullptr;
    }
    return p;
}

ApiResponse ApiRouter::run(const Prepared &p)
{
    if (p.answer)
        return *p.answer;
    try {
        return p.route->handler(p.request);
    } catch (const std::exception &e) {
        qCCritical(lcRouter).noquote() << "unhandled exception in" << p.method << p.request.path << "rid" << p.request.requestId
                                       << e.what();
    } catch (...) {
        qCCritical(lcRouter).noquote() << "unhandled exception in" << p.method << p.request.path << "rid" << p.request.requestId;
    }
    return ApiResponse::error(ErrorCode::Internal, QStringLiteral("Internal server error"));
}

ApiResponse ApiRouter::finish(const Prepared &p, ApiResponse res)
{
    if (res.status == 500) {
        // Whatever a service put in an internal error (paths, SQL, file names) goes to the log
        // only; the client gets a generic message and the request id to quote.
        const QJsonValue detail = QJsonDocument::fromJson(res.body).object().value(QStringLiteral("message"));
        qCCritical(lcRouter).noquote() << "internal error in" << QString::fromLatin1(p.method) << QString::fromUtf8(p.path)
                                       << "rid" << p.request.requestId << ":"
                                       << (detail.isString() ? detail.toString() : QString::fromUtf8(res.body.left(512)));
        res.body = QJsonDocument(QJsonObject{{QStringLiteral("statusCode"), 500},
                                             {QStringLiteral("message"),
                                              QStringLiteral("Internal server error (request id %1)").arg(p.request.requestId)},
                                             {QStringLiteral("error"), QStringLiteral("Internal Server Error")}})
                       .toJson(QJsonDocument::Compact);
        res.contentType = "application/json";
    }
    res.headers.append({"X-Request-Id", p.request.requestId.toLatin1()});
    // Only the path is logged: query strings can carry signatures, bodies and headers carry secrets.
    qCInfo(lcAccess).noquote() << QString::fromLatin1(p.method) << QString::fromUtf8(p.path) << res.status
                               << QString::number(double(m_clockNs.nsecsElapsed() - p.startedNs) / 1e6, 'f', 2)
            + QStringLiteral("ms")
                               << QStringLiteral("rid=") + p.request.requestId;
    emit requestServed(res.status);
    return res;
}

ApiResponse ApiRouter::dispatch(const IncomingRequest &in, QString *requestIdOut)
{
    const Prepared p = prepare(in);
    if (requestIdOut)
        *requestIdOut = p.request.requestId;
    return finish(p, run(p));
}

const ApiRouter::Compiled *ApiRouter::resolve(QByteArrayView method, QByteArrayView encodedPath, QHash<QString, QString> &params,
                                              QList<QByteArray> &allowed, QString *decodedPath) const
{
    QByteArrayView path = encodedPath;
    if (!path.startsWith(kBase) || (path.size() > kBase.size() && path[kBase.size()] != '/'))
        return nullptr;
    path = path.sliced(kBase.size());
    if (path.size() > 1 && path.endsWith('/'))
        path.chop(1); // one trailing slash names the same resource

    // Split before decoding, so that an encoded slash stays inside its segment.
    QList<QString> segments;
    for (const auto &seg : QByteArray::fromRawData(path.data(), path.size()).split('/')) {
        if (seg.isEmpty())
            continue;
        segments << (seg.contains('%') ? QUrl::fromPercentEncoding(seg) : QString::fromUtf8(seg));
    }
    if (decodedPath)
        *decodedPath = QStringLiteral("/") + segments.join(u'/');
    // HEAD is GET without the body.
    const auto m = method == "HEAD" ? std::optional<Method>(Method::Get) : parseMethod(method);
    const Compiled *r = match(m.value_or(Method::Get), segments, params, allowed);
    if (allowed.contains("GET"))
        allowed.insert(allowed.indexOf("GET") + 1, "HEAD");
    return m ? r : nullptr;
}

QHostAddress ApiRouter::clientAddress(const QHostAddress &peer, const QList<std::pair<QByteArray, QByteArray>> &headers) const
{
    if (m_proxies.isEmpty())
        return peer;
    QByteArray forwarded;
    for (const auto &[k, v] : headers) {
        if (k == "x-forwarded-for")
            forwarded += (forwarded.isEmpty() ? QByteArray() : QByteArray(",")) + v;
    }
    return m_proxies.clientOf(peer, forwarded);
}

qint64 ApiRouter::bodyLimitFor(QByteArrayView method, QByteArrayView encodedPath) const
{
    if (const qsizetype q = encodedPath.indexOf('?'); q >= 0)
        encodedPath = encodedPath.first(q);
    QHash<QString, QString> params;
    QList<QByteArray> allowed;
    const Compiled *r = resolve(method, encodedPath, params, allowed);
    return r && r->bodyLimitBytes > 0 ? r->bodyLimitBytes : m_config.bodyLimitBytes;
}

Admission ApiRouter::admit(const RequestHead &head)
{
    QByteArrayView path = head.target;
    QByteArrayView query;
    if (const qsizetype q = path.indexOf('?'); q >= 0) {
        query = path.sliced(q + 1);
        path = path.first(q);
    }
    QHash<QString, QString> params;
    QList<QByteArray> allowed;
    const Compiled *r = resolve(head.method, path, params, allowed);
    Admission a;
    a.bodyLimitBytes = r && r->bodyLimitBytes > 0 ? r->bodyLimitBytes : m_config.bodyLimitBytes;
    if (head.contentLength > a.bodyLimitBytes) {
        a.status = 413;
        a.message = QStringLiteral("Request body exceeds the limit of %1 bytes").arg(a.bodyLimitBytes);
        return a;
    }
    if (!r || r->availability != Availability::Available)
        return a;
    // A body larger than the general limit, admitted only by the route's own limit, needs the right to
    // send it, checked from the head: nobody makes the server buffer a large body anonymously.
    const bool needsCredentials = !r->auth.isPublic && !r->auth.signature && !r->auth.signedUrl;
    const bool large = head.contentLength > m_config.bodyLimitBytes;
    if (!r->headCheck && !(large && needsCredentials && m_authenticator))
        return a;
    ApiRequest req;
    req.method = r->method;
    req.params = params;
    req.query = QUrlQuery(QString::fromUtf8(query));
    req.headers = headerFields(head.head);
    req.ip = normaliseIp(clientAddress(head.peer, req.headers));
    req.actor.ip = req.ip;
    std::optional<ApiResponse> refusal;
    if (large && needsCredentials && m_authenticator) {
        Role minRole{};
        if (auto actor = m_authenticator->authenticate(req, r->auth, false); !actor)
            refusal = ApiResponse::error(actor.error());
        else if (!r->auth.minRole.isEmpty() && parseRole(r->auth.minRole, &minRole) && !actor->atLeast(minRole))
            refusal = ApiResponse::error(ErrorCode::Forbidden,
                                         QStringLiteral("This requires the %1 role or a stronger one").arg(r->auth.minRole));
        else
            req.actor = *actor;
    }
    try {
        if (!refusal && r->headCheck)
            refusal = r->headCheck(req);
    } catch (...) {
        qCCritical(lcRouter).noquote() << "unhandled exception in the head check of" << head.method.toByteArray();
        refusal = ApiResponse::error(ErrorCode::Internal, QStringLiteral("Internal server error"));
    }
    if (refusal) {
        a.status = refusal->status;
        const QJsonValue message = QJsonDocument::fromJson(refusal->body).object().value(QStringLiteral("message"));
        a.message = message.isString() ? message.toString() : QString::fromLatin1(reasonPhrase(refusal->status));
    }
    return a;
}

ApiResponse ApiRouter::route(const IncomingRequest &in, ApiRequest &req, const Compiled **handlerOut)
{
    *handlerOut = nullptr;
    QList<QByteArray> allowed;
    const Compiled *r = resolve(in.method, in.encodedPath, req.params, allowed, &req.path);
    const qint64 bodyLimit = r && r->bodyLimitBytes > 0 ? r->bodyLimitBytes : m_config.bodyLimitBytes;
    if (in.body.size() > bodyLimit)
        return ApiResponse::error(ErrorCode::PayloadTooLarge,
                                  QStringLiteral("Request body exceeds the limit of %1 bytes").arg(bodyLimit));

    const auto rateGeneral = [&]() -> std::optional<ApiResponse> {
        const auto d = m_limiter.hit(QStringLiteral("general"), m_config.generalRate, clientKey(req.ip));
        if (d.allowed)
            return std::nullopt;
        return ApiResponse::error(ErrorCode::RateLimited,
                                  QStringLiteral("Too many requests; retry after %1 seconds").arg(d.retryAfterSeconds))
            .withHeader("Retry-After", QByteArray::number(d.retryAfterSeconds));
    };
    auto notFound = [&] {
        if (auto limited = rateGeneral())
            return *limited;
        return ApiResponse::error(
            ErrorCode::NotFound,
            QStringLiteral("Cannot %1 %2").arg(QString::fromLatin1(in.method), QString::fromUtf8(in.encodedPath)));
    };
    if (allowed.isEmpty())
        return notFound();
    if (in.method == "OPTIONS") {
        auto res = ApiResponse::noContent();
        res.withHeader("Allow", allowed.join(", ") + ", OPTIONS");
        return res;
    }
    if (!r) {
        if (auto limited = rateGeneral())
            return *limited;
        auto res
            = ApiResponse::error(ErrorCode::MethodNotAllowed,
                                 QStringLiteral("Method %1 is not allowed on %2").arg(QString::fromLatin1(in.method), req.path));
        res.withHeader("Allow", allowed.join(", "));
        return res;
    }
    const std::optional<Method> method = r->method;
    req.method = *method;

    // Content type and JSON come before the rate limit only for the per-email bucket, which needs
    // the body; every other bucket is counted first.
    const QByteArray contentType = headerValue(in.headers, "content-type");
    const bool hasBody = !in.body.isEmpty();
    auto parseBody = [&]() -> std::optional<ApiResponse> {
        if (r->body == BodyKind::None || r->body == BodyKind::Raw)
            return std::nullopt;
        if (!hasBody) {
            req.json = QJsonObject();
            return std::nullopt;
        }
        if (r->body == BodyKind::JsonOrMultipart && mediaTypeIs(contentType, "multipart/form-data"))
            return std::nullopt;
        if (!mediaTypeIs(contentType, "application/json")) {
            return ApiResponse::error(ErrorCode::UnsupportedMediaType,
                                      r->body == BodyKind::JsonOrMultipart
                                          ? QStringLiteral("Content-Type must be application/json or multipart/form-data")
                                          : QStringLiteral("Content-Type must be application/json"));
        }
        // Held to json::JsonLimits (depth, string length, members), each named in the 400.
        const auto doc = json::parse(in.body);
        if (!doc)
            return ApiResponse::error(doc.error());
        if (!doc->isObject())
            return ApiResponse::error(ErrorCode::Validation, QStringLiteral("The request body must be a JSON object"));
        req.json = doc->object();
        return std::nullopt;
    };

    std::optional<RateLimiter::Decision> decision;
    switch (r->bucket) {
    case Bucket::Unlimited: break;
    case Bucket::General: decision = m_limiter.hit(QStringLiteral("general"), m_config.generalRate, clientKey(req.ip)); break;
    case Bucket::Login: decision = m_limiter.hit(QStringLiteral("login"), m_config.loginRate, clientKey(req.ip)); break;
    case Bucket::ForgotPassword:
        decision = m_limiter.hit(QStringLiteral("forgot-password"), m_config.forgotPasswordRate, clientKey(req.ip));
        break;
    case Bucket::Onboarding: {
        if (auto bad = parseBody())
            return *bad;
        const QString email = req.json.value(QStringLiteral("email")).toString().trimmed().toLower();
        decision = m_limiter.hit(QStringLiteral("onboarding"), m_config.onboardingRate,
                                 email.isEmpty() ? QStringLiteral("ip:") + clientKey(req.ip) : email);
        break;
    }
    }
    if (decision && !decision->allowed) {
        return ApiResponse::error(ErrorCode::RateLimited,
                                  QStringLiteral("Too many requests; retry after %1 seconds").arg(decision->retryAfterSeconds))
            .withHeader("Retry-After", QByteArray::number(decision->retryAfterSeconds));
    }
    req.actor.ip = req.ip;
    const bool needsCredentials = !r->auth.isPublic && !r->auth.signature && !r->auth.signedUrl;
    const bool mayCarryKey = r->auth.isPublic && r->auth.acceptsApiKey();
    if (m_authenticator && r->availability == Availability::Available && (needsCredentials || mayCarryKey)) {
        auto actor = m_authenticator->authenticate(req, r->auth, !needsCredentials);
        if (!actor)
            return ApiResponse::error(actor.error());
        req.actor = *actor;
        req.authenticated = actor->kind != Actor::Kind::System;
    }
    // The contract's order: authentication, then permission, then validation. The role an operation needs is
    // checked here as well as in its service, so that a caller without it learns nothing from the body's checks.
    // ("or self" exceptions are the service's to judge.)
    if (Role minRole{}; req.authenticated && !r->auth.minRole.isEmpty() && !r->auth.note.contains(QLatin1String("self"))
        && parseRole(r->auth.minRole, &minRole) && req.actor.kind == Actor::Kind::User && !req.actor.atLeast(minRole))
        return ApiResponse::error(ErrorCode::Forbidden,
                                  QStringLiteral("This requires the %1 role or a stronger one").arg(r->auth.minRole));
    if (r->bucket != Bucket::Onboarding) {
        if (auto bad = parseBody())
            return *bad;
    }
    *handlerOut = r;
    return {};
}

bool ApiRouter::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    if (socket->property(GuardedTcpServer::kRejectedProperty).toBool())
        return true; // the guard has answered and is closing this connection
    IncomingRequest in;
    in.method = methodString(request.method());
    const QUrl url = request.url();
    in.encodedPath = url.path(QUrl::FullyEncoded).toUtf8();
    in.encodedQuery = url.query(QUrl::FullyEncoded).toUtf8();
    auto it = m_outgoing.find(socket);
    if (it == m_outgoing.end()) {
        it = m_outgoing.insert(socket, Outgoing{});
        it->stash = HeaderStash::of(socket);
        it->guard = GuardedTcpServer::guardOf(socket);
        connect(socket, &QObject::destroyed, this, [this, socket] { m_outgoing.remove(socket); });
    }
    const quint64 sequence = it->nextSequence++;
    // `Connection: close` (or HTTP/1.0): this request is the connection's last; QHttpServer reads
    // no further, and anything pipelined behind it is dropped unanswered.
    if (const qint64 last = GuardedTcpServer::closingRequest(it->guard); last >= 0) {
        if (sequence > quint64(last))
            return true;
        if (sequence == quint64(last))
            stopReading(socket);
    }

    // The guard may have moved the header lines into this connection's stash: they come back here.
    in.headers = HeaderStash::restore(it->stash, request.headers());
    in.body = request.body();
    in.ip = normaliseIp(clientAddress(request.remoteAddress(), in.headers));
    const bool head = request.method() == QHttpServerRequest::Method::Head;

    Prepared p = prepare(in);
    if (p.answer || p.route->execution == Execution::Inline) {
        respond(socket, sequence, head, finish(p, run(p)));
        return true;
    }
    // Slow handlers run on the worker pool; the answer comes back to this thread, and to this
    // connection only if it is still open.
    QPointer<QTcpSocket> guard(socket);
    m_workers.start([this, p = std::move(p), guard, sequence, head]() mutable {
        ApiResponse res = run(p);
        QMetaObject::invokeMethod(
            this,
            [this, p = std::move(p), res = std::move(res), guard, sequence, head]() mutable {
                ApiResponse done = finish(p, std::move(res));
                if (guard)
                    respond(guard.data(), sequence, head, done);
            },
            Qt::QueuedConnection);
    });
    return true;
}

void ApiRouter::respond(QTcpSocket *socket, quint64 sequence, bool head, const ApiResponse &res)
{
    // One write per answer: the status line, the headers and the body in a single buffer.
    QByteArray out;
    out.reserve(256 + res.body.size());
    out += "HTTP/1.1 " + QByteArray::number(res.status) + ' ' + reasonPhrase(res.status) + "\r\n";
    if (!res.contentType.isEmpty())
        out += "Content-Type: " + res.contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(res.body.size()) + "\r\n";
    out += "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
    for (const auto &[k, v] : res.headers)
        out += k + ": " + v + "\r\n";
    auto it = m_outgoing.find(socket);
    if (it == m_outgoing.end())
        return;
    const qint64 last = GuardedTcpServer::closingRequest(it->guard);
    if (last >= 0 && sequence == quint64(last))
        out += "Connection: close\r\n";
    out += "\r\n";
    // A HEAD answer has the headers of the body it leaves out.
    if (!head)
        out += res.body;

    // Answers go out in the order of the requests; after the last one the connection closes.
    auto write = [&](const QByteArray &bytes) {
        socket->write(bytes);
        GuardedTcpServer::requestAnswered(it->guard);
        if (last >= 0 && it->nextToWrite == quint64(last))
            closeAfterAnswer(socket);
        ++it->nextToWrite;
    };
    if (sequence == it->nextToWrite && it->ready.empty()) {
        write(out);
        return;
    }
    it->ready.emplace(sequence, std::move(out));
    for (auto r = it->ready.begin(); r != it->ready.end() && r->first == it->nextToWrite; r = it->ready.erase(r))
        write(r->second);
}

void ApiRouter::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket)
{
    // handleRequest answers everything; this is only reached if that ever changes.
    auto responder = makeResponder(request, socket);
    const QByteArray body
        = QJsonDocument(errorBody(Error::make(ErrorCode::NotFound, QStringLiteral("Not found")))).toJson(QJsonDocument::Compact);
    responder.write(body, "application/json", QHttpServerResponder::StatusCode::NotFound);
}

} // namespace kyc::http
