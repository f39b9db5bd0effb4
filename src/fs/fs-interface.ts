// What every filesystem planner takes and every formatter returns. Its own module, below registry.ts, so that
// each filesystem can name these types without importing the registry that imports it.
import type { Chunk, ContentChunk, FileTree, LogicalSectorSize } from '../disk-types.js';

/** What planDisk hands a filesystem planner. */
export interface FsPlanInput {
  /** The partition's first LBA on the disk (NTFS/FAT "hidden sectors", exFAT PartitionOffset). */
  readonly partitionStartLba: number;
  readonly partitionSizeBytes: number;
  readonly logicalSectorSize: LogicalSectorSize;
  readonly physicalSectorSize: number;
  /** undefined: the filesystem's default label (none for NTFS/exFAT, "NO NAME" for FAT32). */
  readonly label: string | undefined;
  /** undefined: the filesystem's default for this size. */
  readonly clusterSize: number | undefined;
  /** For identities (serial numbers, GUIDs) through binary/identity.ts. */
  readonly seed: string;
  /** Unix seconds, for every timestamp the volume stores. */
  readonly timestamp: number;
  /** exFAT: write the optional Volume GUID directory entry (DiskSpec.exfatVolumeGuid). Ignored by the others. */
  readonly exfatVolumeGuid?: boolean;
  /** create --copy-from: the tree to place in the new volume; every check on it happens in the planner. */
  readonly files?: FileTree;
  /** exFAT and FAT32 (create --max-size): the largest partition (bytes) the volume may later grow to; its FAT (and
   *  default cluster size) is planned for that size. undefined: for the partition as it is. */
  readonly maxVolumeBytes?: number;
}

/** A formatter's output, in write order groups; offsets relative to the partition start, sector aligned. */
export interface FsChunks {
  /** Everything the boot sectors point to. Pulled lazily: a body may be gigabytes of (mostly zero) chunks. */
  body(): Iterable<Chunk>;
  /** Copied files' data (create --copy-from), written in the body step after body(): in ContentRef.order, the order
   *  a tar.gz source can deliver it. Absent when the volume is created empty. */
  files?(): Iterable<ContentChunk>;
  /** Backup boot sector(s)/region, written before the main one. */
  bootBackup(): Iterable<Chunk>;
  /** Main boot sector/region: written last, so a volume is recognised only once it is complete. */
  boot(): Iterable<Chunk>;
}
