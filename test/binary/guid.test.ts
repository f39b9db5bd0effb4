import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeGuid, encodeGuid, guidFromBytes, parseGuid } from '../../src/binary/guid.js';

test('Basic Data GUID uses the mixed-endian on-disk order (UEFI Appendix A)', () => {
  const bytes = encodeGuid('EBD0A0A2-B9E5-4433-87C0-68B6B72699C7');
  assert.equal([...bytes], [0xa2, 0xa0, 0xd0, 0xeb, 0xe5, 0xb9, 0x33, 0x44, 0x87, 0xc0, 0x68, 0xb6, 0xb7, 0x26, 0x99, 0xc7]);
  assert.is(decodeGuid(bytes), 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7');
});

test('guidFromBytes shapes a v4 RFC 4122 GUID', () => {
  const g = guidFromBytes(new Uint8Array(16).fill(0xff));
  assert.is(g[14], '4');
  assert.ok(/^[89AB]$/.test(g[19]));
});

test('parseGuid accepts braces and lower case', () => {
  assert.is(parseGuid('{ebd0a0a2-b9e5-4433-87c0-68b6b72699c7}'), 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7');
  assert.throws(() => parseGuid('not-a-guid'));
});

test.run();
