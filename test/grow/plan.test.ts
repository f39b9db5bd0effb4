// Wide sweeps of the grow planner on memory disks (fast-check): any new size up to 16 TiB (2 TiB for MBR), both
// tables, both sector sizes. Invariants: every write step is sector-aligned, inside the disk and overlaps no other
// (the old boot sector copy and the new backup boot sector share their one sector, in that order); the partition
// ends on a 1 MiB boundary inside the usable space; the volume is the partition minus its last sector; the new
// $Bitmap lies in clusters that were free and that no other step writes; the plan is plain JSON and the same
// every time. A sample of plans is also written (every write checked for alignment) and read back by inspect.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { planGrowFrom } from '../../src/grow/grow-disk.js';
import type { GrowPlan } from '../../src/grow/types.js';
import { inspectDisk } from '../../src/inspect/inspect.js';
import type { BlockTarget } from '../../src/target/block-target.js';
import type { MemoryTarget } from '../../src/target/memory-target.js';
import { writeGrow } from '../../src/grow/write-grow.js';
import { copyOnto, GiB, grownDisk, MiB, type GrowCase } from './disks.js';

const TIB = 1024 * GiB;
const OLD: GrowCase[] = [
  { table: 'gpt', fs: 'ntfs', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 64 * MiB },
  { table: 'gpt', fs: 'ntfs', sectorSize: 4096, oldBytes: 96 * MiB, newBytes: 96 * MiB },
  { table: 'mbr', fs: 'ntfs', sectorSize: 512, oldBytes: 80 * MiB, newBytes: 80 * MiB },
  { table: 'mbr', fs: 'ntfs', sectorSize: 4096, oldBytes: 64 * MiB, newBytes: 64 * MiB },
  { table: 'gpt', fs: 'ntfs', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 64 * MiB, clusterSize: 65536 },
  { table: 'gpt', fs: 'none', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 64 * MiB },
];
const disks = new Map<GrowCase, MemoryTarget>();
async function oldDisk(c: GrowCase): Promise<MemoryTarget> {
  let d = disks.get(c);
  if (!d) disks.set(c, (d = await grownDisk(c)));
  return d;
}

function checkPlan(c: GrowCase, plan: GrowPlan, newBytes: number): void {
  const s = c.sectorSize;
  const writes = plan.steps.filter((st) => st.kind !== 'flush');
  for (const st of writes) {
    assert.ok(st.offsetBytes % s === 0 && st.lengthBytes % s === 0 && st.lengthBytes > 0, `${st.kind} aligned`);
    assert.ok(st.offsetBytes >= 0 && st.offsetBytes + st.lengthBytes <= newBytes, `${st.kind} inside the disk`);
  }
  for (const [i, a] of writes.entries()) {
    for (const b of writes.slice(i + 1)) {
      const overlap = a.offsetBytes < b.offsetBytes + b.lengthBytes && b.offsetBytes < a.offsetBytes + a.lengthBytes;
      const sameSector = a.kind === 'ntfs-old-boot-copy' && b.kind === 'ntfs-backup-boot' && a.offsetBytes === b.offsetBytes;
      assert.ok(!overlap || sameSector, `${a.kind} [${a.offsetBytes}, +${a.lengthBytes}) overlaps ${b.kind} [${b.offsetBytes}, +${b.lengthBytes})`);
    }
  }
  const p = plan.partition;
  const mib = MiB / s;
  assert.is((p.after.endLba + 1) % mib, 0, 'the partition ends on a 1 MiB boundary');
  assert.ok(p.after.endLba >= p.before.endLba);
  if (plan.table?.kind === 'gpt') assert.ok(p.after.endLba <= plan.table.after.lastUsableLba && plan.table.after.backupHeaderLba === newBytes / s - 1);
  if (c.table === 'mbr') assert.ok(p.after.endLba < 2 ** 32);
  const fs = plan.filesystem;
  if (fs?.kind === 'ntfs') {
    assert.is(fs.after.totalSectors, p.after.sizeLba - 1, 'the volume is the partition minus its last sector');
    assert.ok(fs.after.clusterCount <= 0xffffffff && fs.after.clusterCount > fs.before.clusterCount);
    assert.is(fs.after.bitmapBytes % 8, 0);
    assert.ok(fs.after.bitmapBytes * 8 >= fs.after.clusterCount);
    const bitmapClusters = fs.newBitmap.runs.reduce((n, r) => n + r.length, 0);
    assert.is(bitmapClusters * fs.clusterSize, fs.newBitmap.allocatedSize);
    assert.ok(fs.newBitmap.allocatedSize >= fs.after.bitmapBytes);
    for (const r of fs.newBitmap.runs) {
      assert.ok(r.lcn! + r.length <= (fs.bitmapPlacement === 'old-free-space' ? fs.before.clusterCount : fs.after.clusterCount));
      // In the new space: past everything the old disk still used (its volume, backup boot sector, backup GPT).
      const oldEndBytes = plan.table?.kind === 'gpt' ? (plan.table.before.backupHeaderLba + 1 - p.startLba) * s : (p.before.endLba + 1 - p.startLba) * s;
      if (fs.bitmapPlacement === 'new-space') assert.ok(r.lcn! * fs.clusterSize >= Math.max(oldEndBytes, (fs.before.totalSectors + 1) * s), 'the new space starts past the old disk');
    }
    assert.is(fs.newBad.runs.reduce((n, r) => n + r.length, 0), fs.after.clusterCount, '$Bad covers every cluster');
  }
  assert.equal(JSON.parse(JSON.stringify(plan)), plan, 'plain JSON');
}

/** Every write must be sector-aligned (block devices refuse anything else); memory disks would not notice. */
function alignedOnly(disk: BlockTarget): BlockTarget {
  const s = disk.logicalSectorSize;
  const check = (op: string, at: number, n: number): void => {
    if (at % s !== 0 || n % s !== 0) throw new Error(`${op} [${at}, +${n}) is not ${s}-byte aligned`);
  };
  return {
    ...disk,
    read: (at, n) => disk.read(at, n),
    write: (at, bytes) => (check('write', at, bytes.length), disk.write(at, bytes)),
    writeZeros: (at, n) => (check('writeZeros', at, n), disk.writeZeros(at, n)),
    flush: () => disk.flush(),
    close: () => disk.close(),
  };
}

test('plans for any larger size keep every invariant, and are the same each time', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...OLD), fc.double({ min: 0, max: 1, noNaN: true }), async (c, t) => {
      const s = c.sectorSize;
      const max = c.table === 'mbr' ? 2 * TIB : 16 * TIB - MiB;
      const min = c.oldBytes + 2 * MiB;
      const newBytes = Math.floor((min + (max - min) * t ** 4) / s) * s; // weighted toward small growths
      const disk = await copyOnto(await oldDisk(c), newBytes);
      const { plan } = await planGrowFrom(disk, newBytes);
      checkPlan(c, plan, newBytes);
      assert.equal((await planGrowFrom(disk, newBytes)).plan, plan, 'deterministic');
    }),
    { numRuns: 60 },
  );
});

test('a sample of grows written with sector-aligned writes only, then read back by inspect without errors', async () => {
  for (const c of OLD) {
    for (const newBytes of [c.oldBytes + 3 * MiB, 2 * c.oldBytes + 5 * MiB]) {
      const disk = await copyOnto(await oldDisk(c), newBytes);
      const { plan, source } = await planGrowFrom(disk, newBytes);
      await writeGrow(plan, source, alignedOnly(disk));
      const report = await inspectDisk(disk);
      const errors = report.findings.filter((f) => f.severity === 'error' || f.code === 'GPT_BACKUP_NOT_AT_END');
      assert.equal(errors.map((f) => f.message), [], `${c.table}/${c.fs}/${s(c)} → ${newBytes}`);
      assert.is(report.partitions[0].sizeLba, plan.partition.after.sizeLba);
      if (plan.filesystem) assert.is((report.partitions[0].filesystem?.details as { clusterCount: number }).clusterCount, plan.filesystem.after.clusterCount);
    }
  }
});

function s(c: GrowCase): string {
  return `${c.sectorSize}${c.clusterSize ? `/${c.clusterSize}` : ''}`;
}

test.run();
