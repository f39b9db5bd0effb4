// FAT inspector: decodes a FAT12/16/32 volume's boot sector (read-only) and, for FAT32, its FSInfo sector and root
// directory chain, then runs FAT_CHECKS: layout, FAT copies, backup boot sector, FSInfo, the root chain, the
// labels. Every loop is bounded, every read is checked against the volume first, and garbage yields findings or
// a GuestdiskError, never anything else.
import { readUint } from '../binary/fields.js';
import { GuestdiskError, hex } from '../errors.js';
import {
  FAT32_BOOT_SECTOR, FAT_NO_NAME_LABEL, checkFat32BootSector, type Fat32BootSector,
} from '../fs/fat32/boot-sector.js';
import { ATTR_DIRECTORY, ATTR_LONG_NAME, ATTR_VOLUME_ID, DIR_ENTRY, DIR_ENTRY_END, DIR_ENTRY_FREE, DIR_ENTRY_SIZE } from '../fs/fat32/dir-entry.js';
import { FAT16_BOOT_SECTOR, checkFat16BootSector } from '../fs/fat32/fat16-boot-sector.js';
import { FAT12_MAX_CLUSTERS, FAT32_BAD_CLUSTER, FAT32_ENTRY_BYTES, FAT32_ENTRY_MASK, FAT32_EOC_MIN, FAT32_MIN_CLUSTERS, FIRST_DATA_CLUSTER } from '../fs/fat32/fat.js';
import { FSINFO, FSI_UNKNOWN, checkFsInfo, type FsInfo } from '../fs/fat32/fsinfo.js';
import type { BlockTarget } from '../target/block-target.js';
import { codeChecks, reportFinding, type InspectFinding } from './finding-codes.js';
import { runChecks, type FsInspectContext, type FsInspectResult, type VolumeCheck } from './fs-inspector.js';
import type { FatReport, FatType } from './report.js';

export type { FatReport, FatType } from './report.js';

/** Free clusters are counted only in FATs up to this size. */
const FAT_COUNT_LIMIT_BYTES = 64 * 1024 * 1024;
const READ_BLOCK_BYTES = 4 * 1024 * 1024;
/** A root directory longer than this is not followed further (a fresh one has 1 cluster). */
const ROOT_CHAIN_LIMIT = 4096;
/** A free FAT entry. */
const FAT32_FREE_ENTRY = 0;
const ROOT_READ_LIMIT_BYTES = 64 * 1024 * 1024;

const S = 'FatVolume';

/** Where the root directory's chain broke: a loop, a bad or out-of-volume entry, a free cluster. */
interface RootChainProblem {
  readonly code: 'FAT_ROOT_CHAIN' | 'FAT_ROOT_CLUSTER_FREE';
  readonly cluster: number;
  /** Volume byte of the FAT entry (or of BPB_RootClus) that says so. */
  readonly offsetBytes: number;
  readonly field: string;
  readonly actual: string;
  readonly message: string;
}

/** What the checks see: the boot sector, the layout computed from it, and what FAT32's other structures hold. */
interface FatView {
  readonly volume: BlockTarget;
  readonly ctx: FsInspectContext;
  readonly head: Uint8Array;
  readonly bpb: ReturnType<typeof FAT16_BOOT_SECTOR.decode>;
  readonly b32: Fat32BootSector;
  readonly s: number;
  readonly type: FatType;
  readonly isFat32Layout: boolean;
  readonly fatSz: number;
  readonly totSec: number;
  readonly rootDirSectors: number;
  readonly dataStartLba: number;
  readonly clusterCount: number;
  readonly volumeSizeBytes: number;
  readonly hasExt: boolean;
  readonly bootLabel: string | null;
  readonly rootLabel: string | null;
  /** FAT32 only: the FSInfo sector, or why it is not there (null on FAT12/16). */
  readonly fsInfo: { readonly at: number; readonly value: FsInfo } | string | null;
  readonly freeCountActual: number | null;
  /** FAT32 only: the first break in the root directory's chain. */
  readonly rootChainProblems: readonly RootChainProblem[];
}

const fatOffset = (v: Pick<FatView, 'bpb' | 'fatSz' | 's'>, i: number): number => (v.bpb.rsvdSecCnt + i * v.fatSz) * v.s;
const inVolume = (volume: BlockTarget, offsetBytes: number, lengthBytes: number): boolean => offsetBytes >= 0 && offsetBytes + lengthBytes <= volume.sizeBytes;

/** The FAT32 root directory's clusters, following FAT 1 (bounded, loop-safe), and where the chain breaks. */
async function walkRootChain(volume: BlockTarget, b32: Fat32BootSector, fatAt: number, dataStartLba: number, clusterCount: number): Promise<{ clusters: number[]; problems: RootChainProblem[] }> {
  const s = b32.bytsPerSec;
  const clusterBytes = s * b32.secPerClus;
  const lastCluster = clusterCount + FIRST_DATA_CLUSTER - 1;
  const maxSteps = Math.max(1, Math.min(ROOT_CHAIN_LIMIT, Math.floor(ROOT_READ_LIMIT_BYTES / clusterBytes)));
  const clusters: number[] = [];
  const problems: RootChainProblem[] = [];
  const seen = new Set<number>();
  let cluster = b32.rootClus;
  let from: { offsetBytes: number; field: string } = { offsetBytes: FAT32_BOOT_SECTOR.fields.rootClus.offset, field: 'rootClus' };
  for (let steps = 0; steps < maxSteps; steps++) {
    const dataAt = (dataStartLba + (cluster - FIRST_DATA_CLUSTER) * b32.secPerClus) * s;
    if (cluster < FIRST_DATA_CLUSTER || cluster > lastCluster || dataAt + clusterBytes > volume.sizeBytes || seen.has(cluster)) {
      const loop = seen.has(cluster);
      problems.push({ code: 'FAT_ROOT_CHAIN', cluster, ...from, actual: String(cluster),
        message: `root directory chain reaches cluster ${cluster}, which is ${loop ? 'a loop' : `outside the volume (clusters ${FIRST_DATA_CLUSTER}–${lastCluster})`}` });
      break;
    }
    seen.add(cluster);
    clusters.push(cluster);
    const entryAt = fatAt + cluster * FAT32_ENTRY_BYTES;
    if (!inVolume(volume, entryAt, FAT32_ENTRY_BYTES)) break;
    const next = readUint(await volume.read(entryAt, FAT32_ENTRY_BYTES), 0, 4) & FAT32_ENTRY_MASK;
    const entry = { offsetBytes: entryAt, field: `FAT[${cluster}]` };
    // Every cluster of the chain must be allocated in the FAT: a free one would be handed out to a new file.
    if (next === FAT32_FREE_ENTRY) {
      problems.push({ code: 'FAT_ROOT_CLUSTER_FREE', cluster, ...entry, actual: `FAT[${cluster}] = 0`,
        message: `cluster ${cluster} of the root directory is marked free in the FAT: a new file would overwrite the root directory` });
      break;
    }
    if (next === FAT32_BAD_CLUSTER || next === cluster || (next < FAT32_EOC_MIN && (next < FIRST_DATA_CLUSTER || next > lastCluster))) {
      const what = next === FAT32_BAD_CLUSTER ? 'marks it bad' : next === cluster ? 'points at itself' : `points at cluster ${next}, outside the volume (clusters ${FIRST_DATA_CLUSTER}–${lastCluster})`;
      problems.push({ code: 'FAT_ROOT_CHAIN', cluster, ...entry, actual: `FAT[${cluster}] = ${hex(next)}`,
        message: `the FAT entry of root directory cluster ${cluster} ${what}: the root directory cannot be followed past it` });
      break;
    }
    if (next >= FAT32_EOC_MIN) break;
    from = entry;
    cluster = next;
  }
  return { clusters, problems };
}

/** The first volume label entry in the root directory's clusters, read in order up to the end marker. */
async function readRootLabelFat32(volume: BlockTarget, b32: Fat32BootSector, dataStartLba: number, clusters: readonly number[]): Promise<string | null> {
  const s = b32.bytsPerSec;
  const clusterBytes = s * b32.secPerClus;
  for (const cluster of clusters) {
    const result = scanDirectory(await volume.read((dataStartLba + (cluster - FIRST_DATA_CLUSTER) * b32.secPerClus) * s, clusterBytes));
    if (result.label !== undefined) return result.label;
    if (result.ended) return null;
  }
  return null;
}

async function readFsInfo(volume: BlockTarget, bpb: FatView['bpb'], b32: Fat32BootSector, s: number): Promise<FatView['fsInfo']> {
  const at = b32.fsInfo * s;
  if (b32.fsInfo === 0 || b32.fsInfo >= bpb.rsvdSecCnt || !inVolume(volume, at, FSINFO.sizeBytes)) {
    return `BPB_FSInfo ${b32.fsInfo} is not a sector of the reserved region (${bpb.rsvdSecCnt} sectors)`;
  }
  return { at, value: FSINFO.decode(await volume.read(at, FSINFO.sizeBytes)) };
}

/** Decodes the boot sector and lays the volume out; CORRUPT_STRUCTURE when it is no FAT volume at all. */
async function readFatView(volume: BlockTarget, ctx: FsInspectContext): Promise<FatView> {
  const head = await volume.read(0, 512);
  const bpb = FAT16_BOOT_SECTOR.decode(head); // BPB part is common; the rest is re-read per type below
  const firstError = checkFat16BootSector(bpb).find((f) => f.severity === 'error');
  if (firstError) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `not a FAT boot sector: ${firstError.message}`, { code: firstError.code });
  }
  if (bpb.rsvdSecCnt === 0) throw new GuestdiskError('CORRUPT_STRUCTURE', 'not a FAT boot sector: BPB_RsvdSecCnt is 0');
  const s = bpb.bytsPerSec;
  const isFat32Layout = bpb.fatSz16 === 0;
  const b32 = FAT32_BOOT_SECTOR.decode(head);
  const fatSz = isFat32Layout ? b32.fatSz32 : bpb.fatSz16;
  const totSec = bpb.totSec16 !== 0 ? bpb.totSec16 : bpb.totSec32;
  const rootDirSectors = Math.ceil((bpb.rootEntCnt * DIR_ENTRY_SIZE) / s);
  const dataStartLba = bpb.rsvdSecCnt + bpb.numFats * fatSz + rootDirSectors;
  if (fatSz === 0 || dataStartLba >= totSec) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `not a usable FAT volume: FAT size ${fatSz}, data region at sector ${dataStartLba} of ${totSec}`, {
      fatSizeSectors: fatSz, dataStartLba, totalSectors: totSec,
    });
  }
  const clusterCount = Math.floor((totSec - dataStartLba) / bpb.secPerClus);
  const type: FatType = clusterCount <= FAT12_MAX_CLUSTERS ? 'fat12' : clusterCount < FAT32_MIN_CLUSTERS ? 'fat16' : 'fat32';
  const ext = isFat32Layout ? b32 : bpb;
  const hasExt = ext.bootSig === 0x29;
  const bootLabel = hasExt && ext.volLab !== FAT_NO_NAME_LABEL ? ext.volLab.replace(/ +$/, '') : null;
  const layout = { bpb, fatSz, s };

  let fsInfo: FatView['fsInfo'] = null;
  let freeCountActual: number | null = null;
  let rootLabel: string | null = null;
  let rootChainProblems: RootChainProblem[] = [];
  if (type === 'fat32' && isFat32Layout) {
    fsInfo = await readFsInfo(volume, bpb, b32, s);
    if (fatSz * s <= FAT_COUNT_LIMIT_BYTES && inVolume(volume, fatOffset(layout, 0), fatSz * s)) freeCountActual = await countFreeClusters(volume, fatOffset(layout, 0), clusterCount);
    const chain = await walkRootChain(volume, b32, fatOffset(layout, 0), dataStartLba, clusterCount);
    rootChainProblems = chain.problems;
    rootLabel = await readRootLabelFat32(volume, b32, dataStartLba, chain.clusters);
  } else if (!isFat32Layout) {
    const rootAt = (bpb.rsvdSecCnt + bpb.numFats * fatSz) * s;
    if (inVolume(volume, rootAt, rootDirSectors * s)) rootLabel = findLabel(await volume.read(rootAt, rootDirSectors * s));
  }
  return { volume, ctx, head, bpb, b32, s, type, isFat32Layout, fatSz, totSec, rootDirSectors, dataStartLba, clusterCount, volumeSizeBytes: totSec * s,
    hasExt, bootLabel, rootLabel, fsInfo, freeCountActual, rootChainProblems };
}

const isFat32 = (v: FatView): boolean => v.type === 'fat32' && v.isFat32Layout;

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
];

export async function inspectFatVolume(volume: BlockTarget, ctx: FsInspectContext): Promise<FsInspectResult<FatReport>> {
  if (volume.sizeBytes < 512) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `FAT volume of ${volume.sizeBytes} bytes has no room for a boot sector`, { sizeBytes: volume.sizeBytes });
  }
  const v = await readFatView(volume, ctx);
  const findings = await runChecks(FAT_CHECKS, v);
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

/** Free (zero) entries among clusters 2 … clusterCount + 1 of the FAT at `fatAt`, read a block at a time. */
async function countFreeClusters(volume: BlockTarget, fatAt: number, clusterCount: number): Promise<number> {
  const first = FIRST_DATA_CLUSTER * 4;
  const end = (clusterCount + FIRST_DATA_CLUSTER) * 4;
  let free = 0;
  for (let off = first; off < end; off += READ_BLOCK_BYTES) {
    const block = await volume.read(fatAt + off, Math.min(READ_BLOCK_BYTES, end - off));
    for (let i = 0; i + 4 <= block.length; i += 4) if ((readUint(block, i, 4) & FAT32_ENTRY_MASK) === 0) free++;
  }
  return free;
}

function findLabel(dir: Uint8Array): string | null {
  return scanDirectory(dir).label ?? null;
}

/** The first label entry in a run of directory entries; `ended` when the 0x00 end marker was seen. */
function scanDirectory(dir: Uint8Array): { label?: string | null; ended: boolean } {
  for (let i = 0; i + DIR_ENTRY_SIZE <= dir.length; i += DIR_ENTRY_SIZE) {
    const e = DIR_ENTRY.decode(dir.subarray(i, i + DIR_ENTRY_SIZE));
    if (e.name[0] === DIR_ENTRY_END) return { ended: true };
    if (e.name[0] === DIR_ENTRY_FREE) continue;
    if ((e.attr & 0x3f) === ATTR_LONG_NAME) continue; // long-name entries (the two high bits are reserved)
    if ((e.attr & (ATTR_VOLUME_ID | ATTR_DIRECTORY)) === ATTR_VOLUME_ID) {
      return { label: String.fromCharCode(...e.name).replace(/ +$/, ''), ended: false };
    }
  }
  return { ended: false };
}
