// The copied files' data (ContentChunks), written after a filesystem's body. Large files stream through
// writeChunks in pieces; small files — most of a tree of many files — are read a batch at a time, several at once
// (each costs an open, a read and a close, whose latency would otherwise add up file by file), and handed to
// writeChunks as bytes, which merges neighbours into large writes (formatters pad a small cluster's slack, so
// the files of one directory are neighbours there). The gap between two chunks is never filled here: it may hold
// a directory's clusters, written earlier in the step.
import type { Chunk, ContentChunk, ContentReader } from '../disk-types.js';
import type { BlockTarget } from '../target/block-target.js';
import { WRITE_CHUNK_BYTES, createMergeBuffer, writeChunks, type BetweenWrites, type ChunkWriteStats } from './write-chunks.js';

/** Files up to this size are read whole, in batches. */
export const SMALL_CONTENT_BYTES = 256 * 1024;
/** A batch: at most this many bytes and files in memory at once. */
const BATCH_BYTES = 8 * WRITE_CHUNK_BYTES;
const BATCH_FILES = 256;
/** Reads in flight at once within a batch. */
const READS_IN_FLIGHT = 16;

export async function writeContentChunks(
  target: BlockTarget,
  chunks: Iterable<ContentChunk>,
  baseOffsetBytes: number,
  limit: { startBytes: number; endBytes: number; what: string },
  stats: ChunkWriteStats,
  between: BetweenWrites,
  reader: ContentReader | null,
): Promise<void> {
  let batch: ContentChunk[] = [];
  let batchBytes = 0;
  // Both reused from batch to batch: each batch is written (awaited) before the next is read.
  const arena: Arena = { bytes: null };
  const merge = createMergeBuffer();
  const flushBatch = async (): Promise<void> => {
    if (batch.length === 0) return;
    const read = await readBatch(batch, reader, arena);
    batch = [];
    batchBytes = 0;
    await writeChunks(target, read, baseOffsetBytes, limit, stats, between, reader, merge);
  };
  for (const chunk of chunks) {
    if (chunk.lengthBytes > SMALL_CONTENT_BYTES || !reader || chunk.pieces) {
      await flushBatch();
      await writeChunks(target, [chunk], baseOffsetBytes, limit, stats, between, reader, merge);
      continue;
    }
    batch.push(chunk);
    batchBytes += chunk.lengthBytes;
    if (batchBytes >= BATCH_BYTES || batch.length >= BATCH_FILES) await flushBatch();
  }
  await flushBatch();
}

/** One buffer a batch's files are read into, side by side: a tree of small files then allocates a buffer per
 *  batch at most, not one per file. */
interface Arena {
  bytes: Uint8Array | null;
}

/** The batch's files as bytes chunks (each padded with zeros to its length), read READS_IN_FLIGHT at a time in
 *  the batch's order; the reader serializes what it must (an archive stream). The chunks view `arena`, valid until
 *  the next batch. */
async function readBatch(batch: readonly ContentChunk[], reader: ContentReader | null, arena: Arena): Promise<Chunk[]> {
  const out: Chunk[] = new Array(batch.length);
  const starts: number[] = new Array(batch.length);
  let total = 0;
  for (let i = 0; i < batch.length; i++) {
    starts[i] = total;
    total += batch[i].frame ? batch[i].contentBytes : batch[i].lengthBytes;
  }
  if (!arena.bytes || arena.bytes.length < total) arena.bytes = new Uint8Array(Math.max(total, WRITE_CHUNK_BYTES));
  const space = arena.bytes;
  space.fill(0, 0, total);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batch.length) {
      const i = next++;
      const c = batch[i];
      const bytes = space.subarray(starts[i], starts[i] + (c.frame ? c.contentBytes : c.lengthBytes));
      let at = 0;
      for await (const piece of reader!.read(c.content, c.contentBytes)) {
        bytes.set(piece.subarray(0, Math.min(piece.length, c.contentBytes - at)), at);
        at += piece.length;
      }
      out[i] = { offsetBytes: c.offsetBytes, bytes: c.frame ? c.frame(bytes) : bytes };
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, batch.length) }, worker));
  return out;
}

