import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkTiling } from '../../src/binary/fields.js';
import { crc32 } from '../../src/binary/crc32.js';
import { encodeChs } from '../../src/partition/chs.js';
import { decodeGptEntry, encodeGptEntry, GPT_ENTRY, gptAttributeBit } from '../../src/partition/gpt-entry.js';
import { decodeGptHeader, encodeGptHeader, GPT_HEADER, type GptHeader } from '../../src/partition/gpt-header.js';
import { GPT_TYPE_BASIC_DATA } from '../../src/partition/gpt-types.js';
import { decodeMbr, encodeMbr, MBR, readMbr } from '../../src/partition/mbr.js';
import { decodeMbrPartitionRecord, encodeMbrPartitionRecord, MBR_PARTITION_RECORD } from '../../src/partition/mbr-partition-record.js';
import { GuestdiskError } from '../../src/errors.js';
import { makeTempDir, mustRun } from '../helpers/tools.js';

const isCorrupt = (code: string) => (e: unknown) => e instanceof GuestdiskError && e.code === 'CORRUPT_STRUCTURE' && e.details.code === code;

test('field tables tile their spec sizes: 16, 92, 128, 512', () => {
  assert.is(MBR_PARTITION_RECORD.sizeBytes, 16);
  assert.is(GPT_HEADER.sizeBytes, 92);
  assert.is(GPT_ENTRY.sizeBytes, 128);
  assert.is(MBR.sizeBytes, 512);
  for (const s of [MBR_PARTITION_RECORD, GPT_HEADER, GPT_ENTRY, MBR]) assert.equal(checkTiling(s), [], s.name);
});

const header: GptHeader = {
  signature: 'EFI PART', revision: 0x10000, headerSize: 92, headerCrc32: 0, reserved: 0, myLba: 1, alternateLba: 131071,
  firstUsableLba: 34, lastUsableLba: 131038, diskGuid: '8C50244A-F4D4-4DFE-B028-6C998B336F16', partitionEntryLba: 2,
  numberOfPartitionEntries: 128, sizeOfPartitionEntry: 128, partitionEntryArrayCrc32: 0x12345678,
};

test('GPT header round-trips and carries its CRC; a flipped byte gives GPT_HEADER_CRC', () => {
  const sector = encodeGptHeader(header, 512);
  const back = decodeGptHeader(sector);
  assert.equal({ ...back, headerCrc32: 0 }, header);
  assert.ok(back.headerCrc32 !== 0);
  const bad = sector.slice();
  bad[0x40] ^= 1; // inside the disk GUID
  assert.throws(() => decodeGptHeader(bad), isCorrupt('GPT_HEADER_CRC'));
  const badSig = sector.slice();
  badSig[0] = 0x46;
  assert.throws(() => decodeGptHeader(badSig), isCorrupt('GPT_HEADER_SIGNATURE'));
});

test('GPT entry round-trips, attributes above bit 53 stay exact', () => {
  const entry = { partitionTypeGuid: GPT_TYPE_BASIC_DATA, uniquePartitionGuid: '43A596EB-717B-4231-BFFD-78F1423C4DBA', startingLba: 2048, endingLba: 129023, attributesLow: 1, attributesHigh: 0x90000000, partitionName: 'Basic data partition' };
  const back = decodeGptEntry(encodeGptEntry(entry));
  assert.equal(back, entry);
  assert.ok(gptAttributeBit(back, 63) && gptAttributeBit(back, 60) && !gptAttributeBit(back, 62) && gptAttributeBit(back, 0));
  assert.throws(() => decodeGptEntry(encodeGptEntry({ ...entry, endingLba: 10 })), isCorrupt('GPT_ENTRY_RANGE'));
});

test('MBR round-trips; a missing 0x55AA gives MBR_SIGNATURE', () => {
  const record = { bootIndicator: 0, startingChs: encodeChs(2048), osType: 7, endingChs: encodeChs(1_000_000), startingLba: 2048, sizeInLba: 997_953 };
  assert.equal(decodeMbrPartitionRecord(encodeMbrPartitionRecord(record)), record);
  const empty = { bootIndicator: 0, startingChs: new Uint8Array(3), osType: 0, endingChs: new Uint8Array(3), startingLba: 0, sizeInLba: 0 };
  const mbr = { bootCode: new Uint8Array(440), uniqueMbrDiskSignature: 0xcafe1234, unknown: 0, partitionRecords: [record, empty, empty, empty], signature: 0xaa55 };
  const sector = encodeMbr(mbr, 4096);
  assert.is(sector.length, 4096);
  assert.equal(decodeMbr(sector), mbr);
  const bad = sector.slice();
  bad[0x1fe] = 0;
  assert.throws(() => decodeMbr(bad), isCorrupt('MBR_SIGNATURE'));
  const active = sector.slice();
  active[0x1be] = 0x42;
  assert.throws(() => decodeMbr(active), isCorrupt('MBR_PARTITION_RECORD_BOOT_INDICATOR'));
});

test('CHS: 255 heads × 63 sectors, saturating at 0xFE 0xFF 0xFF past cylinder 1023', () => {
  assert.equal([...encodeChs(0)], [0, 1, 0]);
  assert.equal([...encodeChs(2048)], [32, 33, 0]); // what fdisk writes for a 1 MiB start
  assert.equal([...encodeChs(1024 * 255 * 63)], [0xfe, 0xff, 0xff]);
});

test('CRC32s match what sgdisk writes: decode an sgdisk-made table, re-encode it byte for byte', () => {
  const dir = makeTempDir();
  try {
    const img = join(dir.path, 'sg.img');
    writeFileSync(img, new Uint8Array(0));
    mustRun('truncate', ['-s', '16M', img]);
    mustRun('sgdisk', ['-o', '-U', '11111111-2222-4333-8444-555555555555', '-n', '1:2048:+8M', '-t', '1:0700', '-u', '1:AAAAAAAA-2222-4333-8444-555555555555', '-c', '1:Basic data partition', img]);
    const bytes = new Uint8Array(readFileSync(img));
    const primary = decodeGptHeader(bytes.subarray(512, 1024)); // checks the header CRC
    const entries = bytes.subarray(1024, 1024 + 128 * 128);
    assert.is(crc32(entries), primary.partitionEntryArrayCrc32);
    assert.equal(encodeGptHeader(primary, 512), bytes.subarray(512, 1024));
    const entry = decodeGptEntry(entries.subarray(0, 128));
    assert.is(entry.partitionTypeGuid, GPT_TYPE_BASIC_DATA);
    assert.is(entry.partitionName, 'Basic data partition');
    assert.equal(encodeGptEntry(entry), entries.subarray(0, 128));
    const pmbr = readMbr(bytes.subarray(0, 512));
    assert.is(pmbr.partitionRecords[0].osType, 0xee);
    assert.is(pmbr.partitionRecords[0].sizeInLba, 16 * 2048 - 1);
    const backup = decodeGptHeader(bytes.subarray(bytes.length - 512));
    assert.is(backup.myLba, 16 * 2048 - 1);
  } finally {
    dir.remove();
  }
});

test.run();
