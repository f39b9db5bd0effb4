// Which partition table a disk has, decided the way Windows does: a GPT behind a protective MBR (or a GPT header
// at LBA 1 even without one, reported), else a classic MBR with 0x55AA, else nothing. A boot sector at LBA 0
// (0x55AA too, but with a filesystem signature) is a "superfloppy", not an MBR.
import { GPT_HEADER_SIGNATURE } from '../partition/gpt-header.js';
import { MBR_TYPE } from '../partition/gpt-types.js';
import { MBR, MBR_BOOT_SIGNATURE, readMbr } from '../partition/mbr.js';
import type { BlockTarget } from '../target/block-target.js';
import { reportFinding } from './finding-codes.js';
import { hasGptSignatureAt, readGpt } from './gpt-table.js';
import { plausibleMbrRecords, readMbrTable } from './mbr-table.js';
import type { InspectFinding } from './report.js';
import { WINDOWS_VOLUME_TYPES, volumeSignatures } from './signatures.js';
import type { DiskGeometry, TableRead } from './table-types.js';

const OTHER_SECTOR_SIZE = { 512: 4096, 4096: 512 } as const;

export async function readPartitionTable(disk: BlockTarget, g: DiskGeometry): Promise<TableRead> {
  if (g.sizeLba < 2) return { table: { kind: 'none' }, partitions: [], findings: [] };
  const mbr = readMbr(await disk.read(0, MBR.sizeBytes));
  const hasEe = mbr.signature === MBR_BOOT_SIGNATURE && mbr.partitionRecords.some((r) => r.osType === MBR_TYPE.GPT_PROTECTIVE);
  const primaryGpt = await hasGptSignatureAt(disk, g, 1);
  const backupGpt = await hasGptSignatureAt(disk, g, g.sizeLba - 1);
  if (hasEe || primaryGpt || (backupGpt && mbr.signature !== MBR_BOOT_SIGNATURE)) {
    const gpt = await readGpt(disk, g);
    const mismatch = primaryGpt ? null : await otherSizeGpt(disk, g);
    return mismatch ? { ...gpt, findings: [mismatch, ...gpt.findings] } : gpt;
  }

  const head = await disk.read(0, Math.min(disk.sizeBytes, 8192));
  const onWholeDisk = volumeSignatures(head).filter((n) => WINDOWS_VOLUME_TYPES.includes(n));
  if (onWholeDisk.length > 0) return { table: { kind: 'none' }, partitions: [], findings: [] }; // superfloppy: inspectDisk reports it
  if (mbr.signature === MBR_BOOT_SIGNATURE) return readMbrTable(disk, g);

  const findings: InspectFinding[] = [];
  const mismatch = await otherSizeGpt(disk, g);
  if (mismatch) return { table: { kind: 'none' }, partitions: [], findings: [mismatch] };
  if (plausibleMbrRecords(mbr.partitionRecords, g)) {
    findings.push(reportFinding('MBR_SIGNATURE_MISSING', { structure: 'Mbr', field: 'signature', offsetBytes: MBR.fields.signature.offset, lba: 0, expected: '0x55AA', actual: `0x${mbr.signature.toString(16).padStart(4, '0')}`, message: 'sector 0 holds partition records but not the 0x55AA signature' }));
  }
  return { table: { kind: 'none' }, partitions: [], findings };
}

/** A GPT header at LBA 1 of the other sector size: the disk is being read with the wrong one. */
async function otherSizeGpt(disk: BlockTarget, g: DiskGeometry): Promise<InspectFinding | null> {
  const other = OTHER_SECTOR_SIZE[g.sectorSize as 512 | 4096];
  if (other === undefined || other + 8 > disk.sizeBytes) return null;
  if (String.fromCharCode(...(await disk.read(other, 8))) !== GPT_HEADER_SIGNATURE) return null;
  return reportFinding('SECTOR_SIZE_MISMATCH', { structure: 'GptHeader', offsetBytes: other, expected: `GPT header at byte ${g.sectorSize} (LBA 1 of ${g.sectorSize}-byte sectors)`, actual: `GPT header at byte ${other}`, message: `a GPT made for ${other}-byte sectors, read with ${g.sectorSize}-byte sectors` });
}
