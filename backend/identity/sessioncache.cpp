#include "backend/identity/sessioncache.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlQuery>

namespace kyc::identity {

SessionCache::SessionCache(storage::Database &db, const Clock &clock)
    : m_db(db)
    , m_clock(clock)
{
}

Result<SessionState> SessionCache::lookup(const QString &sessionId)
{
    quint64 generation = 0;
    {
        QReadLocker lock(&m_lock);
        auto it = m_entries.constFind(sessionId);
        if (it != m_entries.cend())
            return *it;
        generation = m_generation;
    }
    QSqlQuery &q
        = m_db.prepare(QStringLiteral("SELECT s.revoked_at, s.expires_at, u.id, u.firm_id, u.role, u.status, u.platform_admin, "
                                      "u.mfa_enabled, f.settings "
                                      "FROM sessions s JOIN users u ON u.id = s.user_id JOIN firms f ON f.id = u.firm_id "
                                      "WHERE s.id = ?"));
    q.addBindValue(sessionId);
    if (auto s = storage::exec(q); !s)
        return fail(s.error());
    SessionState st;
    st.sessionId = sessionId;
    if (q.next()) {
        st.userId = q.value(2).toString();
        st.firmId = q.value(3).toString();
        parseRole(q.value(4).toString(), &st.role);
        st.platformAdmin = q.value(6).toBool();
        const bool open = q.value(0).isNull() && q.value(1).toString() > isoUtc(m_clock.now());
        st.active = open && q.value(5).toString() == QStringLiteral("active");
        const bool mfaRequired
            = QJsonDocument::fromJson(q.value(8).toString().toUtf8()).object().value(QStringLiteral("mfa_required")).toBool();
        st.mfaSetupRequired = mfaRequired && !q.value(7).toBool();
    }
    q.finish();
    st.touchedMs = m_clock.nowMs();
    QWriteLocker lock(&m_lock);
    if (generation != m_generation)
        return st; // answered from what was read, but not remembered
    if (m_entries.size() > 100'000)
        m_entries.clear();
    m_entries.insert(sessionId, st);
    return st;
}

void SessionCache::invalidateSession(const QString &sessionId)
{
    QWriteLocker lock(&m_lock);
    m_entries.remove(sessionId);
    ++m_generation;
}

void SessionCache::invalidateUser(const QString &userId)
{
    QWriteLocker lock(&m_lock);
    ++m_generation;
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        if (it->userId == userId)
            it = m_entries.erase(it);
        else
            ++it;
    }
}

void SessionCache::invalidateFirm(const QString &firmId)
{
    QWriteLocker lock(&m_lock);
    ++m_generation;
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        if (it->firmId == firmId)
            it = m_entries.erase(it);
        else
            ++it;
    }
}

void SessionCache::touch(const QString &sessionId, const QString &ip)
{
    const qint64 now = m_clock.nowMs();
    {
        // Almost every call finds a recent stamp: check under the shared lock first.
        QReadLocker lock(&m_lock);
        auto it = m_entries.constFind(sessionId);
        if (it == m_entries.cend() || now - it->touchedMs < 60'000)
            return;
    }
    {
        QWriteLocker lock(&m_lock);
        auto it = m_entries.find(sessionId);
        if (it == m_entries.end() || now - it->touchedMs < 60'000)
            return;
        it->touchedMs = now;
    }
    QSqlQuery &q = m_db.prepare(QStringLiteral("UPDATE sessions SET last_used_at = ?, ip = ? WHERE id = ?"));
    q.addBindValue(isoUtc(m_clock.now()));
    q.addBindValue(ip);
    q.addBindValue(sessionId);
    (void)storage::exec(q);
}

} // namespace kyc::identity
