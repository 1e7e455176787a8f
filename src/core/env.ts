/** A process environment as every program reads it: names to values, any of them unset. */
export type Env = Record<string, string | undefined>;
