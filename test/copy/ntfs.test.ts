// create --copy-from into NTFS, judged by tools we did not write: ntfsfix -n and ntfsck -n call the volume clean;
// ntfs-3g (mounted read-only), sleuthkit (fls -r, icat) and 7-Zip read back the source tree (names, sizes, sha256,
// and through ntfs-3g the mtimes of files and directories, clamped to --timestamp; 7-Zip on 512-byte sectors, the
// only ones its NTFS reader opens); guestdisk's own verify finds nothing and its get extracts the same tree.
// 512- and 4096-byte sectors, GPT and MBR, cluster sizes from 512 bytes to 64 KiB.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli } from '../helpers/cli.js';
import { makeTempDir, mustRun, requireTool } from '../helpers/tools.js';
import { sevenZipExtract } from './fat32-judges.js';
import {
  NTFS_TOOLS, firstPartition, sleuthkitNtfsTree, guestdiskGet, guestdiskVerifyClean, ntfsckClean, ntfsfixClean, withNtfs3g, withPartition, withoutSystemEntries,
} from './ntfs-judges.js';
import { TIMESTAMP, expectedListing, listTree, makeJudgeTree, sorted, type Entry } from './trees.js';

for (const tool of NTFS_TOOLS) requireTool(tool);

const MiB = 1024 * 1024;

function mtimeless(listing: Map<string, Entry>): [string, Entry][] {
  return sorted(new Map([...listing].map(([p, e]) => [p, { ...e, mtime: 0 }])));
}

const cases = [
  { sector: 512 as const, table: 'gpt', clusterSize: 4096, size: '64M' },
  { sector: 4096 as const, table: 'mbr', clusterSize: 4096, size: '96M' },
  { sector: 512 as const, table: 'mbr', clusterSize: 512, size: '48M' },
  { sector: 4096 as const, table: 'gpt', clusterSize: 65536, size: '128M' },
];

for (const c of cases) {
  test(`NTFS ${c.sector}-byte sectors, ${c.table}, ${c.clusterSize}-byte clusters: ntfsfix, ntfsck, ntfs-3g, sleuthkit, 7-Zip, verify and get agree with the source`, async () => {
    const tmp = makeTempDir('guestdisk-copy-ntfs-');
    try {
      const src = join(tmp.path, 'src');
      makeJudgeTree(src, c.clusterSize);
      const image = join(tmp.path, 'disk.img');
      await mustCli(['create', image, '--size', c.size, '--fs', 'ntfs', '--table', c.table, '--sector-size', String(c.sector), '--cluster-size', String(c.clusterSize),
        '--copy-from', src, '--seed', 'copy-test', '--timestamp', String(TIMESTAMP)]);
      const expected = expectedListing(listTree(src), TIMESTAMP, 1, { dirMtimes: true });

      withPartition(image, c.sector, (device) => {
        ntfsfixClean(device);
        ntfsckClean(device);
        withNtfs3g(device, join(tmp.path, 'mnt'), 'ro', (dir) => {
          assert.equal(sorted(withoutSystemEntries(listTree(dir))), sorted(expected), 'ntfs-3g');
          // Hard links are one record: ntfs-3g shows the same inode with a link count of 2.
          const a = statSync(join(dir, 'links/original.bin'));
          const b = statSync(join(dir, 'links/hard link.bin'));
          assert.is(a.ino, b.ino);
          assert.is(a.nlink, 2);
        });
      });

      const part = firstPartition(image, c.sector);
      assert.equal(mtimeless(withoutSystemEntries(sleuthkitNtfsTree(image, part.offsetBytes / c.sector, c.sector))), mtimeless(expected), 'sleuthkit');
      // 7-Zip's NTFS reader opens 512-byte-sector volumes only (an empty 4Kn volume, mkntfs's or ours, is "Cannot open").
      if (c.sector === 512) assert.equal(mtimeless(withoutSystemEntries(sevenZipExtract(image, join(tmp.path, '7z')))), mtimeless(expected), '7-Zip');
      await guestdiskVerifyClean(image);
      assert.equal(mtimeless(await guestdiskGet(image, join(tmp.path, 'get'))), mtimeless(expected), 'guestdisk get');
      assert.ok(statSync(image).blocks * 512 < 32 * MiB, 'the image stays sparse');
    } finally {
      tmp.remove();
    }
  });
}

test('NTFS: after ntfs-3g adds, renames and deletes files in a populated volume, ntfsck -n is still clean', async () => {
  const tmp = makeTempDir('guestdisk-copy-ntfs-rw-');
  try {
    const src = join(tmp.path, 'src');
    makeJudgeTree(src, 4096);
    const image = join(tmp.path, 'disk.img');
    await mustCli(['create', image, '--size', '64M', '--fs', 'ntfs', '--copy-from', src, '--seed', 'rw', '--timestamp', String(TIMESTAMP)]);
    withPartition(image, 512, (device) => {
      withNtfs3g(device, join(tmp.path, 'mnt'), 'rw', (dir) => {
        mustRun('sh', ['-c', [
          `cd "${dir}"`,
          'mkdir -p "new dir/inner"',
          'head -c 200000 /dev/urandom > "new dir/inner/added.bin"',
          'echo small > "tails/added.txt"',
          'for i in $(seq 1 60); do echo $i > "tails/many $i.txt"; done',
          'mv readme.txt renamed.txt',
          'mv "ünïcödé" "unicode moved"',
          'rm big.bin "links/hard link.bin" "deep/level 0 directory/level 1 directory" -rf',
          'rm -r "empty dir"',
          'cat renamed.txt >> "links/original.bin"',
        ].join(' && ')]);
      });
      ntfsckClean(device);
      ntfsfixClean(device);
    }, false);
  } finally {
    tmp.remove();
  }
});

test.run();
