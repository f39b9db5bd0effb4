// create --copy-from into FAT32, judged by tools we did not write: fsck.fat -n finds nothing to fix, and mtools,
// 7-Zip and sleuthkit each read back the source tree (names, sizes, sha256; mtools and 7-Zip also the mtimes,
// clamped to --timestamp and to FAT's 2-second steps). 512- and 4096-byte sectors, GPT and MBR.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli } from '../helpers/cli.js';
import { makeTempDir, requireTool } from '../helpers/tools.js';
import { fsckFatClean, mtoolsExtract, mtoolsName, sevenZipExtract, sleuthkitTree } from './fat32-judges.js';
import { TIMESTAMP, expectedListing, listTree, makeJudgeTree, sorted, withoutDirMtimes, type Entry } from './trees.js';

for (const tool of ['fsck.fat', 'mcopy', '7zz', 'fls', 'icat', 'losetup']) requireTool(tool);

const MiB = 1024 * 1024;
const PARTITION_OFFSET = MiB;

function renamed(listing: Map<string, Entry>, rename: (p: string) => string): Map<string, Entry> {
  return new Map([...listing].map(([p, e]) => [rename(p), e]));
}

function filesOnly(listing: Map<string, Entry>, keepMtime: boolean): [string, Entry][] {
  return sorted(new Map([...listing].map(([p, e]) => [p, keepMtime ? e : { ...e, mtime: 0 }])));
}

const cases = [
  { sector: 512 as const, table: 'gpt', clusterSize: 1024, size: '96M' },
  { sector: 4096 as const, table: 'mbr', clusterSize: 4096, size: '300M' },
  { sector: 512 as const, table: 'mbr', clusterSize: 512, size: '64M' },
];

for (const c of cases) {
  test(`FAT32 ${c.sector}-byte sectors, ${c.table}, ${c.clusterSize}-byte clusters: fsck.fat, mtools, 7-Zip, sleuthkit read back the tree`, async () => {
    const tmp = makeTempDir('guestdisk-copy-fat32-');
    try {
      const src = join(tmp.path, 'src');
      makeJudgeTree(src, c.clusterSize);
      const image = join(tmp.path, 'disk.img');
      await mustCli(['create', image, '--size', c.size, '--fs', 'fat32', '--table', c.table, '--sector-size', String(c.sector), '--cluster-size', String(c.clusterSize),
        '--copy-from', src, '--seed', 'copy-test', '--timestamp', String(TIMESTAMP)]);
      const source = listTree(src);
      // FAT keeps even seconds; directories' own times are not compared (readers differ in what they show).
      const expected = withoutDirMtimes(expectedListing(source, TIMESTAMP, 2, { dirMtimes: false }));

      fsckFatClean(image, PARTITION_OFFSET, c.sector);

      const viaMtools = withoutDirMtimes(mtoolsExtract(image, PARTITION_OFFSET, join(tmp.path, 'mtools')));
      assert.equal(sorted(viaMtools), sorted(renamed(expected, mtoolsName)), 'mtools');

      const via7z = withoutDirMtimes(sevenZipExtract(image, join(tmp.path, '7z')));
      assert.equal(filesOnly(via7z, true), filesOnly(expected, true), '7-Zip');

      const viaTsk = sleuthkitTree(image, PARTITION_OFFSET / c.sector, c.sector);
      assert.equal(filesOnly(viaTsk, false), filesOnly(expected, false), 'sleuthkit');

      // The sparse source file's holes stay holes in the image: it takes far less than its 4 MiB.
      assert.ok(statSync(image).blocks * 512 < 20 * MiB, `image allocates ${statSync(image).blocks * 512} bytes`);
    } finally {
      tmp.remove();
    }
  });
}

test.run();
