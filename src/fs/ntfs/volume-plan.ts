// What planNtfs decides about a volume, as plain JSON. Its own module so that the layout and system-file builders
// that planNtfs calls can name it without importing the planner.
import type { FileTree, LogicalSectorSize } from '../../disk-types.js';

/** $Boot holds 8 KiB (or one cluster if larger). */
export const BOOT_FILE_BYTES = 8192;

export interface NtfsPlan {
  readonly kind: 'ntfs';
  /** NTFS volume size in bytes: totalSectors × bytesPerSector (the partition minus its last sector). */
  readonly volumeSizeBytes: number;
  readonly partitionSizeBytes: number;
  readonly bytesPerSector: LogicalSectorSize;
  /** bytes per cluster, a power of two from bytesPerSector to 2 MiB */
  readonly clusterSize: number;
  /** boot sector number_of_sectors: the partition's sectors minus the one that holds the backup boot sector */
  readonly totalSectors: number;
  readonly clusterCount: number;
  readonly mftRecordSize: number;
  readonly indexRecordSize: number;
  readonly mftLcn: number;
  readonly mftMirrLcn: number;
  readonly logFileLcn: number;
  readonly logFileSizeBytes: number;
  /** first LCN past the MFT zone, where mkntfs starts allocating everything else */
  readonly mftZoneEndLcn: number;
  /** 64-bit volume serial number as 16 lower-case hex digits (the u64 value, stored little-endian) */
  readonly serial: string;
  /** volume label ($VOLUME_NAME); '' for none */
  readonly label: string;
  /** Unix seconds for every timestamp in the volume */
  readonly timestamp: number;
  /** the partition's first LBA (BPB hidden_sectors) */
  readonly hiddenSectors: number;
  readonly sectorsPerTrack: number;
  readonly heads: number;
  /** create --copy-from: the tree placed into the volume (populate-plan.ts); null or absent for an empty volume */
  readonly files?: FileTree | null;
}
