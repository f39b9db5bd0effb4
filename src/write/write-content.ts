// The copied files' data (ContentChunks), written after a filesystem's body. Large files stream through
// writeChunks in pieces; small files — most of a tree of many files — are read a batch at a time, several at once
// (each costs an open, a read and a close, whose latency would otherwise add up file by file), and handed to
// writeChunks as bytes, which merges neighbours into large writes (formatters pad a small cluster's slack, so
// the files of one directory are neighbours there). The gap between two chunks is never filled here: it may hold
// a directory's clusters, written earlier in the step.
import type { Chunk, ContentChunk, ContentReader } from '../disk-types.js';
import type { BlockTarget } from '../target/block-target.js';
import { WRITE_CHUNK_BYTES, writeChunks, type BetweenWrites, type ChunkWriteStats } from './write-chunks.js';

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
  const flushBatch = async (): Promise<void> => {
    if (batch.length === 0) return;
    const read = await readBatch(batch, reader);
    batch = [];
    batchBytes = 0;
    await writeChunks(target, read, baseOffsetBytes, limit, stats, between, reader);
  };
  for (const chunk of chunks) {
    if (chunk.lengthBytes > SMALL_CONTENT_BYTES || !reader || chunk.pieces) {
      await flushBatch();
      await writeChunks(target, [chunk], baseOffsetBytes, limit, stats, between, reader);
      continue;
    }
    batch.push(chunk);
    batchBytes += chunk.lengthBytes;
    if (batchBytes >= BATCH_BYTES || batch.length >= BATCH_FILES) await flushBatch();
  }
  await flushBatch();
}

/** The batch's files as bytes chunks (each padded with zeros to its length), read READS_IN_FLIGHT at a time in
 *  the batch's order; the reader serializes what it must (an archive stream). */
async function readBatch(batch: readonly ContentChunk[], reader: ContentReader | null): Promise<Chunk[]> {
  const out: Chunk[] = new Array(batch.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batch.length) {
      const i = next++;
      const c = batch[i];
      const bytes = new Uint8Array(c.frame ? c.contentBytes : c.lengthBytes);
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

