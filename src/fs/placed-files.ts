// The copied files of a FAT32 or exFAT volume in the order their bytes are read from the sources. Both populators
// place files in tree order and keep no list of them (a directory's files follow its own clusters); the writer
// wants them in read order (a TreeFile is its own ContentRef: source, then order), which for a directory source is usually the same
// order and for a tar archive is the archive's.
import type { ContentRef, TreeFile } from '../disk-types.js';

export interface PlacedFile {
  readonly node: TreeFile;
  readonly firstCluster: number;
  readonly clusterCount: number;
}

function compareRefs(a: ContentRef, b: ContentRef): number {
  return a.source - b.source || a.order - b.order;
}

/**
 * The files `walk` yields (in placement order, ascending first cluster), sorted by read order; files with the same
 * read position (hard links stored as copies) stay in placement order. When the placement order already is the
 * read order, the files stream through with nothing kept; otherwise one node reference, cluster and index per file
 * are held while they are handed out.
 */
export function* placedFilesInReadOrder(walk: () => Iterable<PlacedFile>): Generator<PlacedFile> {
  let previous: ContentRef | null = null;
  let inOrder = true;
  for (const f of walk()) {
    if (previous && compareRefs(previous, f.node) > 0) {
      inOrder = false;
      break;
    }
    previous = f.node;
  }
  if (inOrder) {
    yield* walk();
    return;
  }
  const nodes: TreeFile[] = [];
  const firstClusters: number[] = [];
  const clusterCounts: number[] = [];
  for (const f of walk()) {
    nodes.push(f.node);
    firstClusters.push(f.firstCluster);
    clusterCounts.push(f.clusterCount);
  }
  const order = new Uint32Array(nodes.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => compareRefs(nodes[a], nodes[b]) || a - b);
  for (const i of order) yield { node: nodes[i], firstCluster: firstClusters[i], clusterCount: clusterCounts[i] };
}
