#include "backend/storage/migrations.h"

namespace kyc::storage {

// Append new migrations at the end; never edit one that has shipped.
const QList<Migration> &schemaMigrations()
{
    static const QList<Migration> all = {
        {1, QStringLiteral("audit trail"),
         [](const SqlDialect &d) {
             QStringList s;
             // One hash chain per firm ('platform' for events outside any firm), so that a firm's
             // export can be verified on its own.
             s << QStringLiteral("CREATE TABLE audit_events ("
                                 " id TEXT PRIMARY KEY,"
                                 " chain TEXT NOT NULL,"
                                 " sequence BIGINT NOT NULL,"
                                 " occurred_at TEXT NOT NULL,"
                                 " firm_id TEXT,"
                                 " actor_type TEXT NOT NULL,"
                                 " actor_id TEXT,"
                                 " action TEXT NOT NULL,"
                                 " entity_type TEXT,"
                                 " entity_id TEXT,"
                                 " ip TEXT,"
                                 " details %1 NOT NULL,"
                                 " prev_hash TEXT NOT NULL,"
                                 " hash TEXT NOT NULL,"
                                 " UNIQUE (chain, sequence))")
                      .arg(d.jsonType());
             s << QStringLiteral("CREATE INDEX audit_events_firm_time ON audit_events (firm_id, occurred_at)");
             s << QStringLiteral("CREATE INDEX audit_events_entity ON audit_events (firm_id, entity_type, entity_id)");
             s << QStringLiteral("CREATE INDEX audit_events_actor ON audit_events (firm_id, actor_id)");
             s << d.appendOnlyTriggers(QStringLiteral("audit_events"));
             s << QStringLiteral("CREATE TABLE audit_checkpoints ("
                                 " id TEXT PRIMARY KEY,"
                                 " chain TEXT NOT NULL,"
                                 " sequence BIGINT NOT NULL,"
                                 " head_hash TEXT NOT NULL,"
                                 " signed_at TEXT NOT NULL,"
                                 " signature TEXT NOT NULL,"
                                 " public_key TEXT NOT NULL)");
             s << QStringLiteral("CREATE INDEX audit_checkpoints_chain ON audit_checkpoints (chain, sequence)");
             s << d.appendOnlyTriggers(QStringLiteral("audit_checkpoints"));
             return s;
         }},
    };
    return all;
}

} // namespace kyc::storage
