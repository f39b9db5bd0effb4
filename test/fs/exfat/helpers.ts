// Test helpers for exFAT: plan + format a bare volume into a sparse file or a memory target.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import type { FsPlanInput } from '../../../src/fs/registry.js';
import { formatExfat, planExfat, type ExfatPlan } from '../../../src/fs/exfat/index.js';
import type { Chunk } from '../../../src/plan/layout.js';
import { openMemoryTarget, type MemoryTarget } from '../../../src/target/memory-target.js';
import { writeChunks } from '../../../src/write/write-chunks.js';

export function exfatInput(overrides: Partial<FsPlanInput> = {}): FsPlanInput {
  return {
    partitionStartLba: 2048,
    partitionSizeBytes: 64 * 1024 * 1024,
    logicalSectorSize: 512,
    physicalSectorSize: 512,
    label: 'GUESTDISK',
    clusterSize: undefined,
    seed: 'exfat-test-seed',
    timestamp: 1_700_000_000,
    ...overrides,
  };
}

export function allChunks(plan: ExfatPlan): Chunk[] {
  const fs = formatExfat(plan);
  return [...fs.body(), ...fs.bootBackup(), ...fs.boot()];
}

/** Writes the volume into a new sparse file of exactly volumeSizeBytes (zero ranges stay holes). */
export function writeVolumeFile(path: string, plan: ExfatPlan, sizeBytes = plan.volumeSizeBytes): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, sizeBytes);
    for (const chunk of allChunks(plan)) {
      if ('bytes' in chunk) writeSync(fd, chunk.bytes, 0, chunk.bytes.length, chunk.offsetBytes);
    }
  } finally {
    closeSync(fd);
  }
}

/** Formats into a memory target (through writeChunks, as writeDisk will). */
export async function formatToMemory(plan: ExfatPlan, initial?: Uint8Array): Promise<MemoryTarget> {
  const target = openMemoryTarget({ sizeBytes: plan.volumeSizeBytes, logicalSectorSize: plan.bytesPerSector as 512 | 4096, initial });
  const fs = formatExfat(plan);
  const stats = { writes: 0, bytesWritten: 0, zeroBytes: 0 };
  const limit = { startBytes: 0, endBytes: plan.volumeSizeBytes, what: 'exfat' };
  await writeChunks(target, fs.body(), 0, limit, stats);
  await writeChunks(target, fs.bootBackup(), 0, limit, stats);
  await writeChunks(target, fs.boot(), 0, limit, stats);
  return target;
}
