// exFAT Allocation Bitmap: exFAT spec §7.1.5 "Allocation Bitmap": bit n of the bitmap (bit n%8 of byte n/8) is
// cluster n + 2, 1 = in use. Built a piece at a time, so memory stays flat however large the volume.
import type { Chunk } from '../../disk-types.js';

/** Largest piece of bitmap built in memory at once. */
export const BITMAP_PIECE_BYTES = 1024 * 1024;

/** A run of clusters in use, by bitmap index (cluster − 2). */
export interface UsedRange {
  readonly firstIndex: number;
  readonly count: number;
}

/** Bitmap bytes [fromByte, fromByte + length) for `used`. */
export function encodeBitmapPiece(used: readonly UsedRange[], fromByte: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const firstBit = fromByte * 8;
  const endBit = firstBit + length * 8;
  for (const r of used) {
    const start = Math.max(r.firstIndex, firstBit);
    const end = Math.min(r.firstIndex + r.count, endBit);
    for (let bit = start; bit < end; bit++) out[(bit - firstBit) >> 3] |= 1 << ((bit - firstBit) & 7);
  }
  return out;
}

/**
 * The bitmap's clusters [offsetBytes, +regionBytes): pieces of at most BITMAP_PIECE_BYTES (sector multiples)
 * where `used` has bits, one zero range for the rest (its tail past ClusterCount bits is zero too, as §7.1.5 asks).
 */
export function* bitmapChunks(offsetBytes: number, regionBytes: number, used: readonly UsedRange[], bytesPerSector: number): Generator<Chunk> {
  const lastUsedBit = Math.max(0, ...used.map((r) => r.firstIndex + r.count));
  const usedBytes = Math.min(regionBytes, Math.ceil(Math.ceil(lastUsedBit / 8) / bytesPerSector) * bytesPerSector);
  for (let at = 0; at < usedBytes; at += BITMAP_PIECE_BYTES) {
    yield { offsetBytes: offsetBytes + at, bytes: encodeBitmapPiece(used, at, Math.min(BITMAP_PIECE_BYTES, usedBytes - at)) };
  }
  if (regionBytes > usedBytes) yield { offsetBytes: offsetBytes + usedBytes, zeroBytes: regionBytes - usedBytes };
}
