// FAT long file name entries and 8.3 names: fatgen103 §"FAT Long Directory Entries" (LDIR_*), the name checksum
// (§"Long Name Checksum"), and the case flags Windows NT keeps in DIR_NTRes (bit 3: base name lower case, bit 4:
// extension lower case; documented in the Linux vfat driver and by Microsoft's FAT32 notes) for names that fit 8.3
// apart from their case.
import { defineStruct, intFieldWriter, viewOf, writeUint, writeUintTo, type StructValue } from '../../binary/fields.js';
import { ATTR_LONG_NAME } from './dir-entry.js';

export const LONG_NAME_ENTRY = defineStruct('LongNameEntry', 32, {
  ord:       { offset: 0x00, type: 'u8' },                // sequence 1–20; LAST_LONG_ENTRY marks the first stored
  name1:     { offset: 0x01, type: 'bytes', length: 10 }, // UTF-16 units 1–5
  attr:      { offset: 0x0b, type: 'u8' },                // ATTR_LONG_NAME
  type:      { offset: 0x0c, type: 'u8' },                // 0
  chksum:    { offset: 0x0d, type: 'u8' },                // checksum of the 8.3 entry's name
  name2:     { offset: 0x0e, type: 'bytes', length: 12 }, // units 6–11
  fstClusLo: { offset: 0x1a, type: 'u16' },               // must be 0
  name3:     { offset: 0x1c, type: 'bytes', length: 4 },  // units 12–13
});
export type LongNameEntry = StructValue<typeof LONG_NAME_ENTRY>;

/** LDIR_Ord bit 6: this is the last (highest) piece of the name, stored first. */
export const LAST_LONG_ENTRY = 0x40;
export const LONG_NAME_ORD_MASK = 0x3f;
/** UTF-16 units one long-name entry holds. */
export const LONG_NAME_UNITS_PER_ENTRY = 13;
/** DIR_Name[0] 0x05 stands for a name starting with 0xE5 (which marks a free entry). */
export const SHORT_NAME_KANJI_E5 = 0x05;
/** DIR_NTRes case flags. */
export const NT_LOWERCASE_BASE = 0x08;
export const NT_LOWERCASE_EXTENSION = 0x10;

/** fatgen103 ChkSum(): rotate right, add, over the 11 bytes of the 8.3 name. */
export function shortNameChecksum(name: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = ((sum & 1 ? 0x80 : 0) + (sum >> 1) + name[i]) & 0xff;
  return sum;
}

/** The 13 UTF-16 units of one entry, in order. */
export function longNameUnits(entry: LongNameEntry): number[] {
  const units: number[] = [];
  for (const part of [entry.name1, entry.name2, entry.name3]) {
    for (let i = 0; i + 1 < part.length; i += 2) units.push(part[i] | (part[i + 1] << 8));
  }
  return units;
}

/** A long name from its units: it ends at a NUL unit (the 0xFFFF padding after it is dropped with it). */
export function longNameFromUnits(units: readonly number[]): string {
  const end = units.indexOf(0);
  return String.fromCharCode(...(end < 0 ? units : units.slice(0, end)));
}

/** "NAME    TXT" → "NAME.TXT" (or "name.txt" with the NT case flags); bytes above 0x7f read as Latin-1. */
export function decodeShortName(name: Uint8Array, ntRes: number): string {
  const bytes = Uint8Array.from(name);
  if (bytes[0] === SHORT_NAME_KANJI_E5) bytes[0] = 0xe5;
  const text = (from: number, to: number): string => String.fromCharCode(...bytes.subarray(from, to)).replace(/ +$/, '');
  let base = text(0, 8);
  let ext = text(8, 11);
  if (ntRes & NT_LOWERCASE_BASE) base = base.toLowerCase();
  if (ntRes & NT_LOWERCASE_EXTENSION) ext = ext.toLowerCase();
  return ext === '' ? base : `${base}.${ext}`;
}

/** fatgen103: after the name's NUL terminator, unused units are 0xFFFF. */
const LFN_PAD_UNIT = 0xffff;

export function lfnEntryCount(name: string): number {
  return Math.ceil(name.length / LONG_NAME_UNITS_PER_ENTRY);
}

/** The 13 units of entry `ord` (1-based) of `name`: the name's units, a NUL after its end, then 0xFFFF. */
function writeLfnUnits(name: string, ord: number, units: Uint8Array): void {
  for (let i = 0; i < LONG_NAME_UNITS_PER_ENTRY; i++) {
    const at = (ord - 1) * LONG_NAME_UNITS_PER_ENTRY + i;
    writeUint(units, 2 * i, 2, at < name.length ? name.charCodeAt(at) : at === name.length ? 0 : LFN_PAD_UNIT);
  }
}

/** The long-name entries for `name`, in on-disk order (last part first), for a short name with `checksum`. */
export function lfnEntries(name: string, checksum: number): LongNameEntry[] {
  const count = lfnEntryCount(name);
  const out: LongNameEntry[] = [];
  for (let ord = count; ord >= 1; ord--) {
    const units = new Uint8Array(LONG_NAME_UNITS_PER_ENTRY * 2);
    writeLfnUnits(name, ord, units);
    out.push({
      ord: ord === count ? ord | LAST_LONG_ENTRY : ord,
      name1: units.slice(0, 10),
      attr: ATTR_LONG_NAME,
      type: 0,
      chksum: checksum,
      name2: units.slice(10, 22),
      fstClusLo: 0,
      name3: units.slice(22, 26),
    });
  }
  return out;
}

// The fields encodeLfnEntriesInto writes, at their table's offsets, into one view of the directory.
const ord = intFieldWriter(LONG_NAME_ENTRY, 'ord');
const attr = intFieldWriter(LONG_NAME_ENTRY, 'attr');
const chksum = intFieldWriter(LONG_NAME_ENTRY, 'chksum');
/** Where unit i (0–12) of an entry goes: units 1–5 in name1, 6–11 in name2, 12–13 in name3. */
const UNIT_OFFSETS: readonly number[] = (['name1', 'name2', 'name3'] as const).flatMap((field) => {
  const { offsetBytes, lengthBytes } = LONG_NAME_ENTRY.fieldRange(field);
  return Array.from({ length: lengthBytes / 2 }, (_, i) => offsetBytes + 2 * i);
});

/**
 * The same entries as lfnEntries, written into `out` at `offsetBytes` (a directory's clusters; `view` over all of
 * `out`, shared between calls) field by field, without an object or array per entry; returns the bytes they take.
 * Type and FstClusLO are 0: the entries' bytes are zeroed first.
 */
export function encodeLfnEntriesInto(name: string, checksum: number, out: Uint8Array, offsetBytes: number, view: DataView = viewOf(out)): number {
  const count = lfnEntryCount(name);
  out.fill(0, offsetBytes, offsetBytes + count * LONG_NAME_ENTRY.sizeBytes);
  let at = offsetBytes;
  for (let n = count; n >= 1; n--) {
    ord(view, at, n === count ? n | LAST_LONG_ENTRY : n);
    attr(view, at, ATTR_LONG_NAME);
    chksum(view, at, checksum);
    for (let i = 0; i < LONG_NAME_UNITS_PER_ENTRY; i++) {
      const u = (n - 1) * LONG_NAME_UNITS_PER_ENTRY + i;
      writeUintTo(view, at + UNIT_OFFSETS[i], 2, u < name.length ? name.charCodeAt(u) : u === name.length ? 0 : LFN_PAD_UNIT);
    }
    at += LONG_NAME_ENTRY.sizeBytes;
  }
  return at - offsetBytes;
}
