// Builds the CLI that `bin` points to, after tsc has built the library into dist/:
// - dist/cli/guestdisk-bundle.cjs: the whole CLI as one esbuild bundle (entry src/cli/bin.ts), readable, with a
//   linked source map. One file instead of ~80 modules is what makes guestdisk start fast: resolving and reading
//   tsc's unbundled output cost ~118 ms and ~6 MB more per run (bench/, docs/bench.md). CommonJS, so node loads
//   it without its ES-module loader.
// - dist/cli/guestdisk.cjs: the bin, `#!/usr/bin/env node` and three lines (src/cli/guestdisk.cjs): it turns on
//   node's compile cache (Node >= 22; a no-op on 20), then loads the bundle, which the cache then covers.
// Both are the same bytes for the same sources (a test packs the package twice and compares).
import { build } from 'esbuild';
import { chmodSync, copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = `${ROOT}dist/cli/guestdisk.cjs`;

await build({
  entryPoints: [`${ROOT}src/cli/bin.ts`],
  outfile: `${ROOT}dist/cli/guestdisk-bundle.cjs`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  // Paths in the map are relative to the bundle (../../src/…), so the map does not depend on the checkout's place.
  sourceRoot: '',
  external: ['ioctl'],
  logLevel: 'warning',
  // The sources are ES modules: import.meta.url (package.json's place, createRequire for ioctl) becomes the bundle's.
  define: { 'import.meta.url': '__guestdiskFileUrl' },
  // 'use strict' first: the banner comes before esbuild's own directive, which would then no longer be one.
  banner: { js: "'use strict';\nconst __guestdiskFileUrl = require('node:url').pathToFileURL(__filename).href;" },
});

copyFileSync(`${ROOT}src/cli/guestdisk.cjs`, BIN);
chmodSync(BIN, 0o755);
