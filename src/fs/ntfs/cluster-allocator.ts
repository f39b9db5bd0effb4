// Cluster allocation as mkntfs does it (ntfs-3g ntfsprogs/mkntfs.c bitmap_allocate, allocate_scattered_clusters):
// $Boot, the $MFT bitmap, $MFT, $MFTMirr and $LogFile sit at fixed LCNs (plan.ts); everything else is taken
// first-fit from the end of the MFT zone, cluster by cluster, coalescing adjacent clusters into runs; when the
// space past the zone runs out, mkntfs halves the zone and searches the freed part. Allocations are kept as a
// short sorted list of extents, never as a per-cluster bitmap, so a 256 TiB volume costs as little as 64 MiB.
import { GuestdiskError } from '../../errors.js';
import type { Run } from './runlist.js';

export interface Extent {
  readonly lcn: number;
  readonly length: number;
}

export interface ClusterAllocator {
  /** Marks a fixed range in use (it must be free). */
  allocateAt(lcn: number, length: number): void;
  /** mkntfs allocate_scattered_clusters: `clusters` clusters first-fit from the MFT zone end; the runs. */
  allocateScattered(clusters: number, what: string): Run[];
  /** `clusters` clusters in one run, first-fit from the MFT zone end (then inside the zone); null when no free
   *  range is that long. */
  allocateContiguous(clusters: number): Run | null;
  /** Sorted, merged extents in use (may reach past the volume: $Bitmap's padding bits). */
  extents(): Extent[];
}

export function createClusterAllocator(clusterCount: number, mftZoneEndLcn: number): ClusterAllocator {
  const used: { lcn: number; length: number }[] = [];
  let zoneEnd = mftZoneEndLcn;

  const insert = (lcn: number, length: number): void => {
    let i = 0;
    while (i < used.length && used[i].lcn < lcn) i++;
    const prev = used[i - 1];
    const next = used[i];
    if ((prev && prev.lcn + prev.length > lcn) || (next && lcn + length > next.lcn)) {
      // Only fixed placements can collide, and only on volumes too small for them (mkntfs refuses those too).
      throw new GuestdiskError('TARGET_TOO_SMALL', `NTFS: clusters [${lcn}, +${length}) are needed twice; the volume is too small for this cluster size`, { lcn, length });
    }
    if (prev && prev.lcn + prev.length === lcn) {
      prev.length += length;
      if (next && prev.lcn + prev.length === next.lcn) {
        prev.length += next.length;
        used.splice(i, 1);
      }
    } else if (next && lcn + length === next.lcn) {
      next.lcn = lcn;
      next.length += length;
    } else {
      used.splice(i, 0, { lcn, length });
    }
  };

  /** First free LCN in [from, end), or -1. */
  const firstFree = (from: number, end: number): number => {
    let lcn = from;
    for (const e of used) {
      if (e.lcn + e.length <= lcn) continue;
      if (e.lcn > lcn) break;
      lcn = e.lcn + e.length;
    }
    return lcn < end ? lcn : -1;
  };

  /** Free clusters from `lcn` up to the next used extent or `end`. */
  const freeRunLength = (lcn: number, end: number): number => {
    const next = used.find((e) => e.lcn > lcn);
    return Math.min(end, next ? next.lcn : end) - lcn;
  };

  return {
    allocateAt(lcn, length) {
      if (length > 0) insert(lcn, length);
    },
    allocateScattered(clusters, what) {
      const runs: { lcn: number; length: number }[] = [];
      let left = clusters;
      let end = clusterCount;
      while (left > 0) {
        let lcn = zoneEnd;
        for (;;) {
          lcn = firstFree(lcn, end);
          if (lcn < 0) break;
          const take = Math.min(left, freeRunLength(lcn, end));
          insert(lcn, take);
          const last = runs[runs.length - 1];
          if (last && last.lcn + last.length === lcn) last.length += take;
          else runs.push({ lcn, length: take });
          left -= take;
          if (left === 0) break;
          lcn += take;
        }
        if (left === 0) break;
        end = zoneEnd;
        zoneEnd = Math.floor(zoneEnd / 2);
        if (zoneEnd <= 0) {
          throw new GuestdiskError('TARGET_TOO_SMALL', `NTFS: no room for ${what} (${clusters} clusters)`, { clusters });
        }
      }
      return runs;
    },
    allocateContiguous(clusters) {
      for (const from of [zoneEnd, 0]) {
        let lcn = from;
        for (;;) {
          lcn = firstFree(lcn, clusterCount);
          if (lcn < 0) break;
          const length = freeRunLength(lcn, clusterCount);
          if (length >= clusters) {
            insert(lcn, clusters);
            return { lcn, length: clusters };
          }
          lcn += length;
        }
      }
      return null;
    },
    extents() {
      return used.map((e) => ({ lcn: e.lcn, length: e.length }));
    },
  };
}
