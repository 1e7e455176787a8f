// Every body the server accepts and the seed file, as TypeBox schemas: one source for validation and for the route types.
import { Ajv } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import addFormatsModule from 'ajv-formats';
import { Type, type Static } from 'typebox';
import type { ActivationRequest } from '../../core/activation-body.ts';
import { PRODUCT } from '../../core/constants.ts';
import { parseCredential, type CredentialKind } from '../../core/credentials.ts';
import { isComparableInstant } from '../accounts/instant.ts';
import { MAX_SEATS } from '../constants.ts';

const addAjvFormats = addFormatsModule as unknown as (ajv: Ajv, formats?: string[]) => Ajv;

const credentialFormat = (kind: CredentialKind) => (value: string) => {
  try {
    return parseCredential(value).kind === kind;
  } catch {
    return false;
  }
};

/** Adds the formats the schemas use: `instant` is an RFC 3339 time that Date.parse understands (no leap second). */
export function addServerFormats(ajv: Ajv): Ajv {
  addAjvFormats(ajv, ['email']);
  ajv.addFormat('instant', isComparableInstant);
  ajv.addFormat('developer-token', credentialFormat('developer'));
  ajv.addFormat('ci-token', credentialFormat('ci'));
  ajv.addFormat('legacy-key', credentialFormat('legacy'));
  return ajv;
}

// Fastify's own Ajv options, but removeAdditional off: it strips unknown fields silently (a typo such as "seat" would pass as no limit).
const AJV_OPTIONS = { useDefaults: true, removeAdditional: false, allErrors: false, addUsedSchema: false } as const;

/**
 * The route validators by request part: a JSON body is taken as typed (Fastify's default coercion read "2" as 2
 * and "" as null); path parameters, query strings and headers only ever arrive as text, so they are coerced.
 */
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const typed = addServerFormats(new Ajv({ ...AJV_OPTIONS, coerceTypes: false }));
  const text = addServerFormats(new Ajv({ ...AJV_OPTIONS, coerceTypes: 'array' }));
  return ({ schema, httpPart }) => (httpPart === 'body' ? typed : text).compile(schema as object);
}

const strict = { additionalProperties: false } as const;
const Instant = Type.String({ format: 'instant', maxLength: 40 });
const Role = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]);
const Seats = Type.Integer({ minimum: 0, maximum: MAX_SEATS });
export const WorkspaceId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });

export const ActivateBody = Type.Object({
  product: Type.Literal(PRODUCT),
  version: Type.String({ maxLength: 64 }),
  ci: Type.Boolean(),
  ciProvider: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
  machineId: Type.Optional(Type.String({ maxLength: 128 })),
  // Unknown fields are tolerated here alone: a newer entrypoint that sends one must still activate against this server.
}, { additionalProperties: true });

export const Activated = Type.Object({ license: Type.String() });

export const NewOfflineLicense = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }), seats: Type.Integer({ minimum: 1, maximum: MAX_SEATS }), validUntil: Instant,
}, strict);
export const CiTrustBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  issuer: Type.String({ minLength: 1, maxLength: 300 }),
  conditions: Type.Record(Type.String(), Type.String({ minLength: 1, maxLength: 512 }), { minProperties: 1, maxProperties: 16 }),
}, strict);
export const CiTokenName = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, strict);
export const NewWorkspace = Type.Object({ id: Type.Optional(WorkspaceId), name: Type.String({ minLength: 1, maxLength: 200 }) }, strict);
export const NewMember = Type.Object({ email: Type.String({ format: 'email', maxLength: 254 }), role: Role, licensed: Type.Optional(Type.Boolean()) }, strict);
export const Seat = Type.Object({ licensed: Type.Boolean() }, strict);
export const RoleBody = Type.Object({ role: Role }, strict);
export const License = Type.Object({
  type: Type.Union([Type.Literal('trial'), Type.Literal('subscription')]),
  plan: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  seats: Type.Optional(Type.Union([Seats, Type.Null()])),
  startsAt: Type.Optional(Type.Union([Instant, Type.Null()])),
  expiresAt: Type.Optional(Type.Union([Instant, Type.Null()])),
}, strict);
export const Downtime = Type.Object({ start: Instant, end: Instant }, strict);
export const LegacyPolicyBody = Type.Object({
  downtimes: Type.Array(Downtime, { maxItems: 1000 }),
  sunsetAt: Type.Union([Instant, Type.Null()]),
}, strict);

export const WsParams = Type.Object({ ws: Type.String({ maxLength: 64 }) });
export const IdParams = Type.Object({ id: Type.String({ maxLength: 128 }) });
export const WsIdParams = Type.Object({ ws: Type.String({ maxLength: 64 }), id: Type.String({ maxLength: 128 }) });

export const Seed = Type.Object({
  workspaces: Type.Array(Type.Object({
    id: WorkspaceId,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    license: Type.Optional(Type.Object({
      type: Type.Union([Type.Literal('trial'), Type.Literal('subscription')]),
      plan: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      seats: Type.Optional(Seats),
      startsAt: Type.Optional(Instant),
      expiresAt: Type.Optional(Instant),
    }, strict)),
    members: Type.Optional(Type.Array(Type.Object({
      email: Type.String({ format: 'email', maxLength: 254 }),
      role: Role,
      licensed: Type.Optional(Type.Boolean()),
      authToken: Type.Optional(Type.String({ format: 'developer-token' })),
      legacyApiKey: Type.Optional(Type.String({ format: 'legacy-key' })),
    }, strict))),
    ciTokens: Type.Optional(Type.Array(Type.Object({
      name: Type.String({ minLength: 1, maxLength: 100 }),
      token: Type.String({ format: 'ci-token' }),
    }, strict))),
  }, strict)),
  legacyApiKeys: Type.Optional(Type.Object({
    downtimes: Type.Array(Downtime),
    sunsetAt: Type.Optional(Type.Union([Instant, Type.Null()])),
  }, strict)),
}, strict);

/** Fails to compile unless the schema accepts exactly core's ActivationRequest (the type client and server share). */
type Flat<T> = { [K in keyof T]: T[K] };
type Same<A, B> = (<T>() => T extends Flat<A> ? 1 : 2) extends (<T>() => T extends Flat<B> ? 1 : 2) ? true : false;
export type ActivateBodyMatchesCore = Assert<Same<Static<typeof ActivateBody>, ActivationRequest>>;
type Assert<T extends true> = T;
export type Seed = Static<typeof Seed>;
