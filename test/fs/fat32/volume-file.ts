// Test helper: a FAT32 volume (or a disk image holding one) as a sparse file, written through the same chunks
// writeDisk would write, in the same group order. Zero ranges become holes on a fresh file.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { FsPlanInput } from '../../../src/fs/registry.js';
import { formatFat32, planFat32, type Fat32Plan } from '../../../src/fs/fat32/index.js';
import type { Chunk } from '../../../src/plan/layout.js';

export interface VolumeFileStats { writes: number; bytesWritten: number; zeroBytes: number }

export function fat32Input(over: Partial<FsPlanInput> & { partitionSizeBytes: number }): FsPlanInput {
  return {
    partitionStartLba: 2048,
    logicalSectorSize: 512,
    physicalSectorSize: 512,
    label: 'GUESTDISK',
    clusterSize: undefined,
    seed: 'fat32-test',
    timestamp: Date.UTC(2024, 0, 2, 3, 4, 6) / 1000,
    ...over,
  };
}

/** Writes `plan` into a new sparse file of `fileSizeBytes` at `offsetBytes`; returns the write statistics. */
export function writeVolumeFile(path: string, plan: Fat32Plan, offsetBytes = 0, fileSizeBytes = plan.volumeSizeBytes + offsetBytes): VolumeFileStats {
  const fd = openSync(path, 'w+');
  const stats: VolumeFileStats = { writes: 0, bytesWritten: 0, zeroBytes: 0 };
  try {
    ftruncateSync(fd, fileSizeBytes);
    const fs = formatFat32(plan);
    const put = (chunks: Iterable<Chunk>): void => {
      for (const c of chunks) {
        if ('bytes' in c) {
          writeSync(fd, c.bytes, 0, c.bytes.length, offsetBytes + c.offsetBytes);
          stats.writes++;
          stats.bytesWritten += c.bytes.length;
        } else {
          stats.zeroBytes += c.zeroBytes; // fresh file: already a hole
        }
      }
    };
    put(fs.body());
    put(fs.bootBackup());
    put(fs.boot());
  } finally {
    closeSync(fd);
  }
  return stats;
}

export function makeVolume(dir: string, name: string, input: FsPlanInput): { path: string; plan: Fat32Plan } {
  const plan = planFat32(input);
  const path = join(dir, name);
  writeVolumeFile(path, plan);
  return { path, plan };
}
