import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import { BOOT_CHECKSUM_SECTOR, BOOT_REGION_SECTORS } from '../../src/fs/exfat/boot-region.js';
import { bootRegionChecksum } from '../../src/fs/exfat/checksum.js';
import { planExfat, type ExfatPlan } from '../../src/fs/exfat/index.js';
import { inspectExfatVolume } from '../../src/inspect/fs-exfat.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { EXFAT_CORPUS, loadCorpusVolume } from '../fs/exfat/corpus.js';
import { exfatInput, formatToMemory } from '../fs/exfat/helpers.js';
import { attachLoop, makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';

const MIB = 1024 * 1024;

async function formatted(plan: ExfatPlan): Promise<Uint8Array> {
  const t = await formatToMemory(plan);
  return t.read(0, plan.volumeSizeBytes);
}

async function inspectBytes(bytes: Uint8Array, ctx: { partitionStartLba: number | null; partitionSizeBytes?: number }, sector: 512 | 4096 = 512) {
  const t = openMemoryTarget({ sizeBytes: bytes.length, logicalSectorSize: sector, initial: bytes });
  return inspectExfatVolume(t, { partitionStartLba: ctx.partitionStartLba, partitionSizeBytes: ctx.partitionSizeBytes ?? bytes.length });
}

const codes = (fs: readonly { code: string }[]): string[] => fs.map((f) => f.code);

test('our volumes: no findings, and the report says what the plan says (512 and 4096)', async () => {
  for (const sector of [512, 4096] as const) {
    const plan = planExfat(exfatInput({ partitionSizeBytes: 16 * MIB, logicalSectorSize: sector, label: 'Données' }));
    const { report, findings } = await inspectBytes(await formatted(plan), { partitionStartLba: 2048 }, sector);
    assert.equal(findings, []);
    assert.equal(report, {
      type: 'exfat', label: 'Données', volumeGuid: null, serial: plan.volumeSerialNumber.toString(16).padStart(8, '0'), bytesPerSector: sector,
      clusterSize: plan.clusterSize, clusterCount: plan.clusterCount, volumeSizeBytes: plan.volumeSizeBytes, partitionSizeBytes: plan.volumeSizeBytes,
      partitionOffset: 2048, percentInUse: plan.percentInUse, volumeFlags: 0, usedBackupBootRegion: false,
    });
    const unlabelled = planExfat(exfatInput({ partitionSizeBytes: 16 * MIB, logicalSectorSize: sector, label: undefined }));
    assert.is((await inspectBytes(await formatted(unlabelled), { partitionStartLba: 2048 }, sector)).report.label, null);
  }
});

test('corpus: Windows volumes inspect clean; win_exfat_7 is read from its backup boot region', async () => {
  const win = await inspectBytes(loadCorpusVolume(EXFAT_CORPUS.exfatWin), { partitionStartLba: null });
  assert.equal(win.findings, []);
  assert.is(win.report.label, 'test123'); // set after formatting: the first label entry is the unused 0x03
  assert.is(win.report.percentInUse, 54);
  assert.is(win.report.serial, '405e4ea6');
  const enc = await inspectBytes(loadCorpusVolume(EXFAT_CORPUS.exfatEncrypted), { partitionStartLba: null });
  assert.equal(enc.findings, []);
  assert.is(enc.report.label, 'encrypted');
  assert.is(enc.report.clusterSize, 4096);
  const w7 = await inspectBytes(loadCorpusVolume(EXFAT_CORPUS.winExfat7), { partitionStartLba: null });
  assert.is(w7.report.usedBackupBootRegion, true);
  assert.equal(codes(w7.findings), ['EXFAT_BOOT_CHECKSUM']);
  assert.is(w7.report.serial, '947889e1');
  const dissect = loadCorpusVolume(EXFAT_CORPUS.dissect);
  assert.equal((await inspectBytes(dissect, { partitionStartLba: 2048 })).findings, []);
  const moved = await inspectBytes(dissect, { partitionStartLba: 128 });
  assert.equal(codes(moved.findings), ['EXFAT_PARTITION_OFFSET']);
  assert.is(moved.findings[0].severity, 'warning');
});

test('damage: each finding code appears for its damage', async () => {
  const plan = planExfat(exfatInput({ partitionSizeBytes: 8 * MIB }));
  const good = await formatted(plan);
  const damaged = (fn: (b: Uint8Array) => void): Uint8Array => {
    const b = good.slice();
    fn(b);
    return b;
  };
  // main region checksum: backup used, and said so
  const r1 = await inspectBytes(damaged((b) => { b[0x64] ^= 0xff; }), { partitionStartLba: 2048 });
  assert.equal(codes(r1.findings), ['EXFAT_BOOT_CHECKSUM']);
  assert.is(r1.report.usedBackupBootRegion, true);
  assert.is(r1.report.serial, plan.volumeSerialNumber.toString(16).padStart(8, '0'));
  // main boot sector unusable
  const r2 = await inspectBytes(damaged((b) => { b.fill(0, 0, 512); }), { partitionStartLba: 2048 });
  assert.equal(codes(r2.findings), ['EXFAT_BOOT_SECTOR_BAD']);
  // backup differs (outside VolumeFlags / PercentInUse)
  const r3 = await inspectBytes(damaged((b) => { b[12 * 512 + 0x64] ^= 1; }), { partitionStartLba: 2048 });
  assert.equal(codes(r3.findings), ['EXFAT_BACKUP_BOOT_DIFFERS', 'EXFAT_BACKUP_BOOT_CHECKSUM']);
  // ... and with its checksum sector rewritten to match, the backup only differs
  const r3b = await inspectBytes(damaged((b) => {
    const backup = b.subarray(BOOT_REGION_SECTORS * 512, 2 * BOOT_REGION_SECTORS * 512);
    backup[0x64] ^= 1;
    const sum = bootRegionChecksum(backup, 512);
    for (let at = BOOT_CHECKSUM_SECTOR * 512; at < (BOOT_CHECKSUM_SECTOR + 1) * 512; at += 4) backup.set(Uint8Array.of(sum & 0xff, (sum >>> 8) & 0xff, (sum >>> 16) & 0xff, sum >>> 24), at);
  }), { partitionStartLba: 2048 });
  assert.equal(codes(r3b.findings), ['EXFAT_BACKUP_BOOT_DIFFERS']);
  // PercentInUse and VolumeFlags may differ in the main region only
  const r4 = await inspectBytes(damaged((b) => { b[0x70] = 42; }), { partitionStartLba: 2048 });
  assert.equal(r4.findings, []);
  assert.is(r4.report.percentInUse, 42);
  const r5 = await inspectBytes(damaged((b) => { b[0x6a] = 2; }), { partitionStartLba: 2048 });
  assert.equal(codes(r5.findings), ['EXFAT_VOLUME_DIRTY']);
  // partition offset, volume larger than the partition
  assert.equal(codes((await inspectBytes(good, { partitionStartLba: 63 })).findings), ['EXFAT_PARTITION_OFFSET']);
  assert.equal(codes((await inspectBytes(good, { partitionStartLba: 2048, partitionSizeBytes: good.length - 512 })).findings), ['EXFAT_VOLUME_TOO_LARGE']);
  // up-case table
  const upcaseAt = plan.clusterHeapOffset * 512 + (plan.upcaseFirstCluster - 2) * plan.clusterSize;
  const r6 = await inspectBytes(damaged((b) => { b[upcaseAt + 100] ^= 1; }), { partitionStartLba: 2048 });
  assert.equal(codes(r6.findings), ['EXFAT_UPCASE_CHECKSUM']);
  // root directory without its critical entries
  const rootAt = plan.clusterHeapOffset * 512 + (plan.firstClusterOfRootDirectory - 2) * plan.clusterSize;
  const r7 = await inspectBytes(damaged((b) => { b.fill(0, rootAt, rootAt + 96); }), { partitionStartLba: 2048 });
  assert.equal(codes(r7.findings), ['EXFAT_ROOT_METADATA_MISSING']);
  // both regions gone: an error, not a report
  let threw: unknown = null;
  try { await inspectBytes(damaged((b) => { b.fill(0, 0, 24 * 512); }), { partitionStartLba: 2048 }); } catch (e) { threw = e; }
  assert.instance(threw, GuestdiskError);
  assert.is((threw as GuestdiskError).code, 'CORRUPT_STRUCTURE');
});

test('no false alarm: an mkfs.exfat volume after exfat-fuse wrote, deleted and renamed files (fsck.exfat -n clean)', async () => {
  for (const tool of ['mkfs.exfat', 'mount.exfat-fuse', 'fusermount3', 'fsck.exfat', 'truncate']) requireTool(tool);
  const dir = makeTempDir('guestdisk-exfat-fuse-');
  const mnt = join(dir.path, 'mnt');
  try {
    const path = join(dir.path, 'volume.img');
    mkdirSync(mnt);
    mustRun('truncate', ['-s', '32M', path]);
    mustRun('mkfs.exfat', ['-L', 'FUSED', path]);
    const loop = attachLoop(path, { readOnly: false }); // exfat-fuse mounts block devices only
    try {
      mustRun('mount.exfat-fuse', [loop.device, mnt]);
      mkdirSync(join(mnt, 'Reports'));
      for (let i = 0; i < 60; i++) writeFileSync(join(mnt, 'Reports', `report number ${i} with a long name.txt`), `report ${i}\n`.repeat(i * 50));
      for (let i = 0; i < 60; i += 4) unlinkSync(join(mnt, 'Reports', `report number ${i} with a long name.txt`));
      renameSync(join(mnt, 'Reports', 'report number 1 with a long name.txt'), join(mnt, 'moved.txt'));
    } finally {
      runTool('fusermount3', ['-u', mnt]);
      loop.detach();
    }
    assert.is(runTool('fsck.exfat', ['-n', path]).status, 0);
    const bytes = new Uint8Array(readFileSync(path));
    const { report, findings } = await inspectBytes(bytes, { partitionStartLba: null });
    assert.equal(findings, []);
    assert.is(report.label, 'FUSED');
  } finally {
    dir.remove();
  }
});

test('garbage: random damage to boot regions, FAT and root gives findings or GuestdiskError, never anything else', async () => {
  const plan = planExfat(exfatInput({ partitionSizeBytes: 2 * MIB }));
  const good = await formatted(plan);
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const hot = [0, 12 * 512, plan.fatOffset * 512, plan.clusterHeapOffset * 512 + (plan.firstClusterOfRootDirectory - 2) * plan.clusterSize];
  for (let i = 0; i < 300; i++) {
    const b = good.slice();
    const edits = 1 + rand(40);
    for (let k = 0; k < edits; k++) b[hot[rand(hot.length)] + rand(512)] = rand(256);
    if (i % 3 === 0) b.set(b.subarray(0, 12 * 512), 12 * 512); // damage both regions alike
    try {
      const r = await inspectBytes(b, { partitionStartLba: 2048 });
      assert.type(r.report.clusterCount, 'number');
    } catch (e) {
      assert.instance(e, GuestdiskError, String(e));
    }
  }
  for (const size of [512, 4096, 12 * 512, 25 * 512]) {
    try {
      await inspectBytes(good.slice(0, size), { partitionStartLba: null });
    } catch (e) {
      assert.instance(e, GuestdiskError, String(e));
    }
  }
  const noise = new Uint8Array(MIB);
  for (let i = 0; i < noise.length; i++) noise[i] = rand(256);
  try {
    await inspectBytes(noise, { partitionStartLba: null });
  } catch (e) {
    assert.instance(e, GuestdiskError);
  }
});

test.run();
