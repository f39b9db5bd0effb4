// exFAT geometry: exFAT spec §3.1 (boot sector fields and their limits) and §2 "Volume Structure". Pure: the plan
// is plain JSON; format.ts turns it into chunks.
//
// Choices, and where they differ from Windows (test/fs/exfat/corpus.test.ts compares them with the Windows-made
// volumes in shared/corpus):
// - Cluster size: Windows' defaults (4 KiB up to 256 MiB, 32 KiB up to 32 GiB, 128 KiB above). The corpus has
//   two tiny Windows volumes (1 MiB, 6 MiB) with 512-byte clusters, below Microsoft's published table; we keep 4 KiB.
// - FatLength: as Windows computes it (all four corpus volumes agree): room for one FAT entry per cluster the
//   whole volume could hold, plus the two reserved entries, rounded up to whole clusters. mkfs.exfat sizes the
//   FAT for the heap only; ours is a few sectors longer, which the spec allows ("may exceed the required space").
// - Volumes up to 32 MiB ("small"): FAT at 64 KiB and the heap on the next 128 KiB (and cluster) boundary: FAT at
//   sector 128, heap at 256 on 512-byte sectors, as in every corpus volume (1, 6 and 32 MiB). With 4096-byte
//   sectors the 24 boot sectors fill 96 KiB, so the FAT starts at 128 KiB (sector 32) instead.
// - Larger volumes: FAT at 1 MiB and the heap on the next boundary of max(1 MiB, cluster size), as mkfs.exfat
//   does with its default 1 MiB alignment (mkfs.exfat does not round the heap up to a cluster past 1 MiB).
//   Since partitions start on a 1 MiB boundary, the heap is 1 MiB aligned on the disk as well.
// - Volume GUID: derived from the seed and kept in the plan, but by default NOT written as a directory entry
//   (volumeGuidEntry: false), like Windows (none of the corpus volumes has one): exfat-fuse 1.3.0 refuses to
//   mount a volume whose root holds a 0xA0 entry ("unknown entry type 0xa0") and fsck.exfat 1.2.0 reports it as
//   an error (later exfatprogs accept it in the root). `--exfat-volume-guid` (input.exfatVolumeGuid) writes it,
//   fourth in the root, after the label, bitmap and up-case entries; test/fs/exfat/tools.test.ts shows both tools' complaints.
// - PercentInUse: floor(used × 100 / ClusterCount) at format time (0 on all but tiny volumes), as Windows' backup
//   boot sectors show.
import { GuestdiskError, quoted } from '../../errors.js';
import { assertDosTimeRange } from '../../binary/time-formats.js';
import { deriveGuid, deriveU32 } from '../../binary/identity.js';
import { findLoneSurrogate } from '../../binary/utf16.js';
import type { FsPlanInput } from '../fs-interface.js';
import { EXFAT_MAX_CLUSTER_COUNT } from './boot-sector.js';
import { BOOT_REGION_SECTORS } from './boot-region.js';
import { VOLUME_LABEL_MAX_UNITS } from './dir-entry.js';
import { windowsUpcaseTable } from './upcase.js';
import type { FileTree } from '../../disk-types.js';
import { planExfatContent } from './content-plan.js';

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

/** §3.1.5: VolumeLength is at least 2^20 bytes. */
export const EXFAT_MIN_VOLUME_BYTES = MIB;
/** §3.1.9: cluster sizes up to 2^25 bytes. */
export const EXFAT_MAX_CLUSTER_SIZE = 32 * MIB;
/** Volumes up to this size get Windows' small-volume layout (FAT at 64 KiB, heap at 128 KiB). */
export const SMALL_VOLUME_MAX_BYTES = 32 * MIB;
const SMALL_FAT_ALIGN_BYTES = 64 * KIB;
const SMALL_HEAP_ALIGN_BYTES = 128 * KIB;
const LARGE_ALIGN_BYTES = MIB;
const FAT_ENTRY_BYTES = 4;
/** Clusters 0 and 1 do not exist in the heap; their FAT entries are reserved (§4.1). */
export const FIRST_CLUSTER = 2;
/** Characters §7.7.3 forbids in a name (FileName); Windows refuses them in a label too. */
const FORBIDDEN_LABEL_UNITS = new Set([0x22, 0x2a, 0x2f, 0x3a, 0x3c, 0x3e, 0x3f, 0x5c, 0x7c]);

export interface ExfatPlan {
  readonly kind: 'exfat';
  /** Volume size in bytes (may be smaller than the partition): VolumeLength × bytesPerSector. */
  readonly volumeSizeBytes: number;
  readonly bytesPerSectorShift: number;
  readonly sectorsPerClusterShift: number;
  readonly bytesPerSector: number;
  readonly clusterSize: number;
  /** Sectors; the partition's first LBA. */
  readonly partitionOffset: number;
  /** Sectors. */
  readonly volumeLength: number;
  /** Sectors. */
  readonly fatOffset: number;
  /** Sectors. */
  readonly fatLength: number;
  /** Sectors. */
  readonly clusterHeapOffset: number;
  readonly clusterCount: number;
  readonly bitmapFirstCluster: number;
  /** Bytes: ceil(ClusterCount / 8). */
  readonly bitmapLengthBytes: number;
  readonly upcaseFirstCluster: number;
  readonly upcaseLengthBytes: number;
  readonly upcaseTableChecksum: number;
  readonly firstClusterOfRootDirectory: number;
  /** Clusters in use after formatting: bitmap, up-case table, root directory, and the copied tree if any. */
  readonly usedClusterCount: number;
  readonly percentInUse: number;
  readonly volumeSerialNumber: number;
  readonly volumeGuid: string;
  /** Write the Volume GUID entry (§7.5) into the root directory; false by default (see the notes above). */
  readonly volumeGuidEntry: boolean;
  /** null: no label (Windows' empty label entry). */
  readonly label: string | null;
  /** Unix seconds (exFAT's boot region and root entries hold no time; kept for the Layout). */
  readonly timestamp: number;
  /** create --copy-from: the tree to place in the volume (populate.ts), or null for an empty volume. */
  readonly files: FileTree | null;
}

function roundUp(value: number, unit: number): number {
  return Math.ceil(value / unit) * unit;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** Microsoft's default exFAT cluster size for a volume of `volumeSizeBytes`. */
export function defaultExfatClusterSize(volumeSizeBytes: number): number {
  if (volumeSizeBytes <= 256 * MIB) return 4 * KIB;
  if (volumeSizeBytes <= 32 * GIB) return 32 * KIB;
  return 128 * KIB;
}

/** The label as stored, or null; refuses what exFAT (and Windows) would not store. */
export function parseExfatLabel(label: string | undefined): string | null {
  if (label === undefined || label === '') return null;
  if (label.length > VOLUME_LABEL_MAX_UNITS) {
    throw new GuestdiskError('INVALID_SPEC', `exFAT label ${quoted(label)} has ${label.length} UTF-16 units; at most ${VOLUME_LABEL_MAX_UNITS}`, { label, maxUnits: VOLUME_LABEL_MAX_UNITS });
  }
  const lone = findLoneSurrogate(label);
  if (lone >= 0) throw new GuestdiskError('INVALID_SPEC', `exFAT label has a lone UTF-16 surrogate at index ${lone}`, { index: lone });
  for (let i = 0; i < label.length; i++) {
    const u = label.charCodeAt(i);
    if (u < 0x20 || FORBIDDEN_LABEL_UNITS.has(u)) {
      throw new GuestdiskError('INVALID_SPEC', `exFAT label may not contain U+${u.toString(16).padStart(4, '0')} (index ${i}); forbidden: control characters and " * / : < > ? \\ |`, { index: i, codeUnit: u });
    }
  }
  return label;
}

interface Geometry {
  fatOffset: number;
  fatLength: number;
  clusterHeapOffset: number;
  clusterCount: number;
}

/** FatLength for a volume of `volumeLength` sectors: one entry per cluster it could hold, plus the two reserved,
 *  rounded up to whole clusters (see the notes at the top). */
function fatLengthFor(volumeLength: number, bytesPerSector: number, spc: number): number {
  const fatEntries = Math.floor(volumeLength / spc) + FIRST_CLUSTER;
  return roundUp(Math.ceil((fatEntries * FAT_ENTRY_BYTES) / bytesPerSector), spc);
}

/**
 * Where FAT and heap go for a volume of `volumeLength` sectors (see the notes at the top). `roomForVolumeLength`
 * (create --max-size) leaves room between the FAT and the heap for the FAT of a volume that large: FatLength stays
 * what this volume needs, and a grow lengthens it into the room (the spec allows free sectors before the heap).
 */
export function exfatGeometry(volumeLength: number, bytesPerSector: number, clusterSize: number, roomForVolumeLength = volumeLength): Geometry {
  const spc = clusterSize / bytesPerSector;
  const volumeBytes = volumeLength * bytesPerSector;
  const small = volumeBytes <= SMALL_VOLUME_MAX_BYTES;
  const fatAlign = small ? SMALL_FAT_ALIGN_BYTES : LARGE_ALIGN_BYTES;
  const heapAlign = Math.max(clusterSize, small ? SMALL_HEAP_ALIGN_BYTES : LARGE_ALIGN_BYTES);
  const fatOffsetBytes = roundUp(BOOT_REGION_SECTORS * 2 * bytesPerSector, fatAlign);
  const fatLength = fatLengthFor(volumeLength, bytesPerSector, spc);
  const room = Math.max(fatLength, fatLengthFor(roomForVolumeLength, bytesPerSector, spc));
  const heapBytes = roundUp(fatOffsetBytes + room * bytesPerSector, heapAlign);
  const clusterCount = Math.max(0, Math.floor((volumeBytes - heapBytes) / clusterSize));
  return { fatOffset: fatOffsetBytes / bytesPerSector, fatLength, clusterHeapOffset: heapBytes / bytesPerSector, clusterCount };
}

/** The cluster size: the one asked for, else Windows' default for the largest size the volume is planned for (with
 *  --max-size, the grown volume then has the clusters Windows would give a volume that large, and a smaller FAT). */
function resolveClusterSize(input: FsPlanInput, volumeSizeBytes: number): number {
  const s = input.logicalSectorSize;
  if (input.clusterSize === undefined) return Math.max(defaultExfatClusterSize(Math.max(volumeSizeBytes, input.maxVolumeBytes ?? 0)), s);
  const c = input.clusterSize;
  if (!isPowerOfTwo(c) || c > EXFAT_MAX_CLUSTER_SIZE) {
    throw new GuestdiskError('INVALID_SPEC', `exFAT cluster size ${c}: must be a power of two from the sector size to 32 MiB`, { clusterSize: c });
  }
  if (c < s) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `exFAT cluster size ${c} is smaller than the ${s}-byte sector`, { clusterSize: c, logicalSectorSize: s });
  }
  return c;
}

/** create --max-size: the volume length (sectors) whose FAT the volume makes room for, checked against exFAT's
 *  cluster count limit; the volume's own length without one. */
function checkMaxVolume(input: FsPlanInput, volumeLength: number, clusterSize: number): number {
  if (input.maxVolumeBytes === undefined) return volumeLength;
  const s = input.logicalSectorSize;
  const maxLength = Math.max(volumeLength, Math.floor(input.maxVolumeBytes / s));
  const clustersAtMax = exfatGeometry(maxLength, s, clusterSize).clusterCount;
  if (clustersAtMax > EXFAT_MAX_CLUSTER_COUNT) {
    let smallest = clusterSize * 2;
    while (smallest < EXFAT_MAX_CLUSTER_SIZE && exfatGeometry(maxLength, s, smallest).clusterCount > EXFAT_MAX_CLUSTER_COUNT) smallest *= 2;
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `exFAT: a volume grown to ${maxLength * s} bytes (--max-size) would have ${clustersAtMax} clusters of ${clusterSize} bytes, more than ${EXFAT_MAX_CLUSTER_COUNT}: use --cluster-size ${smallest} or more`, { clusterSize, clusterCount: clustersAtMax, smallestClusterSize: smallest });
  }
  return maxLength;
}

/** The largest volume (bytes) whose FAT room still leaves a `volumeLength`-sector volume more than `needed` clusters. */
function largestMaxVolumeBytes(volumeLength: number, s: number, clusterSize: number, needed: number): number {
  let lo = volumeLength;
  let hi = volumeLength * 2;
  while (exfatGeometry(volumeLength, s, clusterSize, hi).clusterCount > needed) hi *= 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (exfatGeometry(volumeLength, s, clusterSize, mid).clusterCount > needed) lo = mid;
    else hi = mid;
  }
  return lo * s;
}

export function planExfat(input: FsPlanInput): ExfatPlan {
  assertDosTimeRange(input.timestamp, 'exFAT');
  const bytesPerSector = input.logicalSectorSize;
  if (bytesPerSector !== 512 && bytesPerSector !== 4096) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `exFAT: logical sector size ${String(bytesPerSector)} is not 512 or 4096`);
  }
  const label = parseExfatLabel(input.label);
  if (!Number.isSafeInteger(input.partitionSizeBytes) || input.partitionSizeBytes < 0 || !Number.isSafeInteger(input.partitionStartLba) || input.partitionStartLba < 0) {
    throw new GuestdiskError('INVALID_SPEC', `exFAT: partition start ${input.partitionStartLba} / size ${input.partitionSizeBytes} are not non-negative integers`);
  }
  const volumeLength = Math.floor(input.partitionSizeBytes / bytesPerSector);
  const volumeSizeBytes = volumeLength * bytesPerSector;
  if (volumeSizeBytes < EXFAT_MIN_VOLUME_BYTES) {
    throw new GuestdiskError('TARGET_TOO_SMALL', `exFAT needs a volume of at least 1 MiB; the partition has ${input.partitionSizeBytes} bytes`, { partitionSizeBytes: input.partitionSizeBytes, minimumBytes: EXFAT_MIN_VOLUME_BYTES });
  }
  const clusterSize = resolveClusterSize(input, volumeSizeBytes);
  const roomFor = checkMaxVolume(input, volumeLength, clusterSize);
  const g = exfatGeometry(volumeLength, bytesPerSector, clusterSize, roomFor);
  if (g.clusterCount > EXFAT_MAX_CLUSTER_COUNT || g.fatLength > 0xffffffff) {
    let smallest = clusterSize * 2;
    while (smallest <= EXFAT_MAX_CLUSTER_SIZE && exfatGeometry(volumeLength, bytesPerSector, smallest).clusterCount > EXFAT_MAX_CLUSTER_COUNT) smallest *= 2;
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `exFAT: ${clusterSize}-byte clusters give ${g.clusterCount} clusters, more than ${EXFAT_MAX_CLUSTER_COUNT}; use ${smallest} bytes or more`, { clusterSize, clusterCount: g.clusterCount, smallestClusterSize: smallest });
  }
  if (g.clusterHeapOffset > 0xffffffff) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `exFAT: cluster heap offset ${g.clusterHeapOffset} does not fit 32 bits`);
  }
  const upcase = windowsUpcaseTable();
  const clustersFor = (bytes: number): number => Math.ceil(bytes / clusterSize);
  const bitmapLengthBytes = Math.ceil(g.clusterCount / 8);
  const bitmapFirstCluster = FIRST_CLUSTER;
  const upcaseFirstCluster = bitmapFirstCluster + clustersFor(bitmapLengthBytes);
  const firstClusterOfRootDirectory = upcaseFirstCluster + clustersFor(upcase.bytes.length);
  const emptyUsedClusterCount = firstClusterOfRootDirectory + 1 - FIRST_CLUSTER;
  if (g.clusterCount <= emptyUsedClusterCount && roomFor > volumeLength) {
    const largest = largestMaxVolumeBytes(volumeLength, bytesPerSector, clusterSize, emptyUsedClusterCount);
    throw new GuestdiskError('INVALID_SPEC', `exFAT: the FAT for --max-size (a ${roomFor * bytesPerSector}-byte volume of ${clusterSize}-byte clusters) leaves this ${volumeSizeBytes}-byte volume ${g.clusterCount} clusters, fewer than its metadata and one file need (${emptyUsedClusterCount + 1}): use a larger --cluster-size, or a --max-size that gives a volume of at most ${largest} bytes`, { maxVolumeBytes: roomFor * bytesPerSector, clusterSize, clusterCount: g.clusterCount, largestMaxVolumeBytes: largest });
  }
  if (g.clusterCount <= emptyUsedClusterCount) {
    throw new GuestdiskError('TARGET_TOO_SMALL', `exFAT: a ${volumeSizeBytes}-byte volume with ${clusterSize}-byte clusters has ${g.clusterCount} clusters; its metadata alone needs ${emptyUsedClusterCount} and a file at least one more`, { volumeSizeBytes, clusterSize, clusterCount: g.clusterCount, neededClusters: emptyUsedClusterCount + 1 });
  }
  const volumeGuidEntry = input.exfatVolumeGuid ?? false;
  const files = input.files ?? null;
  const usedClusterCount = files === null
    ? emptyUsedClusterCount
    : planExfatContent(files, { clusterSize, clusterCount: g.clusterCount, rootFirstCluster: firstClusterOfRootDirectory, volumeGuidEntry, volumeSizeBytes });
  return {
    kind: 'exfat',
    volumeSizeBytes,
    bytesPerSectorShift: Math.log2(bytesPerSector),
    sectorsPerClusterShift: Math.log2(clusterSize / bytesPerSector),
    bytesPerSector,
    clusterSize,
    partitionOffset: input.partitionStartLba,
    volumeLength,
    fatOffset: g.fatOffset,
    fatLength: g.fatLength,
    clusterHeapOffset: g.clusterHeapOffset,
    clusterCount: g.clusterCount,
    bitmapFirstCluster,
    bitmapLengthBytes,
    upcaseFirstCluster,
    upcaseLengthBytes: upcase.bytes.length,
    upcaseTableChecksum: upcase.checksum,
    firstClusterOfRootDirectory,
    usedClusterCount,
    percentInUse: Math.floor((usedClusterCount * 100) / g.clusterCount),
    volumeSerialNumber: deriveU32(input.seed, 'exfat-serial/1'),
    volumeGuid: deriveGuid(input.seed, 'exfat-volume-guid/1'),
    volumeGuidEntry,
    label,
    timestamp: input.timestamp,
    files,
  };
}
