import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { minimumDiskBytes, planDisk } from '../../src/plan/plan-disk.js';
import { parseSize, parseTimestamp } from '../../src/plan/spec.js';
import type { Layout, LogicalSectorSize, TableKind } from '../../src/plan/layout.js';
import { GuestdiskError } from '../../src/errors.js';

const MiB = 2 ** 20;
const TiB = 2 ** 40;
const spec = (table: TableKind) => ({ table, fs: 'none' as const, seed: 'plan-test', timestamp: 1_700_000_000 });
const geometry = (sizeBytes: number, s: LogicalSectorSize = 512) => ({ sizeBytes, logicalSectorSize: s, physicalSectorSize: s });
const code = (c: string) => (e: unknown) => e instanceof GuestdiskError && e.code === c;

function checkInvariants(layout: Layout): void {
  const s = layout.geometry.logicalSectorSize;
  const size = layout.geometry.sizeBytes;
  const align = MiB / s;
  for (const p of layout.partitions) {
    assert.is(p.startLba % align, 0, 'partition starts on 1 MiB');
    assert.is((p.startLba + p.sizeLba) % align, 0, 'partition ends on 1 MiB');
    assert.ok(p.sizeLba >= align);
    if (layout.table.kind === 'gpt') {
      assert.ok(p.startLba >= layout.table.firstUsableLba);
      assert.ok(p.startLba + p.sizeLba - 1 <= layout.table.lastUsableLba);
      // the partition ends on the last 1 MiB boundary that fits
      assert.ok(layout.table.lastUsableLba + 1 - (p.startLba + p.sizeLba) < align);
    } else {
      assert.ok(p.startLba + p.sizeLba <= 2 ** 32);
      assert.ok(size / s - (p.startLba + p.sizeLba) < align);
    }
  }
  if (layout.table.kind === 'gpt') {
    const t = layout.table;
    assert.is(t.firstUsableLba, s === 512 ? 34 : 6);
    assert.is(t.lastUsableLba, size / s - 1 - (s === 512 ? 33 : 5));
    assert.is(t.backupHeaderLba, size / s - 1);
  }
  const writing = layout.steps.filter((st) => st.kind !== 'flush');
  for (const st of writing) {
    assert.ok(st.offsetBytes >= 0 && st.offsetBytes + st.lengthBytes <= size, `${st.kind} inside the disk`);
    assert.is(st.offsetBytes % s, 0, `${st.kind} aligned`);
    assert.is(st.lengthBytes % s, 0, `${st.kind} length aligned`);
  }
  // table steps never overlap each other
  const tableSteps = writing.filter((st) => st.kind.startsWith('gpt') || st.kind === 'mbr').sort((a, b) => a.offsetBytes - b.offsetBytes);
  for (let i = 1; i < tableSteps.length; i++) assert.ok(tableSteps[i - 1].offsetBytes + tableSteps[i - 1].lengthBytes <= tableSteps[i].offsetBytes);
  // write order: wipe first, MBR (the commit record) last before the final flush
  assert.is(layout.steps[0].kind, 'wipe');
  assert.equal(layout.steps.slice(-2).map((st) => st.kind), ['mbr', 'flush']);
  assert.equal(JSON.parse(JSON.stringify(layout)), layout, 'Layout survives JSON');
}

test('sweep: sizes from the minimum to 16 TiB (2 TiB for MBR) × 512/4096 × gpt/mbr keep every invariant', () => {
  let count = 0;
  for (const s of [512, 4096] as const) {
    for (const table of ['gpt', 'mbr'] as const) {
      const max = table === 'gpt' ? 16 * TiB : (s === 512 ? 2 * TiB - MiB : 16 * TiB - MiB);
      for (let size = minimumDiskBytes(table, s); size <= max; size += Math.max(s, Math.floor(size / 7 / s) * s)) {
        checkInvariants(planDisk(spec(table), geometry(size, s)));
        count++;
      }
    }
  }
  assert.ok(count > 200);
});

test('property: any valid size plans to aligned, in-bounds steps; same spec, same Layout', () => {
  fc.assert(
    fc.property(fc.integer({ min: 6144, max: 2 ** 35 }), fc.constantFrom(512, 4096), fc.constantFrom('gpt', 'mbr'), fc.string({ minLength: 1 }), (units, s, table, seed) => {
      const size = units * 4096;
      if (table === 'mbr' && size / s > 2 ** 32) {
        assert.throws(() => planDisk({ ...spec('mbr'), seed }, geometry(size, s as LogicalSectorSize)), code('INVALID_SPEC'));
        return;
      }
      const layout = planDisk({ ...spec(table as TableKind), seed }, geometry(size, s as LogicalSectorSize));
      checkInvariants(layout);
      assert.equal(planDisk({ ...spec(table as TableKind), seed }, geometry(size, s as LogicalSectorSize)), layout);
    }),
    { numRuns: 300 },
  );
});

test('the write order: head wipe, flush, tail wipe, flush, [fs body, flush, boot backup, boot, flush], GPT, flush, MBR, flush', () => {
  assert.equal(planDisk(spec('gpt'), geometry(64 * MiB)).steps.map((s) => s.kind), [
    'wipe', 'flush', 'wipe', 'flush', 'gpt-backup-entries', 'gpt-backup-header', 'gpt-primary-entries', 'gpt-primary-header', 'flush', 'mbr', 'flush',
  ]);
  assert.equal(planDisk(spec('mbr'), geometry(64 * MiB)).steps.map((s) => s.kind), ['wipe', 'flush', 'wipe', 'flush', 'mbr', 'flush']);
  assert.equal(planDisk({ ...spec('gpt'), fs: 'ntfs' }, geometry(64 * MiB)).steps.map((s) => s.kind), [
    'wipe', 'flush', 'wipe', 'flush', 'fs-body', 'flush', 'fs-boot-backup', 'fs-boot', 'flush',
    'gpt-backup-entries', 'gpt-backup-header', 'gpt-primary-entries', 'gpt-primary-header', 'flush', 'mbr', 'flush',
  ]);
});

test('identities come from the seed: same seed same GUIDs, another seed other GUIDs', () => {
  const a = planDisk(spec('gpt'), geometry(64 * MiB));
  const b = planDisk({ ...spec('gpt'), seed: 'other' }, geometry(64 * MiB));
  assert.ok(a.table.kind === 'gpt' && b.table.kind === 'gpt');
  if (a.table.kind === 'gpt' && b.table.kind === 'gpt') assert.not.equal(a.table.diskGuid, b.table.diskGuid);
  assert.not.equal(a.partitions[0].guid, b.partitions[0].guid);
  assert.not.equal(a.partitions[0].guid, a.table.kind === 'gpt' ? a.table.diskGuid : '');
  const m = planDisk(spec('mbr'), geometry(64 * MiB));
  assert.ok(m.table.kind === 'mbr' && m.table.diskSignature !== 0);
});

test('bad input: each with its code', () => {
  for (const s of [512, 4096] as const) {
    for (const table of ['gpt', 'mbr'] as const) {
      const min = minimumDiskBytes(table, s);
      checkInvariants(planDisk(spec(table), geometry(min, s)));
      assert.throws(() => planDisk(spec(table), geometry(min - s, s)), code('TARGET_TOO_SMALL'), `${table} ${s}`);
    }
  }
  assert.throws(() => planDisk(spec('gpt'), geometry(64 * MiB + 100)), code('INVALID_SPEC'));
  assert.throws(() => planDisk(spec('gpt'), { sizeBytes: 64 * MiB, logicalSectorSize: 1024 as LogicalSectorSize, physicalSectorSize: 1024 }), code('UNSUPPORTED_GEOMETRY'));
  assert.throws(() => planDisk(spec('mbr'), geometry(3 * TiB)), (e: unknown) => code('INVALID_SPEC')(e) && /use --table gpt/.test((e as Error).message));
  assert.throws(() => planDisk({ ...spec('gpt'), seed: '' }, geometry(64 * MiB)), code('INVALID_SPEC'));
  assert.throws(() => planDisk({ ...spec('gpt'), table: 'apm' as TableKind }, geometry(64 * MiB)), code('INVALID_SPEC'));
  assert.throws(() => planDisk({ ...spec('gpt'), partitionName: 'x'.repeat(37) }, geometry(64 * MiB)), code('INVALID_SPEC'));
  assert.throws(() => planDisk({ ...spec('gpt'), label: 'x' }, geometry(64 * MiB)), code('INVALID_SPEC'));
  assert.throws(() => planDisk({ ...spec('gpt'), timestamp: 1.5 }, geometry(64 * MiB)), code('INVALID_SPEC'));
});

test('MBR: 4096-byte sectors address up to 16 TiB; 512-byte sectors stop at 2 TiB', () => {
  checkInvariants(planDisk(spec('mbr'), geometry(2 * TiB, 512)));
  assert.throws(() => planDisk(spec('mbr'), geometry(2 * TiB + 2 * MiB, 512)), code('INVALID_SPEC'));
  checkInvariants(planDisk(spec('mbr'), geometry(8 * TiB, 4096)));
});

test('parseSize: binary suffixes, whole bytes, safe integers', () => {
  assert.is(parseSize('64G'), 64 * 2 ** 30);
  assert.is(parseSize('512MiB'), 512 * MiB);
  assert.is(parseSize('1.5K'), 1536);
  assert.is(parseSize('1048576'), MiB);
  assert.is(parseSize('2 TiB'), 2 * TiB);
  for (const bad of ['0', '-1G', '1.3', '12Q', 'abc', '99999999P']) assert.throws(() => parseSize(bad), code('INVALID_SPEC'), bad);
});

test('parseTimestamp: ISO 8601 or Unix seconds', () => {
  assert.is(parseTimestamp('0'), 0);
  assert.is(parseTimestamp('2024-01-31T12:00:00Z'), Date.UTC(2024, 0, 31, 12) / 1000);
  assert.throws(() => parseTimestamp('yesterday'), code('INVALID_SPEC'));
});

test.run();
