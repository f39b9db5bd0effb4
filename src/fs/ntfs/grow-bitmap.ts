// The grown volume's $Bitmap (ntfs-3g layout.h "$Bitmap": one bit per cluster, LSB first, bits past the last
// cluster set), made a piece at a time from the old one so memory stays flat at any size: a 16 TiB volume's
// bitmap is 512 MiB, nearly all of it zeros that become holes or zero ranges.
import type { Run } from './runlist.js';

/** Pieces of the new bitmap are made this many bytes at a time (a multiple of every sector and cluster size
 *  up to 1 MiB; larger clusters simply take several pieces). */
export const GROW_BITMAP_PIECE_BYTES = 1024 * 1024;

/** What decides the new bitmap's content. */
export interface BitmapGrowth {
  readonly oldClusterCount: number;
  readonly newClusterCount: number;
  /** The old bitmap's data size in bytes (bytes past it are not read). */
  readonly oldBitmapBytes: number;
  /** The new bitmap's data size in bytes (a multiple of 8, as Windows and mkntfs keep it). */
  readonly newBitmapBytes: number;
  /** Clusters the old $Bitmap occupied: free in the new one. */
  readonly oldBitmapRuns: readonly Run[];
  /** Clusters the new $Bitmap occupies: in use in the new one. */
  readonly newBitmapRuns: readonly Run[];
}

/** A piece of the new bitmap stream: all zeros, or bytes made from the old bitmap's bytes at the same place. */
export interface BitmapPiece {
  readonly startBytes: number;
  readonly lengthBytes: number;
  /** Nothing set and nothing to copy: write zeros (a hole in a new image). */
  readonly zero: boolean;
  /** Bytes of the old bitmap this piece starts from: [startBytes, startBytes + oldLengthBytes). */
  readonly oldLengthBytes: number;
}

/** Bits set or cleared over the old bitmap's, as [from, to) cluster ranges. */
function overrides(g: BitmapGrowth): { from: number; to: number; value: 0 | 1 }[] {
  const out: { from: number; to: number; value: 0 | 1 }[] = [
    { from: g.oldClusterCount, to: g.newClusterCount, value: 0 }, // the new clusters (and the old padding bits) are free
    { from: g.newClusterCount, to: g.newBitmapBytes * 8, value: 1 }, // bits past the last cluster read as in use
  ];
  for (const r of g.oldBitmapRuns) if (r.lcn !== null) out.push({ from: r.lcn, to: r.lcn + r.length, value: 0 });
  for (const r of g.newBitmapRuns) if (r.lcn !== null) out.push({ from: r.lcn, to: r.lcn + r.length, value: 1 });
  return out;
}

/** The pieces of the new bitmap, in order, covering [0, newBitmapBytes). */
export function* bitmapPieces(g: BitmapGrowth, pieceBytes = GROW_BITMAP_PIECE_BYTES): Generator<BitmapPiece> {
  const ones = overrides(g).filter((o) => o.value === 1 && o.to > o.from);
  for (let start = 0; start < g.newBitmapBytes; start += pieceBytes) {
    const lengthBytes = Math.min(pieceBytes, g.newBitmapBytes - start);
    const oldLengthBytes = Math.max(0, Math.min(lengthBytes, g.oldBitmapBytes - start));
    const fromBit = start * 8;
    const toBit = (start + lengthBytes) * 8;
    const setHere = ones.some((o) => o.from < toBit && o.to > fromBit);
    yield { startBytes: start, lengthBytes, zero: oldLengthBytes === 0 && !setHere, oldLengthBytes };
  }
}

/** Sets bits [from, to) of `bytes`, whose bit 0 is cluster `baseBit`, to `value`. */
function fillBits(bytes: Uint8Array, baseBit: number, from: number, to: number, value: 0 | 1): void {
  let a = Math.max(from, baseBit) - baseBit;
  const b = Math.min(to, baseBit + bytes.length * 8) - baseBit;
  // Ranges outside the piece give b ≤ a, possibly beyond 2^31: never let them reach the int32 bit operators.
  if (b <= a) return;
  while (a < b && (a & 7) !== 0) {
    bytes[a >> 3] = value ? bytes[a >> 3] | (1 << (a & 7)) : bytes[a >> 3] & ~(1 << (a & 7));
    a++;
  }
  const wholeEnd = b & ~7;
  if (a < wholeEnd) {
    bytes.fill(value ? 0xff : 0, a >> 3, wholeEnd >> 3);
    a = wholeEnd;
  }
  for (; a < b; a++) bytes[a >> 3] = value ? bytes[a >> 3] | (1 << (a & 7)) : bytes[a >> 3] & ~(1 << (a & 7));
}

/** A piece's bytes: the old bitmap's bytes where it had them, with the growth's changes applied. */
export function encodeBitmapPiece(g: BitmapGrowth, piece: BitmapPiece, oldBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(piece.lengthBytes);
  out.set(oldBytes.subarray(0, piece.oldLengthBytes));
  for (const o of overrides(g)) fillBits(out, piece.startBytes * 8, o.from, o.to, o.value);
  return out;
}

/** Where a stream's bytes [startBytes, +lengthBytes) lie in the volume, run by run (sparse runs: null). */
export function mapStreamRange(runs: readonly Run[], clusterSize: number, startBytes: number, lengthBytes: number): { volumeOffsetBytes: number | null; streamOffsetBytes: number; lengthBytes: number }[] {
  const out: { volumeOffsetBytes: number | null; streamOffsetBytes: number; lengthBytes: number }[] = [];
  const end = startBytes + lengthBytes;
  let runStart = 0;
  for (const r of runs) {
    const runEnd = runStart + r.length * clusterSize;
    const a = Math.max(startBytes, runStart);
    const b = Math.min(end, runEnd);
    if (a < b) out.push({ volumeOffsetBytes: r.lcn === null ? null : r.lcn * clusterSize + (a - runStart), streamOffsetBytes: a, lengthBytes: b - a });
    runStart = runEnd;
    if (runStart >= end) break;
  }
  return out;
}
