// A directory on the host as a FileTree: a walk that sorts every listing itself (readdir order is whatever the
// filesystem keeps), reads only what Windows can hold (names, sizes, modification times, the owner write bit) and
// never owners, access times or the umask, so two copies of one tree give the same volume.
import { promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';
import { GuestdiskError } from '../errors.js';
import { compareNames } from '../binary/utf16.js';
import type { ByteRange, TreeDir, TreeNode } from '../disk-types.js';
import { looksSparse, scanDataRanges } from './sparse-scan.js';
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
  // Entries are looked at concurrently: sort what they reported, so messages come out the same every run.
  return { root, warnings: [...state.warnings].sort(compareNames), problems: [...state.problems].sort((a, b) => compareNames(a.path, b.path)) };
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
  // A directory's files are numbered (ContentRef.order) before its subdirectories are walked: the order in which
  // the filesystems place data (a directory's files, then its subdirectories), so the writer reads files in the
  // order their clusters follow each other.
  // The entries are looked at STAT_IN_FLIGHT at a time (a stat's latency, not its work, is what a big directory
  // costs); everything that depends on order (ContentRef.order, link groups) is settled after, in sorted order.
  const found: (FoundFile | PendingDir | null)[] = new Array(named.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < named.length) {
      const i = next++;
      found[i] = await walkEntry(state, join(hostPath, named[i].name), `${treePath}/${named[i].name}`, named[i].name, ancestors);
    }
  };
  await Promise.all(Array.from({ length: Math.min(STAT_IN_FLIGHT, named.length) }, worker));
  const entries = found.filter((e): e is FoundFile | PendingDir => e !== null).map((e) => (e.kind === 'found-file' ? settleFile(state, e) : e));
  const done: TreeNode[] = [];
  for (const e of entries) done.push(e.kind === 'pending-dir' ? await walkDir(state, e.hostPath, e.treePath, e.name, e.stat, e.ancestors) : e);
  return { kind: 'dir', name, mtime: clampMtime(stat.mtimeMs, state.options.timestamp), entries: done };
}

const STAT_IN_FLIGHT = 32;

interface FoundFile {
  readonly kind: 'found-file';
  readonly hostPath: string;
  readonly treePath: string;
  readonly name: string;
  readonly stat: Stats;
  /** a sparse source's data ranges (sparse-scan.ts) */
  readonly dataRanges: ByteRange[] | undefined;
}

function settleFile(state: WalkState, f: FoundFile): TreeNode {
  let linkGroup: string | null = null;
  if (f.stat.nlink > 1) {
    const id = statId(f.stat);
    linkGroup = state.links.get(id) ?? f.treePath;
    if (!state.links.has(id)) state.links.set(id, f.treePath);
  }
  return {
    kind: 'file',
    name: f.name,
    sizeBytes: f.stat.size,
    mtime: clampMtime(f.stat.mtimeMs, state.options.timestamp),
    readOnly: (f.stat.mode & READ_ONLY_OWNER_WRITE) === 0,
    linkGroup,
    content: { source: state.options.sourceIndex, key: f.hostPath, order: state.order++ },
    ...(f.dataRanges ? { dataRanges: f.dataRanges } : {}),
  };
}

interface PendingDir {
  readonly kind: 'pending-dir';
  readonly hostPath: string;
  readonly treePath: string;
  readonly name: string;
  readonly stat: Stats;
  readonly ancestors: ReadonlySet<string>;
}

async function walkEntry(state: WalkState, hostPath: string, treePath: string, name: string, ancestors: ReadonlySet<string>): Promise<FoundFile | PendingDir | null> {
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
    return { kind: 'pending-dir', hostPath, treePath, name, stat, ancestors: new Set([...ancestors, id]) };
  }
  if (!stat.isFile()) {
    state.warnings.push(`${treePath}: not a regular file or directory (device, FIFO or socket): skipped`);
    return null;
  }
  let dataRanges: ByteRange[] | undefined;
  if (looksSparse(stat)) {
    try {
      dataRanges = await scanDataRanges(hostPath, stat.size);
    } catch (e) {
      state.problems.push({ path: treePath, reason: `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})` });
      return null;
    }
  }
  return { kind: 'found-file', hostPath, treePath, name, stat, dataRanges };
}
