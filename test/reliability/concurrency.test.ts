// Two `guestdisk create` on the same target at once: the second is refused with TARGET_BUSY (exit 4) before it
// writes anything (image files: the lock file; block devices: O_EXCL), and the first finishes intact: its disk is
// byte for byte the one an uncontended run with the same arguments makes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mustCli, runCli } from '../helpers/cli.js';
import { attachLoop, makeTempDir, mustRun } from '../helpers/tools.js';
import { detachLoopsOver, holdsOpen, lockedBy, lockOf, sleep, sparseDigest, startCli, waitUntil } from './cli-process.js';

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
        if (text.trim() !== String(run.pid)) empty.push(JSON.stringify(text));
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
