// The real image under podman, for the image tests: containers started, watched and removed by name.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { podmanEnv } from '../../scripts/image/podman.ts';

/** The image under test: the one `npm run test:image` builds, or IMAGE_NAME (as for `localstack start`). */
export const IMAGE = process.env.IMAGE_NAME || 'localstack/localstack-pro';
/** The host's 127.0.0.1 as a container sees it (slirp4netns with allow_host_loopback, containers/containers.conf). */
export const HOST_FROM_CONTAINER = '10.0.2.2';
export const IMAGE_UID = 10001;

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

// podman without systemd complains about healthcheck timers it cannot create; the check itself still runs.
const NOISE = /^time=".*" level=error msg=".*(systemd|healthcheck).*"$/;
const clean = (text: string) => text.split('\n').filter((l) => !NOISE.test(l)).join('\n');

/** podman with the project's containers.conf; never rejects, the caller asserts. */
export async function podman(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
  const r = await execa('podman', args, { env: podmanEnv(options.env ?? process.env), extendEnv: false, reject: false, timeout: options.timeoutMs ?? 120_000, stdin: 'ignore' });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: clean(String(r.stderr)) };
}

const created = { containers: new Set<string>(), volumes: new Set<string>() };
// A failed test must not leave containers or volumes behind.
process.on('exit', () => {
  for (const name of created.containers) spawnSync('podman', ['rm', '-f', '-v', '-t', '0', name], { env: podmanEnv(), stdio: 'ignore' });
  for (const name of created.volumes) spawnSync('podman', ['volume', 'rm', '-f', name], { env: podmanEnv(), stdio: 'ignore' });
});

export const uniqueName = (prefix = 'pa-test') => `${prefix}-${randomBytes(4).toString('hex')}`;

export async function volume(): Promise<string> {
  const name = uniqueName('pa-vol');
  const r = await podman(['volume', 'create', name]);
  if (r.code !== 0) throw new Error(`podman volume create: ${r.stderr}`);
  created.volumes.add(name);
  return name;
}

export async function removeVolume(name: string): Promise<void> {
  await podman(['volume', 'rm', '-f', name]);
  created.volumes.delete(name);
}

export class Container {
  readonly name: string;

  constructor(name: string) {
    this.name = name;
    created.containers.add(name);
  }

  /** `podman run -d` with the given options, environment (-e NAME=value) and arguments after the image. */
  static async start(options: { args?: string[]; env?: Record<string, string>; after?: string[]; publish?: boolean } = {}): Promise<Container> {
    const name = uniqueName();
    const env = Object.entries(options.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const publish = options.publish === false ? [] : ['-p', '127.0.0.1::4566'];
    const container = new Container(name);
    const r = await podman(['run', '-d', '--name', name, ...publish, ...env, ...(options.args ?? []), IMAGE, ...(options.after ?? [])]);
    if (r.code !== 0) throw new Error(`podman run failed (${r.code}): ${r.stderr}`);
    return container;
  }

  async logs(): Promise<string> {
    const r = await podman(['logs', this.name]);
    return r.stdout + r.stderr;
  }

  /** Polls the logs until `pattern` shows up; bounded. */
  async waitForLog(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const logs = await this.logs();
      if (pattern.test(logs)) return logs;
      if (Date.now() > until) throw new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms; logs:\n${logs}`);
      await sleep(200);
    }
  }

  async inspect(format: string): Promise<string> {
    return (await podman(['inspect', '--format', format, this.name])).stdout.trim();
  }

  /** The host port that 4566 is published on (127.0.0.1 only). */
  async gateway(): Promise<string> {
    const r = await podman(['port', this.name, '4566/tcp']);
    const port = /127\.0\.0\.1:(\d+)/.exec(r.stdout)?.[1];
    if (!port) throw new Error(`${this.name}: 4566 is not published: ${r.stdout} ${r.stderr}`);
    return `http://127.0.0.1:${port}`;
  }

  /** Waits for the container to exit and returns its exit code; bounded. */
  async wait(timeoutMs = 30_000): Promise<number> {
    const r = await podman(['wait', this.name], { timeoutMs });
    if (r.code !== 0) throw new Error(`podman wait ${this.name}: ${r.stderr}`);
    return Number(r.stdout.trim());
  }

  exec(args: string[]): Promise<Result> {
    return podman(['exec', this.name, ...args]);
  }

  /** PID, user and command line of every process in the container, read from the host (no ps in the image). */
  async processes(): Promise<{ pid: number; user: string; args: string }[]> {
    const r = await podman(['top', this.name, 'pid', 'user', 'args']);
    return r.stdout.trim().split('\n').slice(1).map((line) => {
      const [pid, user, ...args] = line.trim().split(/\s+/);
      return { pid: Number(pid), user, args: args.join(' ') };
    });
  }

  async remove(): Promise<void> {
    await podman(['rm', '-f', '-v', '-t', '0', this.name]);
    created.containers.delete(this.name);
  }
}

/** A license server's public keys, mounted read-only where LICENSE_TRUSTED_KEYS points. */
export const KEYS_IN_CONTAINER = '/etc/localstack/keys/jwks.json';
export function trustServerKeys(jwksPath: string): { args: string[]; env: Record<string, string> } {
  return { args: ['-v', `${jwksPath}:${KEYS_IN_CONTAINER}:ro`], env: { LICENSE_TRUSTED_KEYS: KEYS_IN_CONTAINER } };
}
