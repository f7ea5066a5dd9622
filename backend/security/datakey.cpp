#include "backend/security/datakey.h"

#include "backend/security/aead.h"
#include "backend/security/crypto.h"
#include "backend/security/secretfile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSaveFile>

#ifdef KYC_HAVE_QTKEYCHAIN
#include <QEventLoop>
#include <QTimer>
#include <qt6keychain/keychain.h>
#endif

#include <sys/stat.h>

Q_LOGGING_CATEGORY(lcDataKey, "kyc.security.datakey")

namespace kyc::crypto {

namespace {

struct KeychainAnswer {
    bool ok = false;
    bool notFound = false;
    QString text;
    QString error;
};

#ifdef KYC_HAVE_QTKEYCHAIN
// Runs a QtKeychain job to its end on a local event loop, or gives up after the timeout (the job then
// finishes, and deletes itself, on its own).
KeychainAnswer runJob(QKeychain::Job *job, int timeoutMs)
{
    KeychainAnswer a;
    QEventLoop loop;
    bool finished = false;
    QObject::connect(job, &QKeychain::Job::finished, &loop, [&](QKeychain::Job *j) {
        finished = true;
        a.ok = j->error() == QKeychain::NoError;
        a.notFound = j->error() == QKeychain::EntryNotFound;
        a.error = j->errorString();
        if (auto *read = qobject_cast<QKeychain::ReadPasswordJob *>(j); read && a.ok)
            a.text = read->textData();
        loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    job->start();
    if (!finished)
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    if (!finished)
        a.error = QStringLiteral("the keychain did not answer within %1 ms").arg(timeoutMs);
    return a;
}
#endif

KeychainAnswer readKeychain(const QString &service, const QString &account, int timeoutMs)
{
#ifdef KYC_HAVE_QTKEYCHAIN
    auto *job = new QKeychain::ReadPasswordJob(service);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(account);
    return runJob(job, timeoutMs);
#else
    Q_UNUSED(service);
    Q_UNUSED(account);
    Q_UNUSED(timeoutMs);
    return {false, false, {}, QStringLiteral("this build has no keychain support (QtKeychain)")};
#endif
}

KeychainAnswer writeKeychain(const QString &service, const QString &account, const QString &text, int timeoutMs)
{
#ifdef KYC_HAVE_QTKEYCHAIN
    auto *job = new QKeychain::WritePasswordJob(service);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(account);
    job->setTextData(text);
    return runJob(job, timeoutMs);
#else
    Q_UNUSED(service);
    Q_UNUSED(account);
    Q_UNUSED(text);
    Q_UNUSED(timeoutMs);
    return {false, false, {}, QStringLiteral("this build has no keychain support (QtKeychain)")};
#endif
}

Result<QByteArray> decodeKey(const QString &text, const QString &where)
{
    const QByteArray key = QByteArray::fromBase64(text.trimmed().toLatin1());
    if (key.size() != kAesGcmKeyBytes)
        return fail(Error::make(ErrorCode::Unavailable, QStringLiteral("the data key in %1 is malformed").arg(where)));
    return key;
}

Status writePrivateFile(const QString &path, const QByteArray &content)
{
    const QString dir = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(dir))
        return fail(Error::internal(QStringLiteral("cannot create %1").arg(dir)));
    ::chmod(QFile::encodeName(dir).constData(), 0700);
    const mode_t old = ::umask(0077);
    QSaveFile out(path);
    const bool written = out.open(QIODevice::WriteOnly) && out.write(content) == content.size() && out.commit();
    ::umask(old);
    if (!written)
        return fail(Error::internal(QStringLiteral("cannot write %1").arg(path)));
    ::chmod(QFile::encodeName(path).constData(), 0600);
    return {};
}

} // namespace

bool keychainSupported()
{
#ifdef KYC_HAVE_QTKEYCHAIN
    return true;
#else
    return false;
#endif
}

QString dataKeyFilePath(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("keys/data.key"));
}

QString dataKeyMarkerPath(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("keys/data-key.keychain"));
}

QString keychainAccount(const QString &dataDir)
{
    const QFileInfo fi(dataDir);
    const QString path = fi.exists() ? fi.canonicalFilePath() : fi.absoluteFilePath();
    return QStringLiteral("data-key:") + path;
}

Result<DataKey> loadOrCreateDataKey(const QString &dataDir, const DataKeyOptions &options)
{
    const QString file = dataKeyFilePath(dataDir), marker = dataKeyMarkerPath(dataDir);
    // A key already kept in a file stays there.
    if (QFileInfo::exists(file)) {
        auto key = loadOrCreateSecret(file, kAesGcmKeyBytes);
        if (!key)
            return fail(key.error());
        return DataKey{*key, DataKey::Where::File, file};
    }
    // A key already kept in the keychain must come from there.
    if (QFileInfo::exists(marker)) {
        QFile m(marker);
        if (!m.open(QIODevice::ReadOnly))
            return fail(Error::internal(QStringLiteral("cannot read %1").arg(marker)));
        const QString account = QString::fromUtf8(m.readAll()).trimmed();
        const auto a = readKeychain(options.keychainService, account, options.keychainTimeoutMs);
        if (!a.ok)
            return fail(Error::make(
                ErrorCode::Unavailable,
                QStringLiteral("the data key of %1 is kept in the OS keychain (%2/%3), which could not be "
                               "read: %4. Unlock the keychain and start again.")
                    .arg(dataDir, options.keychainService, account, a.notFound ? QStringLiteral("no such entry") : a.error)));
        auto key = decodeKey(a.text, QStringLiteral("the keychain"));
        if (!key)
            return fail(key.error());
        return DataKey{*key, DataKey::Where::Keychain, options.keychainService + u'/' + account};
    }
    // A new key: in the keychain when asked to or when one answers, else in the file.
    if (options.store != KeyStore::File) {
        auto key = randomBytes(kAesGcmKeyBytes);
        if (!key)
            return fail(key.error());
        const QString account = keychainAccount(dataDir);
        const auto written = keychainSupported()
            ? writeKeychain(options.keychainService, account, QString::fromLatin1(key->toBase64()), options.keychainTimeoutMs)
            : KeychainAnswer{false, false, {}, QStringLiteral("this build has no keychain support (QtKeychain)")};
        if (written.ok) {
            // Read back: a keychain that accepts but does not keep (or keeps another value) is no keychain.
            const auto back = readKeychain(options.keychainService, account, options.keychainTimeoutMs);
            auto stored = back.ok ? decodeKey(back.text, QStringLiteral("the keychain"))
                                  : Result<QByteArray>(fail(Error::internal(back.error)));
            if (stored && *stored == *key) {
                if (auto s = writePrivateFile(marker, account.toUtf8() + '\n'); !s)
                    return fail(s.error());
                return DataKey{*key, DataKey::Where::Keychain, options.keychainService + u'/' + account};
            }
        }
        if (options.store == KeyStore::Keychain)
            return fail(Error::make(ErrorCode::Unavailable,
                                    QStringLiteral("KYCONNECT_KEY_STORE=keychain, but the OS keychain could not keep the data "
                                                   "key: %1")
                                        .arg(written.ok ? QStringLiteral("the stored key did not read back") : written.error)));
        qCInfo(lcDataKey).noquote() << "no OS keychain (" << written.error << "); the data key is kept in" << file;
    }
    auto key = loadOrCreateSecret(file, kAesGcmKeyBytes);
    if (!key)
        return fail(key.error());
    return DataKey{*key, DataKey::Where::File, file};
}

Status deleteKeychainDataKey(const QString &dataDir, const DataKeyOptions &options)
{
#ifdef KYC_HAVE_QTKEYCHAIN
    auto *job = new QKeychain::DeletePasswordJob(options.keychainService);
    job->setAutoDelete(true);
    job->setKey(keychainAccount(dataDir));
    const auto a = runJob(job, options.keychainTimeoutMs);
    if (!a.ok && !a.notFound)
        return fail(Error::make(ErrorCode::Unavailable, a.error));
    return {};
#else
    Q_UNUSED(dataDir);
    Q_UNUSED(options);
    return {};
#endif
}

} // namespace kyc::crypto
