// exFAT inspector: reads the volume (exfat-volume.ts), then runs EXFAT_CHECKS: the boot regions, PartitionOffset and
// VolumeLength against the partition, the root directory's entries, the up-case checksum, the bitmap's marks, and the
// whole-volume walk (exfat-walk-checks.ts).
// Read-only; garbage gives findings or a GuestdiskError, nothing else.
import { hex } from '../errors.js';
import { BOOT_REGION_SECTORS, checkBootRegion } from '../fs/exfat/boot-region.js';
import { EXFAT_BOOT_SECTOR } from '../fs/exfat/boot-sector.js';
import { BOOT_CHECKSUM_SKIPPED_OFFSETS } from '../fs/exfat/checksum.js';
import { VOLUME_LABEL_MAX_UNITS } from '../fs/exfat/dir-entry.js';
import { upcaseTableChecksum } from '../fs/exfat/upcase.js';
import type { BlockTarget } from '../target/block-target.js';
import { checkWholeVolume } from './exfat-walk-checks.js';
import { clusterChain, readClusters, readExfatView, readIfInside, type ExfatView } from './exfat-volume.js';
import { codeChecks, reportFinding, type InspectFinding } from './finding-codes.js';
import { checksFor, runChecks, type FsInspectContext, type FsInspectResult, type VolumeCheck } from './fs-inspector.js';
import type { ExfatReport } from './report.js';

export type { ExfatReport } from './report.js';

const S = 'ExfatVolume';
const VOLUME_DIRTY = 0x0002;

/** At most this many clusters of each metadata chain are checked against the allocation bitmap. */
const MAX_MARK_CHECKS = 4096;

/** The allocation bitmap must mark its own clusters and those of the up-case table and root directory in use. */
async function checkBitmapMarksMetadata(v: ExfatView): Promise<InspectFinding[]> {
  const entry = v.root.bitmapEntry;
  if (!entry) return [];
  const { bs, volume, clusterSize } = v;
  const bitmapClusters = Math.ceil(Math.min(entry.dataLength, Math.ceil(bs.clusterCount / 8)) / clusterSize);
  const chain = await clusterChain(volume, bs, entry.firstCluster, Math.min(bitmapClusters, MAX_MARK_CHECKS));
  if (chain.problem) return [reportFinding('EXFAT_ALLOCATION_BITMAP', { structure: S, message: `the allocation bitmap's chain: ${chain.problem}` })];
  const others = [...v.rootChain.clusters, ...(v.root.upcase && typeof v.root.upcase.table !== 'string' ? v.root.upcase.clusters : [])];
  const wanted = [...chain.clusters, ...others.slice(0, MAX_MARK_CHECKS)];
  const cache = new Map<number, Uint8Array | null>();
  const free: number[] = [];
  for (const c of wanted) {
    const byte = (c - 2) >> 3;
    const index = Math.floor(byte / clusterSize);
    if (index >= chain.clusters.length) continue;
    if (!cache.has(index)) cache.set(index, await readClusters(volume, bs, [chain.clusters[index]], clusterSize));
    const part = cache.get(index);
    if (part && (part[byte % clusterSize] & (1 << ((c - 2) & 7))) === 0) free.push(c);
  }
  if (free.length === 0) return [];
  return [reportFinding('EXFAT_BITMAP_METADATA_FREE', { structure: S, actual: `clusters ${free.slice(0, 8).join(', ')} marked free`,
    message: `the allocation bitmap marks clusters of the bitmap, up-case table or root directory free (${free.slice(0, 4).join(', ')}): a new file would overwrite them` })];
}

function differingByte(main: Uint8Array, backup: Uint8Array): number {
  for (let i = 0; i < main.length; i++) {
    if (main[i] !== backup[i] && !BOOT_CHECKSUM_SKIPPED_OFFSETS.includes(i)) return i;
  }
  return -1;
}

// ---- the checks, in report order

function checkMainBootRegion(v: ExfatView): InspectFinding[] {
  if (v.mainProblem === null) return [];
  return [reportFinding(v.mainProblem.checksumOnly ? 'EXFAT_BOOT_CHECKSUM' : 'EXFAT_BOOT_SECTOR_BAD', { structure: S, offsetBytes: 0, actual: v.mainProblem.problem,
    message: `the main boot region is unusable (${v.mainProblem.problem}); the backup boot region (sectors 12–23) is used, as Windows does; fsck.exfat restores the main one` })];
}

async function checkBackupBootRegion(v: ExfatView): Promise<InspectFinding[]> {
  if (v.mainProblem !== null) return [];
  const backupAt = BOOT_REGION_SECTORS * v.bytesPerSector;
  const backup = await readIfInside(v.volume, backupAt, BOOT_REGION_SECTORS * v.bytesPerSector);
  const at = backup ? differingByte(v.region.bytes, backup) : 0;
  if (backup && at < 0) return [];
  return [reportFinding('EXFAT_BACKUP_BOOT_DIFFERS', { structure: S, offsetBytes: backupAt + Math.max(at, 0),
    message: backup
      ? `the backup boot region differs from the main one at byte ${hex(at, 4)} (sector ${Math.floor(at / v.bytesPerSector)}): a damaged main region could not be recovered from it`
      : 'no room for the backup boot region' })];
}

/** The backup region must match its own checksum too: it is what a damaged main region is restored from. */
async function checkBackupBootChecksum(v: ExfatView): Promise<InspectFinding[]> {
  if (v.mainProblem !== null) return []; // the backup is in use, and was checked when it was chosen
  const backupAt = BOOT_REGION_SECTORS * v.bytesPerSector;
  const backup = await readIfInside(v.volume, backupAt, BOOT_REGION_SECTORS * v.bytesPerSector);
  if (!backup) return []; // checkBackupBootRegion reports the missing room
  return codeChecks('EXFAT_BACKUP_BOOT_CHECKSUM', checkBootRegion(backup, v.bytesPerSector, 'backup boot region'), { offsetBaseBytes: backupAt });
}

function checkPartitionOffset(v: ExfatView): InspectFinding[] {
  if (v.ctx.partitionStartLba === null || v.bs.partitionOffset === v.ctx.partitionStartLba) return [];
  return [reportFinding('EXFAT_PARTITION_OFFSET', { structure: S, field: 'partitionOffset', offsetBytes: EXFAT_BOOT_SECTOR.fields.partitionOffset.offset,
    expected: String(v.ctx.partitionStartLba), actual: String(v.bs.partitionOffset),
    message: `PartitionOffset ${v.bs.partitionOffset} differs from the partition start LBA ${v.ctx.partitionStartLba}: data volumes mount, booting from it would not` })];
}

function checkVolumeFitsPartition(v: ExfatView): InspectFinding[] {
  if (v.volumeSizeBytes <= v.ctx.partitionSizeBytes) return [];
  return [reportFinding('EXFAT_VOLUME_TOO_LARGE', { structure: S, field: 'volumeLength', offsetBytes: EXFAT_BOOT_SECTOR.fields.volumeLength.offset,
    expected: `at most ${v.ctx.partitionSizeBytes} bytes`, actual: `${v.volumeSizeBytes} bytes`,
    message: `the exFAT volume (${v.volumeSizeBytes} bytes) is larger than its partition (${v.ctx.partitionSizeBytes} bytes): Windows refuses to mount it` })];
}

function checkVolumeDirty(v: ExfatView): InspectFinding[] {
  if ((v.bs.volumeFlags & VOLUME_DIRTY) === 0) return [];
  return [reportFinding('EXFAT_VOLUME_DIRTY', { structure: S, field: 'volumeFlags', offsetBytes: EXFAT_BOOT_SECTOR.fields.volumeFlags.offset,
    message: 'VolumeDirty is set: the volume was not unmounted cleanly; Windows checks it before use' })];
}

function checkRootDirectoryChain(v: ExfatView): InspectFinding[] {
  if (!v.rootChain.problem) return [];
  return [reportFinding('EXFAT_ROOT_DIRECTORY', { structure: S, message: `root directory chain: ${v.rootChain.problem}` })];
}

function checkVolumeLabel(v: ExfatView): InspectFinding[] {
  const label = v.root.label;
  if (!label || label.characterCount <= VOLUME_LABEL_MAX_UNITS) return [];
  return [reportFinding('EXFAT_VOLUME_LABEL', { structure: S, actual: String(label.characterCount), message: `the Volume Label entry claims ${label.characterCount} characters (at most ${VOLUME_LABEL_MAX_UNITS})` })];
}

/** A bad set checksum makes Windows treat the entry as corrupt (chkdsk removes it); the volume still mounts. */
function checkVolumeGuidEntrySet(v: ExfatView): InspectFinding[] {
  const checks = v.root.volumeGuid?.checks ?? [];
  return [
    ...codeChecks('EXFAT_VOLUME_GUID_ENTRY_SET_CHECKSUM', checks.filter((f) => f.field === 'setChecksum')),
    ...codeChecks('EXFAT_VOLUME_GUID_ENTRY_INVALID', checks.filter((f) => f.field !== 'setChecksum')),
  ];
}

function checkAllocationBitmapSize(v: ExfatView): InspectFinding[] {
  const needed = Math.ceil(v.bs.clusterCount / 8);
  return v.root.bitmapLengths.filter((n) => n < needed).map((n) => reportFinding('EXFAT_ALLOCATION_BITMAP', { structure: S, expected: `≥ ${needed} bytes`, actual: `${n} bytes`,
    message: `the allocation bitmap (${n} bytes) is too short for ${v.bs.clusterCount} clusters` }));
}

function checkUpcaseChecksum(v: ExfatView): InspectFinding[] {
  const upcase = v.root.upcase;
  if (!upcase) return [];
  if (typeof upcase.table === 'string') return [reportFinding('EXFAT_UPCASE_CHECKSUM', { structure: S, actual: `${upcase.dataLength} bytes`, message: upcase.table })];
  const sum = upcaseTableChecksum(upcase.table);
  if (sum === upcase.tableChecksum) return [];
  return [reportFinding('EXFAT_UPCASE_CHECKSUM', { structure: S, expected: hex(upcase.tableChecksum), actual: hex(sum),
    message: `the up-case table's checksum is ${hex(sum)}, its directory entry says ${hex(upcase.tableChecksum)}: Windows and fsck.exfat reject the volume` })];
}

function checkRootMetadataPresent(v: ExfatView): InspectFinding[] {
  const missing = [v.root.bitmapEntry ? '' : 'Allocation Bitmap', v.root.upcase ? '' : 'Up-case Table'].filter(Boolean);
  if (missing.length === 0) return [];
  return [reportFinding('EXFAT_ROOT_METADATA_MISSING', { structure: S, message: `the root directory has no ${missing.join(' or ')} entry: no implementation mounts it` })];
}

/** Every exFAT check, in report order. A new check: a row in FINDING_CODES, a function here, a corruption test. */
export const EXFAT_CHECKS: readonly VolumeCheck<ExfatView>[] = [
  checkMainBootRegion,
  checkBackupBootRegion,
  checkBackupBootChecksum,
  checkPartitionOffset,
  checkVolumeFitsPartition,
  checkVolumeDirty,
  checkRootDirectoryChain,
  checkVolumeLabel,
  checkVolumeGuidEntrySet,
  checkAllocationBitmapSize,
  checkUpcaseChecksum,
  checkBitmapMarksMetadata,
  checkRootMetadataPresent,
  checkWholeVolume,
];

export async function inspectExfatVolume(volume: BlockTarget, ctx: FsInspectContext): Promise<FsInspectResult<ExfatReport>> {
  const view = await readExfatView(volume, ctx);
  const { bs, bytesPerSector, clusterSize, mainProblem, root } = view;
  const findings = await runChecks(checksFor(EXFAT_CHECKS, [checkWholeVolume], ctx), view);
  return {
    report: {
      type: 'exfat',
      label: root.label?.text ?? null,
      volumeGuid: root.volumeGuid?.guid ?? null,
      serial: bs.volumeSerialNumber.toString(16).padStart(8, '0'),
      bytesPerSector,
      clusterSize,
      clusterCount: bs.clusterCount,
      volumeSizeBytes: view.volumeSizeBytes,
      partitionSizeBytes: ctx.partitionSizeBytes,
      partitionOffset: bs.partitionOffset,
      percentInUse: bs.percentInUse,
      volumeFlags: bs.volumeFlags,
      usedBackupBootRegion: mainProblem !== null,
    },
    findings,
  };
}
