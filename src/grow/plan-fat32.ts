// The FAT32 part of a grow plan: the grown volume (or the refusal naming the largest disk its FAT can address), and
// its steps. Order (docs/grow.md):
//   before the partition grows: FAT entries of the new clusters zeroed, only in a FAT copy where an earlier tool
//   left them non-zero (the old volume never reads entries past its last cluster); flush;
//   after it: the reserved sectors from the boot sector to the backup FSInfo (sectors 0–7 on every volume
//   mkfs.fat, Windows or guestdisk makes) in one write — boot sector, FSInfo, backup boot sector and backup FSInfo
//   all saying the new size at once, the bytes between them rewritten as they were: the commit; flush.
import { GuestdiskError } from '../errors.js';
import { fat32ClustersIn, fat32MaxClusters, fat32TailRange, planFat32Grow, type Fat32GrowPlan, type Fat32GrowSource } from '../fs/fat32/grow.js';
import type { GrowPartition, GrowStep } from './types.js';

/**
 * Plans the grown volume in `partition`'s new size. When the FAT cannot address that many clusters, refuses with
 * the largest disk size that works: `diskSectorsFor(endExclusiveLba)` is the largest disk whose grown partition
 * ends at that 1 MiB-aligned LBA; `mibLba` is 1 MiB in sectors.
 */
export function planFat32Volume(fs: Fat32GrowSource, partition: GrowPartition, mibLba: number, diskSectorsFor: (endExclusiveLba: number) => number): Fat32GrowPlan {
  const s = fs.bytesPerSector;
  const max = fat32MaxClusters(fs);
  const wanted = fat32ClustersIn(fs, partition.after.sizeLba);
  if (wanted > max) {
    // Partition sizes P with floor((P − dataStart) / spc) ≤ max, ending on a 1 MiB boundary.
    const endLimit = partition.startLba + fs.dataStartSector + (max + 1) * fs.sectorsPerCluster - 1;
    const bestEnd = Math.floor(endLimit / mibLba) * mibLba;
    const oldEnd = partition.before.endLba + 1;
    const cs = s * fs.sectorsPerCluster;
    const what = `the FAT32 volume's FAT (${fs.fatSectors} sectors per copy) has entries for ${max} clusters of ${cs} bytes (${fs.clusterCount} in use by the volume now); a partition of ${partition.after.sizeLba * s} bytes needs ${wanted}. The FAT cannot grow in place (the data region starts right after it)`;
    if (bestEnd <= oldEnd) {
      throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `${what}, and a partition ending on the next 1 MiB boundary would already need more: this volume cannot grow. Copy its files to a new, larger volume instead (guestdisk create --max-size N sizes a new volume's FAT so that it can later grow to N)`, { maxClusterCount: max, clusterCount: wanted, largestDiskBytes: null });
    }
    const largest = diskSectorsFor(bestEnd) * s;
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `${what}: the largest disk size that works is ${largest} bytes (--size ${largest}; the partition then ends at ${bestEnd * s} bytes). For more, copy the files to a new volume made with guestdisk create --max-size N, whose FAT addresses a disk of N`, { maxClusterCount: max, clusterCount: wanted, largestDiskBytes: largest });
  }
  return planFat32Grow(fs, partition.after.sizeLba);
}

function step(kind: GrowStep['kind'], offsetBytes: number, lengthBytes: number, description: string): GrowStep {
  return { kind, offsetBytes, lengthBytes, description };
}

/** Before the partition grows: the new clusters' FAT entries zeroed where they are not. */
export function fat32PrepareSteps(plan: Fat32GrowPlan, fs: Fat32GrowSource, base: number): GrowStep[] {
  if (plan.fatCopiesToClear.length === 0) return [];
  const steps: GrowStep[] = [];
  for (const copy of plan.fatCopiesToClear) {
    const r = fat32TailRange(fs, plan, copy);
    steps.push(step('fat32-fat-tail', base + r.firstSectorBytes, fs.bytesPerSector, `FAT ${copy + 1}: the sector holding the first new entry, new entries zeroed (free)`));
    if (r.restBytes > 0) steps.push(step('fat32-fat-zero', base + r.firstSectorBytes + fs.bytesPerSector, r.restBytes, `FAT ${copy + 1}: the rest of the new entries zeroed (free)`));
  }
  steps.push(step('flush', 0, 0, 'flush: the new clusters are free in every FAT before anything counts them'));
  return steps;
}

/** After the partition grew: boot sector, FSInfo and their backups in one write (the commit). */
export function fat32CommitSteps(plan: Fat32GrowPlan, fs: Fat32GrowSource, base: number): GrowStep[] {
  return [
    step('fat32-commit', base, fs.head.length, `boot sector, FSInfo and their backups (sectors 0–${fs.head.length / fs.bytesPerSector - 1}): ${plan.after.totalSectors} sectors, ${plan.after.clusterCount} clusters, one write (commit)`),
    step('flush', 0, 0, 'flush: volume grown'),
  ];
}
