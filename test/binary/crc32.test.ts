import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32 } from '../../src/binary/crc32.js';

test('crc32 of "123456789" is the IEEE check value 0xCBF43926', () => {
  assert.is(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('crc32 continues across pieces', () => {
  const all = new TextEncoder().encode('123456789');
  assert.is(crc32(all.subarray(4), crc32(all.subarray(0, 4))), 0xcbf43926);
});

test.run();
