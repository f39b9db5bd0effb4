import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkTiling, type Fields, type Struct } from '../../../src/binary/fields.js';
import { isGuestdiskError } from '../../../src/errors.js';
import { ATTR_TYPE, INDEX_ENTRY_FLAG } from '../../../src/fs/ntfs/attribute-types.js';
import {
  NON_RESIDENT_ATTRIBUTE_HEADER,
  RESIDENT_ATTRIBUTE_HEADER,
  encodeNonResidentAttribute,
  encodeResidentAttribute,
} from '../../../src/fs/ntfs/attributes/attribute-header.js';
import { FILE_NAME_HEADER, decodeFileName, encodeFileName } from '../../../src/fs/ntfs/attributes/file-name.js';
import { STANDARD_INFORMATION, decodeStandardInformation, encodeStandardInformation } from '../../../src/fs/ntfs/attributes/standard-information.js';
import { VOLUME_INFORMATION, decodeVolumeInformation, encodeVolumeInformation } from '../../../src/fs/ntfs/attributes/volume-information.js';
import { decodeVolumeName, encodeVolumeName } from '../../../src/fs/ntfs/attributes/volume-name.js';
import {
  NTFS_BOOT_SECTOR,
  decodeClustersPerRecord,
  decodeNtfsBootSector,
  decodeSectorsPerCluster,
  encodeClustersPerRecord,
  encodeNtfsBootSector,
  encodeSectorsPerCluster,
} from '../../../src/fs/ntfs/boot-sector.js';
import { applyFixups, removeFixups } from '../../../src/fs/ntfs/fixup.js';
import { FILE_INDEX_ENTRY_HEADER, VIEW_INDEX_ENTRY_HEADER, encodeEndIndexEntry, encodeFileIndexEntry, encodeViewIndexEntry, splitIndexEntries } from '../../../src/fs/ntfs/index-entry.js';
import { INDEX_BLOCK_HEADER, INDEX_HEADER, INDEX_ROOT_HEADER, decodeIndexBlock, decodeIndexRoot, encodeIndexBlock, encodeIndexRoot } from '../../../src/fs/ntfs/index-node.js';
import { MFT_RECORD_HEADER, decodeMftRecord, encodeMftRecord, layoutMftRecord } from '../../../src/fs/ntfs/mft-record.js';
import { decodeMftRef, decodeNtfsTime, encodeMftRef, encodeNtfsTime } from '../../../src/fs/ntfs/ntfs-time.js';
import { decodeRunlist, encodeRunlist, type Run } from '../../../src/fs/ntfs/runlist.js';
import { ntfsBootSectorValue } from '../../../src/fs/ntfs/format.js';
import { ntfsInput, planNtfs } from './volume-helpers.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS_DIR } from '../../helpers/paths.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('every field table tiles its structure with the spec size', () => {
  const tables: [Struct<Fields>, number][] = [
    [NTFS_BOOT_SECTOR as unknown as Struct<Fields>, 512],
    [MFT_RECORD_HEADER as unknown as Struct<Fields>, 0x30],
    [RESIDENT_ATTRIBUTE_HEADER as unknown as Struct<Fields>, 0x18],
    [NON_RESIDENT_ATTRIBUTE_HEADER as unknown as Struct<Fields>, 0x40],
    [STANDARD_INFORMATION as unknown as Struct<Fields>, 0x48],
    [FILE_NAME_HEADER as unknown as Struct<Fields>, 0x42],
    [VOLUME_INFORMATION as unknown as Struct<Fields>, 0x0c],
    [INDEX_ROOT_HEADER as unknown as Struct<Fields>, 0x10],
    [INDEX_HEADER as unknown as Struct<Fields>, 0x10],
    [INDEX_BLOCK_HEADER as unknown as Struct<Fields>, 0x18],
    [FILE_INDEX_ENTRY_HEADER as unknown as Struct<Fields>, 0x10],
    [VIEW_INDEX_ENTRY_HEADER as unknown as Struct<Fields>, 0x10],
  ];
  for (const [t, size] of tables) {
    assert.is(t.sizeBytes, size, t.name);
    assert.equal(checkTiling(t), [], t.name);
  }
});

test('boot sector: round trip, encodings of cluster and record sizes, corruption named', () => {
  const plan = planNtfs(ntfsInput());
  const value = ntfsBootSectorValue(plan);
  const bytes = encodeNtfsBootSector(value);
  assert.equal(decodeNtfsBootSector(bytes), value);
  assert.is(hex(bytes.subarray(0, 11)), 'eb52904e5446532020202000'.slice(0, 22));
  assert.is(bytes[0x1fe], 0x55);
  assert.is(bytes[0x1ff], 0xaa);
  // Windows' 2 MiB cluster volume (corpus ntfs-2m) says 0xf4; 64 KiB says 0x80; records 1024 = 0xf6, 4096 = 0xf4.
  assert.is(encodeSectorsPerCluster(4096), 0xf4);
  assert.is(encodeSectorsPerCluster(128), 0x80);
  assert.is(decodeSectorsPerCluster(0xf4), 4096);
  assert.is(encodeClustersPerRecord(1024, 65536) & 0xff, 0xf6);
  assert.is(encodeClustersPerRecord(4096, 65536) & 0xff, 0xf4);
  assert.is(encodeClustersPerRecord(4096, 4096), 1);
  assert.is(decodeClustersPerRecord(-10, 65536), 1024);
  assert.is(decodeClustersPerRecord(2, 512), 1024);
  for (const [field, offset] of [['oemId', 0x03], ['endOfSectorMarker', 0x1fe], ['bytesPerSector', 0x0b], ['fats', 0x10]] as const) {
    const bad = Uint8Array.from(bytes);
    bad[offset] ^= 0x5a;
    try {
      decodeNtfsBootSector(bad);
      assert.unreachable(`${field} corruption accepted`);
    } catch (e) {
      assert.ok(isGuestdiskError(e) && e.code === 'CORRUPT_STRUCTURE', field);
      assert.ok(isGuestdiskError(e) && e.details.field === field, `${field}: ${String(e)}`);
    }
  }
});

test('boot code is our own stub: no Microsoft or mkntfs bytes', () => {
  const bytes = encodeNtfsBootSector(ntfsBootSectorValue(planNtfs(ntfsInput())));
  const text = Buffer.from(bytes).toString('latin1');
  assert.not.ok(text.includes('BOOTMGR'));
  assert.not.ok(text.includes('bootable'));
  assert.is(hex(bytes.subarray(0x54, 0x5a)), 'cd18faf4ebfd');
});

test('runlist: examples from mkntfs volumes, sparse runs, long runs, negative deltas round trip', () => {
  assert.is(hex(encodeRunlist([{ lcn: 4, length: 7 }])), '11070400');
  assert.is(hex(encodeRunlist([{ lcn: 0x808, length: 0x41 }])), '2141080800');
  assert.is(hex(encodeRunlist([{ lcn: null, length: 0x3fff }])), '02ff3f00');
  assert.is(hex(encodeRunlist([{ lcn: 0, length: 0x80 }])), '1280000000', 'length 0x80 needs 2 signed bytes');
  const cases: Run[][] = [
    [{ lcn: 0, length: 1 }],
    [{ lcn: 100, length: 5 }, { lcn: 10, length: 3 }, { lcn: null, length: 7 }, { lcn: 2 ** 40, length: 2 ** 33 }],
    [{ lcn: null, length: 0xffffffff }],
    [{ lcn: 0x7f, length: 0x7f }, { lcn: 0xff, length: 0x80 }, { lcn: 0, length: 0x8000 }],
  ];
  for (const runs of cases) assert.equal(decodeRunlist(encodeRunlist(runs)), runs);
  try {
    decodeRunlist(Uint8Array.of(0x91, 1, 2));
    assert.unreachable('bad header accepted');
  } catch (e) {
    assert.ok(isGuestdiskError(e) && e.code === 'CORRUPT_STRUCTURE');
  }
});

test('fixups: applied every 512 bytes, checked and undone; a torn block is CORRUPT_STRUCTURE', () => {
  const record = new Uint8Array(1024).map((_, i) => i & 0xff);
  const protectedRecord = applyFixups(record, 0x30, 7);
  assert.is(protectedRecord[0x1fe] | (protectedRecord[0x1ff] << 8), 7);
  assert.is(protectedRecord[0x3fe] | (protectedRecord[0x3ff] << 8), 7);
  const back = removeFixups(protectedRecord, 0x30, 3, 'test');
  assert.equal(Array.from(back.subarray(0x36)), Array.from(record.subarray(0x36)));
  const torn = Uint8Array.from(protectedRecord);
  torn[0x3fe] = 0;
  try {
    removeFixups(torn, 0x30, 3, 'test');
    assert.unreachable();
  } catch (e) {
    assert.ok(isGuestdiskError(e) && e.code === 'CORRUPT_STRUCTURE');
  }
});

test('attributes: standard information, file name, volume name/information round trip', () => {
  const t = encodeNtfsTime(1_700_000_000);
  assert.is(decodeNtfsTime(t), 1_700_000_000);
  assert.equal(decodeMftRef(encodeMftRef(24, 1)), { recordNumber: 24, sequenceNumber: 1 });
  const si = { creationTime: t, lastDataChangeTime: t, lastMftChangeTime: t, lastAccessTime: t, fileAttributes: 6, maximumVersions: 0, versionNumber: 0, classId: 0, ownerId: 0, securityId: 0x100, quotaCharged: 0, usn: 0 };
  assert.is(encodeStandardInformation(si).length, 72);
  assert.equal(decodeStandardInformation(encodeStandardInformation(si)), si);
  assert.is(encodeStandardInformation({ ...si, securityId: 0 }).length, 48);
  const fn = { parentDirectory: encodeMftRef(5, 5), creationTime: t, lastDataChangeTime: t, lastMftChangeTime: t, lastAccessTime: t, allocatedSize: 4096, dataSize: 2560, fileAttributes: 6, reparsePointTag: 0, fileNameType: 3, fileName: '$AttrDef' };
  const fnBytes = encodeFileName(fn);
  assert.is(fnBytes.length, 0x42 + 16);
  assert.equal(decodeFileName(fnBytes), fn);
  assert.is(decodeVolumeName(encodeVolumeName('Dätä 😀')), 'Dätä 😀');
  const vi = { reserved: new Uint8Array(8), majorVer: 3, minorVer: 1, flags: 0 };
  assert.equal(decodeVolumeInformation(encodeVolumeInformation(vi)), vi);
});

test('attribute records: 8-byte lengths, names padded, resident and non-resident headers consistent', () => {
  const r = encodeResidentAttribute({ type: ATTR_TYPE.DATA, name: '$Info', instance: 2, value: new Uint8Array(32).fill(7) });
  const rh = RESIDENT_ATTRIBUTE_HEADER.decode(r.bytes);
  assert.is(r.bytes.length % 8, 0);
  assert.equal([rh.nameLength, rh.nameOffset, rh.valueOffset, rh.valueLength, rh.instance], [5, 0x18, 0x18 + 16, 32, 2]);
  const n = encodeNonResidentAttribute({ type: ATTR_TYPE.DATA, name: '$Bad', instance: 1, runs: [{ lcn: null, length: 16383 }], allocatedSize: 16383 * 4096, dataSize: 16383 * 4096, initializedSize: 0 });
  const nh = NON_RESIDENT_ATTRIBUTE_HEADER.decode(n.bytes);
  assert.equal([nh.length, nh.nameOffset, nh.mappingPairsOffset, nh.highestVcn], [0x50, 0x40, 0x48, 16382]);
  assert.equal(decodeRunlist(n.bytes.subarray(nh.mappingPairsOffset)), [{ lcn: null, length: 16383 }]);
});

test('index entries and nodes: $I30 entry, view entry with padding, INDEX_ROOT, protected INDX', () => {
  const key = Uint8Array.of(1, 2, 3, 4);
  const v = encodeViewIndexEntry(key, new Uint8Array(20).fill(9), Uint8Array.of(0x49, 0, 0x49, 0));
  assert.is(v.length, 0x30);
  const vh = VIEW_INDEX_ENTRY_HEADER.decode(v);
  assert.equal([vh.dataOffset, vh.dataLength, vh.length, vh.keyLength], [0x14, 20, 0x30, 4]);
  assert.is(v[0x14 + 20], 0x49);
  const f = encodeFileIndexEntry(encodeMftRef(4, 4), new Uint8Array(0x52));
  assert.is(f.length, 0x68);
  const end = encodeEndIndexEntry(0);
  assert.is(FILE_INDEX_ENTRY_HEADER.decode(end).ieFlags, INDEX_ENTRY_FLAG.END | INDEX_ENTRY_FLAG.NODE);
  const root = encodeIndexRoot({ type: 0x30, collationRule: 1, indexBlockSize: 4096, clusterSize: 4096, entries: [end], large: true });
  assert.is(root.length, 0x38);
  assert.equal(INDEX_HEADER.decode(root.subarray(0x10)), { entriesOffset: 0x10, indexLength: 0x28, allocatedSize: 0x28, ihFlags: 1, reserved: new Uint8Array(3) });
  assert.is(INDEX_ROOT_HEADER.decode(root).clustersPerIndexBlock, 1);
  assert.is(INDEX_ROOT_HEADER.decode(encodeIndexRoot({ type: 0, collationRule: 0x10, indexBlockSize: 4096, clusterSize: 65536, entries: [end], large: false })).clustersPerIndexBlock, 8);
  const block = encodeIndexBlock({ indexBlockSize: 4096, vcn: 0, entries: [f, encodeEndIndexEntry(null)], leaf: true, usn: 1 });
  const plain = removeFixups(block, 0x28, 9, 'INDX');
  const ih = INDEX_HEADER.decode(plain.subarray(0x18));
  assert.equal([ih.entriesOffset, ih.indexLength, ih.allocatedSize], [0x28, 0x28 + 0x68 + 0x10, 4096 - 0x18]);
  const entries = splitIndexEntries(plain.subarray(0x18 + ih.entriesOffset, 0x18 + ih.indexLength));
  assert.is(entries.length, 2);
  const decoded = decodeIndexBlock(block, 4096);
  assert.equal(Array.from(decoded.entries), [...f, ...encodeEndIndexEntry(null)]);
  assert.is(decoded.block.indexBlockVcn, 0);
  const torn = Uint8Array.from(block);
  torn[0x5fe] ^= 1;
  try {
    decodeIndexBlock(torn, 4096);
    assert.unreachable('torn INDX accepted');
  } catch (e) {
    assert.ok(isGuestdiskError(e) && e.code === 'CORRUPT_STRUCTURE');
  }
  const r = decodeIndexRoot(root);
  assert.equal([r.root.type, r.root.collationRule, r.header.ihFlags, Array.from(r.entries)], [0x30, 1, 1, Array.from(end)]);
});

test('MFT record: layout, attribute order, protection round trip', () => {
  const si = encodeResidentAttribute({ type: ATTR_TYPE.STANDARD_INFORMATION, instance: 0, value: new Uint8Array(72) });
  const dataB = encodeResidentAttribute({ type: ATTR_TYPE.DATA, name: '$Bad', instance: 1, value: new Uint8Array(0) });
  const data = encodeResidentAttribute({ type: ATTR_TYPE.DATA, instance: 2, value: new Uint8Array(0) });
  const input = { recordSize: 1024, recordNumber: 8, sequenceNumber: 8, linkCount: 1, flags: 1, nextAttrInstance: 3, attributes: [dataB, si, data] };
  const laid = layoutMftRecord(input);
  const { header, record } = decodeMftRecord(encodeMftRecord(input), 1024);
  assert.equal(Array.from(record.subarray(0x38)), Array.from(laid.subarray(0x38)));
  assert.equal([header.attrsOffset, header.bytesInUse, header.mftRecordNumber, header.nextAttrInstance], [0x38, 0x38 + si.bytes.length + data.bytes.length + dataB.bytes.length + 8, 8, 3]);
  const types = [record[0x38], record[0x38 + si.bytes.length], record[0x38 + si.bytes.length + data.bytes.length + 9]];
  assert.equal(types, [0x10, 0x80, 4], 'SI, unnamed $DATA, then $Bad (name length 4)');
  const four = encodeMftRecord({ ...input, recordSize: 4096 });
  assert.is(decodeMftRecord(four, 4096).header.attrsOffset, 0x48);
});

test('Windows-made boot sectors (corpus *.boot) decode, pass the checks and re-encode byte for byte', () => {
  const expect: Record<string, [number, number, number, number, number, number]> = {
    // bytesPerSector, sectors/cluster byte, clustersPerMftRecord, clustersPerIndexRecord, sectorsPerTrack, heads
    '512.boot': [512, 1, 2, 8, 63, 255],
    '4k.boot': [512, 8, -10, 1, 63, 255],
    '64k.boot': [512, 0x80, -10, -12, 63, 255],
    '128k.boot': [512, 0xf8, -10, -12, 63, 255],
    '4kn.boot': [4096, 1, 1, 1, 1, 1],
  };
  for (const [file, [bps, spc, mft, idx, spt, heads]] of Object.entries(expect)) {
    const bytes = Uint8Array.from(readFileSync(join(CORPUS_DIR, 'msuhanov-dfir_ntfs', file)));
    const bs = decodeNtfsBootSector(bytes);
    assert.equal([bs.bytesPerSector, bs.sectorsPerCluster, bs.clustersPerMftRecord, bs.clustersPerIndexRecord, bs.sectorsPerTrack, bs.heads], [bps, spc, mft, idx, spt, heads], file);
    assert.ok(Buffer.from(encodeNtfsBootSector(bs)).equals(Buffer.from(bytes)), `${file} re-encodes`);
  }
  assert.is(decodeSectorsPerCluster(0xf8), 256);
});

test.run();
