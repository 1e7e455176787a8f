// The essential work of a warm start and nothing else, as the floor beside which bench/entrypoint.ts times the
// entrypoint: read the keys, one POST, one Ed25519 verification, write and fsync the license, run the command.
// No configuration, retries, lock, CI detection, checks of the answer or logging. Not a program to use.
const { request } = process.getBuiltinModule('node:http');
const { createPublicKey, verify } = process.getBuiltinModule('node:crypto');
const { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } = process.getBuiltinModule('node:fs');
const { spawn } = process.getBuiltinModule('node:child_process');

const env = process.env;
const jwks = JSON.parse(readFileSync(env.LICENSE_TRUSTED_KEYS, 'utf8'));
const keys = new Map(jwks.keys.map((k) => [k.kid, createPublicKey({ key: { kty: k.kty, crv: k.crv, x: k.x }, format: 'jwk' })]));
const body = JSON.stringify({ product: 'localstack-pro', version: '4.0.0', ci: false, machineId: 'floor' });
const text = await new Promise((resolve, reject) => {
  const headers = { authorization: `Bearer ${env.LOCALSTACK_AUTH_TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  const req = request(new URL(`${env.API_ENDPOINT}/license/activate`), { method: 'POST', headers }, (res) => {
    let t = '';
    res.setEncoding('utf8');
    res.on('data', (d) => (t += d));
    res.on('end', () => resolve(t));
  });
  req.on('error', reject);
  req.end(body);
});
const jws = JSON.parse(text).license;
const [h, p, s] = jws.split('.');
const header = JSON.parse(Buffer.from(h, 'base64url').toString());
if (!verify(null, Buffer.from(`${h}.${p}`), keys.get(header.kid), Buffer.from(s, 'base64url'))) process.exit(55);
mkdirSync(env.LICENSE_CACHE_DIR, { recursive: true });
const fd = openSync(`${env.LICENSE_CACHE_DIR}/floor.tmp`, 'w', 0o600);
writeSync(fd, JSON.stringify({ license: jws }));
fsyncSync(fd);
closeSync(fd);
renameSync(`${env.LICENSE_CACHE_DIR}/floor.tmp`, `${env.LICENSE_CACHE_DIR}/floor.json`);
spawn(process.argv[2], process.argv.slice(3), { stdio: 'inherit' }).on('exit', (code) => process.exit(code ?? 1));
