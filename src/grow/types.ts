// The grow plan: what `planGrow` decided, as plain JSON (printed by --dry-run, compared in tests), plus the source
// it was planned from (the few sectors and records read off the disk, which the writer patches).
import type { LogicalSectorSize, TableKind } from '../plan/layout.js';
import type { NtfsGrowPlan, NtfsGrowSource } from '../fs/ntfs/grow.js';
import type { Fat32GrowPlan, Fat32GrowSource } from '../fs/fat32/grow.js';
import type { ExfatGrowPlan, ExfatGrowSource } from '../fs/exfat/grow.js';

export type GrowStepKind =
  | 'gpt-backup' // backup entry array + backup header at the new end, one write
  | 'gpt-primary' // primary header + entry array (LBA 1 onwards), one write when they touch
  | 'gpt-primary-entries'
  | 'gpt-primary-header'
  | 'mbr' // sector 0: the protective MBR's size, or the classic record's size and CHS end
  | 'ntfs-bitmap' // the new $Bitmap, written into clusters nothing uses yet
  | 'ntfs-old-boot-copy' // the old boot sector, copied to the partition's new last sector before the partition grows
  | 'ntfs-backup-boot' // the boot sector copy in the partition's new last sector
  | 'ntfs-records' // MFT records 6 ($Bitmap) to 8 ($BadClus), one write
  | 'ntfs-record-6'
  | 'ntfs-record-8'
  | 'ntfs-mirror-6' // $MFTMirr's copies, when it is long enough to hold records 6 and 8
  | 'ntfs-mirror-8'
  | 'ntfs-boot' // the boot sector: the commit of the grown volume
  | 'ntfs-commit' // boot sector and records 6–8 in one write, when they lie close: the commit
  | 'fat32-fat-tail' // a FAT copy's sector holding the first new entry, the new entries zeroed (only if they were not)
  | 'fat32-fat-zero' // the rest of that FAT copy's new entries, zeroed
  | 'fat32-commit' // boot sector, FSInfo and their backups (the reserved sectors 0 … backup FSInfo), one write: the commit
  | 'exfat-bitmap-chain' // FAT entries chaining the new allocation bitmap's clusters (free in the old volume)
  | 'exfat-bitmap' // the new allocation bitmap, into clusters the old volume leaves free
  | 'exfat-fat-tail' // FAT entries past the old cluster count (and the FAT's new sectors) set free
  | 'exfat-bitmap-entry' // the root directory sector holding the bitmap's entry: new first cluster and length
  | 'exfat-backup-boot' // backup boot region (sectors 12–23) with the new size and its checksum
  | 'exfat-boot' // main boot region (sectors 0–11), one write: the commit of the grown volume
  | 'flush';

/** One write (or barrier); its bytes are made at write time from the plan and its source. */
export interface GrowStep {
  readonly kind: GrowStepKind;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  readonly description: string;
}

export interface GptGrowTable {
  readonly kind: 'gpt';
  readonly before: { readonly lastUsableLba: number; readonly backupHeaderLba: number; readonly backupEntriesLba: number };
  readonly after: { readonly lastUsableLba: number; readonly backupHeaderLba: number; readonly backupEntriesLba: number };
  readonly primaryEntriesLba: number;
  readonly entryArrayLba: number;
  /** Index of the grown entry in the entry array. */
  readonly entryIndex: number;
  /** The protective MBR's 0xEE size in sectors after the grow. */
  readonly protectiveSizeLba: number;
}

export interface MbrGrowTable {
  readonly kind: 'mbr';
  /** Slot (0–3) of the grown record in sector 0. */
  readonly slot: number;
}

export type GrowTable = GptGrowTable | MbrGrowTable;

export interface GrowPartition {
  readonly number: number;
  readonly startLba: number;
  readonly before: { readonly sizeLba: number; readonly endLba: number };
  readonly after: { readonly sizeLba: number; readonly endLba: number };
}

export interface GrowPlan {
  readonly version: 1;
  readonly logicalSectorSize: LogicalSectorSize;
  readonly disk: { readonly beforeBytes: number; readonly afterBytes: number };
  readonly tableKind: TableKind;
  /** Null when the table already describes the grown partition (a grow resumed after an interruption). */
  readonly table: GrowTable | null;
  readonly partition: GrowPartition;
  readonly filesystem: NtfsGrowPlan | ExfatGrowPlan | Fat32GrowPlan | null;
  readonly steps: readonly GrowStep[];
  readonly notes: readonly string[];
}

/** What was read off the disk to plan the grow: small and bounded (sectors and records, never a bitmap). */
export interface GrowSource {
  readonly logicalSectorSize: LogicalSectorSize;
  /** The disk's size as read (an image file before it is extended; a device at its kernel size). */
  readonly sizeBytes: number;
  readonly table: GptSource | MbrSource;
  readonly partition: { readonly number: number; readonly startLba: number; readonly sizeLba: number };
  readonly filesystem: NtfsGrowSource | ExfatGrowSource | Fat32GrowSource | { readonly kind: 'fat16' | 'fat12' | 'other' | 'none'; readonly name: string };
}

export interface GptSource {
  readonly kind: 'gpt';
  /** Sector 0 (the protective MBR), as read. */
  readonly sector0: Uint8Array;
  readonly primaryHeaderBytes: Uint8Array;
  readonly entries: Uint8Array;
  readonly entryIndex: number;
}

export interface MbrSource {
  readonly kind: 'mbr';
  readonly sector0: Uint8Array;
  readonly slot: number;
}
