// The library: the entrypoint's logic for vendors who embed it, and the license check for products.
export { activate, detectCi, type Activation, type ActivateOptions, type Outcome, type RefreshResult } from './entrypoint/activate.ts';
export { readConfig, ConfigError, type Config } from './entrypoint/config.ts';
export { reasonText } from './entrypoint/reasons.ts';
export { renderBanner } from './entrypoint/banner.ts';
export type { Reason } from './core/reason.ts';
export type { Env } from './core/env.ts';
export type { CiEnvironment, ActivationBody } from './core/activation-body.ts';
export {
  verifyLicense, verifyLicenseFile, loadJwks, type LicenseClaims, type VerifiedLicense, type VerifyOptions, type Jwks,
} from './core/license.ts';
export { parseCredential, normalizeCredential, maskCredential } from './core/credentials.ts';
export { resolveCredential, type ResolvedCredential } from './core/credential-source.ts';
export { expiryNotice } from './core/license-expiry.ts';
export { CodedError, LicenseError, CredentialError } from './core/errors.ts';
