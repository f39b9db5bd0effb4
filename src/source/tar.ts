// A tar archive (plain or gzip) as a FileTree: one pass over the headers, data skipped (a plain archive is never
// read past its headers; a gzip one is decompressed once). Entries may come in any order and directories may be
// implied by their files' paths; the tree is built whole, then sorted. Each file's ContentRef order is the offset
// of its data in the uncompressed archive: where the content reader finds it, and its read order.
import { GuestdiskError } from '../errors.js';
import { compareNames } from '../binary/utf16.js';
import type { TreeDir, TreeFile, TreeNode } from '../disk-types.js';
import { openArchiveStream, type ByteStream } from './byte-stream.js';
import { clampMtime, decodeName, showBytes, type SourceOptions, type SourceProblem } from './options.js';
import {
  TAR_BLOCK_BYTES, TAR_TYPE, isZeroBlock, parsePaxRecords, parseTarNumber, tarBytes, tarChecksumMatches, tarHeaderPath, viewTarHeader,
} from './tar-header.js';

/** A file is its final TreeFile from the start (only its link group and `dir` are set later): an archive of
 *  100,000 members builds one object per file, not a draft and a copy. */
type MutFile = { -readonly [K in keyof TreeFile]: TreeFile[K] };
/** `path`: the directory's path in the archive ("" at its root), its files' `dir`, one string for them all. */
interface MutDir { kind: 'dir'; name: string; path: string; mtime: number | null; children: Map<string, MutNode> }
type MutNode = MutFile | MutDir;
interface PendingLink { path: string; target: string }

export interface TarResult {
  readonly root: TreeDir;
  readonly warnings: string[];
  readonly problems: SourceProblem[];
}

/** Largest pax or GNU long-name record we hold in memory: names and a few keys, never file data. */
const MAX_META_BYTES = 1024 * 1024;
const READ_ONLY_OWNER_WRITE = 0o200;
const MAX_LINK_HOPS = 40;

export async function readTar(archivePath: string, options: SourceOptions): Promise<TarResult> {
  let stream: ByteStream;
  try {
    stream = await openArchiveStream(archivePath);
  } catch (e) {
    if (e instanceof GuestdiskError) throw e; // already says what is wrong (an archive compressed another way)
    throw new GuestdiskError('INVALID_SPEC', `--copy-from ${archivePath}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { source: archivePath }, { cause: e });
  }
  try {
    return await scan(stream, archivePath, options);
  } finally {
    await stream.close();
  }
}

async function scan(stream: ByteStream, archivePath: string, options: SourceOptions): Promise<TarResult> {
  const root: MutDir = { kind: 'dir', name: '', path: '', mtime: options.timestamp, children: new Map() };
  const warnings: string[] = [];
  const problems: SourceProblem[] = [];
  const links: PendingLink[] = [];
  let pax = new Map<string, string>();
  let longName: Uint8Array | null = null;
  let longLink: Uint8Array | null = null;
  const bad = (why: string): GuestdiskError => new GuestdiskError('INVALID_SPEC', `--copy-from ${archivePath}: ${why}`, { source: archivePath });

  // One block for every header.
  const block = new Uint8Array(TAR_BLOCK_BYTES);
  for (;;) {
    const got = await stream.readInto(block);
    if (got === 0) break; // end without the two zero blocks: GNU tar accepts it too
    if (got < TAR_BLOCK_BYTES) throw bad(`truncated archive (a partial ${got}-byte header at byte ${stream.position() - got})`);
    if (isZeroBlock(block)) break;
    // Views of the block: everything taken from the header is used, or copied, before the next block is read.
    const header = viewTarHeader(block);
    if (!tarChecksumMatches(block, header)) throw bad(`not a tar archive, or corrupt: header checksum mismatch at byte ${stream.position() - TAR_BLOCK_BYTES}`);
    const type = header.typeflag;
    const size = paxNumber(pax, 'size') ?? parseTarNumber(header.size, 'size');
    const dataOffset = stream.position();
    const padded = Math.ceil(size / TAR_BLOCK_BYTES) * TAR_BLOCK_BYTES;
    const readMeta = async (): Promise<Uint8Array> => {
      if (size > MAX_META_BYTES) throw bad(`extended header of ${size} bytes at byte ${dataOffset}`);
      const data = await stream.read(padded);
      if (data.length < padded) throw bad('truncated archive');
      return data.subarray(0, size);
    };
    if (type === TAR_TYPE.paxExtended) {
      pax = parsePaxRecords(await readMeta());
      continue;
    }
    if (type === TAR_TYPE.paxGlobal) {
      await readMeta(); // global records (a comment, a charset) change nothing we read
      continue;
    }
    if (type === TAR_TYPE.gnuLongName) {
      longName = tarBytes(await readMeta());
      continue;
    }
    if (type === TAR_TYPE.gnuLongLink) {
      longLink = tarBytes(await readMeta());
      continue;
    }
    const rawPath = pax.has('path') ? new TextEncoder().encode(pax.get('path')) : longName ?? tarHeaderPath(header);
    const rawLink = pax.has('linkpath') ? new TextEncoder().encode(pax.get('linkpath')) : longLink ?? tarBytes(header.linkname);
    const mtime = clampMtime((paxNumber(pax, 'mtime') ?? parseTarNumber(header.mtime, 'mtime')) * 1000, options.timestamp);
    const mode = parseTarNumber(header.mode, 'mode');
    const sparse = type === TAR_TYPE.gnuSparse || [...pax.keys()].some((k) => k.startsWith('GNU.sparse.'));
    pax = new Map();
    longName = null;
    longLink = null;

    const decoded = decodeName(rawPath);
    const hasData = type === TAR_TYPE.regular || type === TAR_TYPE.regularOld || type === TAR_TYPE.contiguous || sparse;
    await stream.skip(hasData || !isDataless(type) ? padded : 0);
    if (decoded === null) {
      problems.push({ path: showBytes(rawPath), reason: 'the name is not valid UTF-8' });
      continue;
    }
    const parts = splitArchivePath(decoded);
    if (parts === null) {
      problems.push({ path: decoded, reason: 'the path leaves the archive (a ".." component)' });
      continue;
    }
    const path = `/${parts.join('/')}`;
    if (parts.length === 0) {
      if (type === TAR_TYPE.directory) root.mtime = mtime;
      continue;
    }
    if (sparse) {
      problems.push({ path, reason: 'GNU sparse entries are not supported: archive it without --sparse' });
      continue;
    }
    switch (type) {
      case TAR_TYPE.directory: {
        const dir = ensureDir(root, parts, problems, path);
        if (dir) dir.mtime = mtime;
        break;
      }
      case TAR_TYPE.regular:
      case TAR_TYPE.regularOld:
      case TAR_TYPE.contiguous:
        place(root, parts, {
          kind: 'file', name: parts[parts.length - 1], sizeBytes: size, mtime, readOnly: (mode & READ_ONLY_OWNER_WRITE) === 0, linkGroup: null,
          source: options.sourceIndex, order: dataOffset, dir: '',
        }, problems, path);
        break;
      case TAR_TYPE.hardLink: {
        const target = lookup(root, splitArchivePath(decodeName(rawLink) ?? '') ?? []);
        if (!target || target.kind !== 'file') {
          problems.push({ path, reason: `hard link to ${JSON.stringify(decodeName(rawLink) ?? showBytes(rawLink))}, which is not an earlier file in the archive` });
          break;
        }
        const group = target.linkGroup ?? `/${splitArchivePath(decodeName(rawLink)!)!.join('/')}`;
        target.linkGroup = group;
        place(root, parts, { ...target, name: parts[parts.length - 1], linkGroup: group }, problems, path);
        break;
      }
      case TAR_TYPE.symlink:
        if (options.symlinks === 'skip') warnings.push(`${path}: symbolic link skipped (--symlinks skip)`);
        else links.push({ path, target: decodeName(rawLink) ?? '' });
        break;
      default:
        warnings.push(`${path}: not a regular file or directory (tar type ${JSON.stringify(String.fromCharCode(type))}): skipped`);
    }
  }
  resolveSymlinks(root, links, problems);
  return { root: freeze(root, options), warnings, problems };
}

/** Entry types whose header size field does not announce data (links and devices carry none). */
function isDataless(type: number): boolean {
  return type === TAR_TYPE.hardLink || type === TAR_TYPE.symlink || type === TAR_TYPE.directory || type === TAR_TYPE.charDevice || type === TAR_TYPE.blockDevice || type === TAR_TYPE.fifo;
}

function paxNumber(pax: Map<string, string>, key: string): number | undefined {
  const v = pax.get(key);
  if (v === undefined) return undefined;
  const n = Math.floor(Number(v));
  if (!Number.isSafeInteger(n)) throw new GuestdiskError('INVALID_SPEC', `tar: pax ${key}=${JSON.stringify(v)} is not a number`);
  return n;
}

/** "./a//b/" → ["a", "b"]; null when a ".." would climb out. */
export function splitArchivePath(path: string): string[] | null {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return null;
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out;
}

function ensureDir(root: MutDir, parts: readonly string[], problems: SourceProblem[], path: string): MutDir | null {
  let dir = root;
  for (const part of parts) {
    const next = dir.children.get(part);
    if (next === undefined) {
      const made: MutDir = { kind: 'dir', name: part, path: `${dir.path}/${part}`, mtime: null, children: new Map() };
      dir.children.set(part, made);
      dir = made;
    } else if (next.kind === 'dir') {
      dir = next;
    } else {
      problems.push({ path, reason: `${JSON.stringify(part)} is both a file and a directory in the archive` });
      return null;
    }
  }
  return dir;
}

/** Puts a file at `parts`; a later entry for the same path replaces an earlier one, as tar extracts. */
function place(root: MutDir, parts: readonly string[], file: MutFile, problems: SourceProblem[], path: string): void {
  const dir = ensureDir(root, parts.slice(0, -1), problems, path);
  if (!dir) return;
  const existing = dir.children.get(file.name);
  if (existing?.kind === 'dir') {
    problems.push({ path, reason: 'is both a file and a directory in the archive' });
    return;
  }
  file.dir = dir.path;
  dir.children.set(file.name, file);
}

function lookup(root: MutDir, parts: readonly string[]): MutNode | null {
  let node: MutNode = root;
  for (const part of parts) {
    if (node.kind !== 'dir') return null;
    const next = node.children.get(part);
    if (!next) return null;
    node = next;
  }
  return node;
}

/** --symlinks follow: each link becomes a copy of the file it names inside the archive (relative to its directory,
 *  or from the archive's root when absolute). Links to links resolve over several rounds; what is left names a
 *  directory or nothing in the archive, and is a problem. */
function resolveSymlinks(root: MutDir, links: readonly PendingLink[], problems: SourceProblem[]): void {
  let pending = [...links];
  for (let round = 0; round < MAX_LINK_HOPS && pending.length > 0; round++) {
    const next: PendingLink[] = [];
    for (const link of pending) {
      const node = linkTarget(root, link);
      if (node?.kind === 'file') {
        const parts = link.path.split('/').filter(Boolean);
        place(root, parts, { ...node, name: parts[parts.length - 1] }, problems, link.path);
      } else {
        next.push(link);
      }
    }
    if (next.length === pending.length) break;
    pending = next;
  }
  for (const link of pending) {
    const node = linkTarget(root, link);
    problems.push({
      path: link.path,
      reason: node?.kind === 'dir'
        ? `symbolic link to the directory ${JSON.stringify(link.target)}: an archive's directory links are not followed; use --symlinks skip`
        : `symbolic link to ${JSON.stringify(link.target)}, which is not a file in the archive; use --symlinks skip`,
    });
  }
}

function linkTarget(root: MutDir, link: PendingLink): MutNode | null {
  const base = link.path.split('/').filter(Boolean).slice(0, -1);
  const resolved = splitArchivePath(link.target.startsWith('/') ? link.target : [...base, link.target].join('/'));
  return resolved ? lookup(root, resolved) : null;
}

/** The archive's tree in sorted order: its files are already TreeFiles; each directory's children become its sorted
 *  entries (and the children map is emptied, so it can go as soon as it has been read). */
function freeze(dir: MutDir, options: SourceOptions): TreeDir {
  const entries: TreeNode[] = [...dir.children.values()]
    .sort((a, b) => compareNames(a.name, b.name))
    .map((n): TreeNode => (n.kind === 'dir' ? freeze(n, options) : n));
  dir.children.clear();
  return { kind: 'dir', name: dir.name, mtime: dir.mtime ?? options.timestamp, entries };
}
