// A real SIGKILL of `guestdisk create` at random moments while it writes (an image file, and a loop device), many
// times: the disk left is unchanged, not recognised, or complete (test/helpers/classify.ts), never a lie; and
// `create --force` on what is left always succeeds and gives a complete disk.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FsKind, TableKind } from '../../src/plan/layout.js';
import { planDisk } from '../../src/plan/plan-disk.js';
import { parseSize } from '../../src/plan/spec.js';
import { classifyDisk, type Classification, type FsExpectation } from '../helpers/classify.js';
import { mustCli } from '../helpers/cli.js';
import { attachLoop, makeTempDir, mustRun } from '../helpers/tools.js';
import { holdsOpen, lockOf, locked, randomFrom, sleep, sparseDigest, startCli, waitUntil } from './cli-process.js';
import { detachLoopsOver } from './cli-process.js';

const SEED = Number(process.env.GUESTDISK_KILL_SEED ?? 20261125);
const random = randomFrom(SEED);
const TIMESTAMP = '1700000000';
const dir = makeTempDir('guestdisk-kill-');
test.after(() => dir.remove());

interface KillCase { target: 'file' | 'loop'; table: TableKind; fs: FsKind; sectorSize: 512 | 4096; size: string; oldFs: FsKind; kills: number }

// Large sparse disks, so that writing lasts tens to hundreds of milliseconds; FAT32 sizes keep fsck.fat quick.
const CASES: KillCase[] = [
  { target: 'file', table: 'gpt', fs: 'ntfs', sectorSize: 512, size: '8T', oldFs: 'exfat', kills: 3 },
  { target: 'file', table: 'mbr', fs: 'ntfs', sectorSize: 4096, size: '4T', oldFs: 'fat32', kills: 3 },
  { target: 'file', table: 'gpt', fs: 'exfat', sectorSize: 4096, size: '8T', oldFs: 'ntfs', kills: 3 },
  { target: 'file', table: 'mbr', fs: 'exfat', sectorSize: 512, size: '1T', oldFs: 'ntfs', kills: 3 },
  { target: 'file', table: 'gpt', fs: 'fat32', sectorSize: 512, size: '256G', oldFs: 'ntfs', kills: 3 },
  { target: 'file', table: 'mbr', fs: 'fat32', sectorSize: 4096, size: '1T', oldFs: 'exfat', kills: 3 },
  { target: 'loop', table: 'gpt', fs: 'ntfs', sectorSize: 512, size: '64G', oldFs: 'fat32', kills: 2 },
  { target: 'loop', table: 'mbr', fs: 'exfat', sectorSize: 4096, size: '64G', oldFs: 'ntfs', kills: 2 },
  { target: 'loop', table: 'gpt', fs: 'fat32', sectorSize: 4096, size: '64G', oldFs: 'exfat', kills: 2 },
];

function expectation(c: KillCase, path: string): Parameters<typeof classifyDisk>[0] & { oldFs: FsExpectation } {
  const layout = planDisk({ table: c.table, fs: c.fs, seed: 'x', timestamp: 1_700_000_000 }, { sizeBytes: parseSize(c.size), logicalSectorSize: c.sectorSize, physicalSectorSize: c.sectorSize });
  const p = layout.partitions[0];
  return { path, logicalSectorSize: c.sectorSize, fs: c.fs, oldFs: c.oldFs, expectedPartition: { offsetBytes: p.startLba * c.sectorSize, sizeBytes: p.sizeLba * c.sectorSize } };
}

function createArgs(c: KillCase, target: string, fs: FsKind, seed: string): string[] {
  const args = ['create', target, '--table', c.table, '--fs', fs, '--seed', seed, '--timestamp', TIMESTAMP, '--force'];
  return c.target === 'file' ? [...args, '--size', c.size, '--sector-size', String(c.sectorSize)] : args;
}

const tally: Record<string, number> = {};
/** Runs per case that may finish before the poll sees them writing (each is repeated, not counted). */
const MAX_UNSEEN_RUNS = 3;
let killedWhileRunning = 0;

for (const c of CASES.filter((k) => !process.env.GUESTDISK_KILL_ONLY || `${k.target}-${k.table}-${k.fs}`.includes(process.env.GUESTDISK_KILL_ONLY))) {
  test(`SIGKILL at random moments, ${c.target} ${c.table}/${c.fs}/${c.sectorSize} ${c.size} (over an old ${c.oldFs} disk): never a lie; --force redoes it`, async () => {
    const backing = join(dir.path, `${c.target}-${c.table}-${c.fs}-${c.sectorSize}.img`);
    let device: { device: string; detach(): void } | null = null;
    if (c.target === 'loop') {
      mustRun('truncate', ['-s', c.size, backing]);
      device = attachLoop(backing, { readOnly: false, sectorSize: c.sectorSize });
    }
    const target = device?.device ?? backing;
    const settle = (): void => { if (device) mustRun('blockdev', ['--flushbufs', device.device], { timeoutMs: 60_000 }); };
    // Writing lasts 30–200 ms; delays are drawn below the last uninterrupted run's writing time, so most kills land.
    let windowMs = 60;
    let unseen = 0;
    try {
      for (let k = 0; k < c.kills; k++) {
        await mustCli(createArgs(c, target, c.oldFs, `old-${k}`));
        settle();
        const before = sparseDigest(backing);
        const started = Date.now();
        const run = startCli(createArgs(c, target, c.fs, `new-${k}`));
        let polls = 0;
        const writing = await waitUntil(run, () => { polls++; return device ? holdsOpen(run.pid, device.device) : locked(backing); });
        if (!writing) {
          // A small disk can be written between two polls on a loaded host: that run proves nothing, so do it again.
          if (++unseen <= MAX_UNSEEN_RUNS) { k--; continue; }
          assert.unreachable(`the CLI ended before it started writing, ${unseen} times: ${JSON.stringify(await run.done)}`);
        }
        const detectedAt = Date.now() - started;
        let exitedAt = -1;
        void run.done.then(() => (exitedAt = Date.now() - started));
        const delayMs = Math.floor(random() * windowMs);
        await sleep(delayMs);
        run.child.kill('SIGKILL');
        const exit = await run.done;
        if (exit.status === 0 && exitedAt > detectedAt) windowMs = Math.max(5, Math.floor((exitedAt - detectedAt) * 0.9));
        settle();
        const after = sparseDigest(backing);
        const verdict: Classification = after === before ? { klass: 'unchanged', evidence: 'same content' } : classifyDisk(expectation(c, target));
        const how = `kill ${k} ${delayMs} ms after it started writing (seed ${SEED}; writing seen at ${detectedAt} ms after ${polls} polls, exit at ${exitedAt} ms: exit ${exit.status ?? exit.signal})`;
        tally[verdict.klass] = (tally[verdict.klass] ?? 0) + 1;
        if (exit.signal === 'SIGKILL') killedWhileRunning++;
        if (process.env.GUESTDISK_KILL_VERBOSE) console.log(`  ${how}: ${verdict.klass}: ${verdict.evidence}`);
        assert.ok(verdict.klass !== 'lie', `${how}: ${verdict.evidence}`);

        // What a user does next: the same command with --force. It must take over a stale lock and finish.
        const redo = await mustCli(createArgs(c, target, c.fs, `redo-${k}`));
        settle();
        const good = classifyDisk(expectation(c, target));
        assert.is(good.klass, 'complete', `${how}, then --force: ${good.evidence}\n${redo.stdout.slice(-400)}`);
        if (c.target === 'file') assert.not.ok(existsSync(lockOf(backing)), 'the lock is released after the redo');
      }
    } finally {
      device?.detach();
      await detachLoopsOver(backing);
    }
  });
}

test('most kills landed while the CLI was writing', () => {
  console.log(`  SIGKILL outcomes (seed ${SEED}): ${JSON.stringify(tally)}; ${killedWhileRunning} killed while writing`);
  const total = Object.values(tally).reduce((a, b) => a + b, 0);
  assert.is(total, CASES.reduce((a, c) => a + c.kills, 0));
  assert.ok(killedWhileRunning >= total / 2, `only ${killedWhileRunning} of ${total} kills landed while the CLI was writing`);
});

test.run();
