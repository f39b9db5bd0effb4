import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkTiling, defineStruct, expectEqual, readIntN, throwFirst, writeIntN } from '../../src/binary/fields.js';
import { GuestdiskError } from '../../src/errors.js';

const DEMO = defineStruct('Demo', 32, {
  a: { offset: 0x00, type: 'u8' },
  b: { offset: 0x01, type: 'i8' },
  c: { offset: 0x02, type: 'u16' },
  d: { offset: 0x04, type: 'u32' },
  e: { offset: 0x08, type: 'u64' },
  f: { offset: 0x10, type: 'ascii', length: 4 },
  g: { offset: 0x14, type: 'utf16', length: 8 },
  h: { offset: 0x1c, type: 'bytes', length: 4 },
});

test('every field type round-trips, little-endian', () => {
  const value = { a: 0xfe, b: -12, c: 0x1234, d: 0xdeadbeef, e: 2 ** 40 + 5, f: 'EFI ', g: 'Ab€', h: Uint8Array.of(1, 2, 3, 4) };
  const bytes = DEMO.encode(value);
  assert.is(bytes.length, 32);
  assert.equal([...bytes.subarray(2, 4)], [0x34, 0x12]);
  assert.equal([...bytes.subarray(4, 8)], [0xef, 0xbe, 0xad, 0xde]);
  assert.equal(DEMO.decode(bytes), value);
});

test('a u64 beyond 2^53 fails loudly instead of rounding', () => {
  const bytes = new Uint8Array(32).fill(0xff);
  assert.throws(() => DEMO.decode(bytes), (e: unknown) => e instanceof GuestdiskError && e.code === 'CORRUPT_STRUCTURE');
});

test('short input is CORRUPT_STRUCTURE', () => {
  assert.throws(() => DEMO.decode(new Uint8Array(31)), (e: unknown) => e instanceof GuestdiskError && e.code === 'CORRUPT_STRUCTURE');
});

test('out-of-range values are refused on encode', () => {
  const ok = { a: 0, b: 0, c: 0, d: 0, e: 0, f: '', g: '', h: new Uint8Array(4) };
  assert.throws(() => DEMO.encode({ ...ok, a: 256 }));
  assert.throws(() => DEMO.encode({ ...ok, b: 200 }));
  assert.throws(() => DEMO.encode({ ...ok, f: 'TOOLONG' }));
  assert.throws(() => DEMO.encode({ ...ok, h: new Uint8Array(3) }));
});

test('checkTiling finds gaps and overlaps', () => {
  assert.equal(checkTiling(DEMO), []);
  const gap = defineStruct('Gap', 8, { a: { offset: 0, type: 'u16' }, b: { offset: 4, type: 'u32' } });
  assert.ok(checkTiling(gap)[0].includes('gap'));
  const overlap = defineStruct('Overlap', 4, { a: { offset: 0, type: 'u32' }, b: { offset: 2, type: 'u16' } });
  assert.ok(checkTiling(overlap).some((p) => p.includes('overlaps')));
});

test('findings name struct and field; throwFirst raises CORRUPT_STRUCTURE', () => {
  const v = DEMO.decode(new Uint8Array(32));
  const f = expectEqual(DEMO, v, 'd', 7);
  assert.is(f.length, 1);
  assert.is(f[0].code, 'DEMO_D');
  assert.is(f[0].offsetBytes, 4);
  try {
    throwFirst(f);
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof GuestdiskError && e.code === 'CORRUPT_STRUCTURE');
    assert.is((e as GuestdiskError).details.field, 'd');
  }
});

test('i64 fields carry negative values (NTFS highestVcn −1 of an empty stream)', () => {
  const S = defineStruct('I64', 8, { v: { offset: 0, type: 'i64' } });
  const bytes = S.encode({ v: -1 });
  assert.equal([...bytes], [255, 255, 255, 255, 255, 255, 255, 255]);
  assert.is(S.decode(bytes).v, -1);
  assert.is(S.decode(S.encode({ v: 2 ** 40 })).v, 2 ** 40);
});

test('readIntN/writeIntN handle signed runlist-style integers', () => {
  const b = new Uint8Array(8);
  for (const [n, len] of [[-1, 1], [-129, 2], [0x7fffff, 3], [-(2 ** 40), 6], [2 ** 52, 7]] as const) {
    writeIntN(b, 0, len, n);
    assert.is(readIntN(b, 0, len, true), n);
  }
});

test.run();
