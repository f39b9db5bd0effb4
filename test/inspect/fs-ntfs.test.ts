import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createReadStream, linkSync, mkdirSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { join } from 'node:path';
import { isGuestdiskError } from '../../src/errors.js';
import { ATTR_TYPE } from '../../src/fs/ntfs/attribute-types.js';
import { decodeAttributes } from '../../src/fs/ntfs/attributes/attribute-header.js';
import { applyFixups } from '../../src/fs/ntfs/fixup.js';
import { decodeMftRecord, MFT_RECORD_HEADER } from '../../src/fs/ntfs/mft-record.js';
import { MFT_RECORD_FLAG } from '../../src/fs/ntfs/attribute-types.js';
import { NTFS_BOOT_SECTOR, decodeClustersPerRecord, decodeSectorsPerCluster } from '../../src/fs/ntfs/boot-sector.js';
import { decodeRunlist } from '../../src/fs/ntfs/runlist.js';
import { inspectNtfsVolume } from '../../src/inspect/fs-ntfs.js';
import { sliceTarget, type BlockTarget } from '../../src/target/block-target.js';
import { openMemoryTarget, type MemoryTarget } from '../../src/target/memory-target.js';
import { CORPUS_DIR, SHARED_DIR } from '../helpers/paths.js';
import { makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';

/** The chkdsk-like yardstick (see its README): exit 0 = "Clean, No errors found". */
const NTFSCK = join(SHARED_DIR, 'tools', 'ntfsck', 'ntfsck');
import { MIB, ntfsInput, planNtfs, writeVolumeFile, writeVolumeMemory } from '../fs/ntfs/volume-helpers.js';

const codes = (findings: readonly { code: string }[]): string[] => findings.map((f) => f.code).sort();

async function ours(overrides: Parameters<typeof ntfsInput>[0] = {}): Promise<{ target: MemoryTarget; plan: ReturnType<typeof planNtfs> }> {
  const plan = planNtfs(ntfsInput(overrides));
  return { target: await writeVolumeMemory(plan), plan };
}

/** Unpacks a gzip file from the corpus into a sparse memory target (only non-zero 64 KiB blocks are kept). */
async function gunzipToMemory(path: string, sizeBytes: number): Promise<MemoryTarget> {
  const target = openMemoryTarget({ sizeBytes });
  let at = 0;
  const block = new Uint8Array(65536);
  let fill = 0;
  const flush = async (): Promise<void> => {
    if (fill > 0 && block.subarray(0, fill).some((b) => b !== 0) && at + fill <= sizeBytes) await target.write(at, block.slice(0, fill));
    at += fill;
    fill = 0;
  };
  for await (const chunk of createReadStream(path).pipe(createGunzip()) as AsyncIterable<Buffer>) {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, block.length - fill);
      block.set(chunk.subarray(off, off + n), fill);
      fill += n;
      off += n;
      if (fill === block.length) await flush();
    }
  }
  await flush();
  return target;
}

test('our volumes: the report says what the plan said, no findings (512 and 4Kn, 64 KiB clusters)', async () => {
  for (const overrides of [{}, { logicalSectorSize: 4096 as const, physicalSectorSize: 4096, partitionStartLba: 256 }, { partitionSizeBytes: 256 * MIB, clusterSize: 65536, label: 'Ünïcødé 😀' }]) {
    const { target, plan } = await ours(overrides);
    const { report, findings } = await inspectNtfsVolume(target, { partitionStartLba: plan.hiddenSectors, partitionSizeBytes: plan.partitionSizeBytes });
    assert.equal(findings, []);
    assert.equal(report, {
      type: 'ntfs',
      label: plan.label,
      serial: plan.serial,
      bytesPerSector: plan.bytesPerSector,
      clusterSize: plan.clusterSize,
      clusterCount: plan.clusterCount,
      volumeSizeBytes: plan.volumeSizeBytes,
      partitionSizeBytes: plan.partitionSizeBytes,
      version: '3.1',
      dirty: false,
      mftLcn: plan.mftLcn,
      mftMirrLcn: plan.mftMirrLcn,
      mftRecordSize: plan.mftRecordSize,
      indexRecordSize: plan.indexRecordSize,
      hiddenSectors: plan.hiddenSectors,
      bootSectorSource: 'main',
    });
  }
});

test('hidden sectors, volume larger than the partition, missing and different backup boot sector', async () => {
  const { target, plan } = await ours();
  const ctx = { partitionStartLba: plan.hiddenSectors, partitionSizeBytes: plan.partitionSizeBytes };
  const hidden = await inspectNtfsVolume(target, { ...ctx, partitionStartLba: 63 });
  assert.equal(codes(hidden.findings), ['NTFS_HIDDEN_SECTORS']);
  assert.is(hidden.findings[0].severity, 'warning');
  const small = await inspectNtfsVolume(target, { ...ctx, partitionSizeBytes: plan.partitionSizeBytes - MIB });
  assert.equal(codes(small.findings), ['NTFS_VOLUME_TOO_LARGE']);
  const cut = sliceTarget(target, 0, plan.partitionSizeBytes - 512);
  assert.equal(codes((await inspectNtfsVolume(cut, ctx)).findings), ['NTFS_BACKUP_BOOT_MISSING']);
  const last = plan.partitionSizeBytes - 512;
  const sector = await target.read(last, 512);
  await target.write(last, Uint8Array.from(sector, (b, i) => (i === 0x48 ? b ^ 1 : b)));
  assert.equal(codes((await inspectNtfsVolume(target, ctx)).findings), ['NTFS_BACKUP_BOOT_DIFFERS']);
  await target.write(last, new Uint8Array(512));
  assert.equal(codes((await inspectNtfsVolume(target, ctx)).findings), ['NTFS_BACKUP_BOOT_MISSING']);
});

test('bad main boot sector: the backup is used and the finding says so; both bad is CORRUPT_STRUCTURE', async () => {
  const { target, plan } = await ours();
  const ctx = { partitionStartLba: plan.hiddenSectors, partitionSizeBytes: plan.partitionSizeBytes };
  await target.write(0, new Uint8Array(512));
  const r = await inspectNtfsVolume(target, ctx);
  assert.equal(codes(r.findings), ['NTFS_BOOT_SECTOR_BAD']);
  assert.is(r.report.bootSectorSource, 'backup');
  assert.is(r.report.label, 'WindowsData');
  await target.write(plan.partitionSizeBytes - 512, new Uint8Array(512));
  try {
    await inspectNtfsVolume(target, ctx);
    assert.unreachable('accepted');
  } catch (e) {
    assert.ok(isGuestdiskError(e) && e.code === 'CORRUPT_STRUCTURE', String(e));
  }
});

test('$MFTMirr different, volume dirty, $MFT unreadable', async () => {
  const { target, plan } = await ours();
  const ctx = { partitionStartLba: plan.hiddenSectors, partitionSizeBytes: plan.partitionSizeBytes };
  const mftAt = plan.mftLcn * plan.clusterSize;
  const mirrAt = plan.mftMirrLcn * plan.clusterSize;
  const rec3At = 3 * plan.mftRecordSize;
  // Set VOLUME_IS_DIRTY in $Volume's $VOLUME_INFORMATION, in $MFT and $MFTMirr alike.
  const raw = await target.read(mftAt + rec3At, plan.mftRecordSize);
  const { header, record } = decodeMftRecord(raw, plan.mftRecordSize);
  const vi = decodeAttributes(record, header.attrsOffset, header.bytesInUse).find((a) => a.type === ATTR_TYPE.VOLUME_INFORMATION)!;
  const flagsAt = vi.offsetBytes + 0x18 + 0x0a;
  const dirty = Uint8Array.from(raw);
  dirty[flagsAt] |= 1;
  await target.write(mftAt + rec3At, dirty);
  await target.write(mirrAt + rec3At, dirty);
  const d = await inspectNtfsVolume(target, ctx);
  assert.equal(codes(d.findings), ['NTFS_DIRTY']);
  assert.ok(d.report.dirty);
  await target.write(mirrAt + rec3At, raw);
  assert.equal(codes((await inspectNtfsVolume(target, ctx)).findings), ['NTFS_DIRTY', 'NTFS_MFT_MIRROR_DIFFERS']);
  await target.write(mftAt, new Uint8Array(plan.mftRecordSize));
  const u = await inspectNtfsVolume(target, ctx);
  assert.ok(codes(u.findings).includes('NTFS_MFT_UNREADABLE'));
  assert.is(u.report.label, null);
});

test('garbage never throws anything but GuestdiskError (bounded on random and mangled volumes)', async () => {
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const { target, plan } = await ours({ partitionSizeBytes: 8 * MIB });
  const pristine = await target.read(0, plan.partitionSizeBytes);
  const ctx = { partitionStartLba: plan.hiddenSectors, partitionSizeBytes: plan.partitionSizeBytes };
  const regions = [0, plan.mftLcn * plan.clusterSize, plan.mftLcn * plan.clusterSize + 3 * plan.mftRecordSize];
  for (let round = 0; round < 300; round++) {
    const t = openMemoryTarget({ sizeBytes: plan.partitionSizeBytes, initial: pristine });
    for (let k = 0; k < 8; k++) {
      const base = regions[Math.floor(rand() * regions.length)];
      const at = base + Math.floor(rand() * 1024);
      await t.write(at, Uint8Array.of(Math.floor(rand() * 256)));
    }
    try {
      await inspectNtfsVolume(t, ctx);
    } catch (e) {
      assert.ok(isGuestdiskError(e), `round ${round}: ${String(e)}`);
    }
  }
  const noise = openMemoryTarget({ sizeBytes: MIB, initial: Uint8Array.from({ length: MIB }, () => Math.floor(rand() * 256)) });
  try {
    await inspectNtfsVolume(noise, { partitionStartLba: 0, partitionSizeBytes: MIB });
    assert.unreachable('noise accepted');
  } catch (e) {
    assert.ok(isGuestdiskError(e) && e.code === 'CORRUPT_STRUCTURE');
  }
});

test('corpus: Windows 10 volume (ntfs-lastaccess) decodes clean', async () => {
  const disk = await gunzipToMemory(join(CORPUS_DIR, 'msuhanov-ntfs-samples', 'ntfs-lastaccess.raw.gz'), 268435456);
  const volume: BlockTarget = sliceTarget(disk, 128 * 512, 518144 * 512);
  const { report, findings } = await inspectNtfsVolume(volume, { partitionStartLba: 128, partitionSizeBytes: 518144 * 512 });
  assert.equal(findings, []);
  assert.equal([report.label, report.version, report.clusterSize, report.clusterCount, report.mftLcn, report.mftMirrLcn, report.hiddenSectors, report.dirty], ['Last access', '3.1', 4096, 64767, 21589, 2, 128, false]);
});

test('corpus: Windows volume without its backup boot sector (ntfs-cloud) is reported', async () => {
  const disk = await gunzipToMemory(join(CORPUS_DIR, 'dissect-ntfs', 'ntfs-cloud.bin.gz'), 1054866944);
  const { report, findings } = await inspectNtfsVolume(disk, { partitionStartLba: 32768, partitionSizeBytes: disk.sizeBytes });
  assert.equal(codes(findings), ['NTFS_BACKUP_BOOT_MISSING']);
  assert.equal([report.label, report.hiddenSectors, report.mftLcn], ['Example Volume', 32768, 85845]);
});

/** Rewrites MFT records `from`..`to` of a bare volume as a header over zeros: no attribute, not even the end marker. */
function blankRecords(volume: Uint8Array, from: number, to: number, flags: number): void {
  const boot = NTFS_BOOT_SECTOR.decode(volume);
  const clusterSize = boot.bytesPerSector * decodeSectorsPerCluster(boot.sectorsPerCluster);
  const recordSize = decodeClustersPerRecord(boot.clustersPerMftRecord, clusterSize);
  for (let n = from; n <= to; n++) {
    const at = boot.mftLcn * clusterSize + n * recordSize;
    const { header, record } = decodeMftRecord(volume.subarray(at, at + recordSize), recordSize);
    const blank = new Uint8Array(recordSize);
    blank.set(record.subarray(0, header.attrsOffset));
    MFT_RECORD_HEADER.encodeInto({ ...header, flags }, blank, 0);
    volume.set(applyFixups(blank, header.usaOfs, header.usaCount > 0 ? record[header.usaOfs] | (record[header.usaOfs + 1] << 8) : 1), at);
  }
}

test('free reserved records 16–23 whose first attribute has type 0 (as Windows and other formatters leave them) are no damage; in use they are', async () => {
  requireTool('mkntfs');
  const dir = makeTempDir('guestdisk-ntfs-reserved-');
  try {
    const path = join(dir.path, 'volume.img');
    writeFileSync(path, new Uint8Array(0));
    mustRun('truncate', ['-s', '16M', path]);
    mustRun('mkntfs', ['-F', '-q', '-Q', '-L', 'Reserved', path]);
    const volume = new Uint8Array(readFileSync(path));
    blankRecords(volume, 16, 23, 0);
    writeFileSync(path, volume);
    const ntfsck = runTool(NTFSCK, ['-n', '-q', path]);
    assert.is(ntfsck.status, 0, `ntfsck calls the volume damaged: ${ntfsck.stdout}${ntfsck.stderr}`);
    const target = openMemoryTarget({ sizeBytes: volume.length, initial: volume });
    const free = await inspectNtfsVolume(target, { partitionStartLba: null, partitionSizeBytes: volume.length });
    assert.equal(free.findings, []);
    assert.is(free.report.label, 'Reserved');

    blankRecords(volume, 17, 17, MFT_RECORD_FLAG.IN_USE);
    const used = await inspectNtfsVolume(openMemoryTarget({ sizeBytes: volume.length, initial: volume }), { partitionStartLba: null, partitionSizeBytes: volume.length });
    assert.ok(codes(used.findings).includes('NTFS_SYSTEM_RECORD_DAMAGED'), JSON.stringify(used.findings));
  } finally {
    dir.remove();
  }
});

test("one wrong byte in $Secure's $SII index root: wherever ntfs-3g refuses to mount, verify reports NTFS_SECURE_INDEX_BAD", async () => {
  for (const tool of ['ntfs-3g', 'fusermount3']) requireTool(tool);
  const plan = planNtfs(ntfsInput({ partitionSizeBytes: 16 * MIB }));
  const dir = makeTempDir('guestdisk-ntfs-sii-');
  try {
    const path = join(dir.path, 'volume.img');
    const mnt = join(dir.path, 'mnt');
    mkdirSync(mnt);
    await writeVolumeFile(plan, path);
    const pristine = new Uint8Array(readFileSync(path));
    const recordAt = plan.mftLcn * plan.clusterSize + 9 * plan.mftRecordSize; // $Secure; $MFTMirr holds only records 0–3
    const { header, record } = decodeMftRecord(pristine.subarray(recordAt, recordAt + plan.mftRecordSize), plan.mftRecordSize);
    const sii = decodeAttributes(record, header.attrsOffset, header.bytesInUse).find((a) => a.type === ATTR_TYPE.INDEX_ROOT && a.name === '$SII')!;
    const valueAt = sii.resident!.value.byteOffset - record.byteOffset;
    const usn = record[header.usaOfs] | (record[header.usaOfs + 1] << 8);
    // The INDEX_ROOT and INDEX_HEADER fields, and the length of the first and the last (END) entry.
    const offsets = [...Array.from({ length: 28 }, (_, i) => i), 40, 41, sii.resident!.value.length - 8, sii.resident!.value.length - 7];
    let refused = 0;
    for (const i of offsets) {
      const changed = Uint8Array.from(record);
      changed[valueAt + i] ^= 0x01;
      const volume = Uint8Array.from(pristine);
      volume.set(applyFixups(changed, header.usaOfs, usn), recordAt);
      writeFileSync(path, volume);
      const mount = runTool('ntfs-3g', ['-o', 'ro', path, mnt]);
      if (mount.status === 0) {
        mustRun('fusermount3', ['-u', mnt]);
        continue;
      }
      refused++;
      const { findings } = await inspectNtfsVolume(openMemoryTarget({ sizeBytes: volume.length, initial: volume }), { partitionStartLba: null, partitionSizeBytes: volume.length });
      assert.ok(findings.some((f) => f.code === 'NTFS_SECURE_INDEX_BAD' && f.severity === 'error'), `byte ${i}: ntfs-3g refuses (${mount.stderr.trim()}), verify says ${JSON.stringify(codes(findings))}`);
    }
    assert.ok(refused >= 10, `ntfs-3g refused only ${refused} of ${offsets.length} damaged volumes`);
  } finally {
    runTool('fusermount3', ['-u', join(dir.path, 'mnt')]);
    dir.remove();
  }
});

/** Sets or clears record `n`'s bit in $MFT:$BITMAP of a bare volume (read through record 0's $BITMAP runs). */
function setMftBitmapBit(volume: Uint8Array, n: number, value: boolean): void {
  const boot = NTFS_BOOT_SECTOR.decode(volume);
  const clusterSize = boot.bytesPerSector * decodeSectorsPerCluster(boot.sectorsPerCluster);
  const recordSize = decodeClustersPerRecord(boot.clustersPerMftRecord, clusterSize);
  const at = boot.mftLcn * clusterSize;
  const { header, record } = decodeMftRecord(volume.subarray(at, at + recordSize), recordSize);
  const bitmap = decodeAttributes(record, header.attrsOffset, header.bytesInUse).find((a) => a.type === ATTR_TYPE.BITMAP && a.name === '')!;
  const [run] = decodeRunlist(bitmap.nonResident!.mappingPairs, 16);
  const byteAt = run.lcn! * clusterSize + (n >> 3);
  volume[byteAt] = value ? volume[byteAt] | (1 << (n & 7)) : volume[byteAt] & ~(1 << (n & 7));
}

test('$MFT:$BITMAP against every record: an in-use file marked free, a free record marked in use (ntfsck -n agrees; clean after ntfs-3g wrote 1,500 files, links, a stream, a sparse file)', async () => {
  for (const tool of ['mkntfs', 'ntfs-3g', 'fusermount3']) requireTool(tool);
  const dir = makeTempDir('guestdisk-ntfs-mft-bitmap-');
  try {
    const path = join(dir.path, 'volume.img');
    const mnt = join(dir.path, 'mnt');
    mkdirSync(mnt);
    writeFileSync(path, new Uint8Array(0));
    mustRun('truncate', ['-s', '16M', path]);
    mustRun('mkntfs', ['-F', '-q', '-Q', '-L', 'Files', path]);
    mustRun('ntfs-3g', ['-o', 'streams_interface=windows', path, mnt]);
    try {
      // Enough files in one directory to grow $MFT past its first allocation, and the other things ntfs-3g
      // writes: deletions, renames, a hard link, a symlink, an alternate data stream, a sparse file.
      mkdirSync(join(mnt, 'many'));
      for (let i = 0; i < 1500; i++) writeFileSync(join(mnt, 'many', `entry ${i}.txt`), `entry ${i}\n`);
      for (let i = 0; i < 1500; i += 7) unlinkSync(join(mnt, 'many', `entry ${i}.txt`));
      for (let i = 1; i < 40; i += 7) renameSync(join(mnt, 'many', `entry ${i}.txt`), join(mnt, `moved ${i}.txt`));
      for (let i = 0; i < 8; i++) writeFileSync(join(mnt, `file${i}.txt`), `file ${i}\n`);
      linkSync(join(mnt, 'file0.txt'), join(mnt, 'hard link.txt'));
      symlinkSync('file1.txt', join(mnt, 'symlink.txt'));
      writeFileSync(join(mnt, 'file2.txt:stream'), 'alternate data stream\n');
      mustRun('truncate', ['-s', '3M', join(mnt, 'sparse.bin')]);
    } finally {
      mustRun('fusermount3', ['-u', mnt]);
    }
    const clean = new Uint8Array(readFileSync(path));
    const inspect = async (bytes: Uint8Array) => inspectNtfsVolume(openMemoryTarget({ sizeBytes: bytes.length, initial: bytes }), { partitionStartLba: null, partitionSizeBytes: bytes.length });
    assert.equal((await inspect(clean)).findings, []);
    const ntfsck = (bytes: Uint8Array): number => {
      writeFileSync(path, bytes);
      return runTool(NTFSCK, ['-n', '-q', path]).status;
    };
    assert.is(ntfsck(clean), 0);
    // ntfs-3g gives user files records from 64 on; records 27–63 are formatted but free.
    for (const [n, value, code] of [[66, false, 'NTFS_MFT_BITMAP_RECORD_FREE'], [40, true, 'NTFS_MFT_BITMAP_RECORD_LEAK']] as const) {
      const damaged = Uint8Array.from(clean);
      setMftBitmapBit(damaged, n, value);
      const { findings } = await inspect(damaged);
      assert.equal(findings.map((f) => `${f.severity} ${f.code}`), [`error ${code}`], `record ${n}`);
      assert.match(findings[0].actual ?? '', `(${n})`);
      assert.is.not(ntfsck(damaged), 0, `ntfsck -n accepts record ${n}'s bit ${value ? 'set' : 'cleared'}`);
    }
  } finally {
    runTool('fusermount3', ['-u', join(dir.path, 'mnt')]);
    dir.remove();
  }
});

test.run();
