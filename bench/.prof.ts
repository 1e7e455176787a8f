import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { api, fixture, startServer, tempDir } from '../test/helpers/server.ts';
import { startOidcIssuer } from '../test/helpers/oidc-issuer.ts';
import { ROOT } from '../test/helpers/paths.ts';
const f = fixture();
const issuer = await startOidcIssuer();
const profDir = tempDir('pa-prof-');
const s = await startServer({ seed: f.seed, args: ['--rate-limit', '0', '--oidc-issuer', issuer.url], env: { NODE_EXTRA_CA_CERTS: issuer.caFile, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profDir}` } });
await api(s, 'POST', '/v1/ci-trusts', { token: f.admin, body: { name: 'b', issuer: issuer.url, conditions: { repository: 'acme/app' } } });
const tokens: string[] = [];
for (let i = 0; i < 4000; i++) tokens.push(await issuer.sign({}, { audience: s.url, expiresInS: 3600 }));
const file = join(tempDir('pa-t-'), 't'); writeFileSync(file, tokens.join('\n'));
await new Promise((r) => spawn(process.execPath, [join(ROOT, 'bench/oidc-load.ts'), `${s.url}/v1/license/activate`, file, '50'], { stdio: 'ignore' }).once('close', r));
await s.stop();
const { readdirSync, readFileSync } = await import('node:fs');
const prof = JSON.parse(readFileSync(join(profDir, readdirSync(profDir)[0]), 'utf8'));
// self time by function
const self = new Map<string, number>();
const byId = new Map(prof.nodes.map((n: any) => [n.id, n]));
const dt = new Map<number, number>();
prof.samples.forEach((id: number, i: number) => dt.set(id, (dt.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
for (const [id, t] of dt) { const n: any = byId.get(id); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + t); }
const total = [...self.values()].reduce((a, b) => a + b, 0);
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 35)) console.log((t / 1000).toFixed(0).padStart(6), 'ms', (100 * t / total).toFixed(1).padStart(5), '%', k);
// inclusive time for selected functions
const children = new Map<number, number[]>(); for (const n of prof.nodes) children.set(n.id, n.children ?? []);
const incl = (id: number): number => (dt.get(id) ?? 0) + (children.get(id) ?? []).reduce((a, c) => a + incl(c), 0);
const inc = new Map<string, number>();
for (const n of prof.nodes) { const name = n.callFrame.functionName; if (['identifyPipeline', 'verify', 'matchTrust', 'jwtVerify', 'firstUse', 'decideActivation', 'sign', 'hit', 'ciTrustCandidates', 'recordActivation', 'flush', 'write'].includes(name)) inc.set(`${name} ${n.callFrame.url.split('/').slice(-1)}`, (inc.get(`${name} ${n.callFrame.url.split('/').slice(-1)}`) ?? 0) + incl(n.id)); }
console.log('--- inclusive (ms) of', (total/1000).toFixed(0));
for (const [k, t] of inc) console.log((t / 1000).toFixed(0).padStart(6), k);
await issuer.close();
