// Independent readers of a populated FAT32 disk image: fsck.fat, mtools (mcopy out), 7-Zip and sleuthkit. Each
// returns the tree it sees (names, sizes, sha256, mtimes where it shows them) for comparison with the source.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { attachLoop, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { FSCK_FAT_INFO_LINES } from '../fs/fat32/tool-checks.js';
import { listTree, type Entry } from './trees.js';

export function fsckFatClean(image: string, offsetBytes: number, sectorSize: 512 | 4096): void {
  const loop = attachLoop(image, { offsetBytes, sectorSize });
  try {
    const r = runTool('fsck.fat', ['-n', '-v', loop.device]);
    assert.is(r.status, 0, `fsck.fat -n failed:\n${r.stdout}\n${r.stderr}`);
    assert.is(r.stderr.trim(), '', r.stderr);
    // fsck.fat -n exits 0 while still listing what it would fix: only the lines of a healthy report may appear.
    const unexpected = r.stdout.split('\n').filter((l) => l !== '' && !FSCK_FAT_INFO_LINES.some((re) => re.test(l)));
    assert.equal(unexpected, [], r.stdout);
  } finally {
    loop.detach();
  }
}

/** mcopy -s -m: everything under the root, with modification times. mtools writes a character beyond the BMP
 *  (an emoji) as "_" per UTF-16 unit, so names are compared through `mtoolsName`. */
export function mtoolsExtract(image: string, offsetBytes: number, into: string): Map<string, Entry> {
  mkdirSync(into, { recursive: true });
  mustRun('env', ['LC_ALL=C.UTF-8', 'MTOOLS_SKIP_CHECK=1', 'mcopy', '-s', '-m', '-n', '-i', `${image}@@${offsetBytes}`, '::*', into]);
  return listTree(into);
}

export function mtoolsName(path: string): string {
  return path.replace(/[\u{10000}-\u{10ffff}]/gu, '__');
}

/** 7-Zip opens the disk image, finds the FAT volume in its partition and extracts the tree (its own FAT reader). */
export function sevenZipExtract(image: string, into: string): Map<string, Entry> {
  mkdirSync(into, { recursive: true });
  mustRun('7zz', ['x', '-y', `-o${into}`, image]);
  return listTree(into);
}

/** sleuthkit: fls -r -p lists every path with its inode; icat reads each file. */
export function sleuthkitTree(image: string, offsetSectors: number, sectorSize: 512 | 4096): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const args = ['-b', String(sectorSize), '-o', String(offsetSectors)];
  const listing = mustRun('fls', ['-r', '-p', ...args, image]);
  for (const line of listing.split('\n')) {
    const m = /^([rd])\/([rd-]) (\*?)\s*(\d+):\t(.*)$/.exec(line);
    if (!m || m[3] === '*' || m[5].startsWith('$')) continue;
    const [, kind, , , inode, path] = m;
    if (kind === 'd') {
      out.set(`/${path}`, { kind: 'dir', size: 0, sha256: '', mtime: 0 });
      continue;
    }
    const bytes = icat([...args, image, inode]);
    out.set(`/${path}`, { kind: 'file', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), mtime: 0 });
  }
  return out;
}

function icat(args: string[]): Uint8Array {
  requireTool('icat');
  return new Uint8Array(execFileSync('icat', args, { maxBuffer: 1 << 30 }));
}

export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}
