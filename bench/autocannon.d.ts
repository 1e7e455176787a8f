// autocannon ships no types; the ID-token load generator uses only its promise form.
declare module 'autocannon' {
  const autocannon: (options: Record<string, unknown>) => Promise<unknown>;
  export default autocannon;
}
