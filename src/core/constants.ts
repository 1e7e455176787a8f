// Every name, default and number the contract pins, in one place.

export const PRODUCT = 'localstack-pro';
export const AUDIENCE = 'localstack-pro';
export const LICENSE_TYP = 'license+jwt';
export const LICENSE_ALG = 'EdDSA';

export const OFFLINE_VALIDITY_S = 86_400;
/** How far a license's `iat` may lie ahead of the local clock before we call it a rollback. */
export const CLOCK_SKEW_S = 300;
export const TRIAL_DAYS = 14;

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
} as const;

export const LICENSE_FILE_NAME = 'license.json';
export const LICENSE_FILE_FORMAT = 1;
/** Offline candidates besides the cache, in the contract's order (the cache sits between them). */
export const MOUNTED_LICENSE = '/etc/localstack/conf.d/license.json';
export const BAKED_LICENSE = '/usr/lib/localstack/license.json';

export const LOCK_STALE_MS = 10_000;

/** What is read from outside, at most: a license is ~1 KiB, a cache file or JWKS a few. */
export const LIMITS = {
  jwsBytes: 64 * 1024,
  licenseFileBytes: 1024 * 1024,
  jwksBytes: 1024 * 1024,
  credentialFileBytes: 64 * 1024,
  /** Text from outside (server messages, header fields) shown in a line, at most. */
  outsideTextChars: 300,
} as const;

/** Community services are always there; Pro services only with a verified license. */
export const COMMUNITY_SERVICES = ['s3', 'sqs', 'sns', 'dynamodb', 'lambda', 'iam', 'sts', 'cloudwatch'] as const;
export const PRO_FEATURES = ['xray', 'appsync', 'ecs', 'eks', 'rds', 'elasticache', 'cognito-idp', 'iot', 'glue', 'athena'] as const;
export const PLAN_FEATURES: Record<string, readonly string[]> = {
  pro: PRO_FEATURES,
  ultimate: PRO_FEATURES,
  enterprise: PRO_FEATURES,
  starter: ['xray', 'appsync', 'cognito-idp'],
};

export const WEBAPP_URL = 'https://app.localstack.cloud';

/** license-server defaults (section 7). */
export const SERVER_DEFAULTS = { host: '127.0.0.1', port: 8080, dataDir: './license-data', rateLimit: 60, bodyLimit: 64 * 1024 } as const;

/** pro-emulator and the image: where the product listens (section 9). */
export const GATEWAY_LISTEN_DEFAULT = '0.0.0.0:4566';

/** The host CLI's docker run (section 8). */
export const CLI_DEFAULTS = {
  image: 'localstack/localstack-pro',
  containerName: 'localstack-main',
  gatewayPort: 4566,
  servicePorts: '4510-4559',
  host: 'localhost:4566',
  /** The image's non-root user (Dockerfile: useradd --uid 10001), which must be able to write the volume. */
  imageUid: 10001,
} as const;
