// SIGINT/SIGTERM from the first moment: the bin catches them before it evaluates anything else (commander, the
// commands), so a signal that arrives while guestdisk is still starting ends with the usual message and exit code
// (main() sees it before the first write), and nothing written. Node's own start-up, before any JavaScript runs, is
// the one window left. The bundle is built here the way scripts/build-cli.mjs builds it (same entry, same defines),
// and its evaluation order is read from it. Timing a signal against a process cannot show the order: node itself
// catches SIGINT and SIGTERM from its start (to restore the terminal, then re-raise), so /proc's SigCgt says nothing
// about guestdisk's handler, and `tsx` installs one of its own first.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tools.js';

const dir = makeTempDir('guestdisk-early-signals-');
test.after(() => dir.remove());
const bundle = join(dir.path, 'guestdisk-bundle.cjs');

test.before(async () => {
  await build({
    entryPoints: [join(REPO_ROOT, 'src/cli/bin.ts')], outfile: bundle, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['ioctl'], logLevel: 'error',
    define: { 'import.meta.url': '__guestdiskFileUrl', __GUESTDISK_BUNDLE__: 'true' },
    banner: { js: `const __guestdiskFileUrl = ${JSON.stringify(`file://${join(REPO_ROOT, 'dist/cli/guestdisk-bundle.cjs')}`)};` },
  });
});

test('the bundle installs its SIGINT/SIGTERM handlers before it evaluates commander and the commands', async () => {
  const code = readFileSync(bundle, 'utf8');
  // Top-level statements run in file order; commander is CommonJS, evaluated where it is first required.
  const install = code.search(/^installSignalHandlers\(\);$/m);
  const commander = code.search(/= __toESM\(require_commander\(\)/);
  const main = code.search(/^async function main\(/m);
  assert.ok(install >= 0 && commander >= 0 && main >= 0, `markers in the bundle: install ${install}, commander ${commander}, main ${main}`);
  assert.ok(install < commander, 'the handlers are installed before commander is evaluated');
  assert.ok(install < main, 'and before the CLI itself');
});

test.run();
