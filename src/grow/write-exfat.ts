// The bytes of an exFAT grow's larger writes, made at write time from what is on disk (src/grow/plan-exfat.ts
// orders them): the new allocation bitmap, streamed a piece at a time from the old one, and FAT sectors patched.
import { BITMAP_PIECE_BYTES } from '../fs/exfat/allocation-bitmap.js';
import { FAT_ENTRY_BYTES } from '../fs/exfat/fat.js';
import { encodeBitmapChain, EXFAT_FIRST_CLUSTER, exfatBootSectorOf, patchBitmapPiece, type ExfatGrowPlan, type ExfatGrowSource } from '../fs/exfat/grow.js';
import type { Chunk } from '../plan/layout.js';
import type { BlockTarget } from '../target/block-target.js';
import type { GrowStep } from './types.js';

/** The new bitmap's clusters (offsets relative to its first byte): the old bitmap's bytes patched, where the old
 *  volume has clusters; zeros past them (the grown space is free, and so is the clusters' slack). */
export async function* exfatBitmapChunks(target: BlockTarget, base: number, plan: ExfatGrowPlan, source: ExfatGrowSource): AsyncGenerator<Chunk> {
  const bs = exfatBootSectorOf(source);
  const bps = 2 ** bs.bytesPerSectorShift;
  const oldAt = base + bs.clusterHeapOffset * bps + (plan.oldBitmap.firstCluster - EXFAT_FIRST_CLUSTER) * plan.clusterSize;
  // Bits past the old cluster count are all clear, so only the old count's bytes (to a whole sector) are data.
  const dataBytes = Math.ceil(Math.ceil(plan.before.clusterCount / 8) / bps) * bps;
  for (let from = 0; from < dataBytes; from += BITMAP_PIECE_BYTES) {
    const length = Math.min(BITMAP_PIECE_BYTES, dataBytes - from);
    const old = new Uint8Array(length);
    const readable = Math.min(length, plan.oldBitmap.clusters * plan.clusterSize - from);
    if (readable > 0) old.set(await target.read(oldAt + from, readable));
    yield { offsetBytes: from, bytes: patchBitmapPiece(plan, from, old) };
  }
  const total = plan.newBitmap.clusters * plan.clusterSize;
  if (total > dataBytes) yield { offsetBytes: dataBytes, zeroBytes: total - dataBytes };
}

/** FAT entry `index`'s value after the grow, or undefined where it stays as it is. */
function grownFatEntry(plan: ExfatGrowPlan, chain: DataView, index: number): number | undefined {
  const first = plan.newBitmap.firstCluster;
  if (index >= first && index < first + plan.newBitmap.clusters) return chain.getUint32((index - first) * FAT_ENTRY_BYTES, true);
  if (index >= plan.before.clusterCount + EXFAT_FIRST_CLUSTER) return 0; // past the old volume: free
  return undefined;
}

/** The FAT sectors of `step` as they are on disk, with the new bitmap's chain written and every entry past the old
 *  cluster count free. Only the first sector of a long tail is read: the rest are all free entries. */
export async function* fatStepChunks(target: BlockTarget, base: number, step: GrowStep, plan: ExfatGrowPlan, source: ExfatGrowSource): AsyncGenerator<Chunk> {
  const bs = exfatBootSectorOf(source);
  const bps = 2 ** bs.bytesPerSectorShift;
  const fatAt = base + bs.fatOffset * bps;
  const chainBytes = encodeBitmapChain(plan);
  const chain = new DataView(chainBytes.buffer);
  const firstEntry = (step.offsetBytes - fatAt) / FAT_ENTRY_BYTES;
  const freeFrom = plan.before.clusterCount + EXFAT_FIRST_CLUSTER;
  const chainEnd = plan.newBitmap.firstCluster + plan.newBitmap.clusters;
  // Sectors wholly past both the old volume's entries and the chain are zero: no need to read them.
  const zeroFromEntry = Math.max(freeFrom, chainEnd);
  const zeroFromBytes = Math.min(step.lengthBytes, Math.max(0, Math.ceil(((zeroFromEntry - firstEntry) * FAT_ENTRY_BYTES) / bps) * bps));
  for (let from = 0; from < zeroFromBytes; from += BITMAP_PIECE_BYTES) {
    const length = Math.min(BITMAP_PIECE_BYTES, zeroFromBytes - from);
    const bytes = await target.read(step.offsetBytes + from, length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let at = 0; at < length; at += FAT_ENTRY_BYTES) {
      const value = grownFatEntry(plan, chain, firstEntry + (from + at) / FAT_ENTRY_BYTES);
      if (value !== undefined) view.setUint32(at, value, true);
    }
    yield { offsetBytes: from, bytes };
  }
  // The rest must read as free (zero). Where it already does (the room create --max-size leaves before the heap is
  // never written, so in an image file it is a hole) nothing is written: only pieces holding a non-zero byte
  // (stale entries another tool left, old data on a device) become zero ranges. Read a piece at a time.
  for (let from = zeroFromBytes; from < step.lengthBytes; from += BITMAP_PIECE_BYTES) {
    const length = Math.min(BITMAP_PIECE_BYTES, step.lengthBytes - from);
    const bytes = await target.read(step.offsetBytes + from, length);
    if (!isAllZero(bytes)) yield { offsetBytes: from, zeroBytes: length };
  }
}

/** Whether every byte is zero, four at a time (pieces are whole sectors: a multiple of 4 bytes). */
function isAllZero(bytes: Uint8Array): boolean {
  if ((bytes.byteOffset & 3) !== 0) return bytes.every((b) => b === 0); // a view a word array cannot start at
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  return true;
}
