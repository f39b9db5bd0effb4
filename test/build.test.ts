// The package as users get it: `npm run build` (tsc + the bundled CLI that `bin` points to) succeeds, the whole
// tree typechecks (tests and bench too), and the bundle runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './helpers/paths.js';
import { makeTempDir, mustRun, runTool } from './helpers/tools.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

test('npm run build succeeds and bin points at an executable bundle', () => {
  const r = runTool('npm', ['run', '--silent', 'build'], { timeoutMs: 5 * 60 * 1000 });
  assert.is(r.status, 0, r.stdout + r.stderr);
  const bin = join(REPO_ROOT, pkg.bin.guestdisk);
  assert.ok(statSync(join(dirname(bin), 'guestdisk-bundle.cjs')).size > 10_000);
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

// What `create` loads decides most of guestdisk's peak memory (bench/, issue 9: within 10 MB of `node -e 0`); each
// module named here cost 0.7–2.2 MB when it was loaded and is not needed to make a disk.
const HEAVY_MODULES = ['v8', 'fs/promises', 'crypto', 'child_process', 'net', 'tty', 'readline', 'stream'];

function runBundled(argv: string[], dir: string, viaNode: boolean): { loaded: string[]; execArgv: string[]; optimized: string[]; status: number | null; stderr: string } {
  const preload = join(dir, 'report.cjs');
  const report = join(dir, 'report.json');
  writeFileSync(preload, `const base = new Set(process.moduleLoadList);
process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({
  loaded: process.moduleLoadList.filter((m) => !base.has(m)).map((m) => m.replace(/^(NativeModule|Internal Binding) /, '')),
  execArgv: process.execArgv })));`);
  rmSync(report, { force: true }); // a run that never reaches its exit handler must not read the last run's report
  const bin = join(REPO_ROOT, pkg.bin.guestdisk);
  const env = { ...process.env, NODE_OPTIONS: `--require ${preload}`, PATH: `${dirname(process.execPath)}:${process.env.PATH}` };
  const r = viaNode
    ? spawnSync(process.execPath, ['--trace-opt', bin, ...argv], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    : spawnSync(bin, argv, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const { loaded, execArgv } = JSON.parse(readFileSync(report, 'utf8')) as { loaded: string[]; execArgv: string[] };
  const optimized = (r.stdout ?? '').split('\n').filter((l) => l.includes('completed optimizing'));
  return { loaded, execArgv, optimized, status: r.status, stderr: r.stderr ?? '' };
}

test('the bin, run as a program, starts node with --no-opt for create and loads none of the heavy modules, with stdout and stderr on pipes', () => {
  const dir = makeTempDir();
  try {
    for (const fs of ['ntfs', 'exfat', 'fat32']) {
      const r = runBundled(['create', join(dir.path, `${fs}.img`), '--size', '1G', '--fs', fs, '--seed', 's', '--timestamp', '1700000000'], dir.path, false);
      assert.is(r.status, 0, r.stderr);
      assert.ok(r.execArgv.includes('--no-opt'), `execArgv ${JSON.stringify(r.execArgv)}`);
      assert.equal(r.loaded.filter((m) => HEAVY_MODULES.includes(m)), [], fs);
    }
    // inspect keeps the optimizing compiler: it scans whole bitmaps.
    const i = runBundled(['inspect', join(dir.path, 'ntfs.img')], dir.path, false);
    assert.is(i.status, 0, i.stderr);
    assert.not.ok(i.execArgv.includes('--no-opt'));
  } finally {
    dir.remove();
  }
});

test('the build made V8 code caches that this node accepts, for create and for the other commands', () => {
  const dir = makeTempDir();
  try {
    const bin = join(REPO_ROOT, pkg.bin.guestdisk);
    const img = join(dir.path, 'c.img');
    const env = { ...process.env, GUESTDISK_DEBUG_CODE_CACHE: '1', PATH: `${dirname(process.execPath)}:${process.env.PATH}` };
    const create = spawnSync(bin, ['create', img, '--size', '1G', '--fs', 'exfat', '--seed', 's', '--timestamp', '1700000000'], { env, encoding: 'utf8' });
    assert.is(create.status, 0, create.stderr);
    assert.match(create.stderr, /code cache accepted: .*guestdisk-bundle\.create\.v8cache/);
    const inspect = spawnSync(bin, ['inspect', img], { env, encoding: 'utf8' });
    assert.is(inspect.status, 0, inspect.stderr);
    assert.match(inspect.stderr, /code cache accepted: .*guestdisk-bundle\.other\.v8cache/);
    assert.match(inspect.stdout, /exfat/i);
  } finally {
    dir.remove();
  }
});

test('started as `node BIN create`, the bundle turns the optimizing compiler off itself (nothing gets optimized)', () => {
  const dir = makeTempDir();
  try {
    const r = runBundled(['create', join(dir.path, 'n.img'), '--size', '1G', '--seed', 's', '--timestamp', '0'], dir.path, true);
    assert.is(r.status, 0, r.stderr);
    assert.not.ok(r.execArgv.includes('--no-opt'));
    assert.ok(r.loaded.includes('v8'));
    assert.equal(r.optimized, []);
  } finally {
    dir.remove();
  }
});

test('the whole tree typechecks (src, test, bench)', () => {
  const r = runTool(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO_ROOT, 'tsconfig.json'), '--noEmit'], { timeoutMs: 5 * 60 * 1000 });
  assert.is(r.status, 0, r.stdout + r.stderr);
});

test.run();
