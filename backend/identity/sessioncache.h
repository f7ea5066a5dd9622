#pragma once

#include "backend/core/actor.h"
#include "backend/core/clock.h"
#include "backend/core/result.h"
#include "backend/storage/database.h"

#include <QHash>
#include <QReadWriteLock>

namespace kyc::identity {

// The live state behind an access token: is its session still open, is its user still active,
// what is the user's role now. Cached so that authenticating a request costs no query; every
// service that revokes a session or changes a user invalidates the entries it touches.
struct SessionState {
    QString sessionId;
    QString userId;
    QString firmId;
    Role role = Role::Viewer;
    bool platformAdmin = false;
    bool active = false; // session open, not expired, user active
    // The firm requires MFA and the user has not set it up: read live, so the next request after
    // /auth/mfa/verify (or a change of the firm's setting) sees the new state, whatever the token says.
    bool mfaSetupRequired = false;
    qint64 touchedMs = 0; // when last_used_at was last written
};

class SessionCache final
{
public:
    SessionCache(storage::Database &db, const Clock &clock);
    [[nodiscard]] Result<SessionState> lookup(const QString &sessionId);
    void invalidateSession(const QString &sessionId);
    void invalidateUser(const QString &userId);
    void invalidateFirm(const QString &firmId);
    // Writes last_used_at at most once a minute per session.
    void touch(const QString &sessionId, const QString &ip);

private:
    storage::Database &m_db;
    const Clock &m_clock;
    QReadWriteLock m_lock;
    QHash<QString, SessionState> m_entries;
    // Bumped by every invalidation: a lookup that read the database before an invalidation does
    // not cache what it read (it may predate the change).
    quint64 m_generation = 0;
};

} // namespace kyc::identity
