// create --copy-from onto a block device (a loop device, as an LV is one), with a tree whose paths run far past
// Windows' classic 260-character MAX_PATH (NTFS and FAT32 have no such limit; Windows reaches them with \\?\ paths):
// NTFS on 4096-byte sectors read back by ntfs-3g with ntfsck clean; FAT32 on 512-byte sectors read back by mtools
// with fsck.fat clean. Names, sizes and sha256 of every file equal the source.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli } from '../helpers/cli.js';
import { attachLoop, makeTempDir, mustRun, requireTool } from '../helpers/tools.js';
import { fsckFatClean, mtoolsExtract } from './fat32-judges.js';
import { ntfsckClean, withNtfs3g, withoutSystemEntries } from './ntfs-judges.js';
import { TIMESTAMP, listTree, sorted, type Entry } from './trees.js';

for (const tool of ['losetup', 'truncate', 'ntfs-3g', 'fusermount3', 'mcopy', 'fsck.fat', 'sfdisk']) requireTool(tool);

const MiB = 1024 * 1024;

/** 40 directories of 19 characters, one in the other: a leaf 823 characters from the root. */
function makeDeepTree(src: string): string {
  let deep = src;
  for (let i = 0; i < 40; i++) deep = join(deep, `directory level ${String(i).padStart(3, '0')}`);
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, 'leaf at the bottom.txt'), 'deep\n');
  writeFileSync(join(src, 'top.bin'), new Uint8Array(200_000).map((_, i) => (i * 13) & 0xff));
  return deep;
}

function mtimeless(listing: Map<string, Entry>): [string, Entry][] {
  return sorted(new Map([...listing].map(([p, e]) => [p, { ...e, mtime: 0 }])));
}

for (const c of [{ fs: 'ntfs', sector: 4096 as const }, { fs: 'fat32', sector: 512 as const }]) {
  test(`${c.fs} onto a loop device with ${c.sector}-byte sectors, paths of 823 characters: the tools read back the tree`, async () => {
    const tmp = makeTempDir(`guestdisk-copy-device-${c.fs}-`);
    try {
      const src = join(tmp.path, 'src');
      const deep = makeDeepTree(src);
      assert.ok(deep.length - src.length >= 800);
      const backing = join(tmp.path, 'device.img');
      mustRun('truncate', ['-s', '128M', backing]);
      const loop = attachLoop(backing, { readOnly: false, sectorSize: c.sector });
      try {
        await mustCli(['create', loop.device, '--fs', c.fs, '--copy-from', src, '--seed', 'device', '--timestamp', String(TIMESTAMP)]);
        const dump = JSON.parse(mustRun('sfdisk', ['-J', loop.device])) as { partitiontable: { partitions: { start: number; size: number }[] } };
        const p = dump.partitiontable.partitions[0];
        const offsetBytes = p.start * c.sector;
        const expected = mtimeless(listTree(src));
        if (c.fs === 'ntfs') {
          const part = attachLoop(loop.device, { offsetBytes, sizeBytes: p.size * c.sector });
          try {
            ntfsckClean(part.device);
            withNtfs3g(part.device, join(tmp.path, 'mnt'), 'ro', (mnt) => assert.equal(mtimeless(withoutSystemEntries(listTree(mnt))), expected, 'ntfs-3g'));
          } finally {
            part.detach();
          }
        } else {
          fsckFatClean(loop.device, offsetBytes, c.sector);
          assert.equal(mtimeless(mtoolsExtract(loop.device, offsetBytes, join(tmp.path, 'out'))), expected, 'mtools');
        }
      } finally {
        loop.detach();
      }
    } finally {
      tmp.remove();
    }
  });
}

test.run();
