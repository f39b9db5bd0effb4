// Our SHA-256 / HMAC-SHA256 (binary/sha256.ts) against published vectors and against node:crypto (OpenSSL) over
// random keys and messages, including the block-boundary lengths where padding changes shape.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { hmacSha256, sha256 } from '../../src/binary/sha256.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

test('FIPS 180-4 example vectors', () => {
  assert.is(hex(sha256(ascii('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.is(hex(sha256(ascii(''))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.is(
    hex(sha256(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  );
});

test('RFC 4231 HMAC-SHA256 test cases 1, 2 and 6 (key longer than a block)', () => {
  assert.is(hex(hmacSha256(new Uint8Array(20).fill(0x0b), ascii('Hi There'))), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
  assert.is(hex(hmacSha256('Jefe', 'what do ya want for nothing?')), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  assert.is(
    hex(hmacSha256(new Uint8Array(131).fill(0xaa), ascii('Test Using Larger Than Block-Size Key - Hash Key First'))),
    '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  );
});

test('sha256 equals node:crypto for every length around the padding boundaries', () => {
  for (let n = 0; n <= 200; n++) {
    const m = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
    assert.is(hex(sha256(m)), createHash('sha256').update(m).digest('hex'), `length ${n}`);
  }
});

test('hmacSha256 equals node:crypto for random keys and messages (strings as UTF-8, bytes as given)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 }), (key, message) => {
      assert.is(hex(hmacSha256(key, message)), createHmac('sha256', key).update(message).digest('hex'));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (key, message) => {
      assert.is(hex(hmacSha256(key, message)), createHmac('sha256', key).update(message).digest('hex'));
    }),
    { numRuns: 300 },
  );
});

test.run();
