import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkTiling } from '../../../src/binary/fields.js';
import { GuestdiskError } from '../../../src/errors.js';
import {
  EXFAT_BOOT_SECTOR, checkExfatBootSector, decodeExfatBootSector, encodeExfatBootSector, type ExfatBootSector,
} from '../../../src/fs/exfat/boot-sector.js';
import { OEM_PARAMETERS, checkBootRegion, encodeBootRegion, extendedBootSectorTable } from '../../../src/fs/exfat/boot-region.js';
import { bootRegionChecksum, entrySetChecksum, exfatChecksum32 } from '../../../src/fs/exfat/checksum.js';
import {
  ALLOCATION_BITMAP_ENTRY, UPCASE_TABLE_ENTRY, VOLUME_GUID_ENTRY, VOLUME_LABEL_ENTRY,
  decodeAllocationBitmapEntry, decodeUpcaseTableEntry, decodeVolumeGuidEntry, decodeVolumeLabelEntry,
  encodeAllocationBitmapEntry, encodeUpcaseTableEntry, encodeVolumeGuidEntry, encodeVolumeLabelEntry,
  volumeGuidEntry, volumeLabelEntry,
} from '../../../src/fs/exfat/dir-entry.js';
import { exfatBootSectorFor } from '../../../src/fs/exfat/format.js';
import { planExfat } from '../../../src/fs/exfat/index.js';
import { encodeFatHead } from '../../../src/fs/exfat/fat.js';
import { bitmapChunks, encodeBitmapPiece } from '../../../src/fs/exfat/allocation-bitmap.js';
import { makeTempDir, mustRun } from '../../helpers/tools.js';
import { exfatInput } from './helpers.js';

const bootSector = (): ExfatBootSector => exfatBootSectorFor(planExfat(exfatInput()));

function expectCorrupt(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, GuestdiskError);
    assert.is((e as GuestdiskError).code, 'CORRUPT_STRUCTURE');
    assert.is((e as GuestdiskError).details.code, code, (e as Error).message);
    return;
  }
  assert.unreachable(`expected CORRUPT_STRUCTURE ${code}`);
}

test('field tables tile their structures at the spec sizes', () => {
  const tables = [EXFAT_BOOT_SECTOR, OEM_PARAMETERS, extendedBootSectorTable(512), extendedBootSectorTable(4096),
    VOLUME_LABEL_ENTRY, ALLOCATION_BITMAP_ENTRY, UPCASE_TABLE_ENTRY, VOLUME_GUID_ENTRY];
  for (const t of tables) assert.equal(checkTiling(t), [], t.name);
  assert.is(EXFAT_BOOT_SECTOR.sizeBytes, 512);
  assert.is(OEM_PARAMETERS.sizeBytes, 512);
  for (const t of [VOLUME_LABEL_ENTRY, ALLOCATION_BITMAP_ENTRY, UPCASE_TABLE_ENTRY, VOLUME_GUID_ENTRY]) assert.is(t.sizeBytes, 32);
});

test('boot sector round-trips, at 512 and 4096 bytes per sector', () => {
  for (const s of [512, 4096] as const) {
    const bs = exfatBootSectorFor(planExfat(exfatInput({ logicalSectorSize: s })));
    const bytes = encodeExfatBootSector(bs);
    assert.is(bytes.length, s);
    assert.equal(decodeExfatBootSector(bytes), bs);
    assert.equal([...bytes.subarray(0, 11)], [0xeb, 0x76, 0x90, 0x45, 0x58, 0x46, 0x41, 0x54, 0x20, 0x20, 0x20]);
    assert.is(bytes[0x1fe], 0x55);
    assert.is(bytes[0x1ff], 0xaa);
    assert.ok(bytes.subarray(512).every((b) => b === 0), 'ExcessSpace is zero');
  }
});

test('boot sector corruption: every checked field is named', () => {
  const good = bootSector();
  const cases: [Partial<ExfatBootSector>, string][] = [
    [{ fileSystemName: 'NTFS    ' }, 'EXFAT_BOOT_SECTOR_FILE_SYSTEM_NAME'],
    [{ bootSignature: 0 }, 'EXFAT_BOOT_SECTOR_BOOT_SIGNATURE'],
    [{ jumpBoot: Uint8Array.of(0xeb, 0x52, 0x90) }, 'EXFAT_BOOT_SECTOR_JUMP_BOOT'],
    [{ mustBeZero: new Uint8Array(53).fill(1) }, 'EXFAT_BOOT_SECTOR_MUST_BE_ZERO'],
    [{ bytesPerSectorShift: 13 }, 'EXFAT_BOOT_SECTOR_BYTES_PER_SECTOR_SHIFT'],
    [{ sectorsPerClusterShift: 17 }, 'EXFAT_BOOT_SECTOR_SECTORS_PER_CLUSTER_SHIFT'],
    [{ numberOfFats: 3 }, 'EXFAT_BOOT_SECTOR_NUMBER_OF_FATS'],
    [{ fatOffset: 23 }, 'EXFAT_BOOT_SECTOR_FAT_OFFSET'],
    [{ fatLength: 1 }, 'EXFAT_BOOT_SECTOR_FAT_LENGTH'],
    [{ clusterHeapOffset: good.fatOffset }, 'EXFAT_BOOT_SECTOR_CLUSTER_HEAP_OFFSET'],
    [{ clusterCount: good.clusterCount + 1000 }, 'EXFAT_BOOT_SECTOR_CLUSTER_COUNT'],
    [{ firstClusterOfRootDirectory: 1 }, 'EXFAT_BOOT_SECTOR_FIRST_CLUSTER_OF_ROOT_DIRECTORY'],
    [{ fileSystemRevision: 0x0200 }, 'EXFAT_BOOT_SECTOR_FILE_SYSTEM_REVISION'],
    [{ percentInUse: 101 }, 'EXFAT_BOOT_SECTOR_PERCENT_IN_USE'],
    [{ volumeLength: 1000 }, 'EXFAT_BOOT_SECTOR_VOLUME_LENGTH'],
  ];
  assert.equal(checkExfatBootSector(good), []);
  for (const [change, code] of cases) {
    const bytes = new Uint8Array(512);
    EXFAT_BOOT_SECTOR.encodeInto({ ...good, ...change }, bytes);
    expectCorrupt(() => decodeExfatBootSector(bytes), code);
  }
});

test('boot region: 12 sectors, extended signatures, checksum sector repeats the checksum', () => {
  for (const s of [512, 4096] as const) {
    const bs = exfatBootSectorFor(planExfat(exfatInput({ logicalSectorSize: s })));
    const region = encodeBootRegion(bs);
    assert.is(region.length, 12 * s);
    const view = new DataView(region.buffer);
    for (let i = 1; i <= 8; i++) assert.is(view.getUint32(i * s + s - 4, true), 0xaa550000);
    assert.ok(region.subarray(9 * s, 11 * s).every((b) => b === 0), 'OEM parameters and reserved sector are zero, as Windows writes them');
    const sum = bootRegionChecksum(region, s);
    for (let at = 0; at < s; at += 4) assert.is(view.getUint32(11 * s + at, true), sum);
    assert.equal(checkBootRegion(region, s, 'test'), []);
    // VolumeFlags and PercentInUse are outside the checksum; any other byte is not
    const flagged = region.slice();
    flagged[0x6a] = 2;
    flagged[0x70] = 50;
    assert.equal(checkBootRegion(flagged, s, 'test'), []);
    const broken = region.slice();
    broken[0x64] ^= 1;
    assert.is(checkBootRegion(broken, s, 'test')[0].code, 'EXFAT_BOOT_CHECKSUM');
    const badSig = region.slice();
    badSig[2 * s - 1] = 0;
    assert.is(checkBootRegion(badSig, s, 'test')[0].code, 'EXFAT_EXTENDED_BOOT_SIGNATURE');
  }
});

test('checksum walk: known small values (rotate right, add)', () => {
  assert.is(exfatChecksum32(Uint8Array.of(1, 2), false), 0x80000002);
  // 1 → 0x8000 + 0 + 2 = 0x8002 → bytes 2-3 skipped → 0x4001 + 3
  assert.is(entrySetChecksum(Uint8Array.of(1, 2, 0xff, 0xff, 3)), 0x4004);
});

test('directory entries round-trip and report corruption', () => {
  const label = volumeLabelEntry('Ünïcødé 日本');
  assert.equal(decodeVolumeLabelEntry(encodeVolumeLabelEntry(label)), label);
  assert.is(encodeVolumeLabelEntry(label)[0], 0x83);
  const none = volumeLabelEntry(null);
  assert.is(encodeVolumeLabelEntry(none)[0], 0x03);
  assert.equal(decodeVolumeLabelEntry(encodeVolumeLabelEntry(none)), none);
  const tooLong = encodeVolumeLabelEntry(label);
  tooLong[1] = 12;
  expectCorrupt(() => decodeVolumeLabelEntry(tooLong), 'EXFAT_VOLUME_LABEL_ENTRY_CHARACTER_COUNT');

  const bitmap = { entryType: 0x81, bitmapFlags: 0, reserved: new Uint8Array(18), firstCluster: 2, dataLength: 1984 };
  assert.equal(decodeAllocationBitmapEntry(encodeAllocationBitmapEntry(bitmap)), bitmap);
  expectCorrupt(() => decodeAllocationBitmapEntry(encodeAllocationBitmapEntry({ ...bitmap, entryType: 0x01 })), 'EXFAT_ALLOCATION_BITMAP_ENTRY_ENTRY_TYPE');

  const upcase = { entryType: 0x82, reserved1: new Uint8Array(3), tableChecksum: 0xe619d30d, reserved2: new Uint8Array(12), firstCluster: 3, dataLength: 5836 };
  assert.equal(decodeUpcaseTableEntry(encodeUpcaseTableEntry(upcase)), upcase);
  expectCorrupt(() => decodeUpcaseTableEntry(encodeUpcaseTableEntry({ ...upcase, entryType: 0x83 })), 'EXFAT_UPCASE_TABLE_ENTRY_ENTRY_TYPE');

  const guid = volumeGuidEntry('0228653F-AECF-429B-8924-CDBE80B8CD1D');
  assert.equal(decodeVolumeGuidEntry(encodeVolumeGuidEntry(guid)), guid);
  const badSum = encodeVolumeGuidEntry(guid);
  badSum[10] ^= 0xff;
  expectCorrupt(() => decodeVolumeGuidEntry(badSum), 'EXFAT_VOLUME_GUID_ENTRY_SET_CHECKSUM');
});

test('FAT head: media entry, reserved entry, chains ending in 0xFFFFFFFF', () => {
  const head = encodeFatHead([{ firstCluster: 2, clusterCount: 3 }, { firstCluster: 5, clusterCount: 1 }], 512);
  assert.is(head.length, 512);
  const v = new DataView(head.buffer);
  assert.equal([0, 1, 2, 3, 4, 5, 6].map((i) => v.getUint32(4 * i, true)), [0xfffffff8, 0xffffffff, 3, 4, 0xffffffff, 0xffffffff, 0]);
});

test('bitmap: pieces only where bits are set, the rest one zero range', () => {
  assert.equal([...encodeBitmapPiece([{ firstIndex: 0, count: 11 }], 0, 3)], [0xff, 0x07, 0]);
  const chunks = [...bitmapChunks(4096, 1 << 30, [{ firstIndex: 0, count: 11 }], 4096)];
  assert.equal(chunks.map((c) => ('bytes' in c ? ['bytes', c.offsetBytes, c.bytes.length] : ['zero', c.offsetBytes, c.zeroBytes])),
    [['bytes', 4096, 4096], ['zero', 8192, (1 << 30) - 4096]]);
});

test('boot checksum agrees with mkfs.exfat: our checksum of its sectors 0-10 equals its checksum sector', () => {
  const dir = makeTempDir('guestdisk-exfat-');
  try {
    const img = join(dir.path, 'mkfs.img');
    mustRun('truncate', ['-s', '64M', img]);
    mustRun('mkfs.exfat', ['-L', 'MKFS', img]);
    const bytes = new Uint8Array(readFileSync(img).subarray(0, 24 * 512));
    for (const base of [0, 12]) {
      const region = bytes.subarray(base * 512, (base + 12) * 512);
      const stored = new DataView(region.buffer, region.byteOffset).getUint32(11 * 512, true);
      assert.is(bootRegionChecksum(region, 512), stored);
      assert.equal(checkBootRegion(region, 512, 'mkfs.exfat'), []);
    }
    const bs = decodeExfatBootSector(bytes);
    assert.is(bs.fileSystemName, 'EXFAT   ');
  } finally {
    dir.remove();
  }
});

test.run();
