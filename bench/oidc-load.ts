// The load generator of bench/server.ts's ID-token mode: autocannon (in its own process, as the CLI is), each request
// with the next of a file of pre-signed ID tokens (each is accepted once). Prints autocannon's result as JSON.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const [url, tokensFile, connections] = process.argv.slice(2);
const tokens = readFileSync(tokensFile!, 'utf8').trim().split('\n');
let next = 0;
const body = JSON.stringify({ product: 'localstack-pro', version: '1.0.0', ci: true, ciProvider: 'bench', machineId: 'bench' });
const result = await autocannon({
  url: url!, connections: Number(connections), amount: tokens.length, method: 'POST', body,
  headers: { 'content-type': 'application/json' },
  requests: [{ setupRequest: (req: Record<string, any>) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` } }) }],
});
process.stdout.write(JSON.stringify(result));
