// exFAT file directory entry sets: exFAT spec §7.4 "File Directory Entry", §7.6 "Stream Extension Directory
// Entry", §7.7 "File Name Directory Entry"; the set's checksum is §6.3.3 (checksum.ts), the name hash §7.6.4.
import { FILE_DIRECTORY_ENTRY, FILE_NAME_ENTRY, STREAM_EXTENSION_ENTRY, type FileDirectoryEntry, type FileNameEntry, type StreamExtensionEntry } from './file-entry.js';
import { unixToDosDateTime, type DosDateTime } from '../../binary/time-formats.js';
import { intFieldWriter, viewOf, writeUintTo } from '../../binary/fields.js';
import { entrySetChecksum } from './checksum.js';
import { DIR_ENTRY_SIZE } from './dir-entry.js';

export const FILE_ENTRY_TYPE = 0x85;
export const STREAM_EXTENSION_ENTRY_TYPE = 0xc0;
export const FILE_NAME_ENTRY_TYPE = 0xc1;
/** §7.4.4 FileAttributes bits. */
export const EXFAT_ATTR_READ_ONLY = 0x01;
export const EXFAT_ATTR_DIRECTORY = 0x10;
export const EXFAT_ATTR_ARCHIVE = 0x20;
/** §6.3.4 GeneralSecondaryFlags bits. */
export const ALLOCATION_POSSIBLE = 0x01;
export const NO_FAT_CHAIN = 0x02;
/** §7.4.10 UtcOffset: OffsetValid (bit 7) with an offset of 0: the times are UTC. */
export const UTC_OFFSET_UTC = 0x80;
/** §7.7.3: 15 UTF-16 units of the name per File Name entry. */
export const NAME_UNITS_PER_ENTRY = 15;
/** §7.6.3 NameLength: at most 255. */
export const EXFAT_MAX_NAME_UNITS = 255;

// The three entries' field tables live beside their decoders (file-entry.ts); this file builds entry sets from them.
export const FILE_ENTRY = FILE_DIRECTORY_ENTRY;
export { STREAM_EXTENSION_ENTRY, FILE_NAME_ENTRY };
export type ExfatFileEntry = FileDirectoryEntry;
export type ExfatStreamExtensionEntry = StreamExtensionEntry;
export type ExfatFileNameEntry = FileNameEntry;

/** §7.6.4 NameHash: a 16-bit rotate-and-add over the up-cased name's bytes, low byte first. */
export function exfatNameHash(upcasedName: string): number {
  let hash = 0;
  for (let i = 0; i < upcasedName.length; i++) {
    const unit = upcasedName.charCodeAt(i);
    hash = (((hash & 1) !== 0 ? 0x8000 : 0) + (hash >>> 1) + (unit & 0xff)) & 0xffff;
    hash = (((hash & 1) !== 0 ? 0x8000 : 0) + (hash >>> 1) + (unit >>> 8)) & 0xffff;
  }
  return hash;
}

/** Entries an entry set for `name` takes: file, stream extension, names. */
export function entrySetCount(name: string): number {
  return 2 + Math.ceil(name.length / NAME_UNITS_PER_ENTRY);
}

export interface EntrySetInput {
  readonly name: string;
  readonly upcasedName: string;
  readonly attributes: number;
  /** Unix seconds. */
  readonly created: number;
  readonly modified: number;
  readonly accessed: number;
  readonly flags: number;
  readonly firstCluster: number;
  readonly dataLength: number;
}

/** The whole entry set, SetChecksum computed over it (32 × (2 + name entries) bytes). */
export function encodeEntrySet(input: EntrySetInput): Uint8Array {
  const out = new Uint8Array(entrySetCount(input.name) * DIR_ENTRY_SIZE);
  encodeEntrySetInto(input, out, 0);
  return out;
}

/** The last time converted: a directory's entries share their created and accessed times (the spec's timestamp). */
let lastUnix = NaN;
let lastDos: DosDateTime = { date: 0, time: 0, tenMs: 0 };
function dosOf(unixSeconds: number): DosDateTime {
  if (unixSeconds !== lastUnix) {
    lastDos = unixToDosDateTime(unixSeconds);
    lastUnix = unixSeconds;
  }
  return lastDos;
}

function dosStamp(t: DosDateTime): number {
  return ((t.date << 16) | t.time) >>> 0;
}

// The fields encodeEntrySetInto writes, each at its table's offset (file-entry.ts), into one view of the directory.
const file = {
  entryType: intFieldWriter(FILE_ENTRY, 'entryType'),
  secondaryCount: intFieldWriter(FILE_ENTRY, 'secondaryCount'),
  setChecksum: intFieldWriter(FILE_ENTRY, 'setChecksum'),
  fileAttributes: intFieldWriter(FILE_ENTRY, 'fileAttributes'),
  createTimestamp: intFieldWriter(FILE_ENTRY, 'createTimestamp'),
  lastModifiedTimestamp: intFieldWriter(FILE_ENTRY, 'lastModifiedTimestamp'),
  lastAccessedTimestamp: intFieldWriter(FILE_ENTRY, 'lastAccessedTimestamp'),
  create10msIncrement: intFieldWriter(FILE_ENTRY, 'create10msIncrement'),
  lastModified10msIncrement: intFieldWriter(FILE_ENTRY, 'lastModified10msIncrement'),
  createUtcOffset: intFieldWriter(FILE_ENTRY, 'createUtcOffset'),
  lastModifiedUtcOffset: intFieldWriter(FILE_ENTRY, 'lastModifiedUtcOffset'),
  lastAccessedUtcOffset: intFieldWriter(FILE_ENTRY, 'lastAccessedUtcOffset'),
};
const stream = {
  entryType: intFieldWriter(STREAM_EXTENSION_ENTRY, 'entryType'),
  generalSecondaryFlags: intFieldWriter(STREAM_EXTENSION_ENTRY, 'generalSecondaryFlags'),
  nameLength: intFieldWriter(STREAM_EXTENSION_ENTRY, 'nameLength'),
  nameHash: intFieldWriter(STREAM_EXTENSION_ENTRY, 'nameHash'),
  validDataLength: intFieldWriter(STREAM_EXTENSION_ENTRY, 'validDataLength'),
  firstCluster: intFieldWriter(STREAM_EXTENSION_ENTRY, 'firstCluster'),
  dataLength: intFieldWriter(STREAM_EXTENSION_ENTRY, 'dataLength'),
};
const nameEntryType = intFieldWriter(FILE_NAME_ENTRY, 'entryType');
const FILE_NAME_AT = FILE_NAME_ENTRY.fieldRange('fileName').offsetBytes;

/**
 * The entry set written into `out` at `offsetBytes` (a directory's clusters), SetChecksum computed over it; returns
 * the bytes it took. Field by field through the tables' writers: a directory of 100,000 names is encoded without an
 * object or array per entry (`view`, over all of `out`, is the caller's to share between sets). Fields not
 * written (reserved ones, the name's padding) are zeroed first.
 */
export function encodeEntrySetInto(input: EntrySetInput, out: Uint8Array, offsetBytes: number, view: DataView = viewOf(out)): number {
  const count = entrySetCount(input.name);
  const bytes = count * DIR_ENTRY_SIZE;
  out.fill(0, offsetBytes, offsetBytes + bytes);
  const modified = unixToDosDateTime(input.modified);
  const created = dosOf(input.created);
  const accessed = input.accessed === input.created ? created : unixToDosDateTime(input.accessed);
  const f = offsetBytes;
  file.entryType(view, f, FILE_ENTRY_TYPE);
  file.secondaryCount(view, f, count - 1);
  file.fileAttributes(view, f, input.attributes);
  file.createTimestamp(view, f, dosStamp(created));
  file.lastModifiedTimestamp(view, f, dosStamp(modified));
  file.lastAccessedTimestamp(view, f, dosStamp(accessed));
  file.create10msIncrement(view, f, created.tenMs);
  file.lastModified10msIncrement(view, f, modified.tenMs);
  file.createUtcOffset(view, f, UTC_OFFSET_UTC);
  file.lastModifiedUtcOffset(view, f, UTC_OFFSET_UTC);
  file.lastAccessedUtcOffset(view, f, UTC_OFFSET_UTC);
  const x = offsetBytes + DIR_ENTRY_SIZE;
  stream.entryType(view, x, STREAM_EXTENSION_ENTRY_TYPE);
  stream.generalSecondaryFlags(view, x, input.flags);
  stream.nameLength(view, x, input.name.length);
  stream.nameHash(view, x, exfatNameHash(input.upcasedName));
  stream.validDataLength(view, x, input.dataLength);
  stream.firstCluster(view, x, input.firstCluster);
  stream.dataLength(view, x, input.dataLength);
  for (let i = 0; i < count - 2; i++) {
    const n = offsetBytes + (2 + i) * DIR_ENTRY_SIZE;
    nameEntryType(view, n, FILE_NAME_ENTRY_TYPE);
    const end = Math.min(input.name.length, (i + 1) * NAME_UNITS_PER_ENTRY);
    for (let at = i * NAME_UNITS_PER_ENTRY; at < end; at++) writeUintTo(view, n + FILE_NAME_AT + 2 * (at - i * NAME_UNITS_PER_ENTRY), 2, input.name.charCodeAt(at));
  }
  // The checksum skips its own two bytes (0 until now), so it is computed over the set as encoded, then put there.
  file.setChecksum(view, f, entrySetChecksum(out.subarray(offsetBytes, offsetBytes + bytes)));
  return bytes;
}
