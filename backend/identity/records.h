#pragma once

#include "backend/core/actor.h"
#include "backend/identity/settings.h"

#include <QJsonObject>
#include <QStringList>

namespace kyc::identity {

struct User {
    QString id;
    QString firmId;
    QString email;
    QString name;
    Role role = Role::Viewer;
    QString status; // active, deactivated
    bool platformAdmin = false;
    bool mfaEnabled = false;
    QString createdAt;
    QString updatedAt;
    QString lastLoginAt;
};

struct Firm {
    QString id;
    QString name;
    QString country;
    QString registrationNumber;
    QJsonObject address;
    QJsonObject contact;
    QString logoStorageKey;
    FirmSettings settings;
    QString createdAt;
    QString updatedAt;
};

struct Session {
    QString id;
    QString device;
    QString ip;
    QString createdAt;
    QString lastUsedAt;
    QString expiresAt;
    bool current = false;
};

struct Invitation {
    QString id;
    QString email;
    QString name;
    Role role = Role::Viewer;
    QString invitedBy;
    QString createdAt;
    QString expiresAt;
    QString status; // pending, accepted, revoked, expired
};

struct ApiKey {
    QString id;
    QString name;
    QString prefix;
    QStringList scopes;
    QString createdBy;
    QString createdAt;
    QString expiresAt;
    QString lastUsedAt;
    QString revokedAt;
};

// What a successful sign-in (login, refresh, registration, accepted invitation) hands back.
struct SignIn {
    QString accessToken;
    QString refreshToken;
    User user;
};

inline const QStringList kApiKeyScopes = {
    QStringLiteral("cases:read"),   QStringLiteral("cases:write"),   QStringLiteral("verification:write"),
    QStringLiteral("aml:screen"),   QStringLiteral("aml:read"),      QStringLiteral("audit:read"),
    QStringLiteral("storage:read"), QStringLiteral("storage:write"), QStringLiteral("billing:read"),
};

} // namespace kyc::identity
