// Builds the project's Dockerfile, unchanged, with podman on the local base: what `npm run test:image` runs first.
// Usage: node scripts/image/build-image.ts [TAG]
import { spawnSync } from 'node:child_process';
import { buildBaseImage } from './base-image.ts';
import { podman, podmanEnv, ROOT } from './podman.ts';

const tag = process.argv[2] ?? 'localstack/localstack-pro';
try {
  buildBaseImage();
} catch (error) {
  process.stderr.write(`build-image: the base image: ${(error as Error).message}\n`);
  process.exit(1);
}
// --format docker keeps HEALTHCHECK (OCI image configs have no place for it); --pull=never: the base is local.
const t0 = performance.now();
const r = spawnSync('podman', ['build', '--pull=never', '--format', 'docker', '-t', tag, ROOT], { env: podmanEnv(), encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
if (r.status !== 0) {
  // The steps go to stdout, the failing command's words to stderr: the end of both says what broke.
  process.stderr.write(`${`${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n')}\n`);
  process.stderr.write(`build-image: podman build failed (exit ${r.status ?? r.error?.message}); to retry by hand: CONTAINERS_CONF=containers/containers.conf podman build --pull=never --format docker -t ${tag} .\n`);
  process.exit(1);
}
const size = Number(podman(['image', 'inspect', '--format', '{{.Size}}', tag]).stdout.trim());
process.stderr.write(`build-image: built ${tag} in ${Math.round((performance.now() - t0) / 1000)} s, ${(size / 2 ** 20).toFixed(1)} MiB\n`);
