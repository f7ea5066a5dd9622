#include "backend/http/controllers/controllers.h"

namespace kyc::http {

// Storage: pre-signed URLs.
// The capability has not landed yet: every operation is routed, documented and answers 501.
Controller makeStorageController()
{
    const Handler pending = notYetAvailable(QStringLiteral("Storage"));
    return Controller{
        QStringLiteral("Storage"),
        QStringLiteral("pre-signed URLs"),
        {
            {Method::Post, QStringLiteral("/storage/presign"),
             QStringLiteral("jwt | key:storage:write (upload) or key:storage:read (download)"), pending, BodyKind::Json,
             Availability::Pending}, // 91
            {Method::Put, QStringLiteral("/storage/objects/:key"), QStringLiteral("signed URL"), pending, BodyKind::Raw,
             Availability::Pending}, // 92
            {Method::Get, QStringLiteral("/storage/objects/:key"), QStringLiteral("signed URL"), pending, BodyKind::None,
             Availability::Pending}, // 93
        },
    };
}

} // namespace kyc::http
