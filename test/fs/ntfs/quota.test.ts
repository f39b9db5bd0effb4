import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkTiling, readU64Big } from '../../../src/binary/fields.js';
import { unixToFiletime } from '../../../src/binary/time-formats.js';
import {
  QUOTA_CONTROL_ENTRY, QUOTA_DEFAULTS_ID, QUOTA_FIRST_USER_ID, QUOTA_FLAG, QUOTA_O_DATA_PADDING, QUOTA_O_INDEX_DATA,
  QUOTA_Q_INDEX_KEY, buildQuotaIndexes, decodeQuotaControl, encodeQuotaControl, type QuotaControl,
} from '../../../src/fs/ntfs/quota.js';
import type { IndexKeyData } from '../../../src/fs/ntfs/secure.js';
import { decodeSid, formatSid, type Sid } from '../../../src/fs/ntfs/security-descriptor.js';
import { CORPUS_DIR } from '../../helpers/paths.js';
import { makeTempDir } from '../../helpers/tools.js';
import { run, text } from './reference.js';

const tmp = makeTempDir('ntfs-quota-');
test.after(() => tmp.remove());

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Entries of a resident $INDEX_ROOT value (sleuthkit icat output): key, data and the padding up to the entry's end. */
function indexRootEntries(root: Uint8Array): (IndexKeyData & { padding: Uint8Array })[] {
  const view = new DataView(root.buffer, root.byteOffset, root.length);
  const entries: (IndexKeyData & { padding: Uint8Array })[] = [];
  for (let at = 0x10 + view.getUint32(0x10, true); at < 0x10 + view.getUint32(0x14, true);) {
    const dataOffset = view.getUint16(at, true);
    const dataLength = view.getUint16(at + 2, true);
    const length = view.getUint16(at + 8, true);
    const keyLength = view.getUint16(at + 0x0a, true);
    if (view.getUint16(at + 0x0c, true) & 0x02) break;
    entries.push({
      key: root.slice(at + 0x10, at + 0x10 + keyLength),
      data: root.slice(at + dataOffset, at + dataOffset + dataLength),
      padding: root.slice(at + dataOffset + dataLength, at + length),
    });
    at += length;
  }
  return entries;
}

/** The $O and $Q index roots of $Extend\$Quota (record 24 on mkntfs volumes; found by name elsewhere). */
function quotaIndexes(image: string, offsetArgs: readonly string[], record: number): { o: ReturnType<typeof indexRootEntries>; q: ReturnType<typeof indexRootEntries> } {
  const istat = text(run('istat', [...offsetArgs, image, String(record)]));
  const get = (name: string): ReturnType<typeof indexRootEntries> => {
    const id = new RegExp(`\\$INDEX_ROOT \\((144-\\d+)\\)\\s+Name: \\$${name}\\s`).exec(istat)?.[1];
    if (!id) throw new Error(`record ${record} has no $${name} index root:\n${istat}`);
    return indexRootEntries(run('icat', [...offsetArgs, image, `${record}-${id}`]));
  };
  return { o: get('O'), q: get('Q') };
}

const show = (es: readonly IndexKeyData[]): string[][] => es.map((e) => [hexOf(e.key), hexOf(e.data), hexOf(e.padding ?? new Uint8Array(0))]);

test('field tables: QUOTA_CONTROL_ENTRY 0x30 (without SID), $Q key 4, $O data 4', () => {
  assert.equal(checkTiling(QUOTA_CONTROL_ENTRY), []);
  assert.is(QUOTA_CONTROL_ENTRY.sizeBytes, 0x30);
  assert.equal(checkTiling(QUOTA_Q_INDEX_KEY), []);
  assert.equal(checkTiling(QUOTA_O_INDEX_DATA), []);
});

test('$O and $Q entries (key, data, padding) equal mkntfs -T\'s index roots in $Quota (record 24), in order', () => {
  const image = join(tmp.path, 'ref.img');
  writeFileSync(image, new Uint8Array(0));
  truncateSync(image, 64 << 20);
  run('mkntfs', ['-F', '-Q', '-T', '-L', 'X', image]);
  const theirs = quotaIndexes(image, [], 24);
  const ours = buildQuotaIndexes(0); // -T: every time is the Unix epoch
  assert.equal(show(ours.q), show(theirs.q.map((e) => ({ ...e, padding: undefined }))).map(([k, d]) => [k, d, '']));
  assert.equal(show(ours.o), show(theirs.o));
  for (const e of theirs.q) assert.ok(e.padding.every((b) => b === 0), '$Q padding is zero');
  assert.equal([...theirs.o[0].padding], [...QUOTA_O_DATA_PADDING]);
});

test('buildQuotaIndexes: the timestamp becomes both change times as FILETIME; keys ascend', () => {
  const t = 1_700_000_000;
  const { o, q } = buildQuotaIndexes(t);
  assert.equal(q.map((e) => QUOTA_Q_INDEX_KEY.decode(e.key).ownerId), [QUOTA_DEFAULTS_ID, QUOTA_FIRST_USER_ID]);
  for (const e of q) {
    const at = QUOTA_CONTROL_ENTRY.fieldRange('changeTime').offsetBytes;
    assert.is(readU64Big(e.data, at), unixToFiletime(t));
    const c = decodeQuotaControl(e.data);
    assert.is(c.changeTimeUnix, t);
    assert.is(c.flags, QUOTA_FLAG.DEFAULT_LIMITS);
    assert.is(c.threshold, -1);
    assert.is(c.limit, -1);
  }
  assert.is(decodeQuotaControl(q[0].data).sid, null, 'the defaults entry has no SID');
  assert.is(formatSid(decodeQuotaControl(q[1].data).sid!), 'S-1-5-32-544');
  assert.is(formatSid(decodeSid(o[0].key)), 'S-1-5-32-544');
  assert.is(QUOTA_O_INDEX_DATA.decode(o[0].data).ownerId, QUOTA_FIRST_USER_ID);
  assert.throws(() => buildQuotaIndexes(Number.NaN), (e: Error & { code?: string }) => e.code === 'INVALID_SPEC');
});

test('quota control round trip (random values) and a wrong version is CORRUPT_STRUCTURE', () => {
  const sidArb: fc.Arbitrary<Sid> = fc.record({
    revision: fc.constant(1),
    identifierAuthority: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    subAuthorities: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 5 }),
  }, { noNullPrototype: true });
  const arb: fc.Arbitrary<QuotaControl> = fc.record({
    version: fc.constant(2),
    flags: fc.integer({ min: 0, max: 0xfff }),
    bytesUsed: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    changeTimeUnix: fc.integer({ min: 0, max: 4_000_000_000 }),
    threshold: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
    limit: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
    exceededTime: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    sid: fc.option(sidArb, { nil: null }),
  }, { noNullPrototype: true });
  fc.assert(fc.property(arb, (v) => assert.equal(decodeQuotaControl(encodeQuotaControl(v)), v)), { numRuns: 300 });
  const bad = buildQuotaIndexes(0).q[0].data.slice();
  bad[0] = 3;
  assert.throws(() => decodeQuotaControl(bad), (e: Error & { code?: string; details?: { field?: string } }) => e.code === 'CORRUPT_STRUCTURE' && e.details?.field === 'version');
});

test("a Windows 10 volume's $Quota: its $Q entries decode (defaults entry first, version 2), $O keys are SIDs", () => {
  const image = join(tmp.path, 'win10.raw');
  writeFileSync(image, run('gunzip', ['-c', join(CORPUS_DIR, 'msuhanov-ntfs-samples', 'ntfs-lastaccess.raw.gz')]));
  const listing = text(run('fls', ['-o', '128', image, '11']));
  const record = Number(/(\d+)-144-\d+:\s+\$Quota/.exec(listing)?.[1]);
  assert.ok(record > 0, `$Extend lists $Quota:\n${listing}`);
  const { o, q } = quotaIndexes(image, ['-o', '128'], record);
  assert.ok(q.length >= 2);
  assert.is(QUOTA_Q_INDEX_KEY.decode(q[0].key).ownerId, QUOTA_DEFAULTS_ID);
  const controls = q.map((e) => decodeQuotaControl(e.data));
  assert.ok(controls.every((c) => c.version === 2));
  assert.is(controls[0].sid, null);
  assert.ok(controls.slice(1).every((c) => c.sid !== null));
  assert.ok(o.length >= 1);
  for (const e of o) {
    decodeSid(e.key);
    assert.ok(QUOTA_O_INDEX_DATA.decode(e.data).ownerId >= QUOTA_FIRST_USER_ID);
  }
});

test.run();
