// A license server behind TLS with a private CA: trusted from inside the container through NODE_EXTRA_CA_CERTS
// (mounted), directly and through an HTTPS proxy (CONNECT).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connectProxy } from '../helpers/net.ts';
import { fixture, startServer, tempDir, type RunningServer } from '../helpers/server.ts';
import { Container, ENGINE, HOST_FROM_CONTAINER, trustServerKeys } from './engine.ts';

const NAME = 'license.test';
const CA_IN_CONTAINER = '/etc/localstack/ca/private-ca.pem';
const f = fixture();
let server: RunningServer;
let tls: Server;
let tlsPort: number;
let caFile: string;
let keys: ReturnType<typeof trustServerKeys>;

/** A CA of our own and a certificate for license.test signed by it. */
function privateCa(dir: string): { ca: string; key: string; cert: string } {
  const at = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  execFileSync('openssl', ['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '1', '-subj', '/CN=pro-activation test CA'], { stdio: 'ignore' });
  execFileSync('openssl', ['req', ...ec, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', `/CN=${NAME}`], { stdio: 'ignore' });
  writeFileSync(at('server.ext'), `subjectAltName=DNS:${NAME}\n`);
  execFileSync('openssl', ['x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('server.pem'), '-days', '1', '-extfile', at('server.ext')], { stdio: 'ignore', timeout: 20_000 });
  return { ca: at('ca.pem'), key: at('server.key'), cert: at('server.pem') };
}

const listen = (s: Server) => new Promise<number>((r) => s.listen(0, ENGINE.serverHost, () => r((s.address() as AddressInfo).port)));

before(async () => {
  server = await startServer({ seed: f.seed });
  keys = trustServerKeys(join(server.dataDir, 'public/jwks.json'));
  const pki = privateCa(tempDir('pa-ca-'));
  caFile = pki.ca;
  // TLS in front of the real server, as a reverse proxy would terminate it.
  tls = createHttpsServer({ key: readFileSync(pki.key), cert: readFileSync(pki.cert) }, async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const upstream = await fetch(`${server.url}${req.url}`, { method: req.method, headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json' }, body: body || undefined });
    res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
  });
  tlsPort = await listen(tls);
});
after(async () => {
  tls.close();
  await server.stop();
});

async function activation(env: Record<string, string>, args: string[]): Promise<{ code: number; logs: string }> {
  const c = await Container.start({ args: [...keys.args, ...args], env: { ...keys.env, LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: `https://${NAME}:${tlsPort}/v1`, ACTIVATION_TIMEOUT: '5', ...env }, after: ['true'], publish: false });
  try {
    const code = await c.wait();
    return { code, logs: await c.logs() };
  } finally {
    await c.remove();
  }
}

test('NODE_EXTRA_CA_CERTS naming the mounted private CA: activation over TLS works; without it the TLS failure is reported', async () => {
  const direct = ['--add-host', `${NAME}:${HOST_FROM_CONTAINER}`];
  const trusted = await activation({ NODE_EXTRA_CA_CERTS: CA_IN_CONTAINER }, [...direct, '-v', `${caFile}:${CA_IN_CONTAINER}:ro`]);
  assert.equal(trusted.code, 0, trusted.logs);
  assert.match(trusted.logs, /Successfully activated license lic-[\w-]+:subscription 🔑✅/);
  const untrusted = await activation({}, direct);
  assert.equal(untrusted.code, 55, untrusted.logs);
  assert.match(untrusted.logs, /License activation failed! 🔑❌\n\nReason: .*(TLS|certificate)/i);
});

test('through an HTTPS proxy (CONNECT) on the host: the container reaches the TLS server only through it', async () => {
  // The proxy resolves the name; the container cannot (no --add-host here).
  const { server: proxy, tunnels } = connectProxy({ resolve: (host) => (host === NAME ? '127.0.0.1' : host) });
  const proxyPort = await listen(proxy);
  try {
    const r = await activation({ NODE_EXTRA_CA_CERTS: CA_IN_CONTAINER, HTTPS_PROXY: `http://${HOST_FROM_CONTAINER}:${proxyPort}` }, ['-v', `${caFile}:${CA_IN_CONTAINER}:ro`]);
    assert.equal(r.code, 0, r.logs);
    assert.match(r.logs, /Successfully activated license lic-[\w-]+:subscription 🔑✅/);
    assert.deepEqual(tunnels, [`${NAME}:${tlsPort}`]);
  } finally {
    proxy.close();
  }
});
