// NTFS inspector: decodes a volume's boot sector (falling back to the backup), reads $MFT record 0 and $Volume
// (record 3) through the MFT's own runlist for the label, version and dirty flag, then runs NTFS_CHECKS: the boot
// sectors, $MFTMirr, the system files (ntfs-system-files.ts), $Volume. Read-only; every loop is bounded; garbage
// gives findings or a GuestdiskError.
import { GuestdiskError, hex, isGuestdiskError } from '../errors.js';
import { readU64Big } from '../binary/fields.js';
import { ATTR_TYPE, SYSTEM_FILE } from '../fs/ntfs/attribute-types.js';
import { decodeAttributes } from '../fs/ntfs/attributes/attribute-header.js';
import { decodeVolumeInformation, VOLUME_FLAG } from '../fs/ntfs/attributes/volume-information.js';
import { decodeVolumeName } from '../fs/ntfs/attributes/volume-name.js';
import {
  NTFS_BOOT_SECTOR,
  checkNtfsBootSector,
  decodeClustersPerRecord,
  decodeSectorsPerCluster,
  type NtfsBootSector,
} from '../fs/ntfs/boot-sector.js';
import { decodeMftRecord } from '../fs/ntfs/mft-record.js';
import { decodeRunlist, type Run } from '../fs/ntfs/runlist.js';
import type { BlockTarget } from '../target/block-target.js';
import { reportFinding, type InspectFinding } from './finding-codes.js';
import { checksFor, runChecks, type FsInspectContext, type FsInspectResult, type VolumeCheck } from './fs-inspector.js';
import { loadNtfsSystemFiles, NTFS_SYSTEM_FILE_CHECKS, NTFS_WHOLE_VOLUME_CHECKS, type NtfsSystemFiles } from './ntfs-system-files.js';
import type { NtfsReport } from './report.js';

export type { NtfsReport } from './report.js';

const S = 'NtfsVolume';
const BOOT_BYTES = 512;
/** The record size range Windows and ntfs-3g accept (layout.h: 256 B .. 64 KiB in practice). */
const MIN_RECORD = 256;
const MAX_RECORD = 65536;
/** $MFTMirr holds at least 4 records; we compare that much. */
const MIRROR_RECORDS = 4;

interface Geometry {
  readonly bytesPerSector: number;
  readonly clusterSize: number;
  readonly volumeSizeBytes: number;
  readonly clusterCount: number;
  readonly mftRecordSize: number;
  readonly indexRecordSize: number;
}

function isPow2(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Geometry from a boot sector, or the reason it is unusable. */
function geometryOf(bs: NtfsBootSector): Geometry | string {
  const errors = checkNtfsBootSector(bs).filter((f) => f.severity === 'error');
  if (errors.length > 0) return errors[0].message;
  const bytesPerSector = bs.bytesPerSector;
  const clusterSize = bytesPerSector * decodeSectorsPerCluster(bs.sectorsPerCluster);
  const mftRecordSize = decodeClustersPerRecord(bs.clustersPerMftRecord, clusterSize);
  const indexRecordSize = decodeClustersPerRecord(bs.clustersPerIndexRecord, clusterSize);
  if (!isPow2(clusterSize) || clusterSize > 2 * 1024 * 1024) return `cluster size ${clusterSize} is not a power of two up to 2 MiB`;
  for (const [what, size] of [['MFT record', mftRecordSize], ['index record', indexRecordSize]] as const) {
    if (!isPow2(size) || size < MIN_RECORD || size > MAX_RECORD) return `${what} size ${size} is out of range`;
  }
  const volumeSizeBytes = bs.numberOfSectors * bytesPerSector;
  if (!Number.isSafeInteger(volumeSizeBytes)) return `number_of_sectors ${bs.numberOfSectors} is too large`;
  const clusterCount = Math.floor(volumeSizeBytes / clusterSize);
  if (bs.mftLcn >= clusterCount || bs.mftmirrLcn >= clusterCount) return `$MFT (LCN ${bs.mftLcn}) or $MFTMirr (LCN ${bs.mftmirrLcn}) lies past the ${clusterCount} clusters`;
  return { bytesPerSector, clusterSize, volumeSizeBytes, clusterCount, mftRecordSize, indexRecordSize };
}

/** Decodes a boot sector's fields; a u64 beyond 2^53 (garbage) is "unusable", not an exception. */
function decodeBoot(bytes: Uint8Array): NtfsBootSector | string {
  try {
    return NTFS_BOOT_SECTOR.decode(bytes);
  } catch (e) {
    if (isGuestdiskError(e)) return e.message;
    throw e;
  }
}

function usable(bytes: Uint8Array): { bs: NtfsBootSector; g: Geometry } | string {
  const bs = decodeBoot(bytes);
  if (typeof bs === 'string') return bs;
  const g = geometryOf(bs);
  return typeof g === 'string' ? g : { bs, g };
}

/** The 8-byte serial as Windows' `fsutil` shows it: the little-endian u64 in hex. */
function serialHex(bytes: Uint8Array): string {
  return readU64Big(bytes, 0).toString(16).padStart(16, '0');
}

async function readIfInside(volume: BlockTarget, offsetBytes: number, lengthBytes: number): Promise<Uint8Array | null> {
  if (offsetBytes < 0 || lengthBytes <= 0 || offsetBytes + lengthBytes > volume.sizeBytes) return null;
  return volume.read(offsetBytes, lengthBytes);
}

/** Reads MFT record `n` through $MFT's runlist (record 0's unnamed $DATA); null when it is not mapped. */
async function readMftRecordBytes(volume: BlockTarget, runs: readonly Run[], g: Geometry, n: number): Promise<Uint8Array | null> {
  const start = n * g.mftRecordSize;
  const out = new Uint8Array(g.mftRecordSize);
  let done = 0;
  let vcnBytes = 0;
  for (const run of runs) {
    const runBytes = run.length * g.clusterSize;
    const from = start + done;
    if (from >= vcnBytes && from < vcnBytes + runBytes) {
      if (run.lcn === null) return null;
      const n2 = Math.min(g.mftRecordSize - done, vcnBytes + runBytes - from);
      const part = await readIfInside(volume, run.lcn * g.clusterSize + (from - vcnBytes), n2);
      if (!part) return null;
      out.set(part, done);
      done += n2;
      if (done === g.mftRecordSize) return out;
    }
    vcnBytes += runBytes;
  }
  return null;
}

/** What the checks see: the boot sector chosen, its geometry, and $MFT / $Volume as far as they could be read. */
interface NtfsView {
  readonly volume: BlockTarget;
  readonly ctx: FsInspectContext;
  readonly bs: NtfsBootSector;
  readonly g: Geometry;
  readonly source: 'main' | 'backup';
  readonly mainBytes: Uint8Array;
  /** Why the main boot sector is unusable (when the backup was used). */
  readonly mainProblem: string | null;
  /** $MFT's runlist and the system files, or why record 0 cannot be read. */
  readonly mft: { readonly runs: readonly Run[]; readonly systemFiles: NtfsSystemFiles } | string;
  /** $Volume's name and information, or why it cannot be read. */
  readonly volumeFile: VolumeFile | string | null;
}

interface VolumeFile {
  readonly label: string;
  /** null: no $VOLUME_INFORMATION. */
  readonly info: { readonly version: string; readonly dirty: boolean } | null;
}

/** The main boot sector when usable, else the backup in the partition's last sector (either sector size). */
async function chooseBootSector(volume: BlockTarget, mainBytes: Uint8Array): Promise<{ bs: NtfsBootSector; g: Geometry; source: 'main' | 'backup'; mainProblem: string | null }> {
  const main = usable(mainBytes);
  if (typeof main !== 'string') return { ...main, source: 'main', mainProblem: null };
  for (const sector of [512, 4096]) {
    const bytes = await readIfInside(volume, volume.sizeBytes - sector, BOOT_BYTES);
    const candidate = bytes ? usable(bytes) : 'none';
    if (typeof candidate !== 'string') return { ...candidate, source: 'backup', mainProblem: main };
  }
  throw new GuestdiskError('CORRUPT_STRUCTURE', `not an NTFS boot sector: ${main}`, { reason: main });
}

async function readMft(volume: BlockTarget, bs: NtfsBootSector, g: Geometry): Promise<NtfsView['mft']> {
  try {
    const rec0Bytes = await readIfInside(volume, bs.mftLcn * g.clusterSize, g.mftRecordSize);
    if (!rec0Bytes) throw new GuestdiskError('CORRUPT_STRUCTURE', `$MFT at LCN ${bs.mftLcn} lies past the end of the volume`);
    const rec0 = decodeMftRecord(rec0Bytes, g.mftRecordSize);
    const mftData = decodeAttributes(rec0.record, rec0.header.attrsOffset, rec0.header.bytesInUse).find((a) => a.type === ATTR_TYPE.DATA && a.name === '');
    if (!mftData?.nonResident) throw new GuestdiskError('CORRUPT_STRUCTURE', '$MFT record 0 has no non-resident unnamed $DATA');
    const runs = decodeRunlist(mftData.nonResident.mappingPairs, 4096);
    // Records past what the runs map (or past the volume) do not exist, whatever a damaged data size claims.
    const mappedBytes = runs.reduce((n, r) => n + r.length * g.clusterSize, 0);
    const mftRecordCount = Math.floor(Math.min(mftData.nonResident.header.dataSize, mappedBytes, g.volumeSizeBytes) / g.mftRecordSize);
    const systemFiles = await loadNtfsSystemFiles(volume, g, mftRecordCount, runs, (n) => readMftRecordBytes(volume, runs, g, n));
    return { runs, systemFiles };
  } catch (e) {
    if (!isGuestdiskError(e)) throw e;
    return e.message;
  }
}

async function readVolumeFile(volume: BlockTarget, g: Geometry, mft: NtfsView['mft']): Promise<VolumeFile | string | null> {
  if (typeof mft === 'string') return null;
  try {
    const volBytes = await readMftRecordBytes(volume, mft.runs, g, SYSTEM_FILE.VOLUME);
    if (!volBytes) throw new GuestdiskError('CORRUPT_STRUCTURE', '$Volume (MFT record 3) is not mapped by $MFT\'s runlist');
    const vol = decodeMftRecord(volBytes, g.mftRecordSize);
    const attrs = decodeAttributes(vol.record, vol.header.attrsOffset, vol.header.bytesInUse);
    const name = attrs.find((a) => a.type === ATTR_TYPE.VOLUME_NAME)?.resident;
    const info = attrs.find((a) => a.type === ATTR_TYPE.VOLUME_INFORMATION)?.resident;
    const vi = info && info.value.length >= 12 ? decodeVolumeInformation(info.value) : null;
    return {
      label: name ? decodeVolumeName(name.value) : '',
      info: vi ? { version: `${vi.majorVer}.${vi.minorVer}`, dirty: (vi.flags & VOLUME_FLAG.IS_DIRTY) !== 0 } : null,
    };
  } catch (e) {
    if (!isGuestdiskError(e)) throw e;
    return e.message;
  }
}

// ---- the checks, in report order

function checkMainBootSector(v: NtfsView): InspectFinding[] {
  if (v.mainProblem === null) return [];
  return [reportFinding('NTFS_BOOT_SECTOR_BAD', { structure: S, offsetBytes: 0, actual: v.mainProblem,
    message: `the NTFS boot sector is unusable (${v.mainProblem}); the backup boot sector is used (Windows does the same and chkdsk rewrites the main one)` })];
}

function checkVolumeFitsPartition(v: NtfsView): InspectFinding[] {
  if (v.g.volumeSizeBytes <= v.ctx.partitionSizeBytes) return [];
  return [reportFinding('NTFS_VOLUME_TOO_LARGE', { structure: S, field: 'numberOfSectors', offsetBytes: NTFS_BOOT_SECTOR.fields.numberOfSectors.offset,
    expected: `at most ${v.ctx.partitionSizeBytes} bytes`, actual: `${v.g.volumeSizeBytes} bytes`,
    message: `the NTFS volume (${v.g.volumeSizeBytes} bytes) is larger than its partition (${v.ctx.partitionSizeBytes} bytes): Windows refuses to mount it` })];
}

function checkHiddenSectors(v: NtfsView): InspectFinding[] {
  if (v.ctx.partitionStartLba === null || v.bs.hiddenSectors === v.ctx.partitionStartLba) return [];
  return [reportFinding('NTFS_HIDDEN_SECTORS', { structure: S, field: 'hiddenSectors', offsetBytes: NTFS_BOOT_SECTOR.fields.hiddenSectors.offset,
    expected: String(v.ctx.partitionStartLba), actual: String(v.bs.hiddenSectors),
    message: `hidden sectors ${v.bs.hiddenSectors} differ from the partition start LBA ${v.ctx.partitionStartLba}: data volumes mount, but booting from it would fail` })];
}

/** The backup sits right after the volume (number_of_sectors), the partition's last sector on a standard layout. */
async function checkBackupBootSector(v: NtfsView): Promise<InspectFinding[]> {
  if (v.source !== 'main') return [];
  const at = v.bs.numberOfSectors * v.bs.bytesPerSector;
  const backup = await readIfInside(v.volume, at, BOOT_BYTES);
  if (!backup) {
    return [reportFinding('NTFS_BACKUP_BOOT_MISSING', { structure: S, offsetBytes: at, expected: `a backup boot sector at byte ${at}`, actual: `volume ends at byte ${v.volume.sizeBytes}`,
      message: `no room for the backup boot sector at byte ${at} (the partition ends at ${v.volume.sizeBytes}); ntfsfix reports the volume as damaged and chkdsk wants to fix it` })];
  }
  if (typeof usable(backup) === 'string') {
    return [reportFinding('NTFS_BACKUP_BOOT_MISSING', { structure: S, offsetBytes: at, message: `no valid backup boot sector at byte ${at}: a damaged main boot sector could not be recovered` })];
  }
  const differ = v.mainBytes.findIndex((b, i) => b !== backup[i]);
  if (differ < 0) return [];
  return [reportFinding('NTFS_BACKUP_BOOT_DIFFERS', { structure: S, offsetBytes: at + differ, message: `the backup boot sector differs from the main one at byte ${hex(differ, 3)}` })];
}

/** $MFTMirr must repeat the first MIRROR_RECORDS records of $MFT. */
async function checkMftMirror(v: NtfsView): Promise<InspectFinding[]> {
  if (typeof v.mft === 'string') return [];
  const mirrorBytes = MIRROR_RECORDS * v.g.mftRecordSize;
  const mirrAt = v.bs.mftmirrLcn * v.g.clusterSize;
  const mft4 = await readIfInside(v.volume, v.bs.mftLcn * v.g.clusterSize, mirrorBytes);
  const mirr4 = await readIfInside(v.volume, mirrAt, mirrorBytes);
  if (!mft4 || !mirr4) {
    return [reportFinding('NTFS_MFT_MIRROR_DIFFERS', { structure: S, offsetBytes: mirrAt, message: `$MFTMirr at LCN ${v.bs.mftmirrLcn} lies past the end of the volume` })];
  }
  const differ = mft4.findIndex((b, i) => b !== mirr4[i]);
  if (differ < 0) return [];
  return [reportFinding('NTFS_MFT_MIRROR_DIFFERS', { structure: S, offsetBytes: mirrAt + differ,
    message: `$MFTMirr differs from the first ${MIRROR_RECORDS} records of $MFT (record ${Math.floor(differ / v.g.mftRecordSize)}, byte ${differ % v.g.mftRecordSize}): ntfsfix and chkdsk report it` })];
}

async function checkSystemFiles(v: NtfsView): Promise<InspectFinding[]> {
  if (typeof v.mft === 'string') return [];
  try {
    return await runChecks(checksFor(NTFS_SYSTEM_FILE_CHECKS, NTFS_WHOLE_VOLUME_CHECKS, v.ctx), v.mft.systemFiles);
  } catch (e) {
    if (!isGuestdiskError(e)) throw e;
    return [mftUnreadable(v, e.message)];
  }
}

function checkVolumeInformation(v: NtfsView): InspectFinding[] {
  if (v.volumeFile === null || typeof v.volumeFile === 'string' || v.volumeFile.info !== null) return [];
  return [reportFinding('NTFS_VOLUME_INFORMATION_MISSING', { structure: S, message: '$Volume has no $VOLUME_INFORMATION attribute: no version or state; Windows refuses the volume' })];
}

function mftUnreadable(v: NtfsView, why: string): InspectFinding {
  return reportFinding('NTFS_MFT_UNREADABLE', { structure: S, offsetBytes: v.bs.mftLcn * v.g.clusterSize, actual: why, message: `$MFT or $Volume could not be read: ${why}` });
}

function checkMftReadable(v: NtfsView): InspectFinding[] {
  const why = typeof v.mft === 'string' ? v.mft : typeof v.volumeFile === 'string' ? v.volumeFile : null;
  return why === null ? [] : [mftUnreadable(v, why)];
}

function checkDirty(v: NtfsView): InspectFinding[] {
  if (v.volumeFile === null || typeof v.volumeFile === 'string' || !v.volumeFile.info?.dirty) return [];
  return [reportFinding('NTFS_DIRTY', { structure: S, message: 'the volume is marked dirty: Windows runs chkdsk on it before use, ntfs-3g refuses to mount it read-write' })];
}

/** Every NTFS check, in report order. A new check: a row in FINDING_CODES, a function here, a corruption test. */
export const NTFS_CHECKS: readonly VolumeCheck<NtfsView>[] = [
  checkMainBootSector,
  checkVolumeFitsPartition,
  checkHiddenSectors,
  checkBackupBootSector,
  checkMftMirror,
  checkSystemFiles,
  checkVolumeInformation,
  checkMftReadable,
  checkDirty,
];

export async function inspectNtfsVolume(volume: BlockTarget, ctx: FsInspectContext): Promise<FsInspectResult<NtfsReport>> {
  if (volume.sizeBytes < BOOT_BYTES) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `NTFS volume of ${volume.sizeBytes} bytes has no room for a boot sector`, { sizeBytes: volume.sizeBytes });
  }
  const mainBytes = await volume.read(0, BOOT_BYTES);
  const { bs, g, source, mainProblem } = await chooseBootSector(volume, mainBytes);
  const mft = await readMft(volume, bs, g);
  const volumeFile = await readVolumeFile(volume, g, mft);
  const view: NtfsView = { volume, ctx, bs, g, source, mainBytes, mainProblem, mft, volumeFile };
  const findings = await runChecks(NTFS_CHECKS, view);
  const info = volumeFile !== null && typeof volumeFile !== 'string' ? volumeFile : null;
  return {
    report: {
      type: 'ntfs',
      label: info?.label ?? null,
      serial: serialHex(bs.volumeSerialNumber),
      bytesPerSector: g.bytesPerSector,
      clusterSize: g.clusterSize,
      clusterCount: g.clusterCount,
      volumeSizeBytes: g.volumeSizeBytes,
      partitionSizeBytes: ctx.partitionSizeBytes,
      version: info?.info?.version ?? null,
      dirty: info?.info?.dirty ?? false,
      mftLcn: bs.mftLcn,
      mftMirrLcn: bs.mftmirrLcn,
      mftRecordSize: g.mftRecordSize,
      indexRecordSize: g.indexRecordSize,
      hiddenSectors: bs.hiddenSectors,
      bootSectorSource: source,
    },
    findings,
  };
}
