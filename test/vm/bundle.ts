// guestdisk as the guests run it: one CommonJS bundle of the working tree's sources from the program's entry,
// src/cli/bin.ts (as scripts/build-cli.mjs makes dist/cli's), started by a `guestdisk` shell wrapper in DIR/bin.
// A bundle, not tsx: under TCG every start of the TypeScript loader costs seconds.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

/** Builds DIR/dist/cli/guestdisk.cjs and DIR/bin/guestdisk; returns DIR/bin (for the guest's PATH). */
export async function buildGuestdiskBundle(dir: string): Promise<string> {
  // dist/cli/ below a copy of package.json, as in the package: main.ts reads ../../package.json for --version.
  const bundle = join(dir, 'dist', 'cli', 'guestdisk.cjs');
  mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
  copyFileSync(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'));
  await build({
    entryPoints: [join(REPO_ROOT, 'src/cli/bin.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['ioctl'],
    logLevel: 'warning',
    sourcemap: 'inline',
    define: { 'import.meta.url': '__guestdiskFileUrl' },
    banner: { js: "'use strict';\nconst __guestdiskFileUrl = require('node:url').pathToFileURL(__filename).href;" },
    nodePaths: [join(REPO_ROOT, 'node_modules')],
  });
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  // NODE_PATH: the optional ioctl package stays outside the bundle and is found in the project's node_modules.
  writeFileSync(join(bin, 'guestdisk'), `#!/bin/sh\nNODE_PATH=${JSON.stringify(join(REPO_ROOT, 'node_modules'))} exec node --enable-source-maps ${JSON.stringify(bundle)} "$@"\n`);
  chmodSync(join(bin, 'guestdisk'), 0o755);
  return bin;
}
