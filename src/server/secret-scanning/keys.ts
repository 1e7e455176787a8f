// The scanner's public keys: a GitHub-shaped document read from a file or fetched over HTTPS, refreshed at most once
// per interval when an unknown key id arrives, so forged ids cannot make the server hammer the key URL.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SECRET_SCANNING } from '../constants.ts';
import { ApiError, ServerConfigError } from '../errors.ts';
import { SERVER_EXIT } from '../constants.ts';

/** Parses `{"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}`; entries that are not ECDSA P-256 keys are left out. */
export function parseKeyDocument(text: string): Map<string, KeyObject> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('it is not JSON');
  }
  const entries = (doc as { public_keys?: unknown } | null)?.public_keys;
  if (!Array.isArray(entries)) throw new Error('it has no "public_keys" array');
  const keys = new Map<string, KeyObject>();
  for (const entry of entries as { key_identifier?: unknown; key?: unknown }[]) {
    if (typeof entry?.key_identifier !== 'string' || typeof entry.key !== 'string') continue;
    try {
      const key = createPublicKey(entry.key);
      if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') keys.set(entry.key_identifier, key);
    } catch {
      // Not a PEM public key: left out, as GitHub may list key types this server does not verify.
    }
  }
  if (keys.size === 0) throw new Error('it lists no ECDSA P-256 public key');
  return keys;
}

export type KeyLoader = () => Promise<string>;

/** `--secret-scanning-keys`: an https:// URL, or a file read now (a bad file stops the start with one line). */
export function keyLoader(location: string): { load: KeyLoader; initial?: Map<string, KeyObject> } {
  const fail = (why: string) => new ServerConfigError('server.secret_scanning_keys', `--secret-scanning-keys ${location}: ${why}`, SERVER_EXIT.usage);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw fail('not a URL; give an https:// URL or a file');
    }
    if (url.protocol !== 'https:') throw fail('the key document is fetched over HTTPS only; give an https:// URL or a file');
    return { load: () => fetchDocument(url) };
  }
  const load = async () => readFileSync(location, 'utf8');
  try {
    return { load, initial: parseKeyDocument(readFileSync(location, 'utf8')) };
  } catch (error) {
    throw fail(`${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; give GitHub's key document {"public_keys": [{"key_identifier", "key"}]}`);
  }
}

async function fetchDocument(url: URL): Promise<string> {
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(SECRET_SCANNING.keysFetchTimeoutMs), headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > SECRET_SCANNING.keysDocumentBytes) throw new Error('the document is too large');
  const text = await res.text();
  if (text.length > SECRET_SCANNING.keysDocumentBytes) throw new Error('the document is too large');
  return text;
}

/** The verification keys by id; loads lazily and refreshes on an unknown id at most once per interval (one load at a time). */
export class ScannerKeys {
  private keys: Map<string, KeyObject> | undefined;
  private lastLoadMs = -Infinity;
  private loading: Promise<void> | undefined;
  private readonly load: KeyLoader;
  private readonly nowMs: () => number;
  private readonly warn: (line: string) => void;
  /** How many times the document was read or fetched (for /metrics-like checks in tests and benches). */
  loads = 0;

  constructor(options: { load: KeyLoader; initial?: Map<string, KeyObject>; nowMs: () => number; warn?: (line: string) => void }) {
    this.load = options.load;
    this.keys = options.initial;
    if (options.initial) this.lastLoadMs = options.nowMs();
    this.nowMs = options.nowMs;
    this.warn = options.warn ?? (() => undefined);
  }

  /** The key named `id`, or undefined when the (possibly refreshed) document does not list it. */
  async key(id: string): Promise<KeyObject | undefined> {
    const known = this.keys?.get(id);
    if (known) return known;
    if (!this.loading && this.nowMs() - this.lastLoadMs >= SECRET_SCANNING.keysRefreshMinMs) this.loading = this.refresh();
    if (this.loading) await this.loading;
    if (!this.keys) {
      throw new ApiError(503, 'secret_scanning.keys_unavailable', 'the scanner\'s public keys cannot be loaded now; send the alert again later',
        { headers: { 'retry-after': String(Math.ceil(SECRET_SCANNING.keysRefreshMinMs / 1000)) } });
    }
    return this.keys.get(id);
  }

  private async refresh(): Promise<void> {
    this.lastLoadMs = this.nowMs();
    this.loads++;
    try {
      this.keys = parseKeyDocument(await this.load());
    } catch (error) {
      // The keys held so far stay in use; the next refresh is tried after the interval.
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      this.warn(`license-server: warning: the secret scanning keys cannot be loaded: ${(error as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`);
    } finally {
      this.loading = undefined;
    }
  }
}
