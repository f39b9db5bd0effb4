// A FAT12/16/32 volume as the FAT checks see it (FatView): the boot sector decoded and laid out, and for FAT32 the
// FSInfo sector, the free clusters counted in FAT 1 and the root directory's chain followed to its end. Every loop
// is bounded and every read checked against the volume first; a volume that is no FAT at all is CORRUPT_STRUCTURE.
import { readUint } from '../binary/fields.js';
import { GuestdiskError, hex } from '../errors.js';
import { FAT32_BOOT_SECTOR, FAT_NO_NAME_LABEL, type Fat32BootSector } from '../fs/fat32/boot-sector.js';
import { ATTR_DIRECTORY, ATTR_LONG_NAME, ATTR_VOLUME_ID, DIR_ENTRY, DIR_ENTRY_END, DIR_ENTRY_FREE, DIR_ENTRY_SIZE } from '../fs/fat32/dir-entry.js';
import { FAT16_BOOT_SECTOR, checkFat16BootSector } from '../fs/fat32/fat16-boot-sector.js';
import { FAT12_MAX_CLUSTERS, FAT32_BAD_CLUSTER, FAT32_ENTRY_BYTES, FAT32_ENTRY_MASK, FAT32_EOC_MIN, FAT32_MIN_CLUSTERS, FIRST_DATA_CLUSTER } from '../fs/fat32/fat.js';
import { FSINFO, type FsInfo } from '../fs/fat32/fsinfo.js';
import type { BlockTarget } from '../target/block-target.js';
import type { FsInspectContext } from './fs-inspector.js';
import type { FatType } from './report.js';

export const READ_BLOCK_BYTES = 4 * 1024 * 1024;
/** A root directory longer than this is not followed further (a fresh one has 1 cluster). */
const ROOT_CHAIN_LIMIT = 4096;
/** A free FAT entry. */
const FAT32_FREE_ENTRY = 0;
const ROOT_READ_LIMIT_BYTES = 64 * 1024 * 1024;

/** Where the root directory's chain broke: a loop, a bad or out-of-volume entry, a free cluster. */
export interface RootChainProblem {
  readonly code: 'FAT_ROOT_CHAIN' | 'FAT_ROOT_CLUSTER_FREE';
  readonly cluster: number;
  /** Volume byte of the FAT entry (or of BPB_RootClus) that says so. */
  readonly offsetBytes: number;
  readonly field: string;
  readonly actual: string;
  readonly message: string;
}

/** What the checks see: the boot sector, the layout computed from it, and what FAT32's other structures hold. */
export interface FatView {
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

export const fatOffset = (v: Pick<FatView, 'bpb' | 'fatSz' | 's'>, i: number): number => (v.bpb.rsvdSecCnt + i * v.fatSz) * v.s;
export const inVolume = (volume: BlockTarget, offsetBytes: number, lengthBytes: number): boolean => offsetBytes >= 0 && offsetBytes + lengthBytes <= volume.sizeBytes;

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
export async function readFatView(volume: BlockTarget, ctx: FsInspectContext): Promise<FatView> {
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
    if (inVolume(volume, fatOffset(layout, 0), fatSz * s)) freeCountActual = await countFreeClusters(volume, fatOffset(layout, 0), clusterCount);
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

export const isFat32 = (v: FatView): boolean => v.type === 'fat32' && v.isFat32Layout;

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
