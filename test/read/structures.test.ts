// The structures the reader adds: field tables tile their spec sizes; decoders round-trip values encoded from the
// same tables; LZNT1 decodes plain and compressed chunks and refuses references before its chunk; corrupt inputs
// give CORRUPT_STRUCTURE.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkTiling } from '../../src/binary/fields.js';
import { ATTRIBUTE_LIST_ENTRY, decodeAttributeList } from '../../src/fs/ntfs/attributes/attribute-list.js';
import { decodeReparsePoint, MOUNT_POINT_REPARSE_DATA, REPARSE_POINT_HEADER, REPARSE_TAG, SYMLINK_REPARSE_DATA } from '../../src/fs/ntfs/attributes/reparse-point.js';
import { decodeInterixSymlink } from '../../src/fs/ntfs/interix-link.js';
import { decompressLznt1 } from '../../src/fs/ntfs/lznt1.js';
import { encodeMftRef, decodeNtfsTimeMs } from '../../src/fs/ntfs/ntfs-time.js';
import { decodeExfatTimestamp, exfatNameHash, FILE_DIRECTORY_ENTRY, FILE_NAME_ENTRY, STREAM_EXTENSION_ENTRY } from '../../src/fs/exfat/file-entry.js';
import { upcaseMapping } from '../../src/fs/exfat/upcase.js';
import { decodeShortName, LONG_NAME_ENTRY, shortNameChecksum } from '../../src/fs/fat32/long-name-entry.js';
import { encodeUtf16le } from '../../src/binary/utf16.js';
import { splitVolumePath } from '../../src/read/path.js';

const code = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
};

test('field tables tile their spec sizes', () => {
  for (const [s, size] of [[ATTRIBUTE_LIST_ENTRY, 0x1a], [REPARSE_POINT_HEADER, 8], [MOUNT_POINT_REPARSE_DATA, 8], [SYMLINK_REPARSE_DATA, 12], [FILE_DIRECTORY_ENTRY, 32], [STREAM_EXTENSION_ENTRY, 32], [FILE_NAME_ENTRY, 32], [LONG_NAME_ENTRY, 32]] as const) {
    assert.equal(checkTiling(s), [], s.name);
    assert.is(s.sizeBytes, size, s.name);
  }
});

test('attribute list: entries decoded with their names and references; an entry leaving the list is CORRUPT_STRUCTURE', () => {
  const name = encodeUtf16le('ads');
  const entry = new Uint8Array(0x20);
  ATTRIBUTE_LIST_ENTRY.encodeInto({ type: 0x80, length: 0x20, nameLength: 3, nameOffset: 0x1a, lowestVcn: 7, mftReference: encodeMftRef(1234, 5), instance: 2 }, entry);
  entry.set(name, 0x1a);
  assert.equal(decodeAttributeList(entry), [{ type: 0x80, name: 'ads', lowestVcn: 7, recordNumber: 1234, sequenceNumber: 5, instance: 2 }]);
  const bad = entry.slice();
  bad[4] = 0x40;
  assert.is(code(() => decodeAttributeList(bad)), 'CORRUPT_STRUCTURE');
});

test('reparse points: symlink flags and names, junction names, other tags without a link', () => {
  const build = (tag: number, table: typeof SYMLINK_REPARSE_DATA | typeof MOUNT_POINT_REPARSE_DATA, sub: string, print: string, flags: number): Uint8Array => {
    const s = encodeUtf16le(sub);
    const p = encodeUtf16le(print);
    const head = table === SYMLINK_REPARSE_DATA
      ? SYMLINK_REPARSE_DATA.encode({ substituteNameOffset: 0, substituteNameLength: s.length, printNameOffset: s.length, printNameLength: p.length, flags })
      : MOUNT_POINT_REPARSE_DATA.encode({ substituteNameOffset: 0, substituteNameLength: s.length, printNameOffset: s.length, printNameLength: p.length });
    const data = new Uint8Array(head.length + s.length + p.length);
    data.set(head);
    data.set(s, head.length);
    data.set(p, head.length + s.length);
    const out = new Uint8Array(8 + data.length);
    REPARSE_POINT_HEADER.encodeInto({ reparseTag: tag, reparseDataLength: data.length, reserved: 0 }, out);
    out.set(data, 8);
    return out;
  };
  assert.equal(decodeReparsePoint(build(REPARSE_TAG.SYMLINK, SYMLINK_REPARSE_DATA, 'a\\b', 'a\\b', 1)), { tag: REPARSE_TAG.SYMLINK, link: { substituteName: 'a\\b', printName: 'a\\b', relative: true } });
  assert.equal(decodeReparsePoint(build(REPARSE_TAG.MOUNT_POINT, MOUNT_POINT_REPARSE_DATA, '\\??\\D:\\x', 'D:\\x', 0)).link, { substituteName: '\\??\\D:\\x', printName: 'D:\\x', relative: false });
  assert.is(decodeReparsePoint(build(0x9000001a, MOUNT_POINT_REPARSE_DATA, 'x', 'y', 0)).link, null);
  const cut = build(REPARSE_TAG.SYMLINK, SYMLINK_REPARSE_DATA, 'abc', 'abc', 0);
  assert.is(code(() => decodeReparsePoint(cut.subarray(0, cut.length - 2))), 'CORRUPT_STRUCTURE');
});

test('Interix symlinks: magic then UTF-16 target; anything else is not one', () => {
  const magic = Uint8Array.from('IntxLNK\x01', (c) => c.charCodeAt(0));
  const data = new Uint8Array([...magic, ...encodeUtf16le('../x')]);
  assert.is(decodeInterixSymlink(data), '../x');
  assert.is(decodeInterixSymlink(data.subarray(1)), null);
  assert.is(decodeInterixSymlink(new Uint8Array(26)), null);
});

test('LZNT1: a stored chunk, a compressed chunk with literals and a back reference, a reference before the chunk', () => {
  const out = new Uint8Array(8192);
  // Stored chunk: header 0x3000 | (4096 - 1), then 4096 plain bytes.
  const plain = new Uint8Array(2 + 4096);
  plain[0] = 0xff;
  plain[1] = 0x3f;
  plain.fill(0x41, 2);
  decompressLznt1(plain, out);
  assert.ok(out.subarray(0, 4096).every((b) => b === 0x41) && out.subarray(4096).every((b) => b === 0));
  // "abcabcabc": literals a b c, then a reference 3 back of length 6 (offset bits 4 at position 3: (2 << 12) | 3).
  const tokens = [0b00001000, 0x61, 0x62, 0x63, 0x03, 0x20];
  const compressed = Uint8Array.from([(tokens.length - 1) & 0xff, 0xb0 | ((tokens.length - 1) >> 8), ...tokens]);
  const out2 = new Uint8Array(4096);
  decompressLznt1(compressed, out2);
  assert.is(new TextDecoder().decode(out2.subarray(0, 9)), 'abcabcabc');
  const before = Uint8Array.from([5, 0xb0, 0b00000001, 0x00, 0x20, 0, 0, 0]);
  assert.is(code(() => decompressLznt1(before, new Uint8Array(4096))), 'CORRUPT_STRUCTURE');
});

test('times: FILETIME to ms (0 is "never"); exFAT timestamps with 10 ms increments and UTC offsets', () => {
  const ft = new Uint8Array(8);
  new DataView(ft.buffer).setBigUint64(0, 116_444_736_000_000_000n + 12_345_678n, true);
  assert.is(decodeNtfsTimeMs(ft), 1234);
  assert.is(decodeNtfsTimeMs(new Uint8Array(8)), null);
  const ts = (((2022 - 1980) << 25) | (1 << 21) | (23 << 16) | (20 << 11) | (33 << 5) | 21) >>> 0;
  assert.is(decodeExfatTimestamp(ts, 172, 0), Date.UTC(2022, 0, 23, 20, 33, 43, 720));
  assert.is(decodeExfatTimestamp(ts, 172, 0x80 | 12), Date.UTC(2022, 0, 23, 17, 33, 43, 720)); // UTC+3
  assert.is(decodeExfatTimestamp(ts, 0, 0x80 | 0x7c), Date.UTC(2022, 0, 23, 21, 33, 42)); // UTC−1
});

test('exFAT name hash (spec §7.6.4) over the up-cased name; FAT 8.3 checksum and names with NT case flags', () => {
  const up = upcaseMapping();
  assert.is(exfatNameHash('hello.txt', up), exfatNameHash('HELLO.TXT', up));
  assert.is.not(exfatNameHash('hello.txt', up), exfatNameHash('hello.txu', up));
  const name = Uint8Array.from('README  TXT', (c) => c.charCodeAt(0));
  assert.is(shortNameChecksum(name), shortNameChecksum(Uint8Array.from(name)));
  assert.is(decodeShortName(name, 0), 'README.TXT');
  assert.is(decodeShortName(name, 0x08), 'readme.TXT');
  assert.is(decodeShortName(name, 0x18), 'readme.txt');
  assert.is(decodeShortName(Uint8Array.from('NOEXT      ', (c) => c.charCodeAt(0)), 0), 'NOEXT');
});

test('volume paths: "/" separated, "." dropped, ".." refused', () => {
  assert.equal(splitVolumePath('/a//b/./c'), ['a', 'b', 'c']);
  assert.equal(splitVolumePath(''), []);
  assert.is(code(() => splitVolumePath('/a/../b')), 'INVALID_SPEC');
});

test.run();
