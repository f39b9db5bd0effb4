import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkTiling } from '../../../src/binary/fields.js';
import {
  ATTR_DEF, ATTR_DEF_SIZE_BYTES, STANDARD_ATTR_DEFS, buildAttrDef, decodeAttrDef, decodeAttrDefEntry, encodeAttrDefEntry,
} from '../../../src/fs/ntfs/attrdef.js';
import { ATTR_DEF_FLAG, ATTR_TYPE } from '../../../src/fs/ntfs/attribute-types.js';
import { CORPUS_DIR } from '../../helpers/paths.js';
import { makeTempDir } from '../../helpers/tools.js';
import { run, pinned } from './reference.js';

const tmp = makeTempDir('ntfs-attrdef-');
test.after(() => tmp.remove());

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const isCorrupt = (e: Error & { code?: string }): boolean => e.code === 'CORRUPT_STRUCTURE';

test('ATTR_DEF field table tiles its 160 bytes', () => {
  assert.equal(checkTiling(ATTR_DEF), []);
  assert.is(ATTR_DEF.sizeBytes, 0xa0);
});

test('$AttrDef is byte-identical to mkntfs (fresh volume and pinned hash)', () => {
  const image = join(tmp.path, 'ref.img');
  writeFileSync(image, new Uint8Array(0));
  truncateSync(image, 64 << 20);
  run('mkntfs', ['-F', '-Q', '-T', '-L', 'X', image]);
  const theirs = run('ntfscat', [image, '$AttrDef']);
  const ours = buildAttrDef();
  assert.is(ours.length, ATTR_DEF_SIZE_BYTES);
  assert.is(sha256(ours), sha256(theirs));
  assert.is(sha256(ours), pinned('attrdef'));
  assert.equal(decodeAttrDef(theirs), [...STANDARD_ATTR_DEFS]);
});

test("the Windows 10 corpus volume's $AttrDef decodes to the same 15 definitions, byte for byte", () => {
  const image = join(tmp.path, 'win10.raw');
  writeFileSync(image, run('gunzip', ['-c', join(CORPUS_DIR, 'msuhanov-ntfs-samples', 'ntfs-lastaccess.raw.gz')]));
  const windows = run('icat', ['-o', '128', image, '4']);
  const entries = decodeAttrDef(windows);
  assert.is(entries.length, 15);
  assert.equal(entries, [...STANDARD_ATTR_DEFS]);
  assert.equal(entries.map((e) => e.name), Object.keys(ATTR_TYPE).filter((k) => k !== 'END').map((k) => `$${k}`));
  const fileName = entries.find((e) => e.type === ATTR_TYPE.FILE_NAME)!;
  assert.is(fileName.flags, ATTR_DEF_FLAG.RESIDENT | ATTR_DEF_FLAG.INDEXABLE);
  assert.is(fileName.maxSize, 0x242);
  assert.is(entries.find((e) => e.type === ATTR_TYPE.DATA)!.maxSize, -1);
  assert.is(sha256(windows), sha256(buildAttrDef()));
});

test('entry round trip (random values), and sizes keep their sign', () => {
  const entryArb = fc.record({
    name: fc.string({ maxLength: 20 }).map((s) => `$${s.replace(/\u0000/g, '')}`),
    type: fc.integer({ min: 1, max: 0xfffffff }).map((t) => t * 0x10),
    displayRule: fc.integer({ min: 0, max: 0xffffffff }),
    collationRule: fc.integer({ min: 0, max: 0xffffffff }),
    flags: fc.integer({ min: 0, max: 0xffffffff }),
    minSize: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
    maxSize: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
  }, { noNullPrototype: true });
  fc.assert(fc.property(entryArb, (e) => assert.equal(decodeAttrDefEntry(encodeAttrDefEntry(e)), e)), { numRuns: 500 });
  for (const e of STANDARD_ATTR_DEFS) assert.equal(decodeAttrDefEntry(encodeAttrDefEntry(e)), e);
});

test('corruption: a name without "$", a type not a multiple of 0x10, types out of order', () => {
  const good = encodeAttrDefEntry(STANDARD_ATTR_DEFS[0]);
  const noDollar = good.slice();
  noDollar[0] = 0x41;
  assert.throws(() => decodeAttrDefEntry(noDollar), (e: Error & { code?: string; details?: { field?: string } }) => isCorrupt(e) && e.details?.field === 'name');
  const badType = good.slice();
  badType[ATTR_DEF.fieldRange('type').offsetBytes] = 0x11;
  assert.throws(() => decodeAttrDefEntry(badType), (e: Error & { code?: string; details?: { field?: string } }) => isCorrupt(e) && e.details?.field === 'type');
  const swapped = buildAttrDef([STANDARD_ATTR_DEFS[1], STANDARD_ATTR_DEFS[0]]);
  assert.throws(() => decodeAttrDef(swapped), isCorrupt);
});

test.run();
