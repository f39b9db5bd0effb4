// The Layout: everything `planDisk` decided, as plain JSON (no classes, bigint or byte arrays), so it can be
// printed, stored, compared and handed to `writeDisk` later.
import type { FsPlan } from '../fs/registry.js';
import type { Chunk, FsKind, Geometry, LogicalSectorSize, TableKind } from '../disk-types.js';
import type { GptTablePlan, MbrTablePlan, PartitionPlan, TablePlan } from '../partition/table-plan.js';

export type { Chunk, FsKind, Geometry, LogicalSectorSize, TableKind, GptTablePlan, MbrTablePlan, PartitionPlan, TablePlan };

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
