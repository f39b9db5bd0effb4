// Two `guestdisk create` on the same target at once: the second is refused with TARGET_BUSY (exit 4) before it
// writes anything (image files: the lock file; block devices: O_EXCL), and the first finishes intact: its disk is
// byte for byte the one an uncontended run with the same arguments makes.
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { relative } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mustCli, runCli } from '../helpers/cli.js';
import { attachLoop, makeTempDir, mustRun, requireTool } from '../helpers/tools.js';
import { detachLoopsOver, holdsOpen, lockedBy, lockOf, lockOwner, sleep, sparseDigest, startCli, waitUntil } from './cli-process.js';

const dir = makeTempDir('guestdisk-concurrency-');
test.after(() => dir.remove());
const TS = ['--timestamp', '1700000000'];
const fileArgs = (image: string, seed: string): string[] => ['create', image, '--size', '8T', '--fs', 'ntfs', '--seed', seed, ...TS, '--force'];

/** The disk an uncontended run with these arguments makes, as a sparse digest. */
async function reference(args: (target: string) => string[], name: string): Promise<string> {
  const image = join(dir.path, `ref-${name}.img`);
  await mustCli(args(image));
  return sparseDigest(image);
}

test('image file: a second create while the first holds the lock is TARGET_BUSY and writes nothing; the first finishes intact', async () => {
  const image = join(dir.path, 'shared.img');
  await mustCli(['create', image, '--size', '8T', '--fs', 'exfat', '--seed', 'old', ...TS]);
  const first = startCli(fileArgs(image, 'first'));
  const holding = await waitUntil(first, () => lockedBy(image, first.pid));
  if (!holding) assert.unreachable(`the first run ended before taking its lock: ${JSON.stringify(await first.done)}`);
  first.child.kill('SIGSTOP'); // a slow first run: it holds the lock, mid-write, while the second starts
  try {
    const during = sparseDigest(image);
    for (const extra of [[], ['--json']]) {
      const second = await runCli([...fileArgs(image, 'second'), ...extra]);
      assert.is(second.status, 4, `${second.stdout}${second.stderr}`);
      assert.match(second.stdout + second.stderr, /TARGET_BUSY|being written by another guestdisk/);
    }
    assert.is(sparseDigest(image), during, 'the refused run wrote nothing');
  } finally {
    first.child.kill('SIGCONT');
  }
  const exit = await first.done;
  assert.is(exit.status, 0, exit.stderr);
  assert.not.ok(existsSync(lockOf(image)), 'the lock is released');
  assert.is(sparseDigest(image), await reference((t) => fileArgs(t, 'first'), 'first'), 'the first run finished as if alone');
});

test('image file: the lock follows the file: a second create through a symlink, a hard link or ./name is TARGET_BUSY', async () => {
  const image = join(dir.path, 'c.img');
  await mustCli(['create', image, '--size', '8T', '--fs', 'exfat', '--seed', 'old', ...TS]);
  symlinkSync(image, join(dir.path, 'cl.img'));
  linkSync(image, join(dir.path, 'ch.img'));
  const first = startCli(fileArgs(image, 'first'));
  const holding = await waitUntil(first, () => lockedBy(image, first.pid));
  if (!holding) assert.unreachable(`the first run ended before taking its lock: ${JSON.stringify(await first.done)}`);
  first.child.kill('SIGSTOP');
  try {
    const during = sparseDigest(image);
    for (const other of [join(dir.path, 'cl.img'), join(dir.path, 'ch.img'), `./${relative(REPO_ROOT, image)}`]) {
      const second = await runCli(fileArgs(other, 'second'));
      assert.is(second.status, 4, `${other}: ${second.stdout}${second.stderr}`);
      assert.match(second.stderr, /being written by another guestdisk/);
    }
    assert.is(sparseDigest(image), during, 'the refused runs wrote nothing');
  } finally {
    first.child.kill('SIGCONT');
  }
  const exit = await first.done;
  assert.is(exit.status, 0, exit.stderr);
  assert.is(sparseDigest(image), await reference((t) => fileArgs(t, 'first'), 'first-link'), 'the first run finished as if alone');
});

// Filesystems without link(2), mounted through FUSE (this kernel has no vfat module): the lock never lives beside
// the image. fusefat also refuses ftruncate, so there the image is made by dd first and written without --force.
test('image file on a vfat mount (fusefat: no link(2), no ftruncate) with a 236-byte name: written, locked, released', async () => {
  requireTool('fusefat');
  requireTool('mkfs.vfat');
  const backing = join(dir.path, 'vfat.fs');
  mustRun('truncate', ['-s', '256M', backing]);
  mustRun('mkfs.vfat', [backing]);
  const mnt = join(dir.path, 'mnt-vfat');
  mkdirSync(mnt);
  mustRun('fusefat', ['-o', 'rw+', backing, mnt]);
  try {
    const name = `${'n'.repeat(232)}.img`;
    const image = join(mnt, name);
    mustRun('dd', ['if=/dev/zero', `of=${image}`, 'bs=1M', 'count=64', 'status=none']);
    const r = await runCli(['create', image, '--fs', 'fat32', '--table', 'mbr', '--seed', 'mount', ...TS]);
    assert.is(r.status, 0, r.stderr);
    assert.match(mustRun('sfdisk', ['--dump', image]), /type=c/);
    assert.equal(readdirSync(mnt), [name], 'nothing else is left on the mount');
    assert.not.ok(existsSync(lockOf(image)), 'the lock is released');
  } finally {
    mustRun('fusermount', ['-u', mnt]);
  }
});

test('image file on an exfat-fuse mount (no link(2)) with a 240-byte name: made, locked, released, remade with --force', async () => {
  requireTool('mkfs.exfat');
  requireTool('mount.exfat-fuse');
  const backing = join(dir.path, 'exfat.fs');
  mustRun('truncate', ['-s', '256M', backing]);
  mustRun('mkfs.exfat', [backing]);
  const loop = attachLoop(backing, { readOnly: false });
  const mnt = join(dir.path, 'mnt-exfat');
  mkdirSync(mnt);
  mustRun('mount.exfat-fuse', [loop.device, mnt]);
  try {
    const name = `${'n'.repeat(236)}.img`;
    const image = join(mnt, name);
    const r = await runCli(['create', image, '--size', '64M', '--fs', 'ntfs', '--seed', 'mount', ...TS]);
    assert.is(r.status, 0, r.stderr);
    assert.match(mustRun('sfdisk', ['--dump', image]), /type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7/);
    const again = await runCli(['create', image, '--fs', 'exfat', '--seed', 'mount', ...TS, '--force']);
    assert.is(again.status, 0, again.stderr);
    assert.equal(readdirSync(mnt), [name], 'nothing else is left on the mount');
    assert.not.ok(existsSync(lockOf(image)), 'the lock is released');
  } finally {
    mustRun('umount', [mnt]);
    loop.detach();
  }
});

test('block device: a second create while the first has it open is TARGET_BUSY (O_EXCL) and writes nothing; the first finishes intact', async () => {
  const backing = join(dir.path, 'dev.img');
  mustRun('truncate', ['-s', '64G', backing]);
  const loop = attachLoop(backing, { readOnly: false });
  const devArgs = (dev: string, seed: string): string[] => ['create', dev, '--fs', 'ntfs', '--seed', seed, ...TS, '--force'];
  const flush = (): void => { mustRun('blockdev', ['--flushbufs', loop.device], { timeoutMs: 60_000 }); };
  // The stopped first run's last requests are still being carried out by the loop driver for a moment: wait
  // until the backing file stops changing.
  const stableDigest = async (): Promise<string> => {
    let last = '';
    for (let i = 0; i < 50; i++) {
      flush();
      const now = sparseDigest(backing);
      if (now === last) return now;
      last = now;
      await sleep(100);
    }
    throw new Error('the device never settled');
  };
  try {
    await mustCli([...devArgs(loop.device, 'old'), '--table', 'mbr']);
    const first = startCli(devArgs(loop.device, 'first'));
    const holding = await waitUntil(first, () => holdsOpen(first.pid, loop.device));
    if (!holding) assert.unreachable(`the first run ended before opening the device: ${JSON.stringify(await first.done)}`);
    first.child.kill('SIGSTOP');
    try {
      const during = await stableDigest();
      const second = await runCli([...devArgs(loop.device, 'second'), '--json']);
      assert.is(second.status, 4, `${second.stdout}${second.stderr}`);
      assert.is((JSON.parse(second.stdout) as { error: { code: string } }).error.code, 'TARGET_BUSY');
      assert.is(await stableDigest(), during, 'the refused run wrote nothing');
    } finally {
      first.child.kill('SIGCONT');
    }
    const exit = await first.done;
    assert.is(exit.status, 0, exit.stderr);
    flush();
    const got = sparseDigest(backing);
    // The same run alone, on a copy of the device's backing file through a second loop device.
    const refBacking = join(dir.path, 'dev-ref.img');
    mustRun('truncate', ['-s', '64G', refBacking]);
    const refLoop = attachLoop(refBacking, { readOnly: false });
    try {
      await mustCli([...devArgs(refLoop.device, 'old'), '--table', 'mbr']); // the same old disk underneath
      await mustCli(devArgs(refLoop.device, 'first'));
      mustRun('blockdev', ['--flushbufs', refLoop.device], { timeoutMs: 60_000 });
    } finally {
      refLoop.detach();
    }
    assert.is(got, sparseDigest(refBacking), 'the first run finished as if alone');
  } finally {
    loop.detach();
    await detachLoopsOver(backing);
  }
});

test('image file: the lock is never seen without its owner\'s pid (a half-made lock would pass for a stale one)', async () => {
  // Before b92dbfe the lock was created empty and the pid written by a second call: a run that read it in
  // between called it stale, deleted it and wrote the same image as its owner.
  const image = join(dir.path, 'young-lock.img');
  let seen = 0;
  const empty: string[] = [];
  for (let round = 0; round < 3; round++) {
    const run = startCli(['create', image, '--size', '64M', '--fs', 'none', '--seed', `young-${round}`, ...TS, '--force']);
    let ended = false;
    void run.done.then(() => (ended = true));
    while (!ended) {
      try {
        const text = readFileSync(lockOf(image), 'utf8');
        seen++;
        if (lockOwner(text) !== String(run.pid) || !/^\d+ \d+\n$/.test(text)) empty.push(JSON.stringify(text));
      } catch { /* not there */ }
      await new Promise((r) => setImmediate(r));
    }
    assert.is((await run.done).status, 0);
  }
  assert.ok(seen > 0, 'the lock was never seen: the poll proves nothing');
  assert.equal(empty, [], `the lock held something other than its owner's pid: ${empty.slice(0, 5).join(', ')}`);
});

test('image file: two creates started together never both write: the disk is exactly one of the two', async () => {
  const refA = await reference((t) => fileArgs(t, 'race-a'), 'race-a');
  const refB = await reference((t) => fileArgs(t, 'race-b'), 'race-b');
  const image = join(dir.path, 'race.img');
  await mustCli(fileArgs(image, 'race-a'));
  let refused = 0;
  for (let round = 0; round < 4; round++) {
    const a = startCli(fileArgs(image, 'race-a'));
    await sleep(round * 5);
    const b = startCli(fileArgs(image, 'race-b'));
    const [ea, eb] = await Promise.all([a.done, b.done]);
    for (const e of [ea, eb]) assert.ok(e.status === 0 || e.status === 4, `exit ${e.status}: ${e.stderr}`);
    assert.ok(ea.status === 0 || eb.status === 0, 'one of them ran');
    if (ea.status === 4 || eb.status === 4) refused++;
    const got = sparseDigest(image);
    assert.ok(got === refA || got === refB, `round ${round}: the disk is neither run's (exits ${ea.status}, ${eb.status})`);
    assert.not.ok(existsSync(lockOf(image)));
  }
  console.log(`  ${refused} of 4 races refused the second run (the rest ran one after the other)`);
});

test.run();
