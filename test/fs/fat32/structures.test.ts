// Field tables tile their structures; encode/decode round trips; corruption is named; labels follow FAT's rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkTiling } from '../../../src/binary/fields.js';
import { GuestdiskError } from '../../../src/errors.js';
import {
  FAT32_BOOT_SECTOR, checkFat32BootSector, decodeFat32BootSector, encodeFat32BootSector,
} from '../../../src/fs/fat32/boot-sector.js';
import { DIR_ENTRY, ATTR_VOLUME_ID, decodeDirEntry, encodeDirEntry } from '../../../src/fs/fat32/dir-entry.js';
import { FSINFO, decodeFsInfo, encodeFsInfo, makeFsInfo } from '../../../src/fs/fat32/fsinfo.js';
import { encodeFat32Head, fat32SectorsFor } from '../../../src/fs/fat32/fat.js';
import { fat32BootSectorValue, fat32LabelEntry } from '../../../src/fs/fat32/format.js';
import { planFat32 } from '../../../src/fs/fat32/plan.js';
import { parseFatLabel, bootSectorLabel } from '../../../src/fs/fat32/volume-label.js';
import { fat32Input } from './volume-file.js';

const plan = planFat32(fat32Input({ partitionSizeBytes: 1024 ** 3 }));

function expectCode(fn: () => unknown, code: string, text?: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, GuestdiskError);
    assert.is((e as GuestdiskError).code, code, (e as Error).message);
    if (text) assert.match((e as Error).message, text);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('field tables tile their spec sizes (512, 512, 32)', () => {
  assert.equal(checkTiling(FAT32_BOOT_SECTOR), []);
  assert.equal(checkTiling(FSINFO), []);
  assert.equal(checkTiling(DIR_ENTRY), []);
  assert.is(FAT32_BOOT_SECTOR.sizeBytes, 512);
  assert.is(FSINFO.sizeBytes, 512);
  assert.is(DIR_ENTRY.sizeBytes, 32);
});

test('boot sector round trips, 0x55AA at 510 and zeros after 512 in a 4096-byte sector', () => {
  const value = fat32BootSectorValue(plan);
  const bytes = encodeFat32BootSector(value, 4096);
  assert.is(bytes.length, 4096);
  assert.is(bytes[510], 0x55);
  assert.is(bytes[511], 0xaa);
  assert.ok(bytes.subarray(512).every((b) => b === 0));
  assert.equal(decodeFat32BootSector(bytes), value);
  assert.equal(checkFat32BootSector(value), []);
  // Fields as fatgen103 and Windows have them.
  assert.equal([...bytes.subarray(0, 3)], [0xeb, 0x58, 0x90]);
  assert.is(new TextDecoder().decode(bytes.subarray(3, 11)), 'MSDOS5.0');
  assert.is(new TextDecoder().decode(bytes.subarray(0x52, 0x5a)), 'FAT32   ');
  assert.is(bytes[0x15], 0xf8);
  assert.is(bytes[0x40], 0x80);
  assert.is(bytes[0x42], 0x29);
});

test('boot sector corruption is named', () => {
  const good = encodeFat32BootSector(fat32BootSectorValue(plan));
  const cases: [number, number, string][] = [
    [0x1fe, 0x00, 'FAT32_BOOT_SECTOR_SIGNATURE_WORD'],
    [0x0b, 0x01, 'FAT32_BOOT_SECTOR_BYTS_PER_SEC'],
    [0x0d, 0x03, 'FAT32_BOOT_SECTOR_SEC_PER_CLUS'],
    [0x11, 0x01, 'FAT32_BOOT_SECTOR_ROOT_ENT_CNT'],
    [0x13, 0x01, 'FAT32_BOOT_SECTOR_TOT_SEC16'],
    [0x16, 0x01, 'FAT32_BOOT_SECTOR_FAT_SZ16'],
    [0x10, 0x00, 'FAT32_BOOT_SECTOR_NUM_FATS'],
    [0x00, 0x00, 'FAT32_BOOT_SECTOR_JMP_BOOT'],
  ];
  for (const [offset, value, code] of cases) {
    const bad = good.slice();
    bad[offset] = value;
    try {
      decodeFat32BootSector(bad);
      assert.unreachable(code);
    } catch (e) {
      assert.instance(e, GuestdiskError);
      assert.is((e as GuestdiskError).code, 'CORRUPT_STRUCTURE');
      assert.is((e as GuestdiskError).details.code, code);
    }
  }
  expectCode(() => decodeFat32BootSector(good.subarray(0, 100)), 'CORRUPT_STRUCTURE');
});

test('FSInfo round trips with its three signatures; each one is checked', () => {
  const value = makeFsInfo(plan.clusterCount - 1, 3);
  const bytes = encodeFsInfo(value, 512);
  assert.equal(decodeFsInfo(bytes), value);
  assert.equal([...bytes.subarray(0, 4)], [0x52, 0x52, 0x61, 0x41]); // "RRaA"
  assert.equal([...bytes.subarray(0x1e4, 0x1e8)], [0x72, 0x72, 0x41, 0x61]); // "rrAa"
  assert.equal([...bytes.subarray(0x1fc, 0x200)], [0x00, 0x00, 0x55, 0xaa]);
  for (const [offset, code] of [[0, 'FS_INFO_LEAD_SIG'], [0x1e4, 'FS_INFO_STRUC_SIG'], [0x1fe, 'FS_INFO_TRAIL_SIG']] as const) {
    const bad = bytes.slice();
    bad[offset] ^= 0xff;
    try {
      decodeFsInfo(bad);
      assert.unreachable(code);
    } catch (e) {
      assert.is((e as GuestdiskError).details.code, code);
    }
  }
  assert.is(encodeFsInfo(value, 4096).length, 4096);
});

test('label entry round trips; time from the plan; no cluster, no size', () => {
  const entry = fat32LabelEntry('MY DATA', Date.UTC(2024, 0, 2, 3, 4, 7) / 1000);
  const bytes = encodeDirEntry(entry);
  assert.equal(decodeDirEntry(bytes), entry);
  assert.is(new TextDecoder().decode(bytes.subarray(0, 11)), 'MY DATA    ');
  assert.is(bytes[11], ATTR_VOLUME_ID);
  assert.is(entry.wrtDate, ((2024 - 1980) << 9) | (1 << 5) | 2);
  assert.is(entry.wrtTime, (3 << 11) | (4 << 5) | 3);
  const bad = bytes.slice();
  bad[0x1c] = 1;
  expectCode(() => decodeDirEntry(bad), 'CORRUPT_STRUCTURE');
});

test('FAT head: media entry, clean-shutdown entry, root EOC; FAT sectors cover every cluster', () => {
  const head = encodeFat32Head(0xf8, 2, 512);
  assert.equal([...head.subarray(0, 12)], [0xf8, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0x0f]);
  assert.ok(head.subarray(12).every((b) => b === 0));
  assert.is(fat32SectorsFor(126, 512), 1); // 128 entries
  assert.is(fat32SectorsFor(127, 512), 2);
  assert.is(fat32SectorsFor(1022, 4096), 1);
});

test('labels: upper-cased, padded, forbidden characters and non-ASCII refused', () => {
  assert.is(parseFatLabel('data disk'), 'DATA DISK');
  assert.is(parseFatLabel('ABCDEFGHIJK'), 'ABCDEFGHIJK');
  assert.is(parseFatLabel('trailing  '), 'TRAILING');
  assert.is(parseFatLabel(undefined), null);
  assert.is(parseFatLabel(''), null);
  assert.is(bootSectorLabel(null), 'NO NAME    ');
  assert.is(bootSectorLabel('X'), 'X          ');
  expectCode(() => parseFatLabel('ABCDEFGHIJKL'), 'INVALID_SPEC', /longer than 11/);
  for (const ch of '"*+,./:;<=>?[\\]|') expectCode(() => parseFatLabel(`A${ch}B`), 'INVALID_SPEC', /not allowed/);
  expectCode(() => parseFatLabel('A\tB'), 'INVALID_SPEC', /control/);
  expectCode(() => parseFatLabel('DONNÉES'), 'INVALID_SPEC', /ASCII/);
  expectCode(() => parseFatLabel(' LEAD'), 'INVALID_SPEC', /start with a space/);
  expectCode(() => parseFatLabel('   '), 'INVALID_SPEC', /only spaces/);
  expectCode(() => planFat32(fat32Input({ partitionSizeBytes: 1024 ** 3, label: 'a:b' })), 'INVALID_SPEC');
});

test.run();
