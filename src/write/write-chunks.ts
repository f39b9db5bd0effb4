// Pulls chunks from an encoder, merges neighbours into large writes and sends zero ranges to writeZeros,
// so a formatter may emit sector-sized pieces while the target sees few, big writes (STYLE.md §5).
import { GuestdiskError } from '../errors.js';
import type { Chunk, ContentChunk, ContentReader, ContentRef } from '../disk-types.js';
import type { BlockTarget } from '../target/block-target.js';

/** Largest single write; neighbours are merged up to this size. */
export const WRITE_CHUNK_BYTES = 1024 * 1024;

export interface ChunkWriteStats {
  writes: number;
  bytesWritten: number;
  zeroBytes: number;
}

/** The write about to happen (a flush has length 0), for progress reports. */
export interface NextWrite {
  readonly kind: 'write' | 'zeros' | 'flush';
  readonly offsetBytes: number;
  readonly lengthBytes: number;
}

/**
 * During a step, after every this many bytes written, the target is asked to flush behind (BlockTarget.flushBehind)
 * in the background, one request at a time. Measured on a 64 MiB $LogFile into an ext4 image: the step plus its
 * closing flush took 31–39 ms flushing only at the end, 21–25 ms with a flush behind every 4–8 MiB.
 */
export const FLUSH_BEHIND_BYTES = 8 * 1024 * 1024;

/** Zero runs at least this long inside a byte chunk go out as zero ranges (holes in a new image file). */
export const MIN_ZERO_RUN_BYTES = 64 * 1024;
const ZERO_SCAN_PAGE_BYTES = 4096;

const ZERO_PAGE = Buffer.alloc(ZERO_SCAN_PAGE_BYTES);

/** Whether bytes [from, to) (at most a page) are all zero. A native compare with a zero page: this runs once per
 *  4 KiB page of every large chunk, where a JS loop over the words was the largest CPU cost of a `create` run
 *  (which runs without V8's optimizing compiler, src/cli/main.ts), and Buffer#compare takes ranges, so no view is
 *  made per call. */
function isZeroRange(bytes: Uint8Array, from: number, to: number): boolean {
  return ZERO_PAGE.compare(bytes, from, to, 0, to - from) === 0;
}

/**
 * Encoders may hand over buffers with long zero stretches (a bitmap piece with a few bits set, the gap between
 * $SDS and its mirror). Runs of whole zero pages of at least MIN_ZERO_RUN_BYTES become zero ranges, so they are
 * holes in a new image and never cost a write there. Page boundaries are counted from the chunk's start, which is
 * sector-aligned, so every piece stays sector-aligned.
 */
export function* splitZeroRuns<C extends Chunk | ContentChunk>(chunks: Iterable<C>): Generator<C | Chunk> {
  for (const chunk of chunks) {
    if (!('bytes' in chunk) || chunk.bytes.length < MIN_ZERO_RUN_BYTES) {
      yield chunk;
      continue;
    }
    const { bytes, offsetBytes } = chunk;
    const pageEnd = (page: number): number => Math.min(page + ZERO_SCAN_PAGE_BYTES, bytes.length);
    let dataStart = 0; // start of bytes not yet emitted
    let page = 0;
    while (page < bytes.length) {
      // Inline first-byte test: a data page (every page of a 64 MiB 0xFF $LogFile) costs no call.
      if (bytes[page] !== 0 || !isZeroRange(bytes, page, pageEnd(page))) {
        page += ZERO_SCAN_PAGE_BYTES;
        continue;
      }
      let end = page;
      while (end < bytes.length && isZeroRange(bytes, end, pageEnd(end))) end += ZERO_SCAN_PAGE_BYTES;
      end = Math.min(end, bytes.length);
      if (end - page >= MIN_ZERO_RUN_BYTES) {
        if (page > dataStart) yield { offsetBytes: offsetBytes + dataStart, bytes: bytes.subarray(dataStart, page) };
        yield { offsetBytes: offsetBytes + page, zeroBytes: end - page };
        dataStart = end;
      }
      page = end;
    }
    if (dataStart < bytes.length) yield { offsetBytes: offsetBytes + dataStart, bytes: bytes.subarray(dataStart) };
  }
}

/** Called between writes; throwing from it stops the run before the next write (signals, fault tests). */
export type BetweenWrites = (next: NextWrite) => void;

/**
 * Writes `chunks` (offsets relative to `baseOffsetBytes`) to `target`, refusing any chunk outside
 * `[limitStart, limitEnd)` (the step's range) so one encoder can never write over another's bytes.
 */
export async function writeChunks(
  target: BlockTarget,
  chunks: Iterable<Chunk | ContentChunk>,
  baseOffsetBytes: number,
  limit: { startBytes: number; endBytes: number; what: string },
  stats: ChunkWriteStats,
  between: BetweenWrites = () => {},
  content: ContentReader | null = null,
  merge: MergeBuffer = createMergeBuffer(),
): Promise<void> {
  let pending: { offsetBytes: number; parts: Uint8Array[]; length: number } | null = null;
  const behind = flushBehindScheduler(target);

  const flushPending = async (): Promise<void> => {
    if (!pending) return;
    const { offsetBytes, parts, length } = pending;
    pending = null;
    await send(offsetBytes, parts.length === 1 ? parts[0] : concatInto(merge, parts, length));
  };

  /** Every byte write of the step goes out here: the between-hook, the write, the counts, the flush-behind. */
  const send = async (offsetBytes: number, bytes: Uint8Array): Promise<void> => {
    between({ kind: 'write', offsetBytes, lengthBytes: bytes.length });
    await target.write(offsetBytes, bytes);
    stats.writes++;
    stats.bytesWritten += bytes.length;
    behind.wrote(bytes.length);
  };

  try {
    for (const chunk of splitZeroRuns(chunks)) {
      const rel = chunk.offsetBytes;
      const length = 'bytes' in chunk ? chunk.bytes.length : 'content' in chunk ? chunk.lengthBytes : chunk.zeroBytes;
      const at = baseOffsetBytes + rel;
      // A content chunk's ranges (several for a file in several runs) are listed; any other chunk is one range,
      // checked without making a list: a step of a few thousand chunks should not allocate per chunk to be checked.
      const ranges: ContentRange[] | null = 'content' in chunk ? contentRanges(chunk, baseOffsetBytes, at) : null;
      if (ranges) {
        for (const r of ranges) if (!r.hole) checkInStep(limit, r.at, r.length);
      } else {
        checkInStep(limit, at, length);
      }
      if (length === 0) continue;
      if ('content' in chunk) {
        await flushPending();
        await writeContent(chunk, ranges!, content, send, async (offsetBytes, zeroBytes) => {
          between({ kind: 'zeros', offsetBytes, lengthBytes: zeroBytes });
          await target.writeZeros(offsetBytes, zeroBytes);
          stats.writes++;
          stats.zeroBytes += zeroBytes;
        });
      } else if ('bytes' in chunk) {
        if (pending && pending.offsetBytes + pending.length === at && pending.length + length <= WRITE_CHUNK_BYTES) {
          pending.parts.push(chunk.bytes);
          pending.length += length;
          continue;
        }
        await flushPending();
        if (length >= WRITE_CHUNK_BYTES) {
          await send(at, chunk.bytes);
        } else {
          pending = { offsetBytes: at, parts: [chunk.bytes], length };
        }
      } else {
        await flushPending();
        between({ kind: 'zeros', offsetBytes: at, lengthBytes: length });
        await target.writeZeros(at, length);
        stats.writes++;
        stats.zeroBytes += length;
      }
    }
    await flushPending();
  } catch (e) {
    await behind.settle().catch(() => {}); // the step's own failure is the one to report
    throw e;
  }
  await behind.settle();
}

function checkInStep(limit: { startBytes: number; endBytes: number; what: string }, at: number, length: number): void {
  if (Number.isSafeInteger(at) && at >= limit.startBytes && at + length <= limit.endBytes) return;
  throw new GuestdiskError(
    'OUT_OF_BOUNDS',
    `${limit.what}: chunk [${at}, +${length}) is outside its step [${limit.startBytes}, ${limit.endBytes})`,
    { offsetBytes: at, lengthBytes: length, stepStart: limit.startBytes, stepEnd: limit.endBytes },
  );
}

/** A content chunk's byte ranges on the target (absolute): its pieces, or the one range at `at`. */
function contentRanges(chunk: ContentChunk, baseOffsetBytes: number, at: number): ContentRange[] {
  if (!chunk.pieces) return [{ at, length: chunk.lengthBytes, hole: false }];
  return chunk.pieces.map((p) => ({ at: baseOffsetBytes + p.offsetBytes, length: p.lengthBytes, hole: p.hole === true }));
}

/** How a message names a copied file: its source and its path there. */
export function describeContent(ref: ContentRef): string {
  return `source ${ref.source} ${ref.dir}/${ref.name}`;
}

/**
 * A file's bytes from the copy source, gathered into WRITE_CHUNK_BYTES pieces (the source's own pieces may be any
 * size), the last padded with zeros to the chunk's whole sectors. Zero pages go out as zero ranges like any other
 * chunk's (splitZeroRuns), so a sparse source file leaves holes in a new image without our asking where its holes are.
 */
async function writeContent(
  chunk: ContentChunk,
  ranges: readonly ContentRange[],
  reader: ContentReader | null,
  send: (offsetBytes: number, bytes: Uint8Array) => Promise<void>,
  zeros: (offsetBytes: number, lengthBytes: number) => Promise<void>,
): Promise<void> {
  if (!reader) throw new GuestdiskError('INVALID_SPEC', `the layout copies files (${describeContent(chunk.content)}) but no content reader was given to writeDisk`);
  if (chunk.frame) {
    // A small file inside the structure that holds it: read whole, framed, written at once.
    const content = new Uint8Array(chunk.contentBytes);
    let got = 0;
    for await (const piece of reader.read(chunk.content, chunk.contentBytes)) {
      content.set(piece.subarray(0, Math.min(piece.length, chunk.contentBytes - got)), got);
      got += piece.length;
    }
    await send(ranges[0].at, chunk.frame(content, new Uint8Array(chunk.lengthBytes)));
    return;
  }
  // One buffer per file, reused: each piece is written (awaited) before the buffer is filled again.
  const buffer = new Uint8Array(Math.min(WRITE_CHUNK_BYTES, chunk.lengthBytes));
  let filled = 0;
  let written = 0;
  const emit = async (bytes: Uint8Array): Promise<void> => {
    for (const part of placeInRanges(ranges, written, bytes)) {
      if (part.hole) {
        // A sparse file's hole: nothing is written, but the source must still read as zeros there.
        if (!allZeros(part.bytes)) {
          throw new GuestdiskError('IO_FAILED', `${describeContent(chunk.content)}: data appeared where it had a hole when the tree was read; the source changed while copying: run the command again`, { source: chunk.content.source, path: `${chunk.content.dir}/${chunk.content.name}` });
        }
        continue;
      }
      for (const piece of splitZeroRuns([part])) {
        if ('bytes' in piece) await send(piece.offsetBytes, piece.bytes);
        else if ('zeroBytes' in piece) await zeros(piece.offsetBytes, piece.zeroBytes);
      }
    }
    written += bytes.length;
  };
  let received = 0;
  for await (const piece of reader.read(chunk.content, chunk.contentBytes)) {
    received += piece.length;
    if (received > chunk.contentBytes) break;
    let from = 0;
    while (from < piece.length) {
      const k = Math.min(piece.length - from, buffer.length - filled);
      buffer.set(piece.subarray(from, from + k), filled);
      filled += k;
      from += k;
      if (filled === buffer.length) {
        await emit(buffer.subarray(0, Math.min(buffer.length, chunk.lengthBytes - written)));
        filled = 0;
      }
    }
  }
  if (received !== chunk.contentBytes) {
    throw new GuestdiskError('IO_FAILED', `${describeContent(chunk.content)}: expected ${chunk.contentBytes} bytes, read ${received}; the source changed while copying: run the command again`, {
      source: chunk.content.source, path: `${chunk.content.dir}/${chunk.content.name}`, expectedBytes: chunk.contentBytes, readBytes: received,
    });
  }
  // The tail: the file's last bytes, then zeros to the chunk's end (whole sectors or clusters), in buffer-sized
  // pieces: after the first, all zeros, which splitZeroRuns turns into zero ranges when long.
  while (written < chunk.lengthBytes) {
    const tail = Math.min(buffer.length, chunk.lengthBytes - written);
    buffer.fill(0, filled, tail);
    filled = 0;
    await emit(buffer.subarray(0, tail));
  }
}

/**
 * Starts target.flushBehind in the background after every FLUSH_BEHIND_BYTES written, never two at once. `settle`
 * waits for the one in flight and reports its failure.
 */
export function flushBehindScheduler(target: BlockTarget): { wrote(bytes: number): void; settle(): Promise<void> } {
  let sinceLast = 0;
  let inFlight: Promise<void> | null = null;
  let failure: unknown = null;
  return {
    wrote(bytes) {
      if (!target.flushBehind) return;
      sinceLast += bytes;
      if (sinceLast < FLUSH_BEHIND_BYTES || inFlight) return;
      sinceLast = 0;
      inFlight = target.flushBehind().then(
        () => { inFlight = null; },
        (e: unknown) => { inFlight = null; failure ??= e; },
      );
    },
    async settle() {
      if (inFlight) await inFlight;
      if (failure) throw failure;
    },
  };
}

/**
 * Where neighbouring chunks are merged before one write, reused from write to write: every write is awaited before
 * the next merge, and a target copies or writes the bytes before its write settles. One buffer for a whole step
 * (the copied files' data hands a writer call per batch) keeps a tree of small files from allocating a fresh
 * megabyte per write, garbage outside the V8 heap that the collector is slow to notice.
 */
export interface MergeBuffer {
  bytes: Uint8Array | null;
}

export function createMergeBuffer(): MergeBuffer {
  return { bytes: null };
}

function concatInto(merge: MergeBuffer, parts: Uint8Array[], length: number): Uint8Array {
  if (!merge.bytes || merge.bytes.length < length) merge.bytes = new Uint8Array(Math.max(length, WRITE_CHUNK_BYTES));
  const out = merge.bytes.subarray(0, length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `bytes`, which start `logical` bytes into a file, cut where its ranges (one after another on the target) end. */
function allZeros(bytes: Uint8Array): boolean {
  for (let at = 0; at < bytes.length; at += ZERO_SCAN_PAGE_BYTES) if (!isZeroRange(bytes, at, Math.min(bytes.length, at + ZERO_SCAN_PAGE_BYTES))) return false;
  return true;
}

/** One range of a content chunk, at its absolute offset; a hole takes content bytes but writes none. */
interface ContentRange {
  readonly at: number;
  readonly length: number;
  readonly hole: boolean;
}

function placeInRanges(ranges: readonly ContentRange[], logical: number, bytes: Uint8Array): { offsetBytes: number; bytes: Uint8Array; hole: boolean }[] {
  const out: { offsetBytes: number; bytes: Uint8Array; hole: boolean }[] = [];
  let rangeStart = 0;
  let from = 0;
  for (const r of ranges) {
    const rangeEnd = rangeStart + r.length;
    while (from < bytes.length && logical + from < rangeEnd && logical + from >= rangeStart) {
      const to = Math.min(bytes.length, rangeEnd - logical);
      out.push({ offsetBytes: r.at + (logical + from - rangeStart), bytes: bytes.subarray(from, to), hole: r.hole });
      from = to;
    }
    rangeStart = rangeEnd;
  }
  return out;
}
