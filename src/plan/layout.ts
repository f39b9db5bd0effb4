// The Layout: everything `planDisk` decided, as plain JSON (no classes, bigint or byte arrays), so it can be
// printed, stored, compared and handed to `writeDisk` later.
import type { FsPlan } from '../fs/registry.js';
import type { ContentRef } from './file-tree.js';

export type LogicalSectorSize = 512 | 4096;
export type TableKind = 'gpt' | 'mbr';
export type FsKind = 'none' | 'ntfs' | 'exfat' | 'fat32';

export interface Geometry {
  readonly sizeBytes: number;
  readonly logicalSectorSize: LogicalSectorSize;
  readonly physicalSectorSize: number;
}

/** Bytes to write at a byte offset, or a range that must read back as zeros. Offsets are relative to whoever
 *  produced the chunk (a filesystem's chunks start at its partition; `writeDisk` adds the offset). */
export type Chunk =
  | { readonly offsetBytes: number; readonly bytes: Uint8Array }
  | { readonly offsetBytes: number; readonly zeroBytes: number };

/** A copied file's bytes, which the writer streams from the copy source: `contentBytes` of them, then zeros up to
 *  `lengthBytes` (a whole number of sectors). Offsets as in Chunk. */
export interface ContentChunk {
  readonly offsetBytes: number;
  readonly content: ContentRef;
  readonly contentBytes: number;
  readonly lengthBytes: number;
}

export interface GptTablePlan {
  readonly kind: 'gpt';
  readonly diskGuid: string;
  readonly entryCount: number;
  readonly entrySize: number;
  readonly firstUsableLba: number;
  readonly lastUsableLba: number;
  readonly primaryHeaderLba: number;
  readonly primaryEntriesLba: number;
  readonly backupEntriesLba: number;
  readonly backupHeaderLba: number;
}

export interface MbrTablePlan {
  readonly kind: 'mbr';
  readonly diskSignature: number;
}

export type TablePlan = GptTablePlan | MbrTablePlan;

export interface PartitionPlan {
  readonly number: number;
  readonly startLba: number;
  readonly sizeLba: number;
  /** GPT partition type GUID (gpt) */
  readonly typeGuid: string | null;
  /** MBR partition type byte (mbr) */
  readonly mbrType: number | null;
  readonly guid: string | null;
  readonly name: string | null;
  readonly attributes: number;
}

export type StepKind =
  | 'wipe'
  | 'flush'
  | 'fs-body'
  | 'fs-boot-backup'
  | 'fs-boot'
  | 'gpt-backup-entries'
  | 'gpt-backup-header'
  | 'gpt-primary-entries'
  | 'gpt-primary-header'
  | 'mbr';

/** One write step; its bytes are made by the owning encoder at write time, inside [offsetBytes, +lengthBytes). */
export interface Step {
  readonly kind: StepKind;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  readonly description: string;
}

export interface Layout {
  readonly version: 1;
  readonly geometry: Geometry;
  readonly table: TablePlan;
  readonly partitions: readonly PartitionPlan[];
  readonly filesystem: FsPlan | null;
  readonly seed: string;
  /** Unix seconds. */
  readonly timestamp: number;
  readonly steps: readonly Step[];
  /** Remarks for the user (e.g. "FAT32 above 32 GiB: Windows mounts it but would not create it"). */
  readonly notes: readonly string[];
}
