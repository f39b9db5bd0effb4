// The package as users get it: `npm run build` (tsc + the bundled CLI that `bin` points to) succeeds, the whole
// tree typechecks (tests and bench too), and the bundle runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/paths.js';
import { makeTempDir, mustRun, runTool } from './helpers/tools.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

test('npm run build succeeds and bin points at an executable bundle', () => {
  const r = runTool('npm', ['run', '--silent', 'build'], { timeoutMs: 5 * 60 * 1000 });
  assert.is(r.status, 0, r.stdout + r.stderr);
  const bin = join(REPO_ROOT, pkg.bin.guestdisk);
  assert.ok(statSync(bin).size > 10_000);
  assert.is(mustRun(process.execPath, [bin, '--version']).trim(), pkg.version);
});

test('the bundled CLI plans and writes a disk', () => {
  const dir = makeTempDir();
  try {
    const img = join(dir.path, 'b.img');
    const out = mustRun(process.execPath, [join(REPO_ROOT, pkg.bin.guestdisk), 'create', img, '--size', '64M', '--label', 'Bundle', '--seed', 'b', '--timestamp', '0', '--json']);
    assert.is(JSON.parse(out).layout.filesystem.kind, 'ntfs');
    assert.match(mustRun('blkid', ['-p', '-O', String(2 ** 20), '-o', 'value', '-s', 'TYPE', img]), /ntfs/);
  } finally {
    dir.remove();
  }
});

test('the whole tree typechecks (src, test, bench)', () => {
  const r = runTool(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO_ROOT, 'tsconfig.json'), '--noEmit'], { timeoutMs: 5 * 60 * 1000 });
  assert.is(r.status, 0, r.stdout + r.stderr);
});

test.run();
