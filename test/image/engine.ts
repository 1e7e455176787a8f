// The container engine the image suite runs on, chosen by scripts/image/test-image.ts (npm run test:image):
// podman (IMAGE_ENGINE unset), or a Docker engine of its own (IMAGE_ENGINE=docker, DOCKER_HOST), either on the host's
// network with no bridge (IMAGE_NETWORK=host) or in a network namespace with its bridge (IMAGE_NETWORK=bridge).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { podmanEnv } from '../../scripts/image/podman.ts';
import { freePort } from '../helpers/net.ts';

export type EngineKind = 'podman' | 'docker-host' | 'docker-bridge';

export interface Engine {
  kind: EngineKind;
  /** The client a user types: podman or docker. */
  cli: 'podman' | 'docker';
  env: NodeJS.ProcessEnv;
  /** The address where a container reaches a server the test starts. */
  hostFromContainer: string;
  /** Where that server must listen for containers to reach it. */
  serverHost: string;
  /** Does `-p` publish ports (not on the host's network, where the product listens on GATEWAY_LISTEN instead)? */
  publishes: boolean;
  /** A read-only root with no writable /tmp either (podman mounts one unless told not to). */
  readOnly: string[];
  /** What `localstack` and compose need to reach this engine: podman named outright, Docker by its socket. */
  clientEnv: Record<string, string>;
  /** Debian's compose for this engine (podman-compose 1.0, docker-compose 1.29) and the label it puts on a project. */
  compose: { command: string; projectLabel: string };
}

function engineFromEnv(env: NodeJS.ProcessEnv): Engine {
  if (env.IMAGE_ENGINE === 'docker') {
    if (!env.DOCKER_HOST) throw new Error('IMAGE_ENGINE=docker needs DOCKER_HOST: run the image suite with npm run test:image');
    const common = {
      cli: 'docker' as const, env: { ...env }, readOnly: ['--read-only'], clientEnv: { DOCKER_HOST: env.DOCKER_HOST },
      compose: { command: 'docker-compose', projectLabel: 'com.docker.compose.project' },
    };
    // The default bridge's gateway in the namespace: where a container reaches the namespace's own addresses.
    if (env.IMAGE_NETWORK === 'bridge') return { ...common, kind: 'docker-bridge', hostFromContainer: '172.17.0.1', serverHost: '0.0.0.0', publishes: true };
    return { ...common, kind: 'docker-host', hostFromContainer: '127.0.0.1', serverHost: '127.0.0.1', publishes: false };
  }
  // slirp4netns with allow_host_loopback (containers/containers.conf): 10.0.2.2 is the host's 127.0.0.1.
  const podman = podmanEnv(env);
  return {
    kind: 'podman', cli: 'podman', env: podman, hostFromContainer: '10.0.2.2', serverHost: '127.0.0.1', publishes: true,
    readOnly: ['--read-only', '--read-only-tmpfs=false'], clientEnv: { DOCKER_CMD: 'podman', CONTAINERS_CONF: podman.CONTAINERS_CONF! },
    compose: { command: 'podman-compose', projectLabel: 'io.podman.compose.project' },
  };
}

export const ENGINE = engineFromEnv(process.env);
/** The image under test: the one `npm run test:image` builds, or IMAGE_NAME (as for `localstack start`). */
export const IMAGE = process.env.IMAGE_NAME || 'localstack/localstack-pro';
export const HOST_FROM_CONTAINER = ENGINE.hostFromContainer;
/** The product's ready line: 0.0.0.0:4566 where ports are published, GATEWAY_LISTEN's own port on the host's network. */
export const PRODUCT_READY = /pro-emulator: Ready\. Listening on [\d.]+:\d+/;
export const IMAGE_UID = 10001;

/**
 * Skips a suite on engines it does not apply to, by hand; on CI (CI=true) never: scripts/image/test-image.ts runs each
 * file only under its engines, so a file run under another one there is a mistake that fails.
 */
export function onlyOn(...kinds: EngineKind[]): string | false {
  if (kinds.includes(ENGINE.kind)) return false;
  const why = `runs under ${kinds.join(' or ')}; this run is ${ENGINE.kind} (npm run test:image runs every engine)`;
  if (process.env.CI === 'true') throw new Error(why);
  return why;
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

// podman without systemd complains about healthcheck timers it cannot create; the check itself still runs.
const NOISE = /^time=".*" level=error msg=".*(systemd|healthcheck).*"$/;
const clean = (text: string) => text.split('\n').filter((l) => !NOISE.test(l)).join('\n');

/** The engine's client with the suite's environment; never rejects, the caller asserts. */
export async function engine(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; raw?: boolean } = {}): Promise<Result> {
  const r = await execa(ENGINE.cli, args, { env: { ...ENGINE.env, ...options.env }, extendEnv: false, reject: false, timeout: options.timeoutMs ?? 120_000, stdin: 'ignore', stripFinalNewline: !options.raw });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: clean(String(r.stderr)) };
}

/** Options every `run` of this suite gets: the host's network where the Docker engine has no bridge. */
export const RUN_DEFAULTS = ENGINE.kind === 'docker-host' ? ['--network', 'host'] : [];
/** Removes a container at once (podman's `rm -f` would wait for the stop timeout first). */
export const REMOVE = ENGINE.cli === 'podman' ? ['rm', '-f', '-v', '-t', '0'] : ['rm', '-f', '-v'];

const created = { containers: new Set<string>(), volumes: new Set<string>() };
// A failed test must not leave containers or volumes behind.
process.on('exit', () => {
  const cleanup = (args: string[]) => spawnSync(ENGINE.cli, args, { env: ENGINE.env, stdio: 'ignore', timeout: 30_000 });
  for (const name of created.containers) cleanup([...REMOVE, name]);
  for (const name of created.volumes) cleanup(['volume', 'rm', '-f', name]);
});

export const uniqueName = (prefix = 'pa-test') => `${prefix}-${randomBytes(4).toString('hex')}`;

export async function volume(): Promise<string> {
  const name = uniqueName('pa-vol');
  const r = await engine(['volume', 'create', name]);
  if (r.code !== 0) throw new Error(`${ENGINE.cli} volume create: ${r.stderr}`);
  created.volumes.add(name);
  return name;
}

export async function removeVolume(name: string): Promise<void> {
  await engine(['volume', 'rm', '-f', name]);
  created.volumes.delete(name);
}

// Reads /proc inside the container (the image has no ps): the same view under every engine, PIDs as the container sees them.
const LIST_PROCESSES = `const fs = require('node:fs');
const users = Object.fromEntries(fs.readFileSync('/etc/passwd', 'utf8').split('\\n').filter(Boolean).map((l) => [l.split(':')[2], l.split(':')[0]]));
const out = [];
for (const d of fs.readdirSync('/proc')) {
  if (!/^\\d+$/.test(d) || Number(d) === process.pid) continue;
  try {
    const args = fs.readFileSync('/proc/' + d + '/cmdline', 'utf8').split('\\0').filter(Boolean).join(' ');
    const uid = /^Uid:\\s+(\\d+)/m.exec(fs.readFileSync('/proc/' + d + '/status', 'utf8'))[1];
    if (args) out.push({ pid: Number(d), user: users[uid] ?? uid, args });
  } catch {}
}
process.stdout.write(JSON.stringify(out));`;

export class Container {
  readonly name: string;
  /** Where the product's gateway answers from the test: a published port, or GATEWAY_LISTEN on the host's network. */
  private listen?: string;

  constructor(name: string) {
    this.name = name;
    created.containers.add(name);
  }

  /** `run -d` with the given options, environment (-e NAME=value) and arguments after the image. */
  static async start(options: { args?: string[]; env?: Record<string, string>; after?: string[]; publish?: boolean } = {}): Promise<Container> {
    const name = uniqueName();
    const container = new Container(name);
    const args = options.args ?? [];
    const ownNetwork = args.includes('--network');
    const env = { ...options.env };
    let publish: string[] = [];
    if (ENGINE.publishes) {
      if (options.publish !== false) publish = ['-p', '127.0.0.1::4566'];
    } else if (!ownNetwork) {
      // The host's network: each container's gateway on a port of its own, so that two never collide on 4566.
      const port = await freePort();
      env.GATEWAY_LISTEN = `127.0.0.1:${port}`;
      if (options.publish !== false) container.listen = `http://127.0.0.1:${port}`;
    }
    const vars = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const r = await engine(['run', '-d', '--name', name, ...(ownNetwork ? [] : RUN_DEFAULTS), ...publish, ...vars, ...args, IMAGE, ...(options.after ?? [])]);
    if (r.code !== 0) throw new Error(`${ENGINE.cli} run failed (${r.code}): ${r.stderr}`);
    return container;
  }

  async logs(): Promise<string> {
    const r = await this.streams();
    return r.stdout + r.stderr;
  }

  /** The container's stdout and stderr apart. */
  async streams(): Promise<{ stdout: string; stderr: string }> {
    const r = await engine(['logs', this.name], { raw: true });
    return { stdout: r.stdout, stderr: r.stderr };
  }

  /** Polls the logs until `pattern` shows up; bounded. */
  async waitForLog(pattern: RegExp, timeoutMs = 30_000, everyMs = 200): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const logs = await this.logs();
      if (pattern.test(logs)) return logs;
      if (Date.now() > until) throw new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms; logs:\n${logs}`);
      await sleep(everyMs);
    }
  }

  async inspect(format: string): Promise<string> {
    return (await engine(['inspect', '--format', format, this.name])).stdout.trim();
  }

  /** Where the product's gateway answers (127.0.0.1 only). */
  async gateway(): Promise<string> {
    if (this.listen) return this.listen;
    const r = await engine(['port', this.name, '4566/tcp']);
    const port = /127\.0\.0\.1:(\d+)/.exec(r.stdout)?.[1];
    if (!port) throw new Error(`${this.name}: 4566 is not published: ${r.stdout} ${r.stderr}`);
    return `http://127.0.0.1:${port}`;
  }

  /** The image's HEALTHCHECK as the engine runs it: podman on demand, Docker on its own schedule (bounded). */
  async health(): Promise<string> {
    if (ENGINE.cli === 'podman') {
      const hc = await engine(['healthcheck', 'run', this.name]);
      if (hc.code !== 0) return `unhealthy: ${hc.stdout} ${hc.stderr}`;
      return this.inspect('{{.State.Health.Status}}');
    }
    for (let i = 0; i < 90; i++) {
      const status = await this.inspect('{{.State.Health.Status}}');
      if (status !== 'starting') return status;
      await sleep(500);
    }
    return this.inspect('{{.State.Health.Status}}');
  }

  /** Waits for the container to exit and returns its exit code; bounded. */
  async wait(timeoutMs = 30_000): Promise<number> {
    const r = await engine(['wait', this.name], { timeoutMs });
    if (r.code !== 0) throw new Error(`${ENGINE.cli} wait ${this.name}: ${r.stderr}`);
    return Number(r.stdout.trim());
  }

  stop(seconds = 10): Promise<Result> {
    return engine(['stop', '-t', String(seconds), this.name]);
  }

  kill(signal: string): Promise<Result> {
    return engine(['kill', '-s', signal, this.name]);
  }

  exec(args: string[]): Promise<Result> {
    return engine(['exec', this.name, ...args]);
  }

  /** PID (inside the container), user and command line of every process in the container. */
  async processes(): Promise<{ pid: number; user: string; args: string }[]> {
    const r = await this.exec(['node', '-e', LIST_PROCESSES]);
    if (r.code !== 0) throw new Error(`${this.name}: cannot list processes: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  async remove(): Promise<void> {
    await engine([...REMOVE, this.name]);
    created.containers.delete(this.name);
  }
}

/** A license server's public keys, mounted read-only where LICENSE_TRUSTED_KEYS points. */
export const KEYS_IN_CONTAINER = '/etc/localstack/keys/jwks.json';
export function trustServerKeys(jwksPath: string): { args: string[]; env: Record<string, string> } {
  return { args: ['-v', `${jwksPath}:${KEYS_IN_CONTAINER}:ro`], env: { LICENSE_TRUSTED_KEYS: KEYS_IN_CONTAINER } };
}
