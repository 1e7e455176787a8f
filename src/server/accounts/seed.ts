import { normalizeEmail } from './email.ts';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { endsByItsStart, type Accounts } from './model.ts';
import { hashCredential } from '../../core/credentials.ts';
import { ApiError, SeedError } from '../errors.ts';
import { addServerFormats, Seed } from '../http/schemas.ts';

export type { Seed } from '../http/schemas.ts';

/** A seed is a few accounts; anything bigger is not one (and is not read whole into memory). */
export const SEED_MAX_BYTES = 16 * 1024 * 1024;

let validator: ValidateFunction | undefined;

/** `/workspaces/0/members/1/authToken` → `workspaces[0].members[1].authToken`. */
function fieldOf(error: ErrorObject): string {
  let field = error.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
  const extra = (error.params as { additionalProperty?: string; missingProperty?: string });
  const child = extra.additionalProperty ?? extra.missingProperty;
  if (child) field = field ? `${field}.${child}` : child;
  return field || '(top level)';
}

/** Parses and validates a seed file; every problem names the path and the field. */
export function readSeed(path: string): Seed {
  let data: unknown;
  try {
    data = JSON.parse(readBounded(path));
  } catch (cause) {
    if (cause instanceof SeedError) throw cause;
    throw new SeedError('seed.unreadable', `${path}: ${cause instanceof SyntaxError ? `not valid JSON (${cause.message})` : `cannot read (${(cause as NodeJS.ErrnoException).code})`}`, { cause });
  }
  return checkSeed(data, path);
}

/** Validates parsed seed data; every problem names the source and the field, never a credential's value. */
export function checkSeed(data: unknown, path: string): Seed {
  validator ??= addServerFormats(new Ajv({ allErrors: false })).compile(Seed);
  if (!validator(data)) {
    const error = validator.errors![0];
    const format = (error.params as { format?: string }).format ?? '';
    const hint = /token|key/i.test(format) ? ' (wrong form or checksum)' : format === 'instant' ? ' (an RFC 3339 time such as 2026-01-01T00:00:00Z)' : '';
    throw new SeedError('seed.invalid', `${path}: ${fieldOf(error)}: ${error.message}${hint}`);
  }
  const seed = data as Seed;
  const seen = new Map<string, string>();
  const unique = (value: string | undefined, field: string) => {
    if (!value) return;
    const first = seen.get(value);
    if (first) throw new SeedError('seed.invalid', `${path}: ${field}: the same credential as ${first}; every credential must be unique`);
    seen.set(value, field);
  };
  /** Names that must appear once: a second entry would silently replace the first. */
  const once = (names: Map<string, string>, name: string, field: string, what: string) => {
    const first = names.get(name);
    if (first) throw new SeedError('seed.invalid', `${path}: ${field}: the same ${what} as ${first}; each may appear once`);
    names.set(name, field);
  };
  const workspaceIds = new Map<string, string>();
  seed.workspaces.forEach((ws, i) => {
    once(workspaceIds, ws.id, `workspaces[${i}].id`, 'workspace id');
    const emails = new Map<string, string>();
    const ciNames = new Map<string, string>();
    ws.members?.forEach((m, j) => once(emails, normalizeEmail(m.email), `workspaces[${i}].members[${j}].email`, 'email'));
    ws.ciTokens?.forEach((t, j) => once(ciNames, t.name, `workspaces[${i}].ciTokens[${j}].name`, 'CI token name'));
    ws.members?.forEach((m, j) => {
      unique(m.authToken, `workspaces[${i}].members[${j}].authToken`);
      unique(m.legacyApiKey, `workspaces[${i}].members[${j}].legacyApiKey`);
    });
    ws.ciTokens?.forEach((t, j) => unique(t.token, `workspaces[${i}].ciTokens[${j}].token`));
    if (ws.license?.type === 'subscription' && !ws.license.plan) throw new SeedError('seed.invalid', `${path}: workspaces[${i}].license.plan: a subscription needs a plan`);
    const licensed = (ws.members ?? []).filter((m) => m.licensed).length;
    if (ws.license?.seats !== undefined && licensed > ws.license.seats) {
      throw new SeedError('seed.invalid', `${path}: workspaces[${i}].members: ${licensed} licensed members but only ${ws.license.seats} seats`);
    }
    const { startsAt, expiresAt } = ws.license ?? {};
    if (startsAt && expiresAt && endsByItsStart(startsAt, expiresAt)) {
      throw new SeedError('seed.invalid', `${path}: workspaces[${i}].license.expiresAt: ${expiresAt} is not after startsAt ${startsAt}; such a license would never be active`);
    }
  });
  seed.legacyApiKeys?.downtimes.forEach((d, i) => {
    if (endsByItsStart(d.start, d.end)) {
      throw new SeedError('seed.invalid', `${path}: legacyApiKeys.downtimes[${i}].end: ${d.end} is not after its start ${d.start}; send a start before the end`);
    }
  });
  return seed;
}

/** Reads at most SEED_MAX_BYTES; a larger file is refused before it fills memory. */
function readBounded(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > SEED_MAX_BYTES) throw new SeedError('seed.invalid', `${path}: ${size} bytes is over the ${SEED_MAX_BYTES / 1024 / 1024} MiB a seed may have`);
    const buffer = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const conflict = (field: string, what: string) => new SeedError('seed.conflict', `${field}: ${what}`);

/**
 * Imports a seed idempotently, in one transaction: all of it or nothing. A seed that contradicts what
 * the database holds (a credential of another account, more licensed members than seats) is refused with
 * seed.conflict naming the field.
 */
export async function importSeed(accounts: Accounts, seed: Seed, now: Date): Promise<void> {
  try {
    await importInto(accounts, seed, now);
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) throw new SeedError('seed.conflict', `the seed contradicts the database: ${error.message}`, { cause: error });
    throw error;
  }
}

function importInto(accounts: Accounts, seed: Seed, now: Date): Promise<void> {
  return accounts.write(async (ops) => {
    const { tx } = ops;
    const owner = async (hash: string) => (await tx.memberByTokenHash(hash))?.id ?? (await tx.memberByLegacyHash(hash))?.id ?? (await tx.ciTokenByHash(hash))?.id;
    for (const [i, ws] of seed.workspaces.entries()) {
      for (const [j, m] of (ws.members ?? []).entries()) {
        const existing = await tx.memberByEmail(ws.id, normalizeEmail(m.email));
        for (const [key, value] of [['authToken', m.authToken], ['legacyApiKey', m.legacyApiKey]] as const) {
          const held = value && (await owner(hashCredential(value)));
          if (held && held !== existing?.id) throw conflict(`workspaces[${i}].members[${j}].${key}`, 'the same credential belongs to another account in the database');
        }
      }
      for (const [j, t] of (ws.ciTokens ?? []).entries()) {
        const existing = await tx.ciTokenByName(ws.id, t.name);
        const held = await owner(hashCredential(t.token));
        if (held && held !== existing?.id) throw conflict(`workspaces[${i}].ciTokens[${j}].token`, 'the same credential belongs to another account in the database');
      }
    }
    for (const ws of seed.workspaces) {
      if (!(await tx.workspace(ws.id))) await ops.createWorkspace({ id: ws.id, name: ws.name }, now);
      else await ops.renameWorkspace(ws.id, ws.name);
      if (ws.license) await ops.setLicense(ws.id, ws.license);
      for (const m of ws.members ?? []) {
        const existing = await tx.memberByEmail(ws.id, normalizeEmail(m.email));
        const id = existing ? existing.id : (await ops.addMember(ws.id, { email: m.email, role: m.role, authToken: m.authToken })).member.id;
        if (existing) {
          await ops.setRole(id, m.role);
          if (m.authToken) await ops.rotateMemberToken(id, m.authToken);
        }
        await ops.setSeat(id, m.licensed ?? false);
        if (m.legacyApiKey) await ops.setLegacyKey(id, m.legacyApiKey);
      }
      for (const t of ws.ciTokens ?? []) {
        const existing = await tx.ciTokenByName(ws.id, t.name);
        if (existing) await ops.rotateCiToken(ws.id, existing.id, t.token);
        else await ops.createCiToken(ws.id, t.name, now, t.token);
      }
    }
    if (seed.legacyApiKeys) await ops.setLegacyPolicy({ downtimes: seed.legacyApiKeys.downtimes, sunsetAt: seed.legacyApiKeys.sunsetAt ?? null });
  });
}
