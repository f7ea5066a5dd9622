#include "backend/objects/objectstore.h"

#include "backend/core/ids.h"
#include "backend/security/crypto.h"

#include <QDir>
#include <QFile>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSqlQuery>
#include <QUrl>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcObjects, "kyc.objects")

namespace kyc::objects {

namespace {

const QString kKeyRule = QStringLiteral(
    "key must be 1 to 255 characters of letters, digits, '.', '_' and '-', starting with a letter or digit (no '/')");
const QString kContentTypeRule
    = QStringLiteral("content_type must be a media type such as application/pdf (printable ASCII, at most 255 characters)");
const QString kInvalidUrl = QStringLiteral("The pre-signed URL is invalid");

QString issuerOf(const Actor &actor)
{
    switch (actor.kind) {
    case Actor::Kind::User: return QStringLiteral("user:") + actor.userId;
    case Actor::Kind::ApiKey: return QStringLiteral("api_key:") + actor.apiKeyId;
    case Actor::Kind::System: return QStringLiteral("system");
    case Actor::Kind::Anonymous: break;
    }
    return {};
}

// The actor a URL was issued to, holding only the right the URL grants.
std::optional<Actor> actorFromIssuer(const QString &issuer, const QString &firmId, Access access, const QString &ip)
{
    Actor a;
    if (issuer == QStringLiteral("system")) {
        a = Actor::system(firmId);
    } else if (issuer.startsWith(QStringLiteral("user:")) && isValidId(QStringView(issuer).mid(5))) {
        a.kind = Actor::Kind::User;
        a.userId = issuer.mid(5);
        a.role = access == Access::Write ? Role::Analyst : Role::Viewer;
    } else if (issuer.startsWith(QStringLiteral("api_key:")) && isValidId(QStringView(issuer).mid(8))) {
        a.kind = Actor::Kind::ApiKey;
        a.apiKeyId = issuer.mid(8);
        a.scopes = {access == Access::Write ? kWriteScope : kReadScope};
    } else {
        return std::nullopt;
    }
    a.firmId = firmId;
    a.ip = ip;
    return a;
}

// Uploads: a member of at least the analyst role, or a key with storage:write. Downloads: any
// member, or a key with storage:read.
Status mayAccess(const Actor &actor, Access access)
{
    switch (actor.kind) {
    case Actor::Kind::System: return {};
    case Actor::Kind::Anonymous: return fail(ErrorCode::Unauthenticated, QStringLiteral("Authentication required"));
    case Actor::Kind::ApiKey: {
        const QString scope = access == Access::Write ? kWriteScope : kReadScope;
        if (actor.hasScope(scope))
            return {};
        return fail(ErrorCode::Forbidden, QStringLiteral("The API key lacks the %1 scope").arg(scope));
    }
    case Actor::Kind::User:
        if (access == Access::Write && !actor.atLeast(Role::Analyst))
            return fail(ErrorCode::Forbidden, QStringLiteral("Uploading objects requires the analyst role or a stronger one"));
        return {};
    }
    return fail(ErrorCode::Forbidden, QStringLiteral("Not allowed"));
}

Status firmOf(const Actor &actor)
{
    if (!isValidId(actor.firmId))
        return fail(ErrorCode::Forbidden, QStringLiteral("Objects belong to a firm; this caller has none"));
    return {};
}

bool isHex64(QStringView s)
{
    if (s.size() != 64)
        return false;
    for (const QChar c : s) {
        if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f') || (c >= u'A' && c <= u'F')))
            return false;
    }
    return true;
}

// The failure of a file system call, with errno's reason, for the log.
Error ioError(const char *what, const QByteArray &path)
{
    return Error::internal(QStringLiteral("cannot %1 %2: %3")
                               .arg(QLatin1String(what), QFile::decodeName(path), QString::fromLocal8Bit(strerror(errno))));
}

Status writeAll(int fd, const QByteArray &bytes)
{
    qsizetype done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.constData() + done, size_t(bytes.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail(ioError("write", "object bytes"));
        done += n;
    }
    return {};
}

void syncDirectory(const QString &dir)
{
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

} // namespace

QString normaliseMediaType(QStringView contentType)
{
    const auto parts = contentType.split(u';');
    QString out = parts.value(0).trimmed().toString().toLower();
    QStringList params;
    for (qsizetype i = 1; i < parts.size(); ++i) {
        const QStringView p = parts[i].trimmed();
        if (p.isEmpty())
            continue;
        const qsizetype eq = p.indexOf(u'=');
        const QString name = (eq < 0 ? p : p.first(eq)).trimmed().toString().toLower();
        QString value = eq < 0 ? QString() : p.sliced(eq + 1).trimmed().toString();
        if (value.size() >= 2 && value.startsWith(u'"') && value.endsWith(u'"'))
            value = value.mid(1, value.size() - 2);
        if (name == QStringLiteral("charset"))
            value = value.toLower();
        params << name + u'=' + value;
    }
    params.sort();
    for (const QString &p : params)
        out += u';' + p;
    return out;
}

namespace {

QByteArrayView afterBomAndSpace(QByteArrayView b)
{
    if (b.startsWith("\xEF\xBB\xBF"))
        b = b.sliced(3);
    while (!b.isEmpty() && (b.front() == ' ' || b.front() == '\t' || b.front() == '\r' || b.front() == '\n'))
        b = b.sliced(1);
    return b;
}

// Text: no NUL byte, and hardly any other control byte (form feeds and the like do occur).
bool looksLikeText(QByteArrayView b)
{
    qsizetype controls = 0;
    for (const char c : b) {
        const auto u = static_cast<unsigned char>(c);
        if (u == 0)
            return false;
        if ((u < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || u == 0x7f)
            ++controls;
    }
    return controls * 100 <= b.size();
}

} // namespace

bool bytesMatchType(QStringView contentType, QByteArrayView bytes)
{
    const QString type = normaliseMediaType(contentType).section(u';', 0, 0);
    if (type == QStringLiteral("application/pdf"))
        return bytes.first(std::min<qsizetype>(bytes.size(), 1024)).indexOf("%PDF-") >= 0;
    if (type == QStringLiteral("image/png"))
        return bytes.startsWith("\x89PNG\r\n\x1a\n");
    if (type == QStringLiteral("image/jpeg") || type == QStringLiteral("image/jpg") || type == QStringLiteral("image/pjpeg"))
        return bytes.startsWith("\xFF\xD8\xFF");
    if (type == QStringLiteral("application/xml") || type == QStringLiteral("text/xml") || type.endsWith(QStringLiteral("+xml")))
        return afterBomAndSpace(bytes).startsWith('<') && looksLikeText(bytes);
    if (type == QStringLiteral("application/json") || type.endsWith(QStringLiteral("+json"))) {
        const QByteArrayView b = afterBomAndSpace(bytes);
        return (b.startsWith('{') || b.startsWith('[')) && looksLikeText(bytes);
    }
    if (type == QStringLiteral("text/csv") || type == QStringLiteral("text/plain")
        || type == QStringLiteral("text/tab-separated-values"))
        return looksLikeText(bytes);
    return true;
}

QString methodOf(Access access)
{
    return access == Access::Write ? QStringLiteral("PUT") : QStringLiteral("GET");
}

ObjectStore::ObjectStore(storage::Database &db, const Clock &clock, audit::AuditLog &audit, QByteArray signingKey,
                         ObjectStoreOptions options)
    : m_db(db)
    , m_clock(clock)
    , m_audit(audit)
    , m_key(std::move(signingKey))
    , m_options(std::move(options))
{
    while (m_options.publicBaseUrl.endsWith(u'/'))
        m_options.publicBaseUrl.chop(1);
}

bool ObjectStore::isValidKey(QStringView key)
{
    if (key.isEmpty() || key.size() > 255)
        return false;
    for (qsizetype i = 0; i < key.size(); ++i) {
        const QChar c = key[i];
        const bool alnum = (c >= u'A' && c <= u'Z') || (c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9');
        if (!alnum && (i == 0 || (c != u'.' && c != u'_' && c != u'-')))
            return false;
    }
    return true;
}

bool ObjectStore::isValidContentType(QStringView contentType)
{
    // type/subtype, then parameters; printable ASCII only, so it can go back out as a header.
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(?:\\s*;[\\x20-\\x7e]*)?$"));
    return !contentType.isEmpty() && contentType.size() <= 255 && re.match(contentType).hasMatch();
}

QByteArray ObjectStore::sign(const QString &firmId, const QString &method, const QString &key, const QString &expires,
                             const QString &contentType, const QString &issuer) const
{
    // Length-prefixed fields: no value can be shifted into its neighbour.
    QByteArray message = "kyconnect-storage-url-v1\n";
    for (const QString &field : {firmId, method, key, expires, contentType, issuer}) {
        const QByteArray utf8 = field.toUtf8();
        message += QByteArray::number(utf8.size()) + ':' + utf8 + '\n';
    }
    return crypto::hmacSha256(m_key, message);
}

Result<PresignedUrl> ObjectStore::presign(const Actor &actor, const PresignRequest &request)
{
    if (actor.kind == Actor::Kind::Anonymous)
        return fail(ErrorCode::Unauthenticated, QStringLiteral("Authentication required"));
    QList<FieldError> errors;
    if (request.key.isEmpty() && request.access == Access::Read)
        errors << FieldError{QStringLiteral("key"), QStringLiteral("key is required to download")};
    else if (!request.key.isEmpty() && !isValidKey(request.key))
        errors << FieldError{QStringLiteral("key"), kKeyRule};
    if (!request.contentType.isEmpty()) {
        if (request.access == Access::Read)
            errors << FieldError{QStringLiteral("content_type"), QStringLiteral("content_type applies to uploads (PUT) only")};
        else if (!isValidContentType(request.contentType))
            errors << FieldError{QStringLiteral("content_type"), kContentTypeRule};
    }
    if (request.expiresIn < 1 || request.expiresIn > kMaxExpiresIn)
        errors << FieldError{QStringLiteral("expires_in"),
                             QStringLiteral("expires_in must be an integer from 1 to %1 seconds").arg(kMaxExpiresIn)};
    if (!errors.isEmpty())
        return fail(Error::validation(errors));
    if (auto s = mayAccess(actor, request.access); !s)
        return fail(s.error());
    if (auto s = firmOf(actor); !s)
        return fail(s.error());

    PresignedUrl out;
    out.access = request.access;
    out.key = request.key.isEmpty() ? newId() : request.key;
    out.contentType = request.contentType;
    const qint64 expires = m_clock.nowMs() / 1000 + request.expiresIn;
    out.expiresAt = QDateTime::fromSecsSinceEpoch(expires, Qt::UTC);
    const QString method = methodOf(request.access);
    const QString expiresText = QString::number(expires);
    const QString issuer = issuerOf(actor);
    const QByteArray signature = sign(actor.firmId, method, out.key, expiresText, out.contentType, issuer).toHex();

    auto enc = [](const QString &s) { return QString::fromLatin1(QUrl::toPercentEncoding(s)); };
    out.url = m_options.publicBaseUrl + QStringLiteral("/api/v1/storage/objects/") + enc(out.key) + QStringLiteral("?firm=")
        + enc(actor.firmId) + QStringLiteral("&method=") + method + QStringLiteral("&expires=") + expiresText;
    if (!out.contentType.isEmpty())
        out.url += QStringLiteral("&content_type=") + enc(out.contentType);
    out.url += QStringLiteral("&by=") + enc(issuer) + QStringLiteral("&signature=") + QString::fromLatin1(signature);
    return out;
}

Result<Grant> ObjectStore::verify(const SignedRequest &request, Access access, const QString &requestContentType,
                                  const QString &ip)
{
    const QString method = methodOf(access);
    if (request.firmId.isEmpty() || request.method.isEmpty() || request.expires.isEmpty() || request.issuer.isEmpty()
        || request.signature.isEmpty())
        return fail(ErrorCode::Forbidden, QStringLiteral("A pre-signed URL is required (POST /storage/presign)"));
    if (request.method != method)
        return fail(ErrorCode::Forbidden, QStringLiteral("The pre-signed URL does not allow %1").arg(method));
    bool numeric = false;
    const qint64 expires = request.expires.toLongLong(&numeric);
    if (!numeric || !isHex64(request.signature) || !isValidKey(request.key) || !isValidId(request.firmId))
        return fail(ErrorCode::Forbidden, kInvalidUrl);
    const QByteArray expected
        = sign(request.firmId, request.method, request.key, request.expires, request.contentType, request.issuer);
    if (!crypto::constantTimeEquals(expected, QByteArray::fromHex(request.signature.toLatin1())))
        return fail(ErrorCode::Forbidden, kInvalidUrl);
    // Authentic from here on: the remaining answers may say what is wrong.
    if (m_clock.nowMs() > expires * 1000)
        return fail(ErrorCode::Forbidden, QStringLiteral("The pre-signed URL has expired"));
    auto actor = actorFromIssuer(request.issuer, request.firmId, access, ip);
    if (!actor)
        return fail(ErrorCode::Forbidden, kInvalidUrl);

    Grant g;
    g.actor = *actor;
    g.key = request.key;
    g.access = access;
    if (access == Access::Write) {
        const QString sent = requestContentType.trimmed();
        if (!request.contentType.isEmpty() && normaliseMediaType(sent) != normaliseMediaType(request.contentType))
            return fail(ErrorCode::Forbidden,
                        QStringLiteral("The pre-signed URL requires Content-Type: %1").arg(request.contentType));
        g.contentType = request.contentType.isEmpty() ? sent : request.contentType;
    }
    return g;
}

QString ObjectStore::absolutePath(const QString &relative) const
{
    return QDir(m_options.dataDir).absoluteFilePath(relative);
}

Result<QString> ObjectStore::writeFile(const QString &firmId, const QByteArray &bytes)
{
    // The names are the store's own: nothing of the client's key reaches the file system.
    const QString root = QDir(m_options.dataDir).filePath(QStringLiteral("objects"));
    const QString dir = root + u'/' + firmId;
    if (!QDir().mkpath(dir))
        return fail(Error::internal(QStringLiteral("cannot create %1").arg(dir)));
    ::chmod(QFile::encodeName(root).constData(), 0700);
    ::chmod(QFile::encodeName(dir).constData(), 0700);
    const QString name = newId();
    const QByteArray temp = QFile::encodeName(dir + QStringLiteral("/.upload-") + name);
    const QByteArray final = QFile::encodeName(dir + u'/' + name);

    const int fd = ::open(temp.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(ioError("create", temp));
    Status written = writeAll(fd, bytes);
    if (written && ::fsync(fd) != 0)
        written = fail(ioError("sync", temp));
    if (::close(fd) != 0 && written)
        written = fail(ioError("close", temp));
    if (written && ::rename(temp.constData(), final.constData()) != 0)
        written = fail(ioError("rename", temp));
    if (!written) {
        ::unlink(temp.constData());
        return fail(written.error());
    }
    syncDirectory(dir);
    return QStringLiteral("objects/%1/%2").arg(firmId, name);
}

Result<StoredObject> ObjectStore::put(const Actor &actor, const QString &key, const QByteArray &bytes,
                                      const QString &contentTypeIn)
{
    const QString contentType = contentTypeIn.trimmed();
    QList<FieldError> errors;
    if (!isValidKey(key))
        errors << FieldError{QStringLiteral("key"), kKeyRule};
    if (!contentType.isEmpty() && !isValidContentType(contentType))
        errors << FieldError{QStringLiteral("content_type"), kContentTypeRule};
    if (!errors.isEmpty())
        return fail(Error::validation(errors));
    if (auto s = mayAccess(actor, Access::Write); !s)
        return fail(s.error());
    if (auto s = firmOf(actor); !s)
        return fail(s.error());
    if (bytes.size() > m_options.maxBytes)
        return fail(ErrorCode::PayloadTooLarge,
                    QStringLiteral("The object exceeds the limit of %1 bytes").arg(m_options.maxBytes));
    if (!contentType.isEmpty() && !bytesMatchType(contentType, bytes))
        return fail(ErrorCode::UnsupportedMediaType,
                    QStringLiteral("The uploaded bytes are not %1").arg(normaliseMediaType(contentType).section(u';', 0, 0)));

    StoredObject o;
    o.firmId = actor.firmId;
    o.key = key;
    o.contentType = contentType;
    o.size = bytes.size();
    o.sha256 = QString::fromLatin1(crypto::sha256Hex(bytes));
    o.createdBy = actor.actorId();
    o.createdAt = isoUtc(m_clock.now());

    auto file = writeFile(actor.firmId, bytes);
    if (!file)
        return fail(file.error());
    o.filePath = absolutePath(*file);
    bool committed = false;
    // Whatever fails from here leaves no orphan behind.
    const auto discard = qScopeGuard([&] {
        if (!committed)
            QFile::remove(o.filePath);
    });

    storage::Transaction tx(m_db);
    if (auto s = tx.begin(); !s)
        return fail(s.error());
    QString previousFile, previousSha;
    {
        QSqlQuery q(m_db.connection());
        q.prepare(QStringLiteral("SELECT file, sha256 FROM storage_objects WHERE firm_id = ? AND object_key = ?"));
        q.addBindValue(o.firmId);
        q.addBindValue(o.key);
        if (auto s = storage::exec(q); !s)
            return fail(s.error());
        if (q.next()) {
            previousFile = q.value(0).toString();
            previousSha = q.value(1).toString();
        }
    }
    QSqlQuery up(m_db.connection());
    up.prepare(m_db.dialect().upsert(QStringLiteral("storage_objects"),
                                     {QStringLiteral("firm_id"), QStringLiteral("object_key"), QStringLiteral("content_type"),
                                      QStringLiteral("size"), QStringLiteral("sha256"), QStringLiteral("file"),
                                      QStringLiteral("created_by"), QStringLiteral("created_at")},
                                     {QStringLiteral("firm_id"), QStringLiteral("object_key")}));
    for (const QVariant &v :
         {QVariant(o.firmId), QVariant(o.key),
          o.contentType.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(o.contentType), QVariant(o.size),
          QVariant(o.sha256), QVariant(*file), QVariant(o.createdBy), QVariant(o.createdAt)})
        up.addBindValue(v);
    if (auto s = storage::exec(up); !s)
        return fail(s.error());
    auto event = m_audit.append({o.firmId, actor.actorType(), actor.actorId(), QStringLiteral("storage.object_uploaded"),
                                 QStringLiteral("storage_object"), o.key, actor.ip,
                                 QJsonObject{{QStringLiteral("key"), o.key},
                                             {QStringLiteral("size"), o.size},
                                             {QStringLiteral("sha256"), o.sha256},
                                             {QStringLiteral("content_type"),
                                              o.contentType.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(o.contentType)},
                                             {QStringLiteral("replaced_sha256"),
                                              previousSha.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(previousSha)}}});
    if (!event)
        return fail(event.error());
    if (auto s = tx.commit(); !s)
        return fail(s.error());
    committed = true;
    // The replaced bytes go only once the new row is durable (or, inside a caller's transaction,
    // once that one commits).
    if (!previousFile.isEmpty() && previousFile != *file) {
        const QString old = absolutePath(previousFile);
        m_db.afterCommit([old] { QFile::remove(old); });
    }
    return o;
}

Result<StoredObject> ObjectStore::object(const QString &firmId, const QString &key)
{
    if (!isValidId(firmId) || !isValidKey(key))
        return fail(ErrorCode::NotFound, QStringLiteral("Object not found"));
    QSqlQuery q(m_db.connection());
    q.prepare(QStringLiteral("SELECT content_type, size, sha256, file, created_by, created_at FROM storage_objects "
                             "WHERE firm_id = ? AND object_key = ?"));
    q.addBindValue(firmId);
    q.addBindValue(key);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    if (!q.next())
        return fail(ErrorCode::NotFound, QStringLiteral("Object not found"));
    StoredObject o;
    o.firmId = firmId;
    o.key = key;
    o.contentType = q.value(0).toString();
    o.size = q.value(1).toLongLong();
    o.sha256 = q.value(2).toString();
    const QString file = q.value(3).toString();
    o.createdBy = q.value(4).toString();
    o.createdAt = q.value(5).toString();
    if (!file.startsWith(QStringLiteral("objects/")) || file.contains(QStringLiteral("..")))
        return fail(Error::internal(QStringLiteral("storage object %1 of firm %2 names an unexpected file").arg(key, firmId)));
    o.filePath = absolutePath(file);
    return o;
}

Result<ObjectData> ObjectStore::read(const Actor &actor, const QString &key)
{
    if (auto s = mayAccess(actor, Access::Read); !s)
        return fail(s.error());
    if (auto s = firmOf(actor); !s)
        return fail(s.error());
    // A re-upload may remove the file between the lookup and the open: look up once more then.
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto o = object(actor.firmId, key);
        if (!o)
            return fail(o.error());
        QFile f(o->filePath);
        if (!f.open(QIODevice::ReadOnly))
            continue;
        ObjectData d{*o, f.readAll()};
        if (d.bytes.size() != o->size || QString::fromLatin1(crypto::sha256Hex(d.bytes)) != o->sha256) {
            qCCritical(lcObjects).noquote() << "storage object" << key << "of firm" << actor.firmId
                                            << "does not match its recorded size and SHA-256";
            return fail(Error::internal(QStringLiteral("the stored object failed its integrity check")));
        }
        return d;
    }
    return fail(Error::internal(QStringLiteral("the bytes of storage object %1 of firm %2 are missing").arg(key, actor.firmId)));
}

} // namespace kyc::objects
