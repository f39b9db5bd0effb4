// Self-relative security descriptors with their ACLs, ACEs and SIDs: ntfs-3g include/ntfs-3g/layout.h
// (SECURITY_DESCRIPTOR_RELATIVE, ACL, ACE_HEADER, ACCESS_ALLOWED_ACE, SID) and libyal "NTFS" §"Security descriptor";
// the same layout as MS-DTYP §2.4.6 (SECURITY_DESCRIPTOR, self-relative form), §2.4.5 ACL, §2.4.4 ACE, §2.4.2 SID.
import { GuestdiskError, hex } from '../../errors.js';
import { defineStruct, expectEqual, finding, throwFirst, type Finding, type StructValue } from '../../binary/fields.js';
import { decodeSid, encodeSid, formatSid, sidSizeBytes, type Sid } from './sid.js';

// SIDs are their own structure (sid.ts); re-exported because every descriptor is built from them.
export * from './sid.js';

export const SECURITY_DESCRIPTOR_REVISION = 1;
export const ACL_REVISION = 2;

/** SECURITY_DESCRIPTOR_CONTROL bits. */
export const SE = {
  OWNER_DEFAULTED: 0x0001,
  GROUP_DEFAULTED: 0x0002,
  DACL_PRESENT: 0x0004,
  DACL_DEFAULTED: 0x0008,
  SACL_PRESENT: 0x0010,
  SACL_DEFAULTED: 0x0020,
  DACL_AUTO_INHERIT_REQ: 0x0100,
  SACL_AUTO_INHERIT_REQ: 0x0200,
  DACL_AUTO_INHERITED: 0x0400,
  SACL_AUTO_INHERITED: 0x0800,
  DACL_PROTECTED: 0x1000,
  SACL_PROTECTED: 0x2000,
  RM_CONTROL_VALID: 0x4000,
  SELF_RELATIVE: 0x8000,
} as const;

/** ACE_TYPES with a plain mask + SID body (ACCESS_ALLOWED_ACE layout); other types are kept as raw bytes. */
export const ACE_TYPE = {
  ACCESS_ALLOWED: 0,
  ACCESS_DENIED: 1,
  SYSTEM_AUDIT: 2,
  SYSTEM_ALARM: 3,
} as const;

/** ACE_FLAGS (inheritance and audit). */
export const ACE_FLAG = {
  OBJECT_INHERIT: 0x01,
  CONTAINER_INHERIT: 0x02,
  NO_PROPAGATE_INHERIT: 0x04,
  INHERIT_ONLY: 0x08,
  INHERITED: 0x10,
  SUCCESSFUL_ACCESS: 0x40,
  FAILED_ACCESS: 0x80,
} as const;

/** ACCESS_MASK bits (file and directory rights share values: LIST_DIRECTORY = READ_DATA, …). */
export const ACCESS = {
  FILE_READ_DATA: 0x00000001,
  FILE_LIST_DIRECTORY: 0x00000001,
  FILE_WRITE_DATA: 0x00000002,
  FILE_ADD_FILE: 0x00000002,
  FILE_APPEND_DATA: 0x00000004,
  FILE_ADD_SUBDIRECTORY: 0x00000004,
  FILE_READ_EA: 0x00000008,
  FILE_WRITE_EA: 0x00000010,
  FILE_EXECUTE: 0x00000020,
  FILE_TRAVERSE: 0x00000020,
  FILE_DELETE_CHILD: 0x00000040,
  FILE_READ_ATTRIBUTES: 0x00000080,
  FILE_WRITE_ATTRIBUTES: 0x00000100,
  DELETE: 0x00010000,
  READ_CONTROL: 0x00020000,
  WRITE_DAC: 0x00040000,
  WRITE_OWNER: 0x00080000,
  SYNCHRONIZE: 0x00100000,
  STANDARD_RIGHTS_READ: 0x00020000,
  STANDARD_RIGHTS_WRITE: 0x00020000,
  STANDARD_RIGHTS_EXECUTE: 0x00020000,
  STANDARD_RIGHTS_REQUIRED: 0x000f0000,
  STANDARD_RIGHTS_ALL: 0x001f0000,
  ACCESS_SYSTEM_SECURITY: 0x01000000,
  MAXIMUM_ALLOWED: 0x02000000,
  GENERIC_ALL: 0x10000000,
  GENERIC_EXECUTE: 0x20000000,
  GENERIC_WRITE: 0x40000000,
  GENERIC_READ: 0x80000000,
} as const;

/** Bitwise OR of access bits as an unsigned 32-bit number (JS `|` is signed). */
export function accessMask(...bits: readonly number[]): number {
  return bits.reduce((mask, bit) => (mask | bit) >>> 0, 0);
}

// ---- ACE ---------------------------------------------------------------------------------------------------------

/** ACE_HEADER: every ACE starts with these 4 bytes; `size` covers the whole ACE (a multiple of 4). */
export const ACE_HEADER = defineStruct('AceHeader', 4, {
  type:  { offset: 0x00, type: 'u8' },  // ACE_TYPE.*
  flags: { offset: 0x01, type: 'u8' },  // ACE_FLAG.*
  size:  { offset: 0x02, type: 'u16' },
});

/** ACCESS_ALLOWED_ACE and its siblings (denied, audit, alarm): header, mask, then the SID (variable). */
export const ACCESS_ALLOWED_ACE = defineStruct('AccessAllowedAce', 8, {
  type:  { offset: 0x00, type: 'u8' },
  flags: { offset: 0x01, type: 'u8' },
  size:  { offset: 0x02, type: 'u16' },
  mask:  { offset: 0x04, type: 'u32' }, // ACCESS_MASK
});

/** An ACE with a mask and a SID (types 0–3), or any other type kept as its body bytes (after the 4-byte header). */
export type Ace =
  | { readonly type: 0 | 1 | 2 | 3; readonly flags: number; readonly mask: number; readonly sid: Sid }
  | { readonly type: number; readonly flags: number; readonly body: Uint8Array };

function isSidAce(ace: Ace): ace is Extract<Ace, { sid: Sid }> {
  return 'sid' in ace;
}

export function aceSizeBytes(ace: Ace): number {
  return isSidAce(ace) ? ACCESS_ALLOWED_ACE.sizeBytes + sidSizeBytes(ace.sid) : ACE_HEADER.sizeBytes + ace.body.length;
}

export function encodeAce(ace: Ace): Uint8Array {
  const size = aceSizeBytes(ace);
  const out = new Uint8Array(size);
  if (isSidAce(ace)) {
    ACCESS_ALLOWED_ACE.encodeInto({ type: ace.type, flags: ace.flags, size, mask: ace.mask }, out);
    out.set(encodeSid(ace.sid), ACCESS_ALLOWED_ACE.sizeBytes);
  } else {
    ACE_HEADER.encodeInto({ type: ace.type, flags: ace.flags, size }, out);
    out.set(ace.body, ACE_HEADER.sizeBytes);
  }
  return out;
}

export function decodeAce(bytes: Uint8Array): Ace {
  const header = ACE_HEADER.decode(bytes);
  if (header.size < ACE_HEADER.sizeBytes || header.size % 4 !== 0 || header.size > bytes.length) {
    throw corrupt(`ACE size ${header.size}: must be a multiple of 4 within the ${bytes.length} bytes left in the ACL`);
  }
  const own = bytes.subarray(0, header.size);
  if (header.type <= ACE_TYPE.SYSTEM_ALARM) {
    const fixed = ACCESS_ALLOWED_ACE.decode(own);
    const sid = decodeSid(own.subarray(ACCESS_ALLOWED_ACE.sizeBytes));
    if (ACCESS_ALLOWED_ACE.sizeBytes + sidSizeBytes(sid) !== header.size) {
      throw corrupt(`ACE size ${header.size} does not match its SID (${formatSid(sid)})`);
    }
    return { type: header.type as 0 | 1 | 2 | 3, flags: fixed.flags, mask: fixed.mask, sid };
  }
  return { type: header.type, flags: header.flags, body: own.slice(ACE_HEADER.sizeBytes) };
}

// ---- ACL ---------------------------------------------------------------------------------------------------------

/** ACL header; `aceCount` ACEs follow, `size` covers the header, the ACEs and any free space after them. */
export const ACL_HEADER = defineStruct('Acl', 8, {
  revision:   { offset: 0x00, type: 'u8' },  // ACL_REVISION (2), or 4 with object ACEs
  alignment1: { offset: 0x01, type: 'u8' },  // reserved, 0
  size:       { offset: 0x02, type: 'u16' },
  aceCount:   { offset: 0x04, type: 'u16' },
  alignment2: { offset: 0x06, type: 'u16' }, // reserved, 0
});

export interface Acl {
  readonly revision: number;
  /** Allocated size including free space after the ACEs (mkntfs's root directory DACL claims 0x1000). */
  readonly sizeBytes: number;
  readonly aces: readonly Ace[];
}

/** An ACL whose size is exactly its header plus its ACEs. */
export function tightAcl(aces: readonly Ace[], revision = ACL_REVISION): Acl {
  return { revision, sizeBytes: ACL_HEADER.sizeBytes + aces.reduce((n, ace) => n + aceSizeBytes(ace), 0), aces };
}

export function encodeAcl(acl: Acl): Uint8Array {
  const used = ACL_HEADER.sizeBytes + acl.aces.reduce((n, ace) => n + aceSizeBytes(ace), 0);
  if (acl.sizeBytes < used || acl.sizeBytes % 4 !== 0) {
    throw new GuestdiskError('INVALID_SPEC', `ACL size ${acl.sizeBytes}: must be a multiple of 4 and hold its ${used} bytes of header and ACEs`);
  }
  const out = new Uint8Array(acl.sizeBytes);
  ACL_HEADER.encodeInto({ revision: acl.revision, alignment1: 0, size: acl.sizeBytes, aceCount: acl.aces.length, alignment2: 0 }, out);
  let at = ACL_HEADER.sizeBytes;
  for (const ace of acl.aces) {
    const bytes = encodeAce(ace);
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

export function checkAclHeader(header: StructValue<typeof ACL_HEADER>): Finding[] {
  return [
    ...expectEqualAny(header.revision, [2, 4], 'ACL_REVISION', 'revision'),
    ...expectEqual(ACL_HEADER, header, 'alignment1', 0),
    ...expectEqual(ACL_HEADER, header, 'alignment2', 0),
  ];
}

function expectEqualAny(actual: number, allowed: readonly number[], code: string, field: string): Finding[] {
  if (allowed.includes(actual)) return [];
  return [finding({ code, structure: ACL_HEADER.name, field, expected: allowed.join(' or '), actual: String(actual), message: `ACL ${field}: expected ${allowed.join(' or ')}, found ${actual}` })];
}

export function decodeAcl(bytes: Uint8Array): Acl {
  const header = ACL_HEADER.decode(bytes);
  throwFirst(checkAclHeader(header));
  if (header.size > bytes.length || header.size < ACL_HEADER.sizeBytes) {
    throw corrupt(`ACL size ${header.size}: outside the ${bytes.length} bytes available`);
  }
  const aces: Ace[] = [];
  let at = ACL_HEADER.sizeBytes;
  for (let i = 0; i < header.aceCount; i++) {
    const ace = decodeAce(bytes.subarray(at, header.size));
    aces.push(ace);
    at += aceSizeBytes(ace);
  }
  return { revision: header.revision, sizeBytes: header.size, aces };
}

// ---- security descriptor -------------------------------------------------------------------------------------------

/** SECURITY_DESCRIPTOR_RELATIVE: offsets (from the descriptor's first byte) of its parts, 0 when absent. */
export const SECURITY_DESCRIPTOR_RELATIVE = defineStruct('SecurityDescriptorRelative', 0x14, {
  revision:  { offset: 0x00, type: 'u8' },  // SECURITY_DESCRIPTOR_REVISION
  alignment: { offset: 0x01, type: 'u8' },  // reserved (Sbz1), 0
  control:   { offset: 0x02, type: 'u16' }, // SE.*; SELF_RELATIVE always set on disk
  owner:     { offset: 0x04, type: 'u32' },
  group:     { offset: 0x08, type: 'u32' },
  sacl:      { offset: 0x0c, type: 'u32' },
  dacl:      { offset: 0x10, type: 'u32' },
});
export type SecurityDescriptorRelative = StructValue<typeof SECURITY_DESCRIPTOR_RELATIVE>;

export interface SecurityDescriptor {
  readonly revision: number;
  readonly control: number;
  readonly owner: Sid | null;
  readonly group: Sid | null;
  readonly sacl: Acl | null;
  readonly dacl: Acl | null;
}

/**
 * Self-relative form in the order Windows and mkntfs use: header, SACL, DACL, owner, group, each immediately after
 * the one before (all parts are multiples of 4 bytes).
 */
export function encodeSecurityDescriptor(sd: SecurityDescriptor): Uint8Array {
  const parts: { key: 'sacl' | 'dacl' | 'owner' | 'group'; bytes: Uint8Array }[] = [];
  if (sd.sacl) parts.push({ key: 'sacl', bytes: encodeAcl(sd.sacl) });
  if (sd.dacl) parts.push({ key: 'dacl', bytes: encodeAcl(sd.dacl) });
  if (sd.owner) parts.push({ key: 'owner', bytes: encodeSid(sd.owner) });
  if (sd.group) parts.push({ key: 'group', bytes: encodeSid(sd.group) });
  const offsets = { sacl: 0, dacl: 0, owner: 0, group: 0 };
  let at = SECURITY_DESCRIPTOR_RELATIVE.sizeBytes;
  for (const part of parts) {
    offsets[part.key] = at;
    at += part.bytes.length;
  }
  const out = new Uint8Array(at);
  SECURITY_DESCRIPTOR_RELATIVE.encodeInto({ revision: sd.revision, alignment: 0, control: sd.control, ...offsets }, out);
  for (const part of parts) out.set(part.bytes, offsets[part.key]);
  return out;
}

export function checkSecurityDescriptorRelative(header: SecurityDescriptorRelative): Finding[] {
  const findings = [
    ...expectEqual(SECURITY_DESCRIPTOR_RELATIVE, header, 'revision', SECURITY_DESCRIPTOR_REVISION),
    ...expectEqual(SECURITY_DESCRIPTOR_RELATIVE, header, 'alignment', 0),
  ];
  if ((header.control & SE.SELF_RELATIVE) === 0) {
    findings.push(finding({
      code: 'SECURITY_DESCRIPTOR_RELATIVE_CONTROL', structure: SECURITY_DESCRIPTOR_RELATIVE.name, field: 'control',
      offsetBytes: SECURITY_DESCRIPTOR_RELATIVE.fields.control.offset, expected: `SE_SELF_RELATIVE (${hex(SE.SELF_RELATIVE, 4)}) set`,
      actual: hex(header.control, 4), message: `security descriptor control ${hex(header.control, 4)}: SE_SELF_RELATIVE not set`,
    }));
  }
  return findings;
}

export function decodeSecurityDescriptor(bytes: Uint8Array): SecurityDescriptor {
  const header = SECURITY_DESCRIPTOR_RELATIVE.decode(bytes);
  throwFirst(checkSecurityDescriptorRelative(header));
  const at = (offset: number, what: string): Uint8Array => {
    if (offset < SECURITY_DESCRIPTOR_RELATIVE.sizeBytes || offset >= bytes.length) {
      throw corrupt(`security descriptor ${what} offset ${hex(offset)} outside its ${bytes.length} bytes`);
    }
    return bytes.subarray(offset);
  };
  const daclPresent = (header.control & SE.DACL_PRESENT) !== 0 && header.dacl !== 0;
  const saclPresent = (header.control & SE.SACL_PRESENT) !== 0 && header.sacl !== 0;
  return {
    revision: header.revision,
    control: header.control,
    owner: header.owner ? decodeSid(at(header.owner, 'owner')) : null,
    group: header.group ? decodeSid(at(header.group, 'group')) : null,
    sacl: saclPresent ? decodeAcl(at(header.sacl, 'SACL')) : null,
    dacl: daclPresent ? decodeAcl(at(header.dacl, 'DACL')) : null,
  };
}

/**
 * The security descriptor hash stored in $SDS headers and $SDH keys (ntfs-3g security.c ntfs_security_hash):
 * over each whole LE u32 of the descriptor, hash = word + rotl32(hash, 3). A tail of 1–3 bytes is ignored.
 */
export function securityDescriptorHash(sd: Uint8Array): number {
  const view = new DataView(sd.buffer, sd.byteOffset, sd.length);
  let hash = 0;
  for (let at = 0; at + 4 <= sd.length; at += 4) {
    const rotated = ((hash << 3) | (hash >>> 29)) >>> 0;
    hash = (view.getUint32(at, true) + rotated) >>> 0;
  }
  return hash;
}

function corrupt(message: string): GuestdiskError {
  return new GuestdiskError('CORRUPT_STRUCTURE', message);
}
