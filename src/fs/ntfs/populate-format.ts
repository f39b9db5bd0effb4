// The chunks of a volume holding a copied tree (populate-plan.ts placed it), made as they are written: $MFT in pieces
// of PIECE_RECORDS records (never the whole table: 100,000 files are 100 MiB of records), each directory's INDX
// blocks beside its record, then the files' data as ContentChunks in the source's read order.
// Resident files (their data inside their record) and the write-once rule: a piece whose resident files come one
// after the other in the read order (every piece, for a directory source, which numbers files as records are
// numbered) is written whole in the files step, once, when the last of them is read: the others' bytes are kept
// until then (lengthBytes 0 chunks, whose `frame` only keeps them: one piece's worth at most). A piece whose
// resident files are read among other pieces' (a tar archive in another order) is written in the body with zeros
// for their data, and each such record again once its bytes are read. Either way an interrupted copy leaves no
// boot sector, so a piece not yet written or zeros in place of data are never seen.
import type { Chunk, ContentChunk, ContentPiece, ContentRef, TreeFile } from '../../disk-types.js';
import { encodeMftRecordInto } from './mft-record.js';
import { directoryIndexOf, encodeExtensionRecord, encodePopulatedRecord, childIndexEntries, indexRecordValues, type IndexRecordValues, type RecordContext } from './populate-record.js';
import { attributeListChunks } from './populate-extension-record.js';
import { FIRST_USER_RECORD, type NtfsPopulation, type PlacedFile, type PlacedItem } from './populate-plan.js';
import { buildDirectoryIndex } from './directory-index.js';
import { collateFileNames } from './collation.js';
import type { SystemFiles } from './system-files.js';
import type { NtfsPlan } from './volume-plan.js';
import type { Run } from './runlist.js';

/** Records per $MFT piece: 256 KiB with 1 KiB records. */
const PIECE_RECORDS = 256;
/** Clusters up to this size get their slack written as zeros, so a directory's small files merge into one write
 *  (as the exFAT and FAT32 copies do). */
const SLACK_PAD_MAX_BYTES = 4096;
/** Sequence number of a record never used. */
const FREE_RECORD_SEQUENCE = 1;

export function recordContext(plan: NtfsPlan, files: SystemFiles): RecordContext {
  return {
    mftRecordSize: plan.mftRecordSize,
    clusterSize: plan.clusterSize,
    indexRecordSize: plan.indexRecordSize,
    timestamp: plan.timestamp,
    upcase: files.upcase,
    population: files.population!,
  };
}

/** `bytes` laid over the clusters of `runs` (absolute offsets), the rest of the clusters as zeros. */
function* overRuns(runs: readonly Run[], clusterSize: number, bytes: Uint8Array): Generator<Chunk> {
  let at = 0;
  for (const run of runs) {
    if (run.lcn === null) continue;
    const length = run.length * clusterSize;
    const part = bytes.subarray(Math.min(at, bytes.length), Math.min(at + length, bytes.length));
    if (part.length > 0) yield { offsetBytes: run.lcn * clusterSize, bytes: part };
    if (part.length < length) yield { offsetBytes: run.lcn * clusterSize + part.length, zeroBytes: length - part.length };
    at += length;
  }
}

/** An unused record of $MFT (past the copied tree, up to the cluster's end), as mkntfs leaves them. */
function encodeEmptyRecordInto(plan: NtfsPlan, recordNumber: number, out: Uint8Array): void {
  encodeMftRecordInto({ recordSize: plan.mftRecordSize, recordNumber, sequenceNumber: FREE_RECORD_SEQUENCE, linkCount: 0, flags: 0, nextAttrInstance: 0, attributes: [] }, out);
}

/**
 * Record `r` of $MFT into `slot` (zeros, one record long): a system record as built, an unused one, or a copied
 * file's or directory's. A resident file's data is `content` (zeros when null); a directory's $I30 values are
 * `dirValues` when the body kept them, else its index is built here and its INDX blocks pushed to `indexChunks`
 * (when given).
 */
function encodeRecordInto(plan: NtfsPlan, files: SystemFiles, ctx: RecordContext, r: number, slot: Uint8Array, content: Uint8Array | null, indexChunks: Chunk[] | null, dirValues?: IndexRecordValues): void {
  const rs = plan.mftRecordSize;
  if (r < FIRST_USER_RECORD) {
    slot.set(files.mft.subarray(r * rs, (r + 1) * rs));
    return;
  }
  const item: PlacedItem | undefined = ctx.population.items[r - FIRST_USER_RECORD];
  if (!item) {
    if (!encodeExtensionRecord(r, ctx, slot)) encodeEmptyRecordInto(plan, r, slot);
    return;
  }
  if (item.kind === 'file' && indexChunks) indexChunks.push(...listChunksOf(ctx, item));
  if (item.kind !== 'dir' || dirValues) {
    encodePopulatedRecord(item, ctx, content, dirValues ?? null, slot);
    return;
  }
  const index = directoryIndexOf(item, ctx);
  if (indexChunks && index.blocks.length > 0) indexChunks.push(...overRuns(item.indexRuns, plan.clusterSize, index.blockBytes));
  encodePopulatedRecord(item, ctx, null, indexRecordValues(index), slot);
}

/** Which $MFT pieces the files step writes whole (see the head of this file), and the read order it follows. */
interface MftSchedule {
  /** indexes into population.items of the files with data, in the sources' read order (contentOrder) */
  readonly order: Uint32Array;
  /** per piece: the item whose chunk writes the whole piece (the last of its resident files in `order`), or −1
   *  when the body writes the piece */
  readonly closer: Int32Array;
  /** per piece: its resident files with data, whose bytes its closer's chunk must have been given */
  readonly residentCount: Uint32Array;
  /** the $I30 values of the directories in pieces the files step writes, made when the body wrote their INDX
   *  blocks (an index is built once), taken when the piece is written */
  readonly dirValues: Map<number, IndexRecordValues>;
}

const schedules = new WeakMap<NtfsPopulation, MftSchedule>();

/** The schedule of `population` (the same for the body and the files step, which each ask for it). */
function mftSchedule(population: NtfsPopulation, mftRecordCount: number): MftSchedule {
  let schedule = schedules.get(population);
  if (schedule) return schedule;
  const order = contentOrder(population.items);
  const pieces = Math.ceil(mftRecordCount / PIECE_RECORDS);
  const closer = new Int32Array(pieces).fill(-1);
  const residentCount = new Uint32Array(pieces);
  // Per piece: 0 no resident file read yet, 1 read so far in one stretch, 2 left, 3 returned to after leaving.
  const state = new Uint8Array(pieces);
  let current = -1;
  for (const i of order) {
    const item = population.items[i] as PlacedFile;
    if (!item.resident) continue;
    const piece = Math.floor(item.record / PIECE_RECORDS);
    if (piece !== current) {
      if (current >= 0 && state[current] === 1) state[current] = 2;
      state[piece] = state[piece] === 0 ? 1 : 3;
      current = piece;
    }
    closer[piece] = i;
    residentCount[piece]++;
  }
  for (let p = 0; p < pieces; p++) if (state[p] === 3) closer[p] = -1;
  schedule = { order, closer, residentCount, dirValues: new Map() };
  schedules.set(population, schedule);
  return schedule;
}

/** $MFT:$DATA in pieces at its place, each directory's INDX blocks after the piece holding its record; pieces the
 *  files step writes are left out (only their directories' INDX blocks are written here). */
export function* populatedMftChunks(plan: NtfsPlan, files: SystemFiles, ctx: RecordContext): Generator<Chunk> {
  const rs = plan.mftRecordSize;
  const base = plan.mftLcn * plan.clusterSize;
  const schedule = mftSchedule(ctx.population, files.mftRecordCount);
  for (let first = 0; first < files.mftRecordCount; first += PIECE_RECORDS) {
    const last = Math.min(first + PIECE_RECORDS, files.mftRecordCount);
    if (schedule.closer[first / PIECE_RECORDS] >= 0) {
      yield* deferredPieceIndexes(plan, ctx, schedule, first, last);
      continue;
    }
    const indexChunks: Chunk[] = [];
    yield { offsetBytes: base + first * rs, bytes: encodePiece(plan, files, ctx, first, last, indexChunks) };
    yield* indexChunks;
  }
  const tail = files.mftClusters * plan.clusterSize - files.mftRecordCount * rs;
  if (tail > 0) yield { offsetBytes: base + files.mftRecordCount * rs, zeroBytes: tail };
}

/** Records [first, last) in a fresh piece; the INDX blocks of its directories go to `indexChunks` when given.
 *  Resident data from `contentOf`; directories' $I30 values from `dirValues` where the body kept them. */
function encodePiece(plan: NtfsPlan, files: SystemFiles, ctx: RecordContext, first: number, last: number, indexChunks: Chunk[] | null, contentOf?: (r: number) => Uint8Array | null, dirValues?: Map<number, IndexRecordValues>): Uint8Array {
  const rs = plan.mftRecordSize;
  const piece = new Uint8Array((last - first) * rs);
  for (let r = first; r < last; r++) {
    const values = dirValues?.get(r);
    if (values) dirValues!.delete(r);
    encodeRecordInto(plan, files, ctx, r, piece.subarray((r - first) * rs, (r - first + 1) * rs), contentOf?.(r) ?? null, indexChunks, values);
  }
  return piece;
}

/** The INDX blocks of the directories in records [first, last), a piece the files step writes; their $I30 values
 *  are kept for it. */
function* deferredPieceIndexes(plan: NtfsPlan, ctx: RecordContext, schedule: MftSchedule, first: number, last: number): Generator<Chunk> {
  const items = ctx.population.items;
  for (let r = Math.max(first, FIRST_USER_RECORD); r < last; r++) {
    const item = items[r - FIRST_USER_RECORD];
    if (item?.kind === 'file') yield* listChunksOf(ctx, item);
    if (item?.kind !== 'dir') continue;
    const index = directoryIndexOf(item, ctx);
    schedule.dirValues.set(r, indexRecordValues(index));
    if (index.blocks.length > 0) yield* overRuns(item.indexRuns, plan.clusterSize, index.blockBytes);
  }
}

/** The clusters of a non-resident $ATTRIBUTE_LIST of `file` (none for most files), written beside its record. */
function listChunksOf(ctx: RecordContext, file: PlacedFile): Chunk[] {
  const listed = ctx.population.extensions.byBase.get(file.record);
  return listed ? [...attributeListChunks(listed, ctx.clusterSize)] : [];
}

/** $MFTMirr: the first records of $MFT, as many as its clusters hold. */
export function populatedMirrorBytes(plan: NtfsPlan, files: SystemFiles, ctx: RecordContext): Uint8Array {
  const rs = plan.mftRecordSize;
  const records = Math.min((files.mftMirrClusters * plan.clusterSize) / rs, files.mftRecordCount);
  const out = new Uint8Array(files.mftMirrClusters * plan.clusterSize);
  for (let r = 0; r < records; r++) encodeRecordInto(plan, files, ctx, r, out.subarray(r * rs, (r + 1) * rs), null, null);
  return out;
}

/** The root directory's INDX blocks (its $INDEX_ROOT is in record 5, built with the system files). */
export function* rootIndexChunks(plan: NtfsPlan, files: SystemFiles, ctx: RecordContext, systemEntries: readonly { name: string; entry: Uint8Array }[], rootRoomBytes: number): Generator<Chunk> {
  const population = ctx.population;
  if (population.rootIndexBlocks === 0) return;
  const entries = [...systemEntries, ...childIndexEntries(population.root, 5, ctx)].sort((a, b) => collateFileNames(files.upcase, a.name, b.name)).map((e) => e.entry);
  const index = buildDirectoryIndex({ entries, indexBlockSize: plan.indexRecordSize, clusterSize: plan.clusterSize, rootRoomBytes });
  yield* overRuns(population.rootIndexRuns, plan.clusterSize, index.blockBytes);
}

/** The items with data to copy (files of at least one byte), as indexes into `items`, in the sources' read order
 *  (ContentRef.order; records break ties): a typed array, not an array of the items sorted. */
export function contentOrder(items: readonly PlacedItem[]): Uint32Array {
  let count = 0;
  for (const item of items) if (item.kind === 'file' && item.node.sizeBytes > 0) count++;
  const order = new Uint32Array(count);
  let n = 0;
  items.forEach((item, i) => {
    if (item.kind === 'file' && item.node.sizeBytes > 0) order[n++] = i;
  });
  const before = (a: number, b: number): number => {
    const ca = contentRefOf(items[a].node as TreeFile);
    const cb = contentRefOf(items[b].node as TreeFile);
    return ca.source - cb.source || ca.order - cb.order || a - b;
  };
  // A directory source numbers its files in the order records are given, so the order is usually there already.
  for (let i = 1; i < order.length; i++) {
    if (before(order[i - 1], order[i]) > 0) return order.sort(before);
  }
  return order;
}

/** The files' data in the sources' read order (ContentRef.order): resident files as their whole record, or, in a
 *  piece the files step writes, kept until the last of them writes the piece (see the head of this file). */
export function* populatedFileChunks(plan: NtfsPlan, files: SystemFiles, ctx: RecordContext): Generator<ContentChunk> {
  const cs = plan.clusterSize;
  const rs = plan.mftRecordSize;
  const base = plan.mftLcn * cs;
  const items = ctx.population.items;
  const schedule = mftSchedule(ctx.population, files.mftRecordCount);
  // The resident data of the piece being gathered (one piece at a time: the schedule makes sure of it).
  const kept = new Map<number, Uint8Array>();
  for (const i of schedule.order) {
    const item = items[i] as PlacedFile;
    if (item.resident) {
      const pieceIndex = Math.floor(item.record / PIECE_RECORDS);
      const closer = schedule.closer[pieceIndex];
      const common = { content: contentRefOf(item.node), contentBytes: item.node.sizeBytes };
      if (closer < 0) {
        yield { ...common, offsetBytes: base + item.record * rs, lengthBytes: rs, frame: (content, into) => encodePopulatedRecord(item, ctx, content, null, into) };
      } else if (closer !== i) {
        yield { ...common, offsetBytes: base + item.record * rs, lengthBytes: 0, frame: (content) => keep(kept, item.record, content) };
      } else {
        const first = pieceIndex * PIECE_RECORDS;
        const last = Math.min(first + PIECE_RECORDS, files.mftRecordCount);
        yield {
          ...common,
          offsetBytes: base + first * rs,
          lengthBytes: (last - first) * rs,
          frame: (content) => {
            kept.set(item.record, content);
            if (kept.size !== schedule.residentCount[pieceIndex]) {
              // Zeros in place of a file's data would be written without a word: never.
              throw new Error(`internal: $MFT piece ${pieceIndex} has the data of ${kept.size} of its ${schedule.residentCount[pieceIndex]} resident files (a chunk of length 0 was not handed to its frame)`);
            }
            const piece = encodePiece(plan, files, ctx, first, last, null, (r) => kept.get(r) ?? null, schedule.dirValues);
            kept.clear();
            return piece;
          },
        };
      }
      continue;
    }
    const lengthBytes = cs <= SLACK_PAD_MAX_BYTES ? item.clusters * cs : Math.ceil(item.node.sizeBytes / plan.bytesPerSector) * plan.bytesPerSector;
    if (!item.runs) {
      yield { offsetBytes: item.lcn * cs, content: contentRefOf(item.node), contentBytes: item.node.sizeBytes, lengthBytes };
      continue;
    }
    const firstData = item.runs.find((r) => r.lcn !== null);
    if (!firstData) continue; // all holes: nothing to write
    yield {
      offsetBytes: firstData.lcn! * cs,
      content: contentRefOf(item.node),
      contentBytes: item.node.sizeBytes,
      lengthBytes,
      pieces: runPieces(item.runs, cs, lengthBytes),
    };
  }
}

const NO_BYTES = new Uint8Array(0);

/** A frame that writes nothing and keeps (a copy of) the content for its piece's last resident file. */
function keep(kept: Map<number, Uint8Array>, record: number, content: Uint8Array): Uint8Array {
  kept.set(record, content.slice());
  return NO_BYTES;
}

/** Where a copied file's bytes come from: the file itself (a TreeFile is its own ContentRef). */
function contentRefOf(file: TreeFile): ContentRef {
  return file;
}

/** A file's runs as the byte ranges its `lengthBytes` fill, one after another; a sparse run is a hole piece. */
function runPieces(runs: readonly Run[], clusterSize: number, lengthBytes: number): ContentPiece[] {
  const out: ContentPiece[] = [];
  let left = lengthBytes;
  for (const run of runs) {
    if (left <= 0) break;
    const length = Math.min(left, run.length * clusterSize);
    out.push(run.lcn === null ? { offsetBytes: 0, lengthBytes: length, hole: true } : { offsetBytes: run.lcn * clusterSize, lengthBytes: length });
    left -= length;
  }
  return out;
}
