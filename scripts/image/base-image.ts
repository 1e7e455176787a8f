// Makes the local stand-in for `node:24-bookworm-slim` (no registry here): Debian minbase + the pinned Node + npm.
// Usage: node scripts/image/base-image.ts [--force]. Cached: rebuilt only when its recipe (Node, npm, CA certs) changes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_IMAGE, BASE_LABEL, DEFAULT_MIRROR, EXTRA_CA_DIR, IN_IMAGE_CA, podman, ROOT } from './podman.ts';

const log = (line: string) => process.stderr.write(`base-image: ${line}\n`);
const run = (cmd: string, args: string[], options: { cwd?: string } = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 << 20, ...options });

/** The Debian mirror that apt sources name for bookworm (deb822 `.sources` stanzas or one-line `.list` entries). */
export function mirrorFrom(sources: string[]): string | undefined {
  for (const text of sources) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const uris = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1].split(/\s+/) ?? [];
      if (uris && suites.includes('bookworm') && /^Types:(?:.*\s)?deb(?:\s|$)/m.test(stanza) && !/^Enabled:\s*no/mi.test(stanza)) return uris;
    }
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(text);
    if (line) return line[1];
  }
  return undefined;
}

/** The host's own apt sources, sources.list.d first. */
function hostMirror(): string {
  const dir = '/etc/apt/sources.list.d';
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sources') || f.endsWith('.list')).sort().map((f) => join(dir, f)) : [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  return mirrorFrom(files.map((f) => readFileSync(f, 'utf8'))) ?? DEFAULT_MIRROR;
}

function extraCaCerts(): string {
  if (!existsSync(EXTRA_CA_DIR)) return '';
  return readdirSync(EXTRA_CA_DIR).filter((f) => f.endsWith('.crt')).sort().map((f) => readFileSync(join(EXTRA_CA_DIR, f), 'utf8').trim() + '\n').join('');
}

const nodeBinary = join(ROOT, 'node_modules/node/bin/node');

function recipe(npmVersion: string, ca: string) {
  const nodeVersion = run(nodeBinary, ['--version']).trim().replace(/^v/, '');
  // Version of this recipe: bump when the steps below change what the base contains.
  const key = createHash('sha256').update(JSON.stringify({ recipe: 3, nodeVersion, npmVersion, ca })).digest('hex').slice(0, 16);
  return { nodeVersion, key };
}

function cachedKey(): string | undefined {
  const r = podman(['image', 'inspect', '--format', `{{index .Labels "${BASE_LABEL}"}}`, BASE_IMAGE]);
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function buildBaseImage(force = false): void {
  if (!existsSync(nodeBinary)) throw new Error(`${nodeBinary} is missing; run npm ci first`);
  const work = mkdtempSync(join(tmpdir(), 'pa-base-'));
  try {
    // npm the way the official image carries it: the registry's npm@11 package under /usr/local/lib/node_modules.
    const tarball = run('npm', ['pack', 'npm@11', '--silent', '--pack-destination', work], { cwd: work }).trim().split('\n').at(-1)!;
    const npmVersion = /^npm-(.+)\.tgz$/.exec(tarball)![1];
    const ca = extraCaCerts();
    const { nodeVersion, key } = recipe(npmVersion, ca);
    if (!force && cachedKey() === key) {
      log(`${BASE_IMAGE} is up to date (node ${nodeVersion}, npm ${npmVersion})`);
      return;
    }
    const rootfs = join(work, 'rootfs');
    const mirror = hostMirror();
    log(`debootstrap --variant=minbase bookworm from ${mirror}`);
    run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, mirror]);
    // As debian:bookworm-slim: no docs, man pages or locales, in the base or in what the Dockerfile installs later.
    writeFileSync(join(rootfs, 'etc/dpkg/dpkg.cfg.d/docker'), ['path-exclude /usr/share/doc/*', 'path-include /usr/share/doc/*/copyright', 'path-exclude /usr/share/man/*', 'path-exclude /usr/share/info/*', 'path-exclude /usr/share/locale/*', ''].join('\n'));
    for (const dir of ['usr/share/man', 'usr/share/info', 'usr/share/locale', 'var/cache/apt/archives', 'var/lib/apt/lists']) {
      rmSync(join(rootfs, dir), { recursive: true, force: true });
      mkdirSync(join(rootfs, dir), { recursive: true });
    }
    mkdirSync(join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
    // debian:bookworm-slim's apt settings: no package caches left in a layer after apt-get install, English only.
    const clean = 'rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true';
    writeFileSync(join(rootfs, 'etc/apt/apt.conf.d/docker-clean'), `DPkg::Post-Invoke { "${clean}"; };\nAPT::Update::Post-Invoke { "${clean}"; };\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n`);
    writeFileSync(join(rootfs, 'etc/apt/apt.conf.d/docker-no-languages'), 'Acquire::Languages "none";\n');
    writeFileSync(join(rootfs, 'etc/apt/apt.conf.d/docker-gzip-indexes'), 'Acquire::GzipIndexes "true";\n');
    writeFileSync(join(rootfs, 'etc/apt/apt.conf.d/docker-autoremove-suggests'), 'Apt::AutoRemove::SuggestsImportant "false";\n');
    writeFileSync(join(rootfs, 'etc/apt/sources.list'), `deb ${mirror} bookworm main\ndeb ${mirror} bookworm-updates main\n`);

    copyFileSync(nodeBinary, join(rootfs, 'usr/local/bin/node'));
    chmodSync(join(rootfs, 'usr/local/bin/node'), 0o755);
    const npmDir = join(rootfs, 'usr/local/lib/node_modules/npm');
    mkdirSync(npmDir, { recursive: true });
    run('tar', ['-xzf', join(work, tarball), '-C', npmDir, '--strip-components=1', '--no-same-owner']);
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/local/bin/npx'));

    const changes = [`ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, `ENV NODE_VERSION=${nodeVersion}`, 'CMD ["node"]', `LABEL ${BASE_LABEL}=${key}`];
    if (ca) {
      // A TLS-intercepting proxy's CA (as on this machine): without it `npm ci` in the build fails with SELF_SIGNED_CERT_IN_CHAIN.
      mkdirSync(join(rootfs, 'usr/local/share/ca-certificates'), { recursive: true });
      writeFileSync(join(rootfs, IN_IMAGE_CA.slice(1)), ca);
      changes.push(`ENV NODE_EXTRA_CA_CERTS=${IN_IMAGE_CA}`);
    }
    const archive = join(work, 'rootfs.tar');
    run('tar', ['--numeric-owner', '-cf', archive, '-C', rootfs, '.']);
    const r = podman(['import', ...changes.flatMap((c) => ['--change', c]), archive, BASE_IMAGE]);
    if (r.status !== 0) throw new Error(`podman import failed: ${r.stderr}`);
    log(`imported ${BASE_IMAGE} (node ${nodeVersion}, npm ${npmVersion}${ca ? ', host CA certs trusted' : ''})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  try {
    buildBaseImage(process.argv.includes('--force'));
  } catch (error) {
    process.stderr.write(`base-image: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
