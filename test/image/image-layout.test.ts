import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { baseEnv, start, waitFor } from '../helpers/entrypoint.ts';
import { ROOT } from '../helpers/paths.ts';
import { api, fixture, getHealth, startServer, tempDir } from '../helpers/server.ts';

interface FinalStage {
  copies: { from: string; to: string }[];
  links: { target: string; path: string }[];
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  user: string;
}

/** Reads the Dockerfile's final stage: what it copies from the build stage, its links, ENTRYPOINT, CMD, ENV. */
function finalStage(dockerfile: string): FinalStage {
  const text = dockerfile.replace(/\\\n/g, ' ');
  const stages = text.split(/^FROM /m);
  const last = stages.at(-1)!;
  const workdir = /^WORKDIR (\S+)/m.exec(stages[1])![1];
  const copies = [...last.matchAll(/^COPY --from=build (\S+) (\S+)/gm)].map(([, from, to]) => ({ from: from.replace(`${workdir}/`, ''), to }));
  const links = [...last.matchAll(/ln -s (\S+) (\S+)/g)].map(([, target, path]) => ({ target, path }));
  const env: Record<string, string> = {};
  for (const [, body] of last.matchAll(/^ENV (.+)$/gm)) for (const [, k, v] of body.matchAll(/(\w+)=(\S+)/g)) env[k] = v;
  return {
    copies, links, env, user: /^USER (\S+)/m.exec(last)![1],
    entrypoint: JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(last)![1]),
    cmd: JSON.parse(/^CMD (\[.*\])$/m.exec(last)![1]),
  };
}

const hasTools = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0 && spawnSync('tini', ['--version']).status === 0;

test('the final stage, assembled as the Dockerfile says, runs ENTRYPOINT + CMD with tini as PID 1 against a real license server', { skip: !hasTools }, async () => {
  const stage = finalStage(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  assert.equal(stage.entrypoint[0], 'tini', 'tini is PID 1');
  assert.notEqual(stage.user, 'root');
  assert.ok(!stage.copies.some((c) => c.from.includes('node_modules')), 'no node_modules in the final stage: the bundles carry their dependencies');
  assert.ok(stage.copies.some((c) => c.to.endsWith('keys/trusted-keys.json')), 'the trusted keys at a fixed path');

  const image = tempDir('pa-image-');
  const at = (p: string) => join(image, p);
  for (const { from, to } of stage.copies) {
    mkdirSync(dirname(at(to)), { recursive: true });
    cpSync(join(ROOT, from), at(to), { recursive: true });
  }
  for (const { target, path } of stage.links) {
    mkdirSync(dirname(at(path)), { recursive: true });
    symlinkSync(at(target), at(path));
  }

  const f = fixture();
  const server = await startServer({ seed: f.seed });
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  try {
    const jwks = join(server.dataDir, 'public/jwks.json');
    assert.deepEqual(JSON.parse(readFileSync(jwks, 'utf8')), (await api(server, 'GET', '/.well-known/jwks.json')).json, 'the server publishes its public keys for images to pin');
    const [tini, ...rest] = [...stage.entrypoint, ...stage.cmd].map((a) => (a.startsWith('/') ? at(a) : a));
    const env = baseEnv({
      ...stage.env, PATH: `${at('/usr/local/bin')}:${process.env.PATH}`, LOCALSTACK_AUTH_TOKEN: f.admin,
      API_ENDPOINT: `${server.url}/v1`, LICENSE_TRUSTED_KEYS: jwks, LICENSE_CACHE_DIR: join(tempDir(), 'cache'), GATEWAY_LISTEN: `127.0.0.1:${port}`,
    });
    const container = start(['--pid', '--fork', '--mount-proc', tini, ...rest], env, { command: 'unshare' });
    await waitFor(() => container.output().includes('Ready.'), 15_000);
    assert.match(container.output(), /Successfully activated license lic-[\w-]+:subscription 🔑✅/);
    const health = await getHealth(`http://127.0.0.1:${port}`);
    assert.equal(health.edition, 'pro');
    assert.equal(health.services.xray, 'available');
    const pid1 = spawnSync('pgrep', ['-P', String(container.child.pid), '-x', 'tini'], { encoding: 'utf8' }).stdout.trim();
    process.kill(Number(pid1), 'SIGTERM');
    const r = await container.done;
    assert.equal(r.code, 0, `clean stop: ${r.stderr}`);
    assert.ok(!(r.stdout + r.stderr).includes(f.admin));
  } finally {
    await server.stop();
  }
});
