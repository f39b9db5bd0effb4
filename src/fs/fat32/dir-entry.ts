// FAT short directory entry: fatgen103, "FAT Directory Structure" (32 bytes). We write only the volume label entry.
import { defineStruct, expectEqual, throwFirst, type Finding, type StructValue } from '../../binary/fields.js';

export const DIR_ENTRY_SIZE = 32;
export const ATTR_READ_ONLY = 0x01;
export const ATTR_HIDDEN = 0x02;
export const ATTR_SYSTEM = 0x04;
export const ATTR_VOLUME_ID = 0x08;
export const ATTR_DIRECTORY = 0x10;
export const ATTR_ARCHIVE = 0x20;
/** READ_ONLY | HIDDEN | SYSTEM | VOLUME_ID: a long-name entry, not a label. */
export const ATTR_LONG_NAME = 0x0f;
/** DIR_Name[0]: this and every later entry are free. */
export const DIR_ENTRY_END = 0x00;
/** DIR_Name[0]: this entry is free (deleted). */
export const DIR_ENTRY_FREE = 0xe5;

export const DIR_ENTRY = defineStruct('DirEntry', DIR_ENTRY_SIZE, {
  name:         { offset: 0x00, type: 'bytes', length: 11 }, // 8.3 name, or the 11-byte label, OEM code page
  attr:         { offset: 0x0b, type: 'u8' },
  ntRes:        { offset: 0x0c, type: 'u8' },                // reserved for Windows NT, 0 at creation
  crtTimeTenth: { offset: 0x0d, type: 'u8' },                // 0–199, units of 10 ms
  crtTime:      { offset: 0x0e, type: 'u16' },
  crtDate:      { offset: 0x10, type: 'u16' },
  lstAccDate:   { offset: 0x12, type: 'u16' },
  fstClusHi:    { offset: 0x14, type: 'u16' },
  wrtTime:      { offset: 0x16, type: 'u16' },
  wrtDate:      { offset: 0x18, type: 'u16' },
  fstClusLo:    { offset: 0x1a, type: 'u16' },
  fileSize:     { offset: 0x1c, type: 'u32' },               // bytes; 0 for directories and the label
});

export type DirEntry = StructValue<typeof DIR_ENTRY>;

export function encodeDirEntry(value: DirEntry): Uint8Array {
  return DIR_ENTRY.encode(value);
}

export function checkDirEntry(value: DirEntry): Finding[] {
  // A label entry has no cluster and no size; other entries are not ours to judge here.
  if ((value.attr & ATTR_LONG_NAME) !== ATTR_VOLUME_ID) return [];
  return [
    ...expectEqual(DIR_ENTRY, value, 'fstClusHi', 0, 'DIR_ENTRY_LABEL_CLUSTER'),
    ...expectEqual(DIR_ENTRY, value, 'fstClusLo', 0, 'DIR_ENTRY_LABEL_CLUSTER'),
    ...expectEqual(DIR_ENTRY, value, 'fileSize', 0, 'DIR_ENTRY_LABEL_SIZE'),
  ];
}

export function decodeDirEntry(bytes: Uint8Array): DirEntry {
  const value = DIR_ENTRY.decode(bytes);
  throwFirst(checkDirEntry(value));
  return value;
}
