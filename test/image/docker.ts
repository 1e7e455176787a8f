// A Docker engine of the test's own (Debian's dockerd): its own folders and socket, no bridge and no iptables, so it
// sends nothing beyond loopback; containers run on --network host. Stopped by its PID, its mounts undone, at the end.
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BASE_IMAGE, podmanEnv, ROOT } from '../../scripts/image/podman.ts';
import { tempDir } from '../helpers/server.ts';

/** Debian's client (docker.io), as a fresh machine has it. */
export const DOCKER = '/usr/bin/docker';
export const DOCKER_IMAGE = 'localstack/localstack-pro';

export interface DockerEngine {
  docker: (args: string[], options?: { timeout?: number }) => SpawnSyncReturns<string>;
  /** Seconds to load the base image and to build the image. */
  timings: { loadS: number; buildS: number; sizeMiB: number };
  stop: () => Promise<void>;
}

export function dockerMissing(): string | undefined {
  const missing = [DOCKER, '/usr/sbin/dockerd'].filter((p) => !existsSync(p));
  if (missing.length === 0) return undefined;
  const why = `${missing.join(', ')} missing: apt-get install docker.io (.ci/run does)`;
  if (process.env.CI) throw new Error(why);
  return why;
}

/**
 * `netns`: the engine runs inside that network namespace (made by the caller) with its default bridge, for published
 * ports; the image is then the one podman built (that namespace has no network to build in). Without it: no bridge,
 * no iptables, and the image is built by this engine.
 */
export async function startDocker(options: { netns?: string; podmanImage?: string } = {}): Promise<DockerEngine & { socket: string }> {
  const dir = tempDir('pa-docker-');
  const socket = join(dir, 'docker.sock');
  const pidfile = join(dir, 'dockerd.pid');
  const own = ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', pidfile, '-H', `unix://${socket}`];
  // nsenter, not `ip netns exec`, which hides the cgroup mounts dockerd needs.
  const daemon = options.netns
    ? spawn('nsenter', [`--net=/run/netns/${options.netns}`, '/usr/sbin/dockerd', ...own], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn('/usr/sbin/dockerd', ['--bridge=none', '--iptables=false', '--ip6tables=false', ...own], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  daemon.stderr!.on('data', (d) => { if (log.length < 20_000) log += d; });
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}` };
  const docker = (args: string[], options: { timeout?: number } = {}) =>
    spawnSync(DOCKER, args, { env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: options.timeout ?? 300_000 });
  const stop = async () => {
    if (daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      for (let i = 0; i < 100 && daemon.exitCode === null; i++) await sleep(100);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    // Whatever dockerd left mounted under its folders (overlay layers, its exec root) is undone before removal.
    const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m): m is string => !!m && m.startsWith(dir));
    for (const m of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; docker(['version', '--format', '{{.Server.Version}}'], { timeout: 5_000 }).status !== 0; i++) {
      if (i > 100 || daemon.exitCode !== null) throw new Error(`dockerd did not start: ${log.slice(-2000)}`);
      await sleep(200);
    }
    if (options.podmanImage) {
      const t = performance.now();
      execFileSync('sh', ['-c', `podman save ${options.podmanImage} | DOCKER_HOST=unix://${socket} ${DOCKER} load`], { env: podmanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
      const loaded = docker(['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout.split('\n').find((n) => n.endsWith('localstack-pro:latest'))!;
      docker(['tag', loaded, DOCKER_IMAGE]);
      return { docker, socket, timings: { loadS: (performance.now() - t) / 1000, buildS: 0, sizeMiB: 0 }, stop };
    }
    // The base comes from podman's store (made by debootstrap: no registry here), under the name FROM uses.
    let t = performance.now();
    execFileSync('sh', ['-c', `podman save ${BASE_IMAGE} | DOCKER_HOST=unix://${socket} ${DOCKER} load`], { env: podmanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    const loadS = (performance.now() - t) / 1000;
    t = performance.now();
    // --network host: this engine has no bridge, and the build's npm ci needs the registry.
    const build = docker(['build', '--network', 'host', '-q', '-t', DOCKER_IMAGE, ROOT], { timeout: 600_000 });
    if (build.status !== 0) throw new Error(`docker build failed: ${build.stderr.slice(-2000)}`);
    const buildS = (performance.now() - t) / 1000;
    const sizeMiB = Number(docker(['image', 'inspect', '--format', '{{.Size}}', DOCKER_IMAGE]).stdout.trim()) / 2 ** 20;
    return { docker, socket, timings: { loadS, buildS, sizeMiB }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
