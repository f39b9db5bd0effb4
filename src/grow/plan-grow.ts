// planGrow: from what was read off the disk (GrowSource) and its new size, everything a grow will change and the
// order of its writes, decided and validated before the first write. Pure: the writer (src/grow/write-grow.ts)
// only carries the steps out.
//
// Write order (docs/grow.md has the evidence), so that an interruption after any write leaves a valid disk, old
// or new:
//   (1) the old boot sector copied into the partition's new last sector, and the new $Bitmap into clusters nothing
//       uses: nothing reads either yet; flush;
//   (2) backup GPT (entry array + header, one write) at the new end; flush; primary GPT (header + entry array, one
//       write when they touch), the protective MBR's size (or the classic MBR record); flush. The partition is
//       grown, its volume still has its old size (readers accept a volume smaller than its partition), and the
//       partition's last sector holds a copy of the boot sector, as ntfsfix checks;
//   (3) $MFTMirr's copies of records 6 and 8 (where it has them), the backup boot sector with the new size, then the
//       boot sector and records 6–8 in one write when they lie close (the commit), else records then boot sector;
//       flush.
// A grow stopped anywhere can simply be run again: a partition that already fills the disk is left as it is and
// only its volume grows.
import { GuestdiskError } from '../errors.js';
import { decodeGptHeader } from '../partition/gpt-header.js';
import { decodeGptEntry, GPT_ENTRY_SIZE } from '../partition/gpt-entry.js';
import { readMbr } from '../partition/mbr.js';
import { grownNtfsSize, planNtfsGrow, type NtfsGrowPlan } from '../fs/ntfs/grow.js';
import type { Run } from '../fs/ntfs/runlist.js';
import type { Fat32GrowPlan } from '../fs/fat32/grow.js';
import { fat32CommitSteps, fat32PrepareSteps, planFat32Volume } from './plan-fat32.js';
import { planExfatGrow, type ExfatGrowPlan } from '../fs/exfat/grow.js';
import { exfatCommitSteps, exfatNotes, exfatPrepareSteps } from './plan-exfat.js';
import type { GrowPartition, GrowPlan, GrowSource, GrowStep, GrowTable } from './types.js';

export const ONE_MIB = 1024 * 1024;
/** An MBR record counts sectors in 32 bits. */
export const MBR_MAX_LBA = 2 ** 32;
/** The largest protective MBR size (UEFI 2.10 §5.2.3). */
const PMBR_MAX_SIZE_LBA = 0xffffffff;

export interface GrowOptions {
  /** Free extents of the old NTFS volume (from its bitmap), where the new $Bitmap may go. */
  readonly ntfsFreeExtents?: readonly Run[];
  /** First cluster of a run of free clusters in the old exFAT volume, as long as the new allocation bitmap. */
  readonly exfatFreeRunCluster?: number | null;
}

interface TableDecision {
  readonly table: GrowTable | null;
  readonly partition: GrowPartition;
}

function checkNewSize(source: GrowSource, newSizeBytes: number): void {
  const s = source.logicalSectorSize;
  if (!Number.isSafeInteger(newSizeBytes) || newSizeBytes % s !== 0) {
    throw new GuestdiskError('INVALID_SPEC', `new size ${newSizeBytes} is not a whole number of ${s}-byte sectors`, { sizeBytes: newSizeBytes, sectorSize: s });
  }
  if (newSizeBytes < source.sizeBytes) {
    throw new GuestdiskError('INVALID_SPEC', `the disk has ${source.sizeBytes} bytes and ${newSizeBytes} were asked: guestdisk grows disks, it never shrinks them`, { sizeBytes: newSizeBytes, currentSizeBytes: source.sizeBytes });
  }
}

/** The last 1 MiB boundary at or below `endExclusiveLba`, as an inclusive end LBA. */
function alignedEnd(endExclusiveLba: number, s: number): number {
  const mib = ONE_MIB / s;
  return Math.floor(endExclusiveLba / mib) * mib - 1;
}

function planGptTable(source: GrowSource & { table: { kind: 'gpt' } }, newLba: number): TableDecision {
  const s = source.logicalSectorSize;
  const t = source.table;
  const header = decodeGptHeader(t.primaryHeaderBytes);
  const entry = decodeGptEntry(t.entries.subarray(t.entryIndex * header.sizeOfPartitionEntry, t.entryIndex * header.sizeOfPartitionEntry + GPT_ENTRY_SIZE));
  const number = t.entryIndex + 1;
  const arrayLba = Math.ceil((header.numberOfPartitionEntries * header.sizeOfPartitionEntry) / s);
  const gap = header.lastUsableLba - entry.endingLba;
  if (gap >= ONE_MIB / s) {
    throw new GuestdiskError('INVALID_SPEC', `partition ${number} ends at LBA ${entry.endingLba}, but the usable space went on to LBA ${header.lastUsableLba} (${gap * s} bytes after it): only a last partition that filled the disk can grow`, { partition: number, endingLba: entry.endingLba, lastUsableLba: header.lastUsableLba });
  }
  const after = { backupHeaderLba: newLba - 1, backupEntriesLba: newLba - 1 - arrayLba, lastUsableLba: newLba - 2 - arrayLba };
  const newEnd = alignedEnd(after.lastUsableLba + 1, s);
  const before = { backupHeaderLba: header.alternateLba, backupEntriesLba: header.alternateLba - arrayLba, lastUsableLba: header.lastUsableLba };
  const partition = growPartition(number, entry.startingLba, entry.endingLba, Math.max(newEnd, entry.endingLba));
  if (header.alternateLba === after.backupHeaderLba && newEnd <= entry.endingLba) return { table: null, partition };
  if (header.alternateLba > after.backupHeaderLba) {
    throw new GuestdiskError('INVALID_SPEC', `the GPT's backup header is at LBA ${header.alternateLba}, past the disk's last LBA ${after.backupHeaderLba}: the disk is smaller than its table`, { alternateLba: header.alternateLba });
  }
  return {
    table: { kind: 'gpt', before, after, primaryEntriesLba: header.partitionEntryLba, entryArrayLba: arrayLba, entryIndex: t.entryIndex, protectiveSizeLba: Math.min(newLba - 1, PMBR_MAX_SIZE_LBA) },
    partition,
  };
}

function planMbrTable(source: GrowSource & { table: { kind: 'mbr' } }, newLba: number): TableDecision {
  const s = source.logicalSectorSize;
  const record = readMbr(source.table.sector0).partitionRecords[source.table.slot];
  const number = source.table.slot + 1;
  const oldEnd = record.startingLba + record.sizeInLba - 1;
  let newEnd = alignedEnd(newLba, s);
  if (newEnd + 1 > MBR_MAX_LBA) {
    const maxEnd = alignedEnd(MBR_MAX_LBA, s);
    if (maxEnd <= oldEnd) {
      throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `partition ${number} already ends at LBA ${oldEnd}; an MBR cannot address a partition past sector 2^32 (${MBR_MAX_LBA * s} bytes): use GPT to grow further`, { partition: number, endLba: oldEnd });
    }
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `an MBR partition cannot end past sector 2^32: the largest disk partition ${number} can fill is ${(maxEnd + 1) * s} bytes (asked ${newLba * s}); grow to at most that, or use GPT`, { partition: number, maxDiskBytes: (maxEnd + 1) * s, sizeBytes: newLba * s });
  }
  newEnd = Math.max(newEnd, oldEnd);
  const partition = growPartition(number, record.startingLba, oldEnd, newEnd);
  return { table: newEnd === oldEnd ? null : { kind: 'mbr', slot: source.table.slot }, partition };
}

function growPartition(number: number, startLba: number, oldEnd: number, newEnd: number): GrowPartition {
  return { number, startLba, before: { sizeLba: oldEnd - startLba + 1, endLba: oldEnd }, after: { sizeLba: newEnd - startLba + 1, endLba: newEnd } };
}

function step(kind: GrowStep['kind'], offsetBytes: number, lengthBytes: number, description: string): GrowStep {
  return { kind, offsetBytes, lengthBytes, description };
}

function tableSteps(table: GrowTable, s: number): GrowStep[] {
  if (table.kind === 'mbr') return [step('mbr', 0, s, `MBR record ${table.slot + 1}: new size and CHS end`), step('flush', 0, 0, 'flush: partition grown')];
  const a = table.entryArrayLba;
  const steps = [
    step('gpt-backup', table.after.backupEntriesLba * s, (a + 1) * s, `backup GPT entry array and header at LBA ${table.after.backupEntriesLba}–${table.after.backupHeaderLba}`),
    step('flush', 0, 0, 'flush: backup GPT in place before the primary points to it'),
  ];
  if (table.primaryEntriesLba === 2) {
    steps.push(step('gpt-primary', s, (a + 1) * s, 'primary GPT header and entry array (LBA 1 onwards)'));
  } else {
    steps.push(step('gpt-primary-entries', table.primaryEntriesLba * s, a * s, `primary GPT entry array at LBA ${table.primaryEntriesLba}`));
    steps.push(step('gpt-primary-header', s, s, 'primary GPT header'));
  }
  steps.push(step('mbr', 0, s, `protective MBR: 0xEE record covers ${table.protectiveSizeLba} sectors`), step('flush', 0, 0, 'flush: partition grown'));
  return steps;
}

/** Before the partition grows: the old boot sector copied into the partition's new last sector (where every
 *  checker looks for the backup, ntfsfix byte for byte), and the new $Bitmap into clusters nothing uses. */
function ntfsPrepareSteps(fs: NtfsGrowPlan, source: GrowSource, base: number): GrowStep[] {
  const s = source.logicalSectorSize;
  const cs = fs.clusterSize;
  return [
    step('ntfs-old-boot-copy', base + fs.backupBootOffsetBytes, s, 'the old boot sector, copied to the partition\'s new last sector'),
    ...fs.newBitmap.runs.map((r, i) =>
      step('ntfs-bitmap', base + r.lcn! * cs, r.length * cs, `new $Bitmap, run ${i + 1} of ${fs.newBitmap.runs.length}: LCN ${r.lcn}, ${r.length} clusters`)),
    step('flush', 0, 0, 'flush: the new $Bitmap and the boot sector copy, unreferenced yet'),
  ];
}

/** After the partition grew: records 6 and 8, then the backup and the main boot sector (the commit). */
function ntfsCommitSteps(fs: NtfsGrowPlan, source: GrowSource, base: number): GrowStep[] {
  const src = source.filesystem;
  if (src.kind !== 'ntfs') throw new GuestdiskError('INVALID_SPEC', 'NTFS plan without an NTFS source');
  const s = source.logicalSectorSize;
  const rs = src.mftRecordSize;
  const steps: GrowStep[] = [];
  const mirror = (): GrowStep[] => (src.mirror
    ? [step('ntfs-mirror-6', base + src.mirror.bitmapOffsetBytes, rs, '$MFTMirr copy of record 6'), step('ntfs-mirror-8', base + src.mirror.badClusOffsetBytes, rs, '$MFTMirr copy of record 8')]
    : []);
  const backup = step('ntfs-backup-boot', base + fs.backupBootOffsetBytes, s, 'backup boot sector (new size) in the partition\'s last sector');
  if (src.head) {
    // Records and boot sector in one request: no stop between them. The backup goes first (checkers read the
    // primary; ntfsfix alone compares the two, and the next step makes them equal).
    steps.push(...mirror(), backup, step('ntfs-commit', base, src.head.length, `boot sector (${fs.after.totalSectors} sectors) and MFT records 6–8 in one write (commit)`));
  } else {
    if (src.bootRecord) {
      steps.push(step('ntfs-records', base + src.bitmapRecord.offsetBytes, 3 * rs, 'MFT records 6–8: $Bitmap and $BadClus:$Bad for the grown volume'));
    } else {
      steps.push(step('ntfs-record-6', base + src.bitmapRecord.offsetBytes, rs, 'MFT record 6: $Bitmap for the grown volume'));
      steps.push(step('ntfs-record-8', base + src.badClusRecord.offsetBytes, rs, 'MFT record 8: $BadClus:$Bad for the grown volume'));
    }
    steps.push(...mirror(), step('flush', 0, 0, 'flush: records in place before a boot sector declares the new size'));
    steps.push(backup, step('ntfs-boot', base, s, `boot sector: ${fs.after.totalSectors} sectors (commit)`));
  }
  steps.push(step('flush', 0, 0, 'flush: volume grown'));
  return steps;
}

/** What a filesystem we cannot grow yet is refused with: exactly what is left to do for it. */
const NOT_YET: Record<string, string> = {
};

export function planGrow(source: GrowSource, newSizeBytes: number, options: GrowOptions = {}): GrowPlan {
  checkNewSize(source, newSizeBytes);
  const s = source.logicalSectorSize;
  const newLba = newSizeBytes / s;
  const fsKind = source.filesystem.kind;
  if (fsKind !== 'ntfs' && fsKind !== 'exfat' && fsKind !== 'fat32' && fsKind !== 'none') {
    const why = NOT_YET[fsKind] ?? `partition ${source.partition.number} holds ${source.filesystem.kind === 'other' ? source.filesystem.name : fsKind}, which guestdisk does not grow`;
    throw new GuestdiskError('INVALID_SPEC', `${why}; nothing was written`, { filesystem: fsKind });
  }
  const decision = source.table.kind === 'gpt' ? planGptTable(source as GrowSource & { table: { kind: 'gpt' } }, newLba) : planMbrTable(source as GrowSource & { table: { kind: 'mbr' } }, newLba);
  const partitionBytes = decision.partition.after.sizeLba * s;
  let filesystem: NtfsGrowPlan | ExfatGrowPlan | null = null;
  if (source.filesystem.kind === 'ntfs') {
    // Past the old partition the old table may still keep its backup GPT until the primary moves it.
    const oldDiskEndLba = decision.table?.kind === 'gpt' ? decision.table.before.backupHeaderLba + 1 : decision.partition.before.endLba + 1;
    filesystem = planNtfsGrow(source.filesystem, partitionBytes, options.ntfsFreeExtents ?? [], (oldDiskEndLba - decision.partition.startLba) * s);
  } else if (source.filesystem.kind === 'exfat') {
    filesystem = planExfatGrow(source.filesystem, partitionBytes, options.exfatFreeRunCluster ?? null);
    if (filesystem.after.volumeLength === filesystem.before.volumeLength && !decision.table && !source.filesystem.restoreMainBootRegion) {
      throw new GuestdiskError('INVALID_SPEC', `partition ${decision.partition.number} already fills the disk and its exFAT volume the partition: nothing to grow`, { sizeBytes: newSizeBytes });
    }
  }
  let fat32: Fat32GrowPlan | null = null;
  if (source.filesystem.kind === 'fat32') {
    fat32 = planFat32Volume(source.filesystem, decision.partition, ONE_MIB / s, (end) => largestDiskLba(source, end));
    if (!decision.table && fat32.after.totalSectors === fat32.before.totalSectors) {
      throw new GuestdiskError('INVALID_SPEC', `partition ${decision.partition.number} and its FAT32 volume already fill the disk (${newSizeBytes} bytes): nothing to grow`, { sizeBytes: newSizeBytes });
    }
  }
  if (!filesystem && !fat32 && !decision.table) {
    throw new GuestdiskError('INVALID_SPEC', `partition ${decision.partition.number} already fills the disk (${newSizeBytes} bytes): nothing to grow`, { sizeBytes: newSizeBytes });
  }
  const base = decision.partition.startLba * s;
  const ntfs = filesystem?.kind === 'ntfs' ? filesystem : null;
  const exfat = filesystem?.kind === 'exfat' ? filesystem : null;
  const steps = [
    ...(ntfs ? ntfsPrepareSteps(ntfs, source, base) : []),
    ...(exfat ? exfatPrepareSteps(exfat, source, base) : []),
    ...(fat32 && source.filesystem.kind === 'fat32' ? fat32PrepareSteps(fat32, source.filesystem, base) : []),
    ...(decision.table ? tableSteps(decision.table, s) : []),
    ...(ntfs ? ntfsCommitSteps(ntfs, source, base) : []),
    ...(exfat ? exfatCommitSteps(exfat, source, base) : []),
    ...(fat32 && source.filesystem.kind === 'fat32' ? fat32CommitSteps(fat32, source.filesystem, base) : []),
  ];
  const notes: string[] = [];
  if (!decision.table) notes.push(`partition ${decision.partition.number} already ends at the end of the disk: only its volume grows (a grow that was interrupted, resumed)`);
  if (exfat) notes.push(...exfatNotes(exfat, source.filesystem.kind === 'exfat' && source.filesystem.restoreMainBootRegion));
  if (ntfs?.bitmapPlacement === 'old-free-space') notes.push('the new $Bitmap goes into free clusters of the old volume (its records and boot sector are written separately)');
  return {
    version: 1,
    logicalSectorSize: s,
    disk: { beforeBytes: source.sizeBytes, afterBytes: newSizeBytes },
    tableKind: source.table.kind,
    table: decision.table,
    partition: decision.partition,
    filesystem: filesystem ?? fat32,
    steps,
    notes,
  };
}

/**
 * The largest whole-MiB disk (in sectors) whose grown last partition ends at `endExclusiveLba`, a 1 MiB boundary:
 * a GPT needs its backup array and header past the partition (less than 1 MiB), an MBR nothing.
 */
function largestDiskLba(source: GrowSource, endExclusiveLba: number): number {
  return source.table.kind === 'mbr' ? endExclusiveLba : endExclusiveLba + ONE_MIB / source.logicalSectorSize;
}

/** Clusters the new $Bitmap needs, for the reader's search of free space (before the plan exists). */
export function ntfsBitmapClustersNeeded(source: GrowSource, newSizeBytes: number): number {
  if (source.filesystem.kind !== 'ntfs') return 0;
  const s = source.logicalSectorSize;
  const lastPartitionBytes = (alignedEnd(newSizeBytes / s, s) + 1 - source.partition.startLba) * s;
  return grownNtfsSize(source.filesystem, lastPartitionBytes).bitmapClusters;
}


/** An upper bound on the last partition's size after the grow (it ends at most on the disk's last 1 MiB boundary),
 *  for sizing what the reader must find room for before the plan exists. */
export function alignedPartitionBytes(source: GrowSource, newSizeBytes: number): number {
  const s = source.logicalSectorSize;
  return Math.max(alignedEnd(newSizeBytes / s, s) + 1 - source.partition.startLba, source.partition.sizeLba) * s;
}
