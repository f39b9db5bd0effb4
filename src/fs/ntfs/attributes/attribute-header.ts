// Attribute record headers: ntfs-3g layout.h ATTR_RECORD (resident and non-resident forms) and the libyal "NTFS"
// document §"The attribute header". Names are stored in UTF-16 right after the header, padded to 8 bytes; the
// value (resident) or the mapping pairs (non-resident) follow, and the record length is a multiple of 8.
import { GuestdiskError } from '../../../errors.js';
import { defineStruct, intFieldReader, type StructValue } from '../../../binary/fields.js';
import { encodeUtf16leInto } from '../../../binary/utf16.js';
import { ATTR_TYPE } from '../attribute-types.js';
import { encodeRunlistInto, runlistBytes, type Run } from '../runlist.js';

export const RESIDENT_ATTRIBUTE_HEADER = defineStruct('ResidentAttributeHeader', 0x18, {
  type: { offset: 0x00, type: 'u32' },
  length: { offset: 0x04, type: 'u32' },
  nonResident: { offset: 0x08, type: 'u8' }, // 0
  nameLength: { offset: 0x09, type: 'u8' }, // UTF-16 units
  nameOffset: { offset: 0x0a, type: 'u16' },
  flags: { offset: 0x0c, type: 'u16' },
  instance: { offset: 0x0e, type: 'u16' },
  valueLength: { offset: 0x10, type: 'u32' },
  valueOffset: { offset: 0x14, type: 'u16' },
  residentFlags: { offset: 0x16, type: 'u8' },
  reservedR: { offset: 0x17, type: 'u8' },
});
export type ResidentAttributeHeader = StructValue<typeof RESIDENT_ATTRIBUTE_HEADER>;

const NON_RESIDENT_FIELDS = {
  type: { offset: 0x00, type: 'u32' },
  length: { offset: 0x04, type: 'u32' },
  nonResident: { offset: 0x08, type: 'u8' }, // 1
  nameLength: { offset: 0x09, type: 'u8' },
  nameOffset: { offset: 0x0a, type: 'u16' },
  flags: { offset: 0x0c, type: 'u16' },
  instance: { offset: 0x0e, type: 'u16' },
  lowestVcn: { offset: 0x10, type: 'u64' },
  highestVcn: { offset: 0x18, type: 'i64' }, // −1 for an empty stream (Windows writes 0xFFFF…FF)
  mappingPairsOffset: { offset: 0x20, type: 'u16' },
  compressionUnit: { offset: 0x22, type: 'u8' }, // 0: not compressed
  reserved1: { offset: 0x23, type: 'bytes', length: 5 },
  allocatedSize: { offset: 0x28, type: 'u64' },
  dataSize: { offset: 0x30, type: 'u64' },
  initializedSize: { offset: 0x38, type: 'u64' },
} as const;
export const NON_RESIDENT_ATTRIBUTE_HEADER = defineStruct('NonResidentAttributeHeader', 0x40, NON_RESIDENT_FIELDS);
/** The longer form a compressed or sparse attribute carries (ntfs-3g layout.h: compressed_size "only present when
 *  compressed or sparse"; ntfs-3g writes it, and 0x48 as the mapping pairs offset, for every sparse $DATA). */
export const SPARSE_NON_RESIDENT_ATTRIBUTE_HEADER = defineStruct('SparseNonResidentAttributeHeader', 0x48, {
  ...NON_RESIDENT_FIELDS,
  compressedSize: { offset: 0x40, type: 'u64' }, // clusters actually allocated, in bytes
});
/** compression_unit of a sparse attribute: log2 of the clusters per unit, 4 (16 clusters) as ntfs-3g writes it
 *  for every cluster size (STANDARD_COMPRESSION_UNIT) and Windows for 4 KiB clusters. */
export const SPARSE_COMPRESSION_UNIT = 4;
export type NonResidentAttributeHeader = StructValue<typeof NON_RESIDENT_ATTRIBUTE_HEADER>;

/** One encoded attribute record, with what an MFT record needs to order it. */
export interface EncodedAttribute {
  readonly type: number;
  readonly name: string;
  readonly bytes: Uint8Array;
}

const align8 = (n: number): number => (n + 7) & ~7;
/** NON_RESIDENT_ATTRIBUTE_HEADER.reserved1, always zeros: one shared array (the encoder only reads it). */
const RESERVED1_ZEROS = new Uint8Array(5);

export interface ResidentAttributeInput {
  readonly type: number;
  readonly name?: string;
  readonly instance: number;
  readonly flags?: number;
  /** RESIDENT_ATTR_IS_INDEXED for $FILE_NAME */
  readonly residentFlags?: number;
  readonly value: Uint8Array;
}

export function encodeResidentAttribute(input: ResidentAttributeInput): EncodedAttribute {
  const name = input.name ?? '';
  const bytes = new Uint8Array(residentAttributeBytes(name, input.value.length));
  encodeResidentAttributeInto(input, bytes, 0);
  return { type: input.type, name, bytes };
}

/** Bytes of a resident attribute record named `name` with a value of `valueLength` bytes. */
export function residentAttributeBytes(name: string, valueLength: number): number {
  return align8(residentValueOffset(name) + valueLength);
}

/** Where a resident attribute's value starts, from the start of its record: after the header and the name. */
export function residentValueOffset(name: string): number {
  return RESIDENT_ATTRIBUTE_HEADER.sizeBytes + align8(2 * name.length);
}

/** encodeResidentAttribute into `out` at `at` (zeros, residentAttributeBytes long); returns its length. */
export function encodeResidentAttributeInto(input: ResidentAttributeInput, out: Uint8Array, at: number): number {
  const length = encodeResidentAttributeHeaderInto({ ...input, valueLength: input.value.length }, out, at);
  out.set(input.value, at + residentValueOffset(input.name ?? ''));
  return length;
}

export interface ResidentAttributeHeaderInput extends Omit<ResidentAttributeInput, 'value'> {
  readonly valueLength: number;
}

/**
 * A resident attribute's header and name into `out` at `at` (zeros, residentAttributeBytes long), for a caller that
 * encodes the value itself at `at + residentValueOffset(name)` (a record filled in place, without an array per
 * attribute). Returns the attribute's length.
 */
export function encodeResidentAttributeHeaderInto(input: ResidentAttributeHeaderInput, out: Uint8Array, at: number): number {
  const name = input.name ?? '';
  if (name.length > 255) throw new GuestdiskError('INVALID_SPEC', `attribute name ${JSON.stringify(name)} is longer than 255 units`);
  const valueOffset = residentValueOffset(name);
  const length = align8(valueOffset + input.valueLength);
  RESIDENT_ATTRIBUTE_HEADER.encodeInto(
    {
      type: input.type,
      length,
      nonResident: 0,
      nameLength: name.length,
      nameOffset: RESIDENT_ATTRIBUTE_HEADER.sizeBytes,
      flags: input.flags ?? 0,
      instance: input.instance,
      valueLength: input.valueLength,
      valueOffset,
      residentFlags: input.residentFlags ?? 0,
      reservedR: 0,
    },
    out,
    at,
  );
  encodeUtf16leInto(name, out, at + RESIDENT_ATTRIBUTE_HEADER.sizeBytes);
  return length;
}

export interface NonResidentAttributeInput {
  readonly type: number;
  readonly name?: string;
  readonly instance: number;
  readonly flags?: number;
  readonly runs: readonly Run[];
  readonly allocatedSize: number;
  readonly dataSize: number;
  readonly initializedSize: number;
  /** Sparse (ATTR_FLAG.IS_SPARSE in `flags`): the bytes of the clusters its runs allocate. */
  readonly compressedSize?: number;
  /** An extent after the first (an attribute list names each): the VCN its runs start at; sizes are then 0. */
  readonly lowestVcn?: number;
}

export function encodeNonResidentAttribute(input: NonResidentAttributeInput): EncodedAttribute {
  const name = input.name ?? '';
  const bytes = new Uint8Array(nonResidentAttributeBytes(input));
  encodeNonResidentAttributeInto(input, bytes, 0);
  return { type: input.type, name, bytes };
}

function nonResidentHeaderBytes(input: NonResidentAttributeInput): number {
  return input.compressedSize !== undefined ? SPARSE_NON_RESIDENT_ATTRIBUTE_HEADER.sizeBytes : NON_RESIDENT_ATTRIBUTE_HEADER.sizeBytes;
}

/** Bytes of the non-resident attribute record encodeNonResidentAttribute makes for `input`. */
export function nonResidentAttributeBytes(input: NonResidentAttributeInput): number {
  return align8(nonResidentHeaderBytes(input) + align8(2 * (input.name ?? '').length) + runlistBytes(input.runs));
}

/** encodeNonResidentAttribute into `out` at `at` (zeros, nonResidentAttributeBytes long); returns its length. */
export function encodeNonResidentAttributeInto(input: NonResidentAttributeInput, out: Uint8Array, at: number): number {
  const name = input.name ?? '';
  let clusters = 0;
  for (const r of input.runs) clusters += r.length;
  const sparse = input.compressedSize !== undefined;
  const headerBytes = nonResidentHeaderBytes(input);
  const mappingPairsOffset = headerBytes + align8(2 * name.length);
  const length = align8(mappingPairsOffset + runlistBytes(input.runs));
  const header = {
    type: input.type,
    length,
    nonResident: 1,
    nameLength: name.length,
    nameOffset: headerBytes,
    flags: input.flags ?? 0,
    instance: input.instance,
    lowestVcn: input.lowestVcn ?? 0,
    highestVcn: (input.lowestVcn ?? 0) + clusters - 1,
    mappingPairsOffset,
    compressionUnit: sparse ? SPARSE_COMPRESSION_UNIT : 0,
    reserved1: RESERVED1_ZEROS,
    allocatedSize: input.allocatedSize,
    dataSize: input.dataSize,
    initializedSize: input.initializedSize,
  };
  if (sparse) SPARSE_NON_RESIDENT_ATTRIBUTE_HEADER.encodeInto({ ...header, compressedSize: input.compressedSize }, out, at);
  else NON_RESIDENT_ATTRIBUTE_HEADER.encodeInto(header, out, at);
  encodeUtf16leInto(name, out, at + headerBytes);
  encodeRunlistInto(input.runs, out, at + mappingPairsOffset);
  return length;
}

/** One attribute of a decoded MFT record: the resident value or the non-resident runs and sizes. */
export interface DecodedAttribute {
  readonly type: number;
  readonly name: string;
  readonly instance: number;
  readonly offsetBytes: number;
  readonly resident: { readonly value: Uint8Array; readonly residentFlags: number } | null;
  readonly nonResident: { readonly header: NonResidentAttributeHeader; readonly mappingPairs: Uint8Array } | null;
}

// Header fields read one by one from the tables' offsets: every attribute of every record of a walk passes here.
const R = {
  nonResident: intFieldReader(RESIDENT_ATTRIBUTE_HEADER, 'nonResident'),
  nameLength: intFieldReader(RESIDENT_ATTRIBUTE_HEADER, 'nameLength'),
  nameOffset: intFieldReader(RESIDENT_ATTRIBUTE_HEADER, 'nameOffset'),
  instance: intFieldReader(RESIDENT_ATTRIBUTE_HEADER, 'instance'),
  valueLength: intFieldReader(RESIDENT_ATTRIBUTE_HEADER, 'valueLength'),
  valueOffset: intFieldReader(RESIDENT_ATTRIBUTE_HEADER, 'valueOffset'),
  residentFlags: intFieldReader(RESIDENT_ATTRIBUTE_HEADER, 'residentFlags'),
};
const N = {
  type: intFieldReader(NON_RESIDENT_ATTRIBUTE_HEADER, 'type'),
  length: intFieldReader(NON_RESIDENT_ATTRIBUTE_HEADER, 'length'),
  nonResident: intFieldReader(NON_RESIDENT_ATTRIBUTE_HEADER, 'nonResident'),
  nameLength: intFieldReader(NON_RESIDENT_ATTRIBUTE_HEADER, 'nameLength'),
  nameOffset: intFieldReader(NON_RESIDENT_ATTRIBUTE_HEADER, 'nameOffset'),
  flags: intFieldReader(NON_RESIDENT_ATTRIBUTE_HEADER, 'flags'),
  instance: intFieldReader(NON_RESIDENT_ATTRIBUTE_HEADER, 'instance'),
  lowestVcn: intFieldReader(NON_RESIDENT_ATTRIBUTE_HEADER, 'lowestVcn'),
  highestVcn: intFieldReader(NON_RESIDENT_ATTRIBUTE_HEADER, 'highestVcn'),
  mappingPairsOffset: intFieldReader(NON_RESIDENT_ATTRIBUTE_HEADER, 'mappingPairsOffset'),
  compressionUnit: intFieldReader(NON_RESIDENT_ATTRIBUTE_HEADER, 'compressionUnit'),
  allocatedSize: intFieldReader(NON_RESIDENT_ATTRIBUTE_HEADER, 'allocatedSize'),
  dataSize: intFieldReader(NON_RESIDENT_ATTRIBUTE_HEADER, 'dataSize'),
  initializedSize: intFieldReader(NON_RESIDENT_ATTRIBUTE_HEADER, 'initializedSize'),
};
const RESERVED1 = NON_RESIDENT_ATTRIBUTE_HEADER.fieldRange('reserved1');

/** NON_RESIDENT_ATTRIBUTE_HEADER.decode of the attribute at `at` (same values and errors), as one literal. */
function decodeNonResidentHeader(record: Uint8Array, view: DataView, at: number): NonResidentAttributeHeader {
  const r = at + RESERVED1.offsetBytes;
  return {
    type: N.type(view, at), length: N.length(view, at), nonResident: N.nonResident(view, at), nameLength: N.nameLength(view, at),
    nameOffset: N.nameOffset(view, at), flags: N.flags(view, at), instance: N.instance(view, at), lowestVcn: N.lowestVcn(view, at),
    highestVcn: N.highestVcn(view, at), mappingPairsOffset: N.mappingPairsOffset(view, at), compressionUnit: N.compressionUnit(view, at),
    reserved1: record.slice(r, r + RESERVED1.lengthBytes), allocatedSize: N.allocatedSize(view, at), dataSize: N.dataSize(view, at),
    initializedSize: N.initializedSize(view, at),
  };
}

/**
 * The attributes of an MFT record whose fixups are already removed, in on-disk order, stopping at the end
 * marker. Bounded: at most one attribute per 16 bytes of the record; a length that leaves the record or the
 * bytes in use is CORRUPT_STRUCTURE.
 */
export function decodeAttributes(record: Uint8Array, attrsOffset: number, bytesInUse: number): DecodedAttribute[] {
  const out: DecodedAttribute[] = [];
  const limit = Math.min(bytesInUse, record.length);
  let at = attrsOffset;
  const view = new DataView(record.buffer, record.byteOffset, record.length);
  while (at + 4 <= limit && out.length < record.length / 16) {
    const type = N.type(view, at);
    if (type === ATTR_TYPE.END) return out;
    if (at + RESIDENT_ATTRIBUTE_HEADER.sizeBytes > limit) break;
    const length = N.length(view, at);
    if (length < RESIDENT_ATTRIBUTE_HEADER.sizeBytes || length % 8 !== 0 || at + length > limit) {
      throw new GuestdiskError('CORRUPT_STRUCTURE', `attribute 0x${type.toString(16)} at ${at}: length ${length} leaves the record`, { offsetBytes: at, length });
    }
    // Offsets below are from the record, not a subarray per attribute: every attribute of a walk passes here.
    const nameOffset = R.nameOffset(view, at);
    const nameEnd = nameOffset + 2 * R.nameLength(view, at);
    if (nameEnd > length) throw new GuestdiskError('CORRUPT_STRUCTURE', `attribute 0x${type.toString(16)} at ${at}: name runs past its record`, { offsetBytes: at });
    let name = '';
    for (let i = at + nameOffset; i < at + nameEnd; i += 2) name += String.fromCharCode(record[i] | (record[i + 1] << 8));
    const instance = R.instance(view, at);
    if (R.nonResident(view, at) === 0) {
      const valueOffset = R.valueOffset(view, at);
      const valueLength = R.valueLength(view, at);
      if (valueOffset + valueLength > length) {
        throw new GuestdiskError('CORRUPT_STRUCTURE', `attribute 0x${type.toString(16)} at ${at}: value runs past its record`, { offsetBytes: at });
      }
      out.push({ type, name, instance, offsetBytes: at, resident: { value: record.subarray(at + valueOffset, at + valueOffset + valueLength), residentFlags: R.residentFlags(view, at) }, nonResident: null });
    } else {
      if (length < NON_RESIDENT_ATTRIBUTE_HEADER.sizeBytes) throw new GuestdiskError('CORRUPT_STRUCTURE', `non-resident attribute at ${at} is ${length} bytes`, { offsetBytes: at });
      const header = decodeNonResidentHeader(record, view, at);
      if (header.mappingPairsOffset > length) throw new GuestdiskError('CORRUPT_STRUCTURE', `attribute at ${at}: mapping pairs offset past its record`, { offsetBytes: at });
      out.push({ type, name, instance, offsetBytes: at, resident: null, nonResident: { header, mappingPairs: record.subarray(at + header.mappingPairsOffset, at + length) } });
    }
    at += length;
  }
  throw new GuestdiskError('CORRUPT_STRUCTURE', `MFT record: no end marker within ${limit} bytes`, { bytesInUse });
}
