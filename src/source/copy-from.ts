// --copy-from SRC[:/DEST]: each source (a directory, or a tar archive, plain or gzip) is read into a tree and
// placed at DEST (default: the volume's root); the trees merge into one. Every problem any source has (a name that
// is not UTF-8, a dangling link, two sources writing one path) is collected and refused in one error.
import { promises as fsp } from 'node:fs';
import { resolve } from 'node:path';
import { GuestdiskError, offendersError } from '../errors.js';
import { compareNames } from '../binary/utf16.js';
import type { ContentReader, FileTree, TreeDir, TreeNode } from '../disk-types.js';
import { openContentReader, type OpenedSource } from './content-reader.js';
import { walkDirectory } from './directory.js';
import { SYMLINK_POLICIES, type SymlinkPolicy, type SourceProblem } from './options.js';
import { readTar, splitArchivePath } from './tar.js';

export interface CopyFrom {
  /** A directory or a tar archive on the host. */
  readonly sourcePath: string;
  /** Where its content goes in the volume: "/" or "/a/b". */
  readonly destPath: string;
}

export interface LoadedSources {
  readonly tree: FileTree;
  readonly sources: readonly OpenedSource[];
  /** Opens the reader the writer streams file data through; close it after writing. */
  openReader(): ContentReader;
}

/** "SRC" or "SRC:/DEST" (the last ":/" splits, so SRC may hold colons). */
export function parseCopyFrom(arg: string): CopyFrom {
  const at = arg.lastIndexOf(':/');
  const sourcePath = at > 0 ? arg.slice(0, at) : arg;
  const dest = at > 0 ? arg.slice(at + 1) : '/';
  if (sourcePath === '') throw new GuestdiskError('INVALID_SPEC', `--copy-from ${JSON.stringify(arg)}: no source path (use SRC or SRC:/DEST)`);
  const parts = splitArchivePath(dest);
  if (parts === null) throw new GuestdiskError('INVALID_SPEC', `--copy-from ${JSON.stringify(arg)}: the destination ${JSON.stringify(dest)} climbs above the volume's root`);
  return { sourcePath, destPath: `/${parts.join('/')}` };
}

export function parseSymlinkPolicy(text: string): SymlinkPolicy {
  if ((SYMLINK_POLICIES as readonly string[]).includes(text)) return text as SymlinkPolicy;
  throw new GuestdiskError('INVALID_SPEC', `--symlinks ${JSON.stringify(text)}: use ${SYMLINK_POLICIES.join(' or ')}`);
}

export async function loadCopySources(list: readonly CopyFrom[], options: { timestamp: number; symlinks: SymlinkPolicy }): Promise<LoadedSources> {
  const problems: SourceProblem[] = [];
  const warnings: string[] = [];
  const sources: OpenedSource[] = [];
  let root: TreeDir = { kind: 'dir', name: '', mtime: options.timestamp, entries: [] };
  for (const [sourceIndex, item] of list.entries()) {
    const path = resolve(item.sourcePath);
    const stat = await fsp.stat(path).catch((e: unknown) => {
      throw new GuestdiskError('INVALID_SPEC', `--copy-from ${item.sourcePath}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { source: item.sourcePath }, { cause: e });
    });
    const sourceOptions = { sourceIndex, timestamp: options.timestamp, symlinks: options.symlinks };
    let result;
    if (stat.isDirectory()) {
      sources.push({ kind: 'directory', path });
      result = await walkDirectory(path, sourceOptions);
    } else if (stat.isFile()) {
      sources.push({ kind: 'tar', path });
      result = await readTar(path, sourceOptions);
    } else {
      throw new GuestdiskError('INVALID_SPEC', `--copy-from ${item.sourcePath}: neither a directory nor a tar archive`, { source: item.sourcePath });
    }
    const prefix = (p: string): string => `${item.sourcePath}:${p}`;
    problems.push(...result.problems.map((p) => ({ ...p, path: prefix(p.path) })));
    warnings.push(...result.warnings.map((w) => `${item.sourcePath}: ${w}`));
    root = mountTree(root, item.destPath.split('/').filter(Boolean), result.root, options.timestamp, problems, item.sourcePath);
  }
  if (problems.length > 0) throw offendersError('cannot copy', problems);
  return { tree: { root, warnings }, sources, openReader: () => openContentReader(sources) };
}

/** `tree` placed at `dest` under `root`: directories merge, the same file path from two sources is a problem. */
function mountTree(root: TreeDir, dest: readonly string[], tree: TreeDir, timestamp: number, problems: SourceProblem[], source: string): TreeDir {
  if (dest.length === 0) return mergeDirs(root, tree, '', problems, source);
  const [head, ...rest] = dest;
  const existing = root.entries.find((e) => e.name === head);
  if (existing?.kind === 'file') {
    problems.push({ path: `/${dest.join('/')}`, reason: `${source} is to go under ${JSON.stringify(head)}, which another source made a file` });
    return root;
  }
  const child = mountTree(existing ?? { kind: 'dir', name: head, mtime: timestamp, entries: [] }, rest, tree, timestamp, problems, source);
  return { ...root, entries: sortEntries([...root.entries.filter((e) => e.name !== head), { ...child, name: head }]) };
}

function mergeDirs(into: TreeDir, from: TreeDir, path: string, problems: SourceProblem[], source: string): TreeDir {
  if (into.entries.length === 0) return { ...from, name: into.name };
  const byName = new Map<string, TreeNode>(into.entries.map((e) => [e.name, e]));
  for (const node of from.entries) {
    const old = byName.get(node.name);
    if (!old) byName.set(node.name, node);
    else if (old.kind === 'dir' && node.kind === 'dir') byName.set(node.name, mergeDirs(old, node, `${path}/${node.name}`, problems, source));
    else problems.push({ path: `${path}/${node.name}`, reason: `${source} puts a ${node.kind === 'dir' ? 'directory' : 'file'} where another source already put one` });
  }
  return { ...into, entries: sortEntries([...byName.values()]) };
}

function sortEntries(entries: TreeNode[]): TreeNode[] {
  return entries.sort((a, b) => compareNames(a.name, b.name));
}
