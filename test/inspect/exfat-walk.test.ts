// The exFAT whole-volume walk: no error finding on volumes mkfs.exfat + exfat-fuse and guestdisk made (files,
// subdirectories, deletions, renames, a file grown after another was written), and each kind of damage, made by
// editing the image's bytes, reported with its code; where fsck.exfat -n calls the volume damaged, verify reports
// an error too.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, appendFileSync, cpSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { entrySetChecksum } from '../../src/fs/exfat/checksum.js';
import { inspectExfatVolume } from '../../src/inspect/fs-exfat.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { mustCli, runCli } from '../helpers/cli.js';
import { attachLoop, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';

for (const t of ['mkfs.exfat', 'fsck.exfat', 'mount.exfat-fuse', 'losetup', 'truncate']) requireTool(t);

const dir = makeTempDir('guestdisk-exfat-walk-');
test.after(() => dir.remove());

const src = join(dir.path, 'src');
mkdirSync(join(src, 'sub', 'deeper'), { recursive: true });
writeFileSync(join(src, 'big.bin'), Buffer.alloc(50_000, 7));
writeFileSync(join(src, 'sub', 'a.txt'), 'hi\n');
writeFileSync(join(src, 'sub', 'deeper', 'Long Name File.txt'), 'x\n');
writeFileSync(join(src, 'empty.txt'), '');

/** mkfs.exfat with 4 KiB clusters, then exfat-fuse: a tree, an empty directory, a rename, a deletion, a fragmented file. */
const image = join(dir.path, 'fuse.img');
mustRun('truncate', ['-s', '64M', image]);
mustRun('mkfs.exfat', ['-c', '4096', '-L', 'WALK', image]);
{
  const mnt = join(dir.path, 'mnt');
  mkdirSync(mnt);
  const loop = attachLoop(image, { readOnly: false });
  try {
    mustRun('mount.exfat-fuse', [loop.device, mnt]);
    try {
      cpSync(src, join(mnt, 'tree'), { recursive: true });
      mkdirSync(join(mnt, 'Empty'));
      copyFileSync(join(src, 'big.bin'), join(mnt, 'A long name.bin'));
      copyFileSync(join(src, 'big.bin'), join(mnt, 'del.bin'));
      rmSync(join(mnt, 'del.bin'));
      renameSync(join(mnt, 'A long name.bin'), join(mnt, 'Renamed long.bin'));
      writeFileSync(join(mnt, 'frag1'), Buffer.alloc(300_000, 1));
      writeFileSync(join(mnt, 'small'), Buffer.alloc(9000, 2));
      appendFileSync(join(mnt, 'frag1'), Buffer.alloc(9000, 3));
    } finally {
      mustRun('umount', [mnt]);
    }
  } finally {
    loop.detach();
  }
}

async function findingsOf(file: string): Promise<{ code: string; severity: string }[]> {
  const bytes = readFileSync(file);
  const t = openMemoryTarget({ sizeBytes: bytes.length });
  await t.write(0, bytes);
  return [...(await inspectExfatVolume(t, { partitionStartLba: null, partitionSizeBytes: bytes.length })).findings];
}
const errorsOf = (fs: readonly { code: string; severity: string }[]): string[] => fs.filter((f) => f.severity === 'error').map((f) => f.code);
const fsckClean = (file: string): boolean => runTool('fsck.exfat', ['-n', file]).status === 0;

test('mkfs.exfat + exfat-fuse (tree, empty directory, rename, delete, fragments): fsck.exfat clean, no finding at all', async () => {
  assert.ok(fsckClean(image), runTool('fsck.exfat', ['-n', image]).stdout);
  assert.equal(await findingsOf(image), []);
});

test('guestdisk create --fs exfat, empty and with --copy-from: verify reports no finding', async () => {
  for (const copy of [[], ['--copy-from', src]]) {
    const disk = join(dir.path, `created-${copy.length}.img`);
    await mustCli(['create', disk, '--size', '64M', '--fs', 'exfat', ...copy, '--seed', 's', '--timestamp', '1700000000']);
    const r = await runCli(['verify', '--json', disk]);
    assert.is(r.status, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as { errors: number; findings: unknown[] };
    assert.is(report.errors, 0, r.stdout);
    assert.equal(report.findings, [], r.stdout);
  }
});

const img = readFileSync(image);
const bps = 2 ** img[0x6c];
const clusterSize = bps * 2 ** img[0x6d];
const heapAt = img.readUInt32LE(0x58) * bps;
const clusterCount = img.readUInt32LE(0x5c);
const clusterAt = (c: number): number => heapAt + (c - 2) * clusterSize;
/** The volume byte of the File entry whose set holds this (single name entry) name. */
const setOf = (name: string): number => {
  const at = img.indexOf(Buffer.from(name, 'utf16le'), heapAt);
  assert.ok(at > 0 && (at - heapAt) % 32 === 2, `entry set of ${name}`);
  return at - 2 - 64;
};
const root = clusterAt(img.readUInt32LE(0x60));
let bitmapAt = -1;
for (let o = root; o < root + clusterSize; o += 32) if (img[o] === 0x81) { bitmapAt = clusterAt(img.readUInt32LE(o + 0x14)); break; }
const small = setOf('small');
const frag = setOf('frag1');
const firstOf = (set: number): number => img.readUInt32LE(set + 32 + 0x14);

/** Edits into a copy of the image; `resum` rewrites the set checksum of the entry set at that byte afterwards. */
type Edit = { at: number; bytes: Buffer; resum?: number };
const u32 = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
const bit = (c: number, on: boolean): Edit => {
  const at = bitmapAt + ((c - 2) >> 3);
  const mask = 1 << ((c - 2) & 7);
  return { at, bytes: Buffer.from([on ? img[at] | mask : img[at] & ~mask]) };
};
/** Code, edits, and whether fsck.exfat -n calls the result damaged (it passes a leaked bitmap bit over in silence). */
const cases: [string, Edit[], boolean][] = [
  ['EXFAT_ENTRY_SET_CHECKSUM', [{ at: small + 2, bytes: Buffer.from([img[small + 2] ^ 0x5a]) }], true],
  ['EXFAT_NAME_HASH', [{ at: small + 32 + 4, bytes: Buffer.from([img[small + 32 + 4] ^ 0x5a]), resum: small }], true],
  ['EXFAT_CROSS_LINKED', [{ at: small + 32 + 0x14, bytes: u32(firstOf(frag)), resum: small }], true],
  ['EXFAT_CHAIN_INVALID', [{ at: small + 32 + 0x14, bytes: u32(clusterCount + 10), resum: small }], true],
  ['EXFAT_BITMAP_IN_USE_FREE', [bit(firstOf(small), false)], true],
  ['EXFAT_BITMAP_LEAK', [bit(clusterCount - 5, true)], false],
];

for (const [code, edits, fsckDamaged] of cases) {
  test(`damage: ${code}`, async () => {
    const file = join(dir.path, `${code}.img`);
    const bytes = Buffer.from(img);
    for (const e of edits) {
      e.bytes.copy(bytes, e.at);
      if (e.resum !== undefined) {
        const count = bytes[e.resum + 1] + 1;
        bytes.writeUInt16LE(entrySetChecksum(bytes.subarray(e.resum, e.resum + count * 32)), e.resum + 2);
      }
    }
    writeFileSync(file, bytes);
    const findings = await findingsOf(file);
    assert.ok(findings.some((f) => f.code === code), JSON.stringify(findings));
    assert.is(!fsckClean(file), fsckDamaged, runTool('fsck.exfat', ['-n', file]).stdout);
    if (fsckDamaged) assert.ok(errorsOf(findings).includes(code), `fsck.exfat -n reports damage, verify no error: ${JSON.stringify(findings)}`);
  });
}

test.run();
