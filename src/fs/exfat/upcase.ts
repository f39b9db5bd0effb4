// exFAT up-case table: exFAT spec §7.2 "Up-case Table Directory Entry" and §7.2.5 "Up-case Table", written in the
// compressed form Windows writes (5836 bytes, TableChecksum 0xe619d30d): an identity run is the marker 0xFFFF then
// the run's length; every other code unit is stored as its up-case value.
import { GuestdiskError } from '../../errors.js';
import { exfatChecksum32 } from './checksum.js';
import { UPCASE_RANGES } from './upcase-mapping.js';

export const UPCASE_CODE_UNITS = 0x10000;
/** Marker of a compressed identity run (§7.2.5.1); as the table's final unit it is the literal for U+FFFF. */
export const UPCASE_RUN_MARKER = 0xffff;
/** Identity runs at least this long are compressed. Windows' table compresses its four runs of 843 code units
 *  and more and stores the shorter ones (up to 337) literally; any threshold in (337, 843] gives its bytes. */
export const UPCASE_MIN_COMPRESSED_RUN = 512;

/** The full mapping: index = code unit, value = its up-case. */
export function upcaseMapping(): Uint16Array {
  const map = new Uint16Array(UPCASE_CODE_UNITS);
  for (let c = 0; c < UPCASE_CODE_UNITS; c++) map[c] = c;
  for (const [first, count, delta, step] of UPCASE_RANGES) {
    for (let i = 0; i < count; i++) map[first + i * step] = first + i * step + delta;
  }
  return map;
}

/** The compressed table bytes for `mapping` (65536 entries). */
export function compressUpcaseTable(mapping: Uint16Array): Uint8Array {
  const units: number[] = [];
  let c = 0;
  while (c < UPCASE_CODE_UNITS) {
    let end = c;
    while (end < UPCASE_CODE_UNITS && mapping[end] === end) end++;
    const run = end - c;
    if (run >= UPCASE_MIN_COMPRESSED_RUN) {
      for (let left = run; left > 0; left -= Math.min(left, 0xffff)) units.push(UPCASE_RUN_MARKER, Math.min(left, 0xffff));
      c = end;
    } else {
      units.push(mapping[c]);
      c++;
    }
  }
  const out = new Uint8Array(units.length * 2);
  const view = new DataView(out.buffer);
  units.forEach((u, i) => view.setUint16(2 * i, u, true));
  return out;
}

/** Expands a (compressed or plain) table to 65536 entries; entries the table does not reach map to themselves.
 *  Bounded by the table's length; a run past U+FFFF is CORRUPT_STRUCTURE. */
export function expandUpcaseTable(table: Uint8Array): Uint16Array {
  const map = new Uint16Array(UPCASE_CODE_UNITS);
  for (let c = 0; c < UPCASE_CODE_UNITS; c++) map[c] = c;
  const view = new DataView(table.buffer, table.byteOffset, table.length - (table.length % 2));
  const count = view.byteLength / 2;
  let c = 0;
  for (let i = 0; i < count; i++) {
    const unit = view.getUint16(2 * i, true);
    if (unit === UPCASE_RUN_MARKER && i + 1 < count) {
      const run = view.getUint16(2 * (i + 1), true);
      i++;
      if (c + run > UPCASE_CODE_UNITS) {
        throw new GuestdiskError('CORRUPT_STRUCTURE', `up-case table: identity run of ${run} at U+${c.toString(16)} passes U+FFFF`, { at: c, run });
      }
      c += run;
      continue;
    }
    if (c >= UPCASE_CODE_UNITS) {
      throw new GuestdiskError('CORRUPT_STRUCTURE', `up-case table: more than 65536 entries (unit ${i} of ${count})`, { unit: i });
    }
    map[c++] = unit;
  }
  return map;
}

/** §7.2.3: TableChecksum over every byte of the (compressed) table. */
export function upcaseTableChecksum(table: Uint8Array): number {
  return exfatChecksum32(table, false);
}

export interface UpcaseTable {
  readonly bytes: Uint8Array;
  readonly checksum: number;
}

let cached: UpcaseTable | null = null;
/** Windows' table, built once (5836 bytes); callers get a fresh copy of the bytes. */
export function windowsUpcaseTable(): UpcaseTable {
  if (!cached) {
    const bytes = compressUpcaseTable(upcaseMapping());
    cached = { bytes, checksum: upcaseTableChecksum(bytes) };
  }
  return { bytes: cached.bytes.slice(), checksum: cached.checksum };
}

