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
const r = spawnSync('podman', ['build', '--pull=never', '--format', 'docker', '-t', tag, ROOT], { env: podmanEnv(), stdio: ['ignore', 'ignore', 'inherit'] });
if (r.status !== 0) {
  process.stderr.write(`build-image: podman build failed (exit ${r.status ?? r.error?.message}); run it yourself to see the steps: CONTAINERS_CONF=containers/containers.conf podman build --pull=never --format docker -t ${tag} .\n`);
  process.exit(1);
}
const size = Number(podman(['image', 'inspect', '--format', '{{.Size}}', tag]).stdout.trim());
process.stderr.write(`build-image: built ${tag}, ${(size / 2 ** 20).toFixed(1)} MiB\n`);
