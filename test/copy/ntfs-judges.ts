// Independent judges of a populated NTFS image: ntfsfix -n, ntfsck -n (ntfsprogs-plus, ../shared/tools/ntfsck), an
// ntfs-3g mount, and guestdisk's own verify and get. Each reader returns the tree it sees for comparison.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { mustCli } from '../helpers/cli.js';
import { NTFSCK } from '../helpers/paths.js';
import { attachLoop, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { listTree, type Entry } from './trees.js';

export const NTFS_TOOLS = ['ntfsfix', 'ntfs-3g', 'fusermount3', 'fls', 'icat', '7zz', 'losetup', 'sfdisk'];

/** The first partition's byte range, from sfdisk's JSON dump of the image on a loop device of its sector size (on a
 *  plain file sfdisk assumes 512-byte sectors and misses a 4096-byte GPT). */
export function firstPartition(image: string, sectorSize: 512 | 4096): { offsetBytes: number; sizeBytes: number } {
  const loop = attachLoop(image, { sectorSize });
  try {
    const dump = JSON.parse(mustRun('sfdisk', ['-J', loop.device])) as { partitiontable: { partitions: { start: number; size: number }[] } };
    const p = dump.partitiontable.partitions[0];
    return { offsetBytes: p.start * sectorSize, sizeBytes: p.size * sectorSize };
  } finally {
    loop.detach();
  }
}

export function requireNtfsck(): string {
  assert.ok(existsSync(NTFSCK), `ntfsck is missing: ${NTFSCK} (see ../shared/tools/ntfsck/README.md)`);
  return NTFSCK;
}

/** ntfsck -n: exit 0 and "errors:0" on its last line. */
export function ntfsckClean(device: string): void {
  const r = runTool(requireNtfsck(), ['-n', device], { timeoutMs: 10 * 60 * 1000 });
  const out = r.stdout + r.stderr;
  assert.is(r.status, 0, `ntfsck -n exit ${r.status}:\n${out.slice(-4000)}`);
  assert.match(out, /errors:0,/, out.slice(-2000));
}

/** ntfsfix -n on the partition (the loop device limited to it, so the backup boot sector is its last sector). */
export function ntfsfixClean(device: string): void {
  const r = runTool('ntfsfix', ['-n', device]);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.not.match(r.stdout, /BAD|FAILED|corrupt/i, r.stdout);
}

/** Runs `body` with the partition on a loop device. */
export function withPartition<T>(image: string, sectorSize: 512 | 4096, body: (device: string) => T, readOnly = true): T {
  const part = firstPartition(image, sectorSize);
  const loop = attachLoop(image, { offsetBytes: part.offsetBytes, sizeBytes: part.sizeBytes, sectorSize, readOnly });
  try {
    return body(loop.device);
  } finally {
    loop.detach();
  }
}

/** Mounts the partition with ntfs-3g, runs `body` on the mount point, unmounts. */
export function withNtfs3g<T>(device: string, mountPoint: string, options: string, body: (dir: string) => T): T {
  requireTool('ntfs-3g');
  mkdirSync(mountPoint, { recursive: true });
  mustRun('ntfs-3g', ['-o', options, device, mountPoint]);
  try {
    return body(mountPoint);
  } finally {
    mustRun('fusermount3', ['-u', mountPoint]);
  }
}

/** guestdisk verify: 0 errors and 0 warnings. */
export async function guestdiskVerifyClean(image: string): Promise<void> {
  const r = await mustCli(['verify', image, '--json']);
  const report = JSON.parse(r.stdout) as { findings?: { severity: string; code: string; message: string }[] };
  const bad = (report.findings ?? []).filter((f) => f.severity === 'error' || f.severity === 'warning');
  assert.equal(bad, [], JSON.stringify(bad, null, 1));
}

/** guestdisk get DISK:/ DEST: the whole tree out through our own reader. */
export async function guestdiskGet(image: string, into: string): Promise<Map<string, Entry>> {
  mkdirSync(into, { recursive: true });
  await mustCli(['get', `${image}:/`, into]);
  return listTree(into);
}

/** Entries a listing of the volume's root shows that are not ours: the system files (7-Zip puts them in
 *  "[SYSTEM]"), and what Windows or ntfs-3g may add. */
export function withoutSystemEntries(listing: Map<string, Entry>): Map<string, Entry> {
  return new Map([...listing].filter(([p]) => !p.startsWith('/$') && !p.startsWith('/[SYSTEM]') && !p.startsWith('/System Volume Information')));
}

/** sleuthkit on NTFS: fls -r -p lists every path with its inode-type-id address (named streams and the system
 *  files are left out); icat reads each file's unnamed $DATA by its address
 *  (unless `read` is false: a listing of many files, sizes -1). */
export function sleuthkitNtfsTree(image: string, offsetSectors: number, sectorSize: 512 | 4096, options: { read: boolean } = { read: true }): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const args = ['-b', String(sectorSize), '-o', String(offsetSectors)];
  const listing = mustRun('fls', ['-r', '-p', ...args, image]);
  for (const line of listing.split('\n')) {
    const m = /^([rd])\/([rd-]) (\*?)\s*(\d+-\d+-\d+):\t(.*)$/.exec(line);
    if (!m || m[3] === '*' || m[5].startsWith('$') || m[5].includes(':')) continue;
    const [, kind, , , address, path] = m;
    if (kind === 'd') {
      out.set(`/${path}`, { kind: 'dir', size: 0, sha256: '', mtime: 0 });
      continue;
    }
    if (!options.read) {
      out.set(`/${path}`, { kind: 'file', size: -1, sha256: '', mtime: 0 });
      continue;
    }
    const bytes = new Uint8Array(execFileSync('icat', [...args, image, address], { maxBuffer: 1 << 30 }));
    out.set(`/${path}`, { kind: 'file', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), mtime: 0 });
  }
  return out;
}

export { join };
