// The FAT32 whole-volume walk: no error finding on volumes mkfs.fat, mtools and guestdisk made (files, long
// names, subdirectories, deletions, renames), and each kind of damage, made by editing the image's bytes, reported
// with its code; where fsck.fat -n calls the volume damaged, verify reports an error too.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inspectFatVolume } from '../../src/inspect/fs-fat32.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { mustCli, runCli } from '../helpers/cli.js';
import { makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';

for (const t of ['mkfs.fat', 'fsck.fat', 'mcopy', 'mmd', 'mdel', 'mren', 'truncate']) requireTool(t);

const dir = makeTempDir('guestdisk-fat-walk-');
test.after(() => dir.remove());
const mtools = (tool: string, ...args: string[]): void => { mustRun('env', ['MTOOLS_SKIP_CHECK=1', tool, ...args]); };

const src = join(dir.path, 'src');
mkdirSync(join(src, 'sub', 'deeper'), { recursive: true });
writeFileSync(join(src, 'big.bin'), Buffer.alloc(5000, 7));
writeFileSync(join(src, 'sub', 'a.txt'), 'hi\n');
writeFileSync(join(src, 'sub', 'deeper', 'Long Name File.txt'), 'x\n');
writeFileSync(join(src, 'empty.txt'), '');

/** mkfs.fat with 512-byte clusters, then mtools: a tree, an empty directory, a long name renamed, a file deleted. */
const image = join(dir.path, 'mtools.img');
mustRun('truncate', ['-s', '40M', image]);
mustRun('mkfs.fat', ['-F', '32', '-s', '1', '-n', 'WALK', image]);
mtools('mcopy', '-i', image, '-s', src, '::/tree');
mtools('mmd', '-i', image, '::/Empty');
mtools('mcopy', '-i', image, join(src, 'big.bin'), '::/A long name.bin');
mtools('mcopy', '-i', image, join(src, 'big.bin'), '::/DELME.BIN');
mtools('mdel', '-i', image, '::/DELME.BIN');
mtools('mren', '-i', image, '::/A long name.bin', '::/Renamed long.bin');

async function findingsOf(file: string): Promise<{ code: string; severity: string }[]> {
  const bytes = readFileSync(file);
  const t = openMemoryTarget({ sizeBytes: bytes.length });
  await t.write(0, bytes);
  return [...(await inspectFatVolume(t, { partitionStartLba: null, partitionSizeBytes: bytes.length })).findings];
}
const errorsOf = (fs: readonly { code: string; severity: string }[]): string[] => fs.filter((f) => f.severity === 'error').map((f) => f.code);
const fsckClean = (file: string): boolean => runTool('fsck.fat', ['-n', file]).status === 0;

const img = readFileSync(image);
const u16 = (at: number): number => img.readUInt16LE(at);
const u32 = (at: number): number => img.readUInt32LE(at);
const rsvd = u16(14);
const fatSz = u32(36);
const numFats = img[16];
const dataStart = (rsvd + numFats * fatSz) * 512;
const fatAt = (i: number): number => (rsvd + i * fatSz) * 512;
/** The volume byte of the 8.3 entry with this 11-byte name (the first one in the data region). */
const entryOf = (name: string): number => {
  const at = img.indexOf(Buffer.from(name, 'latin1'), dataStart);
  assert.ok(at > 0 && (at - dataStart) % 32 === 0, `entry ${name}`);
  return at;
};
const firstCluster = (entry: number): number => (u16(entry + 0x14) << 16) | u16(entry + 0x1a);

test('mkfs.fat + mtools (tree, empty directory, rename, delete): fsck.fat clean, no finding at all', async () => {
  assert.ok(fsckClean(image), runTool('fsck.fat', ['-n', image]).stdout);
  assert.equal(await findingsOf(image), []);
});

test('guestdisk create --fs fat32, empty and with --copy-from: verify reports no error', async () => {
  for (const copy of [[], ['--copy-from', src]]) {
    const disk = join(dir.path, `created-${copy.length}.img`);
    await mustCli(['create', disk, '--size', '64M', '--fs', 'fat32', ...copy, '--seed', 's', '--timestamp', '1700000000']);
    const r = await runCli(['verify', '--json', disk]);
    assert.is(r.status, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as { errors: number; findings: unknown[] };
    assert.is(report.errors, 0, r.stdout);
    assert.equal(report.findings, [], r.stdout);
  }
});

/** Each damage: bytes written into a copy of the mtools volume (into every FAT copy when it edits the FAT). */
const big = entryOf('BIG     BIN');
const renamed = entryOf('RENAME~1BIN');
const lastCluster = Math.floor((img.length - dataStart) / 512) + 1;
const fatEntry = (cluster: number, value: number): [number, Buffer][] =>
  Array.from({ length: numFats }, (_, i) => { const b = Buffer.alloc(4); b.writeUInt32LE(value); return [fatAt(i) + cluster * 4, b]; });
const u32le = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
/** Code, edits, and whether fsck.fat -n calls the result damaged (it passes an orphan long name over in silence). */
const cases: [string, [number, Buffer][], boolean][] = [
  ['FAT_CHAIN_SIZE_MISMATCH', [[big + 0x1c, u32le(100)]], true],
  ['FAT_CROSS_LINKED', [[renamed + 0x1a, Buffer.from([firstCluster(big) & 0xff, firstCluster(big) >> 8])], [renamed + 0x14, Buffer.from([firstCluster(big) >> 16 & 0xff, firstCluster(big) >> 24])]], true],
  ['FAT_CHAIN_INVALID', fatEntry(firstCluster(big), 0), true],
  ['FAT_CHAIN_INVALID', fatEntry(firstCluster(big), 0x0ffffff7), true],
  ['FAT_CHAIN_INVALID', fatEntry(firstCluster(big), lastCluster + 5), true],
  ['FAT_LOST_CLUSTERS', fatEntry(lastCluster - 10, 0x0fffffff), true],
  ['FAT_LFN_CHECKSUM', [[renamed - 32 + 0x0d, Buffer.from([img[renamed - 32 + 0x0d] ^ 0x55])]], false],
];

for (const [code, edits, fsckDamaged] of cases) {
  test(`damage: ${code} (${edits.map(([at]) => at).join(', ')})`, async () => {
    const file = join(dir.path, `${code}.img`);
    copyFileSync(image, file);
    const bytes = readFileSync(file);
    for (const [at, b] of edits) b.copy(bytes, at);
    writeFileSync(file, bytes);
    const findings = await findingsOf(file);
    assert.ok(findings.some((f) => f.code === code), JSON.stringify(findings));
    assert.is(!fsckClean(file), fsckDamaged, runTool('fsck.fat', ['-n', file]).stdout);
    if (fsckDamaged) assert.ok(errorsOf(findings).includes(code), `fsck.fat -n reports damage, verify no error: ${JSON.stringify(findings)}`);
  });
}

test.run();
