// Bundles each program into dist/: what ships (image and npm package) is built JavaScript that starts fast.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: {
    'docker-entrypoint': 'src/entrypoint/main.ts',
    'license-server': 'src/server/main.ts',
    localstack: 'src/cli/main.ts',
    'pro-emulator': 'src/product/main.ts',
    index: 'src/index.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  sourcemap: 'linked',
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS dependencies still call require(); give them one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // proper-lockfile's graceful-fs patches the process-wide fs module and costs ~10 ms to load; one lock needs plain fs.
  alias: { 'graceful-fs': 'node:fs' },
  logLevel: 'warning',
});
