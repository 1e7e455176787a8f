import { ENV, WEBAPP_URL } from '../core/constants.ts';

/** A failure cause: a stable code and the detail that goes into the banner's reason. */
export interface Reason {
  code: string;
  detail: string;
}

const TOKEN_PAGE = `${WEBAPP_URL}/workspace/auth-token`;

/** One sentence (or two) per cause, each naming the fix. */
const TEXT: Record<string, (detail: string) => string> = {
  'credentials.missing': () =>
    `No credentials are set. Set ${ENV.authToken} to your auth token; you can find it in the LocalStack web app ${TOKEN_PAGE}.`,
  'credentials.invalid': () =>
    `The credentials defined in your environment are invalid. Please make sure to either set the ${ENV.authToken} variable to a valid auth token, or the ${ENV.apiKey} variable to a valid LocalStack API key. You can find your auth token or API key in the LocalStack web app ${WEBAPP_URL}.`,
  'credentials.malformed': (d) => `The credentials are malformed: ${d}. Copy the auth token again from ${TOKEN_PAGE}.`,
  'credentials.conflict': (d) => `Conflicting credentials: ${d}. Set exactly one credential variable.`,
  'credentials.file_unreadable': (d) => `The credentials file cannot be used: ${d}. Mount the secret or unset the _FILE variable.`,
  'credentials.ci_token_required': (d) =>
    `${capital(d)}. Use a CI auth token (lsci-…) in ${ENV.authToken}; workspace admins create them in the LocalStack web app ${WEBAPP_URL}.`,
  'license.not_found': (d) => `No license is assigned to you (${d}). Ask a workspace admin to assign one on the Users & Licenses page of ${WEBAPP_URL}, or start a trial.`,
  'license.expired': (d) => `Your license has expired (${d}). Renew it in the LocalStack web app ${WEBAPP_URL}.`,
  'legacy_key.downtime': (d) => `${d} Set ${ENV.authToken} to your auth token instead of ${ENV.apiKey}.`,
  'legacy_key.sunset': (d) => `${d} Set ${ENV.authToken} to your auth token (${TOKEN_PAGE}) and remove ${ENV.apiKey}.`,
  'license.not_genuine': (d) =>
    `The license server answered with a license that is not genuine (${d}). Check ${ENV.apiEndpoint} and ${ENV.trustedKeys}.`,
  'offline.unavailable': (d) =>
    `The license server could not be reached and no usable cached license was found: ${d}. Check your network and proxy settings (HTTPS_PROXY); once activated online, a license stays valid offline for 24 h.`,
  'tls.failed': (d) =>
    `The TLS connection to the license server failed and no usable cached license was found: ${d}. If a proxy intercepts TLS, add its CA certificate with NODE_EXTRA_CA_CERTS.`,
  'cache.unwritable': (d) => `The license was activated but cannot be stored: ${d}. Give the container a writable ${ENV.cacheDir} or temporary folder.`,
  'server.unexpected': (d) => `The license server gave an unexpected answer (${d}). Check ${ENV.apiEndpoint}, or try again later.`,
};

/** The server's codes (section 4) mapped onto the reasons above. */
export const SERVER_CODES: Record<string, string> = {
  'licensing.credentials.format': 'credentials.malformed',
  'licensing.credentials.invalid': 'credentials.invalid',
  'licensing.credentials.ci_token_required': 'credentials.ci_token_required',
  'licensing.license.not_found': 'license.not_found',
  'licensing.license.expired': 'license.expired',
  'licensing.legacy_key.downtime': 'legacy_key.downtime',
  'licensing.legacy_key.sunset': 'legacy_key.sunset',
};

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function reasonText(reason: Reason): string {
  const text = TEXT[reason.code];
  return text ? text(reason.detail.replace(/\.$/, '')) : `${reason.detail} (${reason.code})`;
}

export function knownReasonCodes(): string[] {
  return Object.keys(TEXT);
}
