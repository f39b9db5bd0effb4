// Hostile input: random bytes, truncated images, random byte changes of good images, and GPT headers with
// random fields but valid CRCs never make inspect/verify throw anything but GuestdiskError, and finish fast
// (entry arrays, EBR chains and filesystem walks are bounded).
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GuestdiskError } from '../../src/errors.js';
import { inspectDisk } from '../../src/inspect/inspect.js';
import { detectSectorSize } from '../../src/inspect/sector-size.js';
import { verifyDisk } from '../../src/inspect/verify.js';
import { crc32 } from '../../src/binary/crc32.js';
import { GPT_ENTRY } from '../../src/partition/gpt-entry.js';
import { computeGptHeaderCrc32, encodeGptHeader } from '../../src/partition/gpt-header.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import type { LogicalSectorSize, TableKind } from '../../src/plan/layout.js';
import type { MemoryTarget } from '../../src/target/memory-target.js';
import { cloneDisk, defaultSizeBytes, makeMemoryDisk, memoryFrom, MIB, WRITABLE_FS } from './disks.js';

const RUNS = Number(process.env.GUESTDISK_PROPERTY_RUNS ?? 150);
const SLOW_MS = 2000;

async function survives(bytes: Uint8Array, sectorSize: LogicalSectorSize): Promise<void> {
  if (bytes.length < sectorSize) return;
  await targetSurvives(memoryFrom(bytes, sectorSize));
}

async function targetSurvives(target: MemoryTarget): Promise<void> {
  const started = Date.now();
  try {
    await detectSectorSize(target);
    const report = await inspectDisk(target);
    JSON.stringify(report); // plain JSON, always
    assert.not.ok(report.findings.some((f) => f.code === 'FS_INSPECT_INTERNAL_ERROR'), JSON.stringify(report.findings.filter((f) => f.code === 'FS_INSPECT_INTERNAL_ERROR')));
    await verifyDisk(target, { table: 'gpt', fs: 'ntfs', label: 'x' });
  } catch (e) {
    if (!(e instanceof GuestdiskError)) throw e;
  }
  assert.ok(Date.now() - started < SLOW_MS, `took ${Date.now() - started} ms`);
}

interface Good { name: string; disk: MemoryTarget; sectorSize: LogicalSectorSize }
const goods: Good[] = [];
for (const table of ['gpt', 'mbr'] as TableKind[]) {
  for (const sectorSize of [512, 4096] as LogicalSectorSize[]) {
    for (const fs of WRITABLE_FS) {
      const sizeBytes = fs === 'fat32' ? defaultSizeBytes(fs, sectorSize) : fs === 'none' ? 4 * MIB : 16 * MIB;
      const disk = await makeMemoryDisk({ table, fs, sectorSize, sizeBytes, seed: 'property', label: fs === 'none' ? undefined : 'PROP' });
      goods.push({ name: `${table}-${sectorSize}-${fs}`, disk, sectorSize });
    }
  }
}

test('random bytes', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 70_000 }), fc.constantFrom<LogicalSectorSize>(512, 4096), async (bytes, s) => {
      // The interesting signatures, so random data reaches past the first checks now and then.
      if (bytes.length > 520 && bytes[0] & 1) { bytes[510] = 0x55; bytes[511] = 0xaa; }
      if (bytes.length > 1024 && bytes[1] & 1) bytes.set([0x45, 0x46, 0x49, 0x20, 0x50, 0x41, 0x52, 0x54], 512);
      await survives(bytes, s);
    }),
    { numRuns: RUNS },
  );
});

test('truncated good images', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...goods), fc.integer({ min: 1, max: 1 << 20 }), async (good, sectors) => {
      // Mostly cut inside the first 4 MiB (tables, boot sectors, MFT), sometimes anywhere.
      const cut = sectors < 1 << 19 ? (sectors % 8192) * 512 : Math.floor((sectors / (1 << 20)) * good.disk.sizeBytes);
      await targetSurvives(await cloneDisk(good.disk, { sizeBytes: Math.max(good.sectorSize, cut) }));
    }),
    { numRuns: RUNS },
  );
});

/** Offsets worth changing: the table sectors at both ends, the partition's first sectors, written chunks. */
function hotOffset(good: Good, pick: number, where: number): number {
  const n = good.disk.sizeBytes;
  const chunks = good.disk.touchedChunks();
  const chunk = chunks[pick % chunks.length];
  const zones = [[0, 40 * good.sectorSize], [n - 40 * good.sectorSize, n], [MIB, MIB + 16 * good.sectorSize], [chunk, chunk + 64 * 1024]];
  const [a, b] = zones[where % zones.length];
  return a + (pick % (b - a));
}

test('single-byte (and few-byte) changes of good images', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...goods),
      fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      async (good, changes) => {
        const edits = changes.map(([pick, where, value]) => [hotOffset(good, pick, where), value] as const);
        await targetSurvives(await cloneDisk(good.disk, { changes: edits }));
      },
    ),
    { numRuns: RUNS },
  );
});

test('GPT headers with random fields and a correct CRC (huge entry counts, sizes, LBAs)', async () => {
  const gpts = goods.filter((g) => g.name.startsWith('gpt'));
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...gpts),
      fc.array(fc.tuple(fc.integer({ min: 0x08, max: 0x5b }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.boolean(),
      async (good, changes, backup) => {
        const at = backup ? good.disk.sizeBytes - good.sectorSize : good.sectorSize;
        const header = await good.disk.read(at, good.sectorSize);
        for (const [offset, value] of changes) if (offset < 0x10 || offset >= 0x14) header[offset] = value;
        new DataView(header.buffer, header.byteOffset).setUint32(0x10, computeGptHeaderCrc32(header, 92), true);
        await targetSurvives(await cloneDisk(good.disk, { changes: [...header.subarray(0, 92)].map((v, i) => [at + i, v] as const) }));
      },
    ),
    { numRuns: RUNS },
  );
});

test('an entry array of 2^32 - 1 entries is refused by bound, not read', async () => {
  const good = goods.find((g) => g.name.startsWith('gpt-512'))!;
  const header = await good.disk.read(512, 512);
  new DataView(header.buffer, header.byteOffset).setUint32(0x50, 0xffffffff, true);
  new DataView(header.buffer, header.byteOffset).setUint32(0x10, computeGptHeaderCrc32(header, 92), true);
  const report = await inspectDisk(await cloneDisk(good.disk, { changes: [...header].map((v, i) => [512 + i, v] as const) }));
  assert.ok(report.findings.some((f) => f.code === 'GPT_ENTRY_ARRAY_BOUNDS'));
  assert.ok(report.table.kind === 'gpt' && report.table.source === 'backup');
});

test('8192 identical valid GPT entries: bounded findings and time', async () => {
  const disk = openMemoryTarget({ sizeBytes: 64 * MIB, logicalSectorSize: 512 });
  const array = new Uint8Array(8192 * 128);
  const entry = { partitionTypeGuid: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7', uniquePartitionGuid: '11111111-2222-4333-8444-555555555555', startingLba: 4096, endingLba: 8191, attributesLow: 0, attributesHigh: 0, partitionName: 'x' };
  for (let i = 0; i < 8192; i++) GPT_ENTRY.encodeInto(entry, array, i * 128);
  const header = encodeGptHeader({ signature: 'EFI PART', revision: 0x10000, headerSize: 92, headerCrc32: 0, reserved: 0, myLba: 1, alternateLba: 131071, firstUsableLba: 2050, lastUsableLba: 131038, diskGuid: '11111111-2222-4333-8444-555555555556', partitionEntryLba: 2, numberOfPartitionEntries: 8192, sizeOfPartitionEntry: 128, partitionEntryArrayCrc32: crc32(array) }, 512);
  await disk.write(512, header);
  await disk.write(1024, array);
  const started = Date.now();
  const report = await inspectDisk(disk);
  assert.ok(Date.now() - started < SLOW_MS, `${Date.now() - started} ms`);
  assert.is(report.partitions.length, 8192);
  assert.ok(report.findings.length < 400, `${report.findings.length} findings`);
  assert.ok(report.findings.some((f) => f.code === 'TOO_MANY_PARTITIONS'));
  assert.is(report.findings.filter((f) => f.code === 'PARTITION_OVERLAP').length, 16);
});

test('an EBR chain that loops is cut, with MBR_EXTENDED_CHAIN', async () => {
  const bytes = new Uint8Array(4 * MIB);
  const view = new DataView(bytes.buffer);
  const record = (sector: number, slot: number, type: number, start: number, size: number): void => {
    const at = sector * 512 + 0x1be + 16 * slot;
    bytes[at + 4] = type;
    view.setUint32(at + 8, start, true);
    view.setUint32(at + 12, size, true);
  };
  const sign = (sector: number): void => { bytes[sector * 512 + 510] = 0x55; bytes[sector * 512 + 511] = 0xaa; };
  view.setUint32(0x1b8, 0x12345678, true);
  record(0, 0, 0x0f, 2048, 4096); sign(0);
  record(2048, 0, 0x07, 128, 1000); record(2048, 1, 0x05, 0, 4096); sign(2048); // next EBR = itself
  const report = await inspectDisk(memoryFrom(bytes, 512));
  assert.ok(report.findings.some((f) => f.code === 'MBR_EXTENDED_CHAIN'), JSON.stringify(report.findings.map((f) => f.code)));
  assert.is(report.partitions.filter((p) => p.logical).length, 1);
});

test.run();
