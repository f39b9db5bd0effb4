// The file tree a volume is populated with (create --copy-from): a pure, sorted description that src/source/
// builds from a directory or a tar archive. The filesystems see only this, plus a ContentRef per file whose bytes
// the writer streams from the source at write time (write/write-chunks.ts); nothing here touches a disk.
//
// Determinism: entries are sorted by name in UTF-16 code-unit order (never a locale's collation), times are whole
// Unix seconds already clamped by the source to the spec's timestamp, and nothing records an owner, a umask or an
// access time. The same tree gives the same volume whatever order the source listed it in.
import { GuestdiskError } from '../errors.js';

/** Where a file's bytes come from: a source (index into the --copy-from list) and a key that source understands
 *  (a path, or a byte offset into an archive). `order` is the position of the bytes in the source's natural read
 *  order, so a formatter can hand file data to the writer in the order a gzip stream can deliver it. */
export interface ContentRef {
  readonly source: number;
  readonly key: string;
  readonly order: number;
}

export interface TreeFile {
  readonly kind: 'file';
  readonly name: string;
  readonly sizeBytes: number;
  /** Unix seconds, clamped to the spec's timestamp. */
  readonly mtime: number;
  /** The source had no owner write bit: Windows' read-only attribute. */
  readonly readOnly: boolean;
  /** Files that were hard links of each other in the source share this id (their first path); null otherwise.
   *  FAT32 and exFAT store each as its own copy. */
  readonly linkGroup: string | null;
  readonly content: ContentRef;
}

export interface TreeDir {
  readonly kind: 'dir';
  readonly name: string;
  readonly mtime: number;
  /** Sorted by name (UTF-16 code units). */
  readonly entries: readonly TreeNode[];
}

export type TreeNode = TreeFile | TreeDir;

export interface FileTree {
  readonly root: TreeDir;
  /** What the sources skipped or changed (a skipped symlink, a device node), for --dry-run and the report. */
  readonly warnings: readonly string[];
}

/** Something in the tree a volume cannot take, by path ('/' separated, from the volume's root). */
export interface TreeProblem {
  readonly path: string;
  readonly reason: string;
}

/** How many offenders one error message lists; details carry them all. */
const LISTED_PROBLEMS = 20;

/** One INVALID_SPEC error naming every offender (the message lists the first LISTED_PROBLEMS): fix them all in one go. */
export function throwTreeProblems(problems: readonly TreeProblem[], what: string): void {
  if (problems.length === 0) return;
  const lines = problems.slice(0, LISTED_PROBLEMS).map((p) => `  ${p.path}: ${p.reason}`);
  if (problems.length > LISTED_PROBLEMS) lines.push(`  … and ${problems.length - LISTED_PROBLEMS} more`);
  throw new GuestdiskError('INVALID_SPEC', `${what}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${lines.join('\n')}`, {
    offenders: problems.map((p) => `${p.path}: ${p.reason}`),
  });
}

export interface TreeSummary {
  readonly fileCount: number;
  readonly dirCount: number;
  readonly totalBytes: number;
}

/** UTF-16 code-unit order: the same in every locale. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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

/** Visits every node below `dir` (not `dir` itself), parents before children, in sorted order. */
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

export function emptyTree(mtime: number): FileTree {
  return { root: { kind: 'dir', name: '', mtime, entries: [] }, warnings: [] };
}

/** Streams a file's bytes at write time (src/source/ implements it; the writer only sees this). The pieces may be
 *  of any size; together they must be exactly `sizeBytes` long, or the reader throws (the source changed). A piece
 *  may be overwritten once the next is requested: the consumer copies what it keeps. */
export interface ContentReader {
  read(ref: ContentRef, sizeBytes: number): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}
