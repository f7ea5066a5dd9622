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
        {3, QStringLiteral("screening: list versions, screenings, matches, remembered false positives"),
         [](const SqlDialect &d) {
             Q_UNUSED(d);
             return QStringList{
                 // Lists are shared by every firm; each import is a version, one version per source active.
                 QStringLiteral("CREATE TABLE list_versions ("
                                " id TEXT PRIMARY KEY,"
                                " source TEXT NOT NULL,"
                                " format TEXT NOT NULL,"
                                " publication_date TEXT,"
                                " sha256 TEXT NOT NULL,"
                                " entity_count INTEGER NOT NULL,"
                                " name_count INTEGER NOT NULL,"
                                " problem_count INTEGER NOT NULL,"
                                " problems TEXT NOT NULL,"
                                " added INTEGER NOT NULL,"
                                " changed INTEGER NOT NULL,"
                                " removed INTEGER NOT NULL,"
                                " loaded_at TEXT NOT NULL,"
                                " active INTEGER NOT NULL)"),
                 QStringLiteral("CREATE INDEX list_versions_source ON list_versions (source, active)"),
                 QStringLiteral("CREATE TABLE list_entities ("
                                " version_id TEXT NOT NULL REFERENCES list_versions (id),"
                                " entity_id TEXT NOT NULL,"
                                " content_hash TEXT NOT NULL,"
                                " data TEXT NOT NULL,"
                                " PRIMARY KEY (version_id, entity_id))"),
                 QStringLiteral("CREATE TABLE screenings ("
                                " id TEXT PRIMARY KEY,"
                                " firm_id TEXT NOT NULL REFERENCES firms (id),"
                                " subject_key TEXT NOT NULL,"
                                " subject TEXT NOT NULL,"
                                " source TEXT NOT NULL,"
                                " case_id TEXT,"
                                " batch_id TEXT,"
                                " status TEXT NOT NULL,"
                                " threshold DOUBLE PRECISION NOT NULL,"
                                " lists TEXT NOT NULL,"
                                " created_by TEXT,"
                                " created_at TEXT NOT NULL)"),
                 QStringLiteral("CREATE INDEX screenings_firm ON screenings (firm_id, created_at)"),
                 QStringLiteral("CREATE INDEX screenings_subject ON screenings (firm_id, subject_key)"),
                 QStringLiteral("CREATE TABLE screening_matches ("
                                " id TEXT PRIMARY KEY,"
                                " screening_id TEXT NOT NULL REFERENCES screenings (id),"
                                " firm_id TEXT NOT NULL,"
                                " list_source TEXT NOT NULL,"
                                " list_version_id TEXT NOT NULL,"
                                " entity_id TEXT NOT NULL,"
                                " entity_hash TEXT NOT NULL,"
                                " entity_name TEXT NOT NULL,"
                                " matched_name TEXT NOT NULL,"
                                " category TEXT NOT NULL,"
                                " score DOUBLE PRECISION NOT NULL,"
                                " explanation TEXT NOT NULL,"
                                " resolution TEXT,"
                                " reason TEXT,"
                                " resolved_by TEXT,"
                                " resolved_at TEXT)"),
                 QStringLiteral("CREATE INDEX screening_matches_screening ON screening_matches (screening_id)"),
                 // A false positive is remembered for the subject until the list entity changes.
                 QStringLiteral("CREATE TABLE match_suppressions ("
                                " firm_id TEXT NOT NULL,"
                                " subject_key TEXT NOT NULL,"
                                " entity_id TEXT NOT NULL,"
                                " entity_hash TEXT NOT NULL,"
                                " match_id TEXT NOT NULL,"
                                " created_at TEXT NOT NULL,"
                                " PRIMARY KEY (firm_id, subject_key, entity_id))"),
             };
         }},
        {4, QStringLiteral("mail outbox retries"),
         [](const SqlDialect &d) {
             Q_UNUSED(d);
             return QStringList{QStringLiteral("ALTER TABLE mail_outbox ADD COLUMN next_attempt_at TEXT")};
         }},
        {5, QStringLiteral("screening: batches, idempotency keys, ongoing monitoring, alerts, list refresh state"),
         [](const SqlDialect &d) {
             Q_UNUSED(d);
             return QStringList{
                 // A batch keeps its subjects so that an interrupted run resumes where it stopped.
                 QStringLiteral("CREATE TABLE screening_batches ("
                                " id TEXT PRIMARY KEY,"
                                " firm_id TEXT NOT NULL REFERENCES firms (id),"
                                " status TEXT NOT NULL,"
                                " total INTEGER NOT NULL,"
                                " processed INTEGER NOT NULL,"
                                " potential_matches INTEGER NOT NULL,"
                                " subjects TEXT NOT NULL,"
                                " lists TEXT NOT NULL,"
                                " threshold DOUBLE PRECISION,"
                                " error TEXT,"
                                " created_by TEXT,"
                                " actor TEXT NOT NULL,"
                                " created_at TEXT NOT NULL,"
                                " started_at TEXT,"
                                " completed_at TEXT)"),
                 QStringLiteral("CREATE INDEX screening_batches_firm ON screening_batches (firm_id, created_at)"),
                 QStringLiteral("CREATE INDEX screenings_batch ON screenings (batch_id)"),
                 QStringLiteral("CREATE INDEX screenings_case ON screenings (firm_id, case_id)"),
                 // Idempotency-Key: the first answer of an operation, per firm and key.
                 QStringLiteral("CREATE TABLE idempotency_keys ("
                                " firm_id TEXT NOT NULL,"
                                " operation TEXT NOT NULL,"
                                " idem_key TEXT NOT NULL,"
                                " request_hash TEXT NOT NULL,"
                                " resource_id TEXT,"
                                " status INTEGER NOT NULL,"
                                " response TEXT NOT NULL,"
                                " created_at TEXT NOT NULL,"
                                " PRIMARY KEY (firm_id, operation, idem_key))"),
                 QStringLiteral("CREATE TABLE monitored_cases ("
                                " firm_id TEXT NOT NULL REFERENCES firms (id),"
                                " case_id TEXT NOT NULL,"
                                " enabled INTEGER NOT NULL,"
                                " last_screened_at TEXT,"
                                " updated_by TEXT,"
                                " updated_at TEXT NOT NULL,"
                                " PRIMARY KEY (firm_id, case_id))"),
                 QStringLiteral("CREATE TABLE monitoring_alerts ("
                                " id TEXT PRIMARY KEY,"
                                " firm_id TEXT NOT NULL REFERENCES firms (id),"
                                " case_id TEXT NOT NULL,"
                                " screening_id TEXT NOT NULL REFERENCES screenings (id),"
                                " match_id TEXT NOT NULL REFERENCES screening_matches (id),"
                                " list_source TEXT NOT NULL,"
                                " list_version_id TEXT NOT NULL,"
                                " entity_id TEXT NOT NULL,"
                                " change TEXT NOT NULL,"
                                " matched_name TEXT NOT NULL,"
                                " score DOUBLE PRECISION NOT NULL,"
                                " created_at TEXT NOT NULL)"),
                 QStringLiteral("CREATE INDEX monitoring_alerts_firm ON monitoring_alerts (firm_id, created_at)"),
                 // Scheduled refresh of each list from its download URL.
                 QStringLiteral("CREATE TABLE list_refresh_state ("
                                " source TEXT PRIMARY KEY,"
                                " url TEXT NOT NULL,"
                                " etag TEXT,"
                                " last_modified TEXT,"
                                " sha256 TEXT,"
                                " last_checked_at TEXT,"
                                " last_success_at TEXT,"
                                " last_changed_at TEXT,"
                                " consecutive_failures INTEGER NOT NULL DEFAULT 0,"
                                " last_error TEXT,"
                                " next_attempt_at TEXT)"),
             };
         }},
        {6, QStringLiteral("object storage: uploaded objects behind pre-signed URLs"),
         [](const SqlDialect &d) {
             Q_UNUSED(d);
             return QStringList{
                 QStringLiteral("CREATE TABLE storage_objects ("
                                " firm_id TEXT NOT NULL REFERENCES firms (id),"
                                " object_key TEXT NOT NULL,"
                                " content_type TEXT,"
                                " size INTEGER NOT NULL,"
                                " sha256 TEXT NOT NULL,"
                                " file TEXT NOT NULL,"
                                " created_by TEXT,"
                                " created_at TEXT NOT NULL,"
                                " PRIMARY KEY (firm_id, object_key))"),
             };
         }},
        {7, QStringLiteral("screening: firm-private lists, remembered decisions of both kinds"),
         [](const SqlDialect &d) {
             Q_UNUSED(d);
             return QStringList{
                 // '' for the platform's official lists, else the firm that owns a private list ("firm:…" names);
                 // a source name is unique per owner, so two firms may each keep "firm:watchlist".
                 QStringLiteral("ALTER TABLE list_versions ADD COLUMN owner_firm_id TEXT NOT NULL DEFAULT ''"),
                 QStringLiteral("CREATE INDEX list_versions_owner ON list_versions (owner_firm_id, source, active)"),
                 // A remembered decision is a false positive (hidden on re-screening) or a confirmed true
                 // positive (shown as confirmed); both end when the entity changes.
                 QStringLiteral("ALTER TABLE match_suppressions ADD COLUMN resolution TEXT NOT NULL DEFAULT 'false_positive'"),
             };
         }},
        {8, QStringLiteral("identity: self-service registrations waiting for their address to be confirmed"),
         [](const SqlDialect &d) {
             Q_UNUSED(d);
             return QStringList{
                 // POST /firms/register answers the same whether or not the address has an account; the firm
                 // and its owner are created when the mailed token comes back (POST /users/invitations/accept).
                 QStringLiteral("CREATE TABLE firm_registrations ("
                                " id TEXT PRIMARY KEY,"
                                " email TEXT NOT NULL,"
                                " firm_name TEXT NOT NULL,"
                                " country TEXT NOT NULL,"
                                " registration_number TEXT,"
                                " admin_name TEXT NOT NULL,"
                                " password_hash TEXT NOT NULL,"
                                " token_hash TEXT NOT NULL UNIQUE,"
                                " ip TEXT,"
                                " created_at TEXT NOT NULL,"
                                " expires_at TEXT NOT NULL,"
                                " confirmed_at TEXT)"),
                 QStringLiteral("CREATE INDEX firm_registrations_email ON firm_registrations (email)"),
             };
         }},
    };
    return all;
}

} // namespace kyc::storage
