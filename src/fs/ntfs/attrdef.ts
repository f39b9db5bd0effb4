// $AttrDef (MFT record 4): the attribute definition table. Layout from ntfs-3g include/ntfs-3g/layout.h (ATTR_DEF)
// and libyal "NTFS" §"Attribute definitions"; the entries are the NTFS 3.1 set mkntfs 2022.10.3 writes
// (ntfsprogs/attrdef.c, the same as Windows XP/2003), proven byte-identical by test/fs/ntfs/attrdef.test.ts.
import { GuestdiskError } from '../../errors.js';
import { defineStruct, readIntN, throwFirst, writeIntN, finding, type Finding, type StructValue } from '../../binary/fields.js';
import { ATTR_DEF_FLAG, ATTR_TYPE, COLLATION } from './attribute-types.js';

/** ATTR_DEF: one 160-byte entry. */
export const ATTR_DEF = defineStruct('AttrDef', 0xa0, {
  name:          { offset: 0x00, type: 'utf16', length: 0x80 }, // "$DATA"; NUL-padded, 64 units
  type:          { offset: 0x80, type: 'u32' },                 // ATTR_TYPE.*
  displayRule:   { offset: 0x84, type: 'u32' },                 // 0 in every known table
  collationRule: { offset: 0x88, type: 'u32' },                 // COLLATION.*
  flags:         { offset: 0x8c, type: 'u32' },                 // ATTR_DEF_FLAG.*
  minSize:       { offset: 0x90, type: 'bytes', length: 8 },    // signed 64-bit
  maxSize:       { offset: 0x98, type: 'bytes', length: 8 },    // signed 64-bit; -1 = no limit
});
type AttrDefRaw = StructValue<typeof ATTR_DEF>;

/** A decoded entry; sizes as numbers (-1 = no limit). */
export interface AttrDefEntry {
  readonly name: string;
  readonly type: number;
  readonly displayRule: number;
  readonly collationRule: number;
  readonly flags: number;
  readonly minSize: number;
  readonly maxSize: number;
}

/** Size of the $AttrDef $DATA stream mkntfs writes: 16 slots, the last all zero. */
export const ATTR_DEF_SIZE_BYTES = 0xa00;
const NO_LIMIT = -1;

/** The NTFS 3.1 definitions, in type order (the order readers expect). */
export const STANDARD_ATTR_DEFS: readonly AttrDefEntry[] = [
  entry('$STANDARD_INFORMATION', ATTR_TYPE.STANDARD_INFORMATION, ATTR_DEF_FLAG.RESIDENT, 0x30, 0x48),
  entry('$ATTRIBUTE_LIST', ATTR_TYPE.ATTRIBUTE_LIST, ATTR_DEF_FLAG.ALWAYS_LOG, 0, NO_LIMIT),
  entry('$FILE_NAME', ATTR_TYPE.FILE_NAME, ATTR_DEF_FLAG.RESIDENT | ATTR_DEF_FLAG.INDEXABLE, 0x44, 0x242),
  entry('$OBJECT_ID', ATTR_TYPE.OBJECT_ID, ATTR_DEF_FLAG.RESIDENT, 0, 0x100),
  entry('$SECURITY_DESCRIPTOR', ATTR_TYPE.SECURITY_DESCRIPTOR, ATTR_DEF_FLAG.ALWAYS_LOG, 0, NO_LIMIT),
  entry('$VOLUME_NAME', ATTR_TYPE.VOLUME_NAME, ATTR_DEF_FLAG.RESIDENT, 2, 0x100),
  entry('$VOLUME_INFORMATION', ATTR_TYPE.VOLUME_INFORMATION, ATTR_DEF_FLAG.RESIDENT, 0x0c, 0x0c),
  entry('$DATA', ATTR_TYPE.DATA, 0, 0, NO_LIMIT),
  entry('$INDEX_ROOT', ATTR_TYPE.INDEX_ROOT, ATTR_DEF_FLAG.RESIDENT, 0, NO_LIMIT),
  entry('$INDEX_ALLOCATION', ATTR_TYPE.INDEX_ALLOCATION, ATTR_DEF_FLAG.ALWAYS_LOG, 0, NO_LIMIT),
  entry('$BITMAP', ATTR_TYPE.BITMAP, ATTR_DEF_FLAG.ALWAYS_LOG, 0, NO_LIMIT),
  entry('$REPARSE_POINT', ATTR_TYPE.REPARSE_POINT, ATTR_DEF_FLAG.ALWAYS_LOG, 0, 0x4000),
  entry('$EA_INFORMATION', ATTR_TYPE.EA_INFORMATION, ATTR_DEF_FLAG.RESIDENT, 8, 8),
  entry('$EA', ATTR_TYPE.EA, 0, 0, 0x10000),
  entry('$LOGGED_UTILITY_STREAM', ATTR_TYPE.LOGGED_UTILITY_STREAM, ATTR_DEF_FLAG.ALWAYS_LOG, 0, 0x10000),
];

function entry(name: string, type: number, flags: number, minSize: number, maxSize: number): AttrDefEntry {
  // Every definition mkntfs writes uses display rule 0 and COLLATION_BINARY, including $FILE_NAME.
  return { name, type, displayRule: 0, collationRule: COLLATION.BINARY, flags, minSize, maxSize };
}

function int64Bytes(value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  writeIntN(bytes, 0, 8, value);
  return bytes;
}

export function encodeAttrDefEntry(value: AttrDefEntry): Uint8Array {
  return ATTR_DEF.encode({ ...value, minSize: int64Bytes(value.minSize), maxSize: int64Bytes(value.maxSize) });
}

export function checkAttrDefEntry(raw: AttrDefRaw): Finding[] {
  const findings: Finding[] = [];
  if (!raw.name.startsWith('$')) {
    findings.push(finding({ code: 'ATTR_DEF_NAME', structure: ATTR_DEF.name, field: 'name', offsetBytes: 0, expected: '"$…"', actual: JSON.stringify(raw.name), message: `$AttrDef entry name ${JSON.stringify(raw.name)} does not start with "$"` }));
  }
  if (raw.type === 0 || raw.type % 0x10 !== 0) {
    findings.push(finding({ code: 'ATTR_DEF_TYPE', structure: ATTR_DEF.name, field: 'type', offsetBytes: ATTR_DEF.fields.type.offset, expected: 'a non-zero multiple of 0x10', actual: String(raw.type), message: `$AttrDef entry ${raw.name}: type ${raw.type} is not a multiple of 0x10` }));
  }
  return findings;
}

export function decodeAttrDefEntry(bytes: Uint8Array): AttrDefEntry {
  const raw = ATTR_DEF.decode(bytes);
  throwFirst(checkAttrDefEntry(raw));
  return { ...raw, minSize: readIntN(raw.minSize, 0, 8, true), maxSize: readIntN(raw.maxSize, 0, 8, true) };
}

/** Every entry of an $AttrDef stream, up to the first all-zero slot (or the end); types must ascend. */
export function decodeAttrDef(bytes: Uint8Array): AttrDefEntry[] {
  const entries: AttrDefEntry[] = [];
  for (let at = 0; at + ATTR_DEF.sizeBytes <= bytes.length; at += ATTR_DEF.sizeBytes) {
    const slot = bytes.subarray(at, at + ATTR_DEF.sizeBytes);
    if (slot.every((b) => b === 0)) break;
    const value = decodeAttrDefEntry(slot);
    const previous = entries[entries.length - 1];
    if (previous && value.type <= previous.type) {
      throw new GuestdiskError('CORRUPT_STRUCTURE', `$AttrDef entry ${entries.length} (${value.name}): type not above ${previous.name}'s`, { offsetBytes: at });
    }
    entries.push(value);
  }
  return entries;
}

/** The $AttrDef $DATA stream (2,560 bytes) as mkntfs writes it: the 15 standard entries and one zero slot. */
export function buildAttrDef(entries: readonly AttrDefEntry[] = STANDARD_ATTR_DEFS): Uint8Array {
  const out = new Uint8Array(Math.max(ATTR_DEF_SIZE_BYTES, (entries.length + 1) * ATTR_DEF.sizeBytes));
  entries.forEach((value, i) => out.set(encodeAttrDefEntry(value), i * ATTR_DEF.sizeBytes));
  return out;
}
