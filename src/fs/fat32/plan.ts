// FAT32 geometry: cluster size, reserved region, FAT size, data region, from the partition alone. Pure: the same
// input gives the same plan, which is plain JSON (STYLE.md §4).
//
// How we lay a volume out, and where that departs from Windows:
// - Default cluster size: Windows' table (Microsoft, "Default cluster size for NTFS, FAT, and exFAT"; the same
//   table as KB 192322 and the Windows XP list): ≤ 64 MiB 512 B, ≤ 128 MiB 1 KiB, ≤ 256 MiB 2 KiB, ≤ 8 GiB 4 KiB,
//   ≤ 16 GiB 8 KiB, ≤ 32 GiB 16 KiB, above 32 KiB; never below the sector size. When the table's size leaves
//   fewer than 65,525 clusters (just above 64/128/256 MiB) we step down to the largest size that gives enough.
// - Reserved sectors: at least 32 (fatgen103's value for FAT32, and Windows'), then grown so that the data region
//   (reserved + 2 × FATSz32) starts on a 1 MiB boundary of the volume, which is also a cluster boundary (clusters are
//   at most 32 KiB). Windows pads the reserved region the same way, but to a coarser boundary: its 29 GiB volume in
//   ../shared/corpus (fat32_bs.bin: 61,282,631 sectors, 16 KiB clusters) has 2,860 reserved sectors and its data at
//   sector 32,768 (16 MiB, i.e. 1,024 clusters), where we put it at 30,720 (15 MiB) with 810 reserved sectors;
//   our 64 extra clusters need one more FAT sector (FATSz32 14,955 against 14,954 — each the smallest FAT for its
//   cluster count). One sample does not tell us Windows' rule (1,024 clusters? 16 MiB?), so we keep the
//   documented intent, 1 MiB, which every reader accepts and which wastes less.
// - FATSz32 is the smallest that holds entries 0 … clusterCount + 1 once the data region is placed.
// - Volumes above 32 GiB: Windows mounts them but its format refuses to make them; we make them, with a note.
import { GuestdiskError } from '../../errors.js';
import { assertDosTimeRange } from '../../binary/time-formats.js';
import { deriveU32 } from '../../binary/identity.js';
import type { LogicalSectorSize } from '../../disk-types.js';
import type { FsPlanInput } from '../fs-interface.js';
import { FAT32_MAX_CLUSTERS, FAT32_MIN_CLUSTERS, fat32SectorsFor } from './fat.js';
import { parseFatLabel } from './volume-label.js';
import type { FileTree } from '../../disk-types.js';
import { planFat32Content } from './content-plan.js';

export type Fat32ClusterSize = 512 | 1024 | 2048 | 4096 | 8192 | 16384 | 32768;
export const FAT32_CLUSTER_SIZES: readonly Fat32ClusterSize[] = [512, 1024, 2048, 4096, 8192, 16384, 32768];

/** fatgen103 and Windows: 32 reserved sectors on FAT32 (room for boot, FSInfo, backup boot at 6, backup FSInfo at 7). */
export const FAT32_MIN_RESERVED_SECTORS = 32;
/** The data region starts on this boundary of the volume (and so on a cluster boundary). */
export const FAT32_DATA_ALIGNMENT_BYTES = 1024 * 1024;
export const FAT32_NUM_FATS = 2;
export const FAT32_ROOT_CLUSTER = 2;
export const FAT32_FSINFO_SECTOR = 1;
export const FAT32_BACKUP_BOOT_SECTOR = 6;
/** Windows (and the corpus sample) write the classic translation geometry whatever the disk. */
export const FAT32_SECTORS_PER_TRACK = 63;
export const FAT32_NUM_HEADS = 255;
/** Windows' format makes FAT32 up to 32 GiB; bigger volumes work but only other tools make them. */
export const WINDOWS_FAT32_FORMAT_LIMIT_BYTES = 32 * 1024 ** 3;
/** The largest u32, the ceiling of BPB_TotSec32 and BPB_HiddSec. */
const U32_MAX = 0xffffffff;

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const WINDOWS_DEFAULT_CLUSTER: readonly { upToBytes: number; clusterSize: Fat32ClusterSize }[] = [
  { upToBytes: 64 * MiB, clusterSize: 512 },
  { upToBytes: 128 * MiB, clusterSize: 1024 },
  { upToBytes: 256 * MiB, clusterSize: 2048 },
  { upToBytes: 8 * GiB, clusterSize: 4096 },
  { upToBytes: 16 * GiB, clusterSize: 8192 },
  { upToBytes: 32 * GiB, clusterSize: 16384 },
  { upToBytes: Infinity, clusterSize: 32768 },
];

export interface Fat32Plan {
  readonly kind: 'fat32';
  /** Bytes the volume covers: totSec32 × bytsPerSec (the partition, rounded down to whole sectors). */
  readonly volumeSizeBytes: number;
  readonly bytsPerSec: LogicalSectorSize;
  readonly secPerClus: number;
  readonly clusterSize: Fat32ClusterSize;
  readonly rsvdSecCnt: number;
  readonly numFats: 2;
  /** Sectors per FAT. */
  readonly fatSz32: number;
  readonly totSec32: number;
  readonly hiddSec: number;
  readonly rootClus: 2;
  readonly fsInfo: 1;
  readonly bkBootSec: 6;
  /** First sector of the data region (cluster 2), relative to the volume. */
  readonly dataStartLba: number;
  readonly clusterCount: number;
  readonly volId: number;
  /** Upper-case label without padding, or null: "NO NAME" in the boot sector and no label entry. */
  readonly label: string | null;
  /** Unix seconds of the label entry's time (clamped to the DOS range 1980…2107). */
  readonly timestamp: number;
  /** Remarks for --dry-run (size beyond what Windows would make, clamped time, cluster size stepped down). */
  readonly notes: readonly string[];
  /** create --copy-from: the tree to place in the volume (populate.ts), or null for an empty volume. */
  readonly files: FileTree | null;
  /** Clusters in use once formatted: the root directory's, plus the tree's when there is one. */
  readonly usedClusterCount: number;
}

/** Where the regions go for a volume of `totalSectors`; the caller checks the cluster count against FAT32's limits. */
export interface Fat32Geometry {
  readonly rsvdSecCnt: number;
  readonly fatSz32: number;
  readonly dataStartLba: number;
  readonly clusterCount: number;
}

export function layoutFat32(totalSectors: number, sectorSize: number, clusterSize: number, roomForSectors = totalSectors): Fat32Geometry {
  const secPerClus = clusterSize / sectorSize;
  const alignLba = Math.max(FAT32_DATA_ALIGNMENT_BYTES / sectorSize, secPerClus);
  // An upper bound for the FAT: as if every sector after the minimal reserved region were a cluster.
  const fatUpperBound = (sectors: number): number => fat32SectorsFor(Math.max(0, Math.floor((sectors - FAT32_MIN_RESERVED_SECTORS) / secPerClus)), sectorSize);
  if (roomForSectors > totalSectors) {
    // create --max-size: the FAT has entries for every cluster a volume of roomForSectors could hold, so a grow up
    // to that size needs no FAT growth (which would move the data region). The upper bound is used as it is: the
    // few spare entries it leaves cost less than a FAT one entry short at the size promised.
    const fatSz32 = fatUpperBound(roomForSectors);
    const dataStartLba = Math.ceil((FAT32_MIN_RESERVED_SECTORS + FAT32_NUM_FATS * fatSz32) / alignLba) * alignLba;
    const clusterCount = Math.max(0, Math.floor((totalSectors - dataStartLba) / secPerClus));
    return { rsvdSecCnt: dataStartLba - FAT32_NUM_FATS * fatSz32, fatSz32, dataStartLba, clusterCount };
  }
  const fatFor = (dataStart: number): number =>
    fat32SectorsFor(Math.max(0, Math.floor((totalSectors - dataStart) / secPerClus)), sectorSize);
  let dataStartLba = Math.ceil((FAT32_MIN_RESERVED_SECTORS + FAT32_NUM_FATS * fatUpperBound(totalSectors)) / alignLba) * alignLba;
  // The bound may overshoot by a boundary: step back while the smaller FAT of the earlier start still fits.
  while (dataStartLba - alignLba >= FAT32_MIN_RESERVED_SECTORS + FAT32_NUM_FATS * fatFor(dataStartLba - alignLba)) {
    dataStartLba -= alignLba;
  }
  const clusterCount = Math.max(0, Math.floor((totalSectors - dataStartLba) / secPerClus));
  const fatSz32 = fat32SectorsFor(clusterCount, sectorSize);
  return { rsvdSecCnt: dataStartLba - FAT32_NUM_FATS * fatSz32, fatSz32, dataStartLba, clusterCount };
}

function fits(g: Fat32Geometry): boolean {
  return g.clusterCount >= FAT32_MIN_CLUSTERS && g.clusterCount <= FAT32_MAX_CLUSTERS && g.rsvdSecCnt <= 0xffff;
}

/** Windows' default for a volume of this size, before any step down. */
export function defaultFat32ClusterSize(volumeSizeBytes: number, sectorSize: number): Fat32ClusterSize {
  const row = WINDOWS_DEFAULT_CLUSTER.find((r) => volumeSizeBytes <= r.upToBytes)!;
  return Math.max(row.clusterSize, sectorSize) as Fat32ClusterSize;
}

export function parseFat32ClusterSize(value: number, sectorSize: number): Fat32ClusterSize {
  const found = FAT32_CLUSTER_SIZES.find((c) => c === value);
  if (found === undefined || found < sectorSize) {
    const allowed = FAT32_CLUSTER_SIZES.filter((c) => c >= sectorSize);
    throw new GuestdiskError(
      'INVALID_SPEC',
      `FAT32 cluster size ${value} is not valid with ${sectorSize}-byte sectors: expected one of ${allowed.join(', ')}`,
      { clusterSize: value, logicalSectorSize: sectorSize, allowed: allowed.map(String) },
    );
  }
  return found;
}

function describe(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(2)} GiB` : `${(bytes / MiB).toFixed(2)} MiB`;
}

/** The smallest volume (bytes) on which this cluster size reaches FAT32's minimum cluster count. */
export function minFat32VolumeBytes(sectorSize: number, clusterSize: number): number {
  const secPerClus = clusterSize / sectorSize;
  const fat = fat32SectorsFor(FAT32_MIN_CLUSTERS, sectorSize);
  const alignLba = Math.max(FAT32_DATA_ALIGNMENT_BYTES / sectorSize, secPerClus);
  const dataStart = Math.ceil((FAT32_MIN_RESERVED_SECTORS + FAT32_NUM_FATS * fat) / alignLba) * alignLba;
  return (dataStart + FAT32_MIN_CLUSTERS * secPerClus) * sectorSize;
}

/** create --max-size: the sectors of the largest volume the FAT is sized for (the volume's own without one). */
function maxTotalSectors(input: FsPlanInput, totSec32: number): number {
  if (input.maxVolumeBytes === undefined) return totSec32;
  const s = input.logicalSectorSize;
  const sectors = Math.max(totSec32, Math.floor(input.maxVolumeBytes / s));
  if (sectors > U32_MAX) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `FAT32 cannot grow to ${sectors * s} bytes (--max-size): BPB_TotSec32 holds at most ${U32_MAX} sectors (${describe(U32_MAX * s)} with ${s}-byte sectors); use a smaller --max-size, or exFAT`, { maxVolumeBytes: sectors * s, maxSectors: U32_MAX, logicalSectorSize: s });
  }
  return sectors;
}

/** Whether `clusterSize` gives this volume, with a FAT sized for `roomFor` sectors, a valid FAT32 now and then. */
function worksWithRoom(totSec32: number, roomFor: number, sectorSize: number, clusterSize: number): boolean {
  const g = layoutFat32(totSec32, sectorSize, clusterSize, roomFor);
  return fits(g) && Math.floor((roomFor - g.dataStartLba) / (clusterSize / sectorSize)) <= FAT32_MAX_CLUSTERS;
}

/** The largest volume (sectors) a FAT sized for it still leaves a valid FAT32 of `totSec32` with this cluster size
 *  (0 when none does). */
function largestRoom(totSec32: number, sectorSize: number, clusterSize: number): number {
  if (!worksWithRoom(totSec32, totSec32, sectorSize, clusterSize)) return 0;
  let lo = totSec32;
  let hi = U32_MAX + 1;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (worksWithRoom(totSec32, mid, sectorSize, clusterSize)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * create --max-size: the cluster size asked for, else Windows' default for the grown size, stepped down while this
 * volume would have too few clusters next to the larger FAT (and up while the grown one would have too many).
 * Refused, naming the largest --max-size that works, when the FAT for the grown size does not fit this volume.
 */
function clusterSizeForMax(input: FsPlanInput, totSec32: number, roomFor: number): Fat32ClusterSize {
  const s = input.logicalSectorSize;
  const candidates = input.clusterSize !== undefined ? [parseFat32ClusterSize(input.clusterSize, s)] : FAT32_CLUSTER_SIZES.filter((c) => c >= s);
  const works = (c: number): boolean => worksWithRoom(totSec32, roomFor, s, c);
  const preferred = defaultFat32ClusterSize(roomFor * s, s);
  const chosen = candidates.filter((c) => c <= preferred).reverse().find(works) ?? candidates.filter((c) => c > preferred).find(works);
  if (chosen !== undefined) return chosen;
  let best = { sectors: 0, clusterSize: candidates[0] as number };
  for (const c of candidates) {
    const sectors = largestRoom(totSec32, s, c);
    if (sectors > best.sectors) best = { sectors, clusterSize: c };
  }
  const what = input.clusterSize !== undefined ? `${input.clusterSize}-byte clusters` : 'any cluster size';
  // As a disk size: the partition's start plus the volume, whole MiB (a GPT's backup then takes from the volume).
  const largestDisk = best.sectors > totSec32 ? input.partitionStartLba * s + Math.floor((best.sectors * s) / MiB) * MiB : null;
  const advice = largestDisk !== null
    ? `the largest that works is --max-size ${largestDisk} (${describe(largestDisk)}, ${best.clusterSize}-byte clusters); or make the volume larger now, or use exFAT`
    : 'this volume is too small to leave room for a larger FAT: make it larger, or use exFAT';
  throw new GuestdiskError('INVALID_SPEC', `FAT32: with ${what}, a FAT with entries for a ${describe(roomFor * s)} volume (--max-size) leaves this ${describe(totSec32 * s)} volume fewer than ${FAT32_MIN_CLUSTERS} clusters (or the grown one more than ${FAT32_MAX_CLUSTERS}); ${advice}`, { maxVolumeBytes: roomFor * s, volumeSizeBytes: totSec32 * s, largestMaxSizeBytes: largestDisk, clusterSize: best.clusterSize });
}

export function planFat32(input: FsPlanInput): Fat32Plan {
  const sectorSize = input.logicalSectorSize;
  if (sectorSize !== 512 && sectorSize !== 4096) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `FAT32: logical sector size ${String(sectorSize)} is not supported (512 or 4096)`);
  }
  const label = parseFatLabel(input.label);
  const totSec32 = Math.floor(input.partitionSizeBytes / sectorSize);
  const volumeSizeBytes = totSec32 * sectorSize;
  if (totSec32 > U32_MAX) {
    throw new GuestdiskError(
      'UNSUPPORTED_GEOMETRY',
      `FAT32 volume of ${totSec32} sectors: BPB_TotSec32 holds at most ${U32_MAX} (${describe(U32_MAX * sectorSize)} with ${sectorSize}-byte sectors)`,
      { totalSectors: totSec32, maxSectors: U32_MAX, logicalSectorSize: sectorSize },
    );
  }
  if (!Number.isSafeInteger(input.partitionStartLba) || input.partitionStartLba < 0 || input.partitionStartLba > U32_MAX) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `FAT32: partition start LBA ${input.partitionStartLba} does not fit BPB_HiddSec (u32)`, {
      partitionStartLba: input.partitionStartLba,
    });
  }
  assertDosTimeRange(input.timestamp, 'FAT32');

  const notes: string[] = [];
  const candidates = FAT32_CLUSTER_SIZES.filter((c) => c >= sectorSize);
  const works = (c: number): boolean => fits(layoutFat32(totSec32, sectorSize, c));
  const smallestMin = minFat32VolumeBytes(sectorSize, sectorSize);
  const tooSmall = (): never => {
    throw new GuestdiskError(
      'TARGET_TOO_SMALL',
      `FAT32 needs at least ${FAT32_MIN_CLUSTERS} clusters: a volume of ${describe(volumeSizeBytes)} is too small ` +
        `(smallest FAT32 volume with ${sectorSize}-byte sectors: ${smallestMin} bytes, ${describe(smallestMin)})`,
      { volumeSizeBytes, minVolumeBytes: smallestMin, logicalSectorSize: sectorSize },
    );
  };

  const roomFor = maxTotalSectors(input, totSec32);
  let clusterSize: Fat32ClusterSize;
  if (roomFor > totSec32) {
    clusterSize = clusterSizeForMax(input, totSec32, roomFor);
    notes.push(`FAT32: FAT sized for a volume of ${describe(roomFor * sectorSize)} (--max-size): guestdisk grow up to that size fills the disk`);
  } else if (input.clusterSize !== undefined) {
    clusterSize = parseFat32ClusterSize(input.clusterSize, sectorSize);
    const g = layoutFat32(totSec32, sectorSize, clusterSize);
    if (!fits(g)) {
      const few = g.clusterCount < FAT32_MIN_CLUSTERS;
      const alternatives = candidates.filter(works);
      if (alternatives.length === 0) {
        if (few) tooSmall();
        throw new GuestdiskError(
          'UNSUPPORTED_GEOMETRY',
          `FAT32 volume of ${describe(volumeSizeBytes)} is too large: even 32 KiB clusters give more than ${FAT32_MAX_CLUSTERS} clusters`,
          { volumeSizeBytes, maxClusters: FAT32_MAX_CLUSTERS },
        );
      }
      const suggestion = few ? alternatives[alternatives.length - 1] : alternatives[0];
      throw new GuestdiskError(
        'INVALID_SPEC',
        `FAT32 cluster size ${clusterSize} on ${describe(volumeSizeBytes)} gives ${g.clusterCount} clusters; FAT32 needs ` +
          `${FAT32_MIN_CLUSTERS} to ${FAT32_MAX_CLUSTERS}: use a cluster size of ${suggestion} ` +
          `(${few ? 'or smaller' : 'or larger'}; valid here: ${alternatives.join(', ')})`,
        { clusterSize, clusterCount: g.clusterCount, suggestedClusterSize: suggestion, validClusterSizes: alternatives.map(String) },
      );
    }
  } else {
    const preferred = defaultFat32ClusterSize(volumeSizeBytes, sectorSize);
    const smaller = candidates.filter((c) => c <= preferred).reverse();
    const larger = candidates.filter((c) => c > preferred);
    const chosen = smaller.find(works) ?? larger.find(works);
    if (chosen === undefined) {
      if (layoutFat32(totSec32, sectorSize, sectorSize).clusterCount < FAT32_MIN_CLUSTERS) tooSmall();
      throw new GuestdiskError(
        'UNSUPPORTED_GEOMETRY',
        `FAT32 volume of ${describe(volumeSizeBytes)} is too large: even 32 KiB clusters give more than ${FAT32_MAX_CLUSTERS} clusters`,
        { volumeSizeBytes, maxClusters: FAT32_MAX_CLUSTERS },
      );
    }
    if (chosen !== preferred) {
      notes.push(`FAT32: Windows' default cluster size for this size (${preferred} bytes) gives too few or too many clusters; using ${chosen} bytes`);
    }
    clusterSize = chosen;
  }

  const g = layoutFat32(totSec32, sectorSize, clusterSize, roomFor);
  if (volumeSizeBytes > WINDOWS_FAT32_FORMAT_LIMIT_BYTES) {
    notes.push(`FAT32 above 32 GiB (${describe(volumeSizeBytes)}): Windows mounts it, but its own format would refuse to create it`);
  }
  const timestamp = Math.floor(input.timestamp);
  const files = input.files ?? null;
  const usedClusterCount = files === null ? 1 : planFat32Content(files, { clusterSize, clusterCount: g.clusterCount, hasLabel: label !== null, volumeSizeBytes });

  return {
    kind: 'fat32',
    volumeSizeBytes,
    bytsPerSec: sectorSize,
    secPerClus: clusterSize / sectorSize,
    clusterSize,
    rsvdSecCnt: g.rsvdSecCnt,
    numFats: FAT32_NUM_FATS,
    fatSz32: g.fatSz32,
    totSec32,
    hiddSec: input.partitionStartLba,
    rootClus: FAT32_ROOT_CLUSTER,
    fsInfo: FAT32_FSINFO_SECTOR,
    bkBootSec: FAT32_BACKUP_BOOT_SECTOR,
    dataStartLba: g.dataStartLba,
    clusterCount: g.clusterCount,
    volId: deriveU32(input.seed, 'fat32-volume-id/1'),
    label,
    timestamp,
    notes,
    files,
    usedClusterCount,
  };
}
