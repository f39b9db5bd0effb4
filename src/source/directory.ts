// A directory on the host as a FileTree: a walk that sorts every listing itself (readdir order is whatever the
// filesystem keeps), reads only what Windows can hold (names, sizes, modification times, the owner write bit) and
// never owners, access times or the umask, so two copies of one tree give the same volume.
import { promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';
import { GuestdiskError } from '../errors.js';
import { compareNames, type TreeDir, type TreeNode } from '../plan/file-tree.js';
import { clampMtime, decodeName, showBytes, type SourceOptions, type SourceProblem } from './options.js';

export interface WalkResult {
  readonly root: TreeDir;
  readonly warnings: string[];
  readonly problems: SourceProblem[];
}

interface WalkState {
  readonly options: SourceOptions;
  readonly warnings: string[];
  readonly problems: SourceProblem[];
  /** dev:ino of hard-linked files seen → the first path (the link group's id). */
  readonly links: Map<string, string>;
  order: number;
}

const READ_ONLY_OWNER_WRITE = 0o200;

export async function walkDirectory(rootPath: string, options: SourceOptions): Promise<WalkResult> {
  let rootStat: Stats;
  try {
    rootStat = await fsp.stat(rootPath);
  } catch (e) {
    throw new GuestdiskError('INVALID_SPEC', `--copy-from ${rootPath}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { source: rootPath }, { cause: e });
  }
  if (!rootStat.isDirectory()) throw new GuestdiskError('INVALID_SPEC', `--copy-from ${rootPath}: not a directory`, { source: rootPath });
  const state: WalkState = { options, warnings: [], problems: [], links: new Map(), order: 0 };
  const root = await walkDir(state, rootPath, '', '', rootStat, new Set([statId(rootStat)]));
  return { root, warnings: state.warnings, problems: state.problems };
}

function statId(s: Stats): string {
  return `${s.dev}:${s.ino}`;
}

async function walkDir(state: WalkState, hostPath: string, treePath: string, name: string, stat: Stats, ancestors: ReadonlySet<string>): Promise<TreeDir> {
  let listing: { name: Uint8Array; isSymlink: boolean }[];
  try {
    const dirents = await fsp.readdir(hostPath, { withFileTypes: true, encoding: 'buffer' });
    listing = dirents.map((d) => ({ name: new Uint8Array(d.name as unknown as Uint8Array), isSymlink: d.isSymbolicLink() }));
  } catch (e) {
    state.problems.push({ path: treePath || '/', reason: `cannot list the directory (${(e as NodeJS.ErrnoException).code ?? String(e)})` });
    return { kind: 'dir', name, mtime: clampMtime(stat.mtimeMs, state.options.timestamp), entries: [] };
  }
  const named: { name: string; raw: Uint8Array }[] = [];
  for (const d of listing) {
    const decoded = decodeName(d.name);
    if (decoded === null) {
      state.problems.push({ path: `${treePath}/${showBytes(d.name)}`, reason: 'the name is not valid UTF-8' });
      continue;
    }
    named.push({ name: decoded, raw: d.name });
  }
  named.sort((a, b) => compareNames(a.name, b.name));
  const entries: TreeNode[] = [];
  for (const entry of named) {
    const node = await walkEntry(state, join(hostPath, entry.name), `${treePath}/${entry.name}`, entry.name, ancestors);
    if (node) entries.push(node);
  }
  return { kind: 'dir', name, mtime: clampMtime(stat.mtimeMs, state.options.timestamp), entries };
}

async function walkEntry(state: WalkState, hostPath: string, treePath: string, name: string, ancestors: ReadonlySet<string>): Promise<TreeNode | null> {
  let stat = await fsp.lstat(hostPath);
  if (stat.isSymbolicLink()) {
    if (state.options.symlinks === 'skip') {
      state.warnings.push(`${treePath}: symbolic link skipped (--symlinks skip)`);
      return null;
    }
    try {
      stat = await fsp.stat(hostPath);
    } catch (e) {
      state.problems.push({ path: treePath, reason: `symbolic link to ${await fsp.readlink(hostPath).catch(() => '?')} leads nowhere (${(e as NodeJS.ErrnoException).code ?? String(e)}); remove it or use --symlinks skip` });
      return null;
    }
  }
  if (stat.isDirectory()) {
    const id = statId(stat);
    if (ancestors.has(id)) {
      state.problems.push({ path: treePath, reason: 'symbolic link loop (leads back to a directory above it); use --symlinks skip' });
      return null;
    }
    return walkDir(state, hostPath, treePath, name, stat, new Set([...ancestors, id]));
  }
  if (!stat.isFile()) {
    state.warnings.push(`${treePath}: not a regular file or directory (device, FIFO or socket): skipped`);
    return null;
  }
  let linkGroup: string | null = null;
  if (stat.nlink > 1) {
    const id = statId(stat);
    linkGroup = state.links.get(id) ?? treePath;
    if (!state.links.has(id)) state.links.set(id, treePath);
  }
  return {
    kind: 'file',
    name,
    sizeBytes: stat.size,
    mtime: clampMtime(stat.mtimeMs, state.options.timestamp),
    readOnly: (stat.mode & READ_ONLY_OWNER_WRITE) === 0,
    linkGroup,
    content: { source: state.options.sourceIndex, key: hostPath, order: state.order++ },
  };
}
