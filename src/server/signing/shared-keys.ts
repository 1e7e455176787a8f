import type { KeyObject } from 'node:crypto';
import type { Jwks, LicenseClaims } from '../../core/license.ts';
import { SERVER_EXIT } from '../constants.ts';
import { ServerConfigError } from '../errors.ts';
import { KEK_ENV, open, seal } from './key-encryption.ts';
import type { PgTx, PostgresStore, SigningKeyRow } from '../storage/postgres/store.ts';
import { newKey, protectedHeader, publicHalf, signCompact, usablePrivateKey, type Jwk, type KeyStatus, type LicenseSigner, type Rotated, type Signed, type Staged } from './keys.ts';
import { OFFLINE_LICENSE_TYP } from '../../core/constants.ts';
import type { OfflineLicenseClaims } from '../../core/offline-license.ts';

interface KeyState { kid: string; header: string; privateKey: KeyObject; jwks: Jwks; status: KeyStatus }

const liveOf = (status: KeyStatus) => `${status.current}|${status.next ?? ''}`;

const secretError = (kid: string, cause: unknown) => new ServerConfigError('server.key_secret',
  `${KEK_ENV} does not open the signing key ${kid} stored in the database; every replica needs the same secret`, SERVER_EXIT.usage, { cause });

/** A new key: its public half in the clear, its private part sealed under the KEK; staged = published, not signing. */
async function insertNewKey(tx: PgTx, kek: Buffer, now: Date, staged = false): Promise<string> {
  const jwk = newKey();
  await tx.insertSigningKey({
    kid: jwk.kid, public_jwk: JSON.stringify(publicHalf(jwk)), private_key: seal(jwk.d!, kek, jwk.kid), created_at: now.toISOString(), retired_at: null,
    staged_at: staged ? now.toISOString() : null,
  });
  return jwk.kid;
}

function stateOf(rows: SigningKeyRow[], kek: Buffer): KeyState {
  const current = rows.find((r) => r.retired_at === null && r.staged_at === null);
  const next = rows.find((r) => r.staged_at !== null);
  if (!current?.private_key) throw new ServerConfigError('server.signing_key', 'the database holds no current signing key', SERVER_EXIT.data);
  const pub = JSON.parse(current.public_jwk) as Jwk;
  let d: string;
  try {
    d = open(current.private_key, kek, current.kid);
  } catch (cause) {
    throw secretError(current.kid, cause);
  }
  let privateKey: KeyObject;
  try {
    privateKey = usablePrivateKey({ ...pub, d });
  } catch (cause) {
    throw new ServerConfigError('server.signing_key', `the signing key ${current.kid} stored in the database does not match its public key; restore the database from backup`, SERVER_EXIT.data, { cause });
  }
  const others = rows.filter((r) => r !== current && r !== next);
  return {
    kid: current.kid,
    header: protectedHeader(current.kid),
    privateKey,
    // The current key first, then the staged one (published before it signs), then every retired one: licenses they signed keep verifying.
    jwks: { keys: [pub, ...[...(next ? [next] : []), ...others].map((r) => JSON.parse(r.public_jwk) as Jwk)] } as Jwks,
    status: { current: current.kid, next: next?.kid ?? null, previous: others.map((r) => r.kid) },
  };
}

/**
 * Signing keys shared by every replica of one PostgreSQL database. Each signature uses the current key id
 * read with the caller's credential (or reads it): a rotation committed by any replica is used and published
 * by all from then on, and no replica signs with a key that the others do not publish.
 */
export class SharedSigningKeys implements LicenseSigner {
  private state: KeyState;
  private reloading: Promise<KeyState> | undefined;
  private readonly store: PostgresStore;
  private readonly kek: Buffer;
  private readonly clock: () => Date;

  private constructor(store: PostgresStore, kek: Buffer, clock: () => Date, state: KeyState) {
    this.store = store;
    this.kek = kek;
    this.clock = clock;
    this.state = state;
  }

  /** Loads the keys, creating the first one when the database has none (once, whatever replicas start together). */
  static async load(store: PostgresStore, kek: Buffer, clock: () => Date): Promise<SharedSigningKeys> {
    await store.transaction(async (tx) => {
      if (!(await tx.currentKid())) await insertNewKey(tx, kek, clock());
    });
    return new SharedSigningKeys(store, kek, clock, stateOf(await store.signingKeys(), kek));
  }

  get kid(): string {
    return this.state.kid;
  }

  /**
   * After a query of the current and staged key ids, or (for signing, which only the current key concerns)
   * after the current id read with the caller's credential.
   */
  private async fresh(observedCurrent?: string): Promise<KeyState> {
    const same = observedCurrent !== undefined ? observedCurrent === this.state.kid : (await this.store.liveKids()) === liveOf(this.state.status);
    if (same) return this.state;
    // Requests that notice the change together share one reload.
    this.reloading ??= this.store.signingKeys().then((rows) => (this.state = stateOf(rows, this.kek))).finally(() => { this.reloading = undefined; });
    return this.reloading;
  }

  /**
   * The activation read its credential in the same statement as the current key id (credentialOwner), so a
   * rotation committed before that read is used here without another round trip.
   */
  async sign(claims: LicenseClaims): Promise<string> {
    const { header, privateKey } = await this.fresh(this.store.observedKid());
    return signCompact(header, privateKey, claims);
  }

  async signOffline(claims: OfflineLicenseClaims): Promise<Signed> {
    const { kid, privateKey } = await this.fresh();
    return { jws: signCompact(protectedHeader(kid, OFFLINE_LICENSE_TYP), privateKey, claims), kid };
  }

  async publicKeys(): Promise<Jwks> {
    return (await this.fresh()).jwks;
  }

  async status(): Promise<KeyStatus> {
    return (await this.fresh()).status;
  }

  /**
   * Under the store's write lock: rotations on several replicas at once run one after another and none is
   * lost. The staged key, when there is one, becomes the current one; otherwise a new key does.
   */
  async rotate(): Promise<Rotated> {
    const { kid, promoted } = await this.store.transaction(async (tx) => {
      const current = await tx.currentKid();
      const staged = await tx.stagedKid();
      const now = this.clock();
      if (current) await tx.retireSigningKey(current, now.toISOString());
      if (!staged) return { kid: await insertNewKey(tx, this.kek, now), promoted: false };
      await tx.promoteSigningKey(staged);
      return { kid: staged, promoted: true };
    });
    await this.reloading?.catch(() => undefined); // one begun before the commit may predate it
    const state = await this.fresh();
    return { kid, jwks: state.jwks, promoted };
  }

  /** Under the same lock: replicas staging at once stage one key. */
  async stage(): Promise<Staged> {
    const created = await this.store.transaction(async (tx) => {
      if (await tx.stagedKid()) return false;
      await insertNewKey(tx, this.kek, this.clock(), true);
      return true;
    });
    await this.reloading?.catch(() => undefined); // one begun before the commit may predate it
    const state = await this.fresh();
    return { ...state.status, jwks: state.jwks, created };
  }
}
