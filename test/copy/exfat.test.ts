// create --copy-from into exFAT, judged by tools we did not write: fsck.exfat -n calls the volume clean, and
// exfat-fuse (mounted read-only) and sleuthkit read back the source tree: names, sizes, sha256, and through
// exfat-fuse the mtimes (clamped to --timestamp, whole seconds). 512- and 4096-byte sectors, GPT and MBR.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mustCli } from '../helpers/cli.js';
import { attachLoop, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { sleuthkitTree } from './fat32-judges.js';
import { TIMESTAMP, expectedListing, listTree, makeJudgeTree, sorted, withoutDirMtimes, type Entry } from './trees.js';

for (const tool of ['fsck.exfat', 'mount.exfat-fuse', 'fusermount3', 'fls', 'icat', 'losetup']) requireTool(tool);

const MiB = 1024 * 1024;

function mtimeless(listing: Map<string, Entry>): [string, Entry][] {
  return sorted(new Map([...listing].map(([p, e]) => [p, { ...e, mtime: 0 }])));
}

const cases = [
  { sector: 512 as const, table: 'gpt', clusterSize: 4096, size: '64M' },
  { sector: 4096 as const, table: 'mbr', clusterSize: 32768, size: '128M' },
  { sector: 512 as const, table: 'mbr', clusterSize: 512, size: '48M' },
];

for (const c of cases) {
  test(`exFAT ${c.sector}-byte sectors, ${c.table}, ${c.clusterSize}-byte clusters: fsck.exfat, exfat-fuse, sleuthkit read back the tree`, async () => {
    const tmp = makeTempDir('guestdisk-copy-exfat-');
    try {
      const src = join(tmp.path, 'src');
      makeJudgeTree(src, c.clusterSize);
      const image = join(tmp.path, 'disk.img');
      await mustCli(['create', image, '--size', c.size, '--fs', 'exfat', '--table', c.table, '--sector-size', String(c.sector), '--cluster-size', String(c.clusterSize),
        '--copy-from', src, '--seed', 'copy-test', '--timestamp', String(TIMESTAMP)]);
      const expected = withoutDirMtimes(expectedListing(listTree(src), TIMESTAMP, 1, { dirMtimes: false }));

      const loop = attachLoop(image, { offsetBytes: MiB, sectorSize: c.sector });
      const mountPoint = join(tmp.path, 'mnt');
      mkdirSync(mountPoint);
      try {
        const fsck = runTool('fsck.exfat', ['-n', loop.device]);
        assert.is(fsck.status, 0, fsck.stdout + fsck.stderr);
        assert.match(fsck.stdout, /clean\. directories \d+, files \d+/);
        mustRun('mount.exfat-fuse', ['-o', 'ro', loop.device, mountPoint]);
        try {
          assert.equal(sorted(withoutDirMtimes(listTree(mountPoint))), sorted(expected), 'exfat-fuse');
        } finally {
          mustRun('fusermount3', ['-u', mountPoint]);
        }
      } finally {
        loop.detach();
      }

      assert.equal(mtimeless(sleuthkitTree(image, MiB / c.sector, c.sector)), mtimeless(expected), 'sleuthkit');
      assert.ok(statSync(image).blocks * 512 < 24 * MiB, 'the sparse file stays sparse');
    } finally {
      tmp.remove();
    }
  });
}

test.run();
