// `inspectDisk`: reads a disk through a BlockTarget (never writes) and describes its partition table, partitions
// and filesystems as plain JSON, with every finding the decoders make along the way.
import { assertBlockTarget, type BlockTarget } from '../target/block-target.js';
import { reportFinding } from './finding-codes.js';
import { alignmentOf, checkMbrTypeFits, checkPartitions, isWindowsSystemPartition, ONE_MIB } from './partition-checks.js';
import { readPartitionTable } from './partition-table.js';
import { INSPECT_SCHEMA, type DiskReport, type FilesystemReport, type InspectFinding, type PartitionReport, type SectorSizeSource } from './report.js';
import { WINDOWS_VOLUME_TYPES } from './signatures.js';
import type { DiskGeometry, FoundPartition } from './table-types.js';
import { probeVolume } from './volume.js';

/** Windows handles 128 GPT partitions; more is hostile or broken input, and each probe reads 64 KiB. */
const MAX_PROBED_PARTITIONS = 128;

export interface InspectOptions {
  /** How the target's logical sector size was chosen, for the report (default 'target'). */
  readonly sectorSizeSource?: SectorSizeSource;
  /** The image file's real size, when the target dropped a partial last sector. */
  readonly sourceSizeBytes?: number;
  /**
   * Walk every filesystem's whole volume (verify) instead of reading its structures only (default false: inspect
   * reads boot sectors, tables and system files, so it stays fast on a volume of any size).
   */
  readonly wholeVolume?: boolean;
}

export async function inspectDisk(target: BlockTarget, options: InspectOptions = {}): Promise<DiskReport> {
  assertBlockTarget(target, 'inspectDisk');
  const s = target.logicalSectorSize;
  const g: DiskGeometry = { sectorSize: s, sizeLba: Math.floor(target.sizeBytes / s) };
  const findings: InspectFinding[] = [];
  const sourceSize = options.sourceSizeBytes ?? target.sizeBytes;
  if (sourceSize % s !== 0) {
    findings.push(reportFinding('DISK_SIZE_NOT_SECTOR_MULTIPLE', { structure: 'Disk', expected: `a multiple of ${s}`, actual: `${sourceSize} bytes`, message: `the image is ${sourceSize} bytes, not a whole number of ${s}-byte sectors` }));
  }
  const read = await readPartitionTable(target, g);
  findings.push(...read.findings, ...checkPartitions(read.partitions, g));

  const partitions: PartitionReport[] = [];
  if (read.partitions.length > MAX_PROBED_PARTITIONS) {
    findings.push(reportFinding('TOO_MANY_PARTITIONS', { structure: 'PartitionTable', expected: `≤ ${MAX_PROBED_PARTITIONS}`, actual: `${read.partitions.length}`, message: `${read.partitions.length} partitions; filesystems probed in the first ${MAX_PROBED_PARTITIONS} only` }));
  }
  for (const [index, p] of read.partitions.entries()) {
    const filesystem = index < MAX_PROBED_PARTITIONS ? await probePartition(target, g, p, findings, options.wholeVolume ?? false) : null;
    const offsetBytes = p.startLba * s;
    const sizeBytes = p.sizeLba * s;
    partitions.push({
      number: p.number,
      startLba: p.startLba,
      endLba: p.startLba + p.sizeLba - 1,
      sizeLba: p.sizeLba,
      offsetBytes,
      sizeBytes,
      endOffsetBytes: offsetBytes + sizeBytes,
      aligned1MiB: offsetBytes % ONE_MIB === 0,
      alignmentBytes: alignmentOf(offsetBytes),
      type: p.type,
      guid: p.guid,
      name: p.name,
      attributes: p.attributes,
      active: p.active,
      logical: p.logical,
      extended: p.extended,
      filesystem,
    });
  }

  let wholeDiskFilesystem: FilesystemReport | null = null;
  if (g.sizeLba === 0) {
    findings.unshift(reportFinding('NO_PARTITION_TABLE', { structure: 'Disk', offsetBytes: 0, expected: 'GPT or MBR', actual: `${sourceSize} bytes`, message: `the disk holds ${sourceSize} bytes, less than one sector` }));
  } else if (read.table.kind === 'none') {
    const whole = await probeVolume(target, 0, g.sizeLba * s, { partitionStartLba: null, partitionSizeBytes: g.sizeLba * s, wholeVolume: options.wholeVolume ?? false });
    findings.push(...whole.findings);
    if (whole.report.type !== null) wholeDiskFilesystem = whole.report;
    if (whole.report.type !== null && WINDOWS_VOLUME_TYPES.includes(whole.report.type)) {
      findings.unshift(reportFinding('SUPERFLOPPY', { structure: 'Disk', lba: 0, offsetBytes: 0, expected: 'a partition table', actual: `${whole.report.type} on the whole device`, message: `no partition table: a ${whole.report.type} filesystem starts at sector 0 (a "superfloppy")` }));
    } else if (!read.findings.some((f) => f.severity === 'error')) {
      findings.unshift(reportFinding('NO_PARTITION_TABLE', { structure: 'Disk', lba: 0, offsetBytes: 0, expected: 'GPT or MBR', actual: whole.report.type ?? 'nothing recognised', message: 'no partition table (no GPT, no MBR signature 0x55AA)' }));
    }
  } else if (read.partitions.filter((p) => !p.extended).length === 0 && !read.findings.some((f) => f.severity === 'error')) {
    findings.push(reportFinding('NO_PARTITIONS', { structure: 'PartitionTable', lba: 0, message: `the ${read.table.kind.toUpperCase()} lists no partitions` }));
  }

  return {
    schema: INSPECT_SCHEMA,
    target: target.description,
    sizeBytes: target.sizeBytes,
    sizeLba: g.sizeLba,
    logicalSectorSize: s,
    physicalSectorSize: target.physicalSectorSize,
    sectorSizeSource: options.sectorSizeSource ?? 'target',
    table: read.table,
    partitions,
    wholeDiskFilesystem,
    findings,
  };
}

async function probePartition(target: BlockTarget, g: DiskGeometry, p: FoundPartition, findings: InspectFinding[], wholeVolume: boolean): Promise<FilesystemReport | null> {
  if (p.extended || p.startLba >= g.sizeLba) return null;
  // A partition running past the end is already a finding; its filesystem is read as far as the disk goes.
  const sizeLba = Math.min(p.sizeLba, g.sizeLba - p.startLba);
  const probe = await probeVolume(target, p.startLba * g.sectorSize, sizeLba * g.sectorSize, {
    partition: p.number,
    systemPartition: isWindowsSystemPartition(p), // an empty MSR is normal, not a RAW volume
    partitionStartLba: p.startLba,
    partitionSizeBytes: sizeLba * g.sectorSize,
    wholeVolume,
  });
  findings.push(...probe.findings, ...checkMbrTypeFits(p, probe.report));
  return probe.report;
}
