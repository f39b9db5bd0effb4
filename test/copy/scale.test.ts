// Scale: 100,000 files in one directory (exFAT: fsck.exfat and exfat-fuse see them all; FAT32: refused, since a
// FAT32 directory holds 65,536 entries), and a file past 4 GiB (exFAT keeps its 64-bit size; FAT32 refuses it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { planDisk } from '../../src/plan/plan-disk.js';
import { GuestdiskError } from '../../src/errors.js';
import type { FileTree, TreeNode } from '../../src/disk-types.js';
import { mustCli } from '../helpers/cli.js';
import { attachLoop, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { TIMESTAMP } from './trees.js';

for (const tool of ['fsck.exfat', 'mount.exfat-fuse', 'fusermount3', 'losetup']) requireTool(tool);

/**
 * Where the trees and images go: a tmpfs when there is one. 100,000 files made and removed on a busy disk cost
 * minutes of journal writes (rm of such a tree took 70 s on the test host under load, node's rmSync 3 min) and
 * prove nothing the same files in memory do not.
 */
function scratchDir(prefix: string): { path: string; remove(): void } {
  const shm = '/dev/shm';
  if (!existsSync(shm)) return makeTempDir(prefix);
  const path = mkdtempSync(join(shm, prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function withMount<T>(image: string, dir: string, fn: (mnt: string) => T): T {
  const loop = attachLoop(image, { offsetBytes: MiB });
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt, { recursive: true });
  try {
    const fsck = runTool('fsck.exfat', ['-n', loop.device], { timeoutMs: 600_000 });
    assert.is(fsck.status, 0, fsck.stdout + fsck.stderr);
    mustRun('mount.exfat-fuse', ['-o', 'ro', loop.device, mnt]);
    try {
      return fn(mnt);
    } finally {
      mustRun('fusermount3', ['-u', mnt]);
    }
  } finally {
    loop.detach();
  }
}

test('exFAT: 100,000 files in one directory', async () => {
  const tmp = scratchDir('guestdisk-copy-scale-');
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(join(src, 'many'), { recursive: true });
    for (let i = 0; i < 100_000; i++) writeFileSync(join(src, 'many', `entry ${String(i).padStart(6, '0')}.dat`), String(i));
    const image = join(tmp.path, 'disk.img');
    await mustCli(['create', image, '--size', '+8M', '--fs', 'exfat', '--cluster-size', '512', '--copy-from', src, '--seed', 'scale', '--timestamp', String(TIMESTAMP)]);
    withMount(image, tmp.path, (mnt) => {
      const names = readdirSync(join(mnt, 'many'));
      assert.is(names.length, 100_000);
      for (const i of [0, 1, 4242, 99_999]) {
        const name = `entry ${String(i).padStart(6, '0')}.dat`;
        const fd = openSync(join(mnt, 'many', name), 'r');
        const buf = new Uint8Array(16);
        const n = readSync(fd, buf, 0, 16, 0);
        closeSync(fd);
        assert.is(new TextDecoder().decode(buf.subarray(0, n)), String(i));
      }
    });
  } finally {
    tmp.remove();
  }
});

test('FAT32: a directory of 100,000 entries is refused before anything is written, naming the directory', async () => {
  const file = (i: number): TreeNode => ({ kind: 'file', name: `entry ${i}.dat`, sizeBytes: 1, mtime: TIMESTAMP, readOnly: false, linkGroup: null, source: 0, order: i, dir: '/many' });
  const tree: FileTree = { root: { kind: 'dir', name: '', mtime: TIMESTAMP, entries: [{ kind: 'dir', name: 'many', mtime: TIMESTAMP, entries: Array.from({ length: 100_000 }, (_, i) => file(i)).sort((a, b) => (a.name < b.name ? -1 : 1)) }] }, warnings: [] };
  try {
    planDisk({ table: 'gpt', fs: 'fat32', seed: 's', timestamp: TIMESTAMP, files: tree }, { sizeBytes: 2 * GiB, logicalSectorSize: 512, physicalSectorSize: 512 });
    assert.unreachable('should refuse');
  } catch (e) {
    assert.instance(e, GuestdiskError);
    assert.is((e as GuestdiskError).code, 'INVALID_SPEC');
    assert.match((e as GuestdiskError).message, /\/many: needs \d+ directory entries; a FAT32 directory holds 65536/);
  }
});

test('exFAT: a file of 4 GiB + 1 byte keeps its size and its bytes at both ends (sparse source, sparse image)', async () => {
  const tmp = scratchDir('guestdisk-copy-big-');
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    const big = join(src, 'big.bin');
    const head = new TextEncoder().encode('head of the big file');
    const tail = new TextEncoder().encode('tail!');
    const fd = openSync(big, 'w');
    writeSync(fd, head, 0, head.length, 0);
    ftruncateSync(fd, 4 * GiB + 1);
    writeSync(fd, tail, 0, tail.length, 4 * GiB + 1 - tail.length);
    closeSync(fd);
    const image = join(tmp.path, 'disk.img');
    await mustCli(['create', image, '--size', '+16M', '--fs', 'exfat', '--copy-from', src, '--seed', 'big', '--timestamp', String(TIMESTAMP)]);
    assert.ok(statSync(image).blocks * 512 < 64 * MiB, 'the zeros stayed holes');
    withMount(image, tmp.path, (mnt) => {
      const p = join(mnt, 'big.bin');
      assert.is(statSync(p).size, 4 * GiB + 1);
      const read = (at: number, n: number): string => {
        const f = openSync(p, 'r');
        const b = new Uint8Array(n);
        readSync(f, b, 0, n, at);
        closeSync(f);
        return createHash('sha256').update(b).digest('hex');
      };
      const expectAt = (at: number, n: number): string => {
        const f = openSync(big, 'r');
        const b = new Uint8Array(n);
        readSync(f, b, 0, n, at);
        closeSync(f);
        return createHash('sha256').update(b).digest('hex');
      };
      assert.is(read(0, MiB), expectAt(0, MiB));
      assert.is(read(4 * GiB + 1 - MiB, MiB), expectAt(4 * GiB + 1 - MiB, MiB));
    });
    const fat = await mustCliStatus(['create', join(tmp.path, 'fat.img'), '--size', '8G', '--fs', 'fat32', '--copy-from', src, '--seed', 'big', '--timestamp', String(TIMESTAMP), '--dry-run']);
    assert.is(fat, 2);
  } finally {
    tmp.remove();
  }
});

async function mustCliStatus(args: string[]): Promise<number> {
  try {
    await mustCli(args);
    return 0;
  } catch (e) {
    return Number(/exited (\d+)/.exec(String(e))?.[1] ?? -1);
  }
}

test.run();
