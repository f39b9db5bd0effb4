// The filesystem inspectors (one per filesystem, written with its formatter) behind one signature, so inspectDisk
// can call whichever matches a volume's signature. A filesystem without an inspector yet is reported by
// signature only.
import type { Finding } from '../binary/fields.js';
import type { BlockTarget } from '../target/block-target.js';
import { inspectExfatVolume } from './fs-exfat.js';
import { inspectFatVolume } from './fs-fat32.js';
import { inspectNtfsVolume } from './fs-ntfs.js';
import type { FilesystemType } from './report.js';

export interface FsInspectContext {
  /** The partition's first LBA on the disk (null for a whole-disk volume): what hidden sectors should say. */
  readonly partitionStartLba: number | null;
  readonly partitionSizeBytes: number;
}

export interface FsInspectResult {
  /** The decoded header, plain JSON; `label` (string or null) is lifted into the filesystem report. */
  readonly report: object;
  /** Offsets relative to the volume's first byte. */
  readonly findings: readonly Finding[];
}

export type FsInspector = (volume: BlockTarget, ctx: FsInspectContext) => Promise<FsInspectResult>;

/** Inspectors by filesystem type; filled as the filesystem modules land. */
export const FS_INSPECTORS: Partial<Record<FilesystemType, FsInspector>> = {
  ntfs: inspectNtfsVolume,
  exfat: inspectExfatVolume,
  fat12: inspectFatVolume,
  fat16: inspectFatVolume,
  fat32: inspectFatVolume,
};
