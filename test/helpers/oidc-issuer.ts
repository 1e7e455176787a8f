// A real OpenID Connect issuer for the tests, on loopback over HTTPS with its own private CA: the discovery document,
// the JWKS (RS256 keys, rotatable), and a GitHub-style token request endpoint that checks its bearer and audience.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { atExit, tempDir } from './cleanup.ts';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
interface IssuerKey { kid: string; privateKey: PrivateKey; jwk: JWK }

export interface OidcIssuer {
  /** The issuer ("iss"): https://127.0.0.1:PORT. */
  url: string;
  /** The private CA's certificate: give it to a client as NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** What a GitHub runner sets for a job with id-token: write. */
  requestUrl: string;
  requestToken: string;
  /** Signs an ID token with the current key: GitHub-like claims for acme/app on main unless overridden. */
  sign: (claims?: Record<string, unknown>, options?: { expiresInS?: number; issuedAgoS?: number; audience?: string; issuer?: string }) => Promise<string>;
  /** The claims the token endpoint puts in the tokens it issues (merged over the defaults). */
  setClaims: (claims: Record<string, unknown>) => void;
  /** A new current key; the old one is no longer published. */
  rotate: () => Promise<void>;
  /** How often each path was asked for. */
  hits: Map<string, number>;
  /** Tokens the endpoint issued, for leak checks. */
  issued: string[];
  close: () => Promise<void>;
}

/** A private CA and a certificate for 127.0.0.1 signed by it (openssl, as in the TLS fault tests). */
function privateCa(dir: string): { key: Buffer; cert: Buffer; caFile: string } {
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'),
    '-days', '1', '-subj', '/CN=pro-activation test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '1', '-extfile', f('ext.cnf'));
  return { key: readFileSync(f('server.key')), cert: readFileSync(f('server.pem')), caFile: f('ca.pem') };
}

async function newKey(): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `k-${randomUUID().slice(0, 8)}`;
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export const githubClaims = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  sub: 'repo:acme/app:ref:refs/heads/main', repository: 'acme/app', repository_id: '4711', repository_owner: 'acme', repository_owner_id: '42',
  ref: 'refs/heads/main', ref_type: 'branch', workflow: 'ci', event_name: 'push', run_id: '1001', run_attempt: '1',
  job_workflow_ref: 'acme/app/.github/workflows/ci.yml@refs/heads/main', runner_environment: 'github-hosted', ...over,
});

export async function startOidcIssuer(): Promise<OidcIssuer> {
  const dir = tempDir('pa-oidc-');
  const tls = privateCa(dir);
  let key = await newKey();
  let endpointClaims: Record<string, unknown> = {};
  const hits = new Map<string, number>();
  const issued: string[] = [];
  const requestToken = `runner-${randomUUID()}`;
  let url = '';

  const sign = async (claims: Record<string, unknown> = {}, options: { expiresInS?: number; issuedAgoS?: number; audience?: string; issuer?: string } = {}) => {
    const now = Math.floor(Date.now() / 1000) - (options.issuedAgoS ?? 0);
    const payload: JWTPayload = { jti: randomUUID(), ...githubClaims(claims) };
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
      .setIssuer(options.issuer ?? url).setAudience(options.audience ?? 'unset').setIssuedAt(now).setNotBefore(now)
      .setExpirationTime(now + (options.expiresInS ?? 300)).sign(key.privateKey);
  };

  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const u = new URL(req.url ?? '/', url);
    hits.set(u.pathname, (hits.get(u.pathname) ?? 0) + 1);
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (u.pathname === '/.well-known/openid-configuration') {
      return json(200, { issuer: url, jwks_uri: `${url}/.well-known/jwks`, response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'] });
    }
    if (u.pathname === '/.well-known/jwks') return json(200, { keys: [key.jwk] });
    if (u.pathname === '/token') {
      // As GitHub's: the runner's request token as bearer, the audience as a query parameter.
      if (req.headers.authorization !== `Bearer ${requestToken}`) return json(401, { message: 'bad request token' });
      const audience = u.searchParams.get('audience');
      if (!audience) return json(400, { message: 'audience is required' });
      void sign(endpointClaims, { audience }).then((value) => {
        issued.push(value);
        json(200, { count: 1, value });
      });
      return;
    }
    json(404, { message: 'not found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  atExit(() => server.close());
  return {
    url, caFile: tls.caFile, requestUrl: `${url}/token?api-version=2.0`, requestToken, sign, hits, issued,
    setClaims: (claims) => {
      endpointClaims = claims;
    },
    rotate: async () => {
      key = await newKey();
    },
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
