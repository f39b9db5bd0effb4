// Growing an exFAT volume (exFAT spec §3.1 boot sector fields, §7.1 Allocation Bitmap, §4.1 FAT): the plan of what
// changes — VolumeLength, ClusterCount (within what the FAT can hold, FatLength grown into free room before the
// cluster heap), a new Allocation Bitmap in clusters the old volume leaves free, its directory entry, both boot
// regions — and the bytes of each change. Pure: the source comes from src/grow/read-exfat.ts.
import { GuestdiskError } from '../../errors.js';
import { decodeExfatBootSector, EXFAT_BOOT_SECTOR, EXFAT_MAX_CLUSTER_COUNT, type ExfatBootSector } from './boot-sector.js';
import { BOOT_REGION_SECTORS, BOOT_CHECKSUM_SECTOR } from './boot-region.js';
import { bootRegionChecksum } from './checksum.js';
import { ALLOCATION_BITMAP_ENTRY, DIR_ENTRY_SIZE } from './dir-entry.js';
import { FAT_END_OF_CHAIN, FAT_ENTRY_BYTES } from './fat.js';

/** VolumeFlags bit 1 (§3.1.13.2): the volume was not cleanly unmounted. */
export const EXFAT_VOLUME_DIRTY = 0x0002;
/** The first data cluster's number (§4.1: FAT entries 0 and 1 are not clusters). */
export const EXFAT_FIRST_CLUSTER = 2;

export interface ExfatGrowSource {
  readonly kind: 'exfat';
  /** The main boot region (12 sectors), as read: the grown regions keep every byte but the changed fields. */
  readonly bootRegion: Uint8Array;
  /** Where the Allocation Bitmap's directory entry lies in the volume, and the sector that holds it, as read. */
  readonly bitmapEntry: { readonly offsetBytes: number; readonly sectorOffsetBytes: number; readonly sector: Uint8Array };
  /** True when the main boot region failed its checks and the backup passed them (a grow whose commit write was
   *  torn): `bootRegion` is then the backup, and the grow writes it back over the main region. */
  readonly restoreMainBootRegion: boolean;
  /** The old bitmap: first cluster, length in bytes, and that its clusters are contiguous (checked in the FAT). */
  readonly bitmap: { readonly firstCluster: number; readonly dataLength: number };
}

export interface ExfatGrowPlan {
  readonly kind: 'exfat';
  readonly clusterSize: number;
  readonly before: { readonly volumeLength: number; readonly clusterCount: number; readonly fatLength: number };
  readonly after: { readonly volumeLength: number; readonly clusterCount: number; readonly fatLength: number };
  /** The old bitmap, and the new one (contiguous, in clusters free in the old volume). */
  readonly oldBitmap: { readonly firstCluster: number; readonly clusters: number; readonly dataLength: number };
  readonly newBitmap: { readonly firstCluster: number; readonly clusters: number; readonly dataLength: number };
  /** Set when the FAT cannot address every cluster the partition could hold: the clusters left unused. */
  readonly clustersBeyondFat: number;
  /** Bytes of the grown cluster heap files can use (ClusterCount × cluster size), and the partition's bytes past
   *  the last cluster the FAT addresses, which no file can use (0 when the FAT addresses them all). */
  readonly usableBytes: number;
  readonly unusableBytes: number;
  readonly bitmapEntryOffsetBytes: number;
}

export function exfatBootSectorOf(source: ExfatGrowSource): ExfatBootSector {
  return decodeExfatBootSector(source.bootRegion.subarray(0, 512));
}

function bitmapBytes(clusterCount: number): number {
  return Math.ceil(clusterCount / 8);
}

/** The cluster count and FAT length the grown volume gets in `partitionBytes`, before the bitmap is placed. */
export function grownExfatSize(source: ExfatGrowSource, partitionBytes: number): { volumeLength: number; clusterCount: number; fatLength: number; clustersBeyondFat: number; bitmapClusters: number } {
  const bs = exfatBootSectorOf(source);
  const bps = 2 ** bs.bytesPerSectorShift;
  const spc = 2 ** bs.sectorsPerClusterShift;
  const volumeLength = Math.floor(partitionBytes / bps);
  const room = Math.min(Math.floor((volumeLength - bs.clusterHeapOffset) / spc), EXFAT_MAX_CLUSTER_COUNT);
  // With one FAT, its region may grow up to the cluster heap (the space between is unused); TexFAT's second FAT
  // sits right after the first, so there the length stays.
  const maxFatLength = bs.numberOfFats === 1 ? bs.clusterHeapOffset - bs.fatOffset : bs.fatLength;
  const fatHolds = Math.floor((maxFatLength * bps) / FAT_ENTRY_BYTES) - EXFAT_FIRST_CLUSTER;
  const clusterCount = Math.max(Math.min(room, fatHolds), bs.clusterCount);
  const fatLength = Math.max(bs.fatLength, Math.ceil(((clusterCount + EXFAT_FIRST_CLUSTER) * FAT_ENTRY_BYTES) / bps));
  const cs = bps * spc;
  return { volumeLength, clusterCount, fatLength, clustersBeyondFat: Math.max(room - clusterCount, 0), bitmapClusters: Math.ceil(bitmapBytes(clusterCount) / cs) };
}

/** Plans the grow into `partitionBytes`; `freeRunCluster` is the first cluster of a free run of the bitmap's size
 *  in the old volume (read-exfat finds it), or null when there is none. */
export function planExfatGrow(source: ExfatGrowSource, partitionBytes: number, freeRunCluster: number | null): ExfatGrowPlan {
  const bs = exfatBootSectorOf(source);
  if ((bs.volumeFlags & EXFAT_VOLUME_DIRTY) !== 0) {
    throw new GuestdiskError('INVALID_SPEC', 'the exFAT volume is marked dirty (VolumeFlags.VolumeDirty): it was not cleanly unmounted; let Windows check it (or run fsck.exfat), then grow; nothing was written', { volumeFlags: bs.volumeFlags });
  }
  const bps = 2 ** bs.bytesPerSectorShift;
  const cs = bps * 2 ** bs.sectorsPerClusterShift;
  const size = grownExfatSize(source, partitionBytes);
  if (size.volumeLength < bs.volumeLength) {
    throw new GuestdiskError('INVALID_SPEC', `the exFAT volume has ${bs.volumeLength} sectors, more than its partition's ${size.volumeLength}: repair it before growing`, { volumeLength: bs.volumeLength });
  }
  const oldClusters = Math.ceil(source.bitmap.dataLength / cs);
  const oldBitmap = { firstCluster: source.bitmap.firstCluster, clusters: oldClusters, dataLength: source.bitmap.dataLength };
  const newBitmap = { firstCluster: 0, clusters: size.bitmapClusters, dataLength: bitmapBytes(size.clusterCount) };
  const base = {
    kind: 'exfat' as const,
    clusterSize: cs,
    before: { volumeLength: bs.volumeLength, clusterCount: bs.clusterCount, fatLength: bs.fatLength },
    after: { volumeLength: size.volumeLength, clusterCount: size.clusterCount, fatLength: size.fatLength },
    oldBitmap,
    clustersBeyondFat: size.clustersBeyondFat,
    usableBytes: size.clusterCount * cs,
    unusableBytes: size.clustersBeyondFat * cs,
    bitmapEntryOffsetBytes: source.bitmapEntry.offsetBytes,
  };
  // No new clusters (the FAT is full, or a torn commit is being finished): the bitmap stays where it is.
  if (size.clusterCount === bs.clusterCount) return { ...base, newBitmap: oldBitmap };
  if (freeRunCluster === null) {
    throw new GuestdiskError('INVALID_SPEC', `the exFAT volume has no run of ${size.bitmapClusters} free clusters (${size.bitmapClusters * cs} bytes) for its grown allocation bitmap: free some space (or defragment), then grow; nothing was written`, { bitmapClusters: size.bitmapClusters });
  }
  return { ...base, newBitmap: { ...newBitmap, firstCluster: freeRunCluster } };
}

/** A boot region for the grown volume: the old one's bytes with VolumeLength, FatLength and ClusterCount changed,
 *  and the checksum sector recomputed. Main and backup regions are identical (§3). */
export function encodeGrownBootRegion(source: ExfatGrowSource, plan: ExfatGrowPlan): Uint8Array {
  const bs = exfatBootSectorOf(source);
  const bps = 2 ** bs.bytesPerSectorShift;
  const region = source.bootRegion.slice(0, BOOT_REGION_SECTORS * bps);
  const grown: ExfatBootSector = { ...bs, volumeLength: plan.after.volumeLength, fatLength: plan.after.fatLength, clusterCount: plan.after.clusterCount };
  EXFAT_BOOT_SECTOR.encodeInto(grown, region, 0);
  decodeExfatBootSector(region.subarray(0, 512)); // the grown geometry passes every §3.1 rule, or this throws
  const sum = bootRegionChecksum(region, bps);
  const view = new DataView(region.buffer, region.byteOffset + BOOT_CHECKSUM_SECTOR * bps, bps);
  for (let at = 0; at < bps; at += 4) view.setUint32(at, sum, true);
  return region;
}

/** The sector holding the Allocation Bitmap's directory entry, pointing at the new bitmap. The entry is a benign
 *  primary entry outside any entry set (§7.1): it has no SetChecksum to recompute. */
export function encodeGrownBitmapEntrySector(source: ExfatGrowSource, plan: ExfatGrowPlan): Uint8Array {
  const sector = source.bitmapEntry.sector.slice();
  const at = source.bitmapEntry.offsetBytes - source.bitmapEntry.sectorOffsetBytes;
  const old = ALLOCATION_BITMAP_ENTRY.decode(sector.subarray(at, at + DIR_ENTRY_SIZE));
  ALLOCATION_BITMAP_ENTRY.encodeInto({ ...old, firstCluster: plan.newBitmap.firstCluster, dataLength: plan.newBitmap.dataLength }, sector, at);
  return sector;
}

/** FAT entries for the new bitmap's clusters (a contiguous chain ending in end-of-chain), as the bytes of FAT
 *  entries `[firstCluster, firstCluster + clusters)`. */
export function encodeBitmapChain(plan: ExfatGrowPlan): Uint8Array {
  const { firstCluster, clusters } = plan.newBitmap;
  const out = new Uint8Array(clusters * FAT_ENTRY_BYTES);
  const view = new DataView(out.buffer);
  for (let i = 0; i < clusters; i++) view.setUint32(i * FAT_ENTRY_BYTES, i === clusters - 1 ? FAT_END_OF_CHAIN : firstCluster + i + 1, true);
  return out;
}

/** Bytes `[fromByte, fromByte + old.length)` of the new bitmap, made from the same bytes of the old one (zeros past
 *  its end): the old bitmap's clusters freed, the new bitmap's clusters in use, bits past the old count clear. */
export function patchBitmapPiece(plan: ExfatGrowPlan, fromByte: number, old: Uint8Array): Uint8Array {
  const out = old.slice();
  const firstBit = fromByte * 8;
  const endBit = firstBit + out.length * 8;
  const set = (from: number, to: number, value: boolean): void => {
    let bit = Math.max(from, firstBit);
    const end = Math.min(to, endBit);
    for (; bit < end && (bit & 7) !== 0; bit++) setBit(out, bit - firstBit, value);
    const wholeEnd = end - (end & 7);
    if (bit < wholeEnd) out.fill(value ? 0xff : 0, (bit - firstBit) >> 3, (wholeEnd - firstBit) >> 3);
    for (bit = Math.max(bit, wholeEnd); bit < end; bit++) setBit(out, bit - firstBit, value);
  };
  set(plan.before.clusterCount, endBit, false);
  const o = plan.oldBitmap.firstCluster - EXFAT_FIRST_CLUSTER;
  set(o, o + plan.oldBitmap.clusters, false);
  const n = plan.newBitmap.firstCluster - EXFAT_FIRST_CLUSTER;
  set(n, n + plan.newBitmap.clusters, true);
  return out;
}

function setBit(bytes: Uint8Array, bit: number, value: boolean): void {
  const mask = 1 << (bit & 7);
  bytes[bit >> 3] = value ? bytes[bit >> 3] | mask : bytes[bit >> 3] & ~mask;
}
