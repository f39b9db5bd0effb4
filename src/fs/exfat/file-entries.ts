// exFAT file directory entry sets: exFAT spec §7.4 "File Directory Entry", §7.6 "Stream Extension Directory
// Entry", §7.7 "File Name Directory Entry"; the set's checksum is §6.3.3 (checksum.ts), the name hash §7.6.4.
import { FILE_DIRECTORY_ENTRY, FILE_NAME_ENTRY, STREAM_EXTENSION_ENTRY, type FileDirectoryEntry, type FileNameEntry, type StreamExtensionEntry } from './file-entry.js';
import { unixToDosDateTime } from '../../binary/time-formats.js';
import { writeUint } from '../../binary/fields.js';
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

/** Reserved2 of every File entry: 7 zero bytes, shared (encodeInto copies it). */
const RESERVED2 = new Uint8Array(7);
/** One File Name entry's 15 units, reused from name entry to name entry (encodeInto copies it). */
const nameUnits = new Uint8Array(NAME_UNITS_PER_ENTRY * 2);
const SET_CHECKSUM = FILE_ENTRY.fieldRange('setChecksum');

/** The last time converted: a directory's entries share their created and accessed times (the spec's timestamp). */
let lastUnix = NaN;
let lastDos: { date: number; time: number; tenMs: number } = { date: 0, time: 0, tenMs: 0 };
function dosOf(unixSeconds: number): { date: number; time: number; tenMs: number } {
  if (unixSeconds !== lastUnix) {
    lastDos = unixToDosDateTime(unixSeconds);
    lastUnix = unixSeconds;
  }
  return lastDos;
}

/**
 * The entry set written into `out` at `offsetBytes` (a directory's clusters), SetChecksum computed over it; returns
 * the bytes it took. A directory of 100,000 names is encoded in place, without an array per set.
 */
export function encodeEntrySetInto(input: EntrySetInput, out: Uint8Array, offsetBytes: number): number {
  const count = entrySetCount(input.name);
  const modified = unixToDosDateTime(input.modified);
  const created = dosOf(input.created);
  const accessed = input.accessed === input.created ? created : unixToDosDateTime(input.accessed);
  const stamp = (t: { date: number; time: number }): number => ((t.date << 16) | t.time) >>> 0;
  FILE_ENTRY.encodeInto({
    entryType: FILE_ENTRY_TYPE, secondaryCount: count - 1, setChecksum: 0, fileAttributes: input.attributes, reserved1: 0,
    createTimestamp: stamp(created), lastModifiedTimestamp: stamp(modified), lastAccessedTimestamp: stamp(accessed),
    create10msIncrement: created.tenMs, lastModified10msIncrement: modified.tenMs,
    createUtcOffset: UTC_OFFSET_UTC, lastModifiedUtcOffset: UTC_OFFSET_UTC, lastAccessedUtcOffset: UTC_OFFSET_UTC,
    reserved2: RESERVED2,
  }, out, offsetBytes);
  STREAM_EXTENSION_ENTRY.encodeInto({
    entryType: STREAM_EXTENSION_ENTRY_TYPE, generalSecondaryFlags: input.flags, reserved1: 0, nameLength: input.name.length,
    nameHash: exfatNameHash(input.upcasedName), reserved2: 0, validDataLength: input.dataLength, reserved3: 0,
    firstCluster: input.firstCluster, dataLength: input.dataLength,
  }, out, offsetBytes + DIR_ENTRY_SIZE);
  const nameEntry = { entryType: FILE_NAME_ENTRY_TYPE, generalSecondaryFlags: 0, fileName: nameUnits };
  for (let i = 0; i < count - 2; i++) {
    for (let u = 0; u < NAME_UNITS_PER_ENTRY; u++) {
      const at = i * NAME_UNITS_PER_ENTRY + u;
      writeUint(nameUnits, 2 * u, 2, at < input.name.length ? input.name.charCodeAt(at) : 0);
    }
    FILE_NAME_ENTRY.encodeInto(nameEntry, out, offsetBytes + (2 + i) * DIR_ENTRY_SIZE);
  }
  // The checksum skips its own two bytes (0 until now), so it is computed over the set as encoded, then put there.
  const bytes = count * DIR_ENTRY_SIZE;
  writeUint(out, offsetBytes + SET_CHECKSUM.offsetBytes, 2, entrySetChecksum(out.subarray(offsetBytes, offsetBytes + bytes)));
  return bytes;
}
