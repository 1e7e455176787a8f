import type { LicenseClaims } from '../core/license.ts';

function duration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** What `localstack license show` prints for a verified license. */
export function describeLicense(path: string, claims: LicenseClaims, now: Date): string {
  return [
    `License file:     ${path}`,
    `Workspace:        ${claims.ws.name} (${claims.ws.id})`,
    `License:          ${claims.lic.id}`,
    `Plan:             ${claims.lic.plan}`,
    `Type:             ${claims.lic.type}`,
    `License expires:  ${claims.lic.expiresAt}`,
    `Activated:        ${new Date(claims.iat * 1000).toISOString()}`,
    `Offline validity: ${duration(claims.exp * 1000 - now.getTime())} left (until ${new Date(claims.exp * 1000).toISOString()})`,
    `Pro features:     ${claims.features.join(', ')}`,
  ].join('\n');
}
