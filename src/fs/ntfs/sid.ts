// Security identifiers (SID) as NTFS stores them inside security descriptors: ntfs-3g include/ntfs-3g/layout.h
// (SID, SID_IDENTIFIER_AUTHORITY), MS-DTYP §2.4.2.2 (binary form: revision, sub-authority count, 48-bit big-endian
// identifier authority, little-endian 32-bit sub-authorities).
import { GuestdiskError } from '../../errors.js';
import { defineStruct, expectEqual, finding, throwFirst, type Finding, type StructValue } from '../../binary/fields.js';

export const SID_REVISION = 1;

/** Fixed head of a SID; `subAuthorityCount` LE u32 sub-authorities follow. */
export const SID_HEADER = defineStruct('SidHeader', 8, {
  revision:            { offset: 0x00, type: 'u8' },              // SID_REVISION
  subAuthorityCount:   { offset: 0x01, type: 'u8' },              // at most 15
  identifierAuthority: { offset: 0x02, type: 'bytes', length: 6 }, // 48-bit big-endian value
});
export const SID_MAX_SUB_AUTHORITIES = 15;

export interface Sid {
  readonly revision: number;
  /** 48-bit identifier authority (5 = SECURITY_NT_AUTHORITY) */
  readonly identifierAuthority: number;
  readonly subAuthorities: readonly number[];
}

/** Well-known identifier authorities and relative ids (layout.h). */
export const SECURITY_NT_AUTHORITY = 5;
export const SECURITY_LOCAL_SYSTEM_RID = 0x12;
export const SECURITY_AUTHENTICATED_USER_RID = 0x0b;
export const SECURITY_BUILTIN_DOMAIN_RID = 0x20;
export const DOMAIN_ALIAS_RID_ADMINS = 0x220;
export const DOMAIN_ALIAS_RID_USERS = 0x221;

/** S-1-5-18, LocalSystem */
export const SID_LOCAL_SYSTEM: Sid = { revision: SID_REVISION, identifierAuthority: SECURITY_NT_AUTHORITY, subAuthorities: [SECURITY_LOCAL_SYSTEM_RID] };
/** S-1-5-11, Authenticated Users */
export const SID_AUTHENTICATED_USERS: Sid = { revision: SID_REVISION, identifierAuthority: SECURITY_NT_AUTHORITY, subAuthorities: [SECURITY_AUTHENTICATED_USER_RID] };
/** S-1-5-32-544, BUILTIN\Administrators */
export const SID_BUILTIN_ADMINISTRATORS: Sid = {
  revision: SID_REVISION,
  identifierAuthority: SECURITY_NT_AUTHORITY,
  subAuthorities: [SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS],
};
/** S-1-5-32-545, BUILTIN\Users */
export const SID_BUILTIN_USERS: Sid = {
  revision: SID_REVISION,
  identifierAuthority: SECURITY_NT_AUTHORITY,
  subAuthorities: [SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_USERS],
};

export function sidSizeBytes(sid: Sid): number {
  return SID_HEADER.sizeBytes + 4 * sid.subAuthorities.length;
}

export function encodeSid(sid: Sid): Uint8Array {
  if (sid.subAuthorities.length > SID_MAX_SUB_AUTHORITIES) {
    throw new GuestdiskError('INVALID_SPEC', `SID: ${sid.subAuthorities.length} sub-authorities, at most ${SID_MAX_SUB_AUTHORITIES}`);
  }
  const authority = new Uint8Array(6);
  let value = sid.identifierAuthority;
  for (let i = 5; i >= 0; i--) {
    authority[i] = value % 256;
    value = Math.floor(value / 256);
  }
  const out = new Uint8Array(sidSizeBytes(sid));
  SID_HEADER.encodeInto({ revision: sid.revision, subAuthorityCount: sid.subAuthorities.length, identifierAuthority: authority }, out);
  const view = new DataView(out.buffer);
  sid.subAuthorities.forEach((rid, i) => view.setUint32(SID_HEADER.sizeBytes + 4 * i, rid, true));
  return out;
}

export function checkSidHeader(header: StructValue<typeof SID_HEADER>): Finding[] {
  const findings = expectEqual(SID_HEADER, header, 'revision', SID_REVISION);
  if (header.subAuthorityCount > SID_MAX_SUB_AUTHORITIES) {
    findings.push(finding({
      code: 'SID_HEADER_SUB_AUTHORITY_COUNT', structure: SID_HEADER.name, field: 'subAuthorityCount',
      expected: `<= ${SID_MAX_SUB_AUTHORITIES}`, actual: String(header.subAuthorityCount),
      message: `SID: ${header.subAuthorityCount} sub-authorities, at most ${SID_MAX_SUB_AUTHORITIES}`,
    }));
  }
  return findings;
}

export function decodeSid(bytes: Uint8Array): Sid {
  const header = SID_HEADER.decode(bytes);
  throwFirst(checkSidHeader(header));
  const size = SID_HEADER.sizeBytes + 4 * header.subAuthorityCount;
  if (bytes.length < size) throw new GuestdiskError('CORRUPT_STRUCTURE', `SID: needs ${size} bytes, ${bytes.length} available`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, size);
  const subAuthorities = Array.from({ length: header.subAuthorityCount }, (_, i) => view.getUint32(SID_HEADER.sizeBytes + 4 * i, true));
  const identifierAuthority = header.identifierAuthority.reduce((acc, b) => acc * 256 + b, 0);
  return { revision: header.revision, identifierAuthority, subAuthorities };
}

/** "S-1-5-32-544" */
export function formatSid(sid: Sid): string {
  return ['S', sid.revision, sid.identifierAuthority, ...sid.subAuthorities].join('-');
}
