// A Docker engine of our own (Debian's dockerd): its own folders, socket and pid file; never a daemon we did not start.
// Without a namespace: no bridge, no iptables, containers on --network host. In a network namespace we make: the
// default bridge, published ports and compose networks, all confined to that namespace. Stopped by PID, mounts undone.
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BASE_IMAGE, podmanEnv, ROOT } from './podman.ts';

/** Debian's client and daemon (docker.io), as a fresh machine has them. */
export const DOCKER = '/usr/bin/docker';
export const DOCKERD = '/usr/sbin/dockerd';
export const IMAGE_NAME = 'localstack/localstack-pro';

export interface DockerEngine {
  /** The namespace it runs in, or undefined for the host's (no bridge). */
  netns?: string;
  socket: string;
  /** DOCKER_HOST for clients of this engine. */
  host: string;
  docker: (args: string[], options?: { timeout?: number }) => SpawnSyncReturns<string>;
  stop: () => Promise<void>;
}

export function dockerMissing(): string | undefined {
  const missing = [DOCKER, DOCKERD].filter((p) => !existsSync(p));
  return missing.length === 0 ? undefined : `${missing.join(', ')} missing: apt-get install docker.io (.ci/run does)`;
}

/** A network namespace with its loopback up; removed by the returned function. */
export function makeNetns(name: string): () => void {
  for (const args of [['netns', 'add', name], ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']]) {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) {
      spawnSync('ip', ['netns', 'delete', name]);
      throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
    }
  }
  return () => void spawnSync('ip', ['netns', 'delete', name]);
}

export async function startDocker(options: { netns?: string } = {}): Promise<DockerEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'pa-docker-'));
  const socket = join(dir, 'docker.sock');
  const own = ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'dockerd.pid'), '-H', `unix://${socket}`];
  // nsenter, not `ip netns exec`, which hides the cgroup mounts dockerd needs ("Devices cgroup isn't mounted").
  const daemon = options.netns
    ? spawn('nsenter', [`--net=/run/netns/${options.netns}`, DOCKERD, ...own], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(DOCKERD, ['--bridge=none', '--iptables=false', '--ip6tables=false', ...own], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  daemon.stderr!.on('data', (d) => { if (log.length < 20_000) log += d; });
  const host = `unix://${socket}`;
  const env = { ...process.env, DOCKER_HOST: host };
  const docker = (args: string[], o: { timeout?: number } = {}) =>
    spawnSync(DOCKER, args, { env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: o.timeout ?? 300_000 });
  const stop = async () => {
    // Containers first, so that dockerd's own shutdown does not wait on their grace periods.
    const ids = docker(['ps', '-aq'], { timeout: 10_000 }).stdout?.split('\n').filter(Boolean) ?? [];
    if (ids.length > 0) docker(['rm', '-f', '-v', ...ids], { timeout: 60_000 });
    if (daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      for (let i = 0; i < 150 && daemon.exitCode === null; i++) await sleep(100);
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
    return { netns: options.netns, socket, host, docker, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `podman save | docker load`: an image podman has, under the same name. Seconds taken. */
export function loadFromPodman(engine: DockerEngine, image: string): number {
  const t = performance.now();
  execFileSync('sh', ['-c', `podman save ${image} | ${DOCKER} load`], { env: { ...podmanEnv(), DOCKER_HOST: engine.host }, stdio: ['ignore', 'ignore', 'pipe'] });
  const loaded = engine.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout.split('\n').filter(Boolean);
  // Docker shortens docker.io/library/NAME to NAME; podman names its own builds localhost/NAME.
  const short = (n: string) => (n.includes(':') ? n : `${n}:latest`).replace(/^(docker\.io\/library|docker\.io|localhost)\//, '');
  const name = short(image);
  const found = loaded.find((n) => short(n) === name);
  if (!found) throw new Error(`docker load: ${image} is not among ${loaded.join(', ')}`);
  if (found !== name) engine.docker(['tag', found, name]);
  return (performance.now() - t) / 1000;
}

/** The project's Dockerfile, unchanged, built by this engine on the base podman made. Seconds and MiB. */
export function buildWithDocker(engine: DockerEngine): { loadS: number; buildS: number; sizeMiB: number } {
  const loadS = loadFromPodman(engine, BASE_IMAGE);
  const t = performance.now();
  // --network host: this engine has no bridge, and the build's npm ci needs the registry.
  const build = engine.docker(['build', '--network', 'host', '-q', '-t', IMAGE_NAME, ROOT], { timeout: 600_000 });
  if (build.status !== 0) throw new Error(`docker build failed: ${build.stderr.slice(-2000)}`);
  const buildS = (performance.now() - t) / 1000;
  const sizeMiB = Number(engine.docker(['image', 'inspect', '--format', '{{.Size}}', IMAGE_NAME]).stdout.trim()) / 2 ** 20;
  return { loadS, buildS, sizeMiB };
}
