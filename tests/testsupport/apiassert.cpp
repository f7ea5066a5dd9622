#include "tests/testsupport/apiassert.h"

#include "backend/http/apitypes.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSqlQuery>

namespace kyc::test {

QString errorMismatch(const HttpResult &r, int status)
{
    if (!r.ok)
        return QStringLiteral("no complete response");
    const QString body = QString::fromUtf8(r.body);
    if (r.status != status)
        return QStringLiteral("status %1, not %2: %3").arg(r.status).arg(status).arg(body);
    if (status < 400)
        return {};
    if (!r.headers.value("content-type").startsWith("application/json"))
        return QStringLiteral("content type %1").arg(QString::fromLatin1(r.headers.value("content-type")));
    const QJsonObject o = r.json();
    if (o.value(QStringLiteral("statusCode")).toInt() != status)
        return QStringLiteral("statusCode wrong: ") + body;
    if (o.value(QStringLiteral("error")).toString() != QString::fromLatin1(http::reasonPhrase(status)))
        return QStringLiteral("error wrong: ") + body;
    const QJsonValue m = o.value(QStringLiteral("message"));
    const bool good = status == 400 ? m.isArray() && !m.toArray().isEmpty() : m.isString() && !m.toString().isEmpty();
    if (!good)
        return QStringLiteral("message has the wrong shape: ") + body;
    if (body.contains(QStringLiteral("SELECT"), Qt::CaseInsensitive) || body.contains(QStringLiteral(".cpp")))
        return QStringLiteral("internals leak: ") + body;
    return {};
}

QString messages(const HttpResult &r)
{
    QStringList out;
    for (const auto &m : r.json().value(QStringLiteral("message")).toArray())
        out << m.toString();
    return out.join(QStringLiteral("; "));
}

qint64 count(storage::Database &db, const QString &sql, const QVariantList &binds)
{
    QSqlQuery q(db.connection());
    q.prepare(sql);
    for (const auto &b : binds)
        q.addBindValue(b);
    return q.exec() && q.next() ? q.value(0).toLongLong() : -1;
}

QString mailedToken(storage::Database &db, const QString &dataDir, const QString &to, const QString &kind)
{
    QSqlQuery q(db.connection());
    q.prepare(QStringLiteral("SELECT eml_file FROM mail_outbox WHERE to_address = ?")
              + (kind.isEmpty() ? QString() : QStringLiteral(" AND kind = ?")) + QStringLiteral(" ORDER BY rowid DESC LIMIT 1"));
    q.addBindValue(to);
    if (!kind.isEmpty())
        q.addBindValue(kind);
    if (!q.exec() || !q.next())
        return {};
    QFile eml(QDir(dataDir + QStringLiteral("/outbox")).filePath(q.value(0).toString()));
    if (!eml.open(QIODevice::ReadOnly))
        return {};
    static const QRegularExpression token(QStringLiteral("\\r?\\n\\r?\\n    (\\S+)\\r?\\n"));
    // quoted-printable: soft line breaks removed
    return token.match(QString::fromUtf8(eml.readAll().replace("=\r\n", ""))).captured(1);
}

} // namespace kyc::test
