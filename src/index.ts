// The library: the entrypoint's logic for vendors who embed it, and the license check for products.
export { activate, type ActivateOptions, type Outcome } from './entrypoint/activate.ts';
export { readConfig, type Config } from './entrypoint/config.ts';
export { ConfigError, ActivationError } from './entrypoint/errors.ts';
export { reasonText } from './entrypoint/reasons.ts';
export { renderBanner } from './entrypoint/banner.ts';
export { verifyLicense, type LicenseClaims, type VerifiedLicense, type VerifyOptions, type Jwks } from './core/license.ts';
export { parseCredential, normalizeCredential, maskCredential } from './core/credentials.ts';
export { CodedError, LicenseError, CredentialError } from './core/errors.ts';
