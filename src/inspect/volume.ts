// What filesystem a partition (or the whole disk) holds: by signature, then, for NTFS/exFAT/FAT, its header decoded
// by the filesystem's own inspector. Errors inside an inspector become findings: one bad volume must not hide
// the rest of the disk.
import { GuestdiskError } from '../errors.js';
import { sliceTarget, type BlockTarget } from '../target/block-target.js';
import { placeFinding, reportFinding } from './finding-codes.js';
import { FS_INSPECTORS, type FsInspectContext } from './fs-dispatch.js';
import type { FilesystemReport, FilesystemType, FsDetails, InspectFinding } from './report.js';
import { NON_WINDOWS_VOLUME_TYPES, VOLUME_PROBE_BYTES, volumeSignatures } from './signatures.js';

export interface VolumeProbe {
  readonly report: FilesystemReport;
  readonly findings: readonly InspectFinding[];
}

/** Where each filesystem keeps its backup boot sector: NTFS the volume's last sector, exFAT sector 12, FAT32 sector 6. */
async function findBackupBoot(volume: BlockTarget): Promise<{ type: FilesystemType; offsetBytes: number } | null> {
  const candidates: { type: FilesystemType; offsetBytes: number }[] = [];
  for (const sector of [512, 4096]) {
    candidates.push({ type: 'ntfs', offsetBytes: volume.sizeBytes - sector }, { type: 'exfat', offsetBytes: 12 * sector }, { type: 'fat32', offsetBytes: 6 * sector });
  }
  for (const c of candidates) {
    if (c.offsetBytes <= 0 || c.offsetBytes + 512 > volume.sizeBytes) continue;
    if (volumeSignatures(await volume.read(c.offsetBytes, 512)).includes(c.type)) return c;
  }
  return null;
}

/** The label Windows shows: FAT's root-directory label entry when there is one, else the header's label. */
function labelOf(details: FsDetails): string | null {
  return 'rootLabel' in details && details.rootLabel !== null ? details.rootLabel : details.label;
}

export async function probeVolume(
  disk: BlockTarget,
  offsetBytes: number,
  sizeBytes: number,
  ctx: FsInspectContext & { partition?: number; systemPartition?: boolean },
): Promise<VolumeProbe> {
  const where = ctx.partition !== undefined ? { partition: ctx.partition } : {};
  const lba = Math.floor(offsetBytes / disk.logicalSectorSize);
  const findings: InspectFinding[] = [];
  const volume = sliceTarget(disk, offsetBytes, sizeBytes);
  const head = await volume.read(0, Math.min(sizeBytes, VOLUME_PROBE_BYTES));
  const signatures = volumeSignatures(head);
  const at = `${ctx.partition !== undefined ? `partition ${ctx.partition}` : 'the whole disk'} (byte ${offsetBytes})`;
  const backup = signatures.length === 0 ? await findBackupBoot(volume) : null;
  const type = (signatures[0] ?? backup?.type ?? null) as FilesystemType | null;
  if (backup) {
    findings.push(reportFinding('FS_BOOT_SECTOR_DAMAGED', { structure: 'Volume', offsetBytes, lba, ...where, expected: `a ${backup.type} boot sector`, actual: 'no filesystem signature', message: `${at}: the boot sector carries no filesystem signature, but a ${backup.type} backup boot sector is at volume byte ${backup.offsetBytes}` }));
  }
  if (signatures.length > 1) {
    findings.push(reportFinding('FS_SIGNATURE_CONFLICT', { structure: 'Volume', offsetBytes, lba, ...where, expected: 'one filesystem signature', actual: signatures.join(', '), message: `${at} carries signatures of ${signatures.join(', ')}` }));
  }
  if (type === null) {
    if (ctx.partition !== undefined && !ctx.systemPartition) findings.push(reportFinding('FS_NONE', { structure: 'Volume', offsetBytes, lba, ...where, message: `no filesystem recognised in ${at}` }));
    return { report: { type, signatures, label: null, details: null }, findings };
  }
  if (NON_WINDOWS_VOLUME_TYPES.includes(type)) {
    findings.push(reportFinding('FS_NOT_WINDOWS', { structure: 'Volume', offsetBytes, lba, ...where, actual: type, message: `${at} holds ${type}, which Windows cannot read` }));
  }
  if (type === 'bitlocker') findings.push(reportFinding('FS_ENCRYPTED', { structure: 'Volume', offsetBytes, lba, ...where, message: `${at} is a BitLocker volume` }));

  const inspector = FS_INSPECTORS[type];
  if (!inspector) return { report: { type, signatures, label: null, details: null }, findings };
  try {
    const result = await inspector(volume, { partitionStartLba: ctx.partitionStartLba, partitionSizeBytes: ctx.partitionSizeBytes, wholeVolume: ctx.wholeVolume });
    for (const f of result.findings) findings.push(placeFinding(f, { offsetBaseBytes: offsetBytes, sectorSize: disk.logicalSectorSize, ...where }));
    const details = JSON.parse(JSON.stringify(result.report)) as FsDetails; // plain JSON, no shared references
    return { report: { type: details.type, signatures, label: labelOf(details), details }, findings };
  } catch (e) {
    if (e instanceof GuestdiskError && e.code === 'IO_FAILED') throw e;
    const internal = !(e instanceof GuestdiskError);
    const message = e instanceof Error ? e.message : String(e);
    findings.push(reportFinding(internal ? 'FS_INSPECT_INTERNAL_ERROR' : 'FS_DECODE_FAILED', { structure: type, offsetBytes, lba, ...where, message: `${type} in ${at}: ${message}` }));
    return { report: { type, signatures, label: null, details: null }, findings };
  }
}
