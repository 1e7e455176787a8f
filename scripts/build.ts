// Bundles each program into dist/: what ships (image and npm package) is built JavaScript that starts fast.
import { build, type Plugin } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';
import pkg from '../package.json' with { type: 'json' };
import { HASH_LENGTH } from './code-cache.ts';

/** Each program: its source, and the exit code for "this Node is too old" (the entrypoint's is a configuration error). */
const PROGRAMS = {
  'docker-entrypoint': { src: 'src/entrypoint/main.ts', tooOld: 64 },
  'license-server': { src: 'src/server/main.ts', tooOld: 1 },
  localstack: { src: 'src/cli/main.ts', tooOld: 1 },
  'pro-emulator': { src: 'src/product/main.ts', tooOld: 1 },
} as const;
const NODE_MAJOR = Number(/\d+/.exec(pkg.engines.node)![0]);

rmSync('dist', { recursive: true, force: true });
const common = {
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  sourcemap: 'linked',
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS dependencies still call require(); give them one.
  banner: { js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);" },
  // proper-lockfile's graceful-fs patches the process-wide fs module and costs ~10 ms to load; one lock needs plain fs.
  alias: { 'graceful-fs': 'node:fs' },
  logLevel: 'warning',
} as const;
/** proper-lockfile's signal-exit 3 is bundled as version 4 (scripts/build-shims/signal-exit-v3.cjs says why). */
const signalExitV4: Plugin = {
  name: 'signal-exit-v4',
  setup(b) {
    b.onResolve({ filter: /^signal-exit$/ }, (args) => (/[\\/]proper-lockfile[\\/]/.test(args.importer) ? { path: resolve('scripts/build-shims/signal-exit-v3.cjs') } : undefined));
  },
};
// The entrypoint runs at every container start: one file, so that no chunk is resolved, read and linked on the way;
// CommonJS, so that its launcher can hand V8 a code cache made here (scripts/code-cache.ts; ES modules take none).
const { 'docker-entrypoint': entrypoint, ...others } = PROGRAMS;
const ENTRYPOINT_BUNDLE = 'dist/main/docker-entrypoint.cjs';
await build({
  ...common,
  entryPoints: { 'main/docker-entrypoint': entrypoint.src },
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  splitting: false,
  plugins: [signalExitV4],
  // Its launcher gives it Node's require; import.meta (the package root is found from it) from its own path.
  banner: { js: 'var __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': '__import_meta_url' },
});
await build({
  ...common,
  entryPoints: {
    ...Object.fromEntries(Object.entries(others).map(([name, { src }]) => [`main/${name}`, src])),
    index: 'src/index.ts',
  },
  splitting: true,
});

// Node's built-in modules as CommonJS objects (process.getBuiltinModule), not ES module imports: the facade Node builds
// for `import … from 'node:http'` reads every export, lazy ones too, which loads its internal undici (node:http),
// fs streams (node:fs) or argon2 (node:crypto): ~10 ms of every start. One line stays one line: source maps still hold.
const BUILTIN_IMPORT = /^import (?:(\w+)|\* as (\w+)|\{([^}]*)\}|(\w+), \{([^}]*)\}) from "((?:node:)?[\w/]+)";$/gm;
const asDestructuring = (names: string) => names.trim().replace(/\s+as\s+/g, ': ');
function requireBuiltins(code: string): string {
  return code.replace(BUILTIN_IMPORT, (line, single, namespace, named, first, rest, id: string) => {
    const name = id.startsWith('node:') ? id : `node:${id}`;
    if (!isBuiltin(name)) return line;
    const get = `process.getBuiltinModule(${JSON.stringify(name)})`;
    if (single ?? namespace) return `const ${single ?? namespace} = ${get};`;
    if (named !== undefined) return `const { ${asDestructuring(named)} } = ${get};`;
    return `const ${first} = ${get}, { ${asDestructuring(rest)} } = ${first};`;
  });
}
for (const file of readdirSync('dist', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'))) {
  const path = join('dist', file);
  const code = readFileSync(path, 'utf8');
  const rewritten = requireBuiltins(code);
  if (rewritten !== code) writeFileSync(path, rewritten);
}

// How a launcher loads its bundle: the programs other than the entrypoint as ES modules, with Node's compile cache.
const COMPILE_CACHE_LOAD = (name: string) => `// V8's code cache on disk spares re-compiling the bundle at every start (NODE_COMPILE_CACHE: Node enabled it already).
// Only in a folder made here one level at a time: Node's own recursive mkdir never returns under /proc (TMPDIR=/proc/x).
// getBuiltinModule, not import(): the ES module facade of node:fs alone loads its streams and promises (~7 ms).
const { enableCompileCache } = process.getBuiltinModule('node:module');
if (enableCompileCache && !process.env.NODE_COMPILE_CACHE) {
  const { tmpdir } = process.getBuiltinModule('node:os');
  const { mkdirSync, statSync } = process.getBuiltinModule('node:fs');
  try {
    if (statSync(tmpdir()).isDirectory()) {
      const dir = tmpdir() + '/node-compile-cache';
      try { mkdirSync(dir); } catch (error) { if (error.code !== 'EEXIST') throw error; }
      if (statSync(dir).isDirectory()) enableCompileCache(dir);
    }
  } catch {
    // No cache: the bundle is compiled as usual.
  }
}
await import('./main/${name}.js');
`;
// The entrypoint's CommonJS bundle, compiled with the code cache made beside it at build time (scripts/code-cache.ts),
// but only if that cache was made from this very source; otherwise (or if V8 rejects it) compiled as it runs.
const ENTRYPOINT_LOAD = `// In a function: the cache's bytes are garbage once compiled, not held by the module's scope for the container's life.
function run() {
  const { readFileSync } = process.getBuiltinModule('node:fs');
  const { hash } = process.getBuiltinModule('node:crypto');
  const { Script } = process.getBuiltinModule('node:vm');
  const dir = import.meta.dirname + '/main';
  const bundle = dir + '/docker-entrypoint.cjs';
  const bytes = readFileSync(bundle);
  let cachedData;
  try {
    const cache = readFileSync(dir + '/docker-entrypoint.cache');
    if (cache.toString('latin1', 0, ${HASH_LENGTH}) === hash('sha256', bytes, 'hex')) cachedData = cache.subarray(${HASH_LENGTH});
  } catch {
    // No cache: the bundle is compiled as it runs.
  }
  // Node's modules straight from Node (all the bundle asks for), not through a CommonJS loader set up for it.
  const require = (id) => process.getBuiltinModule(id) ?? process.getBuiltinModule('node:module').createRequire(bundle)(id);
  const module = { exports: {} };
  const script = new Script(bytes.toString('utf8'), { filename: bundle, cachedData });
  script.runInThisContext()(module.exports, require, module, bundle, dir);
}
run();
`;
// A launcher per program: plain JavaScript any Node can parse, so an old Node gets one line instead of a link error.
for (const [name, { tooOld }] of Object.entries(PROGRAMS)) {
  const path = `dist/${name}.js`;
  writeFileSync(path, `#!/usr/bin/env node
// SIGUSR1 without a listener opens Node's debugger (port 9229) for the process's life: this listener, first of
// all, prevents that. While it is the only one (the program has not set its own yet) the signal ends the program, 128 + 10.
process.on('SIGUSR1', () => { if (process.listenerCount('SIGUSR1') === 1) process.exit(138); });
// ${name}: checks the Node version before loading the bundle, which needs Node ${NODE_MAJOR}.
const major = Number(process.versions.node.split('.')[0]);
if (major < ${NODE_MAJOR}) {
  process.stderr.write('${name}: Node.js ${NODE_MAJOR} or newer is needed; this is Node.js ' + process.version + '. In a clone, run it as npx ${name} after npm ci (which installs Node ${NODE_MAJOR}); elsewhere install Node.js ${NODE_MAJOR}.\\n');
  process.exit(${tooOld});
}
${name === 'docker-entrypoint' ? ENTRYPOINT_LOAD : COMPILE_CACHE_LOAD(name)}`);
  chmodSync(path, 0o755);
}

// The entrypoint's bundle is stored wrapped as Node wraps a CommonJS module (its launcher calls the function), in
// strict mode as the ES module it was (esbuild adds no directive): V8 compiles the file as read, no copy made to wrap
// it. The wrapper shares the first line with the banner, so the source map's lines hold. No import(), which a script
// compiled by node:vm cannot do. ASCII only (esbuild escapes strings; comments are kept as written): one character
// beyond Latin-1 anywhere makes V8 hold the whole source at two bytes a character for the container's life.
const body = readFileSync(ENTRYPOINT_BUNDLE, 'utf8').replace(/^#!.*\n/, '');
if (/\bimport\(/.test(body)) throw new Error(`${ENTRYPOINT_BUNDLE} calls import(), which its launcher cannot serve: bundle the module instead`);
const nonAscii = /[^\x00-\x7f]/.exec(body);
if (nonAscii) {
  const line = body.slice(body.lastIndexOf('\n', nonAscii.index) + 1, body.indexOf('\n', nonAscii.index)).trim();
  throw new Error(`the entrypoint's bundle has a character beyond ASCII, ${JSON.stringify(nonAscii[0])}, in \`${line.slice(0, 100)}\`: write it as ASCII in the source`);
}
const bundled = `(function (exports, require, module, __filename, __dirname) {"use strict";${body}\n})`;
writeFileSync(ENTRYPOINT_BUNDLE, bundled);
const made = spawnSync(process.execPath, ['scripts/code-cache.ts', ENTRYPOINT_BUNDLE], { stdio: 'inherit' });
if (made.status !== 0) throw new Error(`scripts/code-cache.ts exited ${made.status ?? made.signal}`);
