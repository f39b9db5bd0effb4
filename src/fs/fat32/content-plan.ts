// The copy's part of a FAT32 plan: every check on the tree (Windows' name rules, names that differ only in case,
// files of 4 GiB, over-full directories) and whether it fits, before anything is written. The placement itself is
// made again, identically, when the volume is formatted (populate.ts): the plan keeps only the tree and a count.
import type { FileTree, TreeProblem } from '../../disk-types.js';
import { throwTreeProblems } from '../file-tree.js';
import { contentTooLarge } from '../copy-fit.js';
import { findNameProblems, upcaseWith } from '../windows-names.js';
import { upcaseMapping } from '../exfat/upcase.js';
import { placeFat32Tree } from './populate.js';

let upcase: Uint16Array | null = null;
/** Name checks depend on the tree alone; --size +HEADROOM plans the same tree at several sizes. */
const nameProblems = new WeakMap<FileTree, TreeProblem[]>();

function nameProblemsOf(files: FileTree): TreeProblem[] {
  let found = nameProblems.get(files);
  if (!found) {
    found = findNameProblems(files.root, fat32UpcaseName);
    nameProblems.set(files, found);
  }
  return found;
}

/** Windows compares FAT long names through its up-case table (the one exFAT stores, exfat/upcase-mapping.ts). */
export function fat32UpcaseName(name: string): string {
  upcase ??= upcaseMapping();
  return upcaseWith(upcase, name);
}

/** Clusters the tree takes, root directory included; throws INVALID_SPEC listing every offender, or
 *  TARGET_TOO_SMALL when the volume lacks room. */
export function planFat32Content(files: FileTree, volume: { clusterSize: number; clusterCount: number; hasLabel: boolean; volumeSizeBytes: number }): number {
  const problems = nameProblemsOf(files);
  const { placement, problems: placeProblems } = placeFat32Tree({ root: files.root, clusterSize: volume.clusterSize, hasLabel: volume.hasLabel });
  throwTreeProblems([...problems, ...placeProblems], 'FAT32 cannot hold the files to copy');
  if (placement.usedClusterCount > volume.clusterCount) {
    throw contentTooLarge('FAT32', placement.usedClusterCount, volume.clusterCount, volume.clusterSize, volume.volumeSizeBytes);
  }
  return placement.usedClusterCount;
}
