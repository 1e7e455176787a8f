#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVER_DEFAULTS } from '../core/constants.ts';
import { Accounts } from './accounts.ts';
import { buildServer, type ServerOptions } from './app.ts';
import { CodedError } from '../core/errors.ts';
import { ServerConfigError } from './errors.ts';
import { importSeed, readSeed } from './seed.ts';
import { loadSigningKeys } from './signing-keys.ts';
import { Store } from './store.ts';

const D = SERVER_DEFAULTS;
const USAGE = `usage: license-server [--host ${D.host}] [--port ${D.port}] [--data-dir ${D.dataDir}] [--seed FILE] [--rate-limit N (default ${D.rateLimit})] [--issuer URL]

Environment: ADMIN_TOKEN enables the admin API under /admin/v1.`;

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: D.host },
      port: { type: 'string', default: String(D.port) },
      'data-dir': { type: 'string', default: D.dataDir },
      seed: { type: 'string' },
      'rate-limit': { type: 'string', default: String(D.rateLimit) },
      issuer: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ServerConfigError('server.usage', `--port must be 0–65535, not ${values.port}`);
  const rateLimit = Number(values['rate-limit']);
  if (!Number.isInteger(rateLimit) || rateLimit < 0) throw new ServerConfigError('server.usage', `--rate-limit must be a whole number ≥ 0, not ${values['rate-limit']}`);
  return { ...values, port, rateLimit, dataDir: resolve(values['data-dir']) };
}

/** A test-only clock: LICENSE_SERVER_NOW sets the starting instant, time then runs on from it. */
function clockFrom(env: NodeJS.ProcessEnv): () => Date {
  const start = env.LICENSE_SERVER_NOW ? Date.parse(env.LICENSE_SERVER_NOW) : NaN;
  if (env.LICENSE_SERVER_NOW && Number.isNaN(start)) throw new ServerConfigError('server.usage', `LICENSE_SERVER_NOW must be an ISO-8601 time, not ${env.LICENSE_SERVER_NOW}`);
  if (Number.isNaN(start)) return () => new Date();
  const offset = start - Date.now();
  return () => new Date(Date.now() + offset);
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(process.argv.slice(2));
  } catch (error) {
    console.error(`license-server: ${(error as Error).message}\n${USAGE}`);
    return 64;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const clock = clockFrom(process.env);
  const store = new Store(args.dataDir);
  const accounts = new Accounts(store);
  if (args.seed) importSeed(accounts, readSeed(args.seed), clock());
  const keys = await loadSigningKeys(args.dataDir);
  const options: ServerOptions = {
    accounts, keys, dataDir: args.dataDir, rateLimit: args.rateLimit, adminToken: process.env.ADMIN_TOKEN || undefined,
    issuer: args.issuer ?? '', clock,
  };
  const app = buildServer(options);
  await app.listen({ host: args.host, port: args.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : args.port;
  const host = args.host.includes(':') ? `[${args.host}]` : args.host;
  // The issuer is read per request, so a picked port (--port 0) is known before the first activation.
  if (!args.issuer) options.issuer = `http://${host}:${port}`;
  console.log(`license server listening on http://${host}:${port}`);
  return new Promise((done) => {
    const stop = () => {
      app.close().then(() => {
        store.close();
        done(0);
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`license-server: ${error instanceof CodedError ? `${error.message} [${error.code}]` : (error as Error).stack}`);
    process.exit(error instanceof CodedError ? 65 : 70);
  },
);
