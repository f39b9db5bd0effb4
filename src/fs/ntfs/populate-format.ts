// The chunks of a volume holding a copied tree (populate-plan.ts placed it), made as they are written: $MFT in pieces
// of PIECE_RECORDS records (never the whole table: 100,000 files are 100 MiB of records), each directory's INDX
// blocks beside its record, then the files' data as ContentChunks in the source's read order. A resident file's
// record is written twice: in $MFT with zeros for its data, then again, whole, once the data is read (the writer
// hands the bytes to `frame`); an interrupted copy leaves no boot sector, so the zeros are never seen.
import type { Chunk, ContentChunk, ContentPiece } from '../../disk-types.js';
import { encodeMftRecord } from './mft-record.js';
import { directoryIndexOf, encodeExtensionRecord, encodePopulatedRecord, childIndexEntries, type RecordContext } from './populate-record.js';
import { attributeListChunks } from './populate-extension-record.js';
import { FIRST_USER_RECORD, type PlacedItem } from './populate-plan.js';
import { buildDirectoryIndex } from './directory-index.js';
import { collateFileNames } from './collation.js';
import type { SystemFiles } from './system-files.js';
import type { NtfsPlan } from './volume-plan.js';
import type { Run } from './runlist.js';
import { concatBytes as concat } from '../../binary/concat.js';

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

function emptyRecord(plan: NtfsPlan, recordNumber: number): Uint8Array {
  return encodeMftRecord({ recordSize: plan.mftRecordSize, recordNumber, sequenceNumber: FREE_RECORD_SEQUENCE, linkCount: 0, flags: 0, nextAttrInstance: 0, attributes: [] });
}

/** Records [from, to) of $MFT, each with the INDX blocks of a directory (null for other records). A copied
 *  file's or directory's record is made in `into(r)` when given (zeros: its place in the piece being filled). */
function* mftRecords(plan: NtfsPlan, files: SystemFiles, ctx: RecordContext, from: number, to: number, withIndexes: boolean, into?: (r: number) => Uint8Array): Generator<{ bytes: Uint8Array; indexChunks: Chunk[] }> {
  const rs = plan.mftRecordSize;
  const items = ctx.population.items;
  for (let r = from; r < to; r++) {
    if (r < FIRST_USER_RECORD) {
      yield { bytes: files.mft.subarray(r * rs, (r + 1) * rs), indexChunks: [] };
      continue;
    }
    const item: PlacedItem | undefined = items[r - FIRST_USER_RECORD];
    if (!item) {
      yield { bytes: encodeExtensionRecord(r, ctx, into?.(r)) ?? emptyRecord(plan, r), indexChunks: [] };
      continue;
    }
    const index = item.kind === 'dir' ? directoryIndexOf(item, ctx) : null;
    const indexChunks = withIndexes && index && index.blocks.length > 0 && item.kind === 'dir' ? [...overRuns(item.indexRuns, plan.clusterSize, concat(index.blocks))] : [];
    const listed = withIndexes ? ctx.population.extensions.byBase.get(item.record) : undefined;
    if (listed) indexChunks.push(...attributeListChunks(listed, plan.clusterSize));
    yield { bytes: encodePopulatedRecord(item, ctx, null, index, into?.(r)), indexChunks };
  }
}

/** $MFT:$DATA in pieces at its place, each directory's INDX blocks after the piece holding its record. */
export function* populatedMftChunks(plan: NtfsPlan, files: SystemFiles, ctx: RecordContext): Generator<Chunk> {
  const rs = plan.mftRecordSize;
  const base = plan.mftLcn * plan.clusterSize;
  for (let first = 0; first < files.mftRecordCount; first += PIECE_RECORDS) {
    const last = Math.min(first + PIECE_RECORDS, files.mftRecordCount);
    const piece = new Uint8Array((last - first) * rs);
    const indexChunks: Chunk[] = [];
    let r = first;
    const slot = (n: number): Uint8Array => piece.subarray((n - first) * rs, (n - first + 1) * rs);
    for (const { bytes, indexChunks: idx } of mftRecords(plan, files, ctx, first, last, true, slot)) {
      if (bytes.buffer !== piece.buffer) piece.set(bytes, (r - first) * rs);
      indexChunks.push(...idx);
      r++;
    }
    yield { offsetBytes: base + first * rs, bytes: piece };
    yield* indexChunks;
  }
  const tail = files.mftClusters * plan.clusterSize - files.mftRecordCount * rs;
  if (tail > 0) yield { offsetBytes: base + files.mftRecordCount * rs, zeroBytes: tail };
}

/** $MFTMirr: the first records of $MFT, as many as its clusters hold. */
export function populatedMirrorBytes(plan: NtfsPlan, files: SystemFiles, ctx: RecordContext): Uint8Array {
  const records = Math.min((files.mftMirrClusters * plan.clusterSize) / plan.mftRecordSize, files.mftRecordCount);
  const out = new Uint8Array(files.mftMirrClusters * plan.clusterSize);
  let r = 0;
  for (const { bytes } of mftRecords(plan, files, ctx, 0, records, false)) out.set(bytes, r++ * plan.mftRecordSize);
  return out;
}

/** The root directory's INDX blocks (its $INDEX_ROOT is in record 5, built with the system files). */
export function* rootIndexChunks(plan: NtfsPlan, files: SystemFiles, ctx: RecordContext, systemEntries: readonly { name: string; entry: Uint8Array }[], rootRoomBytes: number): Generator<Chunk> {
  const population = ctx.population;
  if (population.rootIndexBlocks === 0) return;
  const entries = [...systemEntries, ...childIndexEntries(population.root, 5, ctx)].sort((a, b) => collateFileNames(files.upcase, a.name, b.name)).map((e) => e.entry);
  const index = buildDirectoryIndex({ entries, indexBlockSize: plan.indexRecordSize, clusterSize: plan.clusterSize, rootRoomBytes });
  yield* overRuns(population.rootIndexRuns, plan.clusterSize, concat(index.blocks));
}

/** The files' data in the sources' read order (ContentRef.order): resident files as their whole record. */
export function* populatedFileChunks(plan: NtfsPlan, ctx: RecordContext): Generator<ContentChunk> {
  const cs = plan.clusterSize;
  const withData = ctx.population.items.filter((i): i is Extract<PlacedItem, { kind: 'file' }> => i.kind === 'file' && i.node.sizeBytes > 0);
  withData.sort((a, b) => a.node.content.source - b.node.content.source || a.node.content.order - b.node.content.order || a.record - b.record);
  for (const item of withData) {
    if (item.resident) {
      yield {
        offsetBytes: plan.mftLcn * cs + item.record * plan.mftRecordSize,
        content: item.node.content,
        contentBytes: item.node.sizeBytes,
        lengthBytes: plan.mftRecordSize,
        frame: (content) => encodePopulatedRecord(item, ctx, content, null),
      };
      continue;
    }
    const lengthBytes = cs <= SLACK_PAD_MAX_BYTES ? item.clusters * cs : Math.ceil(item.node.sizeBytes / plan.bytesPerSector) * plan.bytesPerSector;
    const firstData = item.runs.find((r) => r.lcn !== null);
    if (!firstData) continue; // all holes: nothing to write
    yield {
      offsetBytes: firstData.lcn! * cs,
      content: item.node.content,
      contentBytes: item.node.sizeBytes,
      lengthBytes,
      ...(item.runs.length > 1 || item.dataExtents ? { pieces: runPieces(item.runs, cs, lengthBytes) } : {}),
    };
  }
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
