// FAT short names (8.3) for long names: fatgen103 "FAT Long Directory Entries" — "Name Matching In Short And Long
// Names", "Basis-Name Generation Algorithm", "Numeric-Tail Generation Algorithm" and the short-name checksum.
//
// Windows NT and later also store a name that is a valid 8.3 name in one case per part ("readme.txt",
// "README.txt") as a short entry alone, with DIR_NTRes bits saying which part to show in lower case (bits 3 and 4,
// as fsck.fat, mtools and Linux's vfat read them); a name mixing cases in one part gets a long name.
//
// The OEM code page: we treat only ASCII as representable. Every other character becomes "_" in the short name
// (fatgen103's "lossy conversion"), as Windows does for characters its OEM code page lacks; the long name keeps
// them. Numeric tails run ~1, ~2, … as fatgen103 describes; Windows NT switches to a hashed form after ~4 ("AB12C~1"),
// which no reader needs: a short name only has to be unique in its directory.

/** Characters valid in a short name besides A–Z and 0–9 (fatgen103 "DIR_Name[0]" and the table after it). */
const SHORT_NAME_SPECIALS = "$%'-_@~`!(){}^#&";
const BASE_UNITS = 8;
const EXT_UNITS = 3;
const SPACE = 0x20;
export const SHORT_NAME_BYTES = 11;
/** DIR_NTRes bits (Windows NT): show the base / the extension in lower case. */
export const NT_RES_LOWER_BASE = 0x08;
export const NT_RES_LOWER_EXT = 0x10;

function isShortNameChar(ch: string): boolean {
  return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || SHORT_NAME_SPECIALS.includes(ch);
}

export interface ShortName {
  /** DIR_Name: base padded to 8, extension padded to 3, in ASCII. */
  readonly name: Uint8Array;
  readonly ntRes: number;
  /** The long name needs LFN entries in front of the short entry. */
  readonly needsLongName: boolean;
}

/** The 11 bytes of "BASE", "EXT". */
export function packShortName(base: string, ext: string): Uint8Array {
  const out = new Uint8Array(SHORT_NAME_BYTES).fill(SPACE);
  for (let i = 0; i < base.length; i++) out[i] = base.charCodeAt(i);
  for (let i = 0; i < ext.length; i++) out[BASE_UNITS + i] = ext.charCodeAt(i);
  return out;
}

/** Case of one part of a name that may be stored as a short name as it is: 'upper' or 'lower' when it is all
 *  short-name characters in one case (or has no letters: 'upper'), null when it mixes cases or has another one. */
function partCase(name: string, from: number, to: number): 'upper' | 'lower' | null {
  let lower = false;
  let upper = false;
  for (let i = from; i < to; i++) {
    const ch = name[i];
    if (ch >= 'a' && ch <= 'z') lower = true;
    else if (ch >= 'A' && ch <= 'Z') upper = true;
    else if (!isShortNameChar(ch)) return null; // digits, the specials; anything else (space, non-ASCII) is not 8.3
  }
  if (lower && upper) return null; // mixed case in one part
  return lower ? 'lower' : 'upper';
}

/** When `name` is itself a valid short name in one case per part: how to store it without a long name. */
export function directShortName(name: string): ShortName | null {
  const dot = name.indexOf('.');
  const baseEnd = dot < 0 ? name.length : dot;
  const extLength = dot < 0 ? 0 : name.length - dot - 1;
  if (baseEnd === 0 || baseEnd > BASE_UNITS || extLength > EXT_UNITS || (dot >= 0 && (extLength === 0 || name.indexOf('.', dot + 1) >= 0))) return null;
  const baseCase = partCase(name, 0, baseEnd);
  const extCase = dot < 0 ? 'upper' : partCase(name, dot + 1, name.length);
  if (baseCase === null || extCase === null) return null;
  const ntRes = (baseCase === 'lower' ? NT_RES_LOWER_BASE : 0) | (extCase === 'lower' ? NT_RES_LOWER_EXT : 0);
  // Packed straight from the name (ASCII only here), upper-cased as it goes: no strings per name.
  const packed = new Uint8Array(SHORT_NAME_BYTES).fill(SPACE);
  for (let i = 0; i < baseEnd; i++) packed[i] = upperAscii(name.charCodeAt(i));
  for (let i = dot + 1; dot >= 0 && i < name.length; i++) packed[BASE_UNITS + i - dot - 1] = upperAscii(name.charCodeAt(i));
  return { name: packed, ntRes, needsLongName: false };
}

const LOWER_A = 0x61;
const LOWER_Z = 0x7a;
const CASE_BIT = 0x20;

function upperAscii(unit: number): number {
  return unit >= LOWER_A && unit <= LOWER_Z ? unit - CASE_BIT : unit;
}

/** fatgen103's basis name: upper case, non-OEM and invalid characters as "_", spaces and leading dots dropped,
 *  8 characters of base and 3 of the extension after the last dot. */
export function basisName(name: string): { base: string; ext: string } {
  const mapped: string[] = [];
  for (const original of name) {
    const ch = original >= 'a' && original <= 'z' ? original.toUpperCase() : original;
    if (ch === ' ') continue;
    mapped.push(ch === '.' || isShortNameChar(ch) ? ch : '_');
  }
  let text = mapped.join('');
  text = text.replace(/^\.+/, '');
  const lastDot = text.lastIndexOf('.');
  const beforeExt = lastDot < 0 ? text : text.slice(0, lastDot);
  const base = beforeExt.replace(/\./g, '').slice(0, BASE_UNITS) || '_';
  const ext = lastDot < 0 ? '' : text.slice(lastDot + 1).replace(/\./g, '').slice(0, EXT_UNITS);
  return { base, ext };
}

/** The basis name with the numeric tail ~n, the base shortened so that the whole stays 8 characters. */
export function withNumericTail(basis: { base: string; ext: string }, n: number): Uint8Array {
  const tail = `~${n}`;
  return packShortName(basis.base.slice(0, BASE_UNITS - tail.length) + tail, basis.ext);
}

/** Largest numeric tail fatgen103 allows (~999999). */
const MAX_NUMERIC_TAIL = 999_999;

/**
 * Short names for one directory's names, in order. Names that are valid 8.3 names are stored as such and reserved
 * first; the others get basis name + the first free numeric tail. Returns null for a directory that runs out of
 * tails (over a million names sharing a basis): the caller reports it.
 */
export function shortNamesFor(names: readonly string[]): ShortName[] | null {
  const direct = names.map(directShortName);
  // A directory whose names are all 8.3 already (most directories of generated or DOS-era files) needs no search.
  if (direct.every((d) => d !== null)) return direct as ShortName[];
  const taken = new Set<string>();
  for (const d of direct) if (d) taken.add(shortNameKey(d.name));
  const out: ShortName[] = [];
  // Each name gets the smallest tail n whose candidate is free. A candidate depends only on the base cut to make
  // room for "~n" and on the extension, so many basis names share candidates ("ENTRY123" and "ENTRY124" both
  // give "ENTRY1~1"): `firstFree` remembers, per cut base, extension and tail length, the tail below which every
  // candidate is taken, so a directory of 100,000 such names costs no search from ~1 for each.
  const firstFree = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    const d = direct[i];
    if (d) {
      out.push(d);
      continue;
    }
    const basis = basisName(name);
    let n = 1;
    let candidate: Uint8Array | null = null;
    let candidateKey = '';
    while (candidate === null) {
      if (n > MAX_NUMERIC_TAIL) return null;
      const digits = String(n).length;
      const classKey = `${basis.base.slice(0, BASE_UNITS - 1 - digits)}.${basis.ext}.${digits}`;
      n = Math.max(n, firstFree.get(classKey) ?? n);
      if (String(n).length !== digits) continue; // every tail of this length is taken: on to the next length
      const c = withNumericTail(basis, n);
      const key = shortNameKey(c);
      if (taken.has(key)) {
        n++;
        firstFree.set(classKey, n);
        continue;
      }
      candidate = c;
      candidateKey = key;
      firstFree.set(classKey, n + 1);
    }
    taken.add(candidateKey);
    out.push({ name: candidate, ntRes: 0, needsLongName: true });
  }
  return out;
}

/** The 11 bytes of a short name as a string, for sets of the names taken. */
function shortNameKey(bytes: Uint8Array): string {
  let key = '';
  for (let i = 0; i < SHORT_NAME_BYTES; i++) key += String.fromCharCode(bytes[i]);
  return key;
}

/** fatgen103 "ChkSum", beside the long-name entry that carries it. */
export { shortNameChecksum } from './long-name-entry.js';
