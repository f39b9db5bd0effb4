// No false alarms from the FAT32 walk at scale: mkfs.fat, then mtools copies in a tree with 10,000 long-named
// entries in one directory, deletes a tenth of them, renames some, and adds an empty directory; once with 512-byte
// sectors and once with 4096-byte ones (mkfs.fat -S 4096). fsck.fat -n must find each volume clean, and verify no
// finding. (Each name's first six characters differ, so mtools' 8.3 aliases never collide: with colliding aliases
// mtools searches its numeric tails and takes minutes.)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FAT32_BOOT_SECTOR } from '../../src/fs/fat32/boot-sector.js';
import { inspectFatVolume } from '../../src/inspect/fs-fat32.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';

for (const t of ['mkfs.fat', 'fsck.fat', 'mcopy', 'mdel', 'mren', 'mmd', 'truncate']) requireTool(t);

const ENTRIES = 10_000;
const dir = makeTempDir('guestdisk-fat-walk-scale-');
test.after(() => dir.remove());
const mtools = (tool: string, ...args: string[]): void => { mustRun('env', ['MTOOLS_SKIP_CHECK=1', tool, ...args], { timeoutMs: 300_000 }); };

const src = join(dir.path, 'src');
mkdirSync(join(src, 'many'), { recursive: true });
mkdirSync(join(src, 'sub'));
const nameOf = (i: number): string => `${String(i).padStart(5, '0')} entry with a long name.txt`;
for (let i = 0; i < ENTRIES; i++) writeFileSync(join(src, 'many', nameOf(i)), i % 100 === 0 ? Buffer.alloc(20_000, i & 0xff) : String(i));
writeFileSync(join(src, 'sub', 'Mixed Case Name.txt'), 'x');

for (const sectorSize of [512, 4096] as const) {
  test(`mtools, ${ENTRIES} entries in one directory, deletions, renames, ${sectorSize}-byte sectors: fsck.fat clean, no finding`, async () => {
    const image = join(dir.path, `scale-${sectorSize}.img`);
    // 512 MiB: enough clusters for FAT32 with 4 KiB clusters (65,525 at least).
    mustRun('truncate', ['-s', '512M', image]);
    mustRun('mkfs.fat', ['-F', '32', '-S', String(sectorSize), '-n', 'SCALE', image]);
    mtools('mcopy', '-i', image, '-s', join(src, 'many'), join(src, 'sub'), '::/');
    mtools('mdel', '-i', image, '::/many/*3 entry*');
    for (const i of [1, 22, 4444, 9999]) mtools('mren', '-i', image, `::/many/${nameOf(i)}`, `::/sub/renamed ${i}.txt`);
    mtools('mmd', '-i', image, '::/Empty Directory');
    const fsck = runTool('fsck.fat', ['-n', image]);
    assert.is(fsck.status, 0, fsck.stdout + fsck.stderr);
    // fsck.fat counts the three directories and the volume label entry too.
    assert.match(fsck.stdout, `${ENTRIES - ENTRIES / 10 + 1 + 3 + 1} files`, fsck.stdout);
    const bytes = new Uint8Array(readFileSync(image));
    assert.is(FAT32_BOOT_SECTOR.decode(bytes).bytsPerSec, sectorSize);
    const t = openMemoryTarget({ sizeBytes: bytes.length, initial: bytes, logicalSectorSize: sectorSize });
    const { findings } = await inspectFatVolume(t, { partitionStartLba: null, partitionSizeBytes: bytes.length });
    assert.equal(findings.map((f) => `${f.severity} ${f.code}: ${f.message}`), []);
  });
}

test.run();
