import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkTiling } from '../../../src/binary/fields.js';
import {
  UPCASE_INFO, UPCASE_TABLE_SIZE_BYTES, buildUpcaseInfo, buildUpcaseTable, checkUpcaseInfo, compareNtfsNames,
  decodeUpcaseInfo, encodeUpcaseInfo, upcaseCrc64, upcaseUnit, STANDARD_UPCASE_CRC64,
} from '../../../src/fs/ntfs/upcase.js';
import { CORPUS_DIR } from '../../helpers/paths.js';
import { makeTempDir } from '../../helpers/tools.js';
import { run, pinned, mkntfsVolume } from './reference.js';

// ---- reference volumes (made here by tools we did not write) --------------------------------------------------------

const tmp = makeTempDir('ntfs-upcase-');
test.after(() => tmp.remove());



let windowsImage: string | null = null;
/** Windows 10 (build 18348) volume from the corpus; NTFS partition at LBA 128. */
function windowsVolume(): string {
  if (windowsImage) return windowsImage;
  const image = join(tmp.path, 'win10.raw');
  writeFileSync(image, run('gunzip', ['-c', join(CORPUS_DIR, 'msuhanov-ntfs-samples', 'ntfs-lastaccess.raw.gz')]));
  windowsImage = image;
  return image;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

// ---- the table -------------------------------------------------------------------------------------------------

test('$UpCase is byte-identical to what mkntfs writes (fresh volume and pinned hash)', () => {
  const ours = buildUpcaseTable();
  assert.is(ours.length, UPCASE_TABLE_SIZE_BYTES);
  const theirs = run('ntfscat', [mkntfsVolume(tmp.path), '$UpCase']);
  assert.is(sha256(ours), sha256(theirs));
  assert.is(sha256(ours), pinned('upcase'));
});

test('$UpCase equals the table Windows 10 wrote (sleuthkit icat of the corpus volume)', () => {
  const windows = run('icat', ['-o', '128', windowsVolume(), '10']);
  assert.is(sha256(buildUpcaseTable()), sha256(windows));
});

test('upcaseUnit: spot checks of the mapping', () => {
  const t = buildUpcaseTable();
  const up = (c: string): string => String.fromCharCode(upcaseUnit(t, c.charCodeAt(0)));
  assert.is(up('a'), 'A');
  assert.is(up('z'), 'Z');
  assert.is(up('A'), 'A');
  assert.is(up('é'), 'É');
  assert.is(up('ÿ'), 'Ÿ');
  assert.is(up('ж'), 'Ж');
  assert.is(up('ё'), 'Ё');
  assert.is(up('ω'), 'Ω');
  assert.is(up('ς'), 'ς'); // Windows 7 dropped final sigma's mapping
  assert.is(up('ａ'), 'Ａ');
  assert.is(up('ß'), 'ß');
  assert.is(upcaseUnit(t, 0x1d79), 0xa77d); // Win7: ᵹ → Ꝺ (a delta past 16 bits)
  assert.is(upcaseUnit(t, 0xffff), 0xffff);
  assert.is(upcaseUnit(new Uint8Array(4), 0x61), 0x61, 'units past a short table map to themselves');
});

// ---- $Info -----------------------------------------------------------------------------------------------------------

test('UpcaseInfo field table tiles 32 bytes', () => {
  assert.equal(checkTiling(UPCASE_INFO), []);
  assert.is(UPCASE_INFO.sizeBytes, 32);
});

test('$UpCase:$Info is byte-identical to mkntfs (fresh volume and pinned hash)', () => {
  const ours = buildUpcaseInfo(buildUpcaseTable());
  const theirs = run('ntfscat', ['-a', '0x80', '-n', '$Info', mkntfsVolume(tmp.path), '$UpCase']);
  assert.equal([...ours], [...theirs]);
  assert.is(sha256(ours), pinned('upcase-info'));
});

test("Windows 10's $UpCase:$Info: same CRC-64 over the table, OS 10.0 build 18348", () => {
  const image = windowsVolume();
  const istat = new TextDecoder().decode(run('istat', ['-o', '128', image, '10']));
  const id = /\$DATA \((128-\d+)\)\s+Name: \$Info/.exec(istat)?.[1];
  assert.ok(id, 'istat lists $UpCase:$Info');
  const table = run('icat', ['-o', '128', image, '10']);
  const info = decodeUpcaseInfo(run('icat', ['-o', '128', image, `10-${id}`]), table);
  assert.is(info.len, 32);
  assert.is(info.osMajor, 10);
  assert.is(info.osMinor, 0);
  assert.is(info.build, 18348);
  assert.equal([...info.crc], [...upcaseCrc64(buildUpcaseTable())]);
  assert.equal([...encodeUpcaseInfo(info)], [...run('icat', ['-o', '128', image, `10-${id}`])], 'decode/encode round trip');
});

test('STANDARD_UPCASE_CRC64 is the CRC-64 of the standard table (the formatter uses the pinned value)', () => {
  assert.equal([...STANDARD_UPCASE_CRC64], [...upcaseCrc64(buildUpcaseTable())]);
  assert.equal([...buildUpcaseInfo(buildUpcaseTable(), STANDARD_UPCASE_CRC64)], [...buildUpcaseInfo(buildUpcaseTable())]);
});

test('$Info round trip, and a wrong CRC or length is CORRUPT_STRUCTURE naming the field', () => {
  const table = buildUpcaseTable();
  const info = decodeUpcaseInfo(buildUpcaseInfo(table), table);
  assert.equal(decodeUpcaseInfo(encodeUpcaseInfo(info), table), info);
  const badCrc = { ...info, crc: new Uint8Array(8) };
  assert.is(checkUpcaseInfo(badCrc, table)[0]?.field, 'crc');
  assert.throws(() => decodeUpcaseInfo(encodeUpcaseInfo(badCrc), table), (e: Error & { code?: string }) => e.code === 'CORRUPT_STRUCTURE');
  assert.is(checkUpcaseInfo({ ...info, len: 24 })[0]?.field, 'len');
  const altered = table.slice();
  altered[0x61 * 2] = 0x61;
  assert.is(checkUpcaseInfo(info, altered)[0]?.code, 'UPCASE_INFO_CRC', 'the CRC covers the table');
  assert.throws(() => buildUpcaseInfo(new Uint8Array(10)), (e: Error & { code?: string }) => e.code === 'INVALID_SPEC');
});

// ---- $I30 collation --------------------------------------------------------------------------------------------------

/** Names of the index entries in each node of a directory's $I30 ($INDEX_ROOT value or INDX blocks), in disk order. */
function indexNodeNames(entriesArea: Uint8Array, entriesOffset: number, entriesEnd: number): string[] {
  const view = new DataView(entriesArea.buffer, entriesArea.byteOffset, entriesArea.length);
  const names: string[] = [];
  for (let at = entriesOffset; at < entriesEnd;) {
    const length = view.getUint16(at + 0x08, true);
    const flags = view.getUint16(at + 0x0c, true);
    if (flags & 0x02) break; // INDEX_ENTRY_END
    const key = at + 0x10; // FILE_NAME_ATTR: name length (units) at 0x40, name at 0x42
    const nameLength = entriesArea[key + 0x40];
    let name = '';
    for (let i = 0; i < nameLength; i++) name += String.fromCharCode(view.getUint16(key + 0x42 + 2 * i, true));
    names.push(name);
    at += length;
  }
  return names;
}

/** Applies the update sequence fixups of a multi-sector record (INDX) in place. */
function fixup(block: Uint8Array): Uint8Array {
  const view = new DataView(block.buffer, block.byteOffset, block.length);
  const usaOfs = view.getUint16(4, true);
  const usaCount = view.getUint16(6, true);
  for (let i = 1; i < usaCount; i++) view.setUint16(i * 512 - 2, view.getUint16(usaOfs + 2 * i, true), true);
  return block;
}

function directoryNodes(image: string, offsetArgs: readonly string[], record: number, indexBlockSize: number): string[][] {
  const nodes: string[][] = [];
  const root = run('icat', [...offsetArgs, image, `${record}-144`]);
  const rv = new DataView(root.buffer, root.byteOffset, root.length);
  nodes.push(indexNodeNames(root, 0x10 + rv.getUint32(0x10, true), 0x10 + rv.getUint32(0x14, true)));
  const allocation = run('icat', [...offsetArgs, image, `${record}-160`]);
  for (let at = 0; at + indexBlockSize <= allocation.length; at += indexBlockSize) {
    const block = fixup(allocation.slice(at, at + indexBlockSize));
    if (new TextDecoder().decode(block.subarray(0, 4)) !== 'INDX') continue;
    const bv = new DataView(block.buffer);
    nodes.push(indexNodeNames(block, 0x18 + bv.getUint32(0x18, true), 0x18 + bv.getUint32(0x1c, true)));
  }
  return nodes.filter((n) => n.length > 0);
}

function assertSortedByUs(nodes: readonly string[][], table: Uint8Array): number {
  let pairs = 0;
  for (const names of nodes) {
    for (let i = 1; i < names.length; i++) {
      assert.is(compareNtfsNames(table, names[i - 1], names[i]), -1, `${JSON.stringify(names[i - 1])} before ${JSON.stringify(names[i])}`);
      pairs++;
    }
  }
  return pairs;
}

test("compareNtfsNames orders the root index of a mkntfs volume as mkntfs did ('$AttrDef' … '.')", () => {
  const nodes = directoryNodes(mkntfsVolume(tmp.path), [], 5, 4096);
  const all = nodes.flat();
  assert.ok(all.includes('$MFT') && all.includes('.') && all.includes('$UpCase'), `names read: ${all.join(', ')}`);
  assert.ok(assertSortedByUs(nodes, buildUpcaseTable()) >= 10);
});

test('compareNtfsNames orders every node of a Windows-written multi-level root index (long names, mixed case)', () => {
  const image = join(tmp.path, 'index.raw');
  writeFileSync(image, run('gunzip', ['-c', join(CORPUS_DIR, 'msuhanov-dfir_ntfs', 'ntfs_index.raw.gz')]));
  const nodes = directoryNodes(image, ['-o', '128'], 5, 4096);
  assert.ok(nodes.length >= 2, 'the root has index blocks');
  assert.ok(nodes.flat().some((n) => n.includes('Copy (10)')) && nodes.flat().includes('test_dir'), nodes.flat().join('\n'));
  assert.ok(assertSortedByUs(nodes, buildUpcaseTable()) >= 20);
});

const TABLE = buildUpcaseTable();
const nameArb = fc.array(fc.constantFrom(...'aAbBzZ0_.$~ éÉßſ ςσΣжЖｆＦ'.split(''), String.fromCharCode(0xd800), '\u0000'), { maxLength: 8 }).map((cs) => cs.join(''));

test('compareNtfsNames is a total order: reflexive, antisymmetric, transitive', () => {
  fc.assert(fc.property(nameArb, nameArb, nameArb, (a, b, c) => {
    if (compareNtfsNames(TABLE, a, a) !== 0) return false;
    if (compareNtfsNames(TABLE, a, b) !== -compareNtfsNames(TABLE, b, a)) return false;
    if (compareNtfsNames(TABLE, a, b) === 0 && a !== b) return false; // only identical names tie
    if (compareNtfsNames(TABLE, a, b) <= 0 && compareNtfsNames(TABLE, b, c) <= 0 && compareNtfsNames(TABLE, a, c) > 0) return false;
    return true;
  }), { numRuns: 2000 });
});

test('compareNtfsNames: case-insensitive order first, raw units only to break a tie', () => {
  const upper = (s: string): string => [...s].map((c) => String.fromCharCode(upcaseUnit(TABLE, c.charCodeAt(0)))).join('');
  fc.assert(fc.property(nameArb, nameArb, (a, b) => {
    const byUpper = upper(a) === upper(b) ? 0 : compareNtfsNames(TABLE, upper(a), upper(b));
    const full = compareNtfsNames(TABLE, a, b);
    return byUpper === 0 ? (a === b ? full === 0 : full !== 0) : full === byUpper;
  }), { numRuns: 2000 });
  assert.is(compareNtfsNames(TABLE, 'abc', 'BCD'), -1);
  assert.is(compareNtfsNames(TABLE, 'ABC', 'abc'), -1);
  assert.is(compareNtfsNames(TABLE, 'abc', 'ABC'), 1);
  assert.is(compareNtfsNames(TABLE, 'ab', 'ABC'), -1, 'a prefix (ignoring case) sorts first');
  assert.is(compareNtfsNames(TABLE, '', 'a'), -1);
  assert.is(compareNtfsNames(TABLE, '$MFT', '$MFTMirr'), -1);
  assert.is(compareNtfsNames(TABLE, '_', 'a'), 1, "'_' (0x5f) sorts after 'a', compared as 'A' (0x41)");
});

test('compareNtfsNames orders a root index ntfs-3g built from tricky names (case pairs, ß, Greek, Cyrillic, fullwidth, Win7 additions)', () => {
  const image = join(tmp.path, 'names.img');
  writeFileSync(image, new Uint8Array(0));
  truncateSync(image, 64 << 20);
  run('mkntfs', ['-F', '-Q', '-T', '-L', 'X', image]);
  const fixed = ['a', 'A', 'abc', 'ABC', 'Abc', 'ß', 'SS', 'ss', 'é', 'É', 'e', 'E', 'ж', 'Ж', 'ω', 'Ω', 'ς', 'σ', 'Σ', 'ｆ', 'Ｆ',
    '_', '[', '~', 'a b', 'ab', 'a.b', 'A.B', 'ǅ', 'ǆ', 'Ǆ', 'ⅰ', 'Ⅰ', 'ⓐ', 'Ⓐ', 'ꝺ', 'Ꝺ', 'ᵹ', 'ı', 'I', 'i', 'İ', 'ȿ', 'Ȿ', 'ɐ', 'Ɐ'];
  const alphabet = [...'aAbBzZ0_.~ éÉßςσΣжЖｆＦǅǆǄⅰⅠꝺᵹıİɐⱯ'];
  const random = fc.sample(fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 6 }).map((cs) => cs.join('')), { numRuns: 200, seed: 42 })
    .filter((n) => n.trim() === n && n !== '.' && n !== '..');
  const names = [...new Set([...fixed, ...random])];
  const mountPoint = join(tmp.path, 'mnt');
  mkdirSync(mountPoint);
  run('ntfs-3g', [image, mountPoint]);
  try {
    for (const name of names) writeFileSync(join(mountPoint, name), '');
  } finally {
    run('umount', [mountPoint]);
  }
  const nodes = directoryNodes(image, [], 5, 4096);
  const listed = new Set(nodes.flat());
  for (const name of names) assert.ok(listed.has(name), `${JSON.stringify(name)} is in the index`);
  assert.ok(nodes.length >= 2, 'several index blocks');
  assert.ok(assertSortedByUs(nodes, buildUpcaseTable()) >= names.length - nodes.length);
});

test.run();
