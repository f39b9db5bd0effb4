// Seed-derived identities (binary/identity.ts) are pinned: a seed must give the same GUIDs and serials in every
// release, or "same --seed, same bytes" breaks across upgrades. The values below were produced by an earlier,
// independent SHA-256/HMAC implementation and agree with RFC 4231's HMAC-SHA256.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deriveBytes, deriveGuid, deriveU32 } from '../../src/binary/identity.js';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

// [seed, purpose, GUID, u32, the 32 bytes]: ASCII, UTF-8, a lone surrogate (encoded as U+FFFD), empty, longer
// than one HMAC block (64 bytes).
const PINNED: readonly [string, string, string, number, string][] = [
  ['bench', 'disk-guid', 'EC7FF069-3CC4-4A6A-B422-89E0B7544228', 1777369068, 'ec7ff0693cc48a6af42289e0b7544228907bcf1e1ec32a981f0cf5dae8adbaf9'],
  ['s', 'partition-guid/1', '20B28574-3B49-41FB-911E-452630A6E377', 1954918944, '20b285743b4991fb911e452630a6e377abd04a6cb2dd731d22931fa0bde76a85'],
  ['Ünïcødé ✓', 'ntfs-serial/1', '806C2192-E6E5-409C-97C5-E4A159C63616', 2451664000, '806c2192e6e5d09c97c5e4a159c6361682f51f5ca9eb795d1f7ed4c555b19e93'],
  ['\ud800x', 'disk-guid', 'A984FFE9-7EF5-4A37-9418-5BE7A8B23886', 3925836969, 'a984ffe97ef5ba3714185be7a8b23886fd33063e3f2e2b3a2c4a165d82cac9b4'],
  ['', 'fat-volume-id/1', '57E2D9A8-5A94-4F53-BDD9-1F5ADE746427', 2832851543, '57e2d9a85a943f533dd91f5ade7464276b9d150bf67c50a2739ba79a704a1431'],
  ['x'.repeat(200), 'disk-guid', '2EF77A4C-1DC9-4397-8E9D-57BAC978DB66', 1283127086, '2ef77a4c1dc96397ce9d57bac978db66035a36366bf9ac0bd641ea07e15d4181'],
];

test('seed + purpose → the pinned bytes, GUID and u32', () => {
  for (const [seed, purpose, guid, u32, bytes] of PINNED) {
    assert.is(hex(deriveBytes(seed, purpose)), bytes, `${JSON.stringify(seed)} ${purpose}`);
    assert.is(deriveGuid(seed, purpose), guid);
    assert.is(deriveU32(seed, purpose), u32);
  }
});

test('RFC 4231 test case 2 (key "Jefe"): deriveBytes is HMAC-SHA256(seed, purpose)', () => {
  assert.is(hex(deriveBytes('Jefe', 'what do ya want for nothing?')), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
});

test('deriveBytes returns a plain Uint8Array of 32 bytes, a new one each call', () => {
  const a = deriveBytes('s', 'p');
  assert.is(Object.getPrototypeOf(a), Uint8Array.prototype);
  assert.is(a.length, 32);
  assert.is.not(a, deriveBytes('s', 'p'));
});

test.run();
