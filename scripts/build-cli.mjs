// Builds the CLI that `bin` points to: dist/cli/guestdisk.cjs (start lines + src/cli/launcher.cjs), the bundle it
// loads (dist/cli/guestdisk-bundle.cjs) and the bundle's V8 code caches. What each run loads decides guestdisk's
// start-up time and peak memory (bench/, issues 6 and 9), hence the choices below, each measured there:
// - one bundle, not ~80 modules, compiled from V8's code cache (src/cli/launcher.cjs says why);
// - CommonJS, not an ES module: node's ES-module loader (and the node:fs/promises it brings) is ~0.9 MB of peak memory;
// - commander's child_process is loaded on first use (src/cli/lazy-child-process.cjs says why);
// - the bin starts as a shell script that starts node, with V8 flags for `create` (src/cli/main.ts,
//   leaveCodeUnoptimized, says why), and without NODE_EXTRA_CA_CERTS: node reads and parses every certificate
//   that variable names while it starts (measured: 28 ms and 1.8 MB for a 215 KiB bundle of certificates, more
//   than half of a bare `node -e 0` on such a host), and guestdisk opens no TLS connection, nor do lvcreate, lvs
//   or virsh need it. The second line is a no-op string statement to JavaScript and, to sh, `:` followed by the
//   exec; node skips the #! line itself.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = `${ROOT}dist/cli/guestdisk.cjs`;
const BUNDLE = `${ROOT}dist/cli/guestdisk-bundle.cjs`;

/** V8 flags for `create` (src/cli/v8-flags.ts, compiled by the tsc that runs before this script). */
const { CREATE_V8_FLAGS: CREATE_NODE_FLAGS } = await import('../dist/cli/v8-flags.js');

const START_LINES = [
  '#!/bin/sh',
  `":" //; unset NODE_EXTRA_CA_CERTS; [ "$1" = create ] && exec node ${CREATE_NODE_FLAGS.join(' ')} "$0" "$@"; exec node "$0" "$@"`,
];

/** Commander's `require('node:child_process')` gets a lazy stand-in (src/cli/lazy-child-process.cjs says why). */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[/\\]node_modules[/\\]commander[/\\]/.test(args.importer) ? { path: `${ROOT}src/cli/lazy-child-process.cjs` } : undefined,
    );
  },
};

await build({
  entryPoints: [`${ROOT}src/cli/bin.ts`],
  outfile: BUNDLE,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  external: ['ioctl'],
  logLevel: 'warning',
  // The sources are ES modules: import.meta.url (the package.json next door, createRequire for ioctl) becomes
  // this file's URL. __GUESTDISK_BUNDLE__: main.ts never starts itself here; bin.ts's runAsProgram does.
  define: { 'import.meta.url': '__guestdiskFileUrl', __GUESTDISK_BUNDLE__: 'true' },
  banner: { js: ["'use strict';", "const __guestdiskFileUrl = require('node:url').pathToFileURL(__filename).href;"].join('\n') },
  plugins: [lazyChildProcessForCommander],
});

// "use strict" right after the start lines: still in the directive prologue (the `":"` line is a string statement
// too), so the launcher is strict code like the rest.
writeFileSync(BIN, [...START_LINES, "'use strict';", readFileSync(`${ROOT}src/cli/launcher.cjs`, 'utf8')].join('\n'));
chmodSync(BIN, 0o755);

/**
 * The code caches: the launcher runs typical commands in this node, then saves the code V8 compiled for them.
 * `create` runs with its own V8 flags, and a cache only fits the flags it was made with, hence two.
 */
function makeCodeCache(nodeFlags, commandLines) {
  const r = spawnSync(process.execPath, [...nodeFlags, BIN], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: '', GUESTDISK_MAKE_CODE_CACHE: JSON.stringify(commandLines) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`build-cli: making the code cache failed (${nodeFlags.join(' ') || 'no flags'}): ${r.error ?? `exit ${r.status}`}`);
}

const work = mkdtempSync(join(tmpdir(), 'guestdisk-build-'));
try {
  const image = (name) => join(work, name);
  const same = ['--seed', 'code-cache', '--timestamp', '1700000000'];
  makeCodeCache(CREATE_NODE_FLAGS, [
    ['create', image('ntfs.img'), '--size', '1G', '--fs', 'ntfs', '--label', 'Cache', ...same],
    ['create', image('exfat.img'), '--size', '1G', '--fs', 'exfat', '--label', 'Cache', ...same],
    ['create', image('fat32.img'), '--size', '1G', '--fs', 'fat32', '--table', 'mbr', '--label', 'CACHE', ...same],
  ]);
  makeCodeCache([], [['--version'], ['inspect', image('ntfs.img')], ['verify', image('exfat.img')], ['inspect', '--json', image('fat32.img')]]);
} finally {
  rmSync(work, { recursive: true, force: true });
}
