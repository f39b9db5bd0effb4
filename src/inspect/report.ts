// What `inspectDisk` and `verifyDisk` return: plain JSON (no classes, bigint or byte arrays), the schema of
// `guestdisk inspect --json` and `guestdisk verify --json`. Field names are stable: docs/inspect.md lists them.
import type { LogicalSectorSize } from '../disk-types.js';
import type { InspectFinding } from './finding-codes.js';

export type { FindingCode, InspectFinding } from './finding-codes.js';

export const INSPECT_SCHEMA = 'guestdisk-inspect/1';
export const VERIFY_SCHEMA = 'guestdisk-verify/1';

/** What every filesystem report says about its geometry (NtfsReport, ExfatReport, FatReport extend it). */
export interface VolumeGeometryReport {
  readonly bytesPerSector: number;
  readonly clusterSize: number;
  readonly clusterCount: number;
  /** The volume's own idea of its size, from its boot sector. */
  readonly volumeSizeBytes: number;
  readonly partitionSizeBytes: number;
}

/** How the logical sector size was chosen: given (--sector-size), from the kernel, read off the disk, assumed. */
export type SectorSizeSource = 'option' | 'device' | 'detected' | 'default' | 'target';

export interface GptHeaderReport {
  /** Where this copy was looked for. */
  readonly lba: number;
  /** "EFI PART" found there. */
  readonly found: boolean;
  readonly headerCrcOk: boolean | null;
  readonly entriesCrcOk: boolean | null;
  /** Signature, CRCs and bounds all fine: a reader may use this copy. */
  readonly valid: boolean;
  readonly myLba: number | null;
  readonly alternateLba: number | null;
  readonly firstUsableLba: number | null;
  readonly lastUsableLba: number | null;
  readonly diskGuid: string | null;
  readonly partitionEntryLba: number | null;
  readonly numberOfPartitionEntries: number | null;
  readonly sizeOfPartitionEntry: number | null;
  readonly headerCrc32: string | null;
  readonly partitionEntryArrayCrc32: string | null;
}

export interface ProtectiveMbrReport {
  /** 0x55AA present. */
  readonly bootSignatureOk: boolean;
  /** A 0xEE record was found. */
  readonly present: boolean;
  readonly startingLba: number | null;
  readonly sizeInLba: number | null;
  /** Other non-empty records beside the 0xEE one (a "hybrid MBR"). */
  readonly otherRecords: number;
}

export interface GptTableReport {
  readonly kind: 'gpt';
  /** Which copy the partitions were read from; 'backup' means the primary is damaged. */
  readonly source: 'primary' | 'backup';
  /** From the copy used (null when no header could be decoded at all). */
  readonly diskGuid: string | null;
  readonly firstUsableLba: number | null;
  readonly lastUsableLba: number | null;
  readonly entryCount: number | null;
  readonly entrySize: number | null;
  readonly primaryHeader: GptHeaderReport;
  readonly backupHeader: GptHeaderReport;
  readonly protectiveMbr: ProtectiveMbrReport;
}

export interface MbrTableReport {
  readonly kind: 'mbr';
  /** uniqueMbrDiskSignature as 8 hex digits (`0x40640928`), how Windows identifies an MBR disk. */
  readonly diskSignature: string;
  /** Logical partitions found through the extended partition's EBR chain. */
  readonly logicalPartitionCount: number;
}

export interface NoTableReport {
  readonly kind: 'none';
}

export type TableReport = GptTableReport | MbrTableReport | NoTableReport;

export interface PartitionTypeReport {
  /** Human name ("Microsoft basic data", "HPFS/NTFS/exFAT"), or null when unknown. */
  readonly name: string | null;
  /** GPT partition type GUID (GPT disks). */
  readonly guid: string | null;
  /** MBR type byte (MBR disks). */
  readonly mbrType: number | null;
}

export interface GptAttributesReport {
  /** The 64-bit attribute field as 16 hex digits (`0x8000000000000000`). */
  readonly value: string;
  readonly platformRequired: boolean; // bit 0
  readonly readOnly: boolean; // bit 60
  readonly shadowCopy: boolean; // bit 61
  readonly hidden: boolean; // bit 62
  readonly noDriveLetter: boolean; // bit 63
}

export type FilesystemType =
  | 'ntfs' | 'exfat' | 'fat12' | 'fat16' | 'fat32' | 'refs' | 'bitlocker'
  | 'ext2/3/4' | 'xfs' | 'btrfs' | 'swap' | 'luks' | 'lvm2';

export interface FilesystemReport {
  /** The filesystem found by signature, or null when none was recognised. */
  readonly type: FilesystemType | null;
  /** Every signature that matched (more than one: stale signatures a tool such as wipefs would complain about). */
  readonly signatures: readonly string[];
  /** Volume label when the filesystem's header was decoded (NTFS $Volume name, exFAT label entry, FAT label). */
  readonly label: string | null;
  /** The filesystem header decoded by the filesystem's inspector (NTFS, exFAT, FAT12/16/32), else null. */
  readonly details: FsDetails | null;
}

export interface NtfsReport extends VolumeGeometryReport {
  readonly type: 'ntfs';
  /** $Volume's $VOLUME_NAME ('' when empty); null when $Volume could not be read. */
  readonly label: string | null;
  /** 64-bit serial number, 16 lower-case hex digits (as NtfsPlan.serial). */
  readonly serial: string;
  /** $VOLUME_INFORMATION "major.minor"; null when unreadable. */
  readonly version: string | null;
  readonly dirty: boolean;
  readonly mftLcn: number;
  readonly mftMirrLcn: number;
  readonly mftRecordSize: number;
  readonly indexRecordSize: number;
  readonly hiddenSectors: number;
  /** Which boot sector the values come from. */
  readonly bootSectorSource: 'main' | 'backup';
}

export interface ExfatReport extends VolumeGeometryReport {
  readonly type: 'exfat';
  /** The first in-use Volume Label entry's text; null when there is none (Windows' unused 0x03 entry: no label). */
  readonly label: string | null;
  /** VolumeSerialNumber, 8 lower-case hex digits. */
  readonly serial: string;
  /** The Volume GUID entry's GUID (optional; Windows' format writes none); null when the root has none. */
  readonly volumeGuid: string | null;
  /** PartitionOffset, in sectors (0: "ignore"). */
  readonly partitionOffset: number;
  readonly percentInUse: number;
  readonly volumeFlags: number;
  /** The main boot region was unusable and the values come from the backup (sectors 12–23). */
  readonly usedBackupBootRegion: boolean;
}

export type FatType = 'fat12' | 'fat16' | 'fat32';

export interface FatReport extends VolumeGeometryReport {
  /** By cluster count, as fatgen103 says (never by the type string). */
  readonly type: FatType;
  /** BS_VolLab without padding; null for "NO NAME" or a boot sector without the extended fields. */
  readonly label: string | null;
  /** The root directory's volume label entry (what Windows shows), without padding; null when there is none. */
  readonly rootLabel: string | null;
  /** BS_VolID as 0x-prefixed hex; null without the extended boot signature. */
  readonly volumeId: string | null;
  readonly oemName: string;
  readonly reservedSectors: number;
  readonly fatCount: number;
  readonly fatSizeSectors: number;
  readonly dataStartLba: number;
  readonly hiddenSectors: number;
  /** FAT32 FSInfo; null on FAT12/16 or when FSInfo is unreadable. 0xFFFFFFFF means "unknown". */
  readonly freeCount: number | null;
  readonly nextFree: number | null;
  /** Free clusters counted in FAT 1 (FAT32 with FATs up to 64 MiB); null when not counted. */
  readonly freeCountActual: number | null;
}

/** What a filesystem inspector decodes, by filesystem (`type` tells them apart). */
export type FsDetails = NtfsReport | ExfatReport | FatReport;

export interface PartitionReport {
  /** 1-based: the GPT entry index, or the MBR slot (1–4) and 5… for logical partitions. */
  readonly number: number;
  readonly startLba: number;
  /** Inclusive, as in the GPT. */
  readonly endLba: number;
  readonly sizeLba: number;
  readonly offsetBytes: number;
  readonly sizeBytes: number;
  /** Exclusive: offsetBytes + sizeBytes. */
  readonly endOffsetBytes: number;
  /** Starts on a 1 MiB boundary (what Windows and parted do). */
  readonly aligned1MiB: boolean;
  /** Largest power of two (up to 1 GiB) dividing the start offset. */
  readonly alignmentBytes: number;
  readonly type: PartitionTypeReport;
  /** GPT unique partition GUID; null on MBR. */
  readonly guid: string | null;
  /** GPT partition name; null on MBR. */
  readonly name: string | null;
  /** GPT attributes; null on MBR. */
  readonly attributes: GptAttributesReport | null;
  /** MBR boot indicator 0x80; null on GPT. */
  readonly active: boolean | null;
  /** MBR logical partition inside the extended partition. */
  readonly logical: boolean;
  /** Extended partition container (MBR 0x05/0x0F): holds EBRs, no filesystem. */
  readonly extended: boolean;
  readonly filesystem: FilesystemReport | null;
}

export interface DiskReport {
  readonly schema: typeof INSPECT_SCHEMA;
  readonly target: string;
  readonly sizeBytes: number;
  readonly sizeLba: number;
  readonly logicalSectorSize: LogicalSectorSize;
  readonly physicalSectorSize: number;
  readonly sectorSizeSource: SectorSizeSource;
  readonly table: TableReport;
  readonly partitions: readonly PartitionReport[];
  /** A filesystem on the whole device (no partition table: "superfloppy"), else null. */
  readonly wholeDiskFilesystem: FilesystemReport | null;
  readonly findings: readonly InspectFinding[];
}

export interface VerifyExpectations {
  readonly table?: 'gpt' | 'mbr';
  readonly fs?: 'ntfs' | 'exfat' | 'fat32';
  readonly label?: string;
}

export interface VerifyReport {
  readonly schema: typeof VERIFY_SCHEMA;
  readonly target: string;
  /** No error findings. */
  readonly ok: boolean;
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
  readonly expectations: VerifyExpectations;
  readonly findings: readonly InspectFinding[];
}
