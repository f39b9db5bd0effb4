// A small read cache over a BlockTarget for metadata that is read in many small pieces (MFT records, FAT
// entries, directory clusters): fixed-size aligned blocks, least recently used dropped first, so memory is
// `blockBytes × maxBlocks` whatever the volume's size.
import type { BlockTarget } from './block-target.js';

export interface BlockCache {
  readonly sizeBytes: number;
  /** `lengthBytes` at `offsetBytes`, copied out of the cached blocks (a fresh array). */
  read(offsetBytes: number, lengthBytes: number): Promise<Uint8Array>;
  /** `into.length` bytes at `offsetBytes`, copied into `into` (no array of its own: for callers that read many small pieces). */
  readInto(offsetBytes: number, into: Uint8Array): Promise<void>;
}

export const CACHE_BLOCK_BYTES = 64 * 1024;
export const CACHE_MAX_BLOCKS = 32;

export function createBlockCache(target: BlockTarget, blockBytes = CACHE_BLOCK_BYTES, maxBlocks = CACHE_MAX_BLOCKS): BlockCache {
  const blocks = new Map<number, Uint8Array>(); // insertion order = recency

  async function block(index: number): Promise<Uint8Array> {
    const hit = blocks.get(index);
    if (hit) {
      blocks.delete(index);
      blocks.set(index, hit);
      return hit;
    }
    const start = index * blockBytes;
    const bytes = await target.read(start, Math.min(blockBytes, target.sizeBytes - start));
    blocks.set(index, bytes);
    if (blocks.size > maxBlocks) blocks.delete(blocks.keys().next().value as number);
    return bytes;
  }

  async function readInto(offsetBytes: number, out: Uint8Array): Promise<void> {
    const lengthBytes = out.length;
    let done = 0;
    while (done < lengthBytes) {
      const at = offsetBytes + done;
      const index = Math.floor(at / blockBytes);
      const within = at - index * blockBytes;
      const b = await block(index);
      const n = Math.min(b.length - within, lengthBytes - done);
      out.set(b.subarray(within, within + n), done);
      done += n;
    }
  }

  return {
    sizeBytes: target.sizeBytes,
    async read(offsetBytes, lengthBytes) {
      if (offsetBytes < 0 || lengthBytes < 0 || offsetBytes + lengthBytes > target.sizeBytes) return target.read(offsetBytes, lengthBytes); // the target's own bounds error
      const out = new Uint8Array(lengthBytes);
      await readInto(offsetBytes, out);
      return out;
    },
    async readInto(offsetBytes, into) {
      if (offsetBytes < 0 || offsetBytes + into.length > target.sizeBytes) {
        into.set(await target.read(offsetBytes, into.length)); // the target's own bounds error
        return;
      }
      await readInto(offsetBytes, into);
    },
  };
}
