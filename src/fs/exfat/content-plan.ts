// The copy's part of an exFAT plan: every check on the tree (Windows' name rules, names equal through the
// volume's up-case table, over-full directories) and whether it fits, before anything is written. The placement
// is made again, identically, when the volume is formatted (populate.ts).
import type { FileTree, TreeProblem } from '../../disk-types.js';
import { throwTreeProblems } from '../file-tree.js';
import { contentTooLarge } from '../copy-fit.js';
import { findNameProblems, upcaseWith } from '../windows-names.js';
import { placeExfatTree } from './populate.js';
import { upcaseMapping } from './upcase.js';

let upcase: Uint16Array | null = null;
/** Name checks depend on the tree alone; --size +HEADROOM plans the same tree at several sizes. */
const nameProblems = new WeakMap<FileTree, TreeProblem[]>();

function nameProblemsOf(files: FileTree): TreeProblem[] {
  let found = nameProblems.get(files);
  if (!found) {
    found = findNameProblems(files.root, exfatUpcaseName);
    nameProblems.set(files, found);
  }
  return found;
}

/** A name through the up-case table the volume stores (Windows' table: upcase-mapping.ts). */
export function exfatUpcaseName(name: string): string {
  upcase ??= upcaseMapping();
  return upcaseWith(upcase, name);
}

/** Root entries before the files: label, allocation bitmap, up-case table, and the Volume GUID when written. */
export function rootSystemEntries(volumeGuidEntry: boolean): number {
  return volumeGuidEntry ? 4 : 3;
}

/** Clusters in use with the tree placed (bitmap and up-case table included); throws INVALID_SPEC listing every
 *  offender, or TARGET_TOO_SMALL when the volume lacks room. */
export function planExfatContent(files: FileTree, volume: { clusterSize: number; clusterCount: number; rootFirstCluster: number; volumeGuidEntry: boolean; volumeSizeBytes: number }): number {
  const problems = nameProblemsOf(files);
  const { placement, problems: placeProblems } = placeExfatTree({
    root: files.root, clusterSize: volume.clusterSize, rootFirstCluster: volume.rootFirstCluster, rootSystemEntries: rootSystemEntries(volume.volumeGuidEntry),
  });
  throwTreeProblems([...problems, ...placeProblems], 'exFAT cannot hold the files to copy');
  if (placement.usedClusterCount > volume.clusterCount) {
    throw contentTooLarge('exFAT', placement.usedClusterCount, volume.clusterCount, volume.clusterSize, volume.volumeSizeBytes);
  }
  return placement.usedClusterCount;
}
