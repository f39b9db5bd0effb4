import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dosDateTimeToUnix, filetimeToUnix, unixToDosDateTime, unixToFiletime } from '../../src/binary/time-formats.js';
import { GuestdiskError } from '../../src/errors.js';

test('FILETIME of the Unix epoch is 116444736000000000', () => {
  assert.is(unixToFiletime(0), 116444736000000000n);
  assert.is(filetimeToUnix(unixToFiletime(1700000000)), 1700000000);
});

test('DOS date/time of 2024-02-29 13:37:21 UTC', () => {
  const t = Date.UTC(2024, 1, 29, 13, 37, 21) / 1000;
  const dos = unixToDosDateTime(t);
  assert.is(dos.date, ((2024 - 1980) << 9) | (2 << 5) | 29);
  assert.is(dos.time, (13 << 11) | (37 << 5) | 10);
  assert.is(dos.tenMs, 100);
  assert.is(dosDateTimeToUnix(dos), t);
});

test('DOS time outside 1980..2107 is refused', () => {
  assert.throws(() => unixToDosDateTime(Date.UTC(1979, 11, 31) / 1000), (e: unknown) => e instanceof GuestdiskError && e.code === 'INVALID_SPEC');
  assert.throws(() => unixToDosDateTime(Date.UTC(2108, 0, 1) / 1000), (e: unknown) => e instanceof GuestdiskError);
});

test.run();
