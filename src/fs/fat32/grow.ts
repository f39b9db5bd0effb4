// Growing a FAT32 volume into the rest of its partition (fatgen103: "Boot Sector and BPB Structure", "FAT32 FSInfo
// Sector Structure and Backup Boot Sector", "FAT Data Structure"). The FAT cannot grow: the data region starts right
// after it, and every cluster's place would move. So the volume grows only as far as its FAT has entries for:
// BPB_FATSz32 sectors hold FATSz32 × BytsPerSec / 4 entries, of which the first two are reserved. What changes:
// BPB_TotSec32 in the boot sector and its backup, FSI_Free_Count (and the next-free hint) in FSInfo and its backup,
// and, only where an earlier tool left them non-zero, the FAT entries of the new clusters (zero = free).
import { GuestdiskError } from '../../errors.js';
import { decodeFat32BootSector, encodeFat32BootSector, FAT32_BOOT_SECTOR } from './boot-sector.js';
import { FAT32_ENTRY_BYTES, FAT32_MAX_CLUSTERS, FAT32_MIN_CLUSTERS, FIRST_DATA_CLUSTER } from './fat.js';
import { decodeFsInfo, encodeFsInfo, FSI_UNKNOWN, FSINFO } from './fsinfo.js';

/** What growing needs from the volume (src/grow/read-fat32.ts reads it). */
export interface Fat32GrowSource {
  readonly kind: 'fat32';
  readonly bytesPerSector: number;
  readonly sectorsPerCluster: number;
  readonly totalSectors: number;
  readonly clusterCount: number;
  /** First sector of the data region: BPB_RsvdSecCnt + BPB_NumFATs × BPB_FATSz32. */
  readonly dataStartSector: number;
  readonly fatStartSector: number;
  readonly fatSectors: number;
  readonly numFats: number;
  /** Sector of FSInfo (BPB_FSInfo), or null when the volume has none. */
  readonly fsInfoSector: number | null;
  /** Sector of the backup boot sector (BPB_BkBootSec), or null when the volume has none. */
  readonly backupBootSector: number | null;
  /** The volume's reserved sectors 0 … headSectors − 1, as read: boot sector, FSInfo and their backups. */
  readonly head: Uint8Array;
  /** Per FAT copy: whether any entry past the old last cluster (up to where the grown volume ends) is non-zero. */
  readonly staleFatTail: readonly boolean[];
  /** Per FAT copy: the sector holding the first entry past the old last cluster, as read. */
  readonly fatTailSector: readonly Uint8Array[];
}

export interface Fat32GrowPlan {
  readonly kind: 'fat32';
  readonly clusterSize: number;
  readonly bytesPerSector: number;
  readonly before: { readonly totalSectors: number; readonly clusterCount: number; readonly volumeSizeBytes: number };
  readonly after: { readonly totalSectors: number; readonly clusterCount: number; readonly volumeSizeBytes: number };
  /** The most clusters the FAT has entries for (capped at FAT32's own limit). */
  readonly maxClusterCount: number;
  /** FSI_Free_Count and FSI_Nxt_Free before and after (0xFFFFFFFF = unknown, left unknown). */
  readonly freeCount: { readonly before: number; readonly after: number };
  readonly nxtFree: { readonly before: number; readonly after: number };
  /** FAT copies (0-based) whose entries past the old last cluster must be zeroed first. */
  readonly fatCopiesToClear: readonly number[];
}

/** Clusters the FAT of `source` has entries for: entries 0 and 1 are reserved (fatgen103). */
export function fat32MaxClusters(source: Fat32GrowSource): number {
  return Math.min(Math.floor((source.fatSectors * source.bytesPerSector) / FAT32_ENTRY_BYTES) - FIRST_DATA_CLUSTER, FAT32_MAX_CLUSTERS);
}

/** Clusters a volume of `totalSectors` holds. */
export function fat32ClustersIn(source: Fat32GrowSource, totalSectors: number): number {
  return Math.floor((totalSectors - source.dataStartSector) / source.sectorsPerCluster);
}

/** Sectors of the largest volume whose clusters the FAT can address (its last cluster's end). */
export function fat32MaxTotalSectors(source: Fat32GrowSource): number {
  return source.dataStartSector + fat32MaxClusters(source) * source.sectorsPerCluster;
}

/**
 * The grown volume in a partition of `partitionSectors`. Throws UNSUPPORTED_GEOMETRY when the FAT cannot address
 * the clusters that partition holds (`largestPartitionSectors` is the caller's to turn into a disk size).
 */
export function planFat32Grow(source: Fat32GrowSource, partitionSectors: number): Fat32GrowPlan {
  const bps = source.bytesPerSector;
  const cs = bps * source.sectorsPerCluster;
  const max = fat32MaxClusters(source);
  const totalSectors = partitionSectors;
  const clusterCount = fat32ClustersIn(source, totalSectors);
  if (clusterCount > max) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `FAT32: its FAT (${source.fatSectors} sectors) has entries for ${max} clusters of ${cs} bytes, and a partition of ${partitionSectors * bps} bytes holds ${clusterCount}`, { maxClusterCount: max, clusterCount, maxVolumeBytes: fat32MaxTotalSectors(source) * bps });
  }
  if (clusterCount < FAT32_MIN_CLUSTERS) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `FAT32: the grown volume would have ${clusterCount} clusters, fewer than FAT32's minimum ${FAT32_MIN_CLUSTERS}`, { clusterCount });
  }
  const head = decodeFsInfoAt(source);
  const added = clusterCount - source.clusterCount;
  const freeBefore = head?.freeCount ?? FSI_UNKNOWN;
  const nxtBefore = head?.nxtFree ?? FSI_UNKNOWN;
  // A known free count gains the new clusters; an unknown one (or one larger than the old volume, which no reader
  // trusts either) stays unknown, and readers count for themselves.
  const freeAfter = freeBefore === FSI_UNKNOWN || freeBefore > source.clusterCount ? FSI_UNKNOWN : freeBefore + added;
  // The hint only says where to start looking: kept, unless it points past the old clusters (a full volume).
  const lastOld = source.clusterCount + FIRST_DATA_CLUSTER - 1;
  const nxtAfter = nxtBefore !== FSI_UNKNOWN && (nxtBefore > lastOld || nxtBefore < FIRST_DATA_CLUSTER) && added > 0 ? lastOld + 1 : nxtBefore;
  return {
    kind: 'fat32',
    clusterSize: cs,
    bytesPerSector: bps,
    before: { totalSectors: source.totalSectors, clusterCount: source.clusterCount, volumeSizeBytes: source.totalSectors * bps },
    after: { totalSectors, clusterCount, volumeSizeBytes: totalSectors * bps },
    maxClusterCount: max,
    freeCount: { before: freeBefore, after: freeAfter },
    nxtFree: { before: nxtBefore, after: nxtAfter },
    fatCopiesToClear: source.staleFatTail.flatMap((stale, i) => (stale && added > 0 ? [i] : [])),
  };
}

function decodeFsInfoAt(source: Fat32GrowSource): { freeCount: number; nxtFree: number } | null {
  if (source.fsInfoSector === null) return null;
  const at = source.fsInfoSector * source.bytesPerSector;
  return decodeFsInfo(source.head.subarray(at, at + FSINFO.sizeBytes));
}

/**
 * The volume's head (sectors 0 … headSectors − 1) with the boot sector, FSInfo and their backups saying the grown
 * size; every other byte as read (boot code in sectors 2 and 8, reserved sectors).
 */
export function encodeGrownFat32Head(source: Fat32GrowSource, plan: Fat32GrowPlan): Uint8Array {
  const bps = source.bytesPerSector;
  const out = source.head.slice();
  const boot = decodeFat32BootSector(source.head.subarray(0, FAT32_BOOT_SECTOR.sizeBytes));
  const grownBoot = encodeFat32BootSector({ ...boot, totSec32: plan.after.totalSectors }, FAT32_BOOT_SECTOR.sizeBytes);
  const patch = (sector: number, bytes: Uint8Array): void => out.set(bytes, sector * bps);
  patch(0, grownBoot);
  if (source.backupBootSector !== null) patch(source.backupBootSector, grownBoot);
  if (source.fsInfoSector !== null) {
    const at = source.fsInfoSector * bps;
    const info = decodeFsInfo(source.head.subarray(at, at + FSINFO.sizeBytes));
    const grown = encodeFsInfo({ ...info, freeCount: plan.freeCount.after, nxtFree: plan.nxtFree.after }, FSINFO.sizeBytes);
    patch(source.fsInfoSector, grown);
    if (source.backupBootSector !== null) patch(source.backupBootSector + source.fsInfoSector, grown);
  }
  return out;
}

/** Where the FAT entries of the new clusters lie in FAT copy `copy`: the first (partial) sector and the rest. */
export function fat32TailRange(source: Fat32GrowSource, plan: Fat32GrowPlan, copy: number): { firstSectorBytes: number; restBytes: number; firstEntryInSector: number } {
  const bps = source.bytesPerSector;
  const firstEntry = source.clusterCount + FIRST_DATA_CLUSTER;
  const endEntry = plan.after.clusterCount + FIRST_DATA_CLUSTER; // exclusive
  const fatBytes = (source.fatStartSector + copy * source.fatSectors) * bps;
  const firstSector = Math.floor((firstEntry * FAT32_ENTRY_BYTES) / bps);
  const endSector = Math.ceil((endEntry * FAT32_ENTRY_BYTES) / bps);
  return { firstSectorBytes: fatBytes + firstSector * bps, restBytes: (endSector - firstSector - 1) * bps, firstEntryInSector: firstEntry - (firstSector * bps) / FAT32_ENTRY_BYTES };
}

/** The FAT sector holding the first new entry, with that entry and every one after it zeroed (free). */
export function encodeClearedFatTailSector(sector: Uint8Array, firstEntryInSector: number): Uint8Array {
  const out = sector.slice();
  out.fill(0, firstEntryInSector * FAT32_ENTRY_BYTES);
  return out;
}
