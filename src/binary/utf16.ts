// UTF-16LE strings, as GPT partition names, NTFS names and exFAT names store them.
import { GuestdiskError } from '../errors.js';

export function encodeUtf16le(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  encodeUtf16leInto(text, out, 0);
  return out;
}

/** encodeUtf16le into `out` at `at` (2 × text.length bytes), for a structure filled in place. */
export function encodeUtf16leInto(text: string, out: Uint8Array, at: number): void {
  if (at + 2 * text.length > out.length) throw new RangeError(`UTF-16 text of ${text.length} units at ${at} outside ${out.length} bytes`);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    out[at + 2 * i] = unit & 0xff;
    out[at + 2 * i + 1] = unit >> 8;
  }
}

export function decodeUtf16le(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8));
  return s;
}

/** Lone surrogates cannot be stored by Windows as a name; refuse them at the edge. */
export function findLoneSurrogate(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) { i++; continue; }
      return i;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}

export function assertWellFormedUtf16(text: string, what: string): void {
  const at = findLoneSurrogate(text);
  if (at >= 0) throw new GuestdiskError('INVALID_SPEC', `${what}: lone UTF-16 surrogate at index ${at}`, { index: at });
}

/** UTF-16 code-unit order: the same in every locale (names in a copied tree are sorted by it). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
