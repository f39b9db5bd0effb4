// Walking and checking a copied file tree (create --copy-from). The tree's types are shared by every layer
// (disk-types.ts); the functions that the planners and the CLI use on it live here.
import { offendersError } from '../errors.js';
import type { FileTree, TreeDir, TreeNode, TreeProblem } from '../disk-types.js';

export interface TreeSummary {
  readonly fileCount: number;
  readonly dirCount: number;
  readonly totalBytes: number;
}

/** One INVALID_SPEC error listing every problem, if there are any. */
export function throwTreeProblems(problems: readonly TreeProblem[], what: string): void {
  if (problems.length > 0) throw offendersError(what, problems);
}

export function summarizeTree(tree: FileTree): TreeSummary {
  let fileCount = 0;
  let dirCount = 0;
  let totalBytes = 0;
  forEachNode(tree.root, '', (node) => {
    if (node.kind === 'file') {
      fileCount++;
      totalBytes += node.sizeBytes;
    } else {
      dirCount++;
    }
  });
  return { fileCount, dirCount, totalBytes };
}

/** Visits every node below `dir` (not `dir` itself), each directory's entries before its subdirectories' entries,
 *  in sorted order. */
export function forEachNode(dir: TreeDir, dirPath: string, visit: (node: TreeNode, path: string, parent: TreeDir) => void): void {
  const stack: { dir: TreeDir; path: string }[] = [{ dir, path: dirPath }];
  while (stack.length > 0) {
    const { dir: d, path } = stack.pop()!;
    const subdirs: { dir: TreeDir; path: string }[] = [];
    for (const node of d.entries) {
      const p = `${path}/${node.name}`;
      visit(node, p, d);
      if (node.kind === 'dir') subdirs.push({ dir: node, path: p });
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
  }
}
