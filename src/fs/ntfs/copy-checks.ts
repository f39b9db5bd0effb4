// The copy's name checks for NTFS (create --copy-from): Windows' name rules, and names of one directory equal
// through the volume's $UpCase table (Windows looks names up case-insensitively through it). Made once per tree:
// --size +HEADROOM plans the same tree at several sizes.
import type { FileTree, TreeProblem } from '../../disk-types.js';
import { throwTreeProblems } from '../file-tree.js';
import { findNameProblems, upcaseWith } from '../windows-names.js';
import { ROOT_SYSTEM_NAMES } from './populate-plan.js';
import { buildUpcaseTable } from './upcase.js';

let upcase: Uint16Array | null = null;
const checked = new WeakMap<FileTree, TreeProblem[]>();

/** A name through the $UpCase table guestdisk writes. */
export function ntfsUpcaseName(name: string): string {
  if (!upcase) {
    const bytes = buildUpcaseTable();
    upcase = new Uint16Array(bytes.length / 2);
    for (let i = 0; i < upcase.length; i++) upcase[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
  }
  return upcaseWith(upcase, name);
}

/** Entries of the root named as a system file there (`$MFT`, …): checked with the other names, so that one error
 *  lists them all (the population planner, which meets them later, would otherwise report them on their own). */
function systemNameProblems(files: FileTree): TreeProblem[] {
  const system = new Set(ROOT_SYSTEM_NAMES.map(ntfsUpcaseName));
  return files.root.entries
    .filter((node) => system.has(ntfsUpcaseName(node.name)))
    .map((node) => ({ path: `/${node.name}`, reason: `${node.name} is an NTFS system file name in the root directory` }));
}

/** Throws INVALID_SPEC listing every name NTFS on Windows cannot take. */
export function checkNtfsNames(files: FileTree): void {
  let problems = checked.get(files);
  if (!problems) {
    problems = [...findNameProblems(files.root, ntfsUpcaseName), ...systemNameProblems(files)];
    checked.set(files, problems);
  }
  throwTreeProblems(problems, 'NTFS cannot hold the files to copy');
}
