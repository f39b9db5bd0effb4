// create --max-size N on memory disks (fast-check sweeps): an exFAT or FAT32 volume made at any size with a FAT
// sized for a disk of N, grown later to any size up to N, uses every cluster of its grown partition (exFAT: no
// cluster left beyond the FAT; FAT32: no refusal). Without --max-size the plan is what it always was. NTFS and
// --fs none refuse the option (it would do nothing); a --max-size below the disk, past an MBR's 2^32 sectors or
// whose FAT does not fit the volume is refused with the size that works, and that size works.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { GuestdiskError } from '../../src/errors.js';
import type { ExfatGrowPlan } from '../../src/fs/exfat/grow.js';
import type { Fat32GrowPlan } from '../../src/fs/fat32/grow.js';
import type { ExfatPlan } from '../../src/fs/exfat/plan.js';
import type { Fat32Plan } from '../../src/fs/fat32/plan.js';
import { growDisk, planGrowFrom } from '../../src/grow/grow-disk.js';
import { inspectDisk } from '../../src/inspect/inspect.js';
import { planDisk } from '../../src/plan/plan-disk.js';
import type { DiskSpec } from '../../src/plan/spec.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { writeDisk } from '../../src/write/write-disk.js';
import { copyOnto, GiB, MiB, TIMESTAMP } from './disks.js';

const TIB = 1024 * GiB;

interface MaxCase {
  readonly table: 'gpt' | 'mbr';
  readonly fs: 'exfat' | 'fat32';
  readonly sectorSize: 512 | 4096;
  readonly oldBytes: number;
  readonly maxSize: number;
  readonly clusterSize?: number;
}

function specOf(c: MaxCase, withMax = true): DiskSpec {
  return { table: c.table, fs: c.fs, seed: 'max-size', timestamp: TIMESTAMP, ...(withMax ? { maxSize: c.maxSize } : {}), ...(c.clusterSize ? { clusterSize: c.clusterSize } : {}) };
}

function geometry(c: MaxCase, sizeBytes = c.oldBytes) {
  return { sizeBytes, logicalSectorSize: c.sectorSize, physicalSectorSize: c.sectorSize };
}

function expectError(fn: () => unknown, code: string, pattern: RegExp): GuestdiskError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, GuestdiskError);
    const g = e as GuestdiskError;
    assert.is(g.code, code, g.message);
    assert.match(g.message, pattern);
    return g;
  }
  assert.unreachable('expected a refusal');
  throw new Error('unreachable');
}

/** Makes the disk at its old size with --max-size, then plans the grow to `newBytes` (≤ maxSize). */
async function planGrowOf(c: MaxCase, newBytes: number) {
  const old = openMemoryTarget({ sizeBytes: c.oldBytes, logicalSectorSize: c.sectorSize });
  await writeDisk(planDisk(specOf(c), geometry(c)), old);
  const disk = await copyOnto(old, newBytes);
  return { disk, ...(await planGrowFrom(disk, newBytes)) };
}

/** Clusters a FAT32 or exFAT volume of the grown partition holds, from its plan: every one of them is used. */
function assertFillsPartition(plan: Awaited<ReturnType<typeof planGrowOf>>['plan'], label: string): void {
  const fs = plan.filesystem as ExfatGrowPlan | Fat32GrowPlan;
  if (fs.kind === 'exfat') {
    assert.is(fs.clustersBeyondFat, 0, `${label}: no cluster beyond the FAT`);
    assert.is(fs.unusableBytes, 0, label);
    assert.is(fs.after.volumeLength, plan.partition.after.sizeLba, `${label}: the volume fills the partition`);
    assert.not.ok(plan.notes.some((n) => n.includes('stay unused')), label);
  } else {
    assert.is(fs.after.totalSectors, plan.partition.after.sizeLba, `${label}: the volume fills the partition`);
    assert.ok(fs.after.clusterCount <= fs.maxClusterCount, label);
  }
}

test('without --max-size the plan is the one create always made (same FAT, same heap)', () => {
  for (const c of [
    { table: 'gpt', fs: 'exfat', sectorSize: 512, oldBytes: GiB, maxSize: GiB },
    { table: 'mbr', fs: 'fat32', sectorSize: 4096, oldBytes: 3 * GiB, maxSize: 3 * GiB },
  ] as MaxCase[]) {
    // --max-size equal to the disk changes nothing either.
    assert.equal(planDisk(specOf(c), geometry(c)), planDisk(specOf(c, false), geometry(c)));
  }
});

test('sweep: volumes made with --max-size grow to any size up to it and use every cluster of the partition', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom<'gpt' | 'mbr'>('gpt', 'mbr'),
      fc.constantFrom<'exfat' | 'fat32'>('exfat', 'fat32'),
      fc.constantFrom<512 | 4096>(512, 4096),
      fc.integer({ min: 600, max: 8192 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      async (table, fs, sectorSize, oldMiB, maxFraction, growFraction) => {
        const oldBytes = oldMiB * MiB;
        // FAT32 with a FAT sized for terabytes does not fit a small volume: keep the sweep to what fits (the
        // refusal and its named size are tested below).
        const ceiling = fs === 'fat32' ? Math.min(oldBytes * 100, table === 'mbr' || sectorSize === 512 ? 2 * TIB : 16 * TIB) : table === 'mbr' ? 2 * TIB : 16 * TIB;
        const maxSize = Math.floor((oldBytes + maxFraction * (ceiling - oldBytes)) / MiB) * MiB;
        const c: MaxCase = { table, fs, sectorSize, oldBytes, maxSize };
        const label = `${table}/${fs}/${sectorSize} ${oldMiB} MiB, --max-size ${maxSize}`;
        let layout;
        try {
          layout = planDisk(specOf(c), geometry(c));
        } catch (e) {
          // Only FAT32 may refuse here, and only with the largest --max-size that works, which then works.
          assert.is(fs, 'fat32', `${label}: ${String(e)}`);
          const largest = (e as GuestdiskError).details.largestMaxSizeBytes as number;
          assert.ok(largest > oldBytes && largest < maxSize, `${label}: names a size between (${largest})`);
          planDisk(specOf({ ...c, maxSize: largest }), geometry(c));
          return;
        }
        const vol = layout.filesystem as ExfatPlan | Fat32Plan;
        if (vol.kind === 'exfat') assert.ok(vol.clusterHeapOffset - vol.fatOffset >= Math.ceil(((Math.floor(maxSize / sectorSize / (vol.clusterSize / sectorSize)) + 2) * 4) / sectorSize) - 1, label);
        const newBytes = Math.max(oldBytes + MiB, Math.floor((oldBytes + growFraction * (maxSize - oldBytes)) / sectorSize) * sectorSize);
        if (newBytes > maxSize) return;
        const { plan } = await planGrowOf(c, newBytes);
        assertFillsPartition(plan, label);
        const atMax = await planGrowOf(c, maxSize);
        if (maxSize > oldBytes + MiB) assertFillsPartition(atMax.plan, `${label} grown to --max-size`);
      },
    ),
    { numRuns: 80 },
  );
});

test('1 GiB made with --max-size grows to 2 GiB, then 100 GiB, then its --max-size, written and read back clean', async () => {
  for (const c of [
    { table: 'gpt', fs: 'exfat', sectorSize: 512, oldBytes: GiB, maxSize: 2 * TIB },
    { table: 'mbr', fs: 'exfat', sectorSize: 4096, oldBytes: GiB, maxSize: 2 * TIB },
    { table: 'gpt', fs: 'fat32', sectorSize: 4096, oldBytes: GiB, maxSize: 256 * GiB },
    { table: 'mbr', fs: 'fat32', sectorSize: 512, oldBytes: GiB, maxSize: 100 * GiB },
  ] as MaxCase[]) {
    const old = openMemoryTarget({ sizeBytes: c.oldBytes, logicalSectorSize: c.sectorSize });
    await writeDisk(planDisk(specOf(c), geometry(c)), old);
    let disk = old;
    for (const size of [...new Set([2 * GiB, 100 * GiB, c.maxSize])]) {
      disk = await copyOnto(disk, size);
      const { plan } = await growDisk(disk);
      const label = `${c.table}/${c.fs}/${c.sectorSize} → ${size}`;
      assertFillsPartition(plan, label);
      const report = await inspectDisk(disk);
      assert.equal(report.findings.filter((f) => f.severity === 'error').map((f) => f.message), [], label);
      assert.is((report.partitions[0].filesystem?.details as { clusterCount: number }).clusterCount, plan.filesystem!.after.clusterCount, label);
    }
  }
});

test('grow past --max-size: FAT32 refuses naming the largest size and --max-size; exFAT grows and says how much is usable', async () => {
  const fat: MaxCase = { table: 'gpt', fs: 'fat32', sectorSize: 512, oldBytes: GiB, maxSize: 4 * GiB };
  const e = await planGrowOf(fat, 8 * GiB).then(() => null, (err: unknown) => err as GuestdiskError);
  assert.instance(e, GuestdiskError);
  assert.is(e!.code, 'UNSUPPORTED_GEOMETRY');
  assert.match(e!.message, /--max-size/);
  const largest = e!.details.largestDiskBytes as number;
  assert.ok(largest >= 4 * GiB && largest < 8 * GiB, `largest ${largest}`);
  assertFillsPartition((await planGrowOf(fat, largest)).plan, 'FAT32 at the size named');

  const ex: MaxCase = { table: 'gpt', fs: 'exfat', sectorSize: 512, oldBytes: GiB, maxSize: 4 * GiB };
  const { plan } = await planGrowOf(ex, 64 * GiB);
  const fs = plan.filesystem as ExfatGrowPlan;
  // The room is for 4 GiB of clusters, rounded up to the heap's 1 MiB alignment: a little more is usable.
  assert.ok(fs.unusableBytes > 50 * GiB && fs.usableBytes < 9 * GiB && fs.usableBytes > 3 * GiB, `usable ${fs.usableBytes}, unusable ${fs.unusableBytes}`);
  assert.is(fs.usableBytes, fs.after.clusterCount * fs.clusterSize);
  assert.ok(plan.notes.some((n) => n.includes(`only ${fs.usableBytes} bytes`) && n.includes('--max-size')), plan.notes.join('\n'));
});

test('exFAT: the FAT room left by --max-size is zeroed where it is not (old data on a device), and only there', async () => {
  const c: MaxCase = { table: 'gpt', fs: 'exfat', sectorSize: 512, oldBytes: GiB, maxSize: 2 * TIB };
  const layout = planDisk(specOf(c), geometry(c));
  const vol = layout.filesystem as ExfatPlan;
  const old = openMemoryTarget({ sizeBytes: c.oldBytes, logicalSectorSize: c.sectorSize });
  await writeDisk(layout, old);
  const base = layout.partitions[0].startLba * c.sectorSize;
  const junkAt = base + (vol.fatOffset + vol.fatLength) * 512 + MiB + 512; // inside the room, past the FAT
  await old.write(junkAt, new Uint8Array(512).fill(0xee));
  const disk = await copyOnto(old, 100 * GiB);
  const { plan, result } = await growDisk(disk);
  const fs = plan.filesystem as ExfatGrowPlan;
  assert.ok((junkAt - base) / 512 < vol.fatOffset + fs.after.fatLength, 'the junk lies in the grown FAT');
  assert.ok((await disk.read(junkAt, 512)).every((b) => b === 0), 'the stale sector reads as free FAT entries');
  // Only the piece holding it was zeroed: the rest of the room (a hole) was left alone.
  assert.ok(result.zeroBytes <= 2 * MiB, `zero ranges written: ${result.zeroBytes}`);
  const report = await inspectDisk(disk);
  assert.equal(report.findings.filter((f) => f.severity === 'error').map((f) => f.message), []);
});

test('refusals: NTFS and --fs none (the option would do nothing), below the disk, past an MBR, a FAT too big for the volume', () => {
  const g = { sizeBytes: GiB, logicalSectorSize: 512 as const, physicalSectorSize: 512 };
  const base = { table: 'gpt' as const, seed: 's', timestamp: TIMESTAMP };
  expectError(() => planDisk({ ...base, fs: 'ntfs', maxSize: 2 * TIB }, g), 'INVALID_SPEC', /--max-size .*--fs ntfs it would do nothing/);
  expectError(() => planDisk({ ...base, fs: 'none', maxSize: 2 * TIB }, g), 'INVALID_SPEC', /--fs none it would do nothing/);
  expectError(() => planDisk({ ...base, fs: 'exfat', maxSize: GiB / 2 }, g), 'INVALID_SPEC', /smaller than the disk/);
  expectError(() => planDisk({ ...base, fs: 'exfat', maxSize: 0 }, g), 'INVALID_SPEC', /positive/);
  expectError(() => planDisk({ ...base, table: 'mbr', fs: 'exfat', maxSize: 3 * TIB }, g), 'INVALID_SPEC', /MBR .* 2\^32/);
  expectError(() => planDisk({ ...base, fs: 'fat32', maxSize: 4 * TIB }, g), 'UNSUPPORTED_GEOMETRY', /BPB_TotSec32/);
  const tooBig = expectError(() => planDisk({ ...base, fs: 'fat32', maxSize: 2 * TIB - MiB }, g), 'INVALID_SPEC', /largest that works is --max-size \d+/);
  const largest = tooBig.details.largestMaxSizeBytes as number;
  const made = planDisk({ ...base, fs: 'fat32', maxSize: largest }, g).filesystem as Fat32Plan;
  assert.ok(made.clusterCount >= 65525, 'the size named makes a valid FAT32');
  expectError(() => planDisk({ ...base, fs: 'fat32', maxSize: largest + 64 * MiB }, g), 'INVALID_SPEC', /largest that works/);
  expectError(() => planDisk({ ...base, fs: 'exfat', clusterSize: 512, maxSize: 4 * TIB }, { ...g, sizeBytes: 64 * MiB }), 'UNSUPPORTED_GEOMETRY', /--cluster-size \d+ or more/);
  expectError(() => planDisk({ ...base, fs: 'exfat', clusterSize: 32768, maxSize: 16 * TIB - 2 * MiB }, { ...g, sizeBytes: 64 * MiB }), 'INVALID_SPEC', /--max-size that gives a volume of at most \d+/);
});

test.run();
