import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { OFFLINE_VALIDITY_S } from '../../src/core/constants.ts';
import { credentialBinding } from '../../src/core/credentials.ts';
import { signLicense, type LicenseClaims } from '../../src/core/license.ts';
import { signOfflineLicense, type OfflineLicenseClaims } from '../../src/core/offline-license.ts';

export interface TestKey {
  kid: string;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  jwk: JWK & { kid: string };
}

/** A throw-away Ed25519 signing key, for licenses the tests forge (stale, future-issued, foreign). */
export async function testKey(): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub);
  return { kid, privateKey, jwk: { ...pub, kid, alg: 'EdDSA' } };
}

export function writeJwks(dir: string, keys: (JWK & { kid: string })[]): string {
  const path = join(dir, 'trusted-keys.json');
  writeFileSync(path, JSON.stringify({ keys }));
  return path;
}

export function claimsFor(credential: string, iatSeconds: number, over: Partial<LicenseClaims> = {}): LicenseClaims {
  return {
    iss: 'http://test', aud: 'localstack-pro', sub: 'mem-test', jti: `act-${iatSeconds}-${Math.random()}`,
    iat: iatSeconds, nbf: iatSeconds, exp: iatSeconds + OFFLINE_VALIDITY_S, tok: credentialBinding(credential), ci: false,
    lic: { id: 'lic-test', type: 'subscription', plan: 'pro', status: 'ACTIVE', expiresAt: '2099-01-01T00:00:00.000Z' },
    ws: { id: 'ws-test', name: 'Test' }, features: ['xray'], ...over,
  };
}

export async function forge(key: TestKey, claims: LicenseClaims): Promise<string> {
  return signLicense(claims, key);
}

/** A validly signed JWS whose payload is any text (null, an array, garbage): what a broken server could sign. */
export async function signRaw(key: TestKey, payload: string, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'license+jwt', ...header })
    .sign(key.privateKey);
}

/** Offline claims (issue 21) valid from `nbfSeconds` for `days`. */
export function offlineClaimsFor(nbfSeconds: number, days = 365, over: Partial<OfflineLicenseClaims> = {}): OfflineLicenseClaims {
  return {
    iss: 'http://test', aud: 'localstack-pro', sub: 'ws-test', jti: `off-${nbfSeconds}-${Math.random()}`,
    iat: nbfSeconds, nbf: nbfSeconds, exp: nbfSeconds + days * 86_400, use: 'offline-installation',
    ws: { id: 'ws-test', name: 'Test' }, lic: { id: 'lic-test', type: 'subscription', plan: 'pro' }, features: ['xray'],
    installation: 'build-farm-1', seats: 2, ...over,
  };
}

export async function forgeOffline(key: TestKey, claims: OfflineLicenseClaims): Promise<string> {
  return signOfflineLicense(claims, key);
}
