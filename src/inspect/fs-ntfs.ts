// NTFS inspector: decodes a volume's boot sector (falling back to the backup), compares the backup boot sector,
// reads $MFT record 0 and $Volume (record 3) through the MFT's own runlist for the label, version and dirty flag,
// compares $MFT with $MFTMirr, and checks the other system files (ntfs-system-files.ts). Read-only; every loop is bounded; garbage gives findings or a GuestdiskError.
import { finding, type Finding } from '../binary/fields.js';
import { GuestdiskError, hex, isGuestdiskError } from '../errors.js';
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
import { checkNtfsSystemFiles } from './ntfs-system-files.js';
import type { VolumeGeometryReport } from './report.js';
import type { FsInspectContext } from './fs-dispatch.js';

export interface NtfsReport extends VolumeGeometryReport {
  readonly type: 'ntfs';
  /** $Volume's $VOLUME_NAME ('' when empty); null when $Volume could not be read. */
  readonly label: string | null;
  /** 64-bit serial number, 16 lower-case hex digits (as NtfsPlan.serial). */
  readonly serial: string;
  /** $VOLUME_INFORMATION "major.minor"; null when unreadable. */
  readonly version: string | null;
  readonly dirty: boolean;
  readonly mftLcn: number;
  readonly mftMirrLcn: number;
  readonly mftRecordSize: number;
  readonly indexRecordSize: number;
  readonly hiddenSectors: number;
  /** Which boot sector the values come from. */
  readonly bootSectorSource: 'main' | 'backup';
}

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

function serialHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 7; i >= 0; i--) s += bytes[i].toString(16).padStart(2, '0');
  return s;
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

export async function inspectNtfsVolume(volume: BlockTarget, ctx: FsInspectContext): Promise<{ report: NtfsReport; findings: Finding[] }> {
  if (volume.sizeBytes < BOOT_BYTES) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `NTFS volume of ${volume.sizeBytes} bytes has no room for a boot sector`, { sizeBytes: volume.sizeBytes });
  }
  const findings: Finding[] = [];
  const mainBytes = await volume.read(0, BOOT_BYTES);
  const mainUsable = usable(mainBytes);

  // The backup sits right after the volume (number_of_sectors), the partition's last sector on a standard layout.
  const backupAt = (bs: NtfsBootSector): number => bs.numberOfSectors * bs.bytesPerSector;
  let bs: NtfsBootSector;
  let g: Geometry;
  let source: 'main' | 'backup' = 'main';
  if (typeof mainUsable === 'string') {
    const mainGeometry = mainUsable;
    // Try the backup where the partition's last sector is, for either sector size.
    let backup: { bs: NtfsBootSector; g: Geometry } | null = null;
    for (const sector of [512, 4096]) {
      const bytes = await readIfInside(volume, volume.sizeBytes - sector, BOOT_BYTES);
      if (!bytes) continue;
      const candidate = usable(bytes);
      if (typeof candidate !== 'string') {
        backup = candidate;
        break;
      }
    }
    if (!backup) throw new GuestdiskError('CORRUPT_STRUCTURE', `not an NTFS boot sector: ${mainGeometry}`, { reason: mainGeometry });
    findings.push(finding({ code: 'NTFS_BOOT_SECTOR_BAD', structure: S, offsetBytes: 0, actual: mainGeometry, message: `the NTFS boot sector is unusable (${mainGeometry}); the backup boot sector is used (Windows does the same and chkdsk rewrites the main one)` }));
    bs = backup.bs;
    g = backup.g;
    source = 'backup';
  } else {
    bs = mainUsable.bs;
    g = mainUsable.g;
    for (const f of checkNtfsBootSector(bs)) if (f.severity !== 'error') findings.push(f);
  }

  if (g.volumeSizeBytes > ctx.partitionSizeBytes) {
    findings.push(finding({ code: 'NTFS_VOLUME_TOO_LARGE', structure: S, field: 'numberOfSectors', offsetBytes: 0x28, expected: `at most ${ctx.partitionSizeBytes} bytes`, actual: `${g.volumeSizeBytes} bytes`,
      message: `the NTFS volume (${g.volumeSizeBytes} bytes) is larger than its partition (${ctx.partitionSizeBytes} bytes): Windows refuses to mount it` }));
  }
  if (ctx.partitionStartLba !== null && bs.hiddenSectors !== ctx.partitionStartLba) {
    findings.push(finding({ severity: 'warning', code: 'NTFS_HIDDEN_SECTORS', structure: S, field: 'hiddenSectors', offsetBytes: 0x1c, expected: String(ctx.partitionStartLba), actual: String(bs.hiddenSectors),
      message: `hidden sectors ${bs.hiddenSectors} differ from the partition start LBA ${ctx.partitionStartLba}: data volumes mount, but booting from it would fail` }));
  }

  // Backup boot sector.
  if (source === 'main') {
    const at = backupAt(bs);
    const backup = await readIfInside(volume, at, BOOT_BYTES);
    if (!backup) {
      findings.push(finding({ code: 'NTFS_BACKUP_BOOT_MISSING', structure: S, offsetBytes: at, expected: `a backup boot sector at byte ${at}`, actual: `volume ends at byte ${volume.sizeBytes}`,
        message: `no room for the backup boot sector at byte ${at} (the partition ends at ${volume.sizeBytes}); ntfsfix reports the volume as damaged and chkdsk wants to fix it` }));
    } else if (typeof usable(backup) === 'string') {
      findings.push(finding({ code: 'NTFS_BACKUP_BOOT_MISSING', structure: S, offsetBytes: at, message: `no valid backup boot sector at byte ${at}: a damaged main boot sector could not be recovered` }));
    } else {
      const differ = mainBytes.findIndex((b, i) => b !== backup[i]);
      if (differ >= 0) {
        findings.push(finding({ code: 'NTFS_BACKUP_BOOT_DIFFERS', structure: S, offsetBytes: at + differ, message: `the backup boot sector differs from the main one at byte ${hex(differ, 3)}` }));
      }
    }
  }

  // $MFT record 0, its runlist, $MFTMirr, then $Volume.
  let label: string | null = null;
  let version: string | null = null;
  let dirty = false;
  try {
    const rec0Bytes = await readIfInside(volume, bs.mftLcn * g.clusterSize, g.mftRecordSize);
    if (!rec0Bytes) throw new GuestdiskError('CORRUPT_STRUCTURE', `$MFT at LCN ${bs.mftLcn} lies past the end of the volume`);
    const rec0 = decodeMftRecord(rec0Bytes, g.mftRecordSize);
    const mftData = decodeAttributes(rec0.record, rec0.header.attrsOffset, rec0.header.bytesInUse).find((a) => a.type === ATTR_TYPE.DATA && a.name === '');
    if (!mftData?.nonResident) throw new GuestdiskError('CORRUPT_STRUCTURE', '$MFT record 0 has no non-resident unnamed $DATA');
    const runs = decodeRunlist(mftData.nonResident.mappingPairs, 4096);

    const mirrorBytes = MIRROR_RECORDS * g.mftRecordSize;
    const mft4 = await readIfInside(volume, bs.mftLcn * g.clusterSize, mirrorBytes);
    const mirr4 = await readIfInside(volume, bs.mftmirrLcn * g.clusterSize, mirrorBytes);
    if (!mft4 || !mirr4) {
      findings.push(finding({ code: 'NTFS_MFT_MIRROR_DIFFERS', structure: S, offsetBytes: bs.mftmirrLcn * g.clusterSize, message: `$MFTMirr at LCN ${bs.mftmirrLcn} lies past the end of the volume` }));
    } else {
      const differ = mft4.findIndex((b, i) => b !== mirr4[i]);
      if (differ >= 0) {
        findings.push(finding({ code: 'NTFS_MFT_MIRROR_DIFFERS', structure: S, offsetBytes: bs.mftmirrLcn * g.clusterSize + differ,
          message: `$MFTMirr differs from the first ${MIRROR_RECORDS} records of $MFT (record ${Math.floor(differ / g.mftRecordSize)}, byte ${differ % g.mftRecordSize}): ntfsfix and chkdsk report it` }));
      }
    }

    const mftRecordCount = Math.floor(Math.min(mftData.nonResident.header.dataSize, Number.MAX_SAFE_INTEGER) / g.mftRecordSize);
    findings.push(...await checkNtfsSystemFiles(volume, g, mftRecordCount, (n) => readMftRecordBytes(volume, runs, g, n)));

    const volBytes = await readMftRecordBytes(volume, runs, g, SYSTEM_FILE.VOLUME);
    if (!volBytes) throw new GuestdiskError('CORRUPT_STRUCTURE', '$Volume (MFT record 3) is not mapped by $MFT\'s runlist');
    const vol = decodeMftRecord(volBytes, g.mftRecordSize);
    const attrs = decodeAttributes(vol.record, vol.header.attrsOffset, vol.header.bytesInUse);
    const name = attrs.find((a) => a.type === ATTR_TYPE.VOLUME_NAME)?.resident;
    const info = attrs.find((a) => a.type === ATTR_TYPE.VOLUME_INFORMATION)?.resident;
    label = name ? decodeVolumeName(name.value) : '';
    if (info && info.value.length >= 12) {
      const vi = decodeVolumeInformation(info.value);
      version = `${vi.majorVer}.${vi.minorVer}`;
      dirty = (vi.flags & VOLUME_FLAG.IS_DIRTY) !== 0;
    } else {
      findings.push(finding({ code: 'NTFS_VOLUME_INFORMATION_MISSING', structure: S, message: '$Volume has no $VOLUME_INFORMATION attribute: no version or state; Windows refuses the volume' }));
    }
  } catch (e) {
    if (!isGuestdiskError(e)) throw e;
    findings.push(finding({ code: 'NTFS_MFT_UNREADABLE', structure: S, offsetBytes: bs.mftLcn * g.clusterSize, actual: e.message, message: `$MFT or $Volume could not be read: ${e.message}` }));
  }
  if (dirty) {
    findings.push(finding({ severity: 'warning', code: 'NTFS_DIRTY', structure: S, message: 'the volume is marked dirty: Windows runs chkdsk on it before use, ntfs-3g refuses to mount it read-write' }));
  }

  return {
    report: {
      type: 'ntfs',
      label,
      serial: serialHex(bs.volumeSerialNumber),
      bytesPerSector: g.bytesPerSector,
      clusterSize: g.clusterSize,
      clusterCount: g.clusterCount,
      volumeSizeBytes: g.volumeSizeBytes,
      partitionSizeBytes: ctx.partitionSizeBytes,
      version,
      dirty,
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
