import { CLI_DEFAULTS, ENV, MOUNTED_LICENSE } from '../core/constants.ts';

const { containerName, gatewayPort, image, servicePorts } = CLI_DEFAULTS;

type Env = Record<string, string | undefined>;

/** Settings of the CLI itself (host paths), and the legacy key: the token passed wins, and both would conflict. */
const HOST_ONLY = new Set(['LOCALSTACK_CONFIG_DIR', 'LOCALSTACK_VOLUME_DIR', 'LOCALSTACK_HOST', ENV.apiKey]);

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
export function dockerRun(input: { env: Env; token: string; detach: boolean; volume: string; license?: string; tty: boolean }): DockerRun {
  const { env } = input;
  const forwarded = new Set<string>([ENV.authToken]);
  for (const name of Object.keys(env)) {
    if (name === 'CI' || (name.startsWith('LOCALSTACK_') && !HOST_ONLY.has(name) && !name.endsWith('_FILE'))) forwarded.add(name);
  }
  const args = ['run', '--rm', '--name', containerName];
  args.push(input.detach ? '-d' : input.tty ? '-it' : '-i');
  args.push('-p', `127.0.0.1:${gatewayPort}:${gatewayPort}`, '-p', `127.0.0.1:${servicePorts}:${servicePorts}`);
  for (const name of [...forwarded].sort()) args.push('-e', name);
  args.push('-v', `${input.volume}:/var/lib/localstack`);
  if (input.license) args.push('-v', `${input.license}:${MOUNTED_LICENSE}:ro`);
  args.push(env.IMAGE_NAME || image);
  return { command: env.DOCKER_CMD || 'docker', args, env: { ...env, [ENV.authToken]: input.token } };
}
