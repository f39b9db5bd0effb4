// The whole-volume NTFS checks of ntfs-extra-walk-checks.ts on a volume mkntfs made and ntfs-3g filled (mounted
// with `permissions`, so files carry security ids): attribute lists of many streams and of many hard links, a
// directory whose $I30 root ntfs-3g moved into an extension record, a directory thinned out until most of its index
// blocks are free. No error on the clean volume; then one damage at a time, each reported with its own code; and
// wherever `ntfsck -n` finds errors, verify reports an error too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ATTR_TYPE, STREAM_NAME, SYSTEM_FILE } from '../../src/fs/ntfs/attribute-types.js';
import { encodeResidentAttribute, NON_RESIDENT_ATTRIBUTE_HEADER, RESIDENT_ATTRIBUTE_HEADER } from '../../src/fs/ntfs/attributes/attribute-header.js';
import { ATTRIBUTE_LIST_ENTRY, decodeAttributeList } from '../../src/fs/ntfs/attributes/attribute-list.js';
import { STANDARD_INFORMATION } from '../../src/fs/ntfs/attributes/standard-information.js';
import { MFT_RECORD_HEADER } from '../../src/fs/ntfs/mft-record.js';
import { encodeMftRef } from '../../src/fs/ntfs/ntfs-time.js';
import { decodeRunlist } from '../../src/fs/ntfs/runlist.js';
import { INDEX_ROOT_HEADER } from '../../src/fs/ntfs/index-node.js';
import { SECURITY_DESCRIPTOR_HEADER } from '../../src/fs/ntfs/secure.js';
import { inspectNtfsVolume } from '../../src/inspect/fs-ntfs.js';
import { openMemoryTarget } from '../../src/target/memory-target.js';
import { SHARED_DIR } from '../helpers/paths.js';
import { makeTempDir, mustRun, requireTool, runTool } from '../helpers/tools.js';
import { attributeOf, extensionsOf, findFile, freeRecord, geometryOf, readRecord, residentValue, streamOf, withClusterFree, withRecord, type FoundRecord, type Geometry } from './ntfs-edit.js';

const NTFSCK = join(SHARED_DIR, 'tools', 'ntfsck', 'ntfsck');

const POPULATE = String.raw`
set -e
cd "$1"
touch streams.txt
i=0; while [ $i -lt 60 ]; do head -c 150 /dev/zero > "streams.txt:stream$i"; i=$((i+1)); done
printf 'x' > linked.txt
i=1; while [ $i -le 120 ]; do ln linked.txt "hard link with a long name $i"; i=$((i+1)); done
mkdir 'root moved'
i=0; while [ $i -lt 81 ]; do head -c 200 /dev/zero > "root moved:s$i"; i=$((i+1)); done
i=0; while [ $i -lt 300 ]; do : > "root moved/a rather long file name number $i.txt"; i=$((i+1)); done
mkdir thinned
i=0; while [ $i -lt 600 ]; do : > "thinned/a longer entry name $i.txt"; i=$((i+1)); done
i=0; while [ $i -lt 600 ]; do [ $((i % 12)) -eq 0 ] || rm "thinned/a longer entry name $i.txt"; i=$((i+1)); done
printf 'secret' > secured.txt
chmod 600 secured.txt
`;

for (const tool of ['mkntfs', 'ntfs-3g', 'fusermount3', 'truncate', 'bash']) requireTool(tool);
const dir = makeTempDir('guestdisk-ntfs-walk-extra-');
const path = join(dir.path, 'volume.img');
const mnt = join(dir.path, 'mnt');
mkdirSync(mnt);
writeFileSync(path, new Uint8Array(0));
mustRun('truncate', ['-s', '48M', path]);
mustRun('mkntfs', ['-F', '-q', '-Q', '-L', 'Extra', path]);
mustRun('ntfs-3g', ['-o', 'permissions,streams_interface=windows', path, mnt]);
try {
  mustRun('bash', ['-c', POPULATE, 'populate', mnt], { timeoutMs: 300_000 });
} finally {
  mustRun('fusermount3', ['-u', mnt]);
}
const clean = new Uint8Array(readFileSync(path));
const g: Geometry = geometryOf(clean);
test.after(() => dir.remove());

async function errorsOf(bytes: Uint8Array): Promise<string[]> {
  const { findings } = await inspectNtfsVolume(openMemoryTarget({ sizeBytes: bytes.length, initial: bytes }), { partitionStartLba: null, partitionSizeBytes: bytes.length });
  return findings.filter((f) => f.severity === 'error').map((f) => `${f.code}: ${f.message}`);
}
function ntfsck(bytes: Uint8Array): number {
  writeFileSync(path, bytes);
  return runTool(NTFSCK, ['-n', '-q', path]).status;
}

test('a resident attribute list (as Windows writes a short one): ntfsck -n clean, no error', async () => {
  const resident = withResidentList('thinned');
  assert.ok(attributeOf(findFile(resident, g, 'thinned'), ATTR_TYPE.ATTRIBUTE_LIST).resident);
  assert.is(ntfsck(resident), 0);
  assert.equal(await errorsOf(resident), []);
});

test('the clean volume: ntfsck -n clean, no error; it has what the damage cases need', async () => {
  assert.is(ntfsck(clean), 0);
  assert.equal(await errorsOf(clean), []);
  const moved = findFile(clean, g, 'root moved');
  assert.not.ok(residentValueOrNull(moved, ATTR_TYPE.INDEX_ROOT, '$I30'), 'ntfs-3g moved the $I30 root out of the base record');
  assert.ok(extensionsOf(clean, g, moved.n).some((x) => residentValueOrNull(x, ATTR_TYPE.INDEX_ROOT, '$I30')), 'an extension record holds it');
  for (const name of ['streams.txt', 'linked.txt']) assert.ok(extensionsOf(clean, g, findFile(clean, g, name).n).length > 0, `${name} has extension records`);
  assert.ok(securityIdOf(findFile(clean, g, 'secured.txt')) >= 0x100, 'ntfs-3g -o permissions gave the file a security id');
});

function residentValueOrNull(r: FoundRecord, type: number, name: string): Uint8Array | null {
  try {
    return residentValue(r, r.record, type, name);
  } catch {
    return null;
  }
}

/** The record (base or extension) of directory `name` that holds its resident $I30 attribute `type`. */
function holderOf(name: string, type: number): FoundRecord {
  const base = findFile(clean, g, name);
  const holder = [base, ...extensionsOf(clean, g, base.n)].find((x) => residentValueOrNull(x, type, '$I30'));
  assert.ok(holder, `${name} has a resident $I30 attribute 0x${type.toString(16)}`);
  return holder!;
}

function securityIdOf(r: FoundRecord): number {
  return STANDARD_INFORMATION.decode(residentValue(r, r.record, ATTR_TYPE.STANDARD_INFORMATION)).securityId;
}

/** Byte offsets of the entries of an attribute list value. */
function entryOffsets(list: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at + ATTRIBUTE_LIST_ENTRY.sizeBytes <= list.length; at += ATTRIBUTE_LIST_ENTRY.decode(list.subarray(at)).length) out.push(at);
  return out;
}

/** A copy of `volume` with `file`'s attribute list changed by `edit` (same length). */
function withListEdit(file: string, edit: (list: Uint8Array, entries: ReturnType<typeof decodeAttributeList>, offsets: number[]) => void, volume: Uint8Array = clean): Uint8Array {
  const r = findFile(volume, g, file);
  const stream = streamOf(volume, r, g, ATTR_TYPE.ATTRIBUTE_LIST);
  const list = Uint8Array.from(stream.bytes);
  edit(list, decodeAttributeList(list), entryOffsets(list));
  return stream.with(list);
}

/** The first list entry naming an extension record (not the base record) of `file`. */
function extensionEntry(file: string, entries: ReturnType<typeof decodeAttributeList>): number {
  const base = findFile(clean, g, file).n;
  const i = entries.findIndex((e) => e.recordNumber !== base);
  assert.ok(i >= 0, `${file}'s list names an extension record`);
  return i;
}

/**
 * A copy of the volume where `file`'s attribute list, which ntfs-3g always makes non-resident, is resident as
 * Windows keeps a short list: the attribute rewritten in place in the base record, its clusters freed in $Bitmap.
 */
function withResidentList(file: string): Uint8Array {
  const r = findFile(clean, g, file);
  const a = attributeOf(r, ATTR_TYPE.ATTRIBUTE_LIST);
  assert.ok(a.nonResident, `${file}'s list as ntfs-3g wrote it is non-resident`);
  const value = streamOf(clean, r, g, ATTR_TYPE.ATTRIBUTE_LIST).bytes;
  const resident = encodeResidentAttribute({ type: ATTR_TYPE.ATTRIBUTE_LIST, instance: a.instance, value }).bytes;
  let out = withRecord(clean, r, (record, view) => {
    const oldLength = view.getUint32(a.offsetBytes + RESIDENT_ATTRIBUTE_HEADER.fields.length.offset, true);
    const bytesInUse = r.header.bytesInUse - oldLength + resident.length;
    assert.ok(bytesInUse <= record.length, `${file}'s base record has room for its list`);
    const tail = record.slice(a.offsetBytes + oldLength, r.header.bytesInUse);
    record.set(resident, a.offsetBytes);
    record.set(tail, a.offsetBytes + resident.length);
    record.fill(0, bytesInUse, Math.max(bytesInUse, r.header.bytesInUse));
    view.setUint32(MFT_RECORD_HEADER.fields.bytesInUse.offset, bytesInUse, true);
  });
  for (const run of decodeRunlist(a.nonResident!.mappingPairs, 16)) for (let c = 0; c < run.length; c++) out = withClusterFree(out, g, run.lcn! + c);
  return out;
}

const MFT_REFERENCE_AT = ATTRIBUTE_LIST_ENTRY.fields.mftReference.offset;
const INSTANCE_AT = ATTRIBUTE_LIST_ENTRY.fields.instance.offset;

/** What is damaged, the codes verify must report (and no other error), and the damaged volume. */
const cases: [string, string[], () => Uint8Array][] = [
  // The entry's attribute, no longer named, is reported too.
  ['a list entry names a free record', ['NTFS_ATTRIBUTE_LIST_ENTRY_BAD', 'NTFS_ATTRIBUTE_NOT_LISTED'], () => withListEdit('streams.txt', (list, entries, offsets) => {
    list.set(encodeMftRef(freeRecord(clean, g), 1), offsets[extensionEntry('streams.txt', entries)] + MFT_REFERENCE_AT);
  })],
  ['a resident list\'s entry names a free record', ['NTFS_ATTRIBUTE_LIST_ENTRY_BAD', 'NTFS_ATTRIBUTE_NOT_LISTED'], () => withListEdit('thinned', (list, entries, offsets) => {
    list.set(encodeMftRef(freeRecord(clean, g), 1), offsets[extensionEntry('thinned', entries)] + MFT_REFERENCE_AT);
  }, withResidentList('thinned'))],
  ['a list entry names another file\'s extension record', ['NTFS_ATTRIBUTE_LIST_ENTRY_BAD', 'NTFS_ATTRIBUTE_NOT_LISTED'], () => withListEdit('streams.txt', (list, entries, offsets) => {
    const other = extensionsOf(clean, g, findFile(clean, g, 'linked.txt').n)[0];
    list.set(encodeMftRef(other.n, other.header.sequenceNumber), offsets[extensionEntry('streams.txt', entries)] + MFT_REFERENCE_AT);
  })],
  ['a list entry names a stale sequence number', ['NTFS_ATTRIBUTE_LIST_ENTRY_BAD'], () => withListEdit('linked.txt', (list, entries, offsets) => {
    const e = entries[extensionEntry('linked.txt', entries)];
    list.set(encodeMftRef(e.recordNumber, e.sequenceNumber + 1), offsets[extensionEntry('linked.txt', entries)] + MFT_REFERENCE_AT);
  })],
  ['a list entry names an attribute instance the record does not hold', ['NTFS_ATTRIBUTE_LIST_ENTRY_BAD', 'NTFS_ATTRIBUTE_NOT_LISTED'], () => withListEdit('streams.txt', (list, entries, offsets) => {
    const i = extensionEntry('streams.txt', entries);
    new DataView(list.buffer).setUint16(offsets[i] + INSTANCE_AT, entries[i].instance + 0x100, true);
  })],
  ['a list entry repeated over the next one', ['NTFS_ATTRIBUTE_LIST_ENTRY_BAD', 'NTFS_ATTRIBUTE_NOT_LISTED'], () => withListEdit('streams.txt', (list, entries, offsets) => {
    const i = entries.findIndex((e, k) => k + 1 < entries.length && e.type === ATTR_TYPE.DATA && e.name !== '' && offsets[k + 1] - offsets[k] === offsets[k + 2] - offsets[k + 1]);
    list.copyWithin(offsets[i + 1], offsets[i], offsets[i + 1]);
  })],
  ['a list entry whose length leaves the list (the whole list unreadable)', ['NTFS_ATTRIBUTE_LIST_ENTRY_BAD'], () => withListEdit('linked.txt', (list, _, offsets) => {
    new DataView(list.buffer).setUint16(offsets[1] + ATTRIBUTE_LIST_ENTRY.fields.length.offset, 0x7ff8, true);
  })],
  ['the last list entry dropped (the list made shorter)', ['NTFS_ATTRIBUTE_NOT_LISTED'], () => {
    const r = findFile(clean, g, 'streams.txt');
    const list = streamOf(clean, r, g, ATTR_TYPE.ATTRIBUTE_LIST).bytes;
    const offsets = entryOffsets(list);
    const shorter = offsets[offsets.length - 1];
    const a = attributeOf(r, ATTR_TYPE.ATTRIBUTE_LIST);
    return withRecord(clean, r, (_, view) => {
      if (a.resident) return view.setUint32(a.offsetBytes + RESIDENT_ATTRIBUTE_HEADER.fields.valueLength.offset, shorter, true);
      view.setUint32(a.offsetBytes + NON_RESIDENT_ATTRIBUTE_HEADER.fields.dataSize.offset, shorter, true);
      view.setUint32(a.offsetBytes + NON_RESIDENT_ATTRIBUTE_HEADER.fields.initializedSize.offset, shorter, true);
    });
  }],
  ['an index block the $I30 root in an extension record reaches is marked free', ['NTFS_INDEX_BITMAP'], () => {
    const holder = holderOf('root moved', ATTR_TYPE.BITMAP);
    return withRecord(clean, holder, (record) => { residentValue(holder, record, ATTR_TYPE.BITMAP, '$I30')[0] &= ~1; });
  }],
  ['an index block no node reaches is marked in use', ['NTFS_INDEX_BLOCK_UNREACHED'], () => {
    const rootHolder = holderOf('thinned', ATTR_TYPE.INDEX_ROOT);
    const blockSize = INDEX_ROOT_HEADER.decode(residentValue(rootHolder, rootHolder.record, ATTR_TYPE.INDEX_ROOT, '$I30')).indexBlockSize;
    const blocks = attributeOf(findFile(clean, g, 'thinned'), ATTR_TYPE.INDEX_ALLOCATION, '$I30').nonResident!.header.dataSize / blockSize;
    const holder = holderOf('thinned', ATTR_TYPE.BITMAP);
    return withRecord(clean, holder, (record) => {
      const bitmap = residentValue(holder, record, ATTR_TYPE.BITMAP, '$I30');
      let block = 0;
      while (block < blocks && (bitmap[block >> 3] & (1 << (block & 7))) !== 0) block++;
      assert.ok(block < blocks, 'ntfs-3g left a free block in the thinned directory\'s index');
      bitmap[block >> 3] |= 1 << (block & 7);
    });
  }],
  ['a file names a security id $Secure does not hold', ['NTFS_SECURITY_ID_UNKNOWN'], () => {
    const r = findFile(clean, g, 'secured.txt');
    return withRecord(clean, r, (record) => {
      new DataView(record.buffer).setUint32(residentValue(r, record, ATTR_TYPE.STANDARD_INFORMATION).byteOffset + STANDARD_INFORMATION.fields.securityId.offset, 0x7777, true);
    });
  }],
  ['the $SDS entry of a security id a file uses carries another hash', ['NTFS_SECURITY_DESCRIPTOR_MISSING'], () => {
    const id = securityIdOf(findFile(clean, g, 'secured.txt'));
    const sds = streamOf(clean, readRecord(clean, g, SYSTEM_FILE.SECURE)!, g, ATTR_TYPE.DATA, STREAM_NAME.SDS);
    const bytes = Uint8Array.from(sds.bytes);
    let at = 0;
    const view = new DataView(bytes.buffer);
    const idAt = SECURITY_DESCRIPTOR_HEADER.fields.securityId.offset;
    while (at + SECURITY_DESCRIPTOR_HEADER.sizeBytes <= bytes.length && view.getUint32(at + idAt, true) !== id) at += 16;
    assert.ok(at < bytes.length, `$SDS holds security id ${id}`);
    bytes[at + SECURITY_DESCRIPTOR_HEADER.fields.hash.offset] ^= 0xff;
    return sds.with(bytes);
  }],
];

for (const [what, codes, damage] of cases) {
  test(`damage: ${what} → ${codes.join(', ')}`, async () => {
    const damaged = damage();
    const errors = await errorsOf(damaged);
    const found = [...new Set(errors.map((e) => e.split(':')[0]))].sort();
    assert.equal(found, [...codes].sort(), errors.join('\n'));
    // ntfsck -n sees all of these but the security ids, which it does not check.
    const status = ntfsck(damaged);
    assert.is(status !== 0, !codes.some((c) => c.startsWith('NTFS_SECURITY_')), `ntfsck -n exits ${status}`);
    if (status !== 0) assert.ok(errors.length > 0, `ntfsck -n exits ${status}, verify finds no error`);
  });
}

test.run();
