// Targets that must be refused before anything is written, made for real (root): a symlink to a mounted block
// device, a read-only block device, a block device whose size or sector size disagrees with --size/--sector-size,
// an image on a read-only filesystem, an image the (non-root) user may not write. Each: the documented code and
// exit code (README "Exit codes"), the target's bytes and mtime unchanged, and no new file left beside it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, symlinkSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mustCli, runCli, sha256File } from '../helpers/cli.js';
import { BIN, REPO_ROOT } from '../helpers/paths.js';
import { attachLoop, makeTempDir, mustRun, requireTool } from '../helpers/tools.js';

const dir = makeTempDir('guestdisk-bad-target-');
const cleanups: (() => void)[] = [];
test.after(() => {
  for (const c of cleanups.reverse()) {
    try { c(); } catch (e) { console.error(`cleanup: ${String(e)}`); }
  }
  dir.remove();
});

async function fingerprint(path: string): Promise<string> {
  const st = statSync(path);
  const parent = join(path, '..');
  const names = path.startsWith('/dev/') ? '' : readdirSync(parent).sort().join(',');
  return `${await sha256File(path)} ${st.mtimeMs} ${names}`;
}

function errorOf(r: { stdout: string }): { code: string; message: string } {
  return (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
}

function expectRefused(r: { status: number; stdout: string; stderr: string }, code: string, exit: number, message: RegExp): void {
  const out = `exit ${r.status}\n${r.stdout.slice(0, 800)}\n${r.stderr.slice(0, 800)}`;
  assert.is(r.status, exit, out);
  const e = errorOf(r);
  assert.is(e.code, code, out);
  assert.match(e.message, message, out);
}

test('a symlink to a mounted block device: TARGET_BUSY (4), device untouched', async () => {
  requireTool('mkfs.ext4');
  const backing = join(dir.path, 'mounted.img');
  mustRun('truncate', ['-s', '32M', backing]);
  mustRun('mkfs.ext4', ['-q', '-F', backing], { timeoutMs: 60_000 });
  const loop = attachLoop(backing, { readOnly: false });
  cleanups.push(() => loop.detach());
  const mnt = join(dir.path, 'mnt');
  mkdirSync(mnt);
  mustRun('mount', ['-o', 'ro', loop.device, mnt], { timeoutMs: 60_000 }); // ro: ext4 itself writes nothing
  cleanups.push(() => mustRun('umount', [mnt], { timeoutMs: 60_000 }));
  const link = join(dir.path, 'disk-link');
  symlinkSync(loop.device, link);
  const before = await fingerprint(loop.device);
  for (const extra of [[], ['--force']]) {
    const r = await runCli(['create', link, '--fs', 'none', '--json', ...extra]);
    assert.ok(r.status === 4 || r.status === 5, `exit ${r.status}: ${r.stdout}${r.stderr}`);
    if (extra.length > 0) expectRefused(r, 'TARGET_BUSY', 4, /mounted|busy|in use/i);
  }
  assert.is(await fingerprint(loop.device), before);
});

test('a read-only block device: TARGET_BUSY (4), device untouched', async () => {
  const backing = join(dir.path, 'ro-dev.img');
  mustRun('truncate', ['-s', '64M', backing]);
  const loop = attachLoop(backing, { readOnly: true });
  cleanups.push(() => loop.detach());
  const before = await fingerprint(loop.device);
  expectRefused(await runCli(['create', loop.device, '--fs', 'none', '--force', '--json']), 'TARGET_BUSY', 4, /read-only/i);
  assert.is(await fingerprint(loop.device), before);
});

test('--size or --sector-size that disagree with a block device: INVALID_SPEC (2), device untouched', async () => {
  const backing = join(dir.path, 'rw-dev.img');
  mustRun('truncate', ['-s', '64M', backing]);
  const loop = attachLoop(backing, { readOnly: false });
  cleanups.push(() => loop.detach());
  const before = await fingerprint(loop.device);
  expectRefused(await runCli(['create', loop.device, '--size', '32M', '--fs', 'none', '--force', '--json']), 'INVALID_SPEC', 2, /disagrees/);
  expectRefused(await runCli(['create', loop.device, '--sector-size', '4096', '--fs', 'none', '--force', '--json']), 'INVALID_SPEC', 2, /disagrees/);
  assert.is(await fingerprint(loop.device), before);
});

test('a new image on a filesystem that fills up (64 MiB NTFS on a 2 MiB tmpfs): IO_FAILED (9), the file removed, advice that works', async () => {
  const mnt = join(dir.path, 'fullfs');
  mkdirSync(mnt);
  mustRun('mount', ['-t', 'tmpfs', '-o', 'size=2M', 'tmpfs', mnt], { timeoutMs: 60_000 });
  cleanups.push(() => mustRun('umount', [mnt], { timeoutMs: 60_000 }));
  const image = join(mnt, 'disk.img');
  const r = await runCli(['create', image, '--size', '64M', '--fs', 'ntfs', '--seed', 'full', '--timestamp', '1700000000', '--json']);
  expectRefused(r, 'IO_FAILED', 9, /no space left.*The new image .*disk\.img was removed \(it held nothing yet\): free space on the filesystem that holds it/s);
  assert.is((JSON.parse(r.stdout) as { error: { details: { diskState: string } } }).error.details.diskState, 'removed');
  assert.equal(readdirSync(mnt), [], 'no file is left behind');
  // the advice works: with room, the same command succeeds
  mustRun('mount', ['-o', 'remount,size=96M', mnt], { timeoutMs: 60_000 });
  await mustCli(['create', image, '--size', '64M', '--fs', 'ntfs', '--seed', 'full', '--timestamp', '1700000000']);
});

test('a dangling symlink: INVALID_SPEC (2) naming the link, nothing created', async () => {
  const link = join(dir.path, 'dangling.img');
  symlinkSync(join(dir.path, 'nowhere', 'x.img'), link);
  const before = readdirSync(dir.path).sort().join(',');
  expectRefused(await runCli(['create', link, '--size', '64M', '--json']), 'INVALID_SPEC', 2, /dangling\.img is a symbolic link to .*nowhere\/x\.img, which does not exist/);
  assert.is(readdirSync(dir.path).sort().join(','), before);
});

test('an empty block device (a loop device with no file attached): INVALID_SPEC (2) saying so', async () => {
  const free = mustRun('losetup', ['-f']).trim();
  expectRefused(await runCli(['create', free, '--json']), 'INVALID_SPEC', 2, /is an empty block device \(0 bytes/);
});

test('an image on a read-only filesystem (tmpfs remounted ro): IO_FAILED (9), nothing written or left', async () => {
  const mnt = join(dir.path, 'rofs');
  mkdirSync(mnt);
  mustRun('mount', ['-t', 'tmpfs', '-o', 'size=128M', 'tmpfs', mnt], { timeoutMs: 60_000 });
  cleanups.push(() => mustRun('umount', [mnt], { timeoutMs: 60_000 }));
  const image = join(mnt, 'disk.img');
  await mustCli(['create', image, '--size', '64M', '--fs', 'none', '--seed', 'ro', '--timestamp', '1700000000']);
  mustRun('mount', ['-o', 'remount,ro', mnt], { timeoutMs: 60_000 });
  const before = await fingerprint(image);
  expectRefused(await runCli(['create', image, '--size', '64M', '--fs', 'none', '--force', '--json']), 'IO_FAILED', 9, /read-only|EROFS/i);
  expectRefused(await runCli(['create', join(mnt, 'new.img'), '--size', '64M', '--fs', 'none', '--json']), 'IO_FAILED', 9, /read-only|EROFS/i);
  assert.is(await fingerprint(image), before);
});

test('an image the user may not write (run as nobody): IO_FAILED (9), nothing written or left', async () => {
  requireTool('setpriv');
  const shared = join(dir.path, 'shared');
  mkdirSync(shared);
  chmodSync(dir.path, 0o755);
  chmodSync(shared, 0o1777); // like /tmp: anyone may add files, the image stays root's
  const image = join(shared, 'root-owned.img');
  await mustCli(['create', image, '--size', '64M', '--fs', 'none', '--seed', 'perm', '--timestamp', '1700000000']);
  chmodSync(image, 0o644);
  const before = await fingerprint(image);
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN,
    'create', image, '--size', '64M', '--fs', 'none', '--force', '--json'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  expectRefused({ status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }, 'IO_FAILED', 9, /permission|EACCES/i);
  assert.is(await fingerprint(image), before);
});

test.run();
