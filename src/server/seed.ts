import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseCredential } from '../core/credentials.ts';
import type { Accounts, LegacyPolicy } from './accounts.ts';
import { SeedError } from './errors.ts';
import type { Role } from './store.ts';

export interface Seed {
  workspaces: {
    id: string; name: string;
    license?: { type: 'trial' | 'subscription'; plan: string; seats?: number; startsAt?: string; expiresAt?: string };
    members?: { email: string; role: Role; licensed?: boolean; authToken?: string; legacyApiKey?: string }[];
    ciTokens?: { name: string; token: string }[];
  }[];
  legacyApiKeys?: LegacyPolicy;
}

const credentialFormat = (kind: string) => (value: string) => {
  try {
    return parseCredential(value).kind === kind;
  } catch {
    return false;
  }
};

const iso = { type: 'string', format: 'date-time' };
const SCHEMA = {
  type: 'object', additionalProperties: false, required: ['workspaces'],
  properties: {
    workspaces: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['id', 'name'],
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
          name: { type: 'string', minLength: 1 },
          license: {
            type: 'object', additionalProperties: false, required: ['type', 'plan'],
            properties: {
              type: { enum: ['trial', 'subscription'] }, plan: { type: 'string', minLength: 1 },
              seats: { type: 'integer', minimum: 0 }, startsAt: iso, expiresAt: iso,
            },
          },
          members: {
            type: 'array',
            items: {
              type: 'object', additionalProperties: false, required: ['email', 'role'],
              properties: {
                email: { type: 'string', format: 'email' }, role: { enum: ['owner', 'admin', 'member'] }, licensed: { type: 'boolean' },
                authToken: { type: 'string', format: 'developer-token' }, legacyApiKey: { type: 'string', format: 'legacy-key' },
              },
            },
          },
          ciTokens: {
            type: 'array',
            items: {
              type: 'object', additionalProperties: false, required: ['name', 'token'],
              properties: { name: { type: 'string', minLength: 1 }, token: { type: 'string', format: 'ci-token' } },
            },
          },
        },
      },
    },
    legacyApiKeys: {
      type: 'object', additionalProperties: false, required: ['downtimes'],
      properties: {
        downtimes: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['start', 'end'], properties: { start: iso, end: iso } } },
        sunsetAt: { anyOf: [iso, { type: 'null' }] },
      },
    },
  },
};

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
let validator: ReturnType<Ajv['compile']> | undefined;

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
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new SeedError('seed.unreadable', `${path}: ${cause instanceof SyntaxError ? `not valid JSON (${cause.message})` : `cannot read (${(cause as NodeJS.ErrnoException).code})`}`, { cause });
  }
  if (!validator) {
    const ajv = addFormats(new Ajv({ allErrors: false }));
    for (const kind of ['developer', 'ci', 'legacy']) ajv.addFormat(kind === 'legacy' ? 'legacy-key' : `${kind}-token`, credentialFormat(kind));
    validator = ajv.compile(SCHEMA);
  }
  if (!validator(data)) {
    const error = validator.errors![0];
    const hint = error.keyword === 'format' && /token|key/i.test(error.params.format) ? ' (wrong form or checksum)' : '';
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
  seed.workspaces.forEach((ws, i) => {
    ws.members?.forEach((m, j) => {
      unique(m.authToken, `workspaces[${i}].members[${j}].authToken`);
      unique(m.legacyApiKey, `workspaces[${i}].members[${j}].legacyApiKey`);
    });
    ws.ciTokens?.forEach((t, j) => unique(t.token, `workspaces[${i}].ciTokens[${j}].token`));
    const licensed = (ws.members ?? []).filter((m) => m.licensed).length;
    if (ws.license?.seats !== undefined && licensed > ws.license.seats) {
      throw new SeedError('seed.invalid', `${path}: workspaces[${i}].members: ${licensed} licensed members but only ${ws.license.seats} seats`);
    }
  });
  return seed;
}

/** Imports a seed idempotently, in one transaction: all of it or nothing. */
export function importSeed(accounts: Accounts, seed: Seed, now: Date): void {
  const { store } = accounts;
  store.transaction(() => {
    for (const ws of seed.workspaces) {
      if (!store.workspace(ws.id)) accounts.createWorkspace({ id: ws.id, name: ws.name }, now);
      else store.upsertWorkspace(ws.id, ws.name, now.toISOString());
      if (ws.license) accounts.setLicense(ws.id, ws.license);
      for (const m of ws.members ?? []) {
        const existing = store.memberByEmail(ws.id, m.email);
        const id = existing ? existing.id : accounts.addMember(ws.id, { email: m.email, role: m.role, authToken: m.authToken }).member.id;
        if (existing) {
          accounts.setRole(id, m.role);
          if (m.authToken) accounts.rotateMemberToken(id, m.authToken);
        }
        accounts.setSeat(id, m.licensed ?? false);
        if (m.legacyApiKey) accounts.setLegacyKey(id, m.legacyApiKey);
      }
      for (const t of ws.ciTokens ?? []) {
        const existing = store.ciTokenByName(ws.id, t.name);
        if (existing) accounts.rotateCiToken(ws.id, existing.id, t.token);
        else accounts.createCiToken(ws.id, t.name, now, t.token);
      }
    }
    if (seed.legacyApiKeys) accounts.setLegacyPolicy({ downtimes: seed.legacyApiKeys.downtimes, sunsetAt: seed.legacyApiKeys.sunsetAt ?? null });
  });
}
