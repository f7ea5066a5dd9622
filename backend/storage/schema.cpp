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
        {2, QStringLiteral("identity: firms, users, sessions, MFA, invitations, API keys, mail outbox"),
         [](const SqlDialect &d) {
             Q_UNUSED(d);
             return QStringList{
                 QStringLiteral("CREATE TABLE firms ("
                                " id TEXT PRIMARY KEY,"
                                " name TEXT NOT NULL,"
                                " name_key TEXT NOT NULL," // lower-cased name, for duplicate detection
                                " country TEXT NOT NULL,"
                                " registration_number TEXT,"
                                " address TEXT,"
                                " contact TEXT,"
                                " logo_storage_key TEXT,"
                                " settings TEXT NOT NULL,"
                                " is_operator INTEGER NOT NULL DEFAULT 0,"
                                " created_at TEXT NOT NULL,"
                                " updated_at TEXT NOT NULL,"
                                " UNIQUE (name_key, country))"),
                 QStringLiteral("CREATE UNIQUE INDEX firms_registration ON firms (country, registration_number)"),
                 QStringLiteral("CREATE TABLE users ("
                                " id TEXT PRIMARY KEY,"
                                " firm_id TEXT NOT NULL REFERENCES firms (id),"
                                " email TEXT NOT NULL UNIQUE,"
                                " name TEXT NOT NULL,"
                                " role TEXT NOT NULL,"
                                " status TEXT NOT NULL,"
                                " password_hash TEXT NOT NULL,"
                                " platform_admin INTEGER NOT NULL DEFAULT 0,"
                                " mfa_enabled INTEGER NOT NULL DEFAULT 0,"
                                " mfa_secret TEXT,"
                                " mfa_pending_secret TEXT,"
                                " mfa_last_step BIGINT,"
                                " failed_logins INTEGER NOT NULL DEFAULT 0,"
                                " locked_until TEXT,"
                                " last_login_at TEXT,"
                                " created_at TEXT NOT NULL,"
                                " updated_at TEXT NOT NULL)"),
                 QStringLiteral("CREATE INDEX users_firm ON users (firm_id, role, status)"),
                 QStringLiteral("CREATE TABLE recovery_codes ("
                                " id TEXT PRIMARY KEY,"
                                " user_id TEXT NOT NULL REFERENCES users (id),"
                                " code_hash TEXT NOT NULL,"
                                " used_at TEXT)"),
                 QStringLiteral("CREATE INDEX recovery_codes_user ON recovery_codes (user_id)"),
                 QStringLiteral("CREATE TABLE sessions ("
                                " id TEXT PRIMARY KEY,"
                                " firm_id TEXT NOT NULL REFERENCES firms (id),"
                                " user_id TEXT NOT NULL REFERENCES users (id),"
                                " device TEXT,"
                                " ip TEXT,"
                                " created_at TEXT NOT NULL,"
                                " last_used_at TEXT NOT NULL,"
                                " expires_at TEXT NOT NULL,"
                                " revoked_at TEXT,"
                                " revoked_reason TEXT)"),
                 QStringLiteral("CREATE INDEX sessions_user ON sessions (user_id, revoked_at)"),
                 QStringLiteral("CREATE TABLE refresh_tokens ("
                                " jti TEXT PRIMARY KEY,"
                                " session_id TEXT NOT NULL REFERENCES sessions (id),"
                                " issued_at TEXT NOT NULL,"
                                " expires_at TEXT NOT NULL,"
                                " used_at TEXT)"),
                 QStringLiteral("CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)"),
                 QStringLiteral("CREATE TABLE password_resets ("
                                " id TEXT PRIMARY KEY,"
                                " user_id TEXT NOT NULL REFERENCES users (id),"
                                " token_hash TEXT NOT NULL UNIQUE,"
                                " created_at TEXT NOT NULL,"
                                " expires_at TEXT NOT NULL,"
                                " used_at TEXT)"),
                 QStringLiteral("CREATE TABLE invitations ("
                                " id TEXT PRIMARY KEY,"
                                " firm_id TEXT NOT NULL REFERENCES firms (id),"
                                " email TEXT NOT NULL,"
                                " name TEXT NOT NULL,"
                                " role TEXT NOT NULL,"
                                " token_hash TEXT NOT NULL UNIQUE,"
                                " invited_by TEXT NOT NULL,"
                                " created_at TEXT NOT NULL,"
                                " expires_at TEXT NOT NULL,"
                                " accepted_at TEXT,"
                                " revoked_at TEXT)"),
                 QStringLiteral("CREATE INDEX invitations_firm ON invitations (firm_id, email)"),
                 QStringLiteral("CREATE TABLE api_keys ("
                                " id TEXT PRIMARY KEY,"
                                " firm_id TEXT NOT NULL REFERENCES firms (id),"
                                " name TEXT NOT NULL,"
                                " prefix TEXT NOT NULL,"
                                " key_hash TEXT NOT NULL UNIQUE,"
                                " scopes TEXT NOT NULL,"
                                " created_by TEXT NOT NULL,"
                                " created_at TEXT NOT NULL,"
                                " expires_at TEXT,"
                                " last_used_at TEXT,"
                                " revoked_at TEXT,"
                                " replaced_by TEXT)"),
                 QStringLiteral("CREATE INDEX api_keys_firm ON api_keys (firm_id)"),
                 QStringLiteral("CREATE TABLE mail_outbox ("
                                " id TEXT PRIMARY KEY,"
                                " firm_id TEXT,"
                                " to_address TEXT NOT NULL,"
                                " subject TEXT NOT NULL,"
                                " body TEXT NOT NULL,"
                                " kind TEXT NOT NULL,"
                                " created_at TEXT NOT NULL,"
                                " eml_file TEXT NOT NULL,"
                                " sent_at TEXT,"
                                " attempts INTEGER NOT NULL DEFAULT 0,"
                                " last_error TEXT)"),
             };
         }},
    };
    return all;
}

} // namespace kyc::storage
