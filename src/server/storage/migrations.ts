// The schema of both backends as numbered migrations, applied in order at start and recorded in schema_migrations.
// A version that one backend does not need is empty there, so the numbers stay the same on both.
import type { DatabaseSync } from 'node:sqlite';
import type pg from 'pg';
import { StoreError } from '../errors.ts';

export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

const TABLES = `
CREATE TABLE IF NOT EXISTS workspaces (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  email TEXT NOT NULL, role TEXT NOT NULL, licensed INTEGER NOT NULL DEFAULT 0,
  token_hash TEXT NOT NULL UNIQUE, token_mask TEXT NOT NULL, legacy_key_hash TEXT UNIQUE,
  UNIQUE (workspace_id, email));
CREATE TABLE IF NOT EXISTS ci_tokens (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, token_mask TEXT NOT NULL, created_at TEXT NOT NULL,
  UNIQUE (workspace_id, name));
CREATE TABLE IF NOT EXISTS licenses (
  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE, id TEXT NOT NULL,
  type TEXT NOT NULL, plan TEXT NOT NULL, seats INTEGER, starts_at TEXT, expires_at TEXT);
CREATE TABLE IF NOT EXISTS activations (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, subject TEXT NOT NULL, at TEXT NOT NULL,
  ci INTEGER NOT NULL, ci_provider TEXT, version TEXT, machine_id TEXT);
CREATE INDEX IF NOT EXISTS activations_ws ON activations (workspace_id, at);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

// The web console's own rows: passwords (scrypt), sessions and invitations by the hash of their secret only.
const CONSOLE_TABLES = `
CREATE TABLE IF NOT EXISTS console_logins (
  member_id TEXT PRIMARY KEY, email TEXT NOT NULL, password_hash TEXT NOT NULL, token_box TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS console_logins_email ON console_logins (email);
CREATE TABLE IF NOT EXISTS console_sessions (
  id_hash TEXT PRIMARY KEY, member_id TEXT NOT NULL, key_box TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS console_sessions_member ON console_sessions (member_id);
CREATE TABLE IF NOT EXISTS console_invitations (
  code_hash TEXT PRIMARY KEY, member_id TEXT NOT NULL, token_box TEXT, created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
`;

// Secret scanning (issue 19): every alert received, and every credential revoked because it was found in public.
// A revoked credential is kept by its hash only, so its next activation is refused as leaked rather than unknown.
const LEAK_TABLES = `
CREATE TABLE secret_scanning_alerts (
  id TEXT PRIMARY KEY, received_at TEXT NOT NULL, key_id TEXT NOT NULL, tokens INTEGER NOT NULL,
  true_positives INTEGER NOT NULL, false_positives INTEGER NOT NULL, labels TEXT NOT NULL);
CREATE INDEX secret_scanning_alerts_at ON secret_scanning_alerts (received_at);
CREATE TABLE leaked_credentials (
  token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, token_mask TEXT NOT NULL, workspace_id TEXT NOT NULL, subject_id TEXT NOT NULL,
  subject_name TEXT NOT NULL, action TEXT NOT NULL, found_at TEXT NOT NULL, found_where TEXT NOT NULL, source TEXT NOT NULL, alert_id TEXT NOT NULL);
CREATE INDEX leaked_credentials_ws ON leaked_credentials (workspace_id, found_at);
`;

// Offline licenses (issue 21): the audit list keeps the id, the SHA-256 of the JWS and what it stands for, never the file.
const OFFLINE_LICENSES = `
CREATE TABLE offline_licenses (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL, seats INTEGER NOT NULL, kid TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE,
  issued_by TEXT NOT NULL, issued_at TEXT NOT NULL, not_before TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE INDEX offline_licenses_ws ON offline_licenses (workspace_id, expires_at);
`;

// Trusted CI identities: `pin` is the one condition that pins the repository or its owner ("claim=value"), the index
// an ID token's claims are looked up by. An ID token's jti is kept until its exp so that it activates once.
const CI_TRUSTS = `
CREATE TABLE ci_trusts (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL, issuer TEXT NOT NULL, conditions TEXT NOT NULL, pin TEXT NOT NULL, created_at TEXT NOT NULL,
  UNIQUE (workspace_id, name));
CREATE INDEX ci_trusts_pin ON ci_trusts (issuer, pin);
CREATE TABLE oidc_token_uses (token_key TEXT PRIMARY KEY, expires_at TEXT NOT NULL);
CREATE INDEX oidc_token_uses_expiry ON oidc_token_uses (expires_at);
ALTER TABLE activations ADD COLUMN pipeline TEXT;
`;

// The account version (issue 22): bumped in the same transaction as any change to the rows an activation reads, by
// whoever writes them (any replica, an older server, psql), so a credential's owner kept in memory is used only while
// the version it was read at is still the current one.
const OWNER_TABLES = ['workspaces', 'members', 'ci_tokens', 'licenses'];
const ACCOUNT_VERSION = `
CREATE TABLE account_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
INSERT INTO account_version (id, version) VALUES (1, 0);
`;
const ACCOUNT_VERSION_SQLITE = ACCOUNT_VERSION + OWNER_TABLES.flatMap((t) => ['INSERT', 'UPDATE', 'DELETE'].map((op) =>
  `CREATE TRIGGER ${t}_${op.toLowerCase()}_version AFTER ${op} ON ${t} BEGIN UPDATE account_version SET version = version + 1; END;`)).join('\n');
const ACCOUNT_VERSION_POSTGRES = `${ACCOUNT_VERSION}
CREATE FUNCTION bump_account_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE account_version SET version = version + 1; RETURN NULL; END $$;
${OWNER_TABLES.map((t) => `CREATE TRIGGER ${t}_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION bump_account_version();`).join('\n')}
`;

export const MIGRATIONS: readonly Migration[] = [
  // IF NOT EXISTS: databases created before migrations were recorded already hold these tables.
  { version: 1, name: 'accounts, licenses, activations, settings', sqlite: TABLES, postgres: TABLES },
  {
    version: 2,
    name: 'shared signing keys and rate-limit counters',
    // The embedded server keeps its key in a file and counts in memory: one process, one machine.
    sqlite: '',
    postgres: `
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY, public_jwk TEXT NOT NULL,
  -- AES-256-GCM under the key-encryption key from the environment; NULL once the key is retired.
  private_key TEXT, created_at TEXT NOT NULL, retired_at TEXT);
-- At most one current key, whatever the replicas do at once.
CREATE UNIQUE INDEX signing_keys_current ON signing_keys ((true)) WHERE retired_at IS NULL;
-- Counters lost in a crash of PostgreSQL cost at most one window of rate limiting: no WAL for them.
CREATE UNLOGGED TABLE rate_limits (key TEXT NOT NULL, window_start BIGINT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (key, window_start));
`,
  },
  {
    version: 3,
    name: 'a staged next signing key',
    sqlite: '',
    // A staged key: published, sealed private part kept, signing nothing until promoted (staged_at set to NULL).
    postgres: `
ALTER TABLE signing_keys ADD COLUMN staged_at TEXT;
DROP INDEX signing_keys_current;
CREATE UNIQUE INDEX signing_keys_current ON signing_keys ((true)) WHERE retired_at IS NULL AND staged_at IS NULL;
CREATE UNIQUE INDEX signing_keys_next ON signing_keys ((true)) WHERE staged_at IS NOT NULL;
`,
  },
  // IF NOT EXISTS: SQLite databases of servers before this migration created these tables at the console's start.
  { version: 4, name: 'web console logins, sessions, invitations', sqlite: CONSOLE_TABLES, postgres: CONSOLE_TABLES },
  { version: 5, name: 'secret scanning alerts and leaked credentials', sqlite: LEAK_TABLES, postgres: LEAK_TABLES },
  { version: 6, name: 'offline licenses (their id and hash, never the file)', sqlite: OFFLINE_LICENSES, postgres: OFFLINE_LICENSES },
  { version: 7, name: 'trusted CI identities (OIDC), ID tokens used, the pipeline of an activation', sqlite: CI_TRUSTS, postgres: CI_TRUSTS },
  { version: 8, name: 'the account version, bumped by every change to an account', sqlite: ACCOUNT_VERSION_SQLITE, postgres: ACCOUNT_VERSION_POSTGRES },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

const HISTORY = 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)';

/** Lock key of pg_advisory_xact_lock for migrations (any constant the application owns). */
export const MIGRATION_LOCK = 0x7072_6f61;

function tooNew(found: number): StoreError {
  return new StoreError('store.schema', `the database's schema is version ${found}, newer than this server's ${SCHEMA_VERSION}`);
}

/** The migrations not yet applied; a database from a newer server is refused rather than written to. */
function pending(applied: number[]): Migration[] {
  const newest = Math.max(0, ...applied);
  if (newest > SCHEMA_VERSION) throw tooNew(newest);
  const done = new Set(applied);
  return MIGRATIONS.filter((m) => !done.has(m.version));
}

/** SQLite: every pending migration in one IMMEDIATE transaction on the write connection. */
export function migrateSqlite(db: DatabaseSync, now = new Date()): number[] {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(HISTORY);
    const applied = (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version);
    const todo = pending(applied);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of todo) {
      if (m.sqlite) db.exec(m.sqlite);
      record.run(m.version, m.name, now.toISOString());
    }
    db.exec('COMMIT');
    return todo.map((m) => m.version);
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/**
 * PostgreSQL: one transaction under an advisory lock, so replicas that start together apply each migration
 * once; the others wait for the lock, then find nothing left to do.
 */
export async function migratePostgres(client: pg.ClientBase, now = new Date()): Promise<number[]> {
  await client.query('BEGIN');
  try {
    // A migration of a large table, or another replica's, may take longer than a request's statement timeout.
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(HISTORY);
    const applied = (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version);
    const todo = pending(applied);
    for (const m of todo) {
      if (m.postgres) await client.query(m.postgres);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now.toISOString()]);
    }
    await client.query('COMMIT');
    return todo.map((m) => m.version);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
