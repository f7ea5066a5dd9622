#include "backend/http/route.h"

#include <QRegularExpression>

namespace kyc::http {

AuthSpec AuthSpec::parse(const QString &contractAuth)
{
    AuthSpec a;
    a.note = contractAuth;
    const QString s = contractAuth.trimmed();
    a.isPublic = s.startsWith(QStringLiteral("public"));
    a.jwt = s.startsWith(QStringLiteral("jwt"));
    a.signature = s == QStringLiteral("sig");
    a.signedUrl = s == QStringLiteral("signed URL");
    static const QRegularExpression scope(QStringLiteral("key:([a-z]+:[a-z]+)"));
    for (auto it = scope.globalMatch(s); it.hasNext();)
        a.keyScopes << it.next().captured(1);
    static const QRegularExpression role(QStringLiteral("jwt \\((?:≥ )?([a-z_]+)"));
    if (const auto m = role.match(s); m.hasMatch())
        a.minRole = m.captured(1);
    return a;
}

Handler notYetAvailable(const QString &capability)
{
    return [capability](const ApiRequest &) {
        return ApiResponse::error(ErrorCode::NotImplemented,
                                  QStringLiteral("%1 is not available in this build yet").arg(capability));
    };
}

QString categoryMinRole(const Controller &controller)
{
    static const QRegularExpression role(QStringLiteral("\\(role ≥ (\\w+)\\)"));
    return role.match(controller.description).captured(1);
}

} // namespace kyc::http
