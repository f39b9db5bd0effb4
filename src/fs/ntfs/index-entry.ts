// Index entries: ntfs-3g layout.h INDEX_ENTRY / INDEX_ENTRY_HEADER and the libyal "NTFS" document §"The index
// entry". A directory ($I30) entry names the file's MFT reference and carries its $FILE_NAME value as the key; a
// view index entry ($SII, $SDH, $O, $Q, $R) carries a key and a data part instead. The last entry of every node
// has the END flag and no key; with NODE it ends in the VCN of the child node.
import { defineStruct, intFieldReader, viewOf, type StructValue } from '../../binary/fields.js';
import { INDEX_ENTRY_FLAG } from './attribute-types.js';

export const FILE_INDEX_ENTRY_HEADER = defineStruct('FileIndexEntryHeader', 0x10, {
  indexedFile: { offset: 0x00, type: 'bytes', length: 8 }, // MFT_REF of the file
  length: { offset: 0x08, type: 'u16' }, // whole entry, multiple of 8
  keyLength: { offset: 0x0a, type: 'u16' },
  ieFlags: { offset: 0x0c, type: 'u16' }, // INDEX_ENTRY_FLAG.*
  reserved: { offset: 0x0e, type: 'u16' },
});
export type FileIndexEntryHeader = StructValue<typeof FILE_INDEX_ENTRY_HEADER>;

export const VIEW_INDEX_ENTRY_HEADER = defineStruct('ViewIndexEntryHeader', 0x10, {
  dataOffset: { offset: 0x00, type: 'u16' }, // from the entry start
  dataLength: { offset: 0x02, type: 'u16' },
  reservedV: { offset: 0x04, type: 'u32' },
  length: { offset: 0x08, type: 'u16' },
  keyLength: { offset: 0x0a, type: 'u16' },
  ieFlags: { offset: 0x0c, type: 'u16' },
  reserved: { offset: 0x0e, type: 'u16' },
});
export type ViewIndexEntryHeader = StructValue<typeof VIEW_INDEX_ENTRY_HEADER>;

const HEADER = 0x10;
const align8 = (n: number): number => (n + 7) & ~7;

/** A $I30 entry: the file's reference and its $FILE_NAME value as key. */
export function encodeFileIndexEntry(indexedFile: Uint8Array, fileNameValue: Uint8Array): Uint8Array {
  const out = new Uint8Array(align8(HEADER + fileNameValue.length));
  encodeFileIndexEntryInto(indexedFile, fileNameValue.length, out, 0);
  out.set(fileNameValue, HEADER);
  return out;
}

/** The header of a $I30 entry into `out` at `at` (zeros), for a caller that encodes its `keyLength`-byte key right
 *  after it (at + FILE_INDEX_ENTRY_HEADER.sizeBytes). Returns the entry's length. */
export function encodeFileIndexEntryInto(indexedFile: Uint8Array, keyLength: number, out: Uint8Array, at: number): number {
  const length = align8(HEADER + keyLength);
  FILE_INDEX_ENTRY_HEADER.encodeInto({ indexedFile, length, keyLength, ieFlags: 0, reserved: 0 }, out, at);
  return length;
}

/**
 * A view index entry: key right after the header, data right after the key (mkntfs's layout); `padding` fills
 * the bytes up to the 8-byte aligned length ($SDH "II", $Quota $O 0x20, as mkntfs and Windows write them).
 */
export function encodeViewIndexEntry(key: Uint8Array, data: Uint8Array, padding?: Uint8Array): Uint8Array {
  const dataOffset = HEADER + key.length;
  const length = align8(dataOffset + data.length + (padding?.length ?? 0));
  const out = new Uint8Array(length);
  VIEW_INDEX_ENTRY_HEADER.encodeInto(
    { dataOffset, dataLength: data.length, reservedV: 0, length, keyLength: key.length, ieFlags: 0, reserved: 0 },
    out,
  );
  out.set(key, HEADER);
  out.set(data, dataOffset);
  if (padding) out.set(padding, dataOffset + data.length);
  return out;
}

/** The closing entry of a node; with `childVcn` it points to the child node holding everything before it. */
export function encodeEndIndexEntry(childVcn: number | null): Uint8Array {
  const length = childVcn === null ? HEADER : HEADER + 8;
  const out = new Uint8Array(length);
  FILE_INDEX_ENTRY_HEADER.encodeInto(
    {
      indexedFile: new Uint8Array(8),
      length,
      keyLength: 0,
      ieFlags: INDEX_ENTRY_FLAG.END | (childVcn === null ? 0 : INDEX_ENTRY_FLAG.NODE),
      reserved: 0,
    },
    out,
  );
  if (childVcn !== null) new DataView(out.buffer).setBigUint64(HEADER, BigInt(childVcn), true);
  return out;
}

// The entry header's fields from the table's offsets, as one literal: every entry of every directory passes here.
const E = {
  length: intFieldReader(FILE_INDEX_ENTRY_HEADER, 'length'),
  keyLength: intFieldReader(FILE_INDEX_ENTRY_HEADER, 'keyLength'),
  ieFlags: intFieldReader(FILE_INDEX_ENTRY_HEADER, 'ieFlags'),
  reserved: intFieldReader(FILE_INDEX_ENTRY_HEADER, 'reserved'),
};
const INDEXED_FILE = FILE_INDEX_ENTRY_HEADER.fieldRange('indexedFile');

/** The length fields and flags of the entry starting `entry` (at least a header long), without decoding the
 *  whole header: the index builder checks every entry it is given. */
export function fileIndexEntryShape(entry: Uint8Array): { length: number; keyLength: number; ieFlags: number } {
  const view = viewOf(entry);
  return { length: E.length(view, 0), keyLength: E.keyLength(view, 0), ieFlags: E.ieFlags(view, 0) };
}

/** FILE_INDEX_ENTRY_HEADER.decode of the entry at `at` (at least its size in bytes), field for field. */
function decodeFileIndexEntryHeader(bytes: Uint8Array, view: DataView, at: number): FileIndexEntryHeader {
  const f = at + INDEXED_FILE.offsetBytes;
  return { indexedFile: bytes.slice(f, f + INDEXED_FILE.lengthBytes), length: E.length(view, at), keyLength: E.keyLength(view, at), ieFlags: E.ieFlags(view, at), reserved: E.reserved(view, at) };
}

/** Walks the entries of a node (bounded by `bytes`); each item is one whole entry. */
export function splitIndexEntries(bytes: Uint8Array, maxEntries = 4096): { header: FileIndexEntryHeader; bytes: Uint8Array }[] {
  const out: { header: FileIndexEntryHeader; bytes: Uint8Array }[] = [];
  const view = viewOf(bytes);
  let at = 0;
  while (at + HEADER <= bytes.length && out.length < maxEntries) {
    const header = decodeFileIndexEntryHeader(bytes, view, at);
    if (header.length < HEADER || at + header.length > bytes.length) break;
    out.push({ header, bytes: bytes.subarray(at, at + header.length) });
    if (header.ieFlags & INDEX_ENTRY_FLAG.END) break;
    at += header.length;
  }
  return out;
}
