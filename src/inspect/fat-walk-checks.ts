// The FAT32 whole-volume checks: the walk (fat-walk.ts) run once over the view, its problems as findings, and the
// clusters the FAT allocates that no entry reaches as one FAT_LOST_CLUSTERS finding.
import { FAT32_ENTRY_BYTES } from '../fs/fat32/fat.js';
import { fatOffset, inVolume, isFat32, type FatView } from './fat-volume.js';
import { walkFat32, WALK_PROBLEM_LIMIT, type FatWalkCode } from './fat-walk.js';
import { reportFinding, type InspectFinding } from './finding-codes.js';

const S = 'FatVolume';

/** Walks a FAT32 volume whose FAT 1 and root chain can be followed (a broken root is FAT_ROOT_CHAIN's to report). */
export async function checkWholeVolume(v: FatView): Promise<InspectFinding[]> {
  if (!isFat32(v) || v.rootChainProblems.length > 0) return [];
  const fatAt = fatOffset(v, 0);
  if (!inVolume(v.volume, fatAt, (v.clusterCount + 2) * FAT32_ENTRY_BYTES) || !inVolume(v.volume, v.volumeSizeBytes - 1, 1)) return [];
  const walk = await walkFat32({ volume: v.volume, fatAt, dataStartLba: v.dataStartLba, sectorSize: v.s, secPerClus: v.bpb.secPerClus,
    clusterCount: v.clusterCount, rootCluster: v.b32.rootClus });
  const out = walk.problems.map(({ code, path: _path, ...facts }) => reportFinding(code, { structure: S, ...facts }));
  for (const [code, count] of Object.entries(walk.counts) as [FatWalkCode, number][]) {
    if (count > WALK_PROBLEM_LIMIT) {
      out.push(reportFinding(code, { structure: S, actual: String(count), message: `${count - WALK_PROBLEM_LIMIT} more ${code} problems not listed` }));
    }
  }
  if (walk.lostClusters > 0) {
    out.push(reportFinding('FAT_LOST_CLUSTERS', { structure: S, field: `FAT[${walk.firstLostCluster}]`,
      offsetBytes: fatAt + (walk.firstLostCluster ?? 0) * FAT32_ENTRY_BYTES, expected: '0', actual: String(walk.lostClusters),
      message: `${walk.lostClusters} clusters are allocated in the FAT but reached from no directory entry (the first is cluster ${walk.firstLostCluster})` }));
  }
  return out;
}
