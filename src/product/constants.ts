// The demo product's defaults, in one place.

/** Where the product listens (section 9). */
export const GATEWAY_LISTEN_DEFAULT = '0.0.0.0:4566';
/** Community services are always there; Pro services only with a verified license. */
export const COMMUNITY_SERVICES = ['s3', 'sqs', 'sns', 'dynamodb', 'lambda', 'iam', 'sts', 'cloudwatch'] as const;
/** A license can end while the product runs; re-verify at most this often. */
export const RECHECK_MS = 60_000;
/** The HEALTHCHECK's own probe gives up before Docker's 3 s timeout would kill it. */
export const HEALTH_PROBE_MS = 2_500;
