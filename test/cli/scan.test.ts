import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generateToken } from '../../src/core/credentials.ts';
import { TokenScanner } from '../../src/cli/token-scanner.ts';
import { baseEnv } from '../helpers/entrypoint.ts';
import { ROOT } from '../helpers/paths.ts';
import { tempDir } from '../helpers/server.ts';

const CLI = join(ROOT, 'dist/localstack.js');
const lookAlike = (token: string) => `${token.slice(0, -1)}${token.at(-1) === 'a' ? 'b' : 'a'}`;

function scan(cwd: string, args: string[] = [], nodeArgs: string[] = []) {
  const r = spawnSync(process.execPath, [...nodeArgs, CLI, 'auth', 'scan', ...args], { cwd, env: baseEnv(), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('TokenScanner', () => {
  test('finds a token split across pieces at every offset, with its line, and only once', () => {
    const token = generateToken('developer');
    const text = `a\nb\nc x=${token}\nd ${lookAlike(token)}\nxls-${token.slice(3)}\n`;
    for (let cut = 1; cut < text.length; cut++) {
      const s = new TokenScanner();
      const found = [...s.push(text.slice(0, cut)), ...s.push(text.slice(cut)), ...s.end()];
      assert.deepEqual(found, [{ line: 3, masked: `${token.slice(0, 7)}…`, kind: 'developer' }], `cut at ${cut}`);
    }
  });

  test('one-byte pieces: the word before a token is still seen (no match inside a longer word)', () => {
    const token = generateToken('ci');
    const text = `${'z'.repeat(100)}${token} and ${'q'.repeat(70)}x${token}\n${token}`;
    const s = new TokenScanner();
    const found = [...[...text].flatMap((c) => s.push(c)), ...s.end()];
    assert.deepEqual(found.map((f) => [f.line, f.kind]), [[2, 'ci']]);
  });
});

describe('localstack auth scan', () => {
  test('reports file:line with the token masked and exits 1; a tree of look-alikes exits 0', () => {
    const dir = tempDir('pa-scan-');
    const dev = generateToken('developer');
    const ci = generateToken('ci');
    mkdirSync(join(dir, 'config'));
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'config', '.env'), `# settings\n\nLOCALSTACK_AUTH_TOKEN=${dev}\n`);
    writeFileSync(join(dir, 'pipeline.yml'), `env:\n  LOCALSTACK_AUTH_TOKEN: ${ci}\n`);
    writeFileSync(join(dir, 'README.md'), `LOCALSTACK_AUTH_TOKEN=${lookAlike(dev)}\n`);
    writeFileSync(join(dir, 'node_modules', 'dep.js'), `// ${generateToken('developer')}\n`);
    const found = scan(dir);
    assert.equal(found.code, 1, found.stderr);
    assert.deepEqual(found.stdout.trim().split('\n').sort(), [`config/.env:3: ${dev.slice(0, 7)}… (auth token)`, `pipeline.yml:2: ${ci.slice(0, 9)}… (CI auth token)`]);
    assert.match(found.stderr, /^2 auth tokens found in 3 files\. Rotate them at https:\/\/app\.localstack\.cloud\/workspace\/auth-tokens/);
    assert.ok(!(found.stdout + found.stderr).includes(dev) && !(found.stdout + found.stderr).includes(ci), 'masked');
    // Given paths: only those; a clean file exits 0.
    const clean = scan(dir, ['README.md']);
    assert.equal(clean.code, 0, clean.stdout);
    assert.equal(clean.stdout, '');
    assert.match(clean.stderr, /No auth token found in 1 file\./);
    const missing = scan(dir, ['no-such-file']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Error: cannot scan .*no-such-file \(ENOENT\); give existing files or folders\n$/);
  });

  test('a 96 MB binary file with one token inside, and a 4 MB line, are scanned in bounded memory (48 MB heap)', () => {
    const dir = tempDir('pa-scan-big-');
    const token = generateToken('ci');
    const big = join(dir, 'disk.img');
    const fd = openSync(big, 'w');
    try {
      writeSync(fd, Buffer.from(`\u0000\u0001${token}\u0000`), 0, token.length + 3, 50 * 1024 * 1024);
      writeSync(fd, Buffer.from([0]), 0, 1, 96 * 1024 * 1024);
    } finally {
      closeSync(fd);
    }
    const dev = generateToken('developer');
    writeFileSync(join(dir, 'minified.js'), `${'a=1;'.repeat(1024 * 1024)}t="${dev}";`);
    const r = scan(dir, [], ['--max-old-space-size=48']);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), [`disk.img:1: ${token.slice(0, 9)}… (CI auth token)`, `minified.js:1: ${dev.slice(0, 7)}… (auth token)`]);
    rmSync(big);
  });

  test('--git-history finds a token removed from the working tree, by commit and path', () => {
    const dir = tempDir('pa-scan-git-');
    const token = generateToken('developer');
    const git = (...args: string[]) => {
      const r = spawnSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.test', '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    git('init', '-q');
    writeFileSync(join(dir, 'app.env'), `DEBUG=1\nLOCALSTACK_AUTH_TOKEN=${token}\n`);
    git('add', '.');
    git('commit', '-qm', 'add settings');
    const leaked = git('rev-parse', '--short', 'HEAD');
    writeFileSync(join(dir, 'app.env'), 'DEBUG=1\n');
    git('commit', '-qam', 'remove the token');
    const now = scan(dir);
    assert.equal(now.code, 0, now.stdout);
    const history = scan(dir, ['--git-history']);
    assert.equal(history.code, 1, history.stderr);
    assert.equal(history.stdout, `${leaked}:app.env:2: ${token.slice(0, 7)}… (auth token)\n`);
    assert.match(history.stderr, /1 auth token found in 1 file and 2 blobs of the git history/);
    const notRepo = scan(tempDir('pa-scan-nogit-'), ['--git-history']);
    assert.equal(notRepo.code, 1);
    assert.match(notRepo.stderr, /^Error: git [a-z-]+ failed: fatal: not a git repository.*; --git-history needs a git repository at /);
  });
});
