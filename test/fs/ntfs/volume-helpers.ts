// Helpers for the NTFS formatter tests: plan inputs, writing a bare volume (no partition table) into a sparse
// file or a memory target through the real chunk writer.
import { createHash } from 'node:crypto';
import { planNtfs, formatNtfs, type NtfsPlan } from '../../../src/fs/ntfs/index.js';
import type { FsPlanInput } from '../../../src/fs/registry.js';
import type { Chunk } from '../../../src/plan/layout.js';
import { openFileTarget } from '../../../src/target/file-target.js';
import { openMemoryTarget, type MemoryTarget } from '../../../src/target/memory-target.js';
import type { BlockTarget } from '../../../src/target/block-target.js';
import { writeChunks, type ChunkWriteStats } from '../../../src/write/write-chunks.js';

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
export const TIB = 1024 * GIB;

export function ntfsInput(overrides: Partial<FsPlanInput> = {}): FsPlanInput {
  return {
    partitionStartLba: 2048,
    partitionSizeBytes: 64 * MIB,
    logicalSectorSize: 512,
    physicalSectorSize: 512,
    label: 'WindowsData',
    clusterSize: undefined,
    seed: 'ntfs-test',
    timestamp: 1_700_000_000,
    ...overrides,
  };
}

export function chunkLength(c: Chunk): number {
  return 'bytes' in c ? c.bytes.length : c.zeroBytes;
}

export function allChunks(plan: NtfsPlan): Chunk[] {
  const f = formatNtfs(plan);
  return [...f.body(), ...f.bootBackup(), ...f.boot()];
}

/** Writes body, backup boot and boot, in that order, as writeDisk would. */
export async function writeVolume(plan: NtfsPlan, target: BlockTarget): Promise<ChunkWriteStats> {
  const stats: ChunkWriteStats = { writes: 0, bytesWritten: 0, zeroBytes: 0 };
  const f = formatNtfs(plan);
  const limit = { startBytes: 0, endBytes: plan.partitionSizeBytes, what: 'ntfs' };
  for (const group of [f.body(), f.bootBackup(), f.boot()]) await writeChunks(target, group, 0, limit, stats);
  await target.flush();
  return stats;
}

/** A bare volume in a new sparse file at `path`. */
export async function writeVolumeFile(plan: NtfsPlan, path: string): Promise<ChunkWriteStats> {
  const target = await openFileTarget({ path, mode: 'write', sizeBytes: plan.partitionSizeBytes, logicalSectorSize: plan.bytesPerSector });
  try {
    return await writeVolume(plan, target);
  } finally {
    await target.close();
  }
}

export async function writeVolumeMemory(plan: NtfsPlan, initial?: Uint8Array): Promise<MemoryTarget> {
  const target = openMemoryTarget({ sizeBytes: plan.partitionSizeBytes, logicalSectorSize: plan.bytesPerSector, initial });
  await writeVolume(plan, target);
  return target;
}

export async function sha256Target(target: BlockTarget): Promise<string> {
  const h = createHash('sha256');
  const step = 4 * MIB;
  for (let at = 0; at < target.sizeBytes; at += step) h.update(await target.read(at, Math.min(step, target.sizeBytes - at)));
  return h.digest('hex');
}

export { planNtfs };
