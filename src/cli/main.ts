#!/usr/bin/env node
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { AUTH_TOKENS_URL, ENV } from '../core/constants.ts';
import { maskCredential } from '../core/credentials.ts';
import { outsideText, printable } from '../core/redact.ts';
import { defaultTrustedKeysPath } from '../core/paths.ts';
import { VERSION } from '../core/version.ts';
import { describeRejection, readCandidates } from '../core/candidates.ts';
import { describeNetworkError } from '../core/network-errors.ts';
import { expiryNotice } from '../core/license-expiry.ts';
import { authFilePath, clearToken, findToken, saveToken, validateToken } from './auth-file.ts';
import { CLI_DEFAULTS } from './constants.ts';
import { dockerRun, MOUNTED_FILES } from './docker-args.ts';
import { CliError } from './errors.ts';
import { describeLicense } from './license-info.ts';
import { showOfflineLicense } from './offline-license-show.ts';
import { decideShow, isFolder, licenseShowPaths, type Rejected, type ShowDecision } from './license-show.ts';
import { cacheDir, volumeDir } from './settings.ts';
import { prepareVolume, volumeOwner } from './volume.ts';
import { renderStatus, type HealthJson } from './status.ts';

const env = process.env;
// Paths and values from the environment reach these lines: no escape sequence gets to the terminal.
const out = (line: string) => process.stdout.write(`${printable(line)}\n`);
const err = (text: string) => process.stderr.write(printable(text));
const HOW_TO_SET = `Set one with: localstack auth set-token <TOKEN>  (find it at ${AUTH_TOKENS_URL}), or export LOCALSTACK_AUTH_TOKEN.`;

const trustedKeys = () => env[ENV.trustedKeys] || defaultTrustedKeysPath();

/** The freshest cached license that verifies for the token (license.json or its own file), as the entrypoint's offline path verifies it. */
async function cachedLicense(token: string | undefined, now = new Date()): Promise<{ paths: string[]; decision: ShowDecision }> {
  const paths = licenseShowPaths(cacheDir(env), token);
  return { paths, decision: decideShow(await readCandidates(paths, { keys: trustedKeys(), credential: token, now })) };
}

const cannotReadFix = (path: string, volume: string) =>
  `you cannot read ${path} (permission denied). Make the volume yours with: sudo chown -R ${process.getuid?.()}:${process.getgid?.()} ${volume}`;

const program = new Command('localstack')
  .description('Host CLI for the LocalStack Pro image: auth token, start, status, license.')
  .version(VERSION)
  .exitOverride()
  .showHelpAfterError();

const auth = program.command('auth').description('manage the auth token used by `localstack start`');

auth.command('set-token')
  .description('check a token offline (form and checksum) and store it in $LOCALSTACK_CONFIG_DIR/auth.json')
  .argument('<token>', 'your auth token (ls-…) or CI auth token (lsci-…)')
  .action((raw: string) => {
    saveToken(env, validateToken(raw));
    out('Token configured successfully');
  });

auth.command('show-token')
  .description('show the token in use and where it comes from (masked unless --plain)')
  .option('--plain', 'print the whole token (for scripts; it is a secret)')
  .action((options: { plain?: boolean }) => {
    const found = findToken(env);
    if (!found) throw new CliError('auth.no_token', `No auth token configured. ${HOW_TO_SET}`);
    if (options.plain) {
      out(found.token);
      return;
    }
    const where = found.from === 'environment' ? `the ${ENV.authToken} environment variable (it wins over ${authFilePath(env)})` : found.path!;
    out(`Auth token: ${maskCredential(found.token)}`);
    out(`Source:     ${where}`);
  });

auth.command('clear-token')
  .description('remove the stored token')
  .action(() => {
    out(clearToken(env) ? `Token removed from ${authFilePath(env)}` : `No token was stored in ${authFilePath(env)}`);
    if (env[ENV.authToken]) out(`Note: ${ENV.authToken} is still set in this shell's environment.`);
  });

auth.command('scan')
  .description('find auth tokens (ls-…, lsci-…) whose checksum matches in files; exit 1 when one is found (for a pre-commit hook)')
  .argument('[paths...]', 'files or folders to scan (default: the current folder; .git and node_modules are skipped)')
  .option('--git-history', 'also scan every version of every file in the history of the git repository at the first path')
  .action(async (paths: string[], options: { gitHistory?: boolean }) => {
    const { scanPaths, scanGitHistory } = await import('./scan.ts');
    const cwd = process.cwd();
    const targets = (paths.length > 0 ? paths : ['.']).map((p) => resolve(cwd, p));
    const report = (f: { where: string; line: number; masked: string; kind: string }) =>
      out(`${f.where}:${f.line}: ${f.masked} (${f.kind === 'ci' ? 'CI auth token' : 'auth token'})`);
    const warn = (line: string) => err(`Warning: ${line}\n`);
    let files;
    try {
      files = await scanPaths(targets, cwd, report, warn);
    } catch (error) {
      throw new CliError('scan.path', `cannot scan ${outsideText((error as NodeJS.ErrnoException).path ?? '', [], 300)} (${(error as NodeJS.ErrnoException).code}); give existing files or folders`);
    }
    let history = { findings: 0, files: 0 };
    if (options.gitHistory) {
      try {
        history = await scanGitHistory(targets[0]!, report);
      } catch (error) {
        throw new CliError('scan.git', `${(error as Error).message}; --git-history needs a git repository at ${outsideText(targets[0], [], 300)}`);
      }
    }
    const found = files.findings + history.findings;
    const scanned = `${files.files} file${files.files === 1 ? '' : 's'}${options.gitHistory ? ` and ${history.files} blob${history.files === 1 ? '' : 's'} of the git history` : ''}`;
    if (found === 0) {
      err(`No auth token found in ${scanned}.\n`);
      return;
    }
    err(`${found} auth token${found === 1 ? '' : 's'} found in ${scanned}. Rotate ${found === 1 ? 'it' : 'them'} at ${AUTH_TOKENS_URL}, then remove ${found === 1 ? 'it' : 'them'} from the files (and the history).\n`);
    process.exitCode = 1;
  });

program.command('start')
  .description('start the LocalStack Pro container with your auth token')
  .option('-d, --detached', 'run in the background')
  .action(async (options: { detached?: boolean }) => {
    const found = findToken(env);
    // An offline license stands in for the token: the container activates from it with no network.
    if (!found && !env[ENV.offlineLicenseFile]) throw new CliError('auth.no_token', `No auth token configured, so LocalStack Pro cannot be activated. ${HOW_TO_SET}`);
    if (found) validateToken(found.token);
    if (env[ENV.apiKey]) err(`Note: ${ENV.apiKey} is not passed on; the auth token is used instead.\n`);
    // Host files the container is given (a CA bundle, trusted keys): absolute, and there, or docker would mount an empty folder.
    const runEnv = { ...env };
    for (const name of Object.keys(MOUNTED_FILES)) {
      if (!runEnv[name]) continue;
      const path = resolve(runEnv[name]);
      if (!existsSync(path) || !statSync(path).isFile()) throw new CliError('start.file_missing', `${name}=${runEnv[name]} is not a file; fix the path or unset ${name}.`);
      runEnv[name] = path;
    }
    const volume = resolve(volumeDir(env));
    const hostUid = process.getuid?.();
    const { owner, dockerUser } = volumeOwner(hostUid, process.getgid?.());
    prepareVolume(volume, owner, hostUid === 0);
    const { decision: cached } = found ? await cachedLicense(found.token) : { decision: { kind: 'none' } as ShowDecision };
    if (cached.kind === 'unreadable') err(`Note: ${cannotReadFix(cached.path, volume)}\n`);
    const run = dockerRun({
      env: runEnv, token: found?.token, detach: options.detached === true, volume, tty: process.stdin.isTTY === true,
      license: cached.kind === 'license' ? cached.candidate.path : undefined, user: dockerUser,
    });
    const { execa } = await import('execa');
    const result = await execa(run.command, run.args, { env: run.env, extendEnv: false, stdio: 'inherit', reject: false });
    if (result.failed && result.exitCode === undefined) {
      throw new CliError('start.docker', `cannot run ${run.command}: ${(result as { code?: string }).code ?? result.shortMessage}. Install Docker, or set DOCKER_CMD (e.g. podman).`);
    }
    if (options.detached && result.exitCode === 0) out(`LocalStack is starting in the background. Follow the logs with: ${run.command} logs -f ${CLI_DEFAULTS.containerName}`);
    process.exitCode = result.exitCode ?? 1;
  });

program.command('status')
  .description('show the running LocalStack\'s services from its health endpoint')
  .action(async () => {
    const url = `http://${env.LOCALSTACK_HOST || CLI_DEFAULTS.host}/_localstack/health`;
    let health: HealthJson;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new CliError('status.http', `${url} answered HTTP ${res.status}`);
      health = (await res.json()) as HealthJson;
    } catch (error) {
      if (error instanceof CliError) throw error;
      const code = describeNetworkError(error);
      throw new CliError('status.down', `LocalStack is not running at ${url} (${code}). Start it with: localstack start -d`, { cause: error });
    }
    out(renderStatus(url.replace('/_localstack/health', ''), health));
  });

/** Why no cached license can be used, one clause per file, and the fix that can help. */
function unusableError(rejected: Rejected[]): CliError {
  const clause = ({ rejected: { code, message } }: Rejected) => `${describeRejection(code)} (${message})`;
  const what = rejected.length === 1
    ? `The cached license at ${rejected[0]!.path} cannot be used: ${clause(rejected[0]!)}.`
    : `No cached license can be used: ${rejected.map((c) => `${c.path}: ${clause(c)}`).join('; ')}.`;
  // A key we do not trust is not fixed by renewing: the next license is signed by the same server.
  const fixes = new Set(rejected.map((c) => c.rejected.code === 'license.unknown_key'
    ? `Check that ${ENV.trustedKeys} (now ${trustedKeys()}) holds the public keys of the license server that signed it.`
    : isFolder(c.rejected) ? `Remove the folder ${c.path} (the license file goes there), then run \`localstack start\` while online.`
      : 'Run `localstack start` while online to renew it.'));
  return new CliError('license.unusable', `${what} ${[...fixes].join(' ')}`);
}

program.command('license').description('inspect the cached license')
  .command('show')
  .description('verify and describe the cached license of your auth token (workspace, plan, expiry, offline validity left)')
  .option('--file <path>', `describe an offline license file instead (default: $${ENV.offlineLicenseFile} when set)`)
  .action(async (options: { file?: string }) => {
    const now = new Date();
    const offlineFile = options.file ?? env[ENV.offlineLicenseFile];
    if (offlineFile) {
      const shown = await showOfflineLicense(resolve(offlineFile), trustedKeys(), now);
      if (!shown.ok) throw new CliError(shown.code, shown.message);
      out(shown.text);
      return;
    }
    const token = findToken(env)?.token;
    const { paths, decision } = await cachedLicense(token, now);
    if (!token) err(`Note: no auth token is configured, so this is ${paths[0]} whichever credential activated it; set yours (localstack auth set-token) to see its own license.\n`);
    if (decision.kind === 'none') throw new CliError('license.none', `No cached license at ${paths.join(' or ')}. Run \`localstack start\` once while online to activate one.`);
    if (decision.kind === 'unreadable') throw new CliError('license.unreadable', `The cached license: ${cannotReadFix(decision.path, resolve(volumeDir(env)))}`);
    if (decision.kind === 'unusable') throw unusableError(decision.rejected);
    const { path, verified } = decision.candidate;
    out(describeLicense(path, verified.claims, now));
    const notice = expiryNotice(verified.claims.lic, now);
    if (notice) out(`Warning:          ${notice}`);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are not errors; anything else commander rejects is a usage error.
    process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? 0 : 2;
  } else if (error instanceof CliError) {
    err(`Error: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
