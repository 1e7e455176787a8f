import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { generateLegacyKey, generateToken, hashCredential } from '../../../src/core/credentials.ts';
import { SeedError } from '../../../src/server/errors.ts';
import { checkSeed, importSeed } from '../../../src/server/accounts/seed.ts';
import { startApp, type InProcessServer } from '../../helpers/server.ts';

// The seed importer on arbitrary seeds: each either refused with a stable code naming a field (never a
// credential), or imported so that every credential in it resolves to its account. Imports pile up in
// one store, so seeds also meet the accounts of earlier ones.

const RUNS = Number(process.env.FC_NUM_RUNS ?? 60);
let server: InProcessServer;
before(async () => {
  server = await startApp();
});
after(async () => {
  await server.close();
});

const sometimes = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<unknown>) => fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: bad });
const instant = sometimes(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2016-12-31T23:59:60Z', '2026-02-30T00:00:00Z', 'soon', 5));
const token = (kind: 'developer' | 'ci') => fc.constant(null).map(() => generateToken(kind));
const seed = fc.record({
  workspaces: fc.array(fc.record({
    id: sometimes(fc.constantFrom('ws-a', 'ws-b', 'ws-c'), fc.string()),
    name: sometimes(fc.string({ minLength: 1, maxLength: 20 }), fc.constant('')),
    license: fc.option(fc.record({
      type: sometimes(fc.constantFrom('trial', 'subscription'), fc.string()),
      plan: fc.option(fc.constantFrom('pro', 'starter'), { nil: undefined }),
      seats: fc.option(sometimes(fc.integer({ min: 0, max: 10 }), fc.constantFrom(9007199254740993, -1, 1.5, 1_000_001)), { nil: undefined }),
      startsAt: fc.option(instant, { nil: undefined }), expiresAt: fc.option(instant, { nil: undefined }),
    }, { requiredKeys: ['type'] }), { nil: undefined }),
    members: fc.option(fc.array(fc.record({
      email: sometimes(fc.constantFrom('a@x.test', 'b@x.test', 'c@x.test'), fc.string()),
      role: sometimes(fc.constantFrom('owner', 'admin', 'member'), fc.string()),
      licensed: fc.option(fc.boolean(), { nil: undefined }),
      authToken: fc.option(sometimes(token('developer'), fc.oneof(token('ci'), fc.string())), { nil: undefined }),
      legacyApiKey: fc.option(sometimes(fc.constant(null).map(() => generateLegacyKey()), fc.string()), { nil: undefined }),
    }, { requiredKeys: ['email', 'role'] }), { maxLength: 4 }), { nil: undefined }),
    ciTokens: fc.option(fc.array(fc.record({ name: fc.constantFrom('gh', 'gl'), token: sometimes(token('ci'), fc.string()) }), { maxLength: 2 }), { nil: undefined }),
  }, { requiredKeys: ['id', 'name'] }), { maxLength: 3 }),
  legacyApiKeys: fc.option(fc.record({ downtimes: fc.array(fc.record({ start: instant, end: instant }), { maxLength: 2 }), sunsetAt: fc.option(instant, { nil: null }) }), { nil: undefined }),
}, { requiredKeys: ['workspaces'] });

/** The values of credential fields anywhere in the data. */
function credentialsOf(data: unknown): string[] {
  if (!data || typeof data !== 'object') return [];
  return Object.entries(data).flatMap(([key, value]) =>
    ['authToken', 'legacyApiKey', 'token'].includes(key) && typeof value === 'string' && value.length >= 8 ? [value] : credentialsOf(value));
}

test('the seed importer: refused with seed.invalid or seed.conflict naming a field, or imported with every credential resolving', async () => {
  await fc.assert(fc.asyncProperty(fc.oneof({ weight: 5, arbitrary: seed }, { weight: 1, arbitrary: fc.jsonValue() }), async (data) => {
    let checked;
    try {
      checked = checkSeed(data, 'seed.json');
    } catch (error) {
      assert.ok(error instanceof SeedError, String(error));
      assert.equal(error.code, 'seed.invalid');
      for (const c of credentialsOf(data)) assert.ok(!error.message.includes(c), `a credential in: ${error.message}`);
      return;
    }
    try {
      await importSeed(server.accounts, checked, new Date());
    } catch (error) {
      assert.ok(error instanceof SeedError, String((error as Error).stack));
      assert.equal(error.code, 'seed.conflict');
      return;
    }
    for (const ws of checked.workspaces) {
      for (const m of ws.members ?? []) {
        if (!m.authToken) continue;
        const member = await server.store.memberByTokenHash(hashCredential(m.authToken));
        assert.equal(member?.email, m.email);
      }
      for (const t of ws.ciTokens ?? []) assert.ok(await server.store.ciTokenByHash(hashCredential(t.token)));
    }
  }), { numRuns: RUNS, timeout: 5_000 });
});
