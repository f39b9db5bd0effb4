// Every refusal happens before the first write: the disk is byte for byte what it was (memory disks, digested).
// Each case names the code it must fail with and a phrase of its message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError, type ErrorCode } from '../../src/errors.js';
import { ATTR_TYPE, NTFS_RECORD_SIGNATURE, SYSTEM_FILE } from '../../src/fs/ntfs/attribute-types.js';
import { decodeAttributes } from '../../src/fs/ntfs/attributes/attribute-header.js';
import { VOLUME_FLAG, VOLUME_INFORMATION } from '../../src/fs/ntfs/attributes/volume-information.js';
import { applyFixups } from '../../src/fs/ntfs/fixup.js';
import { RESTART_AREA, RESTART_PAGE_HEADER } from '../../src/fs/ntfs/logfile.js';
import { decodeMftRecord } from '../../src/fs/ntfs/mft-record.js';
import { mapStreamRange } from '../../src/fs/ntfs/grow-bitmap.js';
import { decodeRunlist } from '../../src/fs/ntfs/runlist.js';
import { growDisk, planGrowFrom } from '../../src/grow/grow-disk.js';
import { sliceTarget } from '../../src/target/block-target.js';
import type { MemoryTarget } from '../../src/target/memory-target.js';
import { digestMemory } from '../helpers/classify.js';
import { copyOnto, GiB, grownDisk, MiB } from './disks.js';

async function refuses(disk: MemoryTarget, code: ErrorCode, phrase: RegExp, newSizeBytes = disk.sizeBytes): Promise<void> {
  const before = await digestMemory(disk);
  const error = await (newSizeBytes === disk.sizeBytes ? growDisk(disk) : planGrowFrom(disk, newSizeBytes)).then(() => null, (e: unknown) => e);
  assert.ok(error instanceof GuestdiskError, `expected a GuestdiskError, got ${String(error)}`);
  assert.is(error.code, code, error.message);
  assert.match(error.message, phrase);
  assert.is(await digestMemory(disk), before, 'the disk is untouched');
}

/** Rewrites MFT record `n` of the NTFS volume in partition 1 (at 1 MiB; $MFT at LCN 4 of 4 KiB clusters, 1 KiB
 *  records, as guestdisk and mkntfs place it) through `edit`, with its fixups applied again. */
async function editRecord(disk: MemoryTarget, n: number, edit: (record: Uint8Array, attrs: ReturnType<typeof decodeAttributes>) => void): Promise<void> {
  const volume = sliceTarget(disk, MiB, disk.sizeBytes - 2 * MiB);
  const at = 4 * 4096 + n * 1024;
  const { header, record } = decodeMftRecord(await volume.read(at, 1024), 1024);
  edit(record, decodeAttributes(record, header.attrsOffset, header.bytesInUse));
  await volume.write(at, applyFixups(record, header.usaOfs, 7));
}

test('shrinking is refused', async () => {
  await refuses(await grownDisk({ table: 'gpt', fs: 'ntfs', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 64 * MiB }), 'INVALID_SPEC', /never shrinks/, 32 * MiB);
});

test('a disk that did not grow has nothing to grow', async () => {
  await refuses(await grownDisk({ table: 'gpt', fs: 'ntfs', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 64 * MiB }), 'INVALID_SPEC', /nothing to grow/);
  await refuses(await grownDisk({ table: 'mbr', fs: 'none', sectorSize: 4096, oldBytes: 64 * MiB, newBytes: 64 * MiB }), 'INVALID_SPEC', /nothing to grow/);
});

test('FAT32 needing more clusters than its FAT has entries for is refused (exFAT refusals: exfat-plan.test.ts)', async () => {
  await refuses(await grownDisk({ table: 'mbr', fs: 'fat32', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 128 * MiB }), 'UNSUPPORTED_GEOMETRY', /has entries for \d+ clusters.*(cannot grow|largest disk size that works)/);
});

test('a dirty FAT32 volume is refused: FAT[1] clean-shutdown bit clear, or the boot sector dirty flag', async () => {
  for (const dirty of ['fat1', 'boot'] as const) {
    const disk = await grownDisk({ table: 'gpt', fs: 'fat32', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 128 * MiB });
    const volume = MiB; // create puts the partition at 1 MiB
    if (dirty === 'boot') {
      const boot = await disk.read(volume, 512);
      boot[0x41] |= 0x01; // BS_Reserved1 bit 0
      await disk.write(volume, boot);
    } else {
      const rsvd = new DataView((await disk.read(volume, 512)).buffer).getUint16(0x0e, true);
      const fat = await disk.read(volume + rsvd * 512, 512);
      fat[7] &= ~0x08; // FAT[1] bit 27: ClnShutBitMask
      await disk.write(volume + rsvd * 512, fat);
    }
    await refuses(disk, 'CORRUPT_STRUCTURE', dirty === 'boot' ? /marked dirty in its boot sector/ : /not shut down cleanly/);
  }
});

test('an MBR partition cannot end past sector 2^32: the largest size that works is named', async () => {
  await refuses(await grownDisk({ table: 'mbr', fs: 'ntfs', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 3 * 1024 * GiB }), 'UNSUPPORTED_GEOMETRY', /largest disk partition 1 can fill is 2199023255552 bytes/);
});

test('NTFS past 2^32 − 1 clusters is refused with the largest partition that works', async () => {
  const disk = await grownDisk({ table: 'gpt', fs: 'ntfs', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 64 * MiB, clusterSize: 512 });
  await refuses(await copyOnto(disk, 4 * 1024 * GiB), 'UNSUPPORTED_GEOMETRY', /at most 4294967295 clusters.*grow to at most that size/);
});

test('a last partition that did not reach the end of the usable space is refused with what was found', async () => {
  // Partition 1's entry (in both arrays) cut to end at 17 MiB: the usable space goes on for 47 MiB behind it.
  const disk = await grownDisk({ table: 'gpt', fs: 'none', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 64 * MiB });
  const { GPT_ENTRY } = await import('../../src/partition/gpt-entry.js');
  const { encodeGptHeader, decodeGptHeader } = await import('../../src/partition/gpt-header.js');
  const { crc32 } = await import('../../src/binary/crc32.js');
  const { writeIntN } = await import('../../src/binary/fields.js');
  for (const [headerLba] of [[1], [disk.sizeBytes / 512 - 1]]) {
    const header = decodeGptHeader(await disk.read(headerLba * 512, 512));
    const entries = await disk.read(header.partitionEntryLba * 512, 128 * 128);
    const { offsetBytes } = GPT_ENTRY.fieldRange('endingLba');
    writeIntN(entries, offsetBytes, 8, 2048 + 16 * 2048 - 1); // ends at 17 MiB
    await disk.write(header.partitionEntryLba * 512, entries);
    await disk.write(headerLba * 512, encodeGptHeader({ ...header, partitionEntryArrayCrc32: crc32(entries) }, 512));
  }
  await refuses(await copyOnto(disk, 128 * MiB), 'INVALID_SPEC', /partition 1 ends at LBA 34815, but the usable space went on to LBA \d+ .*only a last partition that filled the disk can grow/);
});

test('a dirty NTFS volume is refused (chkdsk first)', async () => {
  const disk = await grownDisk({ table: 'gpt', fs: 'ntfs', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 128 * MiB });
  await editRecord(disk, SYSTEM_FILE.VOLUME, (record, attrs) => {
    const info = attrs.find((a) => a.type === ATTR_TYPE.VOLUME_INFORMATION)!;
    const valueAt = info.resident!.value.byteOffset - record.byteOffset;
    const flags = VOLUME_INFORMATION.fieldRange('flags').offsetBytes;
    record[valueAt + flags] |= VOLUME_FLAG.IS_DIRTY;
  });
  await refuses(disk, 'CORRUPT_STRUCTURE', /marked dirty.*chkdsk/);
});

test('a hibernated / Fast Startup volume ($LogFile not clean) is refused', async () => {
  const disk = await grownDisk({ table: 'gpt', fs: 'ntfs', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 128 * MiB });
  const volume = sliceTarget(disk, MiB, 62 * MiB);
  const rec2 = decodeMftRecord(await volume.read(4 * 4096 + 2 * 1024, 1024), 1024);
  const data = decodeAttributes(rec2.record, rec2.header.attrsOffset, rec2.header.bytesInUse).find((a) => a.type === ATTR_TYPE.DATA)!;
  const first = mapStreamRange(decodeRunlist(data.nonResident!.mappingPairs), 4096, 0, 4096)[0];
  const page = new Uint8Array(4096);
  RESTART_PAGE_HEADER.encodeInto({ magic: NTFS_RECORD_SIGNATURE.RSTR, usaOfs: 0x1e, usaCount: 9, chkdskLsn: 0, systemPageSize: 4096, logPageSize: 4096, restartAreaOffset: 0x30, minorVer: 1, majorVer: 1, usn: 1 }, page);
  RESTART_AREA.encodeInto({ currentLsn: 1234, logClients: 1, clientFreeList: 0xffff, clientInUseList: 0, flags: 0, seqNumberBits: 44, restartAreaLength: 0xd0, clientArrayOffset: 0x30, fileSize: 2 * MiB, lastLsnDataLength: 0, logRecordHeaderLength: 0x30, logPageDataOffset: 0x40, restartLogOpenCount: 1, reserved: 0 }, page, 0x30);
  await volume.write(first.volumeOffsetBytes!, page);
  await refuses(disk, 'TARGET_BUSY', /not shut down cleanly: Windows is hibernated, used Fast Startup/);
});

test('a damaged table is refused, not grown', async () => {
  const disk = await grownDisk({ table: 'gpt', fs: 'ntfs', sectorSize: 512, oldBytes: 64 * MiB, newBytes: 128 * MiB });
  await disk.write(512 + 0x10, Uint8Array.of(1, 2, 3, 4)); // primary header CRC
  await refuses(disk, 'CORRUPT_STRUCTURE', /partition table has errors/);
});

test.run();
