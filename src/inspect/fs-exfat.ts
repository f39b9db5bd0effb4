// exFAT inspector: decodes the main boot region (falling back to the backup when its checksum or boot sector is
// bad), reads the root directory (through the FAT, bounded) for the label, allocation bitmap and up-case table,
// then runs EXFAT_CHECKS: the boot regions, PartitionOffset and VolumeLength against the partition, the root
// directory's entries, the up-case checksum, the bitmap's marks. Read-only; every loop is bounded; garbage gives
// findings or a GuestdiskError, nothing else.
import type { Finding } from '../binary/fields.js';
import { GuestdiskError, hex, isGuestdiskError } from '../errors.js';
import { BOOT_REGION_SECTORS, checkBootRegion } from '../fs/exfat/boot-region.js';
import { EXFAT_BOOT_SECTOR, checkExfatBootSector, type ExfatBootSector } from '../fs/exfat/boot-sector.js';
import { BOOT_CHECKSUM_SKIPPED_OFFSETS } from '../fs/exfat/checksum.js';
import {
  ALLOCATION_BITMAP_ENTRY, DIR_ENTRY_SIZE, ENTRY_TYPE, UPCASE_TABLE_ENTRY, VOLUME_GUID_ENTRY, VOLUME_LABEL_ENTRY, VOLUME_LABEL_MAX_UNITS,
  checkVolumeGuidEntry,
} from '../fs/exfat/dir-entry.js';
import { decodeFatEntry, FAT_ENTRY_BYTES } from '../fs/exfat/fat.js';
import { upcaseTableChecksum } from '../fs/exfat/upcase.js';
import type { BlockTarget } from '../target/block-target.js';
import { codeChecks, reportFinding, type InspectFinding } from './finding-codes.js';
import { runChecks, type FsInspectContext, type FsInspectResult, type VolumeCheck } from './fs-inspector.js';
import type { ExfatReport } from './report.js';

export type { ExfatReport } from './report.js';

const S = 'ExfatVolume';
const VOLUME_DIRTY = 0x0002;
/** Root directory clusters and bytes we are willing to read (a fresh root is one cluster). */
const MAX_ROOT_CLUSTERS = 256;
const MAX_ROOT_BYTES = 4 * 1024 * 1024;
/** An up-case table never needs more than 65,536 two-byte entries (a compressed one is shorter). */
const MAX_UPCASE_BYTES = 0x10000 * 2;

interface Region {
  readonly bs: ExfatBootSector;
  readonly bytes: Uint8Array;
  readonly bytesPerSector: number;
}

async function readIfInside(volume: BlockTarget, offsetBytes: number, lengthBytes: number): Promise<Uint8Array | null> {
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
async function clusterChain(volume: BlockTarget, bs: ExfatBootSector, first: number, maxClusters: number): Promise<{ clusters: number[]; problem: string | null }> {
  const bps = 2 ** bs.bytesPerSectorShift;
  const clusters: number[] = [];
  const seen = new Set<number>();
  let c = first;
  for (let i = 0; i < maxClusters; i++) {
    if (c < 2 || c > bs.clusterCount + 1) return { clusters, problem: `cluster ${c} is outside the heap (2..${bs.clusterCount + 1})` };
    if (seen.has(c)) return { clusters, problem: `the chain loops back to cluster ${c}` };
    seen.add(c);
    clusters.push(c);
    const entryAt = bs.fatOffset * bps + c * FAT_ENTRY_BYTES;
    const entry = await readIfInside(volume, entryAt, FAT_ENTRY_BYTES);
    if (!entry) return { clusters, problem: `FAT entry ${c} lies past the end of the volume` };
    const link = decodeFatEntry(entry);
    if (link.kind === 'end') return { clusters, problem: null };
    if (link.kind !== 'next') return { clusters, problem: `FAT entry ${c} is ${link.kind} inside a chain` };
    c = link.cluster;
  }
  return { clusters, problem: null }; // long enough for what we read
}

async function readClusters(volume: BlockTarget, bs: ExfatBootSector, clusters: readonly number[], lengthBytes: number): Promise<Uint8Array | null> {
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

/** The root directory's entries the checks need (the first of each kind, as Windows uses them). */
interface RootEntries {
  readonly label: { readonly text: string; readonly characterCount: number } | null;
  readonly volumeGuid: { readonly guid: string; readonly checks: readonly Finding[] } | null;
  readonly bitmapEntry: { readonly firstCluster: number; readonly dataLength: number } | null;
  /** Every Allocation Bitmap entry's DataLength (TexFAT volumes have two). */
  readonly bitmapLengths: readonly number[];
  /** The up-case table entry, its chain, and the table (or why it cannot be read). */
  readonly upcase: { readonly tableChecksum: number; readonly dataLength: number; readonly clusters: readonly number[]; readonly table: Uint8Array | string } | null;
}

/** What the checks see: the boot region chosen, the geometry, the root directory as read. */
interface ExfatView {
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
  let bitmapEntry: RootEntries['bitmapEntry'] = null;
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
      bitmapEntry ??= { firstCluster: e.firstCluster, dataLength: e.dataLength };
      bitmapLengths.push(e.dataLength);
    } else if (type === ENTRY_TYPE.upcaseTable && upcase === null) {
      upcase = await readUpcase(volume, bs, clusterSize, entry);
    }
  }
  return { label, volumeGuid, bitmapEntry, bitmapLengths, upcase };
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
];

export async function inspectExfatVolume(volume: BlockTarget, ctx: FsInspectContext): Promise<FsInspectResult<ExfatReport>> {
  if (volume.sizeBytes < 512) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `exFAT volume of ${volume.sizeBytes} bytes has no room for a boot sector`, { sizeBytes: volume.sizeBytes });
  }
  const { region, mainProblem } = await chooseBootRegion(volume);
  const { bs, bytesPerSector } = region;
  const clusterSize = bytesPerSector * 2 ** bs.sectorsPerClusterShift;
  const rootChain = await clusterChain(volume, bs, bs.firstClusterOfRootDirectory, Math.min(MAX_ROOT_CLUSTERS, Math.floor(MAX_ROOT_BYTES / clusterSize) || 1));
  const rootBytes = rootChain.clusters.length > 0 ? await readClusters(volume, bs, rootChain.clusters, rootChain.clusters.length * clusterSize) : null;
  const root = await readRootEntries(volume, bs, clusterSize, rootBytes);
  const view: ExfatView = { volume, ctx, region, bs, bytesPerSector, clusterSize, volumeSizeBytes: bs.volumeLength * bytesPerSector, mainProblem, rootChain, root };
  const findings = await runChecks(EXFAT_CHECKS, view);
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
