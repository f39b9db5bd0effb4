// exFAT read back against an exfat-fuse mount of the same image and sleuthkit (fls, icat): listings, sizes,
// modification times and the sha256 of every file. The volume is made by mkfs.exfat and filled through exfat-fuse
// (nested and Unicode names, 1,000 entries in one directory, big and fragmented files, deletions, renames); a copy
// with one entry's NameHash altered (and its SetChecksum made to match) shows that hashes are checked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openFileTarget } from '../../src/target/file-target.js';
import { openVolume } from '../../src/read/open-volume.js';
import { entrySetChecksum } from '../../src/fs/exfat/checksum.js';
import type { VolumeReader } from '../../src/read/types.js';
import type { BlockTarget } from '../../src/target/block-target.js';
import { attachLoop, makeTempDir, mustRun, requireTool } from '../helpers/tools.js';
import { hostTree, project, readerTree, sleuthkitTree, type Tree } from './judges.js';

for (const t of ['mkfs.exfat', 'mount.exfat-fuse', 'losetup', 'truncate', 'bash']) requireTool(t);
const dir = makeTempDir('guestdisk-read-exfat-');
const image = join(dir.path, 'exfat.img');
const mnt = join(dir.path, 'mnt');

const POPULATE = String.raw`
set -e
cd "$1"
mkdir -p 'dir one/sub dir' 'Ünïcödé' many
printf 'hello' > 'dir one/hello.txt'
printf 'deep' > 'dir one/sub dir/deep.txt'
printf 'x' > 'Ünïcödé/名前.txt'
head -c 8000000 /dev/urandom > big.bin
: > empty.txt
printf '%0200d' 0 | tr 0 L > long-name-seed
mv long-name-seed "$(printf '%0200d' 0 | tr 0 n).txt"
i=0; while [ $i -lt 30 ]; do head -c 40000 /dev/urandom >> frag-a.bin; head -c 40000 /dev/urandom >> frag-b.bin; i=$((i+1)); done
i=0; while [ $i -lt 1000 ]; do printf "$i" > "many/entry number $i.txt"; i=$((i+1)); done
i=0; while [ $i -lt 1000 ]; do rm "many/entry number $i.txt"; i=$((i+3)); done
mv 'many/entry number 1.txt' 'many/renamed.txt'
touch -d '2010-06-07 08:09:10' 'dir one/hello.txt'
`;

mustRun('truncate', ['-s', '256M', image]);
mustRun('mkfs.exfat', ['-L', 'ExRead', image]);
mustRun('mkdir', [mnt]);
{
  const loop = attachLoop(image, { readOnly: false });
  try {
    mustRun('mount.exfat-fuse', [loop.device, mnt]);
    try {
      mustRun('bash', ['-c', POPULATE, 'populate', mnt], { timeoutMs: 300_000 });
    } finally {
      mustRun('umount', [mnt]);
    }
  } finally {
    loop.detach();
  }
}

let target: BlockTarget;
let reader: VolumeReader;
let tree: Tree;
test.before(async () => {
  target = await openFileTarget({ path: image, mode: 'read', logicalSectorSize: 512 });
  reader = await openVolume(target);
  tree = await readerTree(reader);
});
test.after(async () => {
  await target?.close();
  dir.remove();
});

test('volume: exFAT, label, no warnings', () => {
  assert.is(reader.filesystem, 'exfat');
  assert.is(reader.label, 'ExRead');
  assert.equal(reader.warnings, []);
});

test('the exfat-fuse mount sees the same tree: kinds, sizes, modification times, sha256', () => {
  const loop = attachLoop(image);
  try {
    mustRun('mount.exfat-fuse', ['-o', 'ro', loop.device, mnt]);
    try {
      const mounted = hostTree(mnt);
      const ours = project(tree, {});
      assert.equal([...ours.keys()], [...mounted.keys()]);
      for (const [path, seen] of mounted) assert.equal(ours.get(path), seen, path);
      assert.ok(ours.size > 600, `entries: ${ours.size}`);
    } finally {
      mustRun('umount', [mnt]);
    }
  } finally {
    loop.detach();
  }
});

test('sleuthkit (fls -r, icat) lists the same names and extracts the same bytes', () => {
  const theirs = sleuthkitTree(image, { offsetSectors: 0 });
  assert.equal([...tree.keys()].sort(), [...theirs.keys()].sort());
  for (const [path, seen] of theirs) if (seen.kind === 'file') assert.is(seen.sha256, tree.get(path)!.sha256, path);
});

test('a set modification time, deletions and renames', async () => {
  assert.is((await reader.stat('/dir one/hello.txt')).times.modifiedMs, Date.UTC(2010, 5, 7, 8, 9, 10));
  const names: string[] = [];
  for await (const e of reader.list('/many')) names.push(e.name);
  assert.is(names.length, 666);
  assert.ok(names.includes('renamed.txt'));
  assert.not.ok(names.includes('entry number 0.txt'));
  assert.is((await reader.stat('/MANY/ENTRY NUMBER 2.TXT')).name, 'entry number 2.txt');
});

test('a NameHash that does not match its name: the entry set is skipped with a warning', async () => {
  const broken = join(dir.path, 'broken.img');
  copyFileSync(image, broken);
  const bytes = readFileSync(broken);
  const name = Buffer.from('hello.txt', 'utf16le');
  const at = bytes.indexOf(name);
  assert.ok(at > 0, 'name found');
  // File Name entry: type 0xc1, flags, then the name; the Stream Extension before it, the File entry before that.
  const nameEntry = at - 2;
  assert.is(bytes[nameEntry], 0xc1);
  const stream = nameEntry - 32;
  const file = stream - 32;
  assert.is(bytes[file], 0x85);
  bytes.writeUInt16LE(bytes.readUInt16LE(stream + 4) ^ 0x5a5a, stream + 4);
  const setBytes = bytes.subarray(file, file + 32 * (bytes[file + 1] + 1));
  bytes.writeUInt16LE(entrySetChecksum(setBytes), file + 2);
  writeFileSync(broken, bytes);
  const t = await openFileTarget({ path: broken, mode: 'read', logicalSectorSize: 512 });
  try {
    const r = await openVolume(t);
    const names: string[] = [];
    for await (const e of r.list('/dir one')) names.push(e.name);
    assert.equal(names.sort(), ['sub dir']);
    assert.ok(r.warnings.some((w) => w.code === 'EXFAT_ENTRY_SET_DAMAGED' && /NameHash/.test(w.message)), JSON.stringify(r.warnings));
  } finally {
    await t.close();
  }
});

test.run();
