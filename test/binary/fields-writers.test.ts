// intFieldWriter and writeUintTo (fields.ts), the hot-loop encode side: on random values each writer puts exactly
// the bytes encodeInto puts for the same field (u64 halves joined without a bigint), touches nothing else, and
// refuses what encode refuses (out of range, not an integer, a u64 past 2^53) with INVALID_SPEC naming the field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { defineStruct, intFieldWriter, viewOf, writeUint, writeUintTo } from '../../src/binary/fields.js';
import { isGuestdiskError } from '../../src/errors.js';

const S = defineStruct('Mixed', 0x20, {
  a: { offset: 0x00, type: 'u8' },
  b: { offset: 0x01, type: 'i8' },
  c: { offset: 0x02, type: 'u16' },
  d: { offset: 0x04, type: 'i16' },
  e: { offset: 0x06, type: 'u16' },
  f: { offset: 0x08, type: 'u32' },
  g: { offset: 0x0c, type: 'i32' },
  h: { offset: 0x10, type: 'u64' },
  i: { offset: 0x18, type: 'i64' },
});
const KEYS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] as const;

const value = fc.record({
  a: fc.integer({ min: 0, max: 0xff }), b: fc.integer({ min: -0x80, max: 0x7f }), c: fc.integer({ min: 0, max: 0xffff }),
  d: fc.integer({ min: -0x8000, max: 0x7fff }), e: fc.integer({ min: 0, max: 0xffff }), f: fc.integer({ min: 0, max: 0xffffffff }),
  g: fc.integer({ min: -0x80000000, max: 0x7fffffff }), h: fc.oneof(fc.maxSafeNat(), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER)),
  i: fc.maxSafeInteger(),
});

test('every writer puts the bytes encode puts, at any base, and nothing else', () => {
  fc.assert(fc.property(value, fc.integer({ min: 0, max: 40 }), (v, base) => {
    const want = new Uint8Array(base + 0x20 + 8).fill(0xa5);
    S.encodeInto(v, want, base);
    const got = new Uint8Array(base + 0x20 + 8).fill(0xa5);
    const view = viewOf(got);
    for (const k of KEYS) intFieldWriter(S, k)(view, base, v[k]);
    assert.equal(got, want);
  }));
});

test('writers refuse what encode refuses, naming the field', () => {
  const view = viewOf(new Uint8Array(0x20));
  const bad: [typeof KEYS[number], number][] = [['a', 256], ['a', -1], ['b', 128], ['c', 1.5], ['f', 2 ** 32], ['g', -(2 ** 31) - 1], ['h', -1], ['h', 2 ** 53], ['i', 2 ** 53]];
  for (const [k, n] of bad) {
    try {
      intFieldWriter(S, k)(view, 0, n);
      assert.unreachable(`${k} = ${n} was written`);
    } catch (e) {
      assert.ok(isGuestdiskError(e) && e.code === 'INVALID_SPEC' && e.message.includes(`Mixed.${k}`), String(e));
    }
  }
});

test('writeUintTo writes what writeUint writes', () => {
  fc.assert(fc.property(fc.constantFrom(1, 2, 4) as fc.Arbitrary<1 | 2 | 4>, fc.integer({ min: 0, max: 12 }), fc.nat(), (len, at, n) => {
    const value = n % 2 ** (8 * len);
    const a = new Uint8Array(16);
    const b = new Uint8Array(16);
    writeUint(a, at, len, value);
    writeUintTo(viewOf(b), at, len, value);
    assert.equal(b, a);
  }));
});

test.run();
