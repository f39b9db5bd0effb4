// The grown $Bitmap, piece by piece, against a bit-by-bit model (fast-check): any growth geometry, cluster
// numbers past 2^31 and 2^32 included, any piece size; plus the stream-to-volume mapping of runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { bitmapPieces, encodeBitmapPiece, mapStreamRange, type BitmapGrowth } from '../../src/fs/ntfs/grow-bitmap.js';

/** Bit `i` of the new bitmap, by the definition: old bit, new clusters free, padding set, old $Bitmap freed, new one used. */
function modelBit(g: BitmapGrowth, oldBit: (i: number) => number, i: number): number {
  if (g.newBitmapRuns.some((r) => r.lcn !== null && i >= r.lcn && i < r.lcn + r.length)) return 1;
  if (g.oldBitmapRuns.some((r) => r.lcn !== null && i >= r.lcn && i < r.lcn + r.length)) return 0;
  if (i >= g.newClusterCount) return 1;
  if (i >= g.oldClusterCount) return 0;
  return oldBit(i);
}

const growth = fc
  .record({
    oldClusterCount: fc.oneof(fc.integer({ min: 8, max: 4000 }), fc.integer({ min: 2 ** 31 - 3000, max: 2 ** 32 - 4000 })),
    extra: fc.integer({ min: 1, max: 3000 }),
    oldRun: fc.record({ lcn: fc.integer({ min: 0, max: 2000 }), length: fc.integer({ min: 1, max: 40 }) }),
    newRun: fc.record({ lcn: fc.integer({ min: 0, max: 2000 }), length: fc.integer({ min: 1, max: 40 }) }),
    pieceBytes: fc.constantFrom(8, 16, 64, 512),
    seed: fc.integer(),
    lowRuns: fc.boolean(),
  })
  .map((r) => {
    const newClusterCount = Math.min(r.oldClusterCount + r.extra, 0xffffffff);
    // Windows, mkntfs and we keep the data size a multiple of 8 bytes.
    const g: BitmapGrowth = {
      oldClusterCount: r.oldClusterCount,
      newClusterCount,
      oldBitmapBytes: Math.ceil(r.oldClusterCount / 64) * 8,
      newBitmapBytes: Math.ceil(newClusterCount / 64) * 8,
      // Runs at the volume's start, far below pieces past 2^31 (where a bit operator would wrap), or near the end.
      oldBitmapRuns: [{ lcn: (r.lowRuns ? 0 : Math.max(0, r.oldClusterCount - 2000)) + r.oldRun.lcn, length: r.oldRun.length }],
      newBitmapRuns: [{ lcn: (r.lowRuns ? 0 : Math.max(0, r.oldClusterCount - 2000)) + r.newRun.lcn, length: r.newRun.length }],
    };
    return { g, pieceBytes: r.pieceBytes, seed: r.seed };
  });

test('every bit of the grown bitmap is what the definition says, past 2^31 clusters too', () => {
  fc.assert(
    fc.property(growth, ({ g, pieceBytes, seed }) => {
      // The old bitmap: a pseudo-random pattern, padding bits set as on disk.
      const oldBit = (i: number): number => (i >= g.oldClusterCount ? 1 : ((i * 2654435761 + seed) >>> 7) & 1);
      let expectedStart = 0;
      // Bits checked one by one: around every edge of the definition (the whole bitmap when it is small; a
      // bitmap of 2^31 clusters is 256 MiB).
      const edges = [g.oldBitmapRuns[0].lcn!, g.oldBitmapRuns[0].lcn! + g.oldBitmapRuns[0].length, g.newBitmapRuns[0].lcn!, g.newBitmapRuns[0].lcn! + g.newBitmapRuns[0].length, g.oldClusterCount, g.newClusterCount, g.newBitmapBytes * 8];
      const checked = (i: number): boolean => g.newBitmapBytes < 4096 || edges.some((e) => Math.abs(i - e) <= 70);
      const bigPieces = g.newBitmapBytes >= 4096 ? 1 << 20 : pieceBytes;
      for (const piece of bitmapPieces(g, bigPieces)) {
        assert.is(piece.startBytes, expectedStart, 'pieces tile the bitmap');
        expectedStart += piece.lengthBytes;
        const first = piece.startBytes * 8;
        const last = first + piece.lengthBytes * 8;
        if (!edges.some((e) => e + 70 >= first && e - 70 < last) && g.newBitmapBytes >= 4096) continue;
        const old = new Uint8Array(piece.oldLengthBytes);
        for (let i = 0; i < piece.oldLengthBytes * 8; i++) if (checked(first + i)) old[i >> 3] |= oldBit(first + i) << (i & 7);
        const bytes = encodeBitmapPiece(g, piece, old);
        for (const e of g.newBitmapBytes < 4096 ? [first + 70] : edges) {
          for (let i = Math.max(first, e - 70); i < Math.min(last, e + 70); i++) {
            const want = modelBit(g, oldBit, i);
            const got = (bytes[(i - first) >> 3] >> ((i - first) & 7)) & 1;
            if (got !== want) throw new Error(`bit ${i} is ${got}, expected ${want}`);
          }
        }
        if (g.newBitmapBytes < 4096) {
          for (let i = first; i < last; i++) {
            const got = (bytes[(i - first) >> 3] >> ((i - first) & 7)) & 1;
            if (got !== modelBit(g, oldBit, i)) throw new Error(`bit ${i} is ${got}`);
          }
        }
        if (piece.zero) assert.ok(bytes.every((b) => b === 0), `a piece marked zero at ${piece.startBytes} holds set bits`);
      }
      assert.is(expectedStart, g.newBitmapBytes);
    }),
    { numRuns: 200 },
  );
});

test('mapStreamRange: stream bytes land in their runs, sparse runs as null', () => {
  const runs = [{ lcn: 10, length: 2 }, { lcn: null, length: 1 }, { lcn: 100, length: 3 }];
  assert.equal(mapStreamRange(runs, 4096, 4000, 10000), [
    { volumeOffsetBytes: 10 * 4096 + 4000, streamOffsetBytes: 4000, lengthBytes: 8192 - 4000 },
    { volumeOffsetBytes: null, streamOffsetBytes: 8192, lengthBytes: 4096 },
    { volumeOffsetBytes: 100 * 4096, streamOffsetBytes: 12288, lengthBytes: 14000 - 12288 },
  ]);
  assert.equal(mapStreamRange(runs, 4096, 6 * 4096, 10), [], 'past the stream: nothing');
});

test.run();
