// An exFAT volume as the exFAT checks see it (ExfatView): the boot region chosen (the main one, else the backup),
// its geometry, and the root directory read through the FAT (bounded) for the label, Volume GUID, allocation
// bitmap and up-case table entries. Read-only; every loop is bounded; a volume with no usable boot region is
// CORRUPT_STRUCTURE.
import type { Finding } from '../binary/fields.js';
import { GuestdiskError, isGuestdiskError } from '../errors.js';
import { BOOT_REGION_SECTORS, checkBootRegion } from '../fs/exfat/boot-region.js';
import { EXFAT_BOOT_SECTOR, checkExfatBootSector, type ExfatBootSector } from '../fs/exfat/boot-sector.js';
import {
  ALLOCATION_BITMAP_ENTRY, DIR_ENTRY_SIZE, ENTRY_TYPE, UPCASE_TABLE_ENTRY, VOLUME_GUID_ENTRY, VOLUME_LABEL_ENTRY, VOLUME_LABEL_MAX_UNITS,
  checkVolumeGuidEntry,
} from '../fs/exfat/dir-entry.js';
import { activeFatOffset, isActiveBitmap } from '../fs/exfat/active-fat.js';
import { decodeFatEntry, FAT_ENTRY_BYTES } from '../fs/exfat/fat.js';
import type { BlockTarget } from '../target/block-target.js';
import type { FsInspectContext } from './fs-inspector.js';

/** Root directory clusters and bytes we are willing to read (a fresh root is one cluster). */
const MAX_ROOT_CLUSTERS = 256;
const MAX_ROOT_BYTES = 4 * 1024 * 1024;
/** An up-case table never needs more than 65,536 two-byte entries (a compressed one is shorter). */
const MAX_UPCASE_BYTES = 0x10000 * 2;

export interface Region {
  readonly bs: ExfatBootSector;
  readonly bytes: Uint8Array;
  readonly bytesPerSector: number;
}

export async function readIfInside(volume: BlockTarget, offsetBytes: number, lengthBytes: number): Promise<Uint8Array | null> {
  if (!Number.isSafeInteger(offsetBytes) || !Number.isSafeInteger(lengthBytes) || offsetBytes < 0 || lengthBytes <= 0 || offsetBytes + lengthBytes > volume.sizeBytes) return null;
  return volume.read(offsetBytes, lengthBytes);
}

/** The boot region starting at sector `firstSector`, or why it is unusable ('checksum' problems apart). */
async function readRegion(volume: BlockTarget, firstSector: number, bytesPerSector: number): Promise<{ region: Region | null; problem: string; checksumOnly: boolean }> {
  const bytes = await readIfInside(volume, firstSector * bytesPerSector, BOOT_REGION_SECTORS * bytesPerSector);
  if (!bytes) return { region: null, problem: `no room for a ${bytesPerSector}-byte-sector boot region at sector ${firstSector}`, checksumOnly: false };
  let bs: ExfatBootSector;
  try {
    bs = EXFAT_BOOT_SECTOR.decode(bytes);
  } catch (e) {
    if (!isGuestdiskError(e)) throw e;
    return { region: null, problem: e.message, checksumOnly: false };
  }
  const bsErrors = checkExfatBootSector(bs).filter((f) => f.severity === 'error');
  if (bsErrors.length > 0) return { region: null, problem: bsErrors[0].message, checksumOnly: false };
  if (2 ** bs.bytesPerSectorShift !== bytesPerSector) {
    return { region: null, problem: `BytesPerSectorShift ${bs.bytesPerSectorShift} does not match ${bytesPerSector}-byte sectors`, checksumOnly: false };
  }
  const regionErrors = checkBootRegion(bytes, bytesPerSector, firstSector === 0 ? 'main boot region' : 'backup boot region');
  const region = { bs, bytes, bytesPerSector };
  if (regionErrors.length > 0) return { region, problem: regionErrors[0].message, checksumOnly: true };
  return { region, problem: '', checksumOnly: false };
}

/** Sector sizes to try for a region whose own BytesPerSectorShift cannot be trusted. */
function candidateSectorSizes(shiftByte: number): number[] {
  const all = [512, 4096, 1024, 2048];
  const own = shiftByte >= 9 && shiftByte <= 12 ? 2 ** shiftByte : null;
  return own === null ? all : [own, ...all.filter((s) => s !== own)];
}

/** Follows a FAT chain from `first` for at most `maxClusters`; stops at end-of-chain, free, bad or a repeat. */
export async function clusterChain(volume: BlockTarget, bs: ExfatBootSector, first: number, maxClusters: number): Promise<{ clusters: number[]; problem: string | null }> {
  const bps = 2 ** bs.bytesPerSectorShift;
  const clusters: number[] = [];
  const seen = new Set<number>();
  let c = first;
  for (let i = 0; i < maxClusters; i++) {
    if (c < 2 || c > bs.clusterCount + 1) return { clusters, problem: `cluster ${c} is outside the heap (2..${bs.clusterCount + 1})` };
    if (seen.has(c)) return { clusters, problem: `the chain loops back to cluster ${c}` };
    seen.add(c);
    clusters.push(c);
    const entryAt = activeFatOffset(bs) * bps + c * FAT_ENTRY_BYTES;
    const entry = await readIfInside(volume, entryAt, FAT_ENTRY_BYTES);
    if (!entry) return { clusters, problem: `FAT entry ${c} lies past the end of the volume` };
    const link = decodeFatEntry(entry);
    if (link.kind === 'end') return { clusters, problem: null };
    if (link.kind !== 'next') return { clusters, problem: `FAT entry ${c} is ${link.kind} inside a chain` };
    c = link.cluster;
  }
  return { clusters, problem: null }; // long enough for what we read
}

export async function readClusters(volume: BlockTarget, bs: ExfatBootSector, clusters: readonly number[], lengthBytes: number): Promise<Uint8Array | null> {
  const bps = 2 ** bs.bytesPerSectorShift;
  const clusterSize = bps * 2 ** bs.sectorsPerClusterShift;
  const out = new Uint8Array(lengthBytes);
  let done = 0;
  for (const c of clusters) {
    if (done >= lengthBytes) break;
    const n = Math.min(clusterSize, lengthBytes - done);
    const part = await readIfInside(volume, bs.clusterHeapOffset * bps + (c - 2) * clusterSize, n);
    if (!part) return null;
    out.set(part, done);
    done += n;
  }
  return done === lengthBytes ? out : null;
}

/** The root directory's entries the checks need (the first of each kind, as Windows uses them). */
export interface RootEntries {
  readonly label: { readonly text: string; readonly characterCount: number } | null;
  readonly volumeGuid: { readonly guid: string; readonly checks: readonly Finding[] } | null;
  /** The Allocation Bitmap of the active FAT (ActiveFat picks one of a TexFAT volume's two). */
  readonly bitmapEntry: { readonly firstCluster: number; readonly dataLength: number } | null;
  /** The other Allocation Bitmaps (a TexFAT volume's inactive one): not read, but their clusters are allocated. */
  readonly otherBitmaps: readonly { readonly firstCluster: number; readonly dataLength: number }[];
  /** Every Allocation Bitmap entry's DataLength (TexFAT volumes have two). */
  readonly bitmapLengths: readonly number[];
  /** The up-case table entry, its chain, and the table (or why it cannot be read). */
  readonly upcase: { readonly tableChecksum: number; readonly dataLength: number; readonly clusters: readonly number[]; readonly table: Uint8Array | string } | null;
}

/** What the checks see: the boot region chosen, the geometry, the root directory as read. */
export interface ExfatView {
  readonly volume: BlockTarget;
  readonly ctx: FsInspectContext;
  readonly region: Region;
  readonly bs: ExfatBootSector;
  readonly bytesPerSector: number;
  readonly clusterSize: number;
  readonly volumeSizeBytes: number;
  /** Why the main region was not used (null: it was). */
  readonly mainProblem: { readonly problem: string; readonly checksumOnly: boolean } | null;
  readonly rootChain: { readonly clusters: readonly number[]; readonly problem: string | null };
  readonly root: RootEntries;
}

/** The main boot region when usable, else the first usable backup region (trying each sector size). */
async function chooseBootRegion(volume: BlockTarget): Promise<{ region: Region; mainProblem: ExfatView['mainProblem'] }> {
  const first = await volume.read(0, 512);
  const sizes = candidateSectorSizes(first[EXFAT_BOOT_SECTOR.fields.bytesPerSectorShift.offset]);
  const main = await readRegion(volume, 0, sizes[0]);
  if (main.region && !main.checksumOnly) return { region: main.region, mainProblem: null };
  for (const s of sizes) {
    const b = await readRegion(volume, BOOT_REGION_SECTORS, s);
    if (b.region && !b.checksumOnly) return { region: b.region, mainProblem: { problem: main.problem, checksumOnly: main.checksumOnly } };
  }
  throw new GuestdiskError('CORRUPT_STRUCTURE', `no usable exFAT boot region: main: ${main.problem}`, { reason: main.problem });
}

async function readUpcase(volume: BlockTarget, bs: ExfatBootSector, clusterSize: number, entry: Uint8Array): Promise<NonNullable<RootEntries['upcase']>> {
  const e = UPCASE_TABLE_ENTRY.decode(entry);
  const base = { tableChecksum: e.tableChecksum, dataLength: e.dataLength, clusters: [] as number[] };
  if (e.dataLength === 0 || e.dataLength > MAX_UPCASE_BYTES) return { ...base, table: `the up-case table is ${e.dataLength} bytes long (1..${MAX_UPCASE_BYTES})` };
  const chain = await clusterChain(volume, bs, e.firstCluster, Math.ceil(e.dataLength / clusterSize));
  const table = chain.problem ? null : await readClusters(volume, bs, chain.clusters, e.dataLength);
  if (!table) return { ...base, table: `the up-case table at cluster ${e.firstCluster} cannot be read${chain.problem ? `: ${chain.problem}` : ''}` };
  return { ...base, clusters: chain.clusters, table };
}

async function readRootEntries(volume: BlockTarget, bs: ExfatBootSector, clusterSize: number, root: Uint8Array | null): Promise<RootEntries> {
  let label: RootEntries['label'] = null;
  let volumeGuid: RootEntries['volumeGuid'] = null;
  const bitmaps: { firstCluster: number; dataLength: number; active: boolean }[] = [];
  const bitmapLengths: number[] = [];
  let upcase: RootEntries['upcase'] = null;
  for (let at = 0; root && at + DIR_ENTRY_SIZE <= root.length; at += DIR_ENTRY_SIZE) {
    const type = root[at];
    if (type === ENTRY_TYPE.endOfDirectory) break;
    const entry = root.subarray(at, at + DIR_ENTRY_SIZE);
    if (type === ENTRY_TYPE.volumeLabel && label === null) {
      const e = VOLUME_LABEL_ENTRY.decode(entry);
      label = { text: e.volumeLabel.slice(0, Math.min(e.characterCount, VOLUME_LABEL_MAX_UNITS)), characterCount: e.characterCount };
    } else if (type === ENTRY_TYPE.volumeGuid && volumeGuid === null) {
      const e = VOLUME_GUID_ENTRY.decode(entry);
      volumeGuid = { guid: e.volumeGuid, checks: checkVolumeGuidEntry(e) };
    } else if (type === ENTRY_TYPE.allocationBitmap) {
      const e = ALLOCATION_BITMAP_ENTRY.decode(entry);
      bitmaps.push({ firstCluster: e.firstCluster, dataLength: e.dataLength, active: isActiveBitmap(bs, e.bitmapFlags) });
      bitmapLengths.push(e.dataLength);
    } else if (type === ENTRY_TYPE.upcaseTable && upcase === null) {
      upcase = await readUpcase(volume, bs, clusterSize, entry);
    }
  }
  const chosen = bitmaps.find((b) => b.active) ?? bitmaps[0];
  const extent = (b: (typeof bitmaps)[number]): { firstCluster: number; dataLength: number } => ({ firstCluster: b.firstCluster, dataLength: b.dataLength });
  return { label, volumeGuid, bitmapEntry: chosen ? extent(chosen) : null, otherBitmaps: bitmaps.filter((b) => b !== chosen).map(extent), bitmapLengths, upcase };
}

/** Chooses the boot region and reads the root directory's entries. */
export async function readExfatView(volume: BlockTarget, ctx: FsInspectContext): Promise<ExfatView> {
  if (volume.sizeBytes < 512) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `exFAT volume of ${volume.sizeBytes} bytes has no room for a boot sector`, { sizeBytes: volume.sizeBytes });
  }
  const { region, mainProblem } = await chooseBootRegion(volume);
  const { bs, bytesPerSector } = region;
  const clusterSize = bytesPerSector * 2 ** bs.sectorsPerClusterShift;
  const rootChain = await clusterChain(volume, bs, bs.firstClusterOfRootDirectory, Math.min(MAX_ROOT_CLUSTERS, Math.floor(MAX_ROOT_BYTES / clusterSize) || 1));
  const rootBytes = rootChain.clusters.length > 0 ? await readClusters(volume, bs, rootChain.clusters, rootChain.clusters.length * clusterSize) : null;
  const root = await readRootEntries(volume, bs, clusterSize, rootBytes);
  return { volume, ctx, region, bs, bytesPerSector, clusterSize, volumeSizeBytes: bs.volumeLength * bytesPerSector, mainProblem, rootChain, root };
}
