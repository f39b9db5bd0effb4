// How much of a planned volume the copied tree takes and how much is left, for --dry-run and --size +HEADROOM.
import type { FsPlan } from '../fs/registry.js';
import { summarizeTree, type TreeSummary } from '../fs/file-tree.js';
import { ntfsUsedClusters } from '../fs/ntfs/index.js';

export interface CopySpace extends TreeSummary {
  readonly clusterSize: number;
  /** Bytes in clusters the volume's metadata and the copied files take (what Windows shows as used). */
  readonly usedBytes: number;
  /** Bytes left for new files. */
  readonly freeBytes: number;
}

/** null when the plan holds no file tree. */
export function copySpaceOf(plan: FsPlan | null): CopySpace | null {
  if (!plan || !plan.files) return null;
  const summary = summarizeTree(plan.files);
  const { clusterSize, clusterCount } = plan;
  const usedClusterCount = plan.kind === 'ntfs' ? ntfsUsedClusters(plan) : plan.usedClusterCount;
  return { ...summary, clusterSize, usedBytes: usedClusterCount * clusterSize, freeBytes: (clusterCount - usedClusterCount) * clusterSize };
}
