// One finding per case, made by editing a good memory disk with our own codecs (CRCs fixed where a real tool
// would fix them): the checks the corrupt.py table does not reach.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32 } from '../../src/binary/crc32.js';
import { inspectDisk } from '../../src/inspect/inspect.js';
import { verifyDisk } from '../../src/inspect/verify.js';
import { GPT_ENTRY, type GptEntry } from '../../src/partition/gpt-entry.js';
import { GPT_HEADER, computeGptHeaderCrc32, type GptHeader } from '../../src/partition/gpt-header.js';
import { MBR } from '../../src/partition/mbr.js';
import type { MemoryTarget } from '../../src/target/memory-target.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeImageFile, makeMemoryDisk, MIB } from './disks.js';
import { makeTempDir, runTool } from '../helpers/tools.js';

const S = 512;
const codes = async (disk: MemoryTarget): Promise<string[]> => (await inspectDisk(disk)).findings.map((f) => f.code);

async function header(disk: MemoryTarget, lba: number): Promise<GptHeader> {
  return GPT_HEADER.decode(await disk.read(lba * S, S));
}

async function writeHeader(disk: MemoryTarget, h: GptHeader): Promise<void> {
  const sector = await disk.read(h.myLba * S, S);
  GPT_HEADER.encodeInto(h, sector, 0);
  new DataView(sector.buffer).setUint32(0x10, computeGptHeaderCrc32(sector, h.headerSize), true);
  await disk.write(h.myLba * S, sector);
}

/** Rewrites entry `index` in the array behind header at `lba` and fixes both CRCs. */
async function editEntry(disk: MemoryTarget, lba: number, index: number, edit: (e: GptEntry) => GptEntry): Promise<void> {
  const h = await header(disk, lba);
  const array = await disk.read(h.partitionEntryLba * S, h.numberOfPartitionEntries * h.sizeOfPartitionEntry);
  const at = index * h.sizeOfPartitionEntry;
  GPT_ENTRY.encodeInto(edit(GPT_ENTRY.decode(array.subarray(at, at + 128))), array, at);
  await disk.write(h.partitionEntryLba * S, array);
  await writeHeader(disk, { ...h, partitionEntryArrayCrc32: crc32(array) });
}

async function editBoth(disk: MemoryTarget, index: number, edit: (e: GptEntry) => GptEntry): Promise<void> {
  await editEntry(disk, 1, index, edit);
  await editEntry(disk, disk.sizeBytes / S - 1, index, edit);
}

const gptDisk = () => makeMemoryDisk({ table: 'gpt', fs: 'none', sectorSize: 512 });
const mbrDisk = () => makeMemoryDisk({ table: 'mbr', fs: 'none', sectorSize: 512 });

test('attribute bits 62 and 63 → GPT_ATTRIBUTE_HIDDEN, GPT_ATTRIBUTE_NO_DRIVE_LETTER (and decoded)', async () => {
  const disk = await gptDisk();
  await editBoth(disk, 0, (e) => ({ ...e, attributesHigh: 0xc0000000 }));
  const r = await inspectDisk(disk);
  assert.equal(r.partitions[0].attributes, { value: '0xc000000000000000', platformRequired: false, readOnly: false, shadowCopy: false, hidden: true, noDriveLetter: true });
  assert.equal(r.findings.map((f) => f.code), ['GPT_ATTRIBUTE_HIDDEN', 'GPT_ATTRIBUTE_NO_DRIVE_LETTER', 'FS_NONE']);
});

test('overlapping partitions → PARTITION_OVERLAP', async () => {
  const disk = await gptDisk();
  await editBoth(disk, 1, (e) => ({ ...e, partitionTypeGuid: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7', uniquePartitionGuid: '11111111-2222-4333-8444-555555555555', startingLba: 4096, endingLba: 8191 }));
  assert.ok((await codes(disk)).includes('PARTITION_OVERLAP'));
});

test('a Microsoft reserved partition before the data partition (as Windows makes GPT data disks) verifies clean', async () => {
  const disk = await makeMemoryDisk({ table: 'gpt', fs: 'ntfs', sectorSize: 512, label: 'Data' });
  // Move the data entry to slot 2 and put a 512 KiB MSR in slot 1 (LBA 34–1057).
  await editBoth(disk, 1, () => ({ partitionTypeGuid: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7', uniquePartitionGuid: '11111111-2222-4333-8444-555555555555', startingLba: 2048, endingLba: 129023, attributesLow: 0, attributesHigh: 0, partitionName: 'Basic data partition' }));
  await editBoth(disk, 0, (e) => ({ ...e, partitionTypeGuid: 'E3C9E316-0B5C-4DB8-817D-F92DF00215AE', startingLba: 34, endingLba: 1057, partitionName: 'Microsoft reserved partition' }));
  const v = await verifyDisk(disk, { table: 'gpt', fs: 'ntfs', label: 'Data' });
  assert.ok(v.ok, JSON.stringify(v.findings));
  assert.equal(v.findings.map((f) => `${f.severity} ${f.code}`), ['info PARTITION_TYPE_SYSTEM']);
});

test('primary and backup headers disagree → GPT_HEADERS_DIFFER; arrays disagree → GPT_ENTRIES_DIFFER', async () => {
  const disk = await gptDisk();
  const backup = await header(disk, disk.sizeBytes / S - 1);
  await writeHeader(disk, { ...backup, diskGuid: '11111111-2222-4333-8444-555555555555' });
  assert.ok((await codes(disk)).includes('GPT_HEADERS_DIFFER'));

  const disk2 = await gptDisk();
  await editEntry(disk2, disk2.sizeBytes / S - 1, 0, (e) => ({ ...e, partitionName: 'other' }));
  assert.equal(await codes(disk2), ['GPT_ENTRIES_DIFFER', 'FS_NONE']);
  assert.equal((await inspectDisk(disk2)).partitions[0].name, 'Basic data partition'); // the primary wins
});

test('usable range over the entry array → GPT_USABLE_RANGE; entry array past the end → GPT_ENTRY_ARRAY_BOUNDS', async () => {
  const disk = await gptDisk();
  await writeHeader(disk, { ...(await header(disk, 1)), firstUsableLba: 10 });
  assert.ok((await codes(disk)).includes('GPT_USABLE_RANGE'));
  const disk2 = await gptDisk();
  await writeHeader(disk2, { ...(await header(disk2, 1)), partitionEntryLba: disk2.sizeBytes / S - 2 });
  const c = await codes(disk2);
  assert.ok(c.includes('GPT_ENTRY_ARRAY_BOUNDS') && c.includes('GPT_USING_BACKUP'), JSON.stringify(c));
});

test('an empty GPT → NO_PARTITIONS', async () => {
  const disk = await gptDisk();
  await editBoth(disk, 0, (e) => ({ ...e, partitionTypeGuid: '00000000-0000-0000-0000-000000000000' }));
  assert.equal(await codes(disk), ['NO_PARTITIONS']);
});

test('a hybrid MBR → GPT_PMBR_HYBRID', async () => {
  const disk = await gptDisk();
  const mbr = await disk.read(0, 512);
  mbr.set(Uint8Array.of(0, 0, 0, 0, 0x07, 0, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0), 0x1ce);
  await disk.write(0, mbr);
  assert.ok((await codes(disk)).includes('GPT_PMBR_HYBRID'));
});

test('MBR disk signature 0 → MBR_DISK_SIGNATURE_ZERO (warning)', async () => {
  const disk = await mbrDisk();
  await disk.write(MBR.fields.uniqueMbrDiskSignature.offset, new Uint8Array(4));
  const v = await verifyDisk(disk);
  assert.ok(v.ok);
  assert.ok(v.findings.some((f) => f.code === 'MBR_DISK_SIGNATURE_ZERO' && f.severity === 'warning'));
});

test('MBR on a disk past 2^32 sectors → MBR_DISK_BEYOND_2TIB; a record ending past 2^32 → MBR_BEYOND_2TIB', async () => {
  const small = await mbrDisk();
  const big = openMemoryTarget({ sizeBytes: 3 * 1024 ** 4, logicalSectorSize: 512 }); // 3 TiB, sparse
  await big.write(0, await small.read(0, MIB));
  const c = await codes(big);
  assert.ok(c.includes('MBR_DISK_BEYOND_2TIB'), JSON.stringify(c));
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, 0xffff0000, true);
  view.setUint32(4, 0x00100000, true);
  await big.write(0x1ce + 4, Uint8Array.of(0x07));
  await big.write(0x1ce + 8, new Uint8Array(view.buffer));
  assert.ok((await codes(big)).includes('MBR_BEYOND_2TIB'));
});

test('MBR type byte that does not fit the filesystem → MBR_TYPE_FS_MISMATCH (warning)', async () => {
  const disk = await makeMemoryDisk({ table: 'mbr', fs: 'ntfs', sectorSize: 512 });
  await disk.write(0x1be + 4, Uint8Array.of(0x0c));
  assert.ok((await verifyDisk(disk)).findings.some((f) => f.code === 'MBR_TYPE_FS_MISMATCH' && f.severity === 'warning'));
});

test('a Linux filesystem in the data partition → FS_NOT_WINDOWS; a stale signature beside NTFS → FS_SIGNATURE_CONFLICT', async () => {
  const disk = await mbrDisk();
  await disk.write(MIB + 1024 + 0x38, Uint8Array.of(0x53, 0xef)); // ext2/3/4 superblock magic
  const r = await inspectDisk(disk);
  assert.is(r.partitions[0].filesystem?.type, 'ext2/3/4');
  assert.ok(r.findings.some((f) => f.code === 'FS_NOT_WINDOWS' && f.severity === 'error'));
  const ntfs = await makeMemoryDisk({ table: 'gpt', fs: 'ntfs', sectorSize: 512 });
  await ntfs.write(MIB + 0x10040, new TextEncoder().encode('_BHRfS_M'));
  assert.ok((await codes(ntfs)).includes('FS_SIGNATURE_CONFLICT'));
});

test('a filesystem on the whole device → SUPERFLOPPY first; nothing at all → NO_PARTITION_TABLE', async () => {
  const disk = await makeMemoryDisk({ table: 'gpt', fs: 'ntfs', sectorSize: 512 });
  const whole = openMemoryTarget({ sizeBytes: 62 * MIB, logicalSectorSize: 512 });
  for (let at = 0; at < whole.sizeBytes; at += MIB) await whole.write(at, await disk.read(MIB + at, MIB));
  const r = await inspectDisk(whole);
  assert.is(r.findings[0].code, 'SUPERFLOPPY');
  assert.is(r.wholeDiskFilesystem?.type, 'ntfs');
  assert.equal(await codes(openMemoryTarget({ sizeBytes: MIB })), ['NO_PARTITION_TABLE']);
  assert.equal(await codes(openMemoryTarget({ sizeBytes: 512 })), ['NO_PARTITION_TABLE']);
});

test('4Kn: a damaged primary header falls back to the backup; a grown disk keeps its partitions', async () => {
  const disk = await makeMemoryDisk({ table: 'gpt', fs: 'ntfs', sectorSize: 4096, label: 'K4' });
  const h = await disk.read(4096 + 0x38, 1);
  await disk.write(4096 + 0x38, Uint8Array.of(h[0] ^ 0xff));
  const r = await inspectDisk(disk);
  assert.equal(r.findings.map((f) => f.code), ['GPT_PRIMARY_HEADER_CRC', 'GPT_USING_BACKUP']);
  assert.ok(r.table.kind === 'gpt' && r.table.source === 'backup' && r.table.backupHeader.lba === r.sizeLba - 1);
  assert.is(r.partitions[0].filesystem?.label, 'K4');

  const grown = openMemoryTarget({ sizeBytes: disk.sizeBytes + 4 * MIB, logicalSectorSize: 4096 });
  const good = await makeMemoryDisk({ table: 'gpt', fs: 'ntfs', sectorSize: 4096, label: 'K4' });
  for (const at of good.touchedChunks()) await grown.write(at, await good.read(at, 64 * 1024));
  const g = await inspectDisk(grown);
  assert.equal(g.findings.map((f) => f.code), ['GPT_PMBR_SIZE', 'GPT_BACKUP_NOT_AT_END']);
  assert.is(g.partitions[0].filesystem?.label, 'K4');
});

test('primary AlternateLBA pointing at LBA 1 (CRC fixed, real backup zeroed) → GPT_ALTERNATE_LBA and GPT_BACKUP_HEADER_MISSING; sfdisk --verify agrees', async () => {
  const dir = makeTempDir('guestdisk-alternate-lba-');
  try {
    const path = join(dir.path, 'disk.img');
    await makeImageFile(path, { table: 'gpt', fs: 'ntfs', sectorSize: 512 });
    const bytes = new Uint8Array(readFileSync(path));
    const disk = openMemoryTarget({ sizeBytes: bytes.length, logicalSectorSize: 512, initial: bytes });
    await writeHeader(disk, { ...(await header(disk, 1)), alternateLba: 1 });
    await disk.write(disk.sizeBytes - S, new Uint8Array(S));
    const v = await verifyDisk(disk);
    assert.ok(!v.ok);
    const found = v.findings.map((f) => `${f.severity} ${f.code}`);
    assert.ok(found.includes('error GPT_ALTERNATE_LBA') && found.includes('error GPT_BACKUP_HEADER_MISSING'), JSON.stringify(found));
    assert.ok(!found.includes('warning GPT_BACKUP_NOT_AT_END'), JSON.stringify(found));
    assert.is(v.findings.find((f) => f.code === 'GPT_ALTERNATE_LBA')?.actual, '1');
    writeFileSync(path, await disk.read(0, disk.sizeBytes));
    const sfdisk = runTool('sfdisk', ['--verify', path]);
    assert.ok(sfdisk.status !== 0 || /error|problem|invalid|corrupt/i.test(sfdisk.stdout + sfdisk.stderr), `sfdisk --verify accepts it: ${sfdisk.stdout}${sfdisk.stderr}`);
  } finally {
    dir.remove();
  }
});

test.run();
