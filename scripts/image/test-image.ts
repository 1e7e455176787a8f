// npm run test:image: the image suite under each engine a user has. podman first (it builds the image and holds the
// base); then a Docker engine of our own with no bridge (it builds the image itself, containers on the host's network);
// then a Docker engine confined to a network namespace, with its bridge, for published ports, compose and Testcontainers.
// Usage: node scripts/image/test-image.ts [podman|docker-host|docker-bridge ...]   (default: all three)
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildWithDocker, dockerMissing, IMAGE_NAME, loadFromPodman, makeNetns, startDocker, type DockerEngine } from './docker-engine.ts';
import { ROOT } from './podman.ts';

type PassName = 'podman' | 'docker-host' | 'docker-bridge';
/** Which test files run under which engine; every test/image/*.image.ts file is in at least one. */
const PASSES: Record<PassName, string[]> = {
  podman: ['run', 'offline', 'offline-license', 'tls', 'front-door'],
  'docker-host': ['run', 'offline', 'offline-license', 'tls'],
  'docker-bridge': ['front-door', 'testcontainers'],
};

const say = (line: string) => process.stderr.write(`test-image: ${line}\n`);
const files = readdirSync(join(ROOT, 'test/image')).filter((f) => f.endsWith('.image.ts')).map((f) => f.slice(0, -'.image.ts'.length));
const unassigned = files.filter((f) => !Object.values(PASSES).some((p) => p.includes(f)));
if (unassigned.length > 0) {
  say(`${unassigned.map((f) => `test/image/${f}.image.ts`).join(', ')} is in no pass: add it to PASSES in scripts/image/test-image.ts`);
  process.exit(2);
}
const wanted = process.argv.slice(2) as PassName[];
const bad = wanted.filter((w) => !(w in PASSES));
if (bad.length > 0) {
  say(`unknown engine ${bad.join(', ')}: choose among ${Object.keys(PASSES).join(', ')}`);
  process.exit(2);
}
const passes = (wanted.length > 0 ? wanted : (Object.keys(PASSES) as PassName[]));

// What is running, so that a failure or a signal stops it: engines by PID, the namespace, the test run.
const cleanups: (() => Promise<void> | void)[] = [];
let child: ReturnType<typeof spawn> | undefined;
async function cleanup(): Promise<void> {
  child?.kill('SIGTERM');
  for (const c of cleanups.splice(0).reverse()) await c();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping what this run started`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

/** node --test on the pass's files, in the namespace if given; resolves to its exit code. */
function runTests(pass: PassName, env: NodeJS.ProcessEnv, netns?: string): Promise<number> {
  const testArgs = ['--test', '--test-concurrency=1', ...PASSES[pass].map((f) => join(ROOT, `test/image/${f}.image.ts`))];
  const [command, args] = netns ? ['nsenter', [`--net=/run/netns/${netns}`, process.execPath, ...testArgs]] : [process.execPath, testArgs];
  say(`${pass}: ${PASSES[pass].join(', ')}`);
  child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'inherit' });
  return new Promise((resolve) => child!.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
}

const summary: string[] = [];
const failed: string[] = [];
try {
  const t0 = performance.now();
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/image/build-image.ts'), IMAGE_NAME], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('the podman build failed (above)');
  summary.push(`podman build (base and image) ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (passes.some((p) => p !== 'podman')) {
    const missing = dockerMissing();
    if (missing) throw new Error(missing);
  }
  for (const pass of passes) {
    let code: number;
    if (pass === 'podman') {
      code = await runTests(pass, {});
    } else if (pass === 'docker-host') {
      const engine: DockerEngine = await startDocker();
      cleanups.push(engine.stop);
      const t = buildWithDocker(engine);
      summary.push(`docker build ${t.buildS.toFixed(1)} s for ${t.sizeMiB.toFixed(1)} MiB (base loaded from podman in ${t.loadS.toFixed(1)} s)`);
      code = await runTests(pass, { IMAGE_ENGINE: 'docker', IMAGE_NETWORK: 'host', DOCKER_HOST: engine.host });
      await cleanups.pop()!();
    } else {
      const netns = `pa-image-${process.pid}`;
      cleanups.push(makeNetns(netns));
      const engine = await startDocker({ netns });
      cleanups.push(engine.stop);
      const loadS = loadFromPodman(engine, IMAGE_NAME);
      summary.push(`docker (bridge, namespace ${netns}): image loaded from podman in ${loadS.toFixed(1)} s`);
      code = await runTests(pass, {
        IMAGE_ENGINE: 'docker', IMAGE_NETWORK: 'bridge', DOCKER_HOST: engine.host,
        // Testcontainers: no Ryuk (its image is in no registry here); /.dockerenv on this machine would make it look for a gateway.
        TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_HOST_OVERRIDE: 'localhost',
      }, netns);
      await cleanups.pop()!();
      await cleanups.pop()!();
    }
    if (code !== 0) failed.push(`${pass} (exit ${code})`);
  }
} catch (error) {
  failed.push((error as Error).message);
} finally {
  await cleanup();
}
for (const line of summary) say(line);
if (failed.length > 0) {
  say(`failed: ${failed.join('; ')}`);
  process.exit(1);
}
say(`passed under ${passes.join(', ')}`);
