// The filesystem inspectors (one per filesystem, written with its formatter) behind one signature, so inspectDisk
// can call whichever matches a volume's signature. A filesystem without an inspector yet is reported by
// signature only.
import { inspectExfatVolume } from './fs-exfat.js';
import { inspectFatVolume } from './fs-fat32.js';
import type { FsInspector } from './fs-inspector.js';
import { inspectNtfsVolume } from './fs-ntfs.js';
import type { FilesystemType } from './report.js';

export type { FsInspectContext, FsInspectResult, FsInspector } from './fs-inspector.js';

/** Inspectors by filesystem type; filled as the filesystem modules land. */
export const FS_INSPECTORS: Partial<Record<FilesystemType, FsInspector>> = {
  ntfs: inspectNtfsVolume,
  exfat: inspectExfatVolume,
  fat12: inspectFatVolume,
  fat16: inspectFatVolume,
  fat32: inspectFatVolume,
};
