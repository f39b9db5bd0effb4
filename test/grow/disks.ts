// Disks to grow, in memory: a disk made by our create at its old size, copied onto a bigger memory disk (what an
// image file or LV holds after truncate/lvextend, before the grow).
import { planDisk } from '../../src/plan/plan-disk.js';
import type { FsKind, TableKind } from '../../src/plan/layout.js';
import { openMemoryTarget, type MemoryTarget } from '../../src/target/memory-target.js';
import { writeDisk } from '../../src/write/write-disk.js';
import { MEMORY_CHUNK_BYTES } from '../helpers/fault-target.js';

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
export const TIMESTAMP = 1_700_000_000;

export interface GrowCase {
  readonly table: TableKind;
  readonly fs: FsKind;
  readonly sectorSize: 512 | 4096;
  readonly oldBytes: number;
  readonly newBytes: number;
  readonly clusterSize?: number;
  /** create --max-size (exFAT, FAT32). */
  readonly maxSize?: number;
}

export function describeGrow(c: GrowCase): string {
  return `${c.table}/${c.fs}/${c.sectorSize}${c.clusterSize ? `/${c.clusterSize}` : ''} ${c.oldBytes / MiB} MiB → ${c.newBytes / MiB} MiB${c.maxSize ? ` (made with --max-size ${c.maxSize / MiB} MiB)` : ''}`;
}

/** `source`'s content on a new memory disk of `sizeBytes` (its touched chunks copied; the rest stays a hole). */
export async function copyOnto(source: MemoryTarget, sizeBytes: number): Promise<MemoryTarget> {
  const out = openMemoryTarget({ sizeBytes, logicalSectorSize: source.logicalSectorSize, physicalSectorSize: source.physicalSectorSize });
  for (const at of source.touchedChunks()) {
    const bytes = await source.read(at, Math.min(MEMORY_CHUNK_BYTES, source.sizeBytes - at));
    if (bytes.some((b) => b !== 0)) await out.write(at, bytes);
  }
  (out.log as unknown[]).length = 0;
  return out;
}

/** A disk made by guestdisk create at `oldBytes`, on a memory disk of `newBytes`. */
export async function grownDisk(c: GrowCase, seed = 'grow-test'): Promise<MemoryTarget> {
  const old = openMemoryTarget({ sizeBytes: c.oldBytes, logicalSectorSize: c.sectorSize });
  const layout = planDisk({ table: c.table, fs: c.fs, seed, timestamp: TIMESTAMP, ...(c.clusterSize ? { clusterSize: c.clusterSize } : {}), ...(c.maxSize ? { maxSize: c.maxSize } : {}) }, { sizeBytes: c.oldBytes, logicalSectorSize: c.sectorSize, physicalSectorSize: c.sectorSize });
  await writeDisk(layout, old);
  return copyOnto(old, c.newBytes);
}
