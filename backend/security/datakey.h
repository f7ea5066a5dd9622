#pragma once

#include "backend/core/config.h"
#include "backend/core/result.h"

#include <QByteArray>
#include <QString>

namespace kyc::crypto {

// The instance's data key (32 bytes for AES-256-GCM), which seals the secrets the database keeps
// (TOTP secrets, mail waiting for delivery). It lives in the OS keychain through QtKeychain (the
// Secret Service on Linux) where one answers, else in <data dir>/keys/data.key (0600, folder 0700).
// A key once put in the keychain is looked for there only (keys/data-key.keychain says so): an
// unreachable keychain is then an error, never a new key that would orphan the sealed secrets.
struct DataKey {
    enum class Where { Keychain, File };
    QByteArray key;
    Where where = Where::File;
    QString location; // the keychain entry ("service/account") or the file path
};

struct DataKeyOptions {
    KeyStore store = KeyStore::Auto;
    // QtKeychain answers asynchronously; start-up waits this long for it, then falls back (Auto).
    int keychainTimeoutMs = 5000;
    QString keychainService = QStringLiteral("KYConnect");
};

[[nodiscard]] Result<DataKey> loadOrCreateDataKey(const QString &dataDir, const DataKeyOptions &options = {});
// Whether this build has QtKeychain (found by CMake).
[[nodiscard]] bool keychainSupported();
// The keychain entry (account) used for a data directory, and its removal (tests, decommissioning).
[[nodiscard]] QString keychainAccount(const QString &dataDir);
[[nodiscard]] Status deleteKeychainDataKey(const QString &dataDir, const DataKeyOptions &options = {});
// The path of the file fallback and of the marker that says "the key is in the keychain".
[[nodiscard]] QString dataKeyFilePath(const QString &dataDir);
[[nodiscard]] QString dataKeyMarkerPath(const QString &dataDir);

} // namespace kyc::crypto
