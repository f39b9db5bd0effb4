// Bundles the CLI into the one file `bin` points to (dist/cli/guestdisk.cjs). What each run loads decides
// guestdisk's start-up time and peak memory (bench/, issue 9), hence the choices below, each measured there:
// - one file, not ~80 modules;
// - CommonJS, not an ES module: node's ES-module loader (and the node:fs/promises it brings) is ~0.9 MB of peak memory;
// - commander's child_process is loaded on first use (src/cli/lazy-child-process.cjs says why);
// - the file starts as a shell script that starts node, with V8 flags for `create` (src/cli/main.ts,
//   leaveCodeUnoptimized, says why), and without NODE_EXTRA_CA_CERTS: node reads and parses every certificate
//   that file names while it starts (measured: 28 ms and 1.8 MB for a 215 KiB bundle, more than half of a bare
//   `node -e 0` on such a host), and guestdisk opens no TLS connection, nor do lvcreate, lvs or virsh need it. The second line is a no-op string statement to JavaScript and, to sh, `:`
//   followed by the exec; node skips the #! line itself.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = `${ROOT}dist/cli/guestdisk.cjs`;

/** V8 flags for `create`; src/cli/main.ts (leaveCodeUnoptimized) sets the same when started without them. */
const CREATE_NODE_FLAGS = ['--no-opt', '--no-lazy-feedback-allocation'];

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
  entryPoints: [`${ROOT}src/cli/main.ts`],
  outfile: BIN,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  external: ['ioctl'],
  logLevel: 'warning',
  // The sources are ES modules: import.meta.url (the package.json next door, createRequire for ioctl) becomes
  // this file's URL.
  define: { 'import.meta.url': '__guestdiskFileUrl' },
  // "use strict" right after the start lines: still in the directive prologue (the `":"` line is a string
  // statement too), so the bundle keeps the strict mode of the ES modules it was made from.
  banner: { js: [...START_LINES, "'use strict';", "const __guestdiskFileUrl = require('node:url').pathToFileURL(__filename).href;"].join('\n') },
  plugins: [lazyChildProcessForCommander],
});
chmodSync(BIN, 0o755);
