// What the read tests compare: a tree as the reader shows it, as a mounted filesystem shows it, as sleuthkit's
// fls/icat and 7-Zip extract it. Every view is a sorted map from path to {kind, size, mtime, sha256}.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { VolumeReader } from '../../src/read/types.js';
import { spawnSync } from 'node:child_process';
import { requireTool } from '../helpers/tools.js';

export interface Seen {
  readonly kind: 'file' | 'directory' | 'symlink' | 'junction' | 'reparse' | 'other';
  readonly sizeBytes: number;
  readonly modifiedMs?: number;
  readonly sha256?: string;
  readonly linkTarget?: string;
}
export type Tree = Map<string, Seen>;

export function sorted(tree: Tree): Tree {
  return new Map([...tree.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The reader's view, hashing every file (streams as "path:stream" when asked). */
export async function readerTree(reader: VolumeReader, options: { streams?: boolean; skip?: (path: string) => boolean } = {}): Promise<Tree> {
  const out: Tree = new Map();
  async function walk(dir: string): Promise<void> {
    for await (const e of reader.list(dir)) {
      const path = dir === '/' ? `/${e.name}` : `${dir}/${e.name}`;
      if (options.skip?.(path)) continue;
      let hash: string | undefined;
      if (e.kind === 'file') {
        const h = createHash('sha256');
        let n = 0;
        for await (const piece of reader.read(path)) {
          h.update(piece);
          n += piece.length;
        }
        if (n !== e.sizeBytes) throw new Error(`${path}: read ${n} bytes, listed ${e.sizeBytes}`);
        hash = h.digest('hex');
      }
      out.set(path, { kind: e.kind, sizeBytes: e.sizeBytes, modifiedMs: e.times.modifiedMs, ...(hash && { sha256: hash }), ...(e.linkTarget !== null && { linkTarget: e.linkTarget }) });
      if (options.streams) {
        for (const s of e.streams) {
          const h = createHash('sha256');
          for await (const piece of reader.read(path, { stream: s.name })) h.update(piece);
          out.set(`${path}:${s.name}`, { kind: 'file', sizeBytes: s.sizeBytes, sha256: h.digest('hex') });
        }
      }
      if (e.kind === 'directory') await walk(path);
    }
  }
  await walk('/');
  return sorted(out);
}

/** A mounted (or extracted) directory's view; symlinks by their target, unreadable entries as 'other'. */
export function hostTree(root: string, options: { times?: boolean; skip?: (path: string) => boolean } = {}): Tree {
  const out: Tree = new Map();
  function walk(dir: string, rel: string): void {
    for (const name of readdirSync(dir)) {
      const path = `${rel}/${name}`;
      if (options.skip?.(path)) continue;
      const full = join(dir, name);
      let st;
      try {
        st = lstatSync(full, { bigint: true });
      } catch {
        out.set(path, { kind: 'other', sizeBytes: 0 });
        continue;
      }
      const modifiedMs = options.times === false ? undefined : Number(st.mtimeNs / 1_000_000n);
      if (st.isSymbolicLink()) out.set(path, { kind: 'symlink', sizeBytes: 0, ...(modifiedMs !== undefined && { modifiedMs }), linkTarget: readlinkSync(full) });
      else if (st.isDirectory()) {
        out.set(path, { kind: 'directory', sizeBytes: 0, ...(modifiedMs !== undefined && { modifiedMs }) });
        walk(full, path);
      } else out.set(path, { kind: 'file', sizeBytes: Number(st.size), ...(modifiedMs !== undefined && { modifiedMs }), sha256: sha(readFileSync(full)) });
    }
  }
  walk(root, '');
  return sorted(out);
}

/** Drops fields a judge cannot see, so two views compare on what both know. */
export function project(tree: Tree, keep: { times?: boolean; links?: boolean; dirs?: boolean }): Tree {
  const out: Tree = new Map();
  for (const [p, s] of tree) {
    if (keep.dirs === false && s.kind === 'directory') continue;
    const base: Seen = { kind: s.kind, sizeBytes: s.kind === 'file' ? s.sizeBytes : 0 };
    out.set(p, {
      ...base,
      ...(keep.times !== false && s.modifiedMs !== undefined && { modifiedMs: s.modifiedMs }),
      ...(s.sha256 !== undefined && { sha256: s.sha256 }),
      ...(keep.links !== false && s.linkTarget !== undefined && { linkTarget: s.linkTarget }),
    });
  }
  return sorted(out);
}

/** sleuthkit's view: `fls -r -p -u` for allocated names (without the root's metadata "$" files), `icat` for each
 *  file's bytes ("name:stream" entries for NTFS streams when asked). `hash` limits which files are read. */
export function sleuthkitTree(image: string, options: { offsetSectors?: number; streams?: boolean; hash?: (path: string) => boolean; skip?: (path: string) => boolean } = {}): Tree {
  const base = options.offsetSectors !== undefined ? ['-o', String(options.offsetSectors)] : [];
  const listing = new TextDecoder().decode(mustRunBytes('fls', [...base, '-r', '-p', '-u', image]));
  const out: Tree = new Map();
  for (const line of listing.split('\n')) {
    const m = /^([-a-zV])\/([-a-zV]) (\*\s)?([0-9]+(?:-[0-9]+-[0-9]+)?):\t(.*)$/.exec(line);
    if (!m || m[3]) continue;
    const [, typeName, , , inode, rawPath] = m;
    const path = `/${rawPath}`.replace(/\/\.:([^/]*)$/, ':$1'); // a directory's stream: "dir/.:name" → "dir:name"
    if (/^\/\$(MFT|MFTMirr|LogFile|Volume|AttrDef|Bitmap|Boot|BadClus|Secure|UpCase|Extend|OrphanFiles|FAT1|FAT2|MBR|ALLOC_BITMAP|UPCASE_TABLE|VOLUME_GUID|TexFAT)(\/|:|$)/.test(path)) continue;
    if (/ \((Volume Label Entry|Volume GUID Entry|Allocation Bitmap|Upcase Table)\)$/.test(path)) continue; // sleuthkit's names for exFAT system entries
    if (options.skip?.(path)) continue;
    const stream = path.slice(path.lastIndexOf('/')).includes(':');
    if (stream && !options.streams) continue;
    if (typeName === 'd') {
      out.set(path, { kind: 'directory', sizeBytes: 0 });
      continue;
    }
    if (options.hash && !options.hash(path)) {
      out.set(path, { kind: 'file', sizeBytes: 0 });
      continue;
    }
    const bytes = mustRunBytes('icat', [...base, image, inode]);
    out.set(path, { kind: 'file', sizeBytes: bytes.length, sha256: sha(bytes) });
  }
  return sorted(out);
}

export function mustRunBytes(name: string, args: readonly string[]): Uint8Array {
  requireTool(name);
  const r = spawnSync(name, args, { maxBuffer: 1 << 30, timeout: 300_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${name} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return r.stdout;
}
