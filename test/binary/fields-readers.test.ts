// The compiled field readers of fields.ts (decode and intFieldReader): 64-bit fields are joined from two 32-bit
// halves without a bigint, so they are held to a bigint reference on random bytes, edges included: a value up to
// 2^53 − 1 decodes to itself, anything beyond fails loudly as CORRUPT_STRUCTURE naming the field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { defineStruct, intFieldReader, viewOf } from '../../src/binary/fields.js';
import { isGuestdiskError } from '../../src/errors.js';

const S = defineStruct('Wide', 0x18, {
  u: { offset: 0x00, type: 'u64' },
  i: { offset: 0x08, type: 'i64' },
  small: { offset: 0x10, type: 'u16' },
  signed: { offset: 0x12, type: 'i16' },
  rest: { offset: 0x14, type: 'u32' },
});

/** What each field must decode to, or 'throws'. */
function reference(bytes: Uint8Array): Record<string, number | 'throws'> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const safe = (b: bigint): number | 'throws' => (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER) ? 'throws' : Number(b));
  return { u: safe(v.getBigUint64(0, true)), i: safe(v.getBigInt64(8, true)), small: v.getUint16(0x10, true), signed: v.getInt16(0x12, true), rest: v.getUint32(0x14, true) };
}

const edges = [0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n, -1n, -(2n ** 53n) + 1n, -(2n ** 53n), -(2n ** 63n)];
const word = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }), fc.constantFrom(...edges));

function bytesOf(u: bigint, i: bigint, tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(0x18);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt.asUintN(64, u), true);
  v.setBigUint64(8, BigInt.asUintN(64, i), true);
  out.set(tail, 0x10);
  return out;
}

test('decode and intFieldReader agree with a bigint reference on every 64-bit value, edges included', () => {
  fc.assert(fc.property(word, word, fc.uint8Array({ minLength: 8, maxLength: 8 }), (u, i, tail) => {
    const bytes = bytesOf(u, i, tail);
    const want = reference(bytes);
    for (const field of ['u', 'i', 'small', 'signed', 'rest'] as const) {
      let got: number | 'throws';
      try {
        got = intFieldReader(S, field)(viewOf(bytes));
      } catch (e) {
        assert.ok(isGuestdiskError(e) && e.code === 'CORRUPT_STRUCTURE' && e.message.includes(`Wide.${field}`), String(e));
        got = 'throws';
      }
      assert.is(got, want[field], field);
    }
    if (Object.values(want).every((x) => x !== 'throws')) assert.equal(S.decode(bytes), want);
    else assert.throws(() => S.decode(bytes), (e: unknown) => isGuestdiskError(e) && e.code === 'CORRUPT_STRUCTURE');
  }), { numRuns: 2000 });
});

test('intFieldReader reads at an offset into a larger view', () => {
  const bytes = new Uint8Array(0x40);
  bytes.set(bytesOf(2n ** 40n + 7n, -5n, new Uint8Array([1, 0, 0xff, 0xff, 4, 0, 0, 0])), 0x20);
  const view = viewOf(bytes);
  assert.is(intFieldReader(S, 'u')(view, 0x20), 2 ** 40 + 7);
  assert.is(intFieldReader(S, 'i')(view, 0x20), -5);
  assert.is(intFieldReader(S, 'small')(view, 0x20), 1);
  assert.is(intFieldReader(S, 'signed')(view, 0x20), -1);
  assert.is(intFieldReader(S, 'rest')(view, 0x20), 4);
});

test.run();
