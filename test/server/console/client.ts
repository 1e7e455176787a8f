import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Accounts } from '../../../src/server/accounts/model.ts';
import { buildServer } from '../../../src/server/http/app.ts';
import { consoleStoreFor } from '../../../src/server/console/index.ts';
import { openPostgres } from '../../../src/server/storage/postgres/backend.ts';
import { PostgresStore } from '../../../src/server/storage/postgres/store.ts';
import { SigningKeys, type LicenseSigner } from '../../../src/server/signing/keys.ts';
import { SqliteStore } from '../../../src/server/storage/sqlite/store.ts';
import type { Store } from '../../../src/server/storage/store.ts';
import { KEY_SECRET, sharedDatabase } from '../../helpers/postgres.ts';
import { tempDir } from '../../helpers/server.ts';

export const ADMIN = 'console-test-admin';

/** The whole license server in-process, with a clock the test moves. */
export async function world(options: { adminToken?: string | null; dataDir?: string; issuer?: string } = {}) {
  const dataDir = options.dataDir ?? tempDir('pa-console-');
  let now = new Date('2026-03-01T10:00:00Z');
  let store: Store;
  let keys: LicenseSigner;
  // TEST_STORE=postgres: the same suite on a real PostgreSQL, a database per data folder (as startApp does).
  if (process.env.TEST_STORE === 'postgres') {
    ({ store, keys } = await openPostgres(await sharedDatabase(dataDir), { LICENSE_SERVER_KEY_SECRET: KEY_SECRET }, 0, () => now, () => undefined));
  } else {
    store = SqliteStore.open(dataDir);
    keys = SigningKeys.load(dataDir, false);
  }
  const accounts = new Accounts(store);
  const app = buildServer({
    accounts, keys, rateLimit: 0,
    adminToken: options.adminToken === null ? undefined : (options.adminToken ?? ADMIN), issuer: options.issuer ?? 'http://console.test', clock: () => now,
  });
  await app.ready();
  return {
    app, accounts, store, dataDir,
    /** A second handle on the console's tables, for checking what they hold. */
    consoleStore: consoleStoreFor(store)!,
    /** Everything the database holds, as bytes: the data folder's files, or every row of every table on PostgreSQL. */
    stored: async (): Promise<Buffer> => {
      if (store instanceof PostgresStore) {
        const tables = await store.rows<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'");
        assert.ok(tables.some((t) => t.name === 'console_logins'), 'the console tables are in this database');
        const rows = await Promise.all(tables.map((t) => store.rows<{ row: string }>(`SELECT t::text AS row FROM "${t.name}" t`)));
        return Buffer.from(rows.flat().map((r) => r.row).join('\n'));
      }
      const files = readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      return Buffer.concat(files.map((e) => readFileSync(join(e.parentPath, e.name))));
    },
    now: () => now,
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

export interface Answer { status: number; body: string; headers: Record<string, string | string[] | undefined>; location?: string }

/** A browser without a browser: keeps cookies, reads the CSRF token of the last page, posts forms. */
export class Client {
  readonly app: FastifyInstance;
  readonly cookies = new Map<string, string>();
  csrf = '';
  constructor(app: FastifyInstance) {
    this.app = app;
  }

  private remember(headers: Answer['headers']) {
    for (const line of [headers['set-cookie'] ?? []].flat()) {
      const [pair, ...attrs] = line.split(';');
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      if (attrs.some((a) => /max-age=0|expires=Thu, 01 Jan 1970/i.test(a)) || value === '') this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value);
    }
  }

  private async send(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<Answer> {
    const res = await this.app.inject({
      method, url,
      headers: { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      payload: form ? new URLSearchParams(form).toString() : undefined,
    });
    this.remember(res.headers as Answer['headers']);
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (m) this.csrf = m[1];
    return { status: res.statusCode, body: res.body, headers: res.headers as Answer['headers'], location: res.headers.location as string | undefined };
  }

  get(url: string) {
    return this.send('GET', url);
  }

  /** Posts a form with the CSRF token of the last page (unless `_csrf` is given). */
  post(url: string, form: Record<string, string> = {}) {
    return this.send('POST', url, { _csrf: this.csrf, ...form });
  }

  async signUp(email: string, password = 'a long enough password', workspace = '') {
    await this.get('/sign-up');
    return this.post('/sign-up', { email, password, workspace });
  }

  async signIn(email: string, password = 'a long enough password') {
    await this.get('/sign-in');
    return this.post('/sign-in', { email, password });
  }

  /** The developer token shown on Getting Started. */
  async token(): Promise<string> {
    const page = await this.get('/getting-started');
    return /id="auth-token" class="value">([^<]+)</.exec(page.body)?.[1] ?? '';
  }
}

/** The text of the page's alert, if any. */
export const alertOf = (body: string) => /role="alert">([^]*?)<\/div>/.exec(body)?.[1]?.replace(/<[^>]+>/g, '') ?? '';
