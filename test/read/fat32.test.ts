// FAT32 read back against mtools (mcopy -s of the whole tree), sleuthkit (fls, icat) and 7-Zip: listings, sizes,
// modification times and the sha256 of every file. The volume is made by mkfs.fat and filled with mtools: long
// names, 8.3-only names (upper case, and lower case that mtools stores with the NT case flags), Unicode, 500
// entries in one directory, deletions, renames. A copy with one long-name checksum altered shows the 8.3 name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openFileTarget } from '../../src/target/file-target.js';
import { openVolume } from '../../src/read/open-volume.js';
import type { VolumeReader } from '../../src/read/types.js';
import type { BlockTarget } from '../../src/target/block-target.js';
import { makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { hostTree, project, readerTree, sleuthkitTree, type Tree } from './judges.js';

for (const t of ['mkfs.fat', 'mcopy', 'mmd', 'mdel', 'mren', 'truncate', 'bash', '7zz']) requireTool(t);
const dir = makeTempDir('guestdisk-read-fat32-');
const image = join(dir.path, 'fat32.img');
const src = join(dir.path, 'src');
const env = 'export MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8;';

const POPULATE = String.raw`
set -e
img="$1"; src="$2"
mkdir -p "$src/many"
printf 'hello' > "$src/A long file name.text"
printf 'upper' > "$src/UPPER.TXT"
printf 'lower' > "$src/lower.txt"
printf 'mixed' > "$src/MixedCase.Txt"
printf 'u' > "$src/Ünïcödé 名前.txt"
head -c 5000000 /dev/urandom > "$src/big.bin"
: > "$src/empty.txt"
touch -d '2012-03-04 05:06:08' "$src/A long file name.text"
i=0; while [ $i -lt 500 ]; do printf "$i" > "$src/many/entry number $i.txt"; i=$((i+1)); done
mmd -i "$img" ::/DIR ::/DIR/Sub ::/many
mcopy -m -i "$img" "$src/A long file name.text" "$src/UPPER.TXT" "$src/lower.txt" "$src/MixedCase.Txt" "$src/Ünïcödé 名前.txt" "$src/big.bin" "$src/empty.txt" ::/
mcopy -m -i "$img" "$src/lower.txt" ::/DIR/Sub/deep.txt
mcopy -m -i "$img" "$src/many/"* ::/many/
i=0; while [ $i -lt 500 ]; do mdel -i "$img" "::/many/entry number $i.txt"; i=$((i+5)); done
mren -i "$img" "::/many/entry number 1.txt" "::/many/renamed entry.txt"
`;

mustRun('truncate', ['-s', '128M', image]);
mustRun('mkfs.fat', ['-F', '32', '-n', 'FATREAD', image]);
mustRun('bash', ['-c', env + POPULATE, 'populate', image, src], { timeoutMs: 300_000 });

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

test('volume: FAT32, label, no warnings', () => {
  assert.is(reader.filesystem, 'fat32');
  assert.is(reader.label, 'FATREAD');
  assert.equal(reader.warnings, []);
});

test('mtools (mcopy -s -m of the whole volume) sees the same tree: names, sizes, modification times, sha256', () => {
  const out = join(dir.path, 'mcopy');
  mustRun('bash', ['-c', `${env} mkdir "$2" && mcopy -s -m -i "$1" '::/*' "$2"`, 'x', image, out]);
  try {
    const copied = hostTree(out);
    const ours = project(tree, {});
    assert.equal([...ours.keys()], [...copied.keys()]);
    // mcopy gives directories the time of the copy; files keep theirs.
    for (const [path, seen] of copied) {
      const mine = ours.get(path)!;
      assert.equal(seen.kind === 'directory' ? { ...mine, modifiedMs: undefined } : mine, seen.kind === 'directory' ? { ...seen, modifiedMs: undefined } : seen, path);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('names: long names, 8.3 names with the NT lower-case flags, Unicode', () => {
  for (const p of ['/A long file name.text', '/UPPER.TXT', '/lower.txt', '/MixedCase.Txt', '/Ünïcödé 名前.txt', '/DIR/Sub/deep.txt']) assert.ok(tree.has(p), p);
});

test('sleuthkit (fls -r, icat) lists the same names and extracts the same bytes', () => {
  const theirs = sleuthkitTree(image, { offsetSectors: 0 });
  assert.equal([...tree.keys()].sort(), [...theirs.keys()].filter((p) => !p.startsWith('/FATREAD')).sort());
  for (const [path, seen] of theirs) if (seen.kind === 'file' && tree.has(path)) assert.is(seen.sha256, tree.get(path)!.sha256, path);
});

test('7-Zip extracts the same files', () => {
  const out = join(dir.path, 'x7');
  const r = runTool('7zz', ['x', '-y', `-o${out}`, image]);
  try {
    assert.is(r.status, 0, r.stdout + r.stderr);
    const extracted = project(hostTree(out, { times: false }), { times: false, dirs: false });
    assert.equal(extracted, project(tree, { times: false, dirs: false }));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('deletions and renames', async () => {
  const names: string[] = [];
  for await (const e of reader.list('/many')) names.push(e.name);
  assert.is(names.length, 400);
  assert.ok(names.includes('renamed entry.txt'));
  assert.not.ok(names.includes('entry number 0.txt'));
});

test('a long name whose checksum does not match its 8.3 entry is not used: the 8.3 name is shown', async () => {
  const broken = join(dir.path, 'broken.img');
  copyFileSync(image, broken);
  const bytes = readFileSync(broken);
  const short = bytes.indexOf(Buffer.from('ALONGF~1TEX', 'latin1'));
  assert.ok(short > 0 && short % 32 === 0, 'the 8.3 entry of "A long file name.text"');
  assert.is(bytes[short - 32 + 0x0b], 0x0f, 'a long-name entry before it');
  bytes[short - 32 + 0x0d] ^= 0xff;
  writeFileSync(broken, bytes);
  const t = await openFileTarget({ path: broken, mode: 'read', logicalSectorSize: 512 });
  try {
    const r = await openVolume(t);
    const names: string[] = [];
    for await (const e of r.list('/')) names.push(e.name);
    assert.ok(names.includes('ALONGF~1.TEX'), names.join(', '));
    assert.not.ok(names.includes('A long file name.text'));
  } finally {
    await t.close();
  }
});

test.run();
