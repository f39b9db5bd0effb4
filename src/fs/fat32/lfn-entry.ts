// FAT long-name directory entry: fatgen103 "FAT Long Directory Entries" (32 bytes; 13 UTF-16 units of the name each).
import { defineStruct, type StructValue } from '../../binary/fields.js';
import { ATTR_LONG_NAME, DIR_ENTRY_SIZE } from './dir-entry.js';

export const LFN_ENTRY = defineStruct('LfnEntry', DIR_ENTRY_SIZE, {
  ord:       { offset: 0x00, type: 'u8' },                // 1-based position; LAST_LONG_ENTRY (0x40) on the last
  name1:     { offset: 0x01, type: 'bytes', length: 10 }, // characters 1–5
  attr:      { offset: 0x0b, type: 'u8' },                // ATTR_LONG_NAME
  type:      { offset: 0x0c, type: 'u8' },                // 0: a name component
  chksum:    { offset: 0x0d, type: 'u8' },                // of the short name that follows
  name2:     { offset: 0x0e, type: 'bytes', length: 12 }, // characters 6–11
  fstClusLo: { offset: 0x1a, type: 'u16' },               // must be 0
  name3:     { offset: 0x1c, type: 'bytes', length: 4 },  // characters 12–13
});
export type LfnEntry = StructValue<typeof LFN_ENTRY>;

export const LFN_UNITS_PER_ENTRY = 13;
export const LAST_LONG_ENTRY = 0x40;
/** fatgen103: after the name's NUL terminator, unused units are 0xFFFF. */
const LFN_PAD_UNIT = 0xffff;

export function lfnEntryCount(name: string): number {
  return Math.ceil(name.length / LFN_UNITS_PER_ENTRY);
}

/** The long-name entries for `name`, in on-disk order (last part first), for a short name with `checksum`. */
export function lfnEntries(name: string, checksum: number): LfnEntry[] {
  const count = lfnEntryCount(name);
  const out: LfnEntry[] = [];
  for (let ord = count; ord >= 1; ord--) {
    const units = new Uint8Array(LFN_UNITS_PER_ENTRY * 2);
    const view = new DataView(units.buffer);
    for (let i = 0; i < LFN_UNITS_PER_ENTRY; i++) {
      const at = (ord - 1) * LFN_UNITS_PER_ENTRY + i;
      const unit = at < name.length ? name.charCodeAt(at) : at === name.length ? 0 : LFN_PAD_UNIT;
      view.setUint16(2 * i, unit, true);
    }
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
