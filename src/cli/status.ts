import { PRO_FEATURES } from '../core/constants.ts';

export interface HealthJson {
  services?: Record<string, string>;
  edition?: string;
  version?: string;
}

/** The health JSON as a two-column table, Pro services marked. */
export function renderStatus(url: string, health: HealthJson): string {
  const services = Object.entries(health.services ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(7, ...services.map(([name]) => name.length + 6));
  const lines = [
    `LocalStack at ${url}: ${health.edition ?? 'unknown'} edition, version ${health.version ?? 'unknown'}`,
    '',
    `${'SERVICE'.padEnd(width)}  STATE`,
    ...services.map(([name, state]) => `${((PRO_FEATURES as readonly string[]).includes(name) ? `${name} (pro)` : name).padEnd(width)}  ${state}`),
  ];
  return lines.join('\n');
}
