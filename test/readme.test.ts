// The README's examples run as tests, so they cannot drift: the library block, and the CLI options table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './helpers/paths.js';
import { makeTempDir, mustRun } from './helpers/tools.js';
import { runCli } from './helpers/cli.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

test('the README library example runs and makes a disk sfdisk reads', async () => {
  const block = /```ts example\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'README has a ```ts example block');
  const dir = makeTempDir();
  try {
    const image = join(dir.path, 'example.img');
    const index = pathToFileURL(join(REPO_ROOT, 'src', 'index.ts')).href;
    const code = `const EXAMPLE_IMAGE = ${JSON.stringify(image)};\n${block!.replace("from 'guestdisk'", `from ${JSON.stringify(index)}`)}`;
    const file = join(dir.path, 'example.mts');
    writeFileSync(file, code);
    const out = mustRun(process.execPath, ['--import', 'tsx', file]);
    assert.match(out, /^2048 \d+ true/);
    assert.is(statSync(image).size, 64 * 2 ** 20);
    assert.match(mustRun('sfdisk', ['--dump', image]), /type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7/);
  } finally {
    dir.remove();
  }
});

test('every create option the CLI knows is documented in the README, and vice versa', async () => {
  const help = (await runCli(['create', '--help'])).stdout;
  const cliOptions = new Set([...help.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]).filter((o) => o !== '--help'));
  const section = readme.slice(readme.indexOf('### `guestdisk create'), readme.indexOf('### `guestdisk inspect'));
  const documented = new Set([...section.matchAll(/`(--[a-z-]+)/g)].map((m) => m[1]));
  for (const o of cliOptions) assert.ok(documented.has(o), `${o} is not in the README`);
  for (const o of documented) assert.ok(cliOptions.has(o), `README documents ${o}, which create does not have`);
});

test('every exit code the CLI maps is in the README table', async () => {
  const { EXIT_CODE } = await import('../src/cli/exit-codes.js');
  for (const [code, exit] of Object.entries(EXIT_CODE)) {
    assert.ok(new RegExp(`\\| ${exit}[^|]*\\| \`${code}\``).test(readme) || new RegExp(`\`${code}\``).test(readme), `${code} (${exit}) missing`);
  }
});

test.run();
