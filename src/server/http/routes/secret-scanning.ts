import { verify, type KeyObject } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { SECRET_SCANNING } from '../../constants.ts';
import { ApiError } from '../../errors.ts';
import { handleAlert, readMatches } from '../../secret-scanning/alerts.ts';
import type { ScannerKeys } from '../../secret-scanning/keys.ts';
import { RateLimiter } from '../rate-limit.ts';
import type { RouteContext } from './context.ts';

export interface SecretScanningContext extends RouteContext {
  scannerKeys: ScannerKeys;
}

const KEY_ID = /^[\x21-\x7e]{1,200}$/;
const BASE64 = /^[A-Za-z0-9+/]{8,400}={0,2}$/;

/** ECDSA P-256 / SHA-256, DER-encoded, over the raw body bytes; anything malformed is simply "does not verify". */
function verifies(body: Buffer, signature: string, key: KeyObject): boolean {
  try {
    return verify('sha256', body, { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

const unauthorized = (message: string) => new ApiError(401, 'secret_scanning.signature_invalid', message);

/**
 * POST /v1/secret-scanning/alerts: GitHub's secret scanning partner format. The signature is checked over the raw
 * bytes before the body is parsed; nothing changes unless it verifies. Registered only with --secret-scanning-keys.
 */
export const secretScanningRoutes: FastifyPluginAsync<SecretScanningContext> = async (app, ctx) => {
  const senders = new RateLimiter(SECRET_SCANNING.alertsPerMinute);
  // This plugin's own parser keeps the raw bytes: the signature is over them, not over a re-serialised object.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: SECRET_SCANNING.bodyBytes }, (_request, body, done) => done(null, body));
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: SECRET_SCANNING.bodyBytes }, (_request, _body, done) => {
    done(new ApiError(415, 'request.unsupported_media_type', 'send the alert as application/json'), undefined);
  });

  app.post('/v1/secret-scanning/alerts', { bodyLimit: SECRET_SCANNING.bodyBytes }, async (request) => {
    const wait = senders.hit(`alerts:${request.ip}`, ctx.clock().getTime());
    if (wait > 0) throw new ApiError(429, 'secret_scanning.rate_limited', `too many alerts from this address; retry in ${wait} s`, { headers: { 'retry-after': String(wait) } });
    const keyId = request.headers['github-public-key-identifier'];
    const signature = request.headers['github-public-key-signature'];
    if (typeof keyId !== 'string' || !KEY_ID.test(keyId) || typeof signature !== 'string' || !BASE64.test(signature)) {
      throw unauthorized('send the Github-Public-Key-Identifier and Github-Public-Key-Signature headers (base64 DER ECDSA P-256 signature of the body)');
    }
    const key = await ctx.scannerKeys.key(keyId);
    if (!key) throw unauthorized('the signature\'s key identifier is not among the scanner\'s public keys');
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (!verifies(raw, signature, key)) throw unauthorized('the signature does not verify over this body with that key');
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new ApiError(400, 'request.malformed_json', 'the alert body is not valid JSON');
    }
    return handleAlert(ctx.accounts.store, readMatches(body), keyId, ctx.clock());
  });
};
