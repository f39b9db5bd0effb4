// Test trees for create --copy-from, and a listing of any tree on the host (names, kinds, sizes, mtimes, sha256)
// that the judges' extractions are compared with.
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, ftruncateSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const TIMESTAMP = Date.UTC(2024, 5, 1, 12, 0, 0) / 1000;
/** A time before TIMESTAMP, with an odd second (FAT keeps even seconds) */
export const OLD_MTIME = Date.UTC(2021, 2, 3, 4, 5, 7) / 1000;
export const NEW_MTIME = Date.UTC(2030, 0, 1) / 1000;

export interface Entry { kind: 'file' | 'dir'; size: number; sha256: string; mtime: number }

/** Deterministic incompressible bytes (xorshift32). */
export function pseudoRandom(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * The judges' tree: deep paths, Unicode (accents, CJK, emoji), empty files and directories, 1 byte, exactly one
 * cluster, one cluster + 1, a hard link, a read-only file, a sparse file, names that need 8.3 aliases (with tails)
 * and names that are already 8.3 in one case. `clusterSize` sets the boundary sizes.
 */
export function makeJudgeTree(root: string, clusterSize: number): void {
  mkdirSync(root, { recursive: true });
  const file = (rel: string, bytes: Uint8Array, mtime = OLD_MTIME): void => {
    const p = join(root, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, bytes);
    utimesSync(p, mtime, mtime);
  };
  file('readme.txt', new TextEncoder().encode('hello\n'));
  file('README2.TXT', new TextEncoder().encode('upper\n'));
  file('Mixed Case Name.Document.txt', pseudoRandom(3000, 1));
  file('one-byte.bin', Uint8Array.of(0x42));
  file('empty.dat', new Uint8Array(0));
  file('exact-cluster.bin', pseudoRandom(clusterSize, 2));
  file('cluster-plus-one.bin', pseudoRandom(clusterSize + 1, 3));
  file('big.bin', pseudoRandom(3 * 1024 * 1024 + 17, 4), NEW_MTIME);
  file('ünïcödé/日本語のファイル.txt', new TextEncoder().encode('こんにちは'));
  file('ünïcödé/emoji 😀🎉.txt', new TextEncoder().encode('party'));
  file('ünïcödé/Ελληνικά.md', new TextEncoder().encode('alpha'));
  let deep = 'deep';
  for (let i = 0; i < 12; i++) deep += `/level ${i} directory`;
  file(`${deep}/leaf.txt`, new TextEncoder().encode('leaf'));
  for (let i = 1; i <= 12; i++) file(`tails/long file name number ${i}.text`, new TextEncoder().encode(`n${i}`));
  mkdirSync(join(root, 'empty dir'));
  utimesSync(join(root, 'empty dir'), OLD_MTIME, OLD_MTIME);
  file('links/original.bin', pseudoRandom(5000, 5));
  linkSync(join(root, 'links/original.bin'), join(root, 'links/hard link.bin'));
  file('readonly.txt', new TextEncoder().encode('do not touch'));
  chmodSync(join(root, 'readonly.txt'), 0o444);
  // Sparse: 2 MiB hole, 4 KiB of data, 2 MiB hole.
  const sparse = join(root, 'sparse.img');
  const fd = openSync(sparse, 'w');
  writeSync(fd, pseudoRandom(4096, 6), 0, 4096, 2 * 1024 * 1024);
  ftruncateSync(fd, 4 * 1024 * 1024 + 4096);
  closeSync(fd);
  utimesSync(sparse, OLD_MTIME, OLD_MTIME);
}

/** Makes a symlink inside `root` (for the policy tests). */
export function addSymlink(root: string, rel: string, target: string): void {
  symlinkSync(target, join(root, rel));
}

/** Every file and directory under `root`, by '/'-path from the root. */
export function listTree(root: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const r = `${rel}/${name}`;
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out.set(r, { kind: 'dir', size: 0, sha256: '', mtime: Math.floor(st.mtimeMs / 1000) });
        walk(p, r);
      } else {
        out.set(r, { kind: 'file', size: st.size, sha256: createHash('sha256').update(readFileSync(p)).digest('hex'), mtime: Math.floor(st.mtimeMs / 1000) });
      }
    }
  };
  walk(root, '');
  return out;
}

/** What a filesystem keeps of the source: mtimes clamped to the timestamp and rounded down to `granularity`. */
export function expectedListing(source: Map<string, Entry>, timestamp: number, granularity: number, options: { dirMtimes: boolean }): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const [path, e] of source) {
    const mtime = Math.floor(Math.min(e.mtime, timestamp) / granularity) * granularity;
    out.set(path, { ...e, mtime: e.kind === 'dir' && !options.dirMtimes ? 0 : mtime });
  }
  return out;
}

export function withoutDirMtimes(listing: Map<string, Entry>): Map<string, Entry> {
  return new Map([...listing].map(([p, e]) => [p, e.kind === 'dir' ? { ...e, mtime: 0 } : e]));
}

export function sorted(listing: Map<string, Entry>): [string, Entry][] {
  return [...listing].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
