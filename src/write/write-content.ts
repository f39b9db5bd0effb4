// The copied files' data (ContentChunks), written after a filesystem's body. Large files stream through
// writeChunks in pieces; small files — most of a tree of many files — are read whole, as they come, into one batch
// buffer, each at its place in the run of neighbours it belongs to, so a run of files that follow each other on disk
// (formatters pad a small cluster's slack, so the files of one directory are neighbours there) goes out as one
// write. The gap between two runs is never filled here: it may hold a directory's clusters, written earlier in the
// step.
//
// Memory: a tree of 100,000 files must cost the writer nothing per file that outlives the file. A file is read the
// moment its chunk arrives and the chunk is dropped; a batch remembers only where its runs start and end (numbers in
// one reused array); the batch buffer, the frame scratch and the run list are allocated once per step. What lives
// across a batch survives the young generation's collections and would otherwise be garbage in the old one.
import { GuestdiskError } from '../errors.js';
import type { ContentChunk, ContentReader } from '../disk-types.js';
import type { BlockTarget } from '../target/block-target.js';
import { MIN_ZERO_RUN_BYTES, WRITE_CHUNK_BYTES, flushBehindScheduler, splitZeroRuns, writeChunks, type BetweenWrites, type ChunkWriteStats } from './write-chunks.js';

/** Files up to this size are read whole, in batches. */
export const SMALL_CONTENT_BYTES = 256 * 1024;
/** The batch buffer: allocated once per step (when there are small files) and reused, so memory stays flat and the
 *  collector has nothing to catch up on however many files there are. 2 MiB: 100,000 files of 1 B–21 KB into exFAT
 *  and FAT32 took the same time with 2, 4 and 8 MiB (the writes of a batch overlap either way), and 6 MiB less
 *  peak memory than with 8. */
export const BATCH_BYTES = 2 * WRITE_CHUNK_BYTES;
/**
 * Writes of one batch in flight at once. Where clusters are larger than SLACK_PAD_MAX_BYTES, a directory's small
 * files are not neighbours and each is a write of its own; one after the other, each waits for a round trip
 * through node's thread pool, which on a busy machine costs more than the write (5,000 files of 10 KiB into
 * exFAT with 32 KiB clusters at load 10: 2.2 s wall for 0.7 s of CPU, nearly all of it waiting on those hops).
 */
const WRITES_IN_FLIGHT = 16;

interface StepLimit {
  readonly startBytes: number;
  readonly endBytes: number;
  readonly what: string;
}

export async function writeContentChunks(
  target: BlockTarget,
  chunks: Iterable<ContentChunk>,
  baseOffsetBytes: number,
  limit: StepLimit,
  stats: ChunkWriteStats,
  between: BetweenWrites,
  reader: ContentReader | null,
): Promise<void> {
  const batch = createBatch();
  // The batches' writes bypass writeChunks (one call per run would cost its closures per small file), so the step's
  // flush-behind is kept here.
  const behind = flushBehindScheduler(target);
  const send = async (at: number, bytes: Uint8Array): Promise<void> => {
    between({ kind: 'write', offsetBytes: at, lengthBytes: bytes.length });
    await target.write(at, bytes);
    stats.writes++;
    stats.bytesWritten += bytes.length;
  };
  const sendRun = async (at: number, bytes: Uint8Array): Promise<void> => {
    if (bytes.length < MIN_ZERO_RUN_BYTES) return send(at, bytes);
    // Long runs may hold whole zero pages (files of zeros): those go out as zero ranges, as writeChunks does.
    for (const piece of splitZeroRuns([{ offsetBytes: at, bytes }])) {
      if ('bytes' in piece) {
        await send(piece.offsetBytes, piece.bytes);
      } else {
        between({ kind: 'zeros', offsetBytes: piece.offsetBytes, lengthBytes: piece.zeroBytes });
        await target.writeZeros(piece.offsetBytes, piece.zeroBytes);
        stats.writes++;
        stats.zeroBytes += piece.zeroBytes;
      }
    }
  };
  const flushBatch = async (): Promise<void> => {
    if (batch.runCount() === 0) return;
    // After a failure (a refused write, or `between` stopping the run) no sender starts another write, and the
    // batch ends only when the writes already in flight have: nothing is written after the step has failed.
    let next = 0;
    let failure: { error: unknown } | null = null;
    const sender = async (): Promise<void> => {
      while (next < batch.runCount() && !failure) {
        const i = next++;
        try {
          await sendRun(batch.runOffset(i), batch.runBytes(i));
        } catch (e) {
          failure ??= { error: e };
        }
      }
    };
    const senders: Promise<void>[] = [];
    for (let i = 0; i < Math.min(WRITES_IN_FLIGHT, batch.runCount()); i++) senders.push(sender());
    await Promise.all(senders);
    if (failure) throw (failure as { error: unknown }).error;
    behind.wrote(batch.usedBytes());
    batch.clear();
  };
  try {
    for (const chunk of chunks) {
      // A file in several runs (NTFS) streams on its own: its pieces are not one place in a batch buffer.
      if (chunk.lengthBytes > SMALL_CONTENT_BYTES || !reader || chunk.pieces) {
        await flushBatch();
        await writeChunks(target, [chunk], baseOffsetBytes, limit, stats, between, reader);
        continue;
      }
      // A chunk of length 0 writes nothing, but one with a frame is still read and framed: the frame may keep the
      // content for a later chunk (NTFS gathers a piece of $MFT records this way).
      if (chunk.lengthBytes === 0 && !chunk.frame) continue;
      const at = baseOffsetBytes + chunk.offsetBytes;
      checkInStep(limit, at, chunk.lengthBytes);
      if (!batch.fits(chunk.lengthBytes)) await flushBatch();
      const pending = batch.place(chunk, at, reader);
      if (pending) await pending;
    }
    await flushBatch();
  } catch (e) {
    await behind.settle().catch(() => {}); // the step's own failure is the one to report
    throw e;
  }
  await behind.settle();
}

function checkInStep(limit: StepLimit, at: number, length: number): void {
  if (Number.isSafeInteger(at) && at >= limit.startBytes && at + length <= limit.endBytes) return;
  throw new GuestdiskError(
    'OUT_OF_BOUNDS',
    `${limit.what}: chunk [${at}, +${length}) is outside its step [${limit.startBytes}, ${limit.endBytes})`,
    { offsetBytes: at, lengthBytes: length, stepStart: limit.startBytes, stepEnd: limit.endBytes },
  );
}

/** The small files read so far, and where their runs go (see createBatch). */
interface Batch {
  fits(lengthBytes: number): boolean;
  runCount(): number;
  /** Run `i`'s place on the target. */
  runOffset(i: number): number;
  /** Run `i`'s bytes: a view of the batch buffer, valid until the batch is cleared. */
  runBytes(i: number): Uint8Array;
  usedBytes(): number;
  clear(): void;
  /** Reads `chunk`'s file into the buffer's next `lengthBytes` (`at`: its place on the target); a promise only when
   *  the reader had to wait. */
  place(chunk: ContentChunk, at: number, reader: ContentReader): void | Promise<void>;
}

/**
 * The batch buffer holds the small files one after the other (in the sources' read order), each padded with zeros to
 * its chunk's length, grouped in runs of chunks that are neighbours on disk. A run is three numbers in one flat list:
 * where it goes on the target and where it starts and ends in the buffer.
 */
function createBatch(): Batch {
  let buffer: Uint8Array | null = null;
  /** A resident file's content, handed to its frame (valid only during the call). */
  let scratch: Uint8Array | null = null;
  let used = 0;
  const runs: number[] = [];

  const finish = (chunk: ContentChunk, at: number, start: number): void => {
    const end = start + chunk.lengthBytes;
    const slot = buffer!.subarray(start, end);
    if (chunk.frame) {
      // A small file inside the structure that holds it (an NTFS MFT record): framed in place.
      slot.fill(0);
      const framed = chunk.frame(scratch!.subarray(0, chunk.contentBytes), slot);
      if (framed.buffer !== slot.buffer || framed.byteOffset !== slot.byteOffset) slot.set(framed);
    } else {
      slot.fill(0, chunk.contentBytes);
    }
    used = end;
    if (end === start) return;
    const last = runs.length - 3;
    // The chunk continues the last run when it follows it both on the target and in the buffer.
    if (last >= 0 && runs[last] + (runs[last + 2] - runs[last + 1]) === at && runs[last + 2] === start) runs[last + 2] = end;
    else runs.push(at, start, end);
  };

  return {
    fits: (lengthBytes) => used + lengthBytes <= BATCH_BYTES,
    runCount: () => runs.length / 3,
    runOffset: (i) => runs[i * 3],
    runBytes: (i) => buffer!.subarray(runs[i * 3 + 1], runs[i * 3 + 2]),
    usedBytes: () => used,
    clear() {
      used = 0;
      runs.length = 0;
    },
    place(chunk, at, reader) {
      buffer ??= new Uint8Array(BATCH_BYTES);
      const start = used;
      let pending: void | Promise<void>;
      if (chunk.frame) {
        if (!scratch || scratch.length < chunk.contentBytes) scratch = new Uint8Array(Math.max(chunk.contentBytes, 4096));
        pending = readInto(reader, chunk, scratch, 0);
      } else {
        pending = readInto(reader, chunk, buffer, start);
      }
      if (pending) return pending.then(() => finish(chunk, at, start));
      finish(chunk, at, start);
    },
  };
}

/** The chunk's whole file into `into[at, at + contentBytes)`; a promise only when the reader had to wait. */
function readInto(reader: ContentReader, c: ContentChunk, into: Uint8Array, at: number): void | Promise<void> {
  if (reader.readWhole) return reader.readWhole(c.content, c.contentBytes, into, at);
  return readPieces(reader, c, into, at);
}

async function readPieces(reader: ContentReader, c: ContentChunk, into: Uint8Array, at: number): Promise<void> {
  let got = 0;
  for await (const piece of reader.read(c.content, c.contentBytes)) {
    into.set(piece.subarray(0, Math.min(piece.length, c.contentBytes - got)), at + got);
    got += piece.length;
  }
}
