// The package as users get it. dist/ is built once before the suite (scripts/run-tests.mjs); here: the bin is an
// ordinary node script in front of a readable bundle with a source map, it runs, and `npm pack` of one commit
// gives the same bytes twice (the build is reproducible), in a copy of the project so the dist/ other tests run
// stays as it is.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runBin } from './helpers/cli.js';
import { BIN, REPO_ROOT } from './helpers/paths.js';
import { makeTempDir, mustRun, runTool } from './helpers/tools.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };
const BUNDLE = join(dirname(BIN), 'guestdisk-bundle.cjs');

test('package.json names the bin that the build makes', () => {
  assert.is(join(REPO_ROOT, pkg.bin.guestdisk), BIN);
});

test('the bin is `#!/usr/bin/env node` and executable; executed itself, it prints the version', () => {
  assert.ok(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n'));
  accessSync(BIN, constants.X_OK);
  // Run as a shell runs it: the kernel reads the #! line, env finds node on PATH.
  const r = spawnSync(BIN, ['--version'], { encoding: 'utf8', env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` } });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), pkg.version);
});

test('the bundle is readable (not minified) and links a source map that holds the TypeScript sources', () => {
  const bundle = readFileSync(BUNDLE, 'utf8');
  const lines = bundle.trimEnd().split('\n');
  assert.ok(lines.length > 5000, `${lines.length} lines`);
  assert.ok(bundle.length / lines.length < 60, 'lines as written, not whitespace-minified');
  assert.match(bundle, /\nfunction planDisk\(/);
  assert.ok(lines.at(-1)!.startsWith('//# sourceMappingURL=guestdisk-bundle.cjs.map'), lines.at(-1));
  const map = JSON.parse(readFileSync(`${BUNDLE}.map`, 'utf8')) as { sources: string[]; sourcesContent: string[] };
  const main = map.sources.indexOf('../../src/cli/main.ts');
  assert.ok(main >= 0, 'the map names src/cli/main.ts relative to the bundle');
  assert.equal(map.sourcesContent[main], readFileSync(join(REPO_ROOT, 'src/cli/main.ts'), 'utf8'));
});

test('dist/ holds no code caches and nothing the sources do not make', () => {
  const all = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? all(join(dir, e.name)) : [e.name]));
  const names = all(join(REPO_ROOT, 'dist'));
  assert.equal(names.filter((n) => !/\.(js|d\.ts|cjs|cjs\.map)$/.test(n)), []);
});

test('the bundled CLI plans and writes a disk', () => {
  const dir = makeTempDir();
  try {
    const img = join(dir.path, 'b.img');
    const r = runBin(['create', img, '--size', '64M', '--label', 'Bundle', '--seed', 'b', '--timestamp', '0', '--json']);
    assert.is(r.status, 0, r.stderr);
    assert.is(JSON.parse(r.stdout).layout.filesystem.kind, 'ntfs');
    assert.match(mustRun('blkid', ['-p', '-O', String(2 ** 20), '-o', 'value', '-s', 'TYPE', img]), /ntfs/);
  } finally {
    dir.remove();
  }
});

/** The files a fresh clone has (tracked, or new and not ignored), copied; node_modules linked, not copied. */
function copyProject(to: string): void {
  const listed = mustRun('git', ['-C', REPO_ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard']).split('\0').filter(Boolean);
  for (const file of listed) {
    const from = join(REPO_ROOT, file);
    try {
      accessSync(from); // deleted in the work tree but not yet committed
    } catch {
      continue;
    }
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(from, join(to, file));
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(to, 'node_modules'));
}

function packOnce(project: string, into: string): { sha256: string; files: string[] } {
  mkdirSync(into);
  // npm pack runs `prepare`, which is `npm run build`: each pack builds dist/ from nothing.
  const r = runTool('npm', ['pack', '--json', '--pack-destination', into], { timeoutMs: 5 * 60 * 1000, cwd: project });
  assert.is(r.status, 0, r.stdout + r.stderr);
  const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  const bytes = readFileSync(join(into, info.filename));
  return { sha256: createHash('sha256').update(bytes).digest('hex'), files: info.files.map((f) => f.path) };
}

test('npm pack twice from one commit: byte-identical tarballs, with the bin, the bundle and its map', () => {
  const dir = makeTempDir('guestdisk-pack-');
  try {
    const project = join(dir.path, 'project');
    copyProject(project);
    const first = packOnce(project, join(dir.path, 'a'));
    const second = packOnce(project, join(dir.path, 'b'));
    assert.is(second.sha256, first.sha256, 'the two tarballs differ');
    for (const f of ['dist/cli/guestdisk.cjs', 'dist/cli/guestdisk-bundle.cjs', 'dist/cli/guestdisk-bundle.cjs.map', 'dist/index.js', 'dist/index.d.ts']) {
      assert.ok(first.files.includes(f), `${f} is in the package`);
    }
    assert.equal(first.files.filter((f) => /v8cache|\.test\.|^src\//.test(f)), []);
  } finally {
    dir.remove();
  }
});

test('the whole tree typechecks (src, test, bench)', () => {
  const r = runTool(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO_ROOT, 'tsconfig.json'), '--noEmit'], { timeoutMs: 5 * 60 * 1000 });
  assert.is(r.status, 0, r.stdout + r.stderr);
});

test.run();
