// NTFS times and file references as 8-byte little-endian fields: FILETIME values (100 ns since 1601) and MFT
// references (48-bit record number, 16-bit sequence number) both exceed 2^53, so they travel as bytes.
import { writeU64Big, readU64Big } from '../../binary/fields.js';
import { unixToFiletime, filetimeToUnix } from '../../binary/time-formats.js';

export function encodeNtfsTime(unixSeconds: number): Uint8Array {
  const out = new Uint8Array(8);
  writeU64Big(out, 0, unixToFiletime(unixSeconds));
  return out;
}

export function decodeNtfsTime(bytes: Uint8Array): number {
  return filetimeToUnix(readU64Big(bytes, 0));
}

/** MFT_REF: record number in the low 48 bits, sequence number in the high 16 (layout.h MK_MREF). */
export function encodeMftRef(recordNumber: number, sequenceNumber: number): Uint8Array {
  const out = new Uint8Array(8);
  writeU64Big(out, 0, (BigInt(sequenceNumber) << 48n) | BigInt(recordNumber));
  return out;
}

export function decodeMftRef(bytes: Uint8Array): { recordNumber: number; sequenceNumber: number } {
  return decodeMftRefAt(bytes, 0);
}

/**
 * The MFT_REF at `offsetBytes` of a larger buffer, without copying it out: byte by byte, little-endian (this runs
 * for every record and index entry of a whole-volume walk, where a bigint per reference shows).
 */
export function decodeMftRefAt(bytes: Uint8Array, offsetBytes: number): { recordNumber: number; sequenceNumber: number } {
  const b = bytes;
  const at = offsetBytes;
  if (at < 0 || at + 8 > b.length) throw new RangeError(`MFT reference at ${at} outside ${b.length} bytes`);
  const low = (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
  const high = b[at + 4] | (b[at + 5] << 8);
  return { recordNumber: high * 0x1_0000_0000 + low, sequenceNumber: b[at + 6] | (b[at + 7] << 8) };
}

/** FILETIME as milliseconds since 1970 (fractions dropped), for listings; FILETIME 0 ("never") gives null. */
export function decodeNtfsTimeMs(bytes: Uint8Array): number | null {
  const filetime = readU64Big(bytes, 0);
  if (filetime === 0n) return null;
  const ticks = filetime - FILETIME_TICKS_AT_UNIX_EPOCH;
  const ms = ticks >= 0n ? ticks / 10_000n : -((-ticks + 9_999n) / 10_000n);
  return Number(ms);
}
/** 100-ns ticks from 1601-01-01 to 1970-01-01. */
const FILETIME_TICKS_AT_UNIX_EPOCH = 116_444_736_000_000_000n;
