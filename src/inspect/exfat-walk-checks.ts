// The exFAT whole-volume checks: the walk (exfat-walk.ts) run once over the view, its problems as findings, and
// the allocation bitmap against what the walk found in use, as one finding per direction.
import { expandUpcaseTable } from '../fs/exfat/upcase.js';
import type { ExfatView } from './exfat-volume.js';
import { EXFAT_WALK_PROBLEM_LIMIT, walkExfat, type ExfatWalkCode } from './exfat-walk.js';
import { reportFinding, type InspectFinding } from './finding-codes.js';

const S = 'ExfatVolume';

/** Walks a volume whose root directory, allocation bitmap and up-case table can be read (else other checks report). */
export async function checkWholeVolume(v: ExfatView): Promise<InspectFinding[]> {
  const { bitmapEntry, upcase } = v.root;
  if (v.rootChain.problem !== null || !bitmapEntry || !upcase || typeof upcase.table === 'string' || upcase.clusters.length === 0) return [];
  if (v.volumeSizeBytes > v.volume.sizeBytes) return [];
  const walk = await walkExfat({ volume: v.volume, bs: v.bs, upcase: expandUpcaseTable(upcase.table), bitmap: bitmapEntry, otherBitmaps: v.root.otherBitmaps,
    upcaseExtent: { firstCluster: upcase.clusters[0], dataLength: upcase.dataLength } });
  const out = walk.problems.map(({ code, ...facts }) => reportFinding(code, { structure: S, ...facts }));
  for (const [code, count] of Object.entries(walk.counts) as [ExfatWalkCode, number][]) {
    if (count > EXFAT_WALK_PROBLEM_LIMIT) out.push(reportFinding(code, { structure: S, actual: String(count), message: `${count - EXFAT_WALK_PROBLEM_LIMIT} more ${code} problems not listed` }));
  }
  if (walk.inUseFree.count > 0) {
    out.push(reportFinding('EXFAT_BITMAP_IN_USE_FREE', { structure: S, field: `bitmap[${walk.inUseFree.first}]`, expected: '1', actual: `${walk.inUseFree.count} clusters 0`,
      message: `${walk.inUseFree.count} clusters in use by files, directories or metadata are free in the allocation bitmap (the first is cluster ${walk.inUseFree.first})` }));
  }
  if (walk.leaked.count > 0) {
    out.push(reportFinding('EXFAT_BITMAP_LEAK', { structure: S, field: `bitmap[${walk.leaked.first}]`, expected: '0', actual: `${walk.leaked.count} clusters 1`,
      message: `${walk.leaked.count} clusters are marked used in the allocation bitmap but used by nothing (the first is cluster ${walk.leaked.first})` }));
  }
  return out;
}
