#pragma once

#include "backend/core/clock.h"
#include "backend/core/paging.h"
#include "backend/core/result.h"
#include "backend/security/ed25519.h"
#include "backend/storage/database.h"

#include <QDateTime>
#include <QJsonObject>
#include <QThreadPool>

#include <functional>
#include <optional>

namespace kyc::audit {

inline const QString kPlatformChain = QStringLiteral("platform");
inline const QString kGenesisHash = QString(64, u'0');

// What a service records. Empty strings are stored as null.
struct NewEvent {
    QString firmId; // empty: a platform event outside any firm
    QString actorType; // user, api_key, system, anonymous
    QString actorId;
    QString action; // e.g. user.login, api_key.create
    QString entityType;
    QString entityId;
    QString ip;
    QJsonObject details; // before/after summary; strings, integers, booleans, null, arrays, objects
};

struct Event {
    QString id;
    QString chain;
    qint64 sequence = 0;
    QString occurredAt; // ISO-8601 UTC with milliseconds
    QString firmId;
    QString actorType;
    QString actorId;
    QString action;
    QString entityType;
    QString entityId;
    QString ip;
    QJsonObject details;
    QString prevHash;
    QString hash;
};

// The canonical form hashed for an event: every field but `hash` (docs/audit-format.md).
[[nodiscard]] QByteArray canonicalForm(const Event &e);
[[nodiscard]] QString computeHash(const Event &e);
// The event as exported and served: the canonical fields plus `hash`.
[[nodiscard]] QJsonObject toJson(const Event &e);

struct VerifyResult {
    QString chain;
    bool valid = true;
    qint64 checked = 0;
    qint64 headSequence = 0;
    QString headHash = kGenesisHash;
    std::optional<qint64> firstInvalidSequence;
    QString reason; // why the first invalid event is invalid
};

struct Filter {
    QString actorId;
    QString action;
    QString entityType;
    QString entityId;
    QDateTime from;
    QDateTime to;
};

struct Checkpoint {
    QString id;
    QString chain;
    qint64 sequence = 0;
    QString headHash;
    QString signedAt;
    QByteArray signature; // 64 raw bytes
    QByteArray publicKey; // 32 raw bytes
};
[[nodiscard]] QByteArray checkpointMessage(const Checkpoint &c);

enum class ExportFormat { JsonLines, Csv };
struct ExportRange {
    std::optional<qint64> fromSequence;
    std::optional<qint64> toSequence;
    QDateTime from;
    QDateTime to;
};

using Progress = std::function<void(qint64 done, qint64 total)>;

// The append-only, hash-chained audit trail. Appends join the caller's transaction, so an event is
// written with the change it records or not at all.
class AuditLog final
{
public:
    AuditLog(storage::Database &db, const Clock &clock, crypto::Ed25519Key signingKey);

    [[nodiscard]] Result<Event> append(const NewEvent &event);

    [[nodiscard]] Result<VerifyResult> verifyChain(const QString &chain, const Progress &progress = {});
    [[nodiscard]] Result<QList<VerifyResult>> verifyAll(const Progress &progress = {});
    [[nodiscard]] Result<QStringList> chains();

    [[nodiscard]] Result<Page<Event>> list(const QString &firmId, const Filter &filter, const PageRequest &page);
    [[nodiscard]] Result<Event> get(const QString &firmId, const QString &id);

    // Signs the current head of a chain with the instance's Ed25519 key and records the checkpoint.
    [[nodiscard]] Result<Checkpoint> checkpoint(const QString &chain);
    [[nodiscard]] QByteArray publicKey() const { return m_publicKey; }

    // Writes the events of a chain in sequence order, with their hashes, to `out`.
    [[nodiscard]] Result<qint64> exportTo(QIODevice &out, const QString &chain, ExportFormat format, const ExportRange &range,
                                          const Progress &progress = {});

    [[nodiscard]] static QString chainFor(const QString &firmId) { return firmId.isEmpty() ? kPlatformChain : firmId; }

private:
    Result<std::pair<qint64, QString>> head(const QString &chain);

    storage::Database &m_db;
    const Clock &m_clock;
    crypto::Ed25519Key m_key;
    QByteArray m_publicKey;
    // Verification hashes on its own pool: callers may already run on the global one.
    std::unique_ptr<QThreadPool> m_hashPool;
};

} // namespace kyc::audit
