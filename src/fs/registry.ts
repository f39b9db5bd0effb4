// The filesystems planDisk and writeDisk know, behind one interface. Each filesystem is pure: `plan` decides
// geometry from the partition, `format` turns the plan into chunks relative to the partition's first byte.
import { GuestdiskError } from '../errors.js';
import type { FileTree } from '../plan/file-tree.js';
import type { Chunk, ContentChunk, LogicalSectorSize } from '../plan/layout.js';
import { planNtfs, formatNtfs, type NtfsPlan } from './ntfs/index.js';
import { planExfat, formatExfat, type ExfatPlan } from './exfat/index.js';
import { planFat32, formatFat32, type Fat32Plan } from './fat32/index.js';

export type FsPlan = NtfsPlan | ExfatPlan | Fat32Plan;
export type FormattableFs = FsPlan['kind'];

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
  /** For identities (serial numbers, GUIDs) through plan/identity.ts. */
  readonly seed: string;
  /** Unix seconds, for every timestamp the volume stores. */
  readonly timestamp: number;
  /** exFAT: write the optional Volume GUID directory entry (DiskSpec.exfatVolumeGuid). Ignored by the others. */
  readonly exfatVolumeGuid?: boolean;
  /** create --copy-from: the tree to place in the new volume; every check on it happens in the planner. */
  readonly files?: FileTree;
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

export function planFilesystem(kind: FormattableFs, input: FsPlanInput): FsPlan {
  switch (kind) {
    case 'ntfs':
      return planNtfs(input);
    case 'exfat':
      return planExfat(input);
    case 'fat32':
      return planFat32(input);
    default: {
      const never: never = kind;
      throw new GuestdiskError('INVALID_SPEC', `unknown filesystem ${String(never)}`);
    }
  }
}

export function formatFilesystem(plan: FsPlan): FsChunks {
  switch (plan.kind) {
    case 'ntfs':
      return formatNtfs(plan);
    case 'exfat':
      return formatExfat(plan);
    case 'fat32':
      return formatFat32(plan);
    default: {
      const never: never = plan;
      throw new GuestdiskError('INVALID_SPEC', `unknown filesystem ${String((never as FsPlan).kind)}`);
    }
  }
}
