// The test's stand-in for GitHub's secret scanner: its own ECDSA P-256 keys, its key document, signed alerts,
// and that document served over HTTPS on loopback by a private CA (real TLS, real signatures).
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { tempDir } from './cleanup.ts';

export interface ScannerKey { id: string; privateKey: KeyObject; publicPem: string }

export function scannerKey(id: string): ScannerKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { id, privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** GitHub's document shape: {"public_keys": [{"key_identifier", "key", "is_current"}]}. */
export function keyDocument(keys: ScannerKey[]): string {
  return JSON.stringify({ public_keys: keys.map((k, i) => ({ key_identifier: k.id, key: k.publicPem, is_current: i === 0 })) });
}

/** The headers GitHub sends: the key's id and the base64 DER signature of exactly these bytes. */
export function signedHeaders(body: string, key: ScannerKey, keyId = key.id): Record<string, string> {
  const signature = sign('sha256', Buffer.from(body), { key: key.privateKey, dsaEncoding: 'der' }).toString('base64');
  return { 'content-type': 'application/json', 'github-public-key-identifier': keyId, 'github-public-key-signature': signature };
}

export interface Match { token: string; type: string; url: string; source: string }
export const match = (token: string, url = 'https://github.com/acme/app/blob/main/.env', type = token.startsWith('lsci-') ? 'localstack_ci_token' : 'localstack_auth_token'): Match =>
  ({ token, type, url, source: 'content' });

/** A private CA and a certificate for 127.0.0.1 signed by it (openssl, as the image's TLS test does). */
export function privateCa(): { caFile: string; key: string; cert: string } {
  const dir = tempDir('pa-scanner-ca-');
  const at = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  execFileSync('openssl', ['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '1', '-subj', '/CN=pro-activation scanner test CA'], { stdio: 'ignore' });
  execFileSync('openssl', ['req', ...ec, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  execFileSync('openssl', ['x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('server.pem'), '-days', '1', '-extfile', at('server.ext')], { stdio: 'ignore', timeout: 20_000 });
  return { caFile: at('ca.pem'), key: readFileSync(at('server.key'), 'utf8'), cert: readFileSync(at('server.pem'), 'utf8') };
}

export interface KeyServer { url: string; caFile: string; fetches: () => number; setDocument: (doc: string) => void; close: () => Promise<void> }

/** Serves the key document over HTTPS on 127.0.0.1 and counts how often it is fetched. */
export async function startKeyServer(doc: string): Promise<KeyServer> {
  const pki = privateCa();
  let current = doc;
  let fetches = 0;
  const server: Server = createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    if (req.url !== '/meta/public_keys/secret_scanning') return res.writeHead(404).end();
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(current);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}/meta/public_keys/secret_scanning`, caFile: pki.caFile, fetches: () => fetches,
    setDocument: (d) => { current = d; },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
