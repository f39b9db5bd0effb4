// What the table readers hand to inspectDisk: the table report, the partitions found (before their filesystems
// are probed), and the findings.
import type { GptAttributesReport, InspectFinding, PartitionTypeReport, TableReport } from './report.js';

export interface FoundPartition {
  readonly number: number;
  readonly startLba: number;
  readonly sizeLba: number;
  readonly type: PartitionTypeReport;
  readonly guid: string | null;
  readonly name: string | null;
  readonly attributes: GptAttributesReport | null;
  readonly active: boolean | null;
  readonly logical: boolean;
  readonly extended: boolean;
}

export interface TableRead {
  readonly table: TableReport;
  readonly partitions: readonly FoundPartition[];
  readonly findings: readonly InspectFinding[];
}

/** The disk as the table readers see it. */
export interface DiskGeometry {
  readonly sectorSize: number;
  /** Whole logical sectors on the disk. */
  readonly sizeLba: number;
}

/** Largest MBR/EBR and GPT entry counts we walk: bounds memory and time on hostile input. */
export const MAX_GPT_ENTRY_ARRAY_BYTES = 1024 * 1024;
export const MAX_LOGICAL_PARTITIONS = 128;
