// The Windows-made images of ../shared/corpus (README there), unpacked to a temporary directory: `inspect --json`
// of each equals its golden in fixtures/inspect/corpus/, and the known facts and defects are found.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runInspect } from '../../src/cli/inspect.js';
import { runVerify } from '../../src/cli/verify.js';
import type { CliIo } from '../../src/cli/create.js';
import type { DiskReport, VerifyReport } from '../../src/inspect/report.js';
import { makeTempDir, requireTool } from '../helpers/tools.js';
import { CORPUS_DIR } from '../helpers/paths.js';

const CORPUS = CORPUS_DIR;
const GOLDEN = new URL('../../fixtures/inspect/corpus/', import.meta.url);

/** Image → how to unpack it (GNU tar keeps the big ones sparse; gzip output goes through dd conv=sparse). */
const IMAGES: readonly { name: string; source: string; unpack: 'gzip' | 'tar' | 'tgz' | 'copy' }[] = [
  { name: 'mbr-win-512.raw', source: 'msuhanov-dfir_ntfs/mbr-win-512.raw.tgz', unpack: 'tar' },
  { name: 'ntfs_index.raw', source: 'msuhanov-dfir_ntfs/ntfs_index.raw.gz', unpack: 'gzip' },
  { name: 'ntfs-lastaccess.raw', source: 'msuhanov-ntfs-samples/ntfs-lastaccess.raw.gz', unpack: 'gzip' },
  { name: 'ntfs-2m.raw', source: 'msuhanov-ntfs-samples/ntfs-2m.raw.gz', unpack: 'gzip' },
  { name: 'ntfs.raw', source: 'msuhanov-ntfs-samples/ntfs.tgz', unpack: 'tgz' },
  { name: 'vss_2003.raw', source: 'msuhanov-dfir_ntfs/vss_2003.tgz', unpack: 'tgz' },
  { name: 'ntfs.bin', source: 'dissect-ntfs/ntfs.bin.gz', unpack: 'gzip' },
  { name: 'ntfs-cloud.bin', source: 'dissect-ntfs/ntfs-cloud.bin.gz', unpack: 'gzip' },
  { name: 'exfat_win.raw', source: 'msuhanov-dfir_ntfs/exfat_win.raw.gz', unpack: 'gzip' },
  { name: 'exfat_encrypted.raw', source: 'msuhanov-dfir_ntfs/exfat_encrypted.raw.gz', unpack: 'gzip' },
  { name: 'win_exfat_7.raw', source: 'msuhanov-dfir_ntfs/win_exfat_7.raw.gz', unpack: 'gzip' },
  { name: 'exfat.bin', source: 'dissect-fat/exfat.bin', unpack: 'copy' },
];

for (const tool of ['tar', 'gzip', 'dd', 'sh']) requireTool(tool);
const dir = makeTempDir('guestdisk-inspect-corpus-');

function run(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: dir.path, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} exited ${code}: ${err}`))));
  });
}

function unpack(image: (typeof IMAGES)[number]): Promise<void> {
  const source = join(CORPUS, image.source);
  if (!existsSync(source)) throw new Error(`corpus file ${source} is missing (see ${CORPUS}/README.md)`);
  switch (image.unpack) {
    case 'tar': return run(['tar', '-xf', source]);
    case 'tgz': return run(['tar', '-xzf', source]);
    case 'copy': return run(['cp', source, image.name]);
    case 'gzip': return run(['sh', '-c', 'gzip -dc "$1" | dd of="$2" bs=1M conv=sparse status=none', 'sh', source, image.name]);
  }
}

// Two at a time: the CI machine has two cores.
const queue = [...IMAGES];
await Promise.all([0, 1].map(async () => { for (let i = queue.shift(); i; i = queue.shift()) await unpack(i); }));

function captureIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), env: {}, now: () => 0, interrupted: () => null };
}

async function inspect(name: string): Promise<DiskReport> {
  const io = captureIo();
  assert.is(await runInspect(join(dir.path, name), { json: true }, io), 0, io.err.join(''));
  const report = JSON.parse(io.out.join('')) as DiskReport & { target: string };
  return { ...report, target: basename(report.target) };
}

async function verify(name: string): Promise<{ exit: number; report: VerifyReport }> {
  const io = captureIo();
  const exit = await runVerify(join(dir.path, name), { json: true }, io);
  return { exit, report: JSON.parse(io.out.join('')) as VerifyReport };
}

const codes = (r: { findings: readonly { code: string }[] }): string[] => r.findings.map((f) => f.code);

for (const image of IMAGES) {
  test(`${image.name}: inspect --json equals fixtures/inspect/corpus/${image.name}.json`, async () => {
    const report = await inspect(image.name);
    assert.is(report.logicalSectorSize, 512);
    const file = new URL(`${image.name}.json`, GOLDEN);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    assert.equal(report, JSON.parse(readFileSync(file, 'utf8')));
  });
}

test('mbr-win-512.raw: 3 primary + extended with 4 logical partitions through the EBR chain, 64 KiB aligned', async () => {
  const r = await inspect('mbr-win-512.raw');
  assert.ok(r.table.kind === 'mbr' && r.table.diskSignature === '0x882edd52' && r.table.logicalPartitionCount === 4);
  assert.equal(r.partitions.map((p) => p.number), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(r.partitions.filter((p) => p.logical).map((p) => p.startLba), [49408, 65920, 82432, 98944]);
  assert.ok(r.partitions[3].extended && r.partitions[3].type.mbrType === 0x05);
  assert.ok(r.partitions.every((p) => p.alignmentBytes >= 64 * 1024 && !p.aligned1MiB));
  assert.not.ok(codes(r).includes('MBR_EXTENDED_CHAIN'));
  assert.not.ok(codes(r).includes('PARTITION_OVERLAP'));
});

test('Windows MBR NTFS disks: label, cluster size, hidden sectors = partition start; verify has no error', async () => {
  const cases = [
    ['ntfs.raw', 'Test volume', 4096, 2048], ['ntfs_index.raw', 'Test index', 2048, 128], ['ntfs-lastaccess.raw', 'Last access', 4096, 128],
    ['ntfs-2m.raw', '2M', 2 * 1024 * 1024, 128], ['vss_2003.raw', 'Новый том', 4096, 63],
  ] as const;
  for (const [name, label, clusterSize, start] of cases) {
    const r = await inspect(name);
    const fs = r.partitions[0].filesystem;
    assert.is(fs?.type, 'ntfs', name);
    assert.is(fs?.label, label, name);
    assert.is(fs?.details?.clusterSize, clusterSize, name);
    assert.is(r.partitions[0].startLba, start, name);
    assert.is(fs?.details?.type === 'ntfs' && fs.details.hiddenSectors, start, name);
    const v = await verify(name);
    assert.is(v.exit, 0, `${name}: ${JSON.stringify(v.report.findings)}`);
    assert.equal(codes(v.report).filter((c) => c !== 'PARTITION_NOT_ALIGNED'), [], name);
  }
});

test('bare Windows volumes are superfloppies (error), and ntfs-cloud.bin lacks its backup boot sector', async () => {
  for (const name of ['ntfs.bin', 'ntfs-cloud.bin', 'exfat_win.raw', 'exfat_encrypted.raw', 'win_exfat_7.raw', 'exfat.bin']) {
    const v = await verify(name);
    assert.is(v.exit, 1, name);
    assert.is(v.report.findings[0].code, 'SUPERFLOPPY', name);
  }
  assert.ok(codes((await verify('ntfs-cloud.bin')).report).includes('NTFS_BACKUP_BOOT_MISSING'));
  assert.is((await inspect('ntfs.bin')).wholeDiskFilesystem?.label, 'New Volume');
  assert.is((await inspect('exfat_win.raw')).wholeDiskFilesystem?.type, 'exfat');
  assert.is((await inspect('exfat_win.raw')).wholeDiskFilesystem?.label, 'test123');
  assert.is((await inspect('exfat_encrypted.raw')).wholeDiskFilesystem?.label, 'encrypted');
  assert.is((await inspect('exfat.bin')).wholeDiskFilesystem?.label, 'THESIS');
  // win_exfat_7's main boot sector is damaged on purpose: reported, and the volume still read (from the backup).
  const w7 = await inspect('win_exfat_7.raw');
  assert.ok(codes(w7).includes('EXFAT_BOOT_CHECKSUM'), JSON.stringify(codes(w7)));
  assert.is(w7.wholeDiskFilesystem?.type, 'exfat');
});

test.after(() => dir.remove());
test.run();
