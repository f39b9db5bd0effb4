// Reads a classic MBR (UEFI 2.10 §5.2.1): four primary records and, behind an extended partition (0x05/0x0F),
// the chain of EBRs whose first record is a logical partition (relative to its EBR) and whose second points to
// the next EBR (relative to the extended partition's start). The chain is bounded and loop-checked.
import { MBR_TYPE, MBR_TYPE_NAMES } from '../partition/gpt-types.js';
import { MBR, MBR_BOOT_SIGNATURE, readMbr } from '../partition/mbr.js';
import { checkMbrPartitionRecord, MBR_PARTITION_RECORD, type MbrPartitionRecord } from '../partition/mbr-partition-record.js';
import type { BlockTarget } from '../target/block-target.js';
import { codeChecks, reportFinding } from './finding-codes.js';
import type { InspectFinding, MbrTableReport } from './report.js';
import { MAX_LOGICAL_PARTITIONS, type DiskGeometry, type FoundPartition, type TableRead } from './table-types.js';

const MBR_ADDRESSABLE_LBA = 2 ** 32;
const EXTENDED_TYPES: readonly number[] = [MBR_TYPE.EXTENDED, MBR_TYPE.EXTENDED_LBA, 0x85];
const RECORD_OFFSET = MBR.fields.partitionRecord1.offset;
const RECORD_SIZE = MBR_PARTITION_RECORD.sizeBytes;

export function isExtendedType(osType: number): boolean {
  return EXTENDED_TYPES.includes(osType);
}

function isUsed(r: MbrPartitionRecord): boolean {
  return r.osType !== MBR_TYPE.EMPTY && r.sizeInLba > 0;
}

function found(r: MbrPartitionRecord, number: number, startLba: number, logical: boolean): FoundPartition {
  return {
    number,
    startLba,
    sizeLba: r.sizeInLba,
    type: { name: MBR_TYPE_NAMES[r.osType] ?? null, guid: null, mbrType: r.osType },
    guid: null,
    name: null,
    attributes: null,
    active: r.bootIndicator === 0x80,
    logical,
    extended: isExtendedType(r.osType),
  };
}

function recordFindings(r: MbrPartitionRecord, sectorOffsetBytes: number, slot: number, partition: number): InspectFinding[] {
  return codeChecks('MBR_PARTITION_RECORD_BOOT_INDICATOR', checkMbrPartitionRecord(r), { offsetBaseBytes: sectorOffsetBytes + RECORD_OFFSET + RECORD_SIZE * slot, partition });
}

async function readLogicalPartitions(disk: BlockTarget, g: DiskGeometry, ext: FoundPartition, findings: InspectFinding[]): Promise<FoundPartition[]> {
  const out: FoundPartition[] = [];
  const seen = new Set<number>();
  let ebrLba = ext.startLba;
  const chainError = (message: string, lba: number): void => {
    findings.push(reportFinding('MBR_EXTENDED_CHAIN', { structure: 'Ebr', offsetBytes: lba * g.sectorSize, lba, partition: ext.number, message }));
  };
  while (out.length < MAX_LOGICAL_PARTITIONS) {
    if (seen.has(ebrLba)) return chainError(`EBR chain loops back to LBA ${ebrLba}`, ebrLba), out;
    if (ebrLba >= g.sizeLba || ebrLba < ext.startLba || ebrLba >= ext.startLba + ext.sizeLba) {
      return chainError(`EBR at LBA ${ebrLba} is outside the extended partition or the disk`, ebrLba), out;
    }
    seen.add(ebrLba);
    const ebr = readMbr(await disk.read(ebrLba * g.sectorSize, MBR.sizeBytes));
    if (ebr.signature !== MBR_BOOT_SIGNATURE) return chainError(`EBR at LBA ${ebrLba} lacks the 0x55AA signature`, ebrLba), out;
    const [logical, next] = ebr.partitionRecords;
    const number = 5 + out.length;
    if (isUsed(logical)) {
      findings.push(...recordFindings(logical, ebrLba * g.sectorSize, 0, number));
      out.push(found(logical, number, ebrLba + logical.startingLba, true));
    }
    if (!isUsed(next) || !isExtendedType(next.osType)) return out;
    ebrLba = ext.startLba + next.startingLba;
  }
  chainError(`more than ${MAX_LOGICAL_PARTITIONS} logical partitions; stopped reading the chain`, ebrLba);
  return out;
}

export async function readMbrTable(disk: BlockTarget, g: DiskGeometry): Promise<TableRead> {
  const mbr = readMbr(await disk.read(0, MBR.sizeBytes));
  const findings: InspectFinding[] = [];
  const partitions: FoundPartition[] = [];
  if (mbr.uniqueMbrDiskSignature === 0) {
    findings.push(reportFinding('MBR_DISK_SIGNATURE_ZERO', { structure: 'Mbr', field: 'uniqueMbrDiskSignature', offsetBytes: MBR.fields.uniqueMbrDiskSignature.offset, lba: 0, expected: 'non-zero', actual: '0x00000000', message: 'MBR disk signature is 0' }));
  }
  if (g.sizeLba > MBR_ADDRESSABLE_LBA) {
    findings.push(reportFinding('MBR_DISK_BEYOND_2TIB', { structure: 'Mbr', lba: 0, expected: `≤ ${MBR_ADDRESSABLE_LBA} sectors`, actual: `${g.sizeLba} sectors`, message: `the disk has ${g.sizeLba} sectors; an MBR addresses only the first 2^32` }));
  }
  mbr.partitionRecords.forEach((r, slot) => {
    if (!isUsed(r)) return;
    const number = slot + 1;
    findings.push(...recordFindings(r, 0, slot, number));
    if (r.startingLba + r.sizeInLba > MBR_ADDRESSABLE_LBA) {
      findings.push(reportFinding('MBR_BEYOND_2TIB', { structure: 'MbrPartitionRecord', field: 'sizeInLba', offsetBytes: RECORD_OFFSET + RECORD_SIZE * slot + MBR_PARTITION_RECORD.fields.sizeInLba.offset, lba: 0, partition: number, expected: `end ≤ ${MBR_ADDRESSABLE_LBA}`, actual: `${r.startingLba + r.sizeInLba}`, message: `partition ${number} ends past sector 2^32, beyond what an MBR can address` }));
    }
    partitions.push(found(r, number, r.startingLba, false));
  });
  const logicals: FoundPartition[] = [];
  for (const ext of partitions.filter((p) => p.extended)) logicals.push(...(await readLogicalPartitions(disk, g, ext, findings)));
  const table: MbrTableReport = {
    kind: 'mbr',
    diskSignature: `0x${mbr.uniqueMbrDiskSignature.toString(16).padStart(8, '0')}`,
    logicalPartitionCount: logicals.length,
  };
  return { table, partitions: [...partitions, ...logicals], findings };
}

/** Do the four records of a sector without 0x55AA look like a partition table (for MBR_SIGNATURE_MISSING)? */
export function plausibleMbrRecords(records: readonly MbrPartitionRecord[], g: DiskGeometry): boolean {
  const used = records.filter(isUsed);
  return used.length > 0 && used.every((r) => (r.bootIndicator === 0 || r.bootIndicator === 0x80) && r.startingLba > 0 && r.startingLba + r.sizeInLba <= g.sizeLba);
}
