// $ATTRIBUTE_LIST (0x20): ntfs-3g layout.h ATTR_LIST_ENTRY and the libyal "NTFS" document §"The attribute list
// attribute". When a file's attributes do not fit its base record, the list names every attribute (also those still
// in the base record) with the record that holds it; a non-resident attribute split over several records has one
// entry per piece, each with the first VCN that piece maps.
import { GuestdiskError } from '../../../errors.js';
import { defineStruct, type StructValue } from '../../../binary/fields.js';
import { decodeUtf16le, encodeUtf16le } from '../../../binary/utf16.js';
import { decodeMftRef, encodeMftRef } from '../ntfs-time.js';

export const ATTRIBUTE_LIST_ENTRY = defineStruct('AttributeListEntry', 0x1a, {
  type: { offset: 0x00, type: 'u32' },
  length: { offset: 0x04, type: 'u16' }, // whole entry, multiple of 8
  nameLength: { offset: 0x06, type: 'u8' }, // UTF-16 units
  nameOffset: { offset: 0x07, type: 'u8' }, // 0x1a
  lowestVcn: { offset: 0x08, type: 'u64' },
  mftReference: { offset: 0x10, type: 'bytes', length: 8 }, // MFT_REF of the record holding the attribute
  instance: { offset: 0x18, type: 'u16' },
});
export type AttributeListEntryHeader = StructValue<typeof ATTRIBUTE_LIST_ENTRY>;

export interface AttributeListEntry {
  readonly type: number;
  readonly name: string;
  readonly lowestVcn: number;
  readonly recordNumber: number;
  readonly sequenceNumber: number;
  readonly instance: number;
}

/** Every entry of a list value; an entry that leaves the value is CORRUPT_STRUCTURE. */
export function decodeAttributeList(bytes: Uint8Array): AttributeListEntry[] {
  const out: AttributeListEntry[] = [];
  let at = 0;
  while (at + ATTRIBUTE_LIST_ENTRY.sizeBytes <= bytes.length) {
    const header = ATTRIBUTE_LIST_ENTRY.decode(bytes.subarray(at));
    const nameEnd = header.nameOffset + 2 * header.nameLength;
    if (header.length < ATTRIBUTE_LIST_ENTRY.sizeBytes || at + header.length > bytes.length || nameEnd > header.length) {
      throw new GuestdiskError('CORRUPT_STRUCTURE', `attribute list entry at ${at}: length ${header.length} leaves the ${bytes.length}-byte list`, { offsetBytes: at });
    }
    const ref = decodeMftRef(header.mftReference);
    out.push({
      type: header.type,
      name: decodeUtf16le(bytes.subarray(at + header.nameOffset, at + nameEnd)),
      lowestVcn: header.lowestVcn,
      recordNumber: ref.recordNumber,
      sequenceNumber: ref.sequenceNumber,
      instance: header.instance,
    });
    at += header.length;
  }
  return out;
}

/** Bytes of the entry naming an attribute called `name`: the header and the name, padded to 8. */
export function attributeListEntryBytes(name: string): number {
  return (ATTRIBUTE_LIST_ENTRY.sizeBytes + 2 * name.length + 7) & ~7;
}

/** A list value of these entries, in the order given (the caller sorts them: type, then name, then lowest VCN). */
export function encodeAttributeList(entries: readonly AttributeListEntry[]): Uint8Array {
  const out = new Uint8Array(entries.reduce((n, e) => n + attributeListEntryBytes(e.name), 0));
  let at = 0;
  for (const e of entries) {
    const length = attributeListEntryBytes(e.name);
    ATTRIBUTE_LIST_ENTRY.encodeInto({
      type: e.type,
      length,
      nameLength: e.name.length,
      nameOffset: ATTRIBUTE_LIST_ENTRY.sizeBytes,
      lowestVcn: e.lowestVcn,
      mftReference: encodeMftRef(e.recordNumber, e.sequenceNumber),
      instance: e.instance,
    }, out, at);
    out.set(encodeUtf16le(e.name), at + ATTRIBUTE_LIST_ENTRY.sizeBytes);
    at += length;
  }
  return out;
}
