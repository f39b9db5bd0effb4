import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { checkTiling } from '../../../src/binary/fields.js';
import {
  FIRST_SECURITY_ID, SDH_DATA_PADDING, SDH_INDEX_KEY, SDS_BLOCK_SIZE_BYTES, SECURITY_DESCRIPTOR_HEADER, SII_INDEX_KEY,
  buildSecure, decodeSds, decodeSecurityDescriptorHeader, securityDescriptorAttributeFor, securityIdForRecord, type IndexKeyData,
} from '../../../src/fs/ntfs/secure.js';
import { decodeSecurityDescriptor, formatSid, securityDescriptorHash } from '../../../src/fs/ntfs/security-descriptor.js';
import { makeTempDir } from '../../helpers/tools.js';
import { run, text, pinned, mkntfsVolume } from './reference.js';

const tmp = makeTempDir('ntfs-secure-');
test.after(() => tmp.remove());


const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The index entries of a resident $INDEX_ROOT value (as sleuthkit's icat returns it): key, data, padding. */
function indexRootEntries(root: Uint8Array): (IndexKeyData & { padding: Uint8Array })[] {
  const view = new DataView(root.buffer, root.byteOffset, root.length);
  const header = 0x10; // INDEX_ROOT's fixed part, then INDEX_HEADER
  const entries: (IndexKeyData & { padding: Uint8Array })[] = [];
  for (let at = header + view.getUint32(header, true); at < header + view.getUint32(header + 4, true);) {
    const dataOffset = view.getUint16(at, true);
    const dataLength = view.getUint16(at + 2, true);
    const length = view.getUint16(at + 8, true);
    const keyLength = view.getUint16(at + 0x0a, true);
    const flags = view.getUint16(at + 0x0c, true);
    if (flags & 0x02) break;
    entries.push({
      key: root.slice(at + 0x10, at + 0x10 + keyLength),
      data: root.slice(at + dataOffset, at + dataOffset + dataLength),
      padding: root.slice(at + dataOffset + dataLength, at + length),
    });
    at += length;
  }
  return entries;
}

/** `icat` of record `record`'s attribute whose istat line matches `pattern` (its type-id is read from istat). */
function attribute(image: string, record: number, pattern: RegExp): Uint8Array {
  const istat = text(run('istat', [image, String(record)]));
  const id = pattern.exec(istat)?.[1];
  if (!id) throw new Error(`istat ${record}: no attribute matching ${pattern}\n${istat}`);
  return run('icat', [image, `${record}-${id}`]);
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('field tables: $SDS header 0x14, $SII key 4, $SDH key 8', () => {
  assert.equal(checkTiling(SECURITY_DESCRIPTOR_HEADER), []);
  assert.is(SECURITY_DESCRIPTOR_HEADER.sizeBytes, 0x14);
  assert.equal(checkTiling(SII_INDEX_KEY), []);
  assert.equal(checkTiling(SDH_INDEX_KEY), []);
  const header = { hash: 0xf80312f0, securityId: 0x100, offset: 0x40080, length: 0x7c };
  assert.equal(decodeSecurityDescriptorHeader(SECURITY_DESCRIPTOR_HEADER.encode(header)), header);
  assert.equal(SDH_INDEX_KEY.decode(SDH_INDEX_KEY.encode({ hash: 1, securityId: 2 })), { hash: 1, securityId: 2 });
  assert.equal(SII_INDEX_KEY.decode(SII_INDEX_KEY.encode({ securityId: 0x101 })), { securityId: 0x101 });
});

test('$SDS header corruption: a wrong offset or a too-short length is CORRUPT_STRUCTURE naming the field', () => {
  const bytes = SECURITY_DESCRIPTOR_HEADER.encode({ hash: 1, securityId: 0x100, offset: 0x80, length: 0x7c });
  assert.throws(() => decodeSecurityDescriptorHeader(bytes, 0), (e: Error & { code?: string; details?: { field?: string } }) => e.code === 'CORRUPT_STRUCTURE' && e.details?.field === 'offset');
  const short = SECURITY_DESCRIPTOR_HEADER.encode({ hash: 1, securityId: 0x100, offset: 0, length: 0x14 });
  assert.throws(() => decodeSecurityDescriptorHeader(short, 0), (e: Error & { code?: string; details?: { field?: string } }) => e.code === 'CORRUPT_STRUCTURE' && e.details?.field === 'length');
  const sds = buildSecure().sds.slice();
  sds[0x20] ^= 1; // inside the first descriptor: its hash no longer matches
  assert.throws(() => decodeSds(sds), (e: Error & { code?: string }) => e.code === 'CORRUPT_STRUCTURE');
});

test('$Secure:$SDS is byte-identical to mkntfs (fresh volume and pinned hash), mirror copy 256 KiB later', () => {
  const ours = buildSecure();
  assert.is(ours.sdsDataSizeBytes, 0x400fc);
  assert.is(ours.sds.length, ours.sdsDataSizeBytes);
  const theirs = run('ntfscat', ['-a', '0x80', '-n', '$SDS', mkntfsVolume(tmp.path), '$Secure']);
  assert.is(theirs.length, ours.sdsDataSizeBytes);
  assert.is(sha256(ours.sds), sha256(theirs));
  assert.is(sha256(ours.sds), pinned('secure-sds'));
  assert.equal([...ours.sds.subarray(SDS_BLOCK_SIZE_BYTES)], [...ours.sds.subarray(0, 0xfc)]);
  const entries = decodeSds(ours.sds);
  assert.equal(entries.map((e) => [e.header.securityId, e.header.offset, e.header.length]), [[0x100, 0, 0x7c], [0x101, 0x80, 0x7c]]);
  for (const e of entries) assert.is(securityDescriptorHash(e.descriptor), e.header.hash);
  assert.equal(entries.map((e) => formatSid(decodeSecurityDescriptor(e.descriptor).owner!)), ['S-1-5-32-544', 'S-1-5-32-544']);
});

test('$SII and $SDH entries (key, data, padding) equal the index roots of the mkntfs volume, in its order', () => {
  const image = mkntfsVolume(tmp.path);
  const ours = buildSecure();
  const sii = indexRootEntries(attribute(image, 9, /\$INDEX_ROOT \((144-\d+)\)\s+Name: \$SII/));
  const sdh = indexRootEntries(attribute(image, 9, /\$INDEX_ROOT \((144-\d+)\)\s+Name: \$SDH/));
  const show = (es: readonly IndexKeyData[]): string[][] => es.map((e) => [hexOf(e.key), hexOf(e.data)]);
  assert.equal(show(ours.siiEntries), show(sii));
  assert.equal(show(ours.sdhEntries), show(sdh));
  for (const e of sdh) assert.equal([...e.padding], [...SDH_DATA_PADDING], '$SDH padding is "II"');
  for (const e of ours.sdhEntries) assert.equal([...(e.padding ?? [])], [...SDH_DATA_PADDING]);
  assert.equal(ours.siiEntries.map((e) => SII_INDEX_KEY.decode(e.key).securityId), [0x100, 0x101]);
  assert.equal(ours.sdhEntries.map((e) => SDH_INDEX_KEY.decode(e.key).hash), [0x00b32451, 0xf80312f0], 'by hash');
});

test('securityIdForRecord matches the $STANDARD_INFORMATION security ids ntfsinfo reads (records 0–15, 24–26)', () => {
  const image = mkntfsVolume(tmp.path);
  const records = [...Array(16).keys(), 24, 25, 26];
  for (const record of records) {
    const info = text(run('ntfsinfo', ['-i', String(record), image]));
    const id = /Security ID:\s+(\d+)/.exec(info);
    const expected = id ? Number(id[1]) : 0; // the 48-byte NTFS 1.2 form (no security id) when mkntfs passes 0
    assert.is(securityIdForRecord(record), expected, `record ${record}`);
  }
  for (const record of [16, 20, 23]) assert.is(securityIdForRecord(record), 0);
  assert.is(securityIdForRecord(9), FIRST_SECURITY_ID + 1);
  assert.throws(() => securityIdForRecord(27), (e: Error & { code?: string }) => e.code === 'INVALID_SPEC');
  assert.throws(() => securityIdForRecord(-1), (e: Error & { code?: string }) => e.code === 'INVALID_SPEC');
});

test('securityDescriptorAttributeFor equals each record\'s $SECURITY_DESCRIPTOR on the mkntfs volume (and none elsewhere)', () => {
  const image = mkntfsVolume(tmp.path);
  for (const record of [...Array(16).keys(), 24, 25, 26]) {
    const ours = securityDescriptorAttributeFor(record);
    const istat = text(run('istat', [image, String(record)]));
    const has = /\$SECURITY_DESCRIPTOR \(80-\d+\)/.test(istat);
    assert.is(ours !== null, has, `record ${record} has a $SECURITY_DESCRIPTOR: ${has}`);
    if (ours) assert.is(sha256(ours), sha256(run('icat', [image, `${record}-80`])), `record ${record}`);
  }
  assert.is(sha256(securityDescriptorAttributeFor(5)!), pinned('security-descriptor-5'));
  assert.is(sha256(securityDescriptorAttributeFor(3)!), pinned('security-descriptor-3'));
  assert.is(sha256(securityDescriptorAttributeFor(4)!), pinned('security-descriptor-4'));
  const root = decodeSecurityDescriptor(securityDescriptorAttributeFor(5)!);
  assert.is(root.dacl?.aces.length, 8);
  assert.is(root.dacl?.sizeBytes, 0x1000);
  assert.is(securityDescriptorAttributeFor(5)!.length, 0x102c);
});

test.run();
