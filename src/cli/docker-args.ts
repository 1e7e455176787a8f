import { ENV, MOUNTED_LICENSE } from '../core/constants.ts';
import { CLI_DEFAULTS } from './constants.ts';

const { containerName, gatewayPort, image, servicePorts } = CLI_DEFAULTS;

type Env = Record<string, string | undefined>;

/** Settings of the CLI itself (host paths), and the legacy key: the token passed wins, and both would conflict. */
const HOST_ONLY = new Set(['LOCALSTACK_CONFIG_DIR', 'LOCALSTACK_VOLUME_DIR', 'LOCALSTACK_HOST', ENV.apiKey]);

/** Every variable of the entrypoint (section 3) whose value means the same inside the container. */
export const ENTRYPOINT_VARIABLES = [
  ENV.activatePro, ENV.logLicenseIssues, ENV.logFormat, ENV.apiEndpoint, ENV.activationTimeout, ENV.shutdownTimeout,
  ENV.refreshInterval, ENV.noColor, 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy',
] as const;

/**
 * Variables naming a host file: the file is mounted read-only at a fixed path and the variable points there.
 * LICENSE_CACHE_DIR is not among them: the container's cache is the mounted volume's cache/ folder.
 */
export const MOUNTED_FILES = {
  NODE_EXTRA_CA_CERTS: '/etc/localstack/ca/extra-ca-certs.pem',
  [ENV.trustedKeys]: '/etc/localstack/keys/trusted-keys.json',
  // An offline license (issue 21): its own path, so a cached 24-hour license can still be mounted at MOUNTED_LICENSE.
  [ENV.offlineLicenseFile]: '/etc/localstack/offline/license.json',
} as const;

export interface DockerRun {
  command: string;
  args: string[];
  /** The environment of the docker client itself: the only place the token's value goes. */
  env: Env;
}

/**
 * `docker run` for the Pro image. Variables are passed by name (`-e NAME`), so their values stay in
 * docker's environment and never reach a command line that `ps` would show.
 */
export function dockerRun(input: { env: Env; token: string | undefined; detach: boolean; volume: string; license?: string; tty: boolean; user?: string }): DockerRun {
  const { env } = input;
  // No token: an offline license (LOCALSTACK_LICENSE_FILE) activates instead.
  const clientEnv: Env = input.token === undefined ? { ...env } : { ...env, [ENV.authToken]: input.token };
  const forwarded = new Set<string>(input.token === undefined ? [] : [ENV.authToken]);
  for (const name of Object.keys(env)) {
    if (name === 'CI' || (name.startsWith('LOCALSTACK_') && !HOST_ONLY.has(name) && !name.endsWith('_FILE'))) forwarded.add(name);
  }
  for (const name of ENTRYPOINT_VARIABLES) if (env[name] !== undefined) forwarded.add(name);
  const mounts: string[] = [];
  for (const [name, inContainer] of Object.entries(MOUNTED_FILES)) {
    const hostPath = env[name];
    if (!hostPath) continue;
    mounts.push('-v', `${hostPath}:${inContainer}:ro`);
    clientEnv[name] = inContainer;
    forwarded.add(name);
  }
  const args = ['run', '--rm', '--name', containerName];
  // Run as the host user, so the files the container writes into the volume stay theirs.
  if (input.user) args.push('--user', input.user);
  args.push(input.detach ? '-d' : input.tty ? '-it' : '-i');
  args.push('-p', `127.0.0.1:${gatewayPort}:${gatewayPort}`, '-p', `127.0.0.1:${servicePorts}:${servicePorts}`);
  for (const name of [...forwarded].sort()) args.push('-e', name);
  args.push('-v', `${input.volume}:/var/lib/localstack`, ...mounts);
  if (input.license) args.push('-v', `${input.license}:${MOUNTED_LICENSE}:ro`);
  args.push(env.IMAGE_NAME || image);
  return { command: env.DOCKER_CMD || 'docker', args, env: clientEnv };
}
