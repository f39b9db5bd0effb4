// CRC-32 (IEEE 802.3, the polynomial GPT uses: UEFI 2.10 §5.3.2). Only this file imports crc-32.
import CRC32 from 'crc-32';

/** Unsigned CRC-32 of `bytes`; `seed` continues a previous value, for data that arrives in pieces. */
export function crc32(bytes: Uint8Array, seed = 0): number {
  return CRC32.buf(bytes, seed) >>> 0;
}
