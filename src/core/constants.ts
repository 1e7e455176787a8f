// The names and numbers of the contract that more than one program needs (each program keeps its own defaults).

export const PRODUCT = 'localstack-pro';
export const AUDIENCE = 'localstack-pro';
export const LICENSE_TYP = 'license+jwt';
export const LICENSE_ALG = 'EdDSA';
/** An offline license (issue 21): its own JWS `typ` and its own `use` claim, so neither kind passes for the other. */
export const OFFLINE_LICENSE_TYP = 'offline-license+jwt';
export const OFFLINE_LICENSE_USE = 'offline-installation';

export const OFFLINE_VALIDITY_S = 86_400;
/** How far a license's `iat` may lie ahead of the local clock before we call it a rollback. */
export const CLOCK_SKEW_S = 300;

export const ENV = {
  authToken: 'LOCALSTACK_AUTH_TOKEN',
  authTokenFile: 'LOCALSTACK_AUTH_TOKEN_FILE',
  apiKey: 'LOCALSTACK_API_KEY',
  apiKeyFile: 'LOCALSTACK_API_KEY_FILE',
  activatePro: 'ACTIVATE_PRO',
  logLicenseIssues: 'LOG_LICENSE_ISSUES',
  apiEndpoint: 'API_ENDPOINT',
  cacheDir: 'LICENSE_CACHE_DIR',
  trustedKeys: 'LICENSE_TRUSTED_KEYS',
  activationTimeout: 'ACTIVATION_TIMEOUT',
  shutdownTimeout: 'SHUTDOWN_TIMEOUT',
  refreshInterval: 'LICENSE_REFRESH_INTERVAL',
  logFormat: 'LOG_FORMAT',
  noColor: 'NO_COLOR',
  proActivated: 'PRO_ACTIVATED',
  licenseMode: 'LICENSE_MODE',
  licenseFile: 'LICENSE_FILE',
  offlineLicenseFile: 'LOCALSTACK_LICENSE_FILE',
  /** CI without a stored secret: an ID token of the CI platform (docs/ci-without-secrets.md). */
  oidcToken: 'LOCALSTACK_OIDC_TOKEN',
  oidcTokenFile: 'LOCALSTACK_OIDC_TOKEN_FILE',
  oidcAudience: 'LOCALSTACK_OIDC_AUDIENCE',
} as const;

export const LICENSE_FILE_NAME = 'license.json';
export const LICENSE_FILE_FORMAT = 1;
/** Offline candidates besides the cache, in the contract's order (the cache sits between them). */
export const MOUNTED_LICENSE = '/etc/localstack/conf.d/license.json';
export const BAKED_LICENSE = '/usr/lib/localstack/license.json';

/** What is read from outside, at most: a license is ~1 KiB, a cache file or JWKS a few. */
export const LIMITS = {
  jwsBytes: 64 * 1024,
  licenseFileBytes: 1024 * 1024,
  jwksBytes: 1024 * 1024,
  credentialFileBytes: 64 * 1024,
  /** Text from outside (server messages, header fields) shown in a line, at most. */
  outsideTextChars: 300,
} as const;

/** The Pro services a license can unlock: the server signs them, the product serves them, the CLI marks them. */
export const PRO_FEATURES = ['xray', 'appsync', 'ecs', 'eks', 'rds', 'elasticache', 'cognito-idp', 'iot', 'glue', 'athena'] as const;

export const WEBAPP_URL = 'https://app.localstack.cloud';
/** The console's Auth Tokens page: one path for the console's route and every link to it (CLI, banner, docs). */
export const AUTH_TOKENS_PATH = '/workspace/auth-tokens';
export const AUTH_TOKENS_URL = `${WEBAPP_URL}${AUTH_TOKENS_PATH}`;
