#!/usr/bin/env node
import { createServer } from 'node:http';
import { outsideText } from '../core/redact.ts';
import { VERSION } from '../core/version.ts';
import { GATEWAY_LISTEN_DEFAULT, HEALTH_PROBE_MS, RECHECK_MS } from './constants.ts';
import { healthOf } from './health.ts';
import { probeHealth } from './health-probe.ts';
import { checkLicense, type LicenseState } from './license-check.ts';

function parseListen(value: string): { host: string; port: number } {
  const first = value.split(',')[0].trim();
  const m = /^(?:\[?([^\]]*)\]?:)?(\d+)$/.exec(first);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`GATEWAY_LISTEN=${value} is invalid: use HOST:PORT such as ${GATEWAY_LISTEN_DEFAULT}`);
  return { host: m[1] || '0.0.0.0', port };
}

const HELP = `usage: pro-emulator [--help] [--version] [--health]

The demo LocalStack Pro product. Serves GET /_localstack/health on GATEWAY_LISTEN (default ${GATEWAY_LISTEN_DEFAULT});
the Pro services appear only when it verifies LICENSE_FILE itself (against LICENSE_TRUSTED_KEYS), bound to the
credential it was started with (LOCALSTACK_AUTH_TOKEN or LOCALSTACK_API_KEY, or their _FILE twins).
Stops cleanly on SIGTERM or SIGINT. --health asks a running one for its health where GATEWAY_LISTEN says it
listens (the image's HEALTHCHECK): exit 0 when it answers, 1 otherwise.`;

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  if (argv.includes('--version')) {
    console.log(VERSION);
    return;
  }
  if (argv.length === 1 && argv[0] === '--health') {
    try {
      const probe = await probeHealth(parseListen(process.env.GATEWAY_LISTEN || GATEWAY_LISTEN_DEFAULT), HEALTH_PROBE_MS);
      if (probe.why) console.error(`pro-emulator: unhealthy: ${probe.why}`);
      process.exit(probe.code);
    } catch (error) {
      console.error(`pro-emulator: ${(error as Error).message}`);
      process.exit(1);
    }
  }
  if (argv.length > 0) {
    console.error(`pro-emulator: unknown argument ${argv[0]}; see pro-emulator --help`);
    process.exit(64);
  }
  let listen: { host: string; port: number };
  try {
    listen = parseListen(process.env.GATEWAY_LISTEN || GATEWAY_LISTEN_DEFAULT);
  } catch (error) {
    console.error(`pro-emulator: ${(error as Error).message}`);
    process.exit(64);
  }
  let state: LicenseState = await checkLicense(process.env, new Date());
  let checkedAt = Date.now();
  console.error(state.pro
    ? `pro-emulator: Pro features enabled for ${outsideText(state.claims.ws.name, [], 80)} (${outsideText(state.claims.features.join(', '))})`
    : `pro-emulator: running without Pro features (${outsideText(state.why)})`);

  const server = createServer(async (req, res) => {
    if (Date.now() - checkedAt > RECHECK_MS) {
      checkedAt = Date.now();
      state = await checkLicense(process.env, new Date());
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path.replace(/\/+$/, '') === '/_localstack/health' && (req.method === 'GET' || req.method === 'HEAD')) {
      const body = JSON.stringify(healthOf(state, VERSION));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (req.method === 'HEAD') {
      res.writeHead(200).end();
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: `no route ${req.method} ${path}` } }));
  });
  server.once('error', (error: NodeJS.ErrnoException) => {
    const why = error.code === 'EADDRINUSE' ? 'the port is in use by another program' : error.code === 'EACCES' ? 'permission denied' : error.message;
    console.error(`pro-emulator: cannot listen on ${listen.host}:${listen.port}: ${why}. Stop the other program or set GATEWAY_LISTEN to a free HOST:PORT.`);
    process.exit(1);
  });
  server.listen(listen.port, listen.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : listen.port;
    console.error(`pro-emulator: Ready. Listening on ${listen.host}:${port}`);
    // What LocalStack prints when it can serve, alone on its line: Testcontainers' modules and teams' scripts wait for it.
    process.stdout.write('Ready.\n');
  });
  const stop = (signal: NodeJS.Signals) => {
    console.error(`pro-emulator: ${signal} received, shutting down`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main(process.argv.slice(2));
