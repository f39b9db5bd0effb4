// The library validates like the CLI: every public function (src/index.ts) refuses bad input with a
// GuestdiskError of the documented code, writes nothing, and leaves no file behind. Sizes beyond
// Number.MAX_SAFE_INTEGER bytes are refused, never rounded.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as api from '../../src/index.js';
import type { DiskSpec, ErrorCode, Geometry } from '../../src/index.js';
import { makeTempDir } from '../helpers/tools.js';

const MiB = 2 ** 20;
const base: DiskSpec = { table: 'gpt', fs: 'ntfs', seed: 'library', timestamp: 1_700_000_000 };
const geo = (sizeBytes: number, logicalSectorSize = 512): Geometry => ({ sizeBytes, logicalSectorSize: logicalSectorSize as 512, physicalSectorSize: logicalSectorSize });
const dir = makeTempDir('guestdisk-bad-library-');
test.after(() => dir.remove());

async function expectCode(code: ErrorCode, what: string, f: () => unknown): Promise<void> {
  let thrown: unknown = null;
  try {
    await f();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== null, `${what}: accepted, expected ${code}`);
  assert.instance(thrown, api.GuestdiskError, `${what}: threw ${String(thrown)}, not a GuestdiskError`);
  assert.is((thrown as api.GuestdiskError).code, code, `${what}: ${(thrown as Error).message}`);
}

const PLAN_ROWS: [string, ErrorCode, DiskSpec, Geometry][] = [
  ['label: lone high surrogate', 'INVALID_SPEC', { ...base, label: '\uD800' }, geo(64 * MiB)],
  ['label: lone low surrogate (exFAT)', 'INVALID_SPEC', { ...base, fs: 'exfat', label: 'a\uDC00' }, geo(64 * MiB)],
  ['label: lone low surrogate (FAT32)', 'INVALID_SPEC', { ...base, fs: 'fat32', label: 'a\uDC00' }, geo(64 * MiB)],
  ['label: reversed surrogate pair', 'INVALID_SPEC', { ...base, label: '\uDE00\uD83D' }, geo(64 * MiB)],
  ['partition name: lone surrogate', 'INVALID_SPEC', { ...base, partitionName: 'x\uD800' }, geo(64 * MiB)],
  ['label: not a string', 'INVALID_SPEC', { ...base, label: 5 as unknown as string }, geo(64 * MiB)],
  ['label: NTFS 33 units', 'INVALID_SPEC', { ...base, label: 'x'.repeat(33) }, geo(64 * MiB)],
  ['label: NUL (exFAT)', 'INVALID_SPEC', { ...base, fs: 'exfat', label: 'a\u0000b' }, geo(64 * MiB)],
  ['size: 2^53 bytes', 'INVALID_SPEC', base, geo(2 ** 53)],
  ['size: 2^53 + 2 bytes', 'INVALID_SPEC', base, geo(2 ** 53 + 2)],
  ['size: 2^60 bytes', 'INVALID_SPEC', base, geo(2 ** 60)],
  ['size: NaN', 'INVALID_SPEC', base, geo(NaN)],
  ['size: Infinity', 'INVALID_SPEC', base, geo(Infinity)],
  ['size: negative', 'INVALID_SPEC', base, geo(-512)],
  ['size: 0', 'INVALID_SPEC', base, geo(0)],
  ['size: not a multiple of the sector', 'INVALID_SPEC', base, geo(64 * MiB + 512, 4096)],
  ['size: fractional', 'INVALID_SPEC', base, geo(64 * MiB + 0.5)],
  ['size: below the table', 'TARGET_TOO_SMALL', base, geo(MiB)],
  ['size: below FAT32', 'TARGET_TOO_SMALL', { ...base, fs: 'fat32' }, geo(20 * MiB)],
  ['size: MBR past 2^32 sectors', 'INVALID_SPEC', { ...base, table: 'mbr', fs: 'none' }, geo(3 * 2 ** 40)],
  ['size: FAT32 past 2^32 sectors', 'UNSUPPORTED_GEOMETRY', { ...base, fs: 'fat32' }, geo(3 * 2 ** 40)],
  ['sector size 1024', 'UNSUPPORTED_GEOMETRY', base, geo(64 * MiB, 1024)],
  ['physical sector smaller than logical', 'UNSUPPORTED_GEOMETRY', base, { sizeBytes: 64 * MiB, logicalSectorSize: 4096, physicalSectorSize: 512 }],
  ['table: unknown', 'INVALID_SPEC', { ...base, table: 'apm' as 'gpt' }, geo(64 * MiB)],
  ['fs: unknown', 'INVALID_SPEC', { ...base, fs: 'ext4' as 'ntfs' }, geo(64 * MiB)],
  ['seed: empty', 'INVALID_SPEC', { ...base, seed: '' }, geo(64 * MiB)],
  ['seed: not a string', 'INVALID_SPEC', { ...base, seed: 7 as unknown as string }, geo(64 * MiB)],
  ['timestamp: fractional', 'INVALID_SPEC', { ...base, timestamp: 1.5 }, geo(64 * MiB)],
  ['timestamp: before 1970', 'INVALID_SPEC', { ...base, timestamp: -1 }, geo(64 * MiB)],
  ['timestamp: NaN', 'INVALID_SPEC', { ...base, timestamp: NaN }, geo(64 * MiB)],
  ['cluster size: not a power of two (exFAT)', 'INVALID_SPEC', { ...base, fs: 'exfat', clusterSize: 3000 }, geo(64 * MiB)],
  ['cluster size: 2^60', 'INVALID_SPEC', { ...base, clusterSize: 2 ** 60 }, geo(64 * MiB)],
  ['cluster size: FAT32 64 KiB', 'INVALID_SPEC', { ...base, fs: 'fat32', clusterSize: 65536 }, geo(64 * MiB)],
];

for (const [what, code, spec, geometry] of PLAN_ROWS) {
  test(`planDisk refuses ${what}: ${code}`, () => expectCode(code, what, () => api.planDisk(spec, geometry)));
}

// The filesystems' time ranges: FAT and exFAT 1980-01-01..2107-12-31 (local time fields with a 7-bit year from
// 1980); NTFS 100 ns units from 1601 in a u64 (Windows: to year 30828).
const FAT_FIRST = Date.UTC(1980, 0, 1) / 1000;
const FAT_END = Date.UTC(2108, 0, 1) / 1000;
for (const fs of ['fat32', 'exfat'] as const) {
  test(`planDisk refuses a ${fs} timestamp outside 1980..2107 and accepts its ends`, async () => {
    await expectCode('INVALID_SPEC', `${fs} 1979-12-31T23:59:58Z`, () => api.planDisk({ ...base, fs, timestamp: FAT_FIRST - 2 }, geo(64 * MiB)));
    await expectCode('INVALID_SPEC', `${fs} 2108-01-01`, () => api.planDisk({ ...base, fs, timestamp: FAT_END }, geo(64 * MiB)));
    api.planDisk({ ...base, fs, timestamp: FAT_FIRST }, geo(64 * MiB));
    api.planDisk({ ...base, fs, timestamp: FAT_END - 2 }, geo(64 * MiB));
  });
}
test('planDisk refuses an NTFS timestamp after 9999-12-31 and accepts its last second', async () => {
  const END_9999 = Date.UTC(10000, 0, 1) / 1000;
  api.planDisk({ ...base, timestamp: END_9999 - 1 }, geo(64 * MiB));
  await expectCode('INVALID_SPEC', 'NTFS 10000-01-01', () => api.planDisk({ ...base, timestamp: END_9999 }, geo(64 * MiB)));
  await expectCode('INVALID_SPEC', 'NTFS 99999999999999', () => api.planDisk({ ...base, timestamp: 99_999_999_999_999 }, geo(64 * MiB)));
  await expectCode('INVALID_SPEC', 'NTFS MAX_SAFE_INTEGER', () => api.planDisk({ ...base, timestamp: Number.MAX_SAFE_INTEGER }, geo(64 * MiB)));
});

test('parse* refuse what they cannot represent exactly', async () => {
  await expectCode('INVALID_SPEC', 'parseSize 2^53 + 1', () => api.parseSize('9007199254740993'));
  await expectCode('INVALID_SPEC', 'parseSize 2^53 (number)', () => api.parseSize(2 ** 53));
  await expectCode('INVALID_SPEC', 'parseSize 8P', () => api.parseSize('8P'));
  await expectCode('INVALID_SPEC', 'parseSize -1', () => api.parseSize(-1));
  await expectCode('INVALID_SPEC', 'parseSize 1.0000001K', () => api.parseSize('1.0000001K'));
  assert.is(api.parseSize(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
  await expectCode('INVALID_SPEC', 'parseTimestamp 1e20', () => api.parseTimestamp('100000000000000000000'));
  await expectCode('INVALID_SPEC', 'parseTimestamp 1.5', () => api.parseTimestamp(1.5));
  await expectCode('INVALID_SPEC', 'parseSectorSize 1024', () => api.parseSectorSize(1024));
  await expectCode('INVALID_SPEC', 'parseTableKind apm', () => api.parseTableKind('apm'));
  await expectCode('INVALID_SPEC', 'parseFsKind ext4', () => api.parseFsKind('ext4'));
});

test('sizes are multiplied out exactly: a decimal that is not whole bytes is refused, not rounded', async () => {
  await expectCode('INVALID_SPEC', 'parseSize 1.00000000000000001T', () => api.parseSize('1.00000000000000001T'));
  await expectCode('INVALID_SPEC', 'parseSize 0.1', () => api.parseSize('0.1'));
  assert.is(api.parseSize('1.5T'), 1.5 * 2 ** 40);
  assert.is(api.parseSize('0.5K'), 512);
  assert.is(api.parseSize('1.00000000000000000000G'), 2 ** 30);
  // B bytes written in a unit of 2^k bytes is a decimal with at most k fraction digits: B × 5^k / 10^k
  const decimal = (bytes: number, k: number): string => {
    const digits = (BigInt(bytes) * 5n ** BigInt(k)).toString().padStart(k + 1, '0');
    return `${digits.slice(0, digits.length - k)}.${digits.slice(digits.length - k)}`;
  };
  fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 43 }), fc.constantFrom<[string, number]>(['K', 10], ['M', 20], ['G', 30]), fc.integer({ min: 1, max: 9 }), (bytes, [unit, k], digit) => {
    const exact = `${decimal(bytes, k)}${unit}`;
    let refused = false;
    try { api.parseSize(`${decimal(bytes, k)}${digit}${unit}`); } catch { refused = true; } // + digit × 10^-(k+1) units: never whole bytes
    return api.parseSize(exact) === bytes && refused;
  }), { numRuns: 2000 });
});

test('timestamps: integer Unix seconds or ISO 8601 with a zone, the same seconds Date.parse gives; nothing else', async () => {
  for (const bad of ['2024-01-31T12:00:00', '2024-01-31', '1.5', '0.5', 'x 2024', '5/6/7', 'Feb 30 2024', '2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-01-31T24:00:00Z', '2024-01-31T12:00:00+25:00', 'yesterday', '']) {
    await expectCode('INVALID_SPEC', `parseTimestamp ${JSON.stringify(bad)}`, () => api.parseTimestamp(bad));
  }
  await expectCode('INVALID_SPEC', 'SOURCE_DATE_EPOCH in ISO form', () => api.parseTimestamp('2024-01-31T12:00:00Z', 'SOURCE_DATE_EPOCH'));
  assert.is(api.parseTimestamp('2024-02-29T23:59:59.999Z'), Date.UTC(2024, 1, 29, 23, 59, 59) / 1000);
  fc.assert(fc.property(fc.integer({ min: 0, max: 253_402_300_799 - 86_400 }), fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }), (seconds, offsetMinutes) => {
    const local = new Date((seconds + offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
    const sign = offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(offsetMinutes);
    const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    return api.parseTimestamp(`${local}${zone}`) === seconds && api.parseTimestamp(`${new Date(seconds * 1000).toISOString()}`) === seconds && api.parseTimestamp(String(seconds)) === seconds;
  }), { numRuns: 2000 });
});

test('minimumDiskBytes refuses an unknown table or sector size', async () => {
  await expectCode('INVALID_SPEC', "minimumDiskBytes('apm', 512)", () => api.minimumDiskBytes('apm' as 'gpt', 512));
  await expectCode('UNSUPPORTED_GEOMETRY', "minimumDiskBytes('gpt', 1000)", () => api.minimumDiskBytes('gpt', 1000));
});

test('openMemoryTarget refuses unsafe sizes, odd sizes and unsupported sector sizes', async () => {
  await expectCode('INVALID_SPEC', 'memory 2^60', () => api.openMemoryTarget({ sizeBytes: 2 ** 60 }));
  await expectCode('INVALID_SPEC', 'memory 1000', () => api.openMemoryTarget({ sizeBytes: 1000 }));
  await expectCode('UNSUPPORTED_GEOMETRY', 'memory with 1024-byte sectors', () => api.openMemoryTarget({ sizeBytes: MiB, logicalSectorSize: 1024 as 512 }));
});

test('openFileTarget refuses bad sizes before creating the file', async () => {
  const rows: [string, ErrorCode, api.FileTargetOptions][] = [
    ['size 2^60', 'INVALID_SPEC', { path: join(dir.path, 'a.img'), mode: 'write', sizeBytes: 2 ** 60 }],
    ['size 2^53', 'INVALID_SPEC', { path: join(dir.path, 'b.img'), mode: 'write', sizeBytes: 2 ** 53 }],
    ['size 1000', 'INVALID_SPEC', { path: join(dir.path, 'c.img'), mode: 'write', sizeBytes: 1000 }],
    ['size 0', 'INVALID_SPEC', { path: join(dir.path, 'd.img'), mode: 'write', sizeBytes: 0 }],
    ['1024-byte sectors', 'UNSUPPORTED_GEOMETRY', { path: join(dir.path, 'e.img'), mode: 'write', sizeBytes: MiB, logicalSectorSize: 1024 as 512 }],
  ];
  const wrong: string[] = [];
  for (const [what, code, options] of rows) {
    const got = await api.openFileTarget(options).then(
      async (t) => { await t.close(); return 'accepted'; },
      (e: unknown) => (e instanceof api.GuestdiskError ? e.code : `a ${String(e)}`),
    );
    if (got !== code) wrong.push(`${what}: ${got}, expected ${code}`);
    if (existsSync(options.path)) wrong.push(`${what}: left ${options.path} behind`);
  }
  assert.equal(wrong, [], wrong.join('; '));
});

test('openBlockDeviceTarget and readBlockDeviceGeometry refuse a regular file', async () => {
  const file = join(dir.path, 'plain.img');
  const t = await api.openFileTarget({ path: file, mode: 'write', sizeBytes: MiB });
  await t.close();
  await expectCode('INVALID_SPEC', 'openBlockDeviceTarget(file)', () => api.openBlockDeviceTarget({ path: file, mode: 'write' }));
  await expectCode('INVALID_SPEC', 'readBlockDeviceGeometry(file)', () => api.readBlockDeviceGeometry(file));
});

test('sliceTarget refuses a slice outside the disk or beyond safe integers', async () => {
  const disk = api.openMemoryTarget({ sizeBytes: MiB });
  await expectCode('OUT_OF_BOUNDS', 'slice past the end', () => api.sliceTarget(disk, MiB - 512, 1024));
  await expectCode('OUT_OF_BOUNDS', 'slice at 2^53 + 2', () => api.sliceTarget(disk, 2 ** 53 + 2, 0));
  await expectCode('OUT_OF_BOUNDS', 'slice at -512', () => api.sliceTarget(disk, -512, 512));
});

test('writeDisk refuses a Layout for another geometry before writing anything', async () => {
  const layout = api.planDisk(base, geo(64 * MiB));
  const target = api.openMemoryTarget({ sizeBytes: 32 * MiB });
  await expectCode('INVALID_SPEC', 'writeDisk on a smaller disk', () => api.writeDisk(layout, target));
  assert.equal(target.log, []);
  const target4k = api.openMemoryTarget({ sizeBytes: 64 * MiB, logicalSectorSize: 4096 });
  await expectCode('INVALID_SPEC', 'writeDisk on 4096-byte sectors', () => api.writeDisk(layout, target4k));
  assert.equal(target4k.log, []);
});

test('writeDisk refuses a tampered Layout (a step outside the disk) before writing anything', async () => {
  const layout = api.planDisk({ ...base, fs: 'none' }, geo(64 * MiB));
  const steps = layout.steps.map((s) => (s.kind === 'mbr' ? { ...s, offsetBytes: 64 * MiB } : s));
  const target = api.openMemoryTarget({ sizeBytes: 64 * MiB });
  let thrown: unknown = null;
  await api.writeDisk({ ...layout, steps }, target).catch((e: unknown) => { thrown = e; });
  assert.instance(thrown, api.GuestdiskError);
  assert.is((thrown as api.GuestdiskError).code, 'OUT_OF_BOUNDS');
  assert.equal(target.log.filter((r) => r.kind !== 'flush'), [], 'a Layout is checked whole before its first write');
});

test('garbage from JavaScript callers gives a GuestdiskError, not a TypeError', async () => {
  const target = api.openMemoryTarget({ sizeBytes: 64 * MiB });
  await expectCode('INVALID_SPEC', 'writeDisk({})', () => api.writeDisk({} as api.Layout, target));
  await expectCode('INVALID_SPEC', 'planDisk(null, geometry)', () => api.planDisk(null as unknown as DiskSpec, geo(64 * MiB)));
  await expectCode('INVALID_SPEC', 'planDisk(spec, null)', () => api.planDisk(base, null as unknown as Geometry));
  assert.equal(target.log, []);
});

test('findExistingData, inspectDisk, verifyDisk, detectSectorSize refuse a missing target with a GuestdiskError', async () => {
  const wrong: string[] = [];
  const calls: [string, () => Promise<unknown>][] = [
    ['findExistingData(null)', () => api.findExistingData(null as unknown as api.BlockTarget)],
    ['inspectDisk(null)', () => api.inspectDisk(null as unknown as api.BlockTarget)],
    ['verifyDisk(null)', () => api.verifyDisk(null as unknown as api.BlockTarget)],
    ['detectSectorSize(null)', () => api.detectSectorSize(null as unknown as api.BlockTarget)],
  ];
  for (const [what, call] of calls) {
    const got = await call().then(() => 'accepted', (e: unknown) => (e instanceof api.GuestdiskError ? e.code : `${(e as Error).name}: ${(e as Error).message}`));
    if (got !== 'INVALID_SPEC') wrong.push(`${what}: ${got}`);
  }
  assert.equal(wrong, [], wrong.join('; '));
});

test.run();
