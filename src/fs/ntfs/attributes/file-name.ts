// $FILE_NAME (0x30): ntfs-3g layout.h FILE_NAME_ATTR and the libyal "NTFS" document §"The file name attribute".
// The same bytes are the key of the parent directory's $I30 index entry.
import { GuestdiskError } from '../../../errors.js';
import { defineStruct, type StructValue } from '../../../binary/fields.js';
import { decodeUtf16le, encodeUtf16leInto } from '../../../binary/utf16.js';

export const FILE_NAME_HEADER = defineStruct('FileNameAttribute', 0x42, {
  parentDirectory: { offset: 0x00, type: 'bytes', length: 8 }, // MFT_REF
  creationTime: { offset: 0x08, type: 'bytes', length: 8 },
  lastDataChangeTime: { offset: 0x10, type: 'bytes', length: 8 },
  lastMftChangeTime: { offset: 0x18, type: 'bytes', length: 8 },
  lastAccessTime: { offset: 0x20, type: 'bytes', length: 8 },
  allocatedSize: { offset: 0x28, type: 'u64' },
  dataSize: { offset: 0x30, type: 'u64' },
  fileAttributes: { offset: 0x38, type: 'u32' },
  reparsePointTag: { offset: 0x3c, type: 'u32' }, // union with packed_ea_size + reserved
  fileNameLength: { offset: 0x40, type: 'u8' }, // UTF-16 units
  fileNameType: { offset: 0x41, type: 'u8' }, // FILE_NAME_NAMESPACE.*
});
export type FileNameHeader = StructValue<typeof FILE_NAME_HEADER>;

export interface FileName extends Omit<FileNameHeader, 'fileNameLength'> {
  readonly fileName: string;
}

export function encodeFileName(value: FileName): Uint8Array {
  const out = new Uint8Array(fileNameBytes(value.fileName));
  encodeFileNameInto(value, out, 0);
  return out;
}

/** Bytes of the $FILE_NAME value naming `fileName`. */
export function fileNameBytes(fileName: string): number {
  return FILE_NAME_HEADER.sizeBytes + 2 * fileName.length;
}

/** encodeFileName into `out` at `at` (fileNameBytes long), for a record or index entry filled in place. */
export function encodeFileNameInto(value: FileName, out: Uint8Array, at: number): void {
  const { fileName } = value;
  if (fileName.length < 1 || fileName.length > 255) {
    throw new GuestdiskError('INVALID_SPEC', `file name ${JSON.stringify(fileName)} must have 1 to 255 UTF-16 units`);
  }
  // Field by field rather than a spread of `value`: every copied name is encoded twice (record and index entry).
  FILE_NAME_HEADER.encodeInto({
    parentDirectory: value.parentDirectory,
    creationTime: value.creationTime,
    lastDataChangeTime: value.lastDataChangeTime,
    lastMftChangeTime: value.lastMftChangeTime,
    lastAccessTime: value.lastAccessTime,
    allocatedSize: value.allocatedSize,
    dataSize: value.dataSize,
    fileAttributes: value.fileAttributes,
    reparsePointTag: value.reparsePointTag,
    fileNameLength: fileName.length,
    fileNameType: value.fileNameType,
  }, out, at);
  encodeUtf16leInto(fileName, out, at + FILE_NAME_HEADER.sizeBytes);
}

export function decodeFileName(bytes: Uint8Array): FileName {
  const header = FILE_NAME_HEADER.decode(bytes);
  const end = FILE_NAME_HEADER.sizeBytes + 2 * header.fileNameLength;
  if (end > bytes.length) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `FileNameAttribute: name of ${header.fileNameLength} units runs past ${bytes.length} bytes`);
  }
  const { fileNameLength, ...rest } = header;
  void fileNameLength;
  return { ...rest, fileName: decodeUtf16le(bytes.subarray(FILE_NAME_HEADER.sizeBytes, end)) };
}
