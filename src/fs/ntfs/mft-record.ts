// MFT records ("FILE" records): ntfs-3g layout.h MFT_RECORD (NTFS 3.1 form, with mft_record_number) and the libyal
// "NTFS" document §"The MFT entry header". Attributes follow in ascending type order (unnamed before named, names
// in upper-case order), then the 0xffffffff end marker; the record is multi-sector protected.
import { GuestdiskError } from '../../errors.js';
import { defineStruct, expectEqual, finding, intFieldReader, throwFirst, viewOf, type Finding, type StructValue } from '../../binary/fields.js';
import { ATTR_TYPE, NTFS_RECORD_SIGNATURE } from './attribute-types.js';
import type { EncodedAttribute } from './attributes/attribute-header.js';
import { applyFixupsInPlace, removeFixups, removeFixupsInPlace, updateSequenceCount } from './fixup.js';

export const MFT_RECORD_HEADER = defineStruct('MftRecord', 0x30, {
  magic: { offset: 0x00, type: 'u32' }, // "FILE"
  usaOfs: { offset: 0x04, type: 'u16' },
  usaCount: { offset: 0x06, type: 'u16' },
  lsn: { offset: 0x08, type: 'u64' },
  sequenceNumber: { offset: 0x10, type: 'u16' },
  linkCount: { offset: 0x12, type: 'u16' },
  attrsOffset: { offset: 0x14, type: 'u16' },
  flags: { offset: 0x16, type: 'u16' }, // MFT_RECORD_FLAG.*
  bytesInUse: { offset: 0x18, type: 'u32' },
  bytesAllocated: { offset: 0x1c, type: 'u32' },
  baseMftRecord: { offset: 0x20, type: 'bytes', length: 8 }, // MFT_REF of the base record (its sequence number in the top 16 bits can pass 2^53); zero for base records
  nextAttrInstance: { offset: 0x28, type: 'u16' },
  reserved: { offset: 0x2a, type: 'u16' },
  mftRecordNumber: { offset: 0x2c, type: 'u32' },
});
export type MftRecordHeader = StructValue<typeof MFT_RECORD_HEADER>;

/** NTFS 3.1 puts the update sequence array right after the header. */
export const MFT_RECORD_USA_OFFSET = 0x30;
/** AT_END plus the 4 bytes ntfs-3g and Windows keep after it. */
export const MFT_END_MARKER_BYTES = 8;
/** The update sequence number we give every record we write. */
export const MFT_RECORD_USN = 1;

export function mftAttrsOffset(recordSize: number): number {
  return (MFT_RECORD_USA_OFFSET + 2 * updateSequenceCount(recordSize) + 7) & ~7;
}

/** Attribute order inside a record: type, then unnamed first, then names by upper-cased units. */
export function compareAttributes(a: EncodedAttribute, b: EncodedAttribute): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  const na = a.name.toUpperCase();
  const nb = b.name.toUpperCase();
  if (na !== nb) return na < nb ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export interface MftRecordInput {
  readonly recordSize: number;
  readonly recordNumber: number;
  readonly sequenceNumber: number;
  readonly linkCount: number;
  readonly flags: number;
  readonly nextAttrInstance: number;
  /** an extension record's: the MFT_REF of its base record (encodeMftRef); none (zeros) for a base record */
  readonly baseMftRecord?: Uint8Array;
  /** in any order; sorted here */
  readonly attributes: readonly EncodedAttribute[];
}

/** Bytes in use by a record holding these attributes (header, USA, attributes, end marker). */
export function mftRecordBytesInUse(recordSize: number, attributes: readonly EncodedAttribute[]): number {
  return mftAttrsOffset(recordSize) + attributes.reduce((n, a) => n + a.bytes.length, 0) + MFT_END_MARKER_BYTES;
}

/** The record without its protection applied (what fixups are computed over), in `out` when given: zeros,
 *  recordSize long (a slot of a table being filled, so a table of records is not a fresh array per record). */
export function layoutMftRecord(input: MftRecordInput, out: Uint8Array = new Uint8Array(input.recordSize)): Uint8Array {
  checkRecordOut(input, out);
  checkMftRecordFits(input, mftRecordBytesInUse(input.recordSize, input.attributes));
  let at = mftAttrsOffset(input.recordSize);
  for (const attribute of [...input.attributes].sort(compareAttributes)) {
    out.set(attribute.bytes, at);
    at += attribute.bytes.length;
  }
  return closeMftRecordLayout(input, at, out);
}

function checkRecordOut(input: MftRecordHeaderInput, out: Uint8Array): void {
  if (out.length !== input.recordSize) throw new Error(`internal: MFT record ${input.recordNumber} laid out in ${out.length} bytes, not ${input.recordSize}`);
}

/** INVALID_SPEC when a record's header, attributes and end marker (`bytesInUse`) exceed its size. */
export function checkMftRecordFits(input: Pick<MftRecordHeaderInput, 'recordSize' | 'recordNumber'>, bytesInUse: number): void {
  if (bytesInUse > input.recordSize) {
    throw new GuestdiskError('INVALID_SPEC', `MFT record ${input.recordNumber}: ${bytesInUse} bytes of attributes do not fit ${input.recordSize}`);
  }
}

/** The header fields of a record (everything but its attributes). */
export type MftRecordHeaderInput = Omit<MftRecordInput, 'attributes'>;

/** Header and end marker of a record whose attributes lie in `out` from mftAttrsOffset up to `attributesEndBytes`. */
function closeMftRecordLayout(input: MftRecordHeaderInput, attributesEndBytes: number, out: Uint8Array): Uint8Array {
  const bytesInUse = attributesEndBytes + MFT_END_MARKER_BYTES;
  MFT_RECORD_HEADER.encodeInto(
    {
      magic: NTFS_RECORD_SIGNATURE.FILE,
      usaOfs: MFT_RECORD_USA_OFFSET,
      usaCount: updateSequenceCount(input.recordSize),
      lsn: 0,
      sequenceNumber: input.sequenceNumber,
      linkCount: input.linkCount,
      attrsOffset: mftAttrsOffset(input.recordSize),
      flags: input.flags,
      bytesInUse,
      bytesAllocated: input.recordSize,
      baseMftRecord: input.baseMftRecord ?? new Uint8Array(8),
      nextAttrInstance: input.nextAttrInstance,
      reserved: 0,
      mftRecordNumber: input.recordNumber,
    },
    out,
  );
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(attributesEndBytes, ATTR_TYPE.END, true);
  return out;
}

/** The record as written to disk: laid out and protected. */
export function encodeMftRecord(input: MftRecordInput): Uint8Array {
  return applyFixupsInPlace(layoutMftRecord(input), MFT_RECORD_USA_OFFSET, MFT_RECORD_USN);
}

/** encodeMftRecord into `out` (zeros, recordSize long), which is returned. */
export function encodeMftRecordInto(input: MftRecordInput, out: Uint8Array): Uint8Array {
  return applyFixupsInPlace(layoutMftRecord(input, out), MFT_RECORD_USA_OFFSET, MFT_RECORD_USN);
}

/**
 * encodeMftRecordInto for a caller that has encoded the attributes into `out` itself (zeros, recordSize long), in
 * record order from mftAttrsOffset up to `attributesEndBytes` (checked first
 * with checkMftRecordFits: attributesEndBytes + MFT_END_MARKER_BYTES): header and end
 * marker added, then protected. No array per attribute, which for a table of 100,000 records is most of the garbage.
 */
export function encodeMftRecordAround(input: MftRecordHeaderInput, attributesEndBytes: number, out: Uint8Array): Uint8Array {
  checkRecordOut(input, out);
  checkMftRecordFits(input, attributesEndBytes + MFT_END_MARKER_BYTES);
  return applyFixupsInPlace(closeMftRecordLayout(input, attributesEndBytes, out), MFT_RECORD_USA_OFFSET, MFT_RECORD_USN);
}

export function checkMftRecordHeader(header: MftRecordHeader, recordSize: number): Finding[] {
  // The common case first, without building findings: every record of a walk passes here.
  if (header.magic === NTFS_RECORD_SIGNATURE.FILE && header.bytesAllocated === recordSize && header.usaCount === updateSequenceCount(recordSize)
    && header.bytesInUse <= recordSize && header.attrsOffset < header.bytesInUse) return [];
  const S = MFT_RECORD_HEADER;
  const out: Finding[] = [
    ...expectEqual(S, header, 'magic', NTFS_RECORD_SIGNATURE.FILE),
    ...expectEqual(S, header, 'bytesAllocated', recordSize),
    ...expectEqual(S, header, 'usaCount', updateSequenceCount(recordSize)),
  ];
  if (header.bytesInUse > recordSize || header.attrsOffset >= header.bytesInUse) {
    out.push(finding({ code: 'MFT_RECORD_BYTES_IN_USE', structure: S.name, field: 'bytesInUse', offsetBytes: 0x18, actual: String(header.bytesInUse), message: `MftRecord.bytesInUse ${header.bytesInUse} / attrsOffset ${header.attrsOffset} inconsistent with record size ${recordSize}` }));
  }
  return out;
}

// The header's fields one by one, from the table's offsets: decoding a record is the inner loop of every MFT walk,
// and a literal of known shape costs a fraction of the generic decode.
const H = {
  magic: intFieldReader(MFT_RECORD_HEADER, 'magic'),
  usaOfs: intFieldReader(MFT_RECORD_HEADER, 'usaOfs'),
  usaCount: intFieldReader(MFT_RECORD_HEADER, 'usaCount'),
  lsn: intFieldReader(MFT_RECORD_HEADER, 'lsn'),
  sequenceNumber: intFieldReader(MFT_RECORD_HEADER, 'sequenceNumber'),
  linkCount: intFieldReader(MFT_RECORD_HEADER, 'linkCount'),
  attrsOffset: intFieldReader(MFT_RECORD_HEADER, 'attrsOffset'),
  flags: intFieldReader(MFT_RECORD_HEADER, 'flags'),
  bytesInUse: intFieldReader(MFT_RECORD_HEADER, 'bytesInUse'),
  bytesAllocated: intFieldReader(MFT_RECORD_HEADER, 'bytesAllocated'),
  nextAttrInstance: intFieldReader(MFT_RECORD_HEADER, 'nextAttrInstance'),
  reserved: intFieldReader(MFT_RECORD_HEADER, 'reserved'),
  mftRecordNumber: intFieldReader(MFT_RECORD_HEADER, 'mftRecordNumber'),
};
const BASE_MFT_RECORD = MFT_RECORD_HEADER.fieldRange('baseMftRecord');

/** MFT_RECORD_HEADER.decode, field for field (same values, same errors), built as one literal. */
function decodeMftRecordHeader(bytes: Uint8Array): MftRecordHeader {
  if (bytes.length < MFT_RECORD_HEADER.sizeBytes) return MFT_RECORD_HEADER.decode(bytes); // its CORRUPT_STRUCTURE
  const v = viewOf(bytes);
  const at = BASE_MFT_RECORD.offsetBytes;
  return {
    magic: H.magic(v), usaOfs: H.usaOfs(v), usaCount: H.usaCount(v), lsn: H.lsn(v), sequenceNumber: H.sequenceNumber(v),
    linkCount: H.linkCount(v), attrsOffset: H.attrsOffset(v), flags: H.flags(v), bytesInUse: H.bytesInUse(v),
    bytesAllocated: H.bytesAllocated(v), baseMftRecord: bytes.slice(at, at + BASE_MFT_RECORD.lengthBytes),
    nextAttrInstance: H.nextAttrInstance(v), reserved: H.reserved(v), mftRecordNumber: H.mftRecordNumber(v),
  };
}

/** Decodes a protected record: header checked, fixups verified and removed (in a copy). */
export function decodeMftRecord(bytes: Uint8Array, recordSize: number): { header: MftRecordHeader; record: Uint8Array } {
  const header = decodeMftRecordHeader(bytes);
  throwFirst(checkMftRecordHeader(header, recordSize));
  const record = removeFixups(bytes.subarray(0, recordSize), header.usaOfs, header.usaCount, `MFT record ${header.mftRecordNumber}`);
  return { header, record };
}

/** decodeMftRecord on bytes the caller has just read and owns: the fixups are removed in them, not in a copy. */
export function decodeMftRecordInPlace(bytes: Uint8Array, recordSize: number): { header: MftRecordHeader; record: Uint8Array } {
  const header = decodeMftRecordHeader(bytes);
  throwFirst(checkMftRecordHeader(header, recordSize));
  const record = removeFixupsInPlace(bytes.subarray(0, recordSize), header.usaOfs, header.usaCount, `MFT record ${header.mftRecordNumber}`);
  return { header, record };
}

/** The header fields a whole-MFT walk uses. */
export interface MftRecordEssentials {
  readonly sequenceNumber: number;
  readonly linkCount: number;
  readonly flags: number;
  readonly attrsOffset: number;
  readonly bytesInUse: number;
}

/**
 * decodeMftRecordInPlace for a walk over every record: the same checks and the same errors (a record that fails
 * one goes through decodeMftRecordInPlace, which throws it), but only the fields a walk reads, straight from the
 * view the caller already has of its buffer, and no header object.
 */
export function decodeMftRecordEssentialsInPlace(bytes: Uint8Array, view: DataView, at: number, recordSize: number): { fields: MftRecordEssentials; record: Uint8Array } {
  const usaCount = H.usaCount(view, at);
  const attrsOffset = H.attrsOffset(view, at);
  const bytesInUse = H.bytesInUse(view, at);
  H.lsn(view, at); // a u64 past 2^53 is the same CORRUPT_STRUCTURE as in the full decode
  const passes = bytes.length >= MFT_RECORD_HEADER.sizeBytes && H.magic(view, at) === NTFS_RECORD_SIGNATURE.FILE && H.bytesAllocated(view, at) === recordSize
    && usaCount === updateSequenceCount(recordSize) && bytesInUse <= recordSize && attrsOffset < bytesInUse;
  if (!passes) {
    const { header, record } = decodeMftRecordInPlace(bytes, recordSize);
    return { fields: header, record };
  }
  const record = removeFixupsInPlace(bytes.subarray(0, recordSize), H.usaOfs(view, at), usaCount, `MFT record ${H.mftRecordNumber(view, at)}`);
  return { fields: { sequenceNumber: H.sequenceNumber(view, at), linkCount: H.linkCount(view, at), flags: H.flags(view, at), attrsOffset, bytesInUse }, record };
}
