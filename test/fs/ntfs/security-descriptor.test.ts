import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkTiling } from '../../../src/binary/fields.js';
import {
  ACCESS, ACCESS_ALLOWED_ACE, ACE_FLAG, ACE_HEADER, ACL_HEADER, SECURITY_DESCRIPTOR_RELATIVE, SE, SID_BUILTIN_ADMINISTRATORS,
  SID_HEADER, SID_LOCAL_SYSTEM, accessMask, decodeAce, decodeAcl, decodeSecurityDescriptor, decodeSid, encodeAce, encodeAcl,
  encodeSecurityDescriptor, encodeSid, formatSid, securityDescriptorHash, tightAcl, type Ace, type SecurityDescriptor, type Sid,
} from '../../../src/fs/ntfs/security-descriptor.js';
import { decodeSds, securityDescriptorAttributeFor } from '../../../src/fs/ntfs/secure.js';
import { CORPUS_DIR } from '../../helpers/paths.js';
import { makeTempDir } from '../../helpers/tools.js';
import { run } from './reference.js';

const tmp = makeTempDir('ntfs-sd-');
test.after(() => tmp.remove());

const isCorrupt = (e: Error & { code?: string }): boolean => e.code === 'CORRUPT_STRUCTURE';

test('field tables tile their spec sizes (SD header 0x14, ACL 8, ACE header 4, ACCESS_ALLOWED_ACE head 8, SID head 8)', () => {
  for (const [s, size] of [[SECURITY_DESCRIPTOR_RELATIVE, 0x14], [ACL_HEADER, 8], [ACE_HEADER, 4], [ACCESS_ALLOWED_ACE, 8], [SID_HEADER, 8]] as const) {
    assert.equal(checkTiling(s), [], s.name);
    assert.is(s.sizeBytes, size, s.name);
  }
});

test('SID: S-1-5-32-544 encodes to its well-known 16 bytes and back', () => {
  const bytes = encodeSid(SID_BUILTIN_ADMINISTRATORS);
  assert.equal([...bytes], [1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0, 0x20, 2, 0, 0]);
  assert.equal(decodeSid(bytes), SID_BUILTIN_ADMINISTRATORS);
  assert.is(formatSid(decodeSid(bytes)), 'S-1-5-32-544');
  assert.is(formatSid(SID_LOCAL_SYSTEM), 'S-1-5-18');
});

test('SID corruption: revision, sub-authority count, truncation', () => {
  const bytes = encodeSid(SID_BUILTIN_ADMINISTRATORS);
  const badRevision = bytes.slice();
  badRevision[0] = 2;
  assert.throws(() => decodeSid(badRevision), (e: Error & { code?: string; details?: { field?: string } }) => isCorrupt(e) && e.details?.field === 'revision');
  const tooMany = bytes.slice();
  tooMany[1] = 16;
  assert.throws(() => decodeSid(tooMany), isCorrupt);
  assert.throws(() => decodeSid(bytes.subarray(0, 12)), isCorrupt);
});

const sidArb: fc.Arbitrary<Sid> = fc.record({
  revision: fc.constant(1),
  identifierAuthority: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  subAuthorities: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
}, { noNullPrototype: true });
const aceArb: fc.Arbitrary<Ace> = fc.oneof(
  fc.record({ type: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const), flags: fc.integer({ min: 0, max: 0xff }), mask: fc.integer({ min: 0, max: 0xffffffff }), sid: sidArb }, { noNullPrototype: true }),
  fc.record({ type: fc.integer({ min: 4, max: 20 }), flags: fc.integer({ min: 0, max: 0xff }), body: fc.uint8Array({ maxLength: 40 }).map((b) => b.slice(0, b.length - (b.length % 4))) }, { noNullPrototype: true }),
);
const aclArb = fc.tuple(fc.array(aceArb, { maxLength: 6 }), fc.integer({ min: 0, max: 16 })).map(([aces, spare]) => {
  const acl = tightAcl(aces);
  return { ...acl, sizeBytes: acl.sizeBytes + 4 * spare };
});
const sdArb: fc.Arbitrary<SecurityDescriptor> = fc.record({
  owner: fc.option(sidArb, { nil: null }),
  group: fc.option(sidArb, { nil: null }),
  sacl: fc.option(aclArb, { nil: null }),
  dacl: fc.option(aclArb, { nil: null }),
}).map((p) => ({
  revision: 1,
  control: SE.SELF_RELATIVE | (p.dacl ? SE.DACL_PRESENT : 0) | (p.sacl ? SE.SACL_PRESENT : 0),
  ...p,
}));

test('round trips: SID, ACE, ACL, security descriptor (random values)', () => {
  fc.assert(fc.property(sidArb, (sid) => assert.equal(decodeSid(encodeSid(sid)), sid)), { numRuns: 300 });
  fc.assert(fc.property(aceArb, (ace) => assert.equal(decodeAce(encodeAce(ace)), ace)), { numRuns: 300 });
  fc.assert(fc.property(aclArb, (acl) => assert.equal(decodeAcl(encodeAcl(acl)), acl)), { numRuns: 300 });
  fc.assert(fc.property(sdArb, (sd) => {
    const bytes = encodeSecurityDescriptor(sd);
    assert.equal(decodeSecurityDescriptor(bytes), sd);
    assert.equal([...encodeSecurityDescriptor(decodeSecurityDescriptor(bytes))], [...bytes]);
  }), { numRuns: 300 });
});

test('security descriptor corruption: revision, SE_SELF_RELATIVE, offsets, ACL and ACE sizes', () => {
  const sd: SecurityDescriptor = {
    revision: 1, control: SE.SELF_RELATIVE | SE.DACL_PRESENT, owner: SID_LOCAL_SYSTEM, group: SID_BUILTIN_ADMINISTRATORS, sacl: null,
    dacl: tightAcl([{ type: 0, flags: ACE_FLAG.OBJECT_INHERIT, mask: ACCESS.GENERIC_ALL, sid: SID_LOCAL_SYSTEM }]),
  };
  const bytes = encodeSecurityDescriptor(sd);
  const at = (field: keyof typeof SECURITY_DESCRIPTOR_RELATIVE.fields): number => SECURITY_DESCRIPTOR_RELATIVE.fieldRange(field).offsetBytes;
  const alter = (offset: number, value: number): Uint8Array => { const b = bytes.slice(); b[offset] = value; return b; };
  assert.throws(() => decodeSecurityDescriptor(alter(at('revision'), 2)), (e: Error & { code?: string; details?: { field?: string } }) => isCorrupt(e) && e.details?.field === 'revision');
  assert.throws(() => decodeSecurityDescriptor(alter(at('control') + 1, 0)), (e: Error & { code?: string; details?: { field?: string } }) => isCorrupt(e) && e.details?.field === 'control');
  assert.throws(() => decodeSecurityDescriptor(alter(at('owner'), 0xf0)), isCorrupt);
  assert.throws(() => decodeSecurityDescriptor(alter(0x14 + 2, 0xff)), isCorrupt, 'ACL size beyond the descriptor');
  assert.throws(() => decodeSecurityDescriptor(alter(0x14 + 8 + 2, 0x15)), isCorrupt, 'ACE size not a multiple of 4');
  assert.throws(() => decodeSecurityDescriptor(alter(0x14, 7)), isCorrupt, 'ACL revision');
});

test('securityDescriptorHash: rotate-left-3 and add over LE u32 words; the two values mkntfs hard-codes in sd.c', () => {
  assert.is(securityDescriptorHash(new Uint8Array([1, 0, 0, 0, 1, 0, 0, 0])), (1 << 3) + 1);
  assert.is(securityDescriptorHash(new Uint8Array([0, 0, 0, 0x80, 0, 0, 0, 0])), 4, 'the top bit rotates to bit 2');
  assert.is(securityDescriptorHash(new Uint8Array([1, 0, 0, 0, 9])), 1, 'a partial last word is ignored');
  const shared = (mask: number): Uint8Array => encodeSecurityDescriptor({
    revision: 1, control: SE.SELF_RELATIVE | SE.DACL_PRESENT, owner: SID_BUILTIN_ADMINISTRATORS, group: SID_BUILTIN_ADMINISTRATORS, sacl: null,
    dacl: tightAcl([{ type: 0, flags: 0, mask, sid: SID_LOCAL_SYSTEM }, { type: 0, flags: 0, mask, sid: SID_BUILTIN_ADMINISTRATORS }]),
  });
  assert.is(securityDescriptorHash(shared(0x120089)), 0xf80312f0);
  assert.is(securityDescriptorHash(shared(0x12019f)), 0x00b32451);
  assert.is(accessMask(ACCESS.GENERIC_READ, ACCESS.GENERIC_EXECUTE), 0xa0000000, 'masks stay unsigned');
});

test('every descriptor in a Windows 10 $SDS decodes, hashes to its header value and re-encodes identically', () => {
  const image = join(tmp.path, 'win10.raw');
  writeFileSync(image, run('gunzip', ['-c', join(CORPUS_DIR, 'msuhanov-ntfs-samples', 'ntfs-lastaccess.raw.gz')]));
  const istat = new TextDecoder().decode(run('istat', ['-o', '128', image, '9']));
  const id = /\$DATA \((128-\d+)\)\s+Name: \$SDS/.exec(istat)?.[1];
  assert.ok(id, 'istat lists $Secure:$SDS');
  const entries = decodeSds(run('icat', ['-o', '128', image, `9-${id}`])); // checks each header hash
  assert.ok(entries.length >= 10, `${entries.length} descriptors`);
  let identical = 0;
  for (const { header, descriptor } of entries) {
    const sd = decodeSecurityDescriptor(descriptor);
    assert.ok((sd.control & SE.SELF_RELATIVE) !== 0);
    assert.ok(sd.owner !== null, `id ${header.securityId} has an owner`);
    const again = encodeSecurityDescriptor(sd);
    if (again.length === descriptor.length && again.every((b, i) => b === descriptor[i])) identical++;
  }
  // Windows lays every part out as we do (SACL, DACL, owner, group, no gaps): all re-encode byte for byte.
  assert.is(identical, entries.length);
});

test("libfsntfs (fsntfsinfo) reads the same owner, group and ACEs as we decode from mkntfs's $SECURITY_DESCRIPTORs", () => {
  const image = join(tmp.path, 'ref.img');
  writeFileSync(image, new Uint8Array(0));
  truncateSync(image, 64 << 20);
  run('mkntfs', ['-F', '-Q', '-T', '-L', 'X', image]);
  for (const record of [3, 4, 5, 7, 12]) {
    const ours = decodeSecurityDescriptor(securityDescriptorAttributeFor(record)!);
    const info = new TextDecoder().decode(run('fsntfsinfo', ['-E', String(record), image]));
    const section = info.slice(info.indexOf('$SECURITY_DESCRIPTOR'));
    assert.is(/Owner SID\s+: (\S+)/.exec(section)?.[1], formatSid(ours.owner!), `record ${record} owner`);
    assert.is(/Group SID\s+: (\S+)/.exec(section)?.[1], formatSid(ours.group!), `record ${record} group`);
    const aces = [...section.matchAll(/Access allowed, flags: 0x([0-9a-f]+), access mask: 0x([0-9a-f]+), SID: (\S+)/g)]
      .map((m) => [Number.parseInt(m[1], 16), Number.parseInt(m[2], 16), m[3]]);
    const expected = ours.dacl!.aces.map((a) => ('sid' in a ? [a.flags, a.mask, formatSid(a.sid)] : []));
    assert.equal(aces, expected, `record ${record} ACEs`);
  }
});

test.run();
