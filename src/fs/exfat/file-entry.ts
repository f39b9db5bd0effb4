// exFAT file entry sets: exFAT spec §7.4 "File Directory Entry", §7.6 "Stream Extension Directory Entry", §7.7
// "File Name Directory Entry", §7.4.8 timestamps and §7.6.4 NameHash. A set is one File entry, then SecondaryCount
// secondaries: the Stream Extension first, then ceil(NameLength / 15) File Name entries, then any others.
import { defineStruct, type StructValue } from '../../binary/fields.js';
import { dosDateTimeToUnix } from '../../binary/time-formats.js';

export const FILE_ENTRY_TYPE = {
  file: 0x85,
  streamExtension: 0xc0,
  fileName: 0xc1,
} as const;
/** EntryType bit 7: in use; with it clear the entry is deleted (or, as 0x00, the end of the directory). */
export const ENTRY_TYPE_IN_USE = 0x80;
/** EntryType bit 6: a secondary entry (follows a primary in its set). */
export const ENTRY_TYPE_SECONDARY = 0x40;

export const FILE_DIRECTORY_ENTRY = defineStruct('ExfatFileEntry', 32, {
  entryType:                 { offset: 0x00, type: 'u8' },   // 0x85
  secondaryCount:            { offset: 0x01, type: 'u8' },   // 2..18
  setChecksum:               { offset: 0x02, type: 'u16' },
  fileAttributes:            { offset: 0x04, type: 'u16' },  // EXFAT_FILE_ATTR.*
  reserved1:                 { offset: 0x06, type: 'u16' },
  createTimestamp:           { offset: 0x08, type: 'u32' },
  lastModifiedTimestamp:     { offset: 0x0c, type: 'u32' },
  lastAccessedTimestamp:     { offset: 0x10, type: 'u32' },
  create10msIncrement:       { offset: 0x14, type: 'u8' },   // 0..199
  lastModified10msIncrement: { offset: 0x15, type: 'u8' },
  createUtcOffset:           { offset: 0x16, type: 'u8' },   // bit 7: valid; bits 0–6: signed 15-minute steps
  lastModifiedUtcOffset:     { offset: 0x17, type: 'u8' },
  lastAccessedUtcOffset:     { offset: 0x18, type: 'u8' },
  reserved2:                 { offset: 0x19, type: 'bytes', length: 7 },
});
export type FileDirectoryEntry = StructValue<typeof FILE_DIRECTORY_ENTRY>;

export const STREAM_EXTENSION_ENTRY = defineStruct('ExfatStreamExtensionEntry', 32, {
  entryType:             { offset: 0x00, type: 'u8' },   // 0xc0
  generalSecondaryFlags: { offset: 0x01, type: 'u8' },   // GENERAL_SECONDARY_FLAG.*
  reserved1:             { offset: 0x02, type: 'u8' },
  nameLength:            { offset: 0x03, type: 'u8' },   // UTF-16 units, 1..255
  nameHash:              { offset: 0x04, type: 'u16' },
  reserved2:             { offset: 0x06, type: 'u16' },
  validDataLength:       { offset: 0x08, type: 'u64' },  // bytes written; the rest reads as zeros
  reserved3:             { offset: 0x10, type: 'u32' },
  firstCluster:          { offset: 0x14, type: 'u32' },
  dataLength:            { offset: 0x18, type: 'u64' },
});
export type StreamExtensionEntry = StructValue<typeof STREAM_EXTENSION_ENTRY>;

export const FILE_NAME_ENTRY = defineStruct('ExfatFileNameEntry', 32, {
  entryType:             { offset: 0x00, type: 'u8' },   // 0xc1
  generalSecondaryFlags: { offset: 0x01, type: 'u8' },   // 0
  fileName:              { offset: 0x02, type: 'bytes', length: 30 }, // 15 UTF-16 units
});
export type FileNameEntry = StructValue<typeof FILE_NAME_ENTRY>;
export const FILE_NAME_UNITS_PER_ENTRY = 15;

/** GeneralSecondaryFlags (§6.4.2). */
export const GENERAL_SECONDARY_FLAG = {
  allocationPossible: 0x01,
  noFatChain: 0x02,
} as const;

/** FileAttributes (§7.4.4). */
export const EXFAT_FILE_ATTR = {
  readOnly: 0x01,
  hidden: 0x02,
  system: 0x04,
  directory: 0x10,
  archive: 0x20,
} as const;

/** §7.6.4: over the up-cased name, each unit as its low then high byte: rotate right, add. */
export function exfatNameHash(name: string, upcase: Uint16Array): number {
  let hash = 0;
  for (let i = 0; i < name.length; i++) {
    const unit = upcase[name.charCodeAt(i)];
    hash = ((hash & 1 ? 0x8000 : 0) + (hash >>> 1) + (unit & 0xff)) & 0xffff;
    hash = ((hash & 1 ? 0x8000 : 0) + (hash >>> 1) + (unit >>> 8)) & 0xffff;
  }
  return hash;
}

/** A timestamp (DOS date in the high 16 bits, time in the low), its 10 ms increment and UTC offset, as ms since
 *  1970 UTC. Without a valid offset the time is local to an unknown zone and is taken as UTC. 0 is "not set". */
export function decodeExfatTimestamp(timestamp: number, tenMsIncrement: number, utcOffset: number): number | null {
  if (timestamp === 0) return null;
  const local = dosDateTimeToUnix({ date: timestamp >>> 16, time: timestamp & 0xffff, tenMs: 0 }) * 1000 + tenMsIncrement * 10;
  if ((utcOffset & 0x80) === 0) return local;
  const quarterHours = utcOffset & 0x40 ? (utcOffset & 0x7f) - 0x80 : utcOffset & 0x7f;
  return local - quarterHours * 15 * 60 * 1000;
}

/** The name's units from its File Name entries (the first `nameLength`). */
export function exfatNameFromEntries(entries: readonly FileNameEntry[], nameLength: number): string {
  let name = '';
  for (const e of entries) {
    for (let i = 0; i + 1 < e.fileName.length && name.length < nameLength; i += 2) name += String.fromCharCode(e.fileName[i] | (e.fileName[i + 1] << 8));
  }
  return name;
}
