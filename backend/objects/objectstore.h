#pragma once

#include "backend/audit/auditlog.h"
#include "backend/core/actor.h"
#include "backend/core/clock.h"
#include "backend/core/result.h"
#include "backend/storage/database.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

namespace kyc::objects {

// A media type in one spelling: type, subtype, parameter names and the charset value lower-cased,
// quotes and whitespace around parameters dropped, parameters sorted by name. "Text/CSV ;
// Charset=\"UTF-8\"" and "text/csv;charset=utf-8" are the same type.
[[nodiscard]] QString normaliseMediaType(QStringView contentType);

// Whether `bytes` can be what `contentType` says, for the types the product works with (PDF, PNG,
// JPEG, XML, CSV and plain text, JSON); any other type is not sniffed and matches.
[[nodiscard]] bool bytesMatchType(QStringView contentType, QByteArrayView bytes);

// What a pre-signed URL allows: reading an object (GET) or writing it (PUT).
enum class Access { Read, Write };
[[nodiscard]] QString methodOf(Access access); // "GET" or "PUT"

inline const QString kReadScope = QStringLiteral("storage:read");
inline const QString kWriteScope = QStringLiteral("storage:write");

// One stored object of a firm.
struct StoredObject {
    QString firmId;
    QString key;
    QString contentType; // empty when the upload declared none
    qint64 size = 0;
    QString sha256; // lower-case hex of the bytes
    QString filePath; // absolute path of the bytes on this machine; read it, never write or move it
    QString createdBy; // actor id of the last upload
    QString createdAt; // ISO-8601 UTC of the last upload
};

struct ObjectData {
    StoredObject object;
    QByteArray bytes;
};

struct PresignRequest {
    QString key; // empty: a new key is generated (uploads only)
    Access access = Access::Write;
    QString contentType; // uploads only: the upload must then carry this media type (normaliseMediaType)
    qint64 expiresIn = 900; // seconds, 1..3600
};

struct PresignedUrl {
    QString url;
    QString key;
    Access access = Access::Write;
    QString contentType; // bound content type, if any
    QDateTime expiresAt;
};

// The parts of a pre-signed URL a request presents: the key from its path, the rest from its query.
struct SignedRequest {
    QString key;
    QString firmId; // firm=
    QString method; // method=
    QString expires; // expires= (unix seconds)
    QString contentType; // content_type=
    QString issuer; // by=
    QString signature; // signature= (hex HMAC-SHA256)
};

// A verified pre-signed URL: one access to one key, as the actor the URL was issued to. The actor
// carries exactly the right the URL grants, nothing of the issuer's other rights.
struct Grant {
    Actor actor;
    QString key;
    Access access = Access::Read;
    QString contentType; // for writes: the bound content type, else the request's own
};

struct ObjectStoreOptions {
    QString dataDir; // bytes live in <dataDir>/objects/<firm_id>/<random name>
    QString publicBaseUrl; // pre-signed URLs start with it, e.g. http://127.0.0.1:3000
    qint64 maxBytes = 64 * 1024 * 1024;
};

// Objects per firm (keys of letters, digits, '.', '_', '-'; no '/'), their bytes on local disk under
// names the store chooses, and HMAC-signed URLs that let a client upload or download one object
// without other credentials. Every upload is one transaction with its audit event.
class ObjectStore final
{
public:
    static constexpr qint64 kDefaultExpiresIn = 900;
    static constexpr qint64 kMaxExpiresIn = 3600;

    // `signingKey`: the instance's secret for URL signatures (Backend keeps it in keys/storage-hmac.key).
    ObjectStore(storage::Database &db, const Clock &clock, audit::AuditLog &audit, QByteArray signingKey,
                ObjectStoreOptions options);

    [[nodiscard]] static bool isValidKey(QStringView key);
    [[nodiscard]] static bool isValidContentType(QStringView contentType);
    [[nodiscard]] qint64 maxBytes() const { return m_options.maxBytes; }

    // A URL for one upload (≥ analyst, or an API key with storage:write) or one download (any role,
    // or an API key with storage:read) of a key of the actor's firm.
    [[nodiscard]] Result<PresignedUrl> presign(const Actor &actor, const PresignRequest &request);
    // Checks a pre-signed URL presented for `access`: signature (in constant time), method, expiry
    // and, for uploads, the bound content type against `requestContentType`. Any problem is
    // Forbidden and says as little as it must.
    [[nodiscard]] Result<Grant> verify(const SignedRequest &request, Access access, const QString &requestContentType,
                                       const QString &ip);

    // Stores (or replaces) an object of the actor's firm: ≥ analyst, or storage:write. Over the
    // size limit is PayloadTooLarge, bytes that are not what the content type says (for the types
    // bytesMatchType knows) UnsupportedMediaType; either stores nothing.
    [[nodiscard]] Result<StoredObject> put(const Actor &actor, const QString &key, const QByteArray &bytes,
                                           const QString &contentType);
    // An object of the actor's firm with its bytes, checked against the stored SHA-256: any role,
    // or storage:read.
    [[nodiscard]] Result<ObjectData> read(const Actor &actor, const QString &key);
    // An object's metadata and local file, for other modules that have checked their own permission
    // (e.g. importing an uploaded list file by its storage key). NotFound across firms.
    [[nodiscard]] Result<StoredObject> object(const QString &firmId, const QString &key);

private:
    [[nodiscard]] QByteArray sign(const QString &firmId, const QString &method, const QString &key, const QString &expires,
                                  const QString &contentType, const QString &issuer) const;
    [[nodiscard]] Result<QString> writeFile(const QString &firmId, const QByteArray &bytes);
    [[nodiscard]] QString absolutePath(const QString &relative) const;

    storage::Database &m_db;
    const Clock &m_clock;
    audit::AuditLog &m_audit;
    QByteArray m_key;
    ObjectStoreOptions m_options;
};

} // namespace kyc::objects
