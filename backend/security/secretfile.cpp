#include "backend/security/secretfile.h"

#include "backend/security/crypto.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <sys/stat.h>

namespace kyc::crypto {

Result<QByteArray> loadOrCreateSecret(const QString &path, qsizetype size)
{
    QFile f(path);
    if (f.exists()) {
        if (!f.open(QIODevice::ReadOnly))
            return fail(Error::internal(QStringLiteral("cannot read secret file %1").arg(path)));
        const QByteArray secret = f.readAll();
        if (secret.size() != size)
            return fail(Error::internal(QStringLiteral("secret file %1 has the wrong size").arg(path)));
        ::chmod(QFile::encodeName(path).constData(), 0600);
        return secret;
    }
    auto secret = randomBytes(size);
    if (!secret)
        return secret;
    const QString dir = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(dir))
        return fail(Error::internal(QStringLiteral("cannot create %1").arg(dir)));
    ::chmod(QFile::encodeName(dir).constData(), 0700);
    const mode_t old = ::umask(0077);
    QSaveFile out(path);
    const bool written = out.open(QIODevice::WriteOnly) && out.write(*secret) == size && out.commit();
    ::umask(old);
    if (!written)
        return fail(Error::internal(QStringLiteral("cannot write secret file %1").arg(path)));
    ::chmod(QFile::encodeName(path).constData(), 0600);
    return secret;
}

} // namespace kyc::crypto
