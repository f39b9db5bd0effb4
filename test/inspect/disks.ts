// Disks for the inspect tests, made by our own pipeline (planDisk + writeDisk) on memory targets or files.
import { openFileTarget } from '../../src/target/file-target.js';
import { openMemoryTarget, type MemoryTarget } from '../../src/target/memory-target.js';
import type { BlockTarget } from '../../src/target/block-target.js';
import type { FsKind, LogicalSectorSize, TableKind } from '../../src/plan/layout.js';
import { planDisk } from '../../src/plan/plan-disk.js';
import { writeDisk } from '../../src/write/write-disk.js';

export interface DiskRecipe {
  readonly table: TableKind;
  readonly fs: FsKind;
  readonly sectorSize: LogicalSectorSize;
  readonly sizeBytes?: number;
  readonly seed?: string;
  readonly label?: string;
}

export const MIB = 1024 * 1024;
/** Filesystems our writer can make today; a filesystem joins when its formatter lands. */
export const WRITABLE_FS: readonly FsKind[] = ['none', 'ntfs', 'exfat', 'fat32'];

/** Smallest convenient disk for each filesystem (FAT32 needs 65525 clusters: 256 MiB+ with 4096-byte sectors). */
export function defaultSizeBytes(fs: FsKind, sectorSize: LogicalSectorSize): number {
  if (fs === 'fat32') return sectorSize === 4096 ? 300 * MIB : 40 * MIB;
  return 64 * MIB;
}

function layoutFor(r: DiskRecipe) {
  return planDisk(
    { table: r.table, fs: r.fs, label: r.label, seed: r.seed ?? 'inspect-test', timestamp: 315_532_800 },
    { sizeBytes: r.sizeBytes ?? defaultSizeBytes(r.fs, r.sectorSize), logicalSectorSize: r.sectorSize, physicalSectorSize: r.sectorSize },
  );
}

export async function makeMemoryDisk(r: DiskRecipe): Promise<MemoryTarget> {
  const layout = layoutFor(r);
  const target = openMemoryTarget({ sizeBytes: layout.geometry.sizeBytes, logicalSectorSize: r.sectorSize });
  await writeDisk(layout, target);
  return target;
}

export async function makeImageFile(path: string, r: DiskRecipe): Promise<void> {
  const layout = layoutFor(r);
  const target = await openFileTarget({ path, mode: 'write', sizeBytes: layout.geometry.sizeBytes, logicalSectorSize: r.sectorSize });
  try {
    await writeDisk(layout, target);
  } finally {
    await target.close();
  }
}

/** The whole content of a target (small disks only). */
export async function readAll(target: BlockTarget): Promise<Uint8Array> {
  return target.read(0, target.sizeBytes);
}

/** A memory target holding `bytes`, seen with `sectorSize` (as an image file opened with that size would be). */
export function memoryFrom(bytes: Uint8Array, sectorSize: LogicalSectorSize = 512): MemoryTarget {
  const size = bytes.length - (bytes.length % sectorSize);
  return openMemoryTarget({ sizeBytes: Math.max(size, sectorSize), logicalSectorSize: sectorSize, initial: bytes.subarray(0, size) });
}

/** The same bytes seen with another logical sector size (what opening an image file with the wrong size does). */
export async function reinterpret(target: MemoryTarget, sectorSize: LogicalSectorSize): Promise<MemoryTarget> {
  const out = openMemoryTarget({ sizeBytes: target.sizeBytes - (target.sizeBytes % sectorSize), logicalSectorSize: sectorSize });
  for (const offset of target.touchedChunks()) {
    const length = Math.min(64 * 1024, out.sizeBytes - offset);
    if (length > 0) await out.write(offset, await target.read(offset, length));
  }
  return out;
}

/** A copy of a sparse memory disk (only its touched chunks), cut to `sizeBytes`, with bytes changed. */
export async function cloneDisk(source: MemoryTarget, options: { sizeBytes?: number; sectorSize?: LogicalSectorSize; changes?: readonly (readonly [number, number])[] } = {}): Promise<MemoryTarget> {
  const sectorSize = options.sectorSize ?? source.logicalSectorSize;
  const wanted = Math.min(options.sizeBytes ?? source.sizeBytes, source.sizeBytes);
  const out = openMemoryTarget({ sizeBytes: Math.max(sectorSize, wanted - (wanted % sectorSize)), logicalSectorSize: sectorSize });
  for (const offset of source.touchedChunks()) {
    const length = Math.min(64 * 1024, out.sizeBytes - offset);
    if (length > 0) await out.write(offset, await source.read(offset, length));
  }
  for (const [offset, value] of options.changes ?? []) {
    if (offset >= 0 && offset < out.sizeBytes) await out.write(offset, Uint8Array.of(value));
  }
  return out;
}
