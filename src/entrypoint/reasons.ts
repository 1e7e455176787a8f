import { ENV, MOUNTED_LICENSE, WEBAPP_URL } from '../core/constants.ts';
import type { Reason } from '../core/reason.ts';
import { OFFLINE_REASON_TEXT } from './offline-license.ts';

export type { Reason };

const TOKEN_PAGE = `${WEBAPP_URL}/workspace/auth-tokens`;
const MEMBERS_PAGE = `${WEBAPP_URL}/workspace/members`;

/**
 * One sentence of cause, one of fix, per reason. `cause` is the detail's first sentence: a server's
 * message often carries its own advice, which would otherwise be said twice.
 */
const TEXT: Record<string, (detail: string, cause: string) => string> = {
  'credentials.missing': () => `No credentials are set. Set ${ENV.authToken} to your auth token from ${TOKEN_PAGE}, or mount an offline license at ${MOUNTED_LICENSE} for an installation that never reaches the license server.`,
  'credentials.invalid': () =>
    `The credentials defined in your environment are invalid. Set ${ENV.authToken} to a valid auth token (or ${ENV.apiKey} to a valid API key) from ${TOKEN_PAGE}.`,
  'credentials.malformed': (d) => `The credentials are malformed: ${d}. Copy the auth token again from ${TOKEN_PAGE}.`,
  'credentials.conflict': (d) => `Conflicting credentials: ${d}. Keep exactly one of them (${ENV.authToken} is preferred).`,
  'credentials.file_unreadable': (d) => `The credentials file cannot be used: ${d}. Mount the secret there, readable by this user, or unset the _FILE variable.`,
  'credentials.leaked': (_d, c) =>
    `${c}. Set ${ENV.authToken} to the new value from ${TOKEN_PAGE} (rotate your auth token there; a workspace admin creates a new CI token), and remove the old value from where it was found and from that repository's history.`,
  'credentials.ci_token_required': (_d, c) =>
    `${c}. Use a CI auth token (lsci-…) in ${ENV.authToken}; workspace admins create them at ${TOKEN_PAGE}.`,
  'license.not_found': (_d, c) => `${c}. Ask a workspace admin to assign you a license on the Users & Licenses page (${MEMBERS_PAGE}).`,
  'license.expired': (_d, c) => `${c}. Renew the license, or ask a workspace admin to, at ${WEBAPP_URL}.`,
  'legacy_key.downtime': (_d, c) => `${c}. Set ${ENV.authToken} to your auth token (${TOKEN_PAGE}) instead of ${ENV.apiKey}.`,
  'legacy_key.sunset': (_d, c) => `${c}. Set ${ENV.authToken} to your auth token (${TOKEN_PAGE}) and remove ${ENV.apiKey}.`,
  'license.not_genuine': (d) =>
    `The license server answered with a license that is not genuine (${d}). Check ${ENV.apiEndpoint} and ${ENV.trustedKeys}.`,
  'offline.unavailable': (d) =>
    `The license server could not be reached and no usable cached license was found: ${d}. Check your network and proxy settings (HTTPS_PROXY); once activated online, a license stays valid offline for 24 h.`,
  'tls.failed': (d) =>
    `The TLS connection to the license server failed and no usable cached license was found: ${d}. If a proxy intercepts TLS, add its CA certificate with NODE_EXTRA_CA_CERTS.`,
  'cache.unwritable': (d) => `The license was activated but cannot be stored: ${d}. Give the container a writable ${ENV.cacheDir} or temporary folder.`,
  'server.unexpected': (d) =>
    `The license server gave an unexpected answer and no usable cached license was found: ${d}. Check that ${ENV.apiEndpoint} is the license server and that no proxy or captive portal answers in its place (HTTPS_PROXY).`,
  'server.busy': (d) =>
    `The license server was busy (rate limited) and no usable cached license was found: ${d}. Try again in a few minutes; once activated online, a license stays valid offline for 24 h.`,
  'server.failing': (d) =>
    `The license server is failing (it answered with an error) and no usable cached license was found: ${d}. Try again later; once activated online, a license stays valid offline for 24 h.`,
  'oidc.permission_missing': (_d, c) =>
    `${c}. Add "permissions: id-token: write" to the job to activate without a stored secret, or set ${ENV.authToken} to a CI auth token (lsci-…) from ${TOKEN_PAGE}.`,
  'oidc.fork_pull_request': (_d, c) =>
    `${c}. Give such jobs a CI auth token (lsci-…) in ${ENV.authToken}, or run them without Pro with ${ENV.activatePro}=0.`,
  'oidc.token_request_failed': (_d, c) => `${c}. Try the job again; if it persists, set ${ENV.authToken} to a CI auth token from ${TOKEN_PAGE}.`,
  'oidc.token_unreadable': (_d, c) => `${c}. Set ${ENV.oidcToken} to the ID token of your CI platform, unchanged, or ${ENV.oidcTokenFile} to a file holding it.`,
  // The server's refusals of an ID token: its cause (which names what was compared), and the fix said here.
  'oidc.no_trust': (_d, c) => `${c}. Add a trusted CI identity for this repository and ref on ${TOKEN_PAGE}, or run from a branch or environment that one names.`,
  'oidc.issuer_untrusted': (_d, c) => `${c}. Ask the license server's operator to trust it (--oidc-issuer), or set ${ENV.authToken} to a CI auth token.`,
  'oidc.audience': (_d, c) => `${c}. Set ${ENV.oidcAudience} (or aud: in GitLab's id_tokens:) to the audience this license server expects.`,
  'oidc.expired': (_d, c) => `${c}. Use a fresh ID token for each start (the entrypoint requests one itself in GitHub Actions).`,
  'oidc.replayed': (_d, c) => `${c}. Use a fresh ID token for each start (the entrypoint requests one itself in GitHub Actions).`,
  'oidc.signature': (_d, c) => `${c}. Use the ID token of your CI platform unchanged: an altered or made-up token is never accepted.`,
  'oidc.not_yet_valid': (_d, c) => `${c}. Check the clocks (NTP) of the CI runner and of the license server.`,
  'oidc.malformed': (_d, c) => `${c}. Set ${ENV.oidcToken} to the ID token of your CI platform, unchanged.`,
  'clock.skew': (d) =>
    `The clocks of this machine and the license server differ by more than 5 minutes, so the license it issued does not fit this machine's time (${d}). Fix the clock (NTP) of this machine or of the license server.`,
  ...OFFLINE_REASON_TEXT,
};

/** The server's codes (section 4) mapped onto the reasons above. */
export const SERVER_CODES: Record<string, string> = {
  'licensing.credentials.format': 'credentials.malformed',
  'licensing.credentials.invalid': 'credentials.invalid',
  'licensing.credentials.leaked': 'credentials.leaked',
  'licensing.credentials.ci_token_required': 'credentials.ci_token_required',
  'licensing.license.not_found': 'license.not_found',
  'licensing.license.expired': 'license.expired',
  'licensing.legacy_key.downtime': 'legacy_key.downtime',
  'licensing.legacy_key.sunset': 'legacy_key.sunset',
  ...Object.fromEntries(['no_trust', 'issuer_untrusted', 'audience', 'expired', 'replayed', 'signature', 'not_yet_valid', 'malformed']
    .map((c) => [`licensing.oidc.${c}`, `oidc.${c}`])),
};

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Up to the first full stop that ends a sentence (an ISO time's `.000Z` does not). */
export function firstSentence(text: string): string {
  const end = text.search(/[.!?](\s|$)/);
  return (end === -1 ? text : text.slice(0, end)).trim();
}

export function reasonText(reason: Reason): string {
  const detail = reason.detail.replace(/\.$/, '');
  const text = TEXT[reason.code];
  return text ? text(detail, capital(firstSentence(detail))) : `${capital(detail)} (${reason.code}).`;
}

export function knownReasonCodes(): string[] {
  return Object.keys(TEXT);
}
