// One non-resident $DATA split over several MFT records (an $ATTRIBUTE_LIST naming pieces with lowest VCN > 0): a
// volume filled with 4 KiB files through ntfs-3g, every other one deleted, then one file written into the holes, so
// its runlist outgrows its record. Its bytes must equal what the ntfs-3g mount and sleuthkit's icat give.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openFileTarget } from '../../src/target/file-target.js';
import { openVolume } from '../../src/read/open-volume.js';
import { makeTempDir, mustRun, requireTool } from '../helpers/tools.js';
import { mustRunBytes } from './judges.js';

for (const t of ['mkntfs', 'ntfs-3g', 'ntfsinfo', 'python3', 'fls', 'icat']) requireTool(t);
const dir = makeTempDir('guestdisk-read-extents-');
test.after(() => dir.remove());

const FILL = String.raw`
import os, sys
root = sys.argv[1]
os.mkdir(f"{root}/holes")
n = 0
try:
    while True:
        with open(f"{root}/holes/h{n}", "wb") as f:
            f.write(b"h" * 4096)
        n += 1
except OSError:
    pass
for i in range(0, n, 2):
    os.remove(f"{root}/holes/h{i}")
with open(f"{root}/scattered.bin", "wb") as f:
    for i in range(n // 2 - 50):
        f.write(os.urandom(4096))
`;

test('a $DATA attribute in pieces over extension records reads as the mount and icat read it', async () => {
  const image = join(dir.path, 'extents.img');
  const mnt = join(dir.path, 'mnt');
  mustRun('truncate', ['-s', '32M', image]);
  mustRun('mkntfs', ['-q', '-F', '-Q', image]);
  mustRun('mkdir', [mnt]);
  mustRun('ntfs-3g', [image, mnt]);
  try {
    mustRun('python3', ['-c', FILL, mnt], { timeoutMs: 300_000 });
  } finally {
    mustRun('umount', [mnt]);
  }
  const info = mustRun('ntfsinfo', ['-v', '-F', '/scattered.bin', image]);
  const pieces = [...info.matchAll(/Dumping attribute \$DATA \(0x80\) from mft record (\d+)/g)].map((m) => m[1]);
  assert.ok(new Set(pieces).size >= 2, `the fixture must split $DATA over records: ${pieces.join(', ')}`);
  assert.match(info, /\$ATTRIBUTE_LIST/);

  const target = await openFileTarget({ path: image, mode: 'read', logicalSectorSize: 512 });
  let ours: string;
  let size = 0;
  try {
    const reader = await openVolume(target);
    const h = createHash('sha256');
    for await (const piece of reader.read('/scattered.bin')) {
      h.update(piece);
      size += piece.length;
    }
    ours = h.digest('hex');
    assert.is(size, (await reader.stat('/scattered.bin')).sizeBytes);
  } finally {
    await target.close();
  }
  const inode = /(\d+)-128-\d+:\tscattered\.bin/.exec(new TextDecoder().decode(mustRunBytes('fls', ['-o', '0', image])))?.[1];
  assert.ok(inode, 'fls lists scattered.bin');
  assert.is(createHash('sha256').update(mustRunBytes('icat', ['-o', '0', image, inode!])).digest('hex'), ours);
  mustRun('ntfs-3g', ['-o', 'ro', image, mnt]);
  try {
    assert.is(createHash('sha256').update(readFileSync(join(mnt, 'scattered.bin'))).digest('hex'), ours);
  } finally {
    mustRun('umount', [mnt]);
  }
});

test.run();
