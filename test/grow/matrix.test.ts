// The representative matrix on memory disks: every filesystem × a spread of its cluster sizes (smallest, Windows'
// defaults, largest) × 512 and 4096-byte sectors × GPT and MBR, made by create (exFAT and FAT32 with --max-size,
// so their FAT has room), grown to a bit more than twice the size with sector-aligned writes only, then read back
// by inspect: no error finding, the partition and the volume fill the disk, the cluster count is the plan's, and
// every cluster of the grown partition is addressed. Tool runs on a few of these: *-tools.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ExfatGrowPlan } from '../../src/fs/exfat/grow.js';
import type { Fat32GrowPlan } from '../../src/fs/fat32/grow.js';
import type { NtfsGrowPlan } from '../../src/fs/ntfs/grow.js';
import { minFat32VolumeBytes } from '../../src/fs/fat32/plan.js';
import { planGrowFrom } from '../../src/grow/grow-disk.js';
import { writeGrow } from '../../src/grow/write-grow.js';
import { inspectDisk } from '../../src/inspect/inspect.js';
import { planDisk } from '../../src/plan/plan-disk.js';
import type { BlockTarget } from '../../src/target/block-target.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { writeDisk } from '../../src/write/write-disk.js';
import { copyOnto, MiB, TIMESTAMP } from './disks.js';

const CLUSTERS: Record<'ntfs' | 'exfat' | 'fat32', readonly number[]> = {
  ntfs: [512, 4096, 65536, 2 * MiB],
  exfat: [512, 4096, 32768, 131072, MiB],
  fat32: [512, 4096, 16384, 32768],
};

/** Every write must be whole sectors: a block device demands it. */
function alignedOnly(disk: BlockTarget): BlockTarget {
  const s = disk.logicalSectorSize;
  return {
    ...disk,
    read: (o, l) => disk.read(o, l),
    write: (o, b) => { assert.ok(o % s === 0 && b.length % s === 0, `write at ${o}, ${b.length} bytes`); return disk.write(o, b); },
    writeZeros: (o, l) => { assert.ok(o % s === 0 && l % s === 0, `zeros at ${o}, ${l} bytes`); return disk.writeZeros(o, l); },
    flush: () => disk.flush(),
    close: () => disk.close(),
  };
}

for (const fs of ['ntfs', 'exfat', 'fat32'] as const) {
  test(`${fs}: every cluster size of the matrix × 512/4096 × GPT/MBR grows to fill the disk and reads back clean`, async () => {
    for (const clusterSize of CLUSTERS[fs]) {
      for (const sectorSize of [512, 4096] as const) {
        if (clusterSize < sectorSize) continue;
        for (const table of ['gpt', 'mbr'] as const) {
          const label = `${fs}/${clusterSize}/${sectorSize}/${table}`;
          // Big enough for the cluster size (FAT32: 65,525 clusters; a 2 MiB NTFS cluster: a few dozen of them).
          const minimum = fs === 'fat32' ? minFat32VolumeBytes(sectorSize, clusterSize) * 1.3 : clusterSize >= MiB ? (fs === 'ntfs' ? 1024 : 256) * MiB : 64 * MiB;
          const oldBytes = Math.ceil((minimum + 4 * MiB) / MiB) * MiB;
          const newBytes = 2 * oldBytes + 3 * MiB;
          const maxSize = fs === 'ntfs' ? {} : { maxSize: newBytes };
          const old = openMemoryTarget({ sizeBytes: oldBytes, logicalSectorSize: sectorSize });
          await writeDisk(planDisk({ table, fs, clusterSize, seed: 'matrix', timestamp: TIMESTAMP, ...maxSize }, { sizeBytes: oldBytes, logicalSectorSize: sectorSize, physicalSectorSize: sectorSize }), old);
          const disk = await copyOnto(old, newBytes);
          const { plan, source } = await planGrowFrom(disk, newBytes);
          await writeGrow(plan, source, alignedOnly(disk));
          const report = await inspectDisk(disk);
          assert.equal(report.findings.filter((f) => f.severity === 'error').map((f) => f.message), [], label);
          assert.is(report.partitions[0].sizeLba, plan.partition.after.sizeLba, label);
          assert.ok(newBytes - (plan.partition.startLba + plan.partition.after.sizeLba) * sectorSize < 2 * MiB, `${label}: the partition fills the disk`);
          const grown = plan.filesystem as NtfsGrowPlan | ExfatGrowPlan | Fat32GrowPlan;
          assert.is(grown.clusterSize, clusterSize, label);
          assert.is((report.partitions[0].filesystem?.details as { clusterCount: number }).clusterCount, grown.after.clusterCount, label);
          assert.ok(grown.after.clusterCount > grown.before.clusterCount * 1.9, `${label}: ${grown.before.clusterCount} → ${grown.after.clusterCount} clusters`);
          if (grown.kind === 'exfat') assert.is(grown.clustersBeyondFat, 0, label);
        }
      }
    }
  });
}

test.run();
