// FAT inspector: reads a FAT12/16/32 volume (fat-volume.ts), then runs FAT_CHECKS: layout, FAT copies, backup boot
// sector, FSInfo, the root chain, the labels, and on FAT32 the whole-volume walk (fat-walk-checks.ts). Read-only; garbage yields findings or a GuestdiskError.
import { GuestdiskError, hex } from '../errors.js';
import { FAT32_BOOT_SECTOR, checkFat32BootSector } from '../fs/fat32/boot-sector.js';
import { FAT16_BOOT_SECTOR } from '../fs/fat32/fat16-boot-sector.js';
import { FAT32_ENTRY_BYTES, FIRST_DATA_CLUSTER } from '../fs/fat32/fat.js';
import { FSINFO, FSI_UNKNOWN, checkFsInfo } from '../fs/fat32/fsinfo.js';
import type { BlockTarget } from '../target/block-target.js';
import { checkWholeVolume } from './fat-walk-checks.js';
import { fatOffset, inVolume, isFat32, readFatView, READ_BLOCK_BYTES, type FatView } from './fat-volume.js';
import { codeChecks, reportFinding, type InspectFinding } from './finding-codes.js';
import { checksFor, runChecks, type FsInspectContext, type FsInspectResult, type VolumeCheck } from './fs-inspector.js';
import type { FatReport, FatType } from './report.js';

export type { FatReport, FatType } from './report.js';

const S = 'FatVolume';

// ---- the checks, in report order

function checkVolumeFitsPartition(v: FatView): InspectFinding[] {
  const room = Math.min(v.ctx.partitionSizeBytes, v.volume.sizeBytes);
  if (v.volumeSizeBytes <= room) return [];
  return [reportFinding('FAT_VOLUME_TOO_LARGE', { structure: S, field: 'totSec32', offsetBytes: FAT16_BOOT_SECTOR.fields.totSec32.offset,
    expected: `<= ${room} bytes`, actual: `${v.volumeSizeBytes} bytes`,
    message: `the boot sector says ${v.totSec} sectors (${v.volumeSizeBytes} bytes), more than the ${room}-byte partition` })];
}

function checkHiddenSectors(v: FatView): InspectFinding[] {
  if (v.ctx.partitionStartLba === null || v.bpb.hiddSec === v.ctx.partitionStartLba) return [];
  return [reportFinding('FAT_HIDDEN_SECTORS', { structure: S, field: 'hiddSec', offsetBytes: FAT16_BOOT_SECTOR.fields.hiddSec.offset,
    expected: String(v.ctx.partitionStartLba), actual: String(v.bpb.hiddSec),
    message: `BPB_HiddSec is ${v.bpb.hiddSec}, the partition starts at LBA ${v.ctx.partitionStartLba}` })];
}

function checkTypeLayout(v: FatView): InspectFinding[] {
  if ((v.type === 'fat32') === v.isFat32Layout) return [];
  return [reportFinding('FAT_TYPE_LAYOUT', { structure: S, field: 'fatSz16', offsetBytes: FAT16_BOOT_SECTOR.fields.fatSz16.offset,
    expected: v.type === 'fat32' ? 'BPB_FATSz16 = 0 (FAT32 layout)' : 'BPB_FATSz16 > 0 (FAT12/16 layout)', actual: String(v.bpb.fatSz16),
    message: `${v.clusterCount} clusters make this ${v.type.toUpperCase()}, but the boot sector has the ${v.isFat32Layout ? 'FAT32' : 'FAT12/16'} layout` })];
}

/** Bits of one FAT entry, by FAT type (fatgen103 §3.5). */
const FAT_ENTRY_BITS: Readonly<Record<FatType, number>> = { fat12: 12, fat16: 16, fat32: 32 };

/**
 * Every FAT copy must repeat FAT 1 over the entries of the volume's clusters (the rest of the last FAT sector is
 * unused; fsck.fat ignores it too), compared a block at a time: memory stays flat in the FAT's size.
 */
async function checkFatsEqual(v: FatView): Promise<InspectFinding[]> {
  const fatBytes = Math.min(v.fatSz * v.s, Math.ceil(((v.clusterCount + FIRST_DATA_CLUSTER) * FAT_ENTRY_BITS[v.type]) / 8));
  const out: InspectFinding[] = [];
  for (let copy = 1; copy < v.bpb.numFats; copy++) {
    if (!inVolume(v.volume, fatOffset(v, copy), v.fatSz * v.s)) continue; // FAT_VOLUME_TOO_LARGE says why
    let differing = 0;
    let first = -1;
    for (let at = 0; at < fatBytes; at += READ_BLOCK_BYTES) {
      const n = Math.min(READ_BLOCK_BYTES, fatBytes - at);
      const [a, b] = [await v.volume.read(fatOffset(v, 0) + at, n), await v.volume.read(fatOffset(v, copy) + at, n)];
      for (let i = 0; i < n; i++) {
        if (a[i] === b[i]) continue;
        if (first < 0) first = at + i;
        differing++;
      }
    }
    if (first < 0) continue;
    out.push(reportFinding('FAT_FATS_DIFFER', { structure: S, offsetBytes: fatOffset(v, copy) + first, actual: `${differing} byte(s) differ`,
      message: `FAT 1 and FAT ${copy + 1} differ in ${differing} byte(s), first at byte ${first} of the FAT (entry ${Math.floor(first / FAT32_ENTRY_BYTES)} on FAT32)` }));
  }
  return out;
}

/** FAT32 keeps the FAT12/16 fields BPB_RootEntCnt and BPB_TotSec16 at 0. */
function checkFat32BootFields(v: FatView): InspectFinding[] {
  if (!isFat32(v)) return [];
  return codeChecks('FAT_BOOT_SECTOR_INVALID', checkFat32BootSector(v.b32).filter((f) => f.field === 'rootEntCnt' || f.field === 'totSec16'));
}

async function checkBackupBootSector(v: FatView): Promise<InspectFinding[]> {
  if (!isFat32(v)) return [];
  const { b32, s } = v;
  const at = b32.bkBootSec * s;
  if (b32.bkBootSec === 0 || b32.bkBootSec >= b32.rsvdSecCnt || at + 512 > v.volume.sizeBytes) {
    return [reportFinding('FAT_BACKUP_BOOT_DIFFERS', { structure: S, field: 'bkBootSec', offsetBytes: FAT32_BOOT_SECTOR.fields.bkBootSec.offset,
      actual: String(b32.bkBootSec), message: `no backup boot sector: BPB_BkBootSec is ${b32.bkBootSec} (reserved region: ${b32.rsvdSecCnt} sectors)` })];
  }
  const backup = await v.volume.read(at, 512);
  const differs: number[] = [];
  for (let i = 0; i < 512; i++) if (backup[i] !== v.head[i]) differs.push(i);
  if (differs.length === 0) return [];
  return [reportFinding('FAT_BACKUP_BOOT_DIFFERS', { structure: S, offsetBytes: at + differs[0],
    message: `backup boot sector (sector ${b32.bkBootSec}) differs from sector 0 in ${differs.length} byte(s), first at offset ${differs[0]}` })];
}

function checkFsInfoSignature(v: FatView): InspectFinding[] {
  if (v.fsInfo === null) return [];
  if (typeof v.fsInfo === 'string') {
    return [reportFinding('FAT_FSINFO_SIGNATURE', { structure: S, field: 'fsInfo', offsetBytes: FAT32_BOOT_SECTOR.fields.fsInfo.offset, actual: String(v.b32.fsInfo), message: v.fsInfo })];
  }
  return codeChecks('FAT_FSINFO_SIGNATURE', checkFsInfo(v.fsInfo.value), { offsetBaseBytes: v.fsInfo.at });
}

function checkFsInfoFreeCount(v: FatView): InspectFinding[] {
  if (v.fsInfo === null || typeof v.fsInfo === 'string' || checkFsInfo(v.fsInfo.value).length > 0 || v.freeCountActual === null) return [];
  const { freeCount } = v.fsInfo.value;
  if (freeCount === FSI_UNKNOWN || freeCount === v.freeCountActual) return [];
  return [reportFinding('FAT_FSINFO_FREE_COUNT', { structure: 'FsInfo', field: 'freeCount', offsetBytes: v.fsInfo.at + FSINFO.fields.freeCount.offset,
    expected: String(v.freeCountActual), actual: String(freeCount), message: `FSInfo says ${freeCount} free clusters, FAT 1 has ${v.freeCountActual}` })];
}

/** FSI_Nxt_Free is a hint: 0xFFFFFFFF ("unknown") or a cluster of the volume. */
function checkFsInfoNextFree(v: FatView): InspectFinding[] {
  if (v.fsInfo === null || typeof v.fsInfo === 'string' || checkFsInfo(v.fsInfo.value).length > 0) return [];
  const next = v.fsInfo.value.nxtFree;
  if (next === FSI_UNKNOWN || (next >= FIRST_DATA_CLUSTER && next < v.clusterCount + FIRST_DATA_CLUSTER)) return [];
  return [reportFinding('FAT_FSINFO_NEXT_FREE', { structure: 'FsInfo', field: 'nxtFree', offsetBytes: v.fsInfo.at + FSINFO.fields.nxtFree.offset,
    expected: `0xffffffff or ${FIRST_DATA_CLUSTER}–${v.clusterCount + FIRST_DATA_CLUSTER - 1}`, actual: String(next),
    message: `FSInfo's next-free hint is ${next}, not a cluster of the volume (${FIRST_DATA_CLUSTER}–${v.clusterCount + FIRST_DATA_CLUSTER - 1})` })];
}

/** The root directory's chain: every cluster allocated, no loop, no bad or out-of-volume link. */
function checkRootChain(v: FatView): InspectFinding[] {
  return v.rootChainProblems.map(({ code, cluster: _cluster, ...facts }) => reportFinding(code, { structure: S, ...facts }));
}

function checkLabelsAgree(v: FatView): InspectFinding[] {
  if (!v.hasExt || v.bootLabel === v.rootLabel) return [];
  return [reportFinding('FAT_LABEL_MISMATCH', { structure: S, field: 'volLab',
    offsetBytes: v.isFat32Layout ? FAT32_BOOT_SECTOR.fields.volLab.offset : FAT16_BOOT_SECTOR.fields.volLab.offset,
    expected: JSON.stringify(v.rootLabel ?? 'NO NAME'), actual: JSON.stringify(v.bootLabel ?? 'NO NAME'),
    message: `boot sector label ${JSON.stringify(v.bootLabel ?? 'NO NAME')} and root directory label ${JSON.stringify(v.rootLabel)} disagree` })];
}

/** Every FAT check, in report order. A new check: a row in FINDING_CODES, a function here, a corruption test. */
export const FAT_CHECKS: readonly VolumeCheck<FatView>[] = [
  checkVolumeFitsPartition,
  checkHiddenSectors,
  checkTypeLayout,
  checkFatsEqual,
  checkFat32BootFields,
  checkBackupBootSector,
  checkFsInfoSignature,
  checkFsInfoFreeCount,
  checkFsInfoNextFree,
  checkRootChain,
  checkLabelsAgree,
  checkWholeVolume,
];

export async function inspectFatVolume(volume: BlockTarget, ctx: FsInspectContext): Promise<FsInspectResult<FatReport>> {
  if (volume.sizeBytes < 512) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `FAT volume of ${volume.sizeBytes} bytes has no room for a boot sector`, { sizeBytes: volume.sizeBytes });
  }
  const v = await readFatView(volume, ctx);
  const findings = await runChecks(checksFor(FAT_CHECKS, [checkWholeVolume], ctx), v);
  const fsInfoOk = v.fsInfo !== null && typeof v.fsInfo !== 'string' && checkFsInfo(v.fsInfo.value).length === 0 ? v.fsInfo.value : null;
  const ext = v.isFat32Layout ? v.b32 : v.bpb;
  const report: FatReport = {
    type: v.type,
    label: v.bootLabel,
    rootLabel: v.rootLabel,
    volumeId: v.hasExt ? hex(ext.volId) : null,
    oemName: v.bpb.oemName,
    bytesPerSector: v.s,
    clusterSize: v.s * v.bpb.secPerClus,
    clusterCount: v.clusterCount,
    reservedSectors: v.bpb.rsvdSecCnt,
    fatCount: v.bpb.numFats,
    fatSizeSectors: v.fatSz,
    dataStartLba: v.dataStartLba,
    volumeSizeBytes: v.volumeSizeBytes,
    partitionSizeBytes: ctx.partitionSizeBytes,
    hiddenSectors: v.bpb.hiddSec,
    freeCount: fsInfoOk?.freeCount ?? null,
    nextFree: fsInfoOk?.nxtFree ?? null,
    freeCountActual: v.freeCountActual,
  };
  return { report, findings };
}
