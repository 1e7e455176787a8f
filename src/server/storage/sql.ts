// One statement text for both stores: portable SQL with `?` placeholders, run by each store on its own connection.
// Write a new table's statements once against this; each store only translates placeholders.

/** What a statement binds: SQLite and PostgreSQL agree on these. */
export type SqlValue = string | number | null;

/**
 * Runs portable SQL on the connection (or transaction) it came from. The subset both engines read alike:
 * `?` placeholders (never a `?` inside a literal), `CAST(count(*) AS INTEGER)` for counts, `ON CONFLICT … DO UPDATE
 * SET … = excluded.…`, `RETURNING`, integers 0/1 for booleans, RFC 3339 text for times.
 */
export interface Sql {
  get<T>(text: string, ...params: SqlValue[]): Promise<T | undefined>;
  all<T>(text: string, ...params: SqlValue[]): Promise<T[]>;
  /** The number of rows inserted, changed or deleted. */
  run(text: string, ...params: SqlValue[]): Promise<number>;
}

const numbered = new Map<string, string>();

/** `?` → `$1`, `$2`, … for PostgreSQL, once per statement text. */
export function numberedPlaceholders(text: string): string {
  let out = numbered.get(text);
  if (out === undefined) {
    let n = 0;
    out = text.replace(/\?/g, () => `$${++n}`);
    numbered.set(text, out);
  }
  return out;
}
