// The copied files' data (ContentChunks), written after a filesystem's body. Large files stream through
// writeChunks in pieces; small files — most of a tree of many files — are read whole, a batch at a time, into one
// batch buffer, each at its place in the run of neighbours it belongs to, so a run of files that follow each other
// on disk (formatters pad a small cluster's slack, so the files of one directory are neighbours there) goes out
// as one write. The gap between two runs is never filled here: it may hold a directory's clusters, written
// earlier in the step.
import type { Chunk, ContentChunk, ContentReader } from '../disk-types.js';
import type { BlockTarget } from '../target/block-target.js';
import { WRITE_CHUNK_BYTES, flushBehindScheduler, writeChunks, type BetweenWrites, type ChunkWriteStats } from './write-chunks.js';

/** Files up to this size are read whole, in batches. */
export const SMALL_CONTENT_BYTES = 256 * 1024;
/** The batch buffer: allocated once per step (when there are small files) and reused, so memory stays flat and the
 *  collector has nothing to catch up on however many files there are. */
export const BATCH_BYTES = 8 * WRITE_CHUNK_BYTES;
/**
 * Writes of one batch in flight at once. Where clusters are larger than SLACK_PAD_MAX_BYTES, a directory's small
 * files are not neighbours and each is a write of its own; one after the other, each waits for a round trip
 * through node's thread pool, which on a busy machine costs more than the write (5,000 files of 10 KiB into
 * exFAT with 32 KiB clusters at load 10: 2.2 s wall for 0.7 s of CPU, nearly all of it waiting on those hops).
 */
const WRITES_IN_FLIGHT = 16;

export async function writeContentChunks(
  target: BlockTarget,
  chunks: Iterable<ContentChunk>,
  baseOffsetBytes: number,
  limit: { startBytes: number; endBytes: number; what: string },
  stats: ChunkWriteStats,
  between: BetweenWrites,
  reader: ContentReader | null,
): Promise<void> {
  let buffer: Uint8Array | null = null;
  let batch: ContentChunk[] = [];
  let batchBytes = 0;
  // The batches' writes are sent a run at a time (writeChunks per run), so the step's flush-behind is kept here.
  const behind = flushBehindScheduler(target);
  const flushBatch = async (): Promise<void> => {
    if (batch.length === 0) return;
    buffer ??= new Uint8Array(BATCH_BYTES);
    const runs = await readBatch(batch, buffer, reader!);
    const bytes = batchBytes;
    batch = [];
    batchBytes = 0;
    // After a failure (a refused write, or `between` stopping the run) no sender starts another write, and the
    // batch ends only when the writes already in flight have: nothing is written after the step has failed.
    let next = 0;
    let failure: { error: unknown } | null = null;
    const sender = async (): Promise<void> => {
      while (next < runs.length && !failure) {
        try {
          await writeChunks(target, [runs[next++]], baseOffsetBytes, limit, stats, between, reader);
        } catch (e) {
          failure ??= { error: e };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(WRITES_IN_FLIGHT, runs.length) }, sender));
    if (failure) throw (failure as { error: unknown }).error;
    behind.wrote(bytes);
  };
  try {
    for (const chunk of chunks) {
      // A file in several runs (NTFS) streams on its own: its pieces are not one place in a batch buffer.
      if (chunk.lengthBytes > SMALL_CONTENT_BYTES || !reader || chunk.pieces) {
        await flushBatch();
        await writeChunks(target, [chunk], baseOffsetBytes, limit, stats, between, reader);
        continue;
      }
      if (batchBytes + chunk.lengthBytes > BATCH_BYTES) await flushBatch();
      batch.push(chunk);
      batchBytes += chunk.lengthBytes;
    }
    await flushBatch();
  } catch (e) {
    await behind.settle().catch(() => {}); // the step's own failure is the one to report
    throw e;
  }
  await behind.settle();
}

/**
 * The batch's files read into `buffer` one after the other, in the batch's order (the sources' read order), each
 * padded with zeros to its chunk's length; returned as byte chunks, one per run of chunks that are neighbours on
 * disk. The chunks are views of `buffer`: valid until the next batch is read.
 */
async function readBatch(batch: readonly ContentChunk[], buffer: Uint8Array, reader: ContentReader): Promise<Chunk[]> {
  const runs: Chunk[] = [];
  let runOffsetBytes = batch[0].offsetBytes;
  let runAt = 0;
  let at = 0;
  for (const [i, c] of batch.entries()) {
    const slot = buffer.subarray(at, at + c.lengthBytes);
    if (c.frame) {
      // A small file inside the structure that holds it (an NTFS MFT record): read whole, framed, put in place.
      const content = new Uint8Array(c.contentBytes);
      await readInto(reader, c, content);
      slot.set(c.frame(content));
    } else {
      await readInto(reader, c, slot);
      slot.fill(0, c.contentBytes);
    }
    at += c.lengthBytes;
    const next = batch[i + 1];
    if (!next || next.offsetBytes !== c.offsetBytes + c.lengthBytes) {
      runs.push({ offsetBytes: runOffsetBytes, bytes: buffer.subarray(runAt, at) });
      runOffsetBytes = next?.offsetBytes ?? 0;
      runAt = at;
    }
  }
  return runs;
}

async function readInto(reader: ContentReader, c: ContentChunk, slot: Uint8Array): Promise<void> {
  if (reader.readWhole) {
    await reader.readWhole(c.content, c.contentBytes, slot);
    return;
  }
  let at = 0;
  for await (const piece of reader.read(c.content, c.contentBytes)) {
    slot.set(piece.subarray(0, Math.min(piece.length, c.contentBytes - at)), at);
    at += piece.length;
  }
}
