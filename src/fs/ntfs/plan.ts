// NTFS volume planning: every size, place and identity of the volume, decided and validated before a byte is
// written. Facts from ntfs-3g ntfsprogs/mkntfs.c (mkntfs_override_vol_params, mkntfs_initialize_bitmaps,
// mkntfs_initialize_rl_mft) and the Windows-made volumes in shared/corpus.
//
// Placement follows mkntfs, not Windows: $Boot at LCN 0, the $MFT bitmap right after $Boot's 8 KiB, $MFT at the
// first cluster at or past 16 KiB, a 12.5 % MFT zone after it, $MFTMirr in the middle of the volume and $LogFile
// right after $MFTMirr; everything else is allocated first-fit from the end of the MFT zone. Why mkntfs: every
// ntfs-3g tool, libfsntfs and sleuthkit have read exactly this layout for years, so each value we write can be
// checked against a real `mkntfs -Q` volume of the same size, and Windows mounts and repairs it without remarks.
// Windows itself puts $MFT at 3 GiB (or 1/3 of small volumes) and $MFTMirr at LCN 2; NTFS allows either.
import { GuestdiskError, quoted } from '../../errors.js';
import { assertWellFormedUtf16 } from '../../binary/utf16.js';
import { deriveBytes } from '../../binary/identity.js';
import type { FsPlanInput } from '../fs-interface.js';
import { logFileSizeBytes } from './logfile.js';
import { layoutVolume } from './system-files.js';
import { checkNtfsNames } from './copy-checks.js';
import { BOOT_FILE_BYTES, type NtfsPlan } from './volume-plan.js';

export { BOOT_FILE_BYTES, type NtfsPlan };

/** NTFS_MAX_CLUSTER_SIZE (layout.h) and the largest Windows formats: 2 MiB. */
export const NTFS_MAX_CLUSTER_SIZE = 2 * 1024 * 1024;
/** Clusters are counted in 32 bits (Windows limit; mkntfs refuses more). */
export const NTFS_MAX_CLUSTERS = 0xffffffff;
/** mkntfs: "Minimum NTFS volume size is 1MiB". */
export const NTFS_MIN_VOLUME_BYTES = 1024 * 1024;
/** $VOLUME_NAME: Windows accepts up to 32 UTF-16 units. */
export const NTFS_MAX_LABEL_UNITS = 32;
/** Characters Windows refuses in an NTFS label (those it refuses in file names), plus C0 controls and DEL. */
const FORBIDDEN_LABEL = /[\u0000-\u001f\u007f"*/:<>?\\|]/;
/** Windows' FORMAT default: 4 KiB, doubled until the cluster count fits 32 bits (8 KiB above 16 TiB, ...). */
const DEFAULT_MIN_CLUSTER = 4096;
/** Index records are 4096 bytes on every volume Windows and mkntfs make. */
const INDEX_RECORD_SIZE = 4096;
/** mkntfs: $MFT starts at the first cluster at or past 16 KiB. */
const MFT_MIN_OFFSET_BYTES = 16 * 1024;

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

export function validateNtfsLabel(label: string): void {
  if (label.length > NTFS_MAX_LABEL_UNITS) {
    throw new GuestdiskError('INVALID_SPEC', `NTFS label has ${label.length} UTF-16 units, at most ${NTFS_MAX_LABEL_UNITS} allowed`, {
      label,
      lengthUnits: label.length,
      maxUnits: NTFS_MAX_LABEL_UNITS,
    });
  }
  const bad = FORBIDDEN_LABEL.exec(label);
  if (bad) {
    throw new GuestdiskError('INVALID_SPEC', `NTFS label contains ${quoted(bad[0])} at index ${bad.index}, which Windows refuses`, {
      label,
      index: bad.index,
    });
  }
  assertWellFormedUtf16(label, 'NTFS label');
}

/** Windows' default cluster size for a volume of this size (never below the sector size). */
export function defaultNtfsClusterSize(volumeSizeBytes: number, bytesPerSector: number): number {
  let cluster = Math.max(DEFAULT_MIN_CLUSTER, bytesPerSector);
  while (Math.floor(volumeSizeBytes / cluster) > NTFS_MAX_CLUSTERS && cluster < NTFS_MAX_CLUSTER_SIZE) cluster *= 2;
  return cluster;
}

export function planNtfs(input: FsPlanInput): NtfsPlan {
  const bytesPerSector = input.logicalSectorSize;
  if (bytesPerSector !== 512 && bytesPerSector !== 4096) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `NTFS: sector size ${String(bytesPerSector)} is not 512 or 4096`);
  }
  const label = input.label ?? '';
  validateNtfsLabel(label);
  if (!Number.isSafeInteger(input.partitionSizeBytes) || input.partitionSizeBytes % bytesPerSector !== 0) {
    throw new GuestdiskError('INVALID_SPEC', `NTFS: partition size ${input.partitionSizeBytes} is not a whole number of ${bytesPerSector}-byte sectors`);
  }
  if (!Number.isSafeInteger(input.partitionStartLba) || input.partitionStartLba < 0 || input.partitionStartLba > 0xffffffff) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `NTFS: partition start LBA ${input.partitionStartLba} does not fit the 32-bit hidden sectors field`, {
      partitionStartLba: input.partitionStartLba,
    });
  }
  if (!Number.isFinite(input.timestamp) || input.timestamp < 0) {
    throw new GuestdiskError('INVALID_SPEC', `NTFS: timestamp ${input.timestamp} is not a non-negative Unix time`);
  }
  const partitionSectors = input.partitionSizeBytes / bytesPerSector;
  // mkntfs keeps the last sector for the backup boot sector; the volume is everything before it.
  const totalSectors = partitionSectors - 1;
  const volumeSizeBytes = totalSectors * bytesPerSector;
  if (volumeSizeBytes < NTFS_MIN_VOLUME_BYTES) {
    throw new GuestdiskError('TARGET_TOO_SMALL', `NTFS needs at least ${NTFS_MIN_VOLUME_BYTES + bytesPerSector} bytes of partition, got ${input.partitionSizeBytes}`, {
      partitionSizeBytes: input.partitionSizeBytes,
      minimumBytes: NTFS_MIN_VOLUME_BYTES + bytesPerSector,
    });
  }
  const clusterSize = input.clusterSize ?? defaultNtfsClusterSize(volumeSizeBytes, bytesPerSector);
  if (!isPowerOfTwo(clusterSize) || clusterSize < bytesPerSector || clusterSize > NTFS_MAX_CLUSTER_SIZE) {
    throw new GuestdiskError('INVALID_SPEC', `NTFS cluster size ${clusterSize} must be a power of two from ${bytesPerSector} to ${NTFS_MAX_CLUSTER_SIZE}`, {
      clusterSize,
      min: bytesPerSector,
      max: NTFS_MAX_CLUSTER_SIZE,
    });
  }
  const clusterCount = Math.floor(volumeSizeBytes / clusterSize);
  if (clusterCount > NTFS_MAX_CLUSTERS) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `NTFS: ${clusterCount} clusters of ${clusterSize} bytes exceed the 2^32-1 limit; use a larger cluster size`, {
      clusterCount,
      clusterSize,
      maxClusters: NTFS_MAX_CLUSTERS,
    });
  }
  // mkntfs: 1024-byte records, at least one sector (4096 on 4Kn, as Windows does there too).
  const mftRecordSize = Math.max(1024, bytesPerSector);
  const indexRecordSize = Math.max(INDEX_RECORD_SIZE, bytesPerSector);

  const bootClusters = Math.ceil(BOOT_FILE_BYTES / clusterSize);
  const mftBitmapLcn = bootClusters;
  const mftLcn = Math.max(mftBitmapLcn + 1, Math.ceil(MFT_MIN_OFFSET_BYTES / clusterSize));
  // mkntfs default MFT zone: 12.5 % of the clusters, starting at $MFT.
  const mftZoneEndLcn = mftLcn + Math.floor(clusterCount / 8);
  const mftMirrLcn = Math.floor(Math.floor(volumeSizeBytes / 2) / clusterSize);
  const mftMirrClusters = Math.ceil((4 * mftRecordSize) / clusterSize);
  const logFileLcn = mftMirrLcn + mftMirrClusters;
  const logBytes = logFileSizeBytes(volumeSizeBytes, clusterSize, { logFileLcn, mftRecordSize });
  if (logFileLcn + logBytes / clusterSize >= clusterCount) {
    throw new GuestdiskError('TARGET_TOO_SMALL', `NTFS: $LogFile of ${logBytes} bytes does not fit after $MFTMirr`, { logFileSizeBytes: logBytes });
  }
  const seedBytes = deriveBytes(input.seed, 'ntfs-serial/1');
  let serial = '';
  for (let i = 7; i >= 0; i--) serial += seedBytes[i].toString(16).padStart(2, '0');
  const plan: NtfsPlan = {
    kind: 'ntfs',
    volumeSizeBytes,
    partitionSizeBytes: input.partitionSizeBytes,
    bytesPerSector,
    clusterSize,
    totalSectors,
    clusterCount,
    mftRecordSize,
    indexRecordSize,
    mftLcn,
    mftMirrLcn,
    logFileLcn,
    logFileSizeBytes: logBytes,
    mftZoneEndLcn,
    serial,
    label,
    timestamp: Math.floor(input.timestamp),
    hiddenSectors: input.partitionStartLba,
    // What Windows writes: 63/255 on 512-byte disks; 1/1 on 4Kn (corpus 4kn.boot).
    sectorsPerTrack: bytesPerSector === 512 ? 63 : 1,
    heads: bytesPerSector === 512 ? 255 : 1,
    ...(input.files ? { files: input.files } : {}),
  };
  if (plan.files) checkNtfsNames(plan.files);
  layoutVolume(plan); // everything else must fit too: throws TARGET_TOO_SMALL here, before anything is written
  return plan;
}
