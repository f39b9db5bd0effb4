// The grow workflow of the library: read what is there, plan (every refusal happens here, before any write),
// then write. A block device or memory disk already has its new size; an image file is read at its old size and
// written after it is extended (the CLI does that between planGrowFrom and writeGrow).
import { sliceTarget, type BlockTarget } from '../target/block-target.js';
import { writeGrow, type GrowWriteOptions, type GrowWriteResult } from './write-grow.js';
import { ntfsBitmapClustersNeeded, planGrow } from './plan-grow.js';
import { findFreeExtents } from './read-ntfs.js';
import { findExfatFreeRun } from './read-exfat.js';
import { grownExfatSize } from '../fs/exfat/grow.js';
import { alignedPartitionBytes } from './plan-grow.js';
import { readGrowSource } from './read-disk.js';
import type { GrowPlan, GrowSource } from './types.js';

export interface PlannedGrow {
  readonly plan: GrowPlan;
  readonly source: GrowSource;
}

/** Reads `disk` as it is and plans growing it to `newSizeBytes` (at least its current size). Writes nothing. */
export async function planGrowFrom(disk: BlockTarget, newSizeBytes: number): Promise<PlannedGrow> {
  const source = await readGrowSource(disk);
  let free: Awaited<ReturnType<typeof findFreeExtents>> = [];
  if (source.filesystem.kind === 'ntfs') {
    const s = source.logicalSectorSize;
    const volume = sliceTarget(disk, source.partition.startLba * s, source.partition.sizeLba * s);
    free = await findFreeExtents(volume, source.filesystem, ntfsBitmapClustersNeeded(source, newSizeBytes));
  }
  let exfatFreeRunCluster: number | null = null;
  if (source.filesystem.kind === 'exfat') {
    const s = source.logicalSectorSize;
    const volume = sliceTarget(disk, source.partition.startLba * s, source.partition.sizeLba * s);
    const size = grownExfatSize(source.filesystem, alignedPartitionBytes(source, newSizeBytes));
    exfatFreeRunCluster = await findExfatFreeRun(volume, source.filesystem, size.bitmapClusters);
  }
  return { plan: planGrow(source, newSizeBytes, { ntfsFreeExtents: free, exfatFreeRunCluster }), source };
}

/** Grows the last partition of `disk` and its volume into the whole of `disk`, which already has its new size. */
export async function growDisk(disk: BlockTarget, options: GrowWriteOptions = {}): Promise<PlannedGrow & { result: GrowWriteResult }> {
  const planned = await planGrowFrom(disk, disk.sizeBytes);
  const result = await writeGrow(planned.plan, planned.source, disk, options);
  return { ...planned, result };
}
