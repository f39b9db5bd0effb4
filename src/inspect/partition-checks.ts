// Checks on the partitions themselves, whatever table listed them: inside the disk, no overlap, 1 MiB alignment,
// a type Windows mounts, no attribute that hides the volume, and an MBR type byte that fits the filesystem.
import { GPT_TYPE_BASIC_DATA, MBR_TYPE } from '../partition/gpt-types.js';
import { reportFinding } from './finding-codes.js';
import type { FilesystemReport, InspectFinding } from './report.js';
import type { DiskGeometry, FoundPartition } from './table-types.js';

export const ONE_MIB = 1024 * 1024;
/** Report at most this many overlapping pairs. */
const MAX_OVERLAP_FINDINGS = 16;
const MAX_ALIGNMENT_BYTES = 1024 * 1024 * 1024;

/** GPT types of Windows' own system partitions: shown as info, never as "no drive letter". */
const GPT_WINDOWS_SYSTEM_TYPES: readonly string[] = [
  'E3C9E316-0B5C-4DB8-817D-F92DF00215AE', // Microsoft reserved
  'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', // EFI system
  'DE94BBA4-06D1-4D40-A16A-BFD50179D6AC', // Windows recovery environment
  '5808C8AA-7E8F-42E0-85D2-E1E90434CFB3', // LDM metadata
  'AF9B60A0-1431-4F62-BC68-3311714A69AD', // LDM data
];
/** MBR type bytes Windows mounts as data volumes (FAT12 0x01, FAT16 0x04/0x06/0x0E, NTFS/exFAT 0x07, FAT32 0x0B/0x0C). */
const MBR_WINDOWS_DATA_TYPES: readonly number[] = [0x01, 0x04, MBR_TYPE.FAT16, MBR_TYPE.NTFS_EXFAT, MBR_TYPE.FAT32_CHS, MBR_TYPE.FAT32_LBA, MBR_TYPE.FAT16_LBA];
/** MBR types of Windows system partitions: 0x27 (hidden recovery), 0x42 (LDM), 0xEF (EFI). */
const MBR_WINDOWS_SYSTEM_TYPES: readonly number[] = [0x27, 0x42, 0xef];
/** Which MBR type bytes fit which filesystem. */
const MBR_TYPES_FOR_FS: Readonly<Record<string, readonly number[]>> = {
  ntfs: [MBR_TYPE.NTFS_EXFAT],
  exfat: [MBR_TYPE.NTFS_EXFAT],
  fat32: [MBR_TYPE.FAT32_LBA, MBR_TYPE.FAT32_CHS],
  fat16: [MBR_TYPE.FAT16, MBR_TYPE.FAT16_LBA, 0x04],
  fat12: [0x01],
};

export function alignmentOf(offsetBytes: number): number {
  if (offsetBytes === 0) return MAX_ALIGNMENT_BYTES;
  let a = 1;
  while (a < MAX_ALIGNMENT_BYTES && offsetBytes % (a * 2) === 0) a *= 2;
  return a;
}

export function checkPartitions(partitions: readonly FoundPartition[], g: DiskGeometry): InspectFinding[] {
  const findings: InspectFinding[] = [];
  for (const p of partitions) {
    const where = { structure: 'Partition', partition: p.number, lba: p.startLba };
    if (p.startLba + p.sizeLba > g.sizeLba) {
      findings.push(reportFinding('PARTITION_BEYOND_DISK', { ...where, offsetBytes: p.startLba * g.sectorSize, expected: `end ≤ LBA ${g.sizeLba - 1}`, actual: `end LBA ${p.startLba + p.sizeLba - 1}`, message: `partition ${p.number} (LBA ${p.startLba}–${p.startLba + p.sizeLba - 1}) extends past the end of the disk (LBA ${g.sizeLba - 1})` }));
    }
    if (p.extended) continue;
    if ((p.startLba * g.sectorSize) % ONE_MIB !== 0 && !isWindowsSystemPartition(p)) { // Windows 7 put its MSR at LBA 34
      findings.push(reportFinding('PARTITION_NOT_ALIGNED', { ...where, offsetBytes: p.startLba * g.sectorSize, expected: 'a multiple of 1 MiB', actual: `byte ${p.startLba * g.sectorSize} (aligned to ${alignmentOf(p.startLba * g.sectorSize)} bytes)`, message: `partition ${p.number} starts at byte ${p.startLba * g.sectorSize}, not on a 1 MiB boundary` }));
    }
    checkType(p, findings);
  }
  // Overlaps: each pair once; an extended container overlaps its own logical partitions by design. Bounded:
  // thousands of identical hostile entries would otherwise make millions of pairs.
  const sorted = [...partitions].sort((a, b) => a.startLba - b.startLba);
  let overlaps = 0;
  for (let i = 0; i < sorted.length && overlaps < MAX_OVERLAP_FINDINGS; i++) {
    for (let j = i + 1; j < sorted.length && sorted[j].startLba < sorted[i].startLba + sorted[i].sizeLba && overlaps < MAX_OVERLAP_FINDINGS; j++) {
      const [a, b] = [sorted[i], sorted[j]];
      if ((a.extended && b.logical) || (b.extended && a.logical)) continue;
      overlaps++;
      findings.push(reportFinding('PARTITION_OVERLAP', { structure: 'Partition', partition: b.number, lba: b.startLba, expected: 'no overlap', actual: `partitions ${a.number} and ${b.number}`, message: `partition ${a.number} (LBA ${a.startLba}–${a.startLba + a.sizeLba - 1}) overlaps partition ${b.number} (LBA ${b.startLba}–${b.startLba + b.sizeLba - 1})` }));
    }
  }
  return findings;
}

/** Reserved, EFI, recovery, LDM: partitions Windows uses but never shows as a drive. */
export function isWindowsSystemPartition(p: FoundPartition): boolean {
  return p.type.guid !== null ? GPT_WINDOWS_SYSTEM_TYPES.includes(p.type.guid) : MBR_WINDOWS_SYSTEM_TYPES.includes(p.type.mbrType ?? -1);
}

function checkType(p: FoundPartition, findings: InspectFinding[]): void {
  const where = { structure: p.type.guid !== null ? 'GptEntry' : 'MbrPartitionRecord', partition: p.number, lba: p.startLba };
  const shown = p.type.guid ?? `0x${(p.type.mbrType ?? 0).toString(16).padStart(2, '0')}`;
  const named = `${shown}${p.type.name ? ` (${p.type.name})` : ''}`;
  const system = isWindowsSystemPartition(p);
  const data = p.type.guid !== null ? p.type.guid === GPT_TYPE_BASIC_DATA : MBR_WINDOWS_DATA_TYPES.includes(p.type.mbrType ?? -1);
  if (system) {
    findings.push(reportFinding('PARTITION_TYPE_SYSTEM', { ...where, field: 'partitionType', actual: named, message: `partition ${p.number} is a Windows system partition: ${named}` }));
  } else if (!data) {
    findings.push(reportFinding('PARTITION_TYPE_NOT_DATA', { ...where, field: 'partitionType', expected: p.type.guid !== null ? `${GPT_TYPE_BASIC_DATA} (Microsoft basic data)` : '0x07, 0x0C, 0x0B, 0x06 or 0x0E', actual: named, message: `partition ${p.number} has type ${named}, which Windows does not mount as a data volume` }));
  }
  const a = p.attributes;
  if (a && data) {
    const attr = (code: 'GPT_ATTRIBUTE_READ_ONLY' | 'GPT_ATTRIBUTE_HIDDEN' | 'GPT_ATTRIBUTE_NO_DRIVE_LETTER' | 'GPT_ATTRIBUTE_SHADOW_COPY', bit: number): void => {
      findings.push(reportFinding(code, { ...where, field: 'attributes', expected: `bit ${bit} clear`, actual: a.value, message: `partition ${p.number}: GPT attribute bit ${bit} is set (${a.value})` }));
    };
    if (a.readOnly) attr('GPT_ATTRIBUTE_READ_ONLY', 60);
    if (a.shadowCopy) attr('GPT_ATTRIBUTE_SHADOW_COPY', 61);
    if (a.hidden) attr('GPT_ATTRIBUTE_HIDDEN', 62);
    if (a.noDriveLetter) attr('GPT_ATTRIBUTE_NO_DRIVE_LETTER', 63);
  }
}

/** MBR only: the type byte should say what the filesystem is. */
export function checkMbrTypeFits(p: FoundPartition, fs: FilesystemReport): InspectFinding[] {
  if (p.type.mbrType === null || fs.type === null) return [];
  const fits = MBR_TYPES_FOR_FS[fs.type];
  if (!fits || !MBR_WINDOWS_DATA_TYPES.includes(p.type.mbrType) || fits.includes(p.type.mbrType)) return [];
  const actual = `0x${p.type.mbrType.toString(16).padStart(2, '0')}`;
  return [reportFinding('MBR_TYPE_FS_MISMATCH', { structure: 'MbrPartitionRecord', field: 'osType', partition: p.number, lba: p.startLba, expected: fits.map((t) => `0x${t.toString(16).padStart(2, '0')}`).join(' or '), actual, message: `partition ${p.number} has MBR type ${actual} but holds ${fs.type}` })];
}
