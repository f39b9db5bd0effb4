// The FAT inspector: our volumes report what the plan says with no finding; each corruption gives its stable
// code; Windows' boot sector and mkfs.fat's FAT12/16/32 volumes decode; garbage only ever throws GuestdiskError.
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import { formatFat32, planFat32, type Fat32Plan } from '../../src/fs/fat32/index.js';
import { inspectFatVolume } from '../../src/inspect/fs-fat32.js';
import { openMemoryTarget, type MemoryTarget } from '../../src/target/memory-target.js';
import { writeChunks } from '../../src/write/write-chunks.js';
import { makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { fat32Input } from '../fs/fat32/volume-file.js';
import { CORPUS_DIR } from '../helpers/paths.js';

const MiB = 1024 ** 2;

async function volumeOf(plan: Fat32Plan): Promise<MemoryTarget> {
  const target = openMemoryTarget({ sizeBytes: plan.volumeSizeBytes, logicalSectorSize: plan.bytsPerSec });
  const f = formatFat32(plan);
  const stats = { writes: 0, bytesWritten: 0, zeroBytes: 0 };
  const limit = { startBytes: 0, endBytes: plan.volumeSizeBytes, what: 'fat32' };
  for (const group of [f.body(), f.bootBackup(), f.boot()]) await writeChunks(target, group, 0, limit, stats);
  return target;
}

const ctxOf = (plan: Fat32Plan) => ({ partitionStartLba: plan.hiddSec, partitionSizeBytes: plan.volumeSizeBytes });
const codes = (fs: readonly { code: string }[]): string[] => fs.map((f) => f.code).sort();

for (const sector of [512, 4096] as const) {
  for (const label of ['INSPECT ME', undefined]) {
    test(`our ${sector}-byte-sector volume, label ${String(label)}: report = plan, no findings`, async () => {
      const plan = planFat32(fat32Input({ partitionSizeBytes: 300 * MiB, logicalSectorSize: sector, physicalSectorSize: sector, label }));
      const { report, findings } = await inspectFatVolume(await volumeOf(plan), ctxOf(plan));
      assert.equal(findings, []);
      assert.equal(report, {
        type: 'fat32', label: plan.label, rootLabel: plan.label, volumeId: `0x${plan.volId.toString(16).padStart(8, '0')}`,
        oemName: 'MSDOS5.0', bytesPerSector: sector, clusterSize: plan.clusterSize, clusterCount: plan.clusterCount,
        reservedSectors: plan.rsvdSecCnt, fatCount: 2, fatSizeSectors: plan.fatSz32, dataStartLba: plan.dataStartLba,
        volumeSizeBytes: plan.volumeSizeBytes, partitionSizeBytes: plan.volumeSizeBytes, hiddenSectors: plan.hiddSec,
        freeCount: plan.clusterCount - 1, nextFree: 3, freeCountActual: plan.clusterCount - 1,
      });
    });
  }
}

test('each corruption gives its code', async () => {
  const plan = planFat32(fat32Input({ partitionSizeBytes: 64 * MiB, label: 'CORRUPT' }));
  const s = 512;
  const cases: [string, (t: MemoryTarget) => Promise<void>, { partitionStartLba?: number; partitionSizeBytes?: number }?][] = [
    ['FAT_BACKUP_BOOT_DIFFERS', (t) => t.write(6 * s + 0x47, Uint8Array.of(0x41))],
    ['FAT_FSINFO_SIGNATURE', (t) => t.write(1 * s, Uint8Array.of(0, 0, 0, 0))],
    ['FAT_FSINFO_FREE_COUNT', (t) => t.write(1 * s + 0x1e8, Uint8Array.of(1, 0, 0, 0))],
    ['FAT_FATS_DIFFER', (t) => t.write((plan.rsvdSecCnt + plan.fatSz32) * s + 12, Uint8Array.of(0xff, 0xff, 0xff, 0x0f))],
    ['FAT_LABEL_MISMATCH', (t) => t.write(plan.dataStartLba * s, Uint8Array.of(0x58))],
    ['FAT_HIDDEN_SECTORS', async () => {}, { partitionStartLba: 4096 }],
    ['FAT_VOLUME_TOO_LARGE', async () => {}, { partitionSizeBytes: plan.volumeSizeBytes - MiB }],
  ];
  for (const [code, corrupt, ctx] of cases) {
    const t = await volumeOf(plan);
    await corrupt(t);
    const { findings } = await inspectFatVolume(t, { ...ctxOf(plan), ...ctx });
    assert.ok(codes(findings).includes(code), `${code}: ${JSON.stringify(codes(findings))}`);
    const f = findings.find((x) => x.code === code)!;
    assert.is(f.severity, ['FAT_FSINFO_FREE_COUNT', 'FAT_HIDDEN_SECTORS', 'FAT_LABEL_MISMATCH'].includes(code) ? 'warning' : 'error', code);
  }
  // A root cluster that chains into itself is reported, not followed for ever.
  const t = await volumeOf(plan);
  await t.write(plan.dataStartLba * s, new Uint8Array(s).fill(0x41).map((x, i) => (i % 32 === 11 ? 0x20 : x))); // no label, no end
  for (const fat of [0, 1]) await t.write((plan.rsvdSecCnt + fat * plan.fatSz32) * s + 8, Uint8Array.of(2, 0, 0, 0));
  const looped = await inspectFatVolume(t, ctxOf(plan));
  assert.ok(codes(looped.findings).includes('FAT_ROOT_CHAIN'), JSON.stringify(codes(looped.findings)));
});

test('a root directory with its label whose FAT entry points at itself, marks it bad or points past the volume → FAT_ROOT_CHAIN (fsck.fat -n agrees)', async () => {
  const plan = planFat32(fat32Input({ partitionSizeBytes: 64 * MiB, label: 'ROOTCHAIN' }));
  const s = plan.bytsPerSec;
  const dir = makeTempDir('guestdisk-fat-root-chain-');
  try {
    for (const [what, entry] of [['itself', plan.rootClus], ['bad', 0x0ffffff7], ['past the volume', plan.clusterCount + 10]] as const) {
      const t = await volumeOf(plan);
      const bytes = Uint8Array.of(entry & 0xff, (entry >> 8) & 0xff, (entry >> 16) & 0xff, entry >>> 24);
      for (const fat of [0, 1]) await t.write((plan.rsvdSecCnt + fat * plan.fatSz32) * s + 4 * plan.rootClus, bytes);
      const r = await inspectFatVolume(t, ctxOf(plan));
      const chain = r.findings.filter((f) => f.code === 'FAT_ROOT_CHAIN');
      assert.is(chain.length, 1, `${what}: ${JSON.stringify(r.findings)}`);
      assert.is(chain[0].severity, 'error');
      assert.is(r.report.rootLabel, 'ROOTCHAIN', what); // the label is still read from the first cluster
      const path = join(dir.path, 'volume.img');
      writeFileSync(path, await t.read(0, t.sizeBytes));
      const fsck = runTool('fsck.fat', ['-n', path]);
      assert.ok(fsck.status !== 0, `${what}: fsck.fat -n accepts it: ${fsck.stdout}`);
    }
  } finally {
    dir.remove();
  }
});

test('FAT copies are compared whole: a difference in the entry of the last cluster of a 2 GiB volume → FAT_FATS_DIFFER (fsck.fat -n agrees); a next-free hint past the volume → FAT_FSINFO_NEXT_FREE', async () => {
  const plan = planFat32(fat32Input({ partitionSizeBytes: 2048 * MiB, label: 'BIGFAT' }));
  const s = plan.bytsPerSec;
  assert.ok(plan.fatSz32 * s > MiB, `FAT of ${plan.fatSz32 * s} bytes`);
  const t = await volumeOf(plan);
  assert.equal((await inspectFatVolume(t, ctxOf(plan))).findings, []);
  const lastEntryAt = (plan.rsvdSecCnt + plan.fatSz32) * s + 4 * (plan.clusterCount + 1); // FAT 2's entry of the last cluster
  assert.ok(lastEntryAt - (plan.rsvdSecCnt + plan.fatSz32) * s > MiB);
  await t.write(lastEntryAt, Uint8Array.of(0xff, 0xff, 0xff, 0x0f));
  const r = await inspectFatVolume(t, ctxOf(plan));
  assert.equal(r.findings.map((f) => `${f.severity} ${f.code}`), ['error FAT_FATS_DIFFER']);
  assert.is(r.findings[0].offsetBytes, lastEntryAt);
  const dir = makeTempDir('guestdisk-fat-fats-');
  try {
    const path = join(dir.path, 'volume.img');
    const fd = openSync(path, 'w');
    try {
      for (const at of t.touchedChunks()) writeSync(fd, await t.read(at, Math.min(64 * 1024, t.sizeBytes - at)), 0, undefined, at);
      writeSync(fd, new Uint8Array(1), 0, 1, t.sizeBytes - 1);
    } finally {
      closeSync(fd);
    }
    assert.is.not(runTool('fsck.fat', ['-n', path]).status, 0, 'fsck.fat -n accepts FATs that differ');
  } finally {
    dir.remove();
  }
  await t.write(lastEntryAt, new Uint8Array(4));
  await t.write(s + 0x1ec, Uint8Array.of(0x00, 0x00, 0x00, 0x7f)); // FSI_Nxt_Free
  assert.equal((await inspectFatVolume(t, ctxOf(plan))).findings.map((f) => `${f.severity} ${f.code}`), ['warning FAT_FSINFO_NEXT_FREE']);
});

test('no false alarm: mkfs.fat volumes after mtools wrote, deleted and renamed files and directories (fsck.fat -n clean)', async () => {
  for (const tool of ['mkfs.fat', 'mcopy', 'fsck.fat', 'truncate']) requireTool(tool);
  const dir = makeTempDir('guestdisk-fat-mtools-');
  try {
    const path = join(dir.path, 'volume.img');
    const src = join(dir.path, 'src.bin');
    writeFileSync(src, Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff));
    mustRun('truncate', ['-s', '64M', path]);
    mustRun('mkfs.fat', ['-F', '32', '-n', 'MTOOLS', path]);
    const m = (tool: string, ...args: string[]): string => mustRun(tool, ['-i', path, ...args]);
    m('mmd', '::/Reports', '::/Reports/2024');
    for (let i = 0; i < 40; i++) m('mcopy', src, `::/Reports/2024/a long file name number ${i}.bin`);
    m('mcopy', src, '::/SHORT.TXT');
    for (let i = 0; i < 40; i += 3) m('mdel', `::/Reports/2024/a long file name number ${i}.bin`);
    m('mren', '::/SHORT.TXT', '::/renamed with a long name.txt');
    assert.is(runTool('fsck.fat', ['-n', path]).status, 0);
    const bytes = new Uint8Array(readFileSync(path));
    const { report, findings } = await inspectFatVolume(openMemoryTarget({ sizeBytes: bytes.length, initial: bytes }), { partitionStartLba: null, partitionSizeBytes: bytes.length });
    assert.equal(findings, []);
    assert.is(report.type, 'fat32');
  } finally {
    dir.remove();
  }
});

test("Windows' FAT32 boot sector decodes", async () => {
  const bs = new Uint8Array(readFileSync(join(CORPUS_DIR, 'msuhanov-dfir_ntfs', 'fat32_bs.bin')));
  const sizeBytes = 61_282_631 * 512;
  const t = openMemoryTarget({ sizeBytes: Math.ceil(sizeBytes / 512) * 512, initial: bs });
  const { report, findings } = await inspectFatVolume(t, { partitionStartLba: null, partitionSizeBytes: sizeBytes });
  assert.is(report.type, 'fat32');
  assert.is(report.label, null);
  assert.is(report.clusterSize, 16384);
  assert.is(report.reservedSectors, 2860);
  assert.is(report.dataStartLba, 32768);
  assert.is(report.clusterCount, 1_914_058);
  assert.is(report.oemName, 'MSDOS5.0');
  // Only the boot sector exists in the sample: the backup and FSInfo read as zeros.
  assert.ok(codes(findings).includes('FAT_BACKUP_BOOT_DIFFERS'));
  assert.ok(codes(findings).includes('FAT_FSINFO_SIGNATURE'));
});

test('mkfs.fat volumes: FAT12, FAT16 and FAT32 decode with their type and label', async () => {
  const dir = makeTempDir('guestdisk-inspect-fat-');
  try {
    for (const [bits, size, type] of [[12, 4 * MiB, 'fat12'], [16, 64 * MiB, 'fat16'], [32, 64 * MiB, 'fat32']] as const) {
      const path = join(dir.path, `fat${bits}.img`);
      mustRun('truncate', ['-s', String(size), path]);
      mustRun('mkfs.fat', ['-F', String(bits), '-n', `MK${bits}`, '-i', '12345678', path]);
      const t = openMemoryTarget({ sizeBytes: size, initial: new Uint8Array(readFileSync(path)) });
      const { report, findings } = await inspectFatVolume(t, { partitionStartLba: 0, partitionSizeBytes: size });
      assert.is(report.type, type);
      assert.is(report.label, `MK${bits}`);
      assert.is(report.rootLabel, `MK${bits}`);
      assert.is(report.volumeId, '0x12345678');
      assert.equal(findings, [], `${type}: ${JSON.stringify(findings)}`);
    }
  } finally {
    dir.remove();
  }
});

test('garbage: random damage to the first sectors never throws anything but GuestdiskError', async () => {
  const plan = planFat32(fat32Input({ partitionSizeBytes: 64 * MiB, label: 'FUZZ' }));
  const good = await volumeOf(plan);
  const image = await good.read(0, 2 * MiB);
  const root = await good.read(plan.dataStartLba * 512, 512);
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  let threw = 0;
  for (let round = 0; round < 300; round++) {
    const bytes = image.slice();
    const hits = 1 + rand(40);
    for (let i = 0; i < hits; i++) bytes[rand(round % 3 === 0 ? 96 : 8192)] = rand(256);
    if (round % 10 === 0) for (let i = 0; i < 512; i++) bytes[i] = rand(256);
    const t = openMemoryTarget({ sizeBytes: plan.volumeSizeBytes, initial: bytes });
    await t.write(plan.dataStartLba * 512, root);
    try {
      const { report } = await inspectFatVolume(t, ctxOf(plan));
      assert.ok(['fat12', 'fat16', 'fat32'].includes(report.type));
    } catch (e) {
      if (!(e instanceof GuestdiskError)) throw new Error(`round ${round}: ${String(e)}`);
      threw++;
    }
  }
  assert.ok(threw > 0 && threw < 300, `${threw} of 300 rejected`);
  // Too small to hold a boot sector.
  try {
    await inspectFatVolume(openMemoryTarget({ sizeBytes: 512 }), { partitionStartLba: 0, partitionSizeBytes: 512 });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, GuestdiskError);
  }
});

test.run();
