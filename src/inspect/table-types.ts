// What the table readers hand to inspectDisk: the table report, the partitions found (before their filesystems
// are probed), and the findings.
import type { InspectFinding, PartitionReport, TableReport } from './report.js';

/** A partition as a table reader finds it: the table's own fields of a PartitionReport, before inspectDisk adds
 *  byte offsets, alignment and the filesystem. */
export type FoundPartition = Pick<
  PartitionReport,
  'number' | 'startLba' | 'sizeLba' | 'type' | 'guid' | 'name' | 'attributes' | 'active' | 'logical' | 'extended'
>;

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
