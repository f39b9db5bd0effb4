// Growing an NTFS volume into the rest of its partition: what ntfsresize does when it enlarges a volume
// (ntfs-3g ntfsprogs/ntfsresize.c: update_bootsector, truncate_badclust_file, truncate_bitmap_data_attr), planned
// here as data. What changes: number_of_sectors in the boot sector and its backup (which moves to the partition's
// new last sector), $Bitmap (one bit per cluster) written whole into clusters nothing uses yet and pointed to by
// record 6, and $BadClus:$Bad (record 8) extended by a sparse run to cover every cluster. $MFT, $MFTMirr and every
// file's data stay where they are.
import { GuestdiskError } from '../../errors.js';
import { decodeNtfsBootSector, NTFS_BOOT_SECTOR } from './boot-sector.js';
import { ATTR_TYPE } from './attribute-types.js';
import type { BitmapGrowth } from './grow-bitmap.js';
import { patchNonResidentAttribute, runClusters } from './grow-record.js';
import { NTFS_MAX_CLUSTERS } from './plan.js';
import type { Run } from './runlist.js';

/** An MFT record as read: where it is in the volume and its (protected) bytes. */
export interface MftRecordAt {
  readonly offsetBytes: number;
  readonly bytes: Uint8Array;
}

/** A non-resident stream's runs and sizes. */
export interface StreamLayout {
  readonly runs: readonly Run[];
  readonly allocatedSize: number;
  readonly dataSize: number;
  readonly initializedSize: number;
}

/** What growing needs from the volume, read through the decoders (src/grow/read-ntfs.ts reads it). */
export interface NtfsGrowSource {
  readonly kind: 'ntfs';
  readonly bytesPerSector: number;
  readonly clusterSize: number;
  readonly mftRecordSize: number;
  readonly totalSectors: number;
  readonly clusterCount: number;
  /** The volume's first logical sector, as read. */
  readonly bootSector: Uint8Array;
  readonly bitmapRecord: MftRecordAt;
  readonly badClusRecord: MftRecordAt;
  /** Record 7, when records 6–8 lie back to back (then they are written in one request). */
  readonly bootRecord: MftRecordAt | null;
  /** The volume's bytes from its start to the end of record 8, when records 6–8 lie back to back within
   *  MAX_COMMIT_SPAN_BYTES of the start (mkntfs and guestdisk put $MFT at 16 KiB): then the boot sector and the
   *  records are written in one request, so no process stop leaves one without the other. */
  readonly head: Uint8Array | null;
  /** Where $MFTMirr keeps copies of records 6 and 8, when it is long enough to hold them. */
  readonly mirror: { readonly bitmapOffsetBytes: number; readonly badClusOffsetBytes: number } | null;
  readonly bitmap: StreamLayout;
  readonly bad: StreamLayout;
  readonly serial: string;
}

export interface NtfsGrowPlan {
  readonly kind: 'ntfs';
  readonly clusterSize: number;
  readonly bytesPerSector: number;
  readonly before: { readonly totalSectors: number; readonly clusterCount: number; readonly volumeSizeBytes: number; readonly bitmapBytes: number };
  readonly after: { readonly totalSectors: number; readonly clusterCount: number; readonly volumeSizeBytes: number; readonly bitmapBytes: number };
  /** Where the new $Bitmap goes: free clusters of the old volume (preferred: nothing points past the old end
   *  until the boot sector does), or the new space past it. */
  readonly bitmapPlacement: 'old-free-space' | 'new-space';
  readonly bitmapGrowth: BitmapGrowth;
  readonly newBitmap: StreamLayout;
  readonly newBad: StreamLayout;
  /** Volume-relative byte offset of the backup boot sector: the partition's new last sector. */
  readonly backupBootOffsetBytes: number;
}

/** Largest boot-sector-to-record-8 span written as one request. */
export const MAX_COMMIT_SPAN_BYTES = 1024 * 1024;

/** The mapping pairs of a 1 KiB record hold a few dozen runs; a bitmap scattered wider is placed in the new space. */
export const MAX_NEW_BITMAP_RUNS = 16;

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** Sizes of the grown volume in a partition of `partitionSizeBytes` (the last sector keeps the backup boot sector). */
export function grownNtfsSize(source: NtfsGrowSource, partitionSizeBytes: number): { totalSectors: number; clusterCount: number; bitmapBytes: number; bitmapClusters: number } {
  const totalSectors = Math.floor(partitionSizeBytes / source.bytesPerSector) - 1;
  const clusterCount = Math.floor((totalSectors * source.bytesPerSector) / source.clusterSize);
  const bitmapBytes = align8(Math.ceil(clusterCount / 8));
  return { totalSectors, clusterCount, bitmapBytes, bitmapClusters: Math.ceil(bitmapBytes / source.clusterSize) };
}

/** First cluster wholly past the old volume's backup boot sector and `reservedBytes` (volume-relative: what the
 *  old table still keeps past the old partition, its backup GPT): nothing the old disk uses lies there. */
export function newSpaceStartLcn(source: NtfsGrowSource, reservedBytes = 0): number {
  return Math.ceil(Math.max((source.totalSectors + 1) * source.bytesPerSector, reservedBytes) / source.clusterSize);
}

/**
 * Picks the new $Bitmap's clusters. When the commit is one write (boot sector and records together), the new space
 * right after the old disk: nothing references it before the commit, and in a freshly extended image its zeros
 * stay holes. Otherwise (records and boot sector in separate writes) free clusters of the old volume, so that the
 * records never point past the old volume: one free extent if one is long enough, else up to MAX_NEW_BITMAP_RUNS
 * of them in order, else the new space after all.
 */
function placeBitmap(need: number, free: readonly Run[], newSpaceLcn: number, preferNewSpace: boolean, clusterCount: number): { runs: Run[]; placement: NtfsGrowPlan['bitmapPlacement'] } {
  if (preferNewSpace && newSpaceLcn + need <= clusterCount) return { runs: [{ lcn: newSpaceLcn, length: need }], placement: 'new-space' };
  const single = free.find((r) => r.length >= need);
  if (single) return { runs: [{ lcn: single.lcn, length: need }], placement: 'old-free-space' };
  const runs: Run[] = [];
  let got = 0;
  for (const r of free.slice(0, MAX_NEW_BITMAP_RUNS)) {
    const take = Math.min(r.length, need - got);
    runs.push({ lcn: r.lcn, length: take });
    got += take;
    if (got === need) return { runs: runs.sort((a, b) => a.lcn! - b.lcn!), placement: 'old-free-space' };
  }
  return { runs: [{ lcn: newSpaceLcn, length: need }], placement: 'new-space' };
}

/** $Bad cut or extended (with a sparse run, merged into a trailing one) to exactly `clusterCount` clusters. A
 *  resumed grow finds it already longer than the volume the boot sector declares. */
function grownBadRuns(old: readonly Run[], clusterCount: number): Run[] {
  const runs: Run[] = [];
  let have = 0;
  for (const r of old) {
    if (have >= clusterCount) break;
    const length = Math.min(r.length, clusterCount - have);
    runs.push({ lcn: r.lcn, length });
    have += length;
  }
  if (have < clusterCount) {
    const last = runs[runs.length - 1];
    if (last && last.lcn === null) runs[runs.length - 1] = { lcn: null, length: last.length + clusterCount - have };
    else runs.push({ lcn: null, length: clusterCount - have });
  }
  return runs;
}

/**
 * The grow plan for a volume whose partition becomes `partitionSizeBytes`. `free` lists free extents of the old
 * volume (from its bitmap) long enough to matter. Refuses (before anything is written) a volume that would not
 * gain a cluster, one past NTFS's 2^32 − 1 clusters, and a $BadClus that does not cover the old volume.
 */
export function planNtfsGrow(source: NtfsGrowSource, partitionSizeBytes: number, free: readonly Run[], reservedBytes = 0): NtfsGrowPlan {
  const after = grownNtfsSize(source, partitionSizeBytes);
  const cs = source.clusterSize;
  if (after.clusterCount <= source.clusterCount) {
    throw new GuestdiskError('INVALID_SPEC', `the NTFS volume already has ${source.clusterCount} clusters of ${cs} bytes; a partition of ${partitionSizeBytes} bytes holds ${after.clusterCount}: nothing to grow`, { clusterCount: source.clusterCount, newClusterCount: after.clusterCount });
  }
  if (after.clusterCount > NTFS_MAX_CLUSTERS) {
    const maxBytes = (NTFS_MAX_CLUSTERS * cs) + source.bytesPerSector;
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `NTFS with ${cs}-byte clusters holds at most ${NTFS_MAX_CLUSTERS} clusters (a partition of ${maxBytes} bytes); ${after.clusterCount} needed: grow to at most that size`, { clusterCount: after.clusterCount, maxClusters: NTFS_MAX_CLUSTERS, maxPartitionBytes: maxBytes });
  }
  if (runClusters(source.bad.runs) < source.clusterCount) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `$BadClus:$Bad maps ${runClusters(source.bad.runs)} clusters, the volume has ${source.clusterCount}: run chkdsk (or ntfsfix) first`, { badClusters: runClusters(source.bad.runs), clusterCount: source.clusterCount });
  }
  // Free clusters inside the commit write's span would be overwritten by it with what they held before: skip them.
  const firstLcn = source.head ? Math.ceil(source.head.length / cs) : 0;
  const inOld = free
    .filter((r) => r.lcn !== null && r.lcn + r.length <= source.clusterCount && r.lcn + r.length > firstLcn)
    .map((r) => (r.lcn! >= firstLcn ? r : { lcn: firstLcn, length: r.lcn! + r.length - firstLcn }));
  const newSpaceLcn = newSpaceStartLcn(source, reservedBytes);
  const { runs, placement } = placeBitmap(after.bitmapClusters, inOld, newSpaceLcn, source.head !== null, after.clusterCount);
  if (placement === 'new-space' && newSpaceLcn + after.bitmapClusters > after.clusterCount) {
    throw new GuestdiskError('INVALID_SPEC', `the grown NTFS volume's $Bitmap (${after.bitmapClusters} clusters) fits neither the old volume's free space nor the ${after.clusterCount - source.clusterCount} new clusters: grow by more`, { bitmapClusters: after.bitmapClusters });
  }
  const newBitmap: StreamLayout = { runs, allocatedSize: after.bitmapClusters * cs, dataSize: after.bitmapBytes, initializedSize: after.bitmapBytes };
  const newBad: StreamLayout = { runs: grownBadRuns(source.bad.runs, after.clusterCount), allocatedSize: after.clusterCount * cs, dataSize: after.clusterCount * cs, initializedSize: source.bad.initializedSize };
  const plan: NtfsGrowPlan = {
    kind: 'ntfs',
    clusterSize: cs,
    bytesPerSector: source.bytesPerSector,
    before: { totalSectors: source.totalSectors, clusterCount: source.clusterCount, volumeSizeBytes: source.totalSectors * source.bytesPerSector, bitmapBytes: source.bitmap.dataSize },
    after: { totalSectors: after.totalSectors, clusterCount: after.clusterCount, volumeSizeBytes: after.totalSectors * source.bytesPerSector, bitmapBytes: after.bitmapBytes },
    bitmapPlacement: placement,
    bitmapGrowth: {
      oldClusterCount: source.clusterCount,
      newClusterCount: after.clusterCount,
      oldBitmapBytes: source.bitmap.dataSize,
      newBitmapBytes: after.bitmapBytes,
      oldBitmapRuns: source.bitmap.runs,
      newBitmapRuns: runs,
    },
    newBitmap,
    newBad,
    backupBootOffsetBytes: after.totalSectors * source.bytesPerSector,
  };
  encodeGrownRecords(source, plan); // the longer runlists must fit their records: refused here, not half-way
  return plan;
}

/** Records 6 and 8 with the new $Bitmap and $Bad. */
export function encodeGrownRecords(source: NtfsGrowSource, plan: NtfsGrowPlan): { bitmap: Uint8Array; badClus: Uint8Array } {
  const rs = source.mftRecordSize;
  return {
    bitmap: patchNonResidentAttribute(source.bitmapRecord.bytes, rs, { type: ATTR_TYPE.DATA, name: '', clusterSize: plan.clusterSize, ...plan.newBitmap }),
    badClus: patchNonResidentAttribute(source.badClusRecord.bytes, rs, { type: ATTR_TYPE.DATA, name: '$Bad', clusterSize: plan.clusterSize, ...plan.newBad }),
  };
}

/** The volume's first sector with the new number_of_sectors; everything else as it was. */
export function encodeGrownBootSector(source: NtfsGrowSource, plan: NtfsGrowPlan): Uint8Array {
  const boot = decodeNtfsBootSector(source.bootSector.subarray(0, NTFS_BOOT_SECTOR.sizeBytes));
  const sector = Uint8Array.from(source.bootSector);
  NTFS_BOOT_SECTOR.encodeInto({ ...boot, numberOfSectors: plan.after.totalSectors }, sector);
  return sector;
}

/** The volume's head [0, end of record 8) with the new boot sector and records 6 and 8 in place. */
export function encodeGrownHead(source: NtfsGrowSource, plan: NtfsGrowPlan): Uint8Array {
  if (!source.head) throw new GuestdiskError('INVALID_SPEC', 'NTFS: the boot sector and records 6–8 are too far apart for one write');
  const out = Uint8Array.from(source.head);
  const records = encodeGrownRecords(source, plan);
  out.set(encodeGrownBootSector(source, plan), 0);
  out.set(records.bitmap, source.bitmapRecord.offsetBytes);
  out.set(records.badClus, source.badClusRecord.offsetBytes);
  return out;
}
