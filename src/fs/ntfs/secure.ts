// $Secure (MFT record 9): the $SDS stream of shared security descriptors and the entries of its $SII and $SDH
// indexes; plus the security ids and per-file $SECURITY_DESCRIPTOR attributes mkntfs gives the system files.
// Sources: ntfs-3g include/ntfs-3g/layout.h (SECURITY_DESCRIPTOR_HEADER, SII/SDH_INDEX_KEY, SDH_INDEX_DATA),
// ntfsprogs/sd.c (init_secure_sds, init_system_file_sd, init_root_sd), ntfsprogs/mkntfs.c (mkntfs_create_root_structures,
// initialize_secure), libyal "NTFS" §"Security descriptor stream ($SDS)".
import { GuestdiskError } from '../../errors.js';
import { defineStruct, expectEqual, finding, readUint, throwFirst, type Finding, type StructValue } from '../../binary/fields.js';
import { SYSTEM_FILE } from './attribute-types.js';
import {
  ACCESS, ACE_FLAG, ACE_TYPE, SE, SECURITY_DESCRIPTOR_REVISION, SID_AUTHENTICATED_USERS, SID_BUILTIN_ADMINISTRATORS,
  SID_BUILTIN_USERS, SID_LOCAL_SYSTEM, accessMask, encodeSecurityDescriptor, securityDescriptorHash, tightAcl,
  type Ace, type SecurityDescriptor, type Sid,
} from './security-descriptor.js';

/** One index entry's key and data, for the formatter's index writer. */
export interface IndexKeyData {
  readonly key: Uint8Array;
  readonly data: Uint8Array;
  /**
   * Bytes that follow `data` up to the entry's 8-byte aligned length, not counted in data_length. Zeros when absent.
   * mkntfs (like Windows) writes "II" (0x00490049) after $SDH data and the u32 32 after $Quota $O data.
   */
  readonly padding?: Uint8Array;
}

export interface SecureContent {
  /** whole $SDS stream incl. the mirror copy 256 KiB later, laid out as mkntfs does */
  readonly sds: Uint8Array;
  /** the $SDS data_size (equal to sds.length) */
  readonly sdsDataSizeBytes: number;
  /** in collation order: $SII by security id (NTOFS_ULONG) */
  readonly siiEntries: readonly IndexKeyData[];
  /** in collation order: $SDH by hash then id (NTOFS_SECURITY_HASH) */
  readonly sdhEntries: readonly IndexKeyData[];
}

/** SECURITY_DESCRIPTOR_HEADER: precedes each descriptor in $SDS and is the data of $SII and $SDH entries. */
export const SECURITY_DESCRIPTOR_HEADER = defineStruct('SecurityDescriptorHeader', 0x14, {
  hash:       { offset: 0x00, type: 'u32' }, // securityDescriptorHash of the descriptor
  securityId: { offset: 0x04, type: 'u32' },
  offset:     { offset: 0x08, type: 'u64' }, // of this header in $SDS
  length:     { offset: 0x10, type: 'u32' }, // header + descriptor, bytes
});
export type SecurityDescriptorHeader = StructValue<typeof SECURITY_DESCRIPTOR_HEADER>;

/** $SII key (COLLATION_NTOFS_ULONG). */
export const SII_INDEX_KEY = defineStruct('SiiIndexKey', 4, {
  securityId: { offset: 0x00, type: 'u32' },
});
/** $SDH key (COLLATION_NTOFS_SECURITY_HASH: hash, then security id). */
export const SDH_INDEX_KEY = defineStruct('SdhIndexKey', 8, {
  hash:       { offset: 0x00, type: 'u32' },
  securityId: { offset: 0x04, type: 'u32' },
});

/** Padding after $SDH data: UTF-16 "II", as layout.h's SDH_INDEX_DATA.reserved_II. */
export const SDH_DATA_PADDING = new Uint8Array([0x49, 0x00, 0x49, 0x00]);
/** $SDS is written in 256 KiB blocks, each followed by its mirror copy (the Windows cache manager's view size). */
export const SDS_BLOCK_SIZE_BYTES = 0x40000;
/** Descriptors in $SDS start on 16-byte boundaries. */
export const SDS_ENTRY_ALIGNMENT_BYTES = 16;
/** The first security id Windows and mkntfs hand out. */
export const FIRST_SECURITY_ID = 0x100;

export function checkSecurityDescriptorHeader(header: SecurityDescriptorHeader, sdsOffsetBytes?: number): Finding[] {
  const findings: Finding[] = [];
  if (sdsOffsetBytes !== undefined) findings.push(...expectEqual(SECURITY_DESCRIPTOR_HEADER, header, 'offset', sdsOffsetBytes));
  if (header.length < SECURITY_DESCRIPTOR_HEADER.sizeBytes + 0x14) {
    findings.push(finding({
      code: 'SECURITY_DESCRIPTOR_HEADER_LENGTH', structure: SECURITY_DESCRIPTOR_HEADER.name, field: 'length',
      offsetBytes: SECURITY_DESCRIPTOR_HEADER.fields.length.offset, expected: '>= 40', actual: String(header.length),
      message: `$SDS entry length ${header.length}: shorter than a header and an empty descriptor`,
    }));
  }
  return findings;
}

export function decodeSecurityDescriptorHeader(bytes: Uint8Array, sdsOffsetBytes?: number): SecurityDescriptorHeader {
  const header = SECURITY_DESCRIPTOR_HEADER.decode(bytes);
  throwFirst(checkSecurityDescriptorHeader(header, sdsOffsetBytes));
  return header;
}

/** One $SDS entry as read back: its header and the descriptor bytes. */
export interface SdsEntry {
  readonly header: SecurityDescriptorHeader;
  readonly descriptor: Uint8Array;
}

/**
 * Entries of the first copy of each 256 KiB block of an $SDS stream. A block's entries end where a header does not
 * name its own position (zeros after mkntfs's entries; whatever the disk held before, after Windows').
 */
export function decodeSds(sds: Uint8Array): SdsEntry[] {
  const entries: SdsEntry[] = [];
  const offsetField = SECURITY_DESCRIPTOR_HEADER.fieldRange('offset').offsetBytes;
  for (let block = 0; block < sds.length; block += 2 * SDS_BLOCK_SIZE_BYTES) {
    let at = block;
    const end = Math.min(block + SDS_BLOCK_SIZE_BYTES, sds.length);
    while (at + SECURITY_DESCRIPTOR_HEADER.sizeBytes <= end && namesPosition(sds, at, offsetField)) {
      const header = SECURITY_DESCRIPTOR_HEADER.decode(sds.subarray(at)); // offset is known small: no u64 overflow
      if (header.length === 0) break;
      throwFirst(checkSecurityDescriptorHeader(header, at));
      if (at + header.length > end) {
        throw new GuestdiskError('CORRUPT_STRUCTURE', `$SDS entry at ${at}: length ${header.length} crosses its 256 KiB block`);
      }
      const descriptor = sds.slice(at + SECURITY_DESCRIPTOR_HEADER.sizeBytes, at + header.length);
      if (securityDescriptorHash(descriptor) !== header.hash) {
        throw new GuestdiskError('CORRUPT_STRUCTURE', `$SDS entry at ${at}: hash does not match its descriptor`);
      }
      entries.push({ header, descriptor });
      at += alignUp(header.length, SDS_ENTRY_ALIGNMENT_BYTES);
    }
  }
  return entries;
}

/** Whether the header at `at` holds `at` in its u64 offset field (read as two u32 halves). */
function namesPosition(sds: Uint8Array, at: number, offsetField: number): boolean {
  return readUint(sds, at + offsetField, 4) === at % 2 ** 32 && readUint(sds, at + offsetField + 4, 4) === Math.floor(at / 2 ** 32);
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

// ---- what mkntfs writes ----------------------------------------------------------------------------------------------

/** Two-ACE DACL (LocalSystem, then Administrators) owned and grouped by Administrators: the $SDS descriptors. */
function sharedDescriptor(mask: number): SecurityDescriptor {
  const aces: Ace[] = [
    { type: ACE_TYPE.ACCESS_ALLOWED, flags: 0, mask, sid: SID_LOCAL_SYSTEM },
    { type: ACE_TYPE.ACCESS_ALLOWED, flags: 0, mask, sid: SID_BUILTIN_ADMINISTRATORS },
  ];
  return {
    revision: SECURITY_DESCRIPTOR_REVISION,
    control: SE.SELF_RELATIVE | SE.DACL_PRESENT,
    owner: SID_BUILTIN_ADMINISTRATORS,
    group: SID_BUILTIN_ADMINISTRATORS,
    sacl: null,
    dacl: tightAcl(aces),
  };
}

/** Read-only rights: what $AttrDef and $Boot grant, and security id 0x100 (sd.c). */
const READ_RIGHTS = accessMask(ACCESS.SYNCHRONIZE, ACCESS.STANDARD_RIGHTS_READ, ACCESS.FILE_READ_ATTRIBUTES, ACCESS.FILE_READ_EA, ACCESS.FILE_READ_DATA);
/** Read-write rights without delete or ownership changes: the other system files, and security id 0x101. */
const READ_WRITE_RIGHTS = accessMask(
  ACCESS.SYNCHRONIZE, ACCESS.STANDARD_RIGHTS_WRITE, ACCESS.FILE_WRITE_ATTRIBUTES, ACCESS.FILE_READ_ATTRIBUTES,
  ACCESS.FILE_WRITE_EA, ACCESS.FILE_READ_EA, ACCESS.FILE_APPEND_DATA, ACCESS.FILE_WRITE_DATA, ACCESS.FILE_READ_DATA,
);

/** The descriptors mkntfs stores in $SDS (as a fresh Windows 2003 volume has them), by security id. */
export function defaultSharedDescriptors(): readonly { readonly securityId: number; readonly descriptor: SecurityDescriptor }[] {
  return [
    { securityId: FIRST_SECURITY_ID, descriptor: sharedDescriptor(READ_RIGHTS) },
    { securityId: FIRST_SECURITY_ID + 1, descriptor: sharedDescriptor(READ_WRITE_RIGHTS) },
  ];
}

/**
 * The $SDS stream and index entries for the given descriptors, laid out as mkntfs does: entries from offset 0 on
 * 16-byte boundaries within the first 256 KiB block, that block's used part copied 256 KiB later, data_size ending
 * at the copy's last byte. $SII is ordered by id, $SDH by hash then id.
 */
export function buildSecureFrom(descriptors: readonly { readonly securityId: number; readonly descriptor: SecurityDescriptor }[]): SecureContent {
  const headers: { header: SecurityDescriptorHeader; descriptor: Uint8Array }[] = [];
  let at = 0;
  let usedEnd = 0;
  for (const { securityId, descriptor } of descriptors) {
    const bytes = encodeSecurityDescriptor(descriptor);
    const length = SECURITY_DESCRIPTOR_HEADER.sizeBytes + bytes.length;
    if (at + length > SDS_BLOCK_SIZE_BYTES) {
      throw new GuestdiskError('INVALID_SPEC', `$SDS: descriptors past the first 256 KiB block are not supported`);
    }
    headers.push({ header: { hash: securityDescriptorHash(bytes), securityId, offset: at, length }, descriptor: bytes });
    usedEnd = at + length;
    at = alignUp(usedEnd, SDS_ENTRY_ALIGNMENT_BYTES);
  }
  const sds = new Uint8Array(SDS_BLOCK_SIZE_BYTES + usedEnd);
  for (const { header, descriptor } of headers) {
    SECURITY_DESCRIPTOR_HEADER.encodeInto(header, sds, header.offset);
    sds.set(descriptor, header.offset + SECURITY_DESCRIPTOR_HEADER.sizeBytes);
  }
  sds.copyWithin(SDS_BLOCK_SIZE_BYTES, 0, usedEnd);

  const siiEntries = [...headers]
    .sort((a, b) => a.header.securityId - b.header.securityId)
    .map(({ header }) => ({ key: SII_INDEX_KEY.encode({ securityId: header.securityId }), data: SECURITY_DESCRIPTOR_HEADER.encode(header) }));
  const sdhEntries = [...headers]
    .sort((a, b) => a.header.hash - b.header.hash || a.header.securityId - b.header.securityId)
    .map(({ header }) => ({
      key: SDH_INDEX_KEY.encode({ hash: header.hash, securityId: header.securityId }),
      data: SECURITY_DESCRIPTOR_HEADER.encode(header),
      padding: SDH_DATA_PADDING.slice(),
    }));
  return { sds, sdsDataSizeBytes: sds.length, siiEntries, sdhEntries };
}

/** $Secure content exactly as mkntfs writes it (two descriptors, ids 0x100 and 0x101). */
export function buildSecure(): SecureContent {
  return buildSecureFrom(defaultSharedDescriptors());
}

/** Records mkntfs creates (0–26; 16–23 are laid out but not in use). */
const MKNTFS_SYSTEM_RECORD_COUNT = 27;

/**
 * $STANDARD_INFORMATION.security_id mkntfs gives each record 0–26 (mkntfs.c, the loop that adds standard
 * information): 0x100 for $MFT, $MFTMirr, $LogFile, $Bitmap, $BadClus and $UpCase; 0x101 for $Secure, $Extend
 * and $Quota/$ObjId/$Reparse (24–26); 0 for the rest, which carry their own $SECURITY_DESCRIPTOR attribute instead
 * ($Volume, $AttrDef, root, $Boot, 12–15) or none (16–23).
 * Note: mkntfs writes the 48-byte NTFS 1.2 $STANDARD_INFORMATION when the id is 0, the 72-byte form otherwise.
 */
export function securityIdForRecord(mftRecordNumber: number): number {
  checkRecordNumber(mftRecordNumber);
  switch (mftRecordNumber) {
    case SYSTEM_FILE.MFT:
    case SYSTEM_FILE.MFT_MIRR:
    case SYSTEM_FILE.LOG_FILE:
    case SYSTEM_FILE.BITMAP:
    case SYSTEM_FILE.BAD_CLUS:
    case SYSTEM_FILE.UP_CASE:
      return FIRST_SECURITY_ID;
    case SYSTEM_FILE.SECURE:
    case SYSTEM_FILE.EXTEND:
    case 24:
    case 25:
    case 26:
      return FIRST_SECURITY_ID + 1;
    default:
      return 0;
  }
}

function checkRecordNumber(mftRecordNumber: number): void {
  if (!Number.isInteger(mftRecordNumber) || mftRecordNumber < 0 || mftRecordNumber >= MKNTFS_SYSTEM_RECORD_COUNT) {
    throw new GuestdiskError('INVALID_SPEC', `MFT record ${mftRecordNumber}: mkntfs defines system records 0 to ${MKNTFS_SYSTEM_RECORD_COUNT - 1}`, {
      mftRecordNumber,
    });
  }
}

/** init_system_file_sd: DACL LocalSystem + Administrators, owner LocalSystem, group Administrators. */
function systemFileDescriptor(mftRecordNumber: number): SecurityDescriptor {
  const readOnly = mftRecordNumber === SYSTEM_FILE.ATTR_DEF || mftRecordNumber === SYSTEM_FILE.BOOT;
  // sd.c names STANDARD_RIGHTS_WRITE for LocalSystem and STANDARD_RIGHTS_READ for Administrators: the same bit.
  const mask = readOnly ? READ_RIGHTS : READ_WRITE_RIGHTS;
  return {
    revision: SECURITY_DESCRIPTOR_REVISION,
    control: SE.SELF_RELATIVE | SE.DACL_PRESENT,
    owner: SID_LOCAL_SYSTEM,
    group: SID_BUILTIN_ADMINISTRATORS,
    sacl: null,
    dacl: tightAcl([
      { type: ACE_TYPE.ACCESS_ALLOWED, flags: 0, mask, sid: SID_LOCAL_SYSTEM },
      { type: ACE_TYPE.ACCESS_ALLOWED, flags: 0, mask, sid: SID_BUILTIN_ADMINISTRATORS },
    ]),
  };
}

/** DACL space mkntfs reserves in the root descriptor: the ACEs use 0xb8 bytes, the rest is zero (sd.c). */
const ROOT_DACL_SIZE_BYTES = 0x1000;

/** init_root_sd: the root directory's descriptor as Windows Vista's Disk Management formats it. */
export function rootDescriptor(): SecurityDescriptor {
  const inherit = ACE_FLAG.OBJECT_INHERIT | ACE_FLAG.CONTAINER_INHERIT | ACE_FLAG.INHERIT_ONLY;
  const fullControl = accessMask(
    ACCESS.STANDARD_RIGHTS_ALL, ACCESS.FILE_WRITE_ATTRIBUTES, ACCESS.FILE_LIST_DIRECTORY, ACCESS.FILE_WRITE_DATA,
    ACCESS.FILE_ADD_SUBDIRECTORY, ACCESS.FILE_READ_EA, ACCESS.FILE_WRITE_EA, ACCESS.FILE_TRAVERSE,
    ACCESS.FILE_DELETE_CHILD, ACCESS.FILE_READ_ATTRIBUTES,
  );
  const modify = accessMask(
    ACCESS.SYNCHRONIZE, ACCESS.READ_CONTROL, ACCESS.DELETE, ACCESS.FILE_WRITE_ATTRIBUTES, ACCESS.FILE_READ_ATTRIBUTES,
    ACCESS.FILE_TRAVERSE, ACCESS.FILE_WRITE_EA, ACCESS.FILE_READ_EA, ACCESS.FILE_ADD_SUBDIRECTORY, ACCESS.FILE_ADD_FILE,
    ACCESS.FILE_LIST_DIRECTORY,
  );
  const readExecute = accessMask(
    ACCESS.SYNCHRONIZE, ACCESS.READ_CONTROL, ACCESS.FILE_READ_ATTRIBUTES, ACCESS.FILE_TRAVERSE, ACCESS.FILE_READ_EA,
    ACCESS.FILE_LIST_DIRECTORY,
  );
  const allow = (flags: number, mask: number, sid: Sid): Ace => ({ type: ACE_TYPE.ACCESS_ALLOWED, flags, mask, sid });
  const aces: Ace[] = [
    allow(0, fullControl, SID_BUILTIN_ADMINISTRATORS),
    allow(inherit, ACCESS.GENERIC_ALL, SID_BUILTIN_ADMINISTRATORS),
    allow(0, fullControl, SID_LOCAL_SYSTEM),
    allow(inherit, ACCESS.GENERIC_ALL, SID_LOCAL_SYSTEM),
    allow(0, modify, SID_AUTHENTICATED_USERS),
    allow(inherit, accessMask(ACCESS.GENERIC_READ, ACCESS.GENERIC_WRITE, ACCESS.GENERIC_EXECUTE, ACCESS.DELETE), SID_AUTHENTICATED_USERS),
    allow(0, readExecute, SID_BUILTIN_USERS),
    allow(inherit, accessMask(ACCESS.GENERIC_READ, ACCESS.GENERIC_EXECUTE), SID_BUILTIN_USERS),
  ];
  return {
    revision: SECURITY_DESCRIPTOR_REVISION,
    control: SE.SELF_RELATIVE | SE.DACL_PRESENT,
    owner: SID_LOCAL_SYSTEM,
    group: SID_LOCAL_SYSTEM,
    sacl: null,
    dacl: { ...tightAcl(aces), sizeBytes: ROOT_DACL_SIZE_BYTES },
  };
}

/**
 * The value of the $SECURITY_DESCRIPTOR attribute mkntfs adds to a record, or null when it adds none: the root
 * directory (5) gets init_root_sd (0x102c bytes: too big for a 1 KiB record, so mkntfs makes it non-resident);
 * $Volume (3), $AttrDef (4), $Boot (7) and the reserved records 12–15 get init_system_file_sd (0x64 bytes, resident).
 */
export function securityDescriptorAttributeFor(mftRecordNumber: number): Uint8Array | null {
  checkRecordNumber(mftRecordNumber);
  switch (mftRecordNumber) {
    case SYSTEM_FILE.ROOT:
      return encodeSecurityDescriptor(rootDescriptor());
    case SYSTEM_FILE.VOLUME:
    case SYSTEM_FILE.ATTR_DEF:
    case SYSTEM_FILE.BOOT:
    case SYSTEM_FILE.RESERVED12:
    case SYSTEM_FILE.RESERVED13:
    case SYSTEM_FILE.RESERVED14:
    case SYSTEM_FILE.MFT_DATA:
      return encodeSecurityDescriptor(systemFileDescriptor(mftRecordNumber));
    default:
      return null;
  }
}
