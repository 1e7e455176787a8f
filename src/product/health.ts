import { PRO_FEATURES } from '../core/constants.ts';
import { COMMUNITY_SERVICES } from './constants.ts';
import type { LicenseState } from './license-check.ts';

export interface Health {
  services: Record<string, 'available'>;
  edition: 'pro' | 'community';
  version: string;
}

/** Community services always; the licensed Pro services only with a verified license. */
export function healthOf(state: LicenseState, version: string): Health {
  const services: Record<string, 'available'> = {};
  for (const s of COMMUNITY_SERVICES) services[s] = 'available';
  if (state.pro) {
    for (const s of state.claims.features) if ((PRO_FEATURES as readonly string[]).includes(s)) services[s] = 'available';
  }
  return { services, edition: state.pro ? 'pro' : 'community', version };
}
