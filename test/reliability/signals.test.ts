// SIGINT / SIGTERM while `guestdisk create` writes: it stops between writes, flushes, says what state the disk is
// in and how to redo it, releases its lock and exits 130 / 143; the disk is never a lie, and --force redoes it.
// A second signal exits at once; the disk is still never a lie.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FsKind, TableKind } from '../../src/plan/layout.js';
import { planDisk } from '../../src/plan/plan-disk.js';
import { parseSize } from '../../src/plan/spec.js';
import { classifyDisk, type DiskClass } from '../helpers/classify.js';
import { mustCli } from '../helpers/cli.js';
import { attachLoop, makeTempDir, mustRun, runTool } from '../helpers/tools.js';
import { holdsOpen, lockOf, locked, randomFrom, sleep, startCli, waitUntil } from './cli-process.js';
import { detachLoopsOver } from './cli-process.js';

const SEED = Number(process.env.GUESTDISK_SIGNAL_SEED ?? 1125);
const random = randomFrom(SEED);
const dir = makeTempDir('guestdisk-signals-');
test.after(() => dir.remove());

interface SignalCase { target: 'file' | 'loop'; table: TableKind; fs: FsKind; sectorSize: 512 | 4096; size: string }
const CASES: SignalCase[] = [
  { target: 'file', table: 'gpt', fs: 'ntfs', sectorSize: 512, size: '8T' },
  { target: 'file', table: 'mbr', fs: 'fat32', sectorSize: 512, size: '1T' },
  { target: 'file', table: 'gpt', fs: 'exfat', sectorSize: 4096, size: '8T' },
  { target: 'loop', table: 'gpt', fs: 'ntfs', sectorSize: 4096, size: '64G' },
];

function classify(c: SignalCase, path: string): { klass: DiskClass; evidence: string } {
  const layout = planDisk({ table: c.table, fs: c.fs, seed: 'x', timestamp: 1_700_000_000 }, { sizeBytes: parseSize(c.size), logicalSectorSize: c.sectorSize, physicalSectorSize: c.sectorSize });
  const p = layout.partitions[0];
  return classifyDisk({ path, logicalSectorSize: c.sectorSize, fs: c.fs, oldFs: 'none', expectedPartition: { offsetBytes: p.startLba * c.sectorSize, sizeBytes: p.sizeLba * c.sectorSize } });
}

function args(c: SignalCase, target: string, seed: string): string[] {
  const a = ['create', target, '--table', c.table, '--fs', c.fs, '--seed', seed, '--timestamp', '1700000000', '--force'];
  return c.target === 'file' ? [...a, '--size', c.size, '--sector-size', String(c.sectorSize)] : a;
}

/** What blkid (like the kernel) sees: a partition table type, or none. */
function blkidTable(path: string, c: SignalCase): string | null {
  const probe = (dev: string): string | null => /PTTYPE=(\w+)/.exec(runTool('blkid', ['-p', '-o', 'export', dev], { timeoutMs: 60_000 }).stdout)?.[1] ?? null;
  if (c.target === 'file' && c.sectorSize === 4096) {
    const loop = attachLoop(path, { sectorSize: 4096 });
    try { return probe(loop.device); } finally { loop.detach(); }
  }
  return probe(path);
}

for (const c of CASES) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} while writing ${c.target} ${c.table}/${c.fs}/${c.sectorSize} ${c.size}: stops between writes, says so, exits ${signal === 'SIGINT' ? 130 : 143}, never a lie`, async () => {
      const expectedExit = signal === 'SIGINT' ? 130 : 143;
      const backing = join(dir.path, `${c.target}-${c.fs}-${signal}.img`);
      let device: { device: string; detach(): void } | null = null;
      if (c.target === 'loop') {
        mustRun('truncate', ['-s', c.size, backing]);
        device = attachLoop(backing, { readOnly: false, sectorSize: c.sectorSize });
      }
      const target = device?.device ?? backing;
      let windowMs = 40;
      let interrupted = 0;
      try {
        await mustCli(args(c, target, 'first'));
        for (let attempt = 0; attempt < 10 && interrupted < 2; attempt++) {
          const started = Date.now();
          const run = startCli(args(c, target, `run-${attempt}`));
          const writing = await waitUntil(run, () => (device ? holdsOpen(run.pid, device.device) : locked(backing)));
          if (!writing) assert.unreachable(`the CLI ended before it started writing: ${JSON.stringify(await run.done)}`);
          const seenAt = Date.now() - started;
          await sleep(Math.floor(random() * windowMs));
          run.child.kill(signal);
          const exit = await run.done;
          const endedAt = Date.now() - started;
          if (device) mustRun('blockdev', ['--flushbufs', device.device], { timeoutMs: 60_000 });
          const verdict = classify(c, target);
          const how = `attempt ${attempt} (seed ${SEED}): exit ${exit.status ?? exit.signal}; ${exit.stderr.trim().slice(-400)}`;
          assert.ok(verdict.klass !== 'lie', `${how}: ${verdict.evidence}`);
          if (exit.signal === signal) {
            // Arrived while Node was tearing down after a finished run (its handlers are gone by then): the
            // shell sees the signal's status, and the disk must be complete.
            assert.is(verdict.klass, 'complete', `${how}: ${verdict.evidence}`);
            continue;
          }
          if (exit.status === 0) {
            windowMs = Math.max(5, Math.floor((endedAt - seenAt) * 0.8)); // finished first: aim earlier
            assert.is(verdict.klass, 'complete', `${how}: ${verdict.evidence}`);
            continue;
          }
          interrupted++;
          assert.is(exit.status, expectedExit, how);
          assert.match(exit.stderr, new RegExp(`interrupted by ${signal}`), how);
          assert.match(exit.stderr, /--force|complete|finished|[Nn]othing was written|as it was/, `${how}: the message says what state the disk is in`);
          if (/shows no partition table/.test(exit.stderr)) {
            assert.is(blkidTable(target, c), null, `${how}: the message says no partition table, but blkid sees one (${verdict.evidence})`);
          }
          if (c.target === 'file') assert.not.ok(existsSync(lockOf(backing)), `${how}: the lock is released`);
          await mustCli(args(c, target, `redo-${attempt}`));
          if (device) mustRun('blockdev', ['--flushbufs', device.device], { timeoutMs: 60_000 });
          assert.is(classify(c, target).klass, 'complete', `${how}, then --force`);
        }
        assert.ok(interrupted >= 2, `only ${interrupted} of the runs were still writing when ${signal} arrived`);
      } finally {
        device?.detach();
      await detachLoopsOver(backing);
      }
    });
  }
}

test('a second SIGINT exits at once (130); the disk is never a lie and --force redoes it', async () => {
  const c = CASES[0];
  const image = join(dir.path, 'twice.img');
  let twice = 0;
  for (let attempt = 0; attempt < 6 && twice < 2; attempt++) {
    const run = startCli(args(c, image, `twice-${attempt}`));
    const writing = await waitUntil(run, () => locked(image));
    if (!writing) assert.unreachable(`the CLI ended before it started writing: ${JSON.stringify(await run.done)}`);
    run.child.kill('SIGINT');
    run.child.kill('SIGINT');
    const exit = await run.done;
    const verdict = classify(c, image);
    assert.ok(verdict.klass !== 'lie', verdict.evidence);
    if (exit.status === 0 || exit.signal === 'SIGINT') continue;
    twice++;
    assert.is(exit.status, 130, exit.stderr);
    await mustCli(args(c, image, `twice-redo-${attempt}`)); // takes over the lock a hard exit may leave
    assert.is(classify(c, image).klass, 'complete');
    assert.not.ok(existsSync(lockOf(image)));
  }
  assert.ok(twice >= 1, 'no run was still writing when the two signals arrived');
});

test.run();
