// planDisk: the pure step that decides and validates everything before a target is opened for writing.
import { GuestdiskError } from '../errors.js';
import { formatFilesystem, planFilesystem, type FsPlan } from '../fs/registry.js';
import { GPT_ENTRY_SIZE } from '../partition/gpt-entry.js';
import { GPT_ENTRY_ARRAY_BYTES, GPT_ENTRY_COUNT } from '../partition/gpt.js';
import { GPT_TYPE_BASIC_DATA, MBR_TYPE, WINDOWS_BASIC_DATA_NAME } from '../partition/gpt-types.js';
import { alignDown, alignmentLba, MIB, sizeLba, validateGeometry } from './geometry.js';
import { deriveGuid, deriveU32 } from '../binary/identity.js';
import type { Geometry } from '../disk-types.js';
import type { GptTablePlan, PartitionPlan, TablePlan } from '../partition/table-plan.js';
import type { Layout, Step } from './layout.js';
import { parseTableKind, validateSpec, type DiskSpec } from './spec.js';

/** MBR partition records hold 32-bit LBAs. */
const MBR_MAX_LBA = 0xffffffff;

export function planDisk(spec: DiskSpec, geometry: Geometry): Layout {
  validateSpec(spec);
  validateGeometry(geometry);
  const table = planTable(spec, geometry);
  const partition = planPartition(spec, geometry, table);
  const s = geometry.logicalSectorSize;
  const filesystem =
    spec.fs === 'none'
      ? null
      : planFilesystem(spec.fs, {
          partitionStartLba: partition.startLba,
          partitionSizeBytes: partition.sizeLba * s,
          logicalSectorSize: s,
          physicalSectorSize: geometry.physicalSectorSize,
          label: spec.label,
          clusterSize: spec.clusterSize,
          seed: spec.seed,
          timestamp: spec.timestamp,
          exfatVolumeGuid: spec.exfatVolumeGuid,
          ...(spec.files !== undefined ? { files: spec.files } : {}),
          ...(spec.maxSize !== undefined ? { maxVolumeBytes: maxPartitionBytes(spec, geometry) } : {}),
        });
  if (filesystem && filesystem.volumeSizeBytes > partition.sizeLba * s) {
    throw new GuestdiskError('INVALID_SPEC', `internal: ${filesystem.kind} volume (${filesystem.volumeSizeBytes} bytes) is larger than its partition`);
  }
  const notes = filesystemNotes(filesystem);
  return {
    version: 1,
    geometry: { sizeBytes: geometry.sizeBytes, logicalSectorSize: s, physicalSectorSize: geometry.physicalSectorSize },
    table,
    partitions: [partition],
    filesystem,
    seed: spec.seed,
    timestamp: spec.timestamp,
    steps: planSteps(geometry, table, partition, filesystem !== null),
    notes,
  };
}

/** create --max-size: the partition a disk of that size would hold (where a later grow ends it). */
function maxPartitionBytes(spec: DiskSpec, g: Geometry): number {
  const maxSize = spec.maxSize!;
  const s = g.logicalSectorSize;
  if (maxSize < g.sizeBytes) {
    throw new GuestdiskError('INVALID_SPEC', `--max-size ${maxSize} is smaller than the disk (${g.sizeBytes} bytes): give the size the disk may grow to, at least its size now`, { maxSize, sizeBytes: g.sizeBytes });
  }
  const grown: Geometry = { ...g, sizeBytes: maxSize - (maxSize % s) };
  if (spec.table === 'mbr' && grown.sizeBytes > (MBR_MAX_LBA + 1) * s) {
    const limit = (MBR_MAX_LBA + 1) * s;
    throw new GuestdiskError('INVALID_SPEC', `--max-size ${maxSize}: an MBR partition cannot end past sector 2^32, so an MBR disk never grows past ${limit} bytes with ${s}-byte sectors: use at most that, or --table gpt`, { maxSize, limitBytes: limit });
  }
  return planPartition(spec, grown, planTable(spec, grown)).sizeLba * s;
}

function filesystemNotes(fs: FsPlan | null): string[] {
  if (!fs) return [];
  const notes = (fs as { notes?: unknown }).notes;
  return Array.isArray(notes) ? notes.filter((n): n is string => typeof n === 'string') : [];
}

function planTable(spec: DiskSpec, g: Geometry): TablePlan {
  if (spec.table === 'mbr') return { kind: 'mbr', diskSignature: deriveU32(spec.seed, 'mbr-disk-signature') };
  const s = g.logicalSectorSize;
  const entrySectors = GPT_ENTRY_ARRAY_BYTES / s;
  const lastLba = sizeLba(g) - 1;
  const minimumLba = 2 + 2 * entrySectors + 1;
  if (lastLba < minimumLba) throw tooSmall(g, spec);
  const gpt: GptTablePlan = {
    kind: 'gpt',
    diskGuid: deriveGuid(spec.seed, 'disk-guid'),
    entryCount: GPT_ENTRY_COUNT,
    entrySize: GPT_ENTRY_SIZE,
    primaryHeaderLba: 1,
    primaryEntriesLba: 2,
    firstUsableLba: 2 + entrySectors, // 34 with 512-byte sectors, 6 with 4096
    lastUsableLba: lastLba - entrySectors - 1, // last LBA − 33 / − 5
    backupEntriesLba: lastLba - entrySectors,
    backupHeaderLba: lastLba,
  };
  return gpt;
}

/** The smallest disk that holds a 1 MiB-aligned partition of 1 MiB, and the table around it. */
export function minimumDiskBytes(table: 'gpt' | 'mbr', logicalSectorSize: number): number {
  parseTableKind(table);
  if (logicalSectorSize !== 512 && logicalSectorSize !== 4096) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `logical sector size ${String(logicalSectorSize)} is not supported: use 512 or 4096`);
  }
  // MBR: 1 MiB before the partition, 1 MiB of partition. GPT: the same plus the backup entry array and header.
  return table === 'gpt' ? 2 * MIB + GPT_ENTRY_ARRAY_BYTES + logicalSectorSize : 2 * MIB;
}

function tooSmall(g: Geometry, spec: DiskSpec): GuestdiskError {
  const min = minimumDiskBytes(spec.table, g.logicalSectorSize);
  return new GuestdiskError('TARGET_TOO_SMALL', `disk of ${g.sizeBytes} bytes is too small for a 1 MiB-aligned ${spec.table.toUpperCase()} partition: it needs at least ${min} bytes with ${g.logicalSectorSize}-byte sectors`, {
    sizeBytes: g.sizeBytes,
    minimumBytes: min,
  });
}

function planPartition(spec: DiskSpec, g: Geometry, table: TablePlan): PartitionPlan {
  const align = alignmentLba(g);
  const startLba = align; // 1 MiB
  const endExclusive =
    table.kind === 'gpt' ? alignDown(table.lastUsableLba + 1, align) : alignDown(sizeLba(g), align);
  const size = endExclusive - startLba;
  if (size < align) throw tooSmall(g, spec);
  if (table.kind === 'mbr') {
    if (startLba + size - 1 > MBR_MAX_LBA || size > MBR_MAX_LBA) {
      const limit = (MBR_MAX_LBA + 1) * g.logicalSectorSize;
      throw new GuestdiskError('INVALID_SPEC', `an MBR partition cannot end past sector 2^32 (${limit / 2 ** 40} TiB with ${g.logicalSectorSize}-byte sectors); this disk is ${g.sizeBytes} bytes: use --table gpt`, {
        sizeBytes: g.sizeBytes,
        limitBytes: limit,
      });
    }
    return {
      number: 1,
      startLba,
      sizeLba: size,
      typeGuid: null,
      mbrType: spec.fs === 'fat32' ? MBR_TYPE.FAT32_LBA : MBR_TYPE.NTFS_EXFAT,
      guid: null,
      name: null,
      attributes: 0,
    };
  }
  return {
    number: 1,
    startLba,
    sizeLba: size,
    typeGuid: GPT_TYPE_BASIC_DATA,
    mbrType: null,
    guid: deriveGuid(spec.seed, 'partition-guid/1'),
    name: spec.partitionName ?? WINDOWS_BASIC_DATA_NAME,
    attributes: 0, // never 60/62/63: they hide the volume from Windows
  };
}

/**
 * The write order (STYLE.md §4). Stopped after any step — or crashed with a write cache that reorders writes
 * between flushes — the disk shows no partition table until the last write (the MBR's 0x55AA), and never a table
 * over a filesystem that is not complete:
 *  1. wipe the disk head (old MBR/GPT, old boot sectors in the partition's first MiB); flush. The head holds the
 *     old commit record, so it goes first and alone: a cache may not keep the tail wipe and lose this one, or an
 *     old table would stand over an old filesystem whose backup boot sector is already gone.
 *  2. wipe the disk tail (old backup GPT, old backup boot sectors); flush.
 *  3. filesystem body; flush. Then its backup boot sector and its main boot sector; flush. A volume is recognised
 *     by its boot sector, so that appears only once everything it points to is on disk.
 *  4. GPT backup (entries, header), then primary (entries, header); flush. No table piece may reach the disk
 *     before the filesystem is complete: some readers take a GPT even without its protective MBR.
 *  5. MBR (protective or classic): the commit record; flush.
 */
function planSteps(g: Geometry, table: TablePlan, p: PartitionPlan, hasFs: boolean): Step[] {
  const s = g.logicalSectorSize;
  const steps: Step[] = [];
  const flush = (description: string): void => {
    steps.push({ kind: 'flush', offsetBytes: 0, lengthBytes: 0, description });
  };
  const pStart = p.startLba * s;
  const pEnd = (p.startLba + p.sizeLba) * s;
  const headEnd = Math.min(pStart + MIB, pEnd);
  steps.push({ kind: 'wipe', offsetBytes: 0, lengthBytes: headEnd, description: 'zero the disk head: old tables, old boot sectors' });
  flush('flush the head wipe: the old commit record is gone before anything else changes');
  const tailStart = Math.max(headEnd, Math.min(pEnd - MIB, g.sizeBytes - MIB));
  if (tailStart < g.sizeBytes) {
    steps.push({ kind: 'wipe', offsetBytes: tailStart, lengthBytes: g.sizeBytes - tailStart, description: 'zero the disk tail: old backup GPT and backup boot sectors' });
    flush('flush the tail wipe');
  }
  if (hasFs) {
    const range = { offsetBytes: pStart, lengthBytes: pEnd - pStart };
    steps.push({ kind: 'fs-body', ...range, description: 'filesystem structures' });
    flush('flush the filesystem body before its boot sectors');
    steps.push({ kind: 'fs-boot-backup', ...range, description: 'filesystem backup boot sector' });
    steps.push({ kind: 'fs-boot', ...range, description: 'filesystem boot sector' });
    flush('flush the filesystem before any partition table');
  }
  if (table.kind === 'gpt') {
    const entriesBytes = table.entryCount * table.entrySize;
    steps.push({ kind: 'gpt-backup-entries', offsetBytes: table.backupEntriesLba * s, lengthBytes: entriesBytes, description: 'backup GPT entry array' });
    steps.push({ kind: 'gpt-backup-header', offsetBytes: table.backupHeaderLba * s, lengthBytes: s, description: 'backup GPT header' });
    steps.push({ kind: 'gpt-primary-entries', offsetBytes: table.primaryEntriesLba * s, lengthBytes: entriesBytes, description: 'primary GPT entry array' });
    steps.push({ kind: 'gpt-primary-header', offsetBytes: table.primaryHeaderLba * s, lengthBytes: s, description: 'primary GPT header' });
    flush('flush the GPT before the commit record');
  }
  steps.push({ kind: 'mbr', offsetBytes: 0, lengthBytes: s, description: table.kind === 'gpt' ? 'protective MBR' : 'MBR' });
  flush('final flush');
  return steps;
}

export { formatFilesystem };
