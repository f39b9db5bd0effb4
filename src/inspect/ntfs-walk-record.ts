// The one pass over $MFT that every whole-volume NTFS check shares: $MFT read in large sequential pieces through
// its runs, each record slot tested for 'FILE' and IN_USE straight from the header's table offsets, each in-use
// record decoded once (fixups, header, attributes), and every visitor called in turn. A visitor gathers what its
// check compares and returns it from finish(); the list of visitors and the cached pass are in ntfs-mft-walk.ts.
// Memory: one piece of $MFT (WALK_READ_BYTES) plus what the visitors keep.
import { intFieldReader, viewOf } from '../binary/fields.js';
import { MFT_RECORD_FLAG, NTFS_RECORD_SIGNATURE } from '../fs/ntfs/attribute-types.js';
import { decodeAttributes, type DecodedAttribute } from '../fs/ntfs/attributes/attribute-header.js';
import { decodeMftRecordEssentialsInPlace, MFT_RECORD_HEADER } from '../fs/ntfs/mft-record.js';
import { decodeMftRefAt } from '../fs/ntfs/ntfs-time.js';
import { errText, readStreamInto, type NtfsSystemFiles } from './ntfs-volume-files.js';

/** $MFT bytes per volume read: large enough that reads cost little beside decoding, small enough to stay flat. */
export const WALK_READ_BYTES = 4 * 1024 * 1024;
/** How many examples of each kind of damage a walk keeps (the counts go on). */
export const MAX_EXAMPLES = 16;

export interface RecordProblem {
  readonly record: number;
  readonly why: string;
}

/** Counted problems with their first few examples. */
export interface Examples<T> {
  count: number;
  readonly first: T[];
}

export function examples<T>(): Examples<T> {
  return { count: 0, first: [] };
}

export function note<T>(e: Examples<T>, item: T): void {
  if (e.count++ < MAX_EXAMPLES) e.first.push(item);
}

/** An in-use MFT record as decoded once for every visitor. */
export interface WalkRecord {
  readonly n: number;
  /** The record with its fixups removed: a view into the buffer the pass reuses, valid during the visit only (copy what you keep). */
  readonly record: Uint8Array;
  readonly sequenceNumber: number;
  readonly linkCount: number;
  /** MFT_RECORD_FLAG.* */
  readonly flags: number;
  /** Where the attributes start and the bytes in use end, as the header says (to decode a kept copy again). */
  readonly attrsOffset: number;
  readonly bytesInUse: number;
  /** The base record this is an extension of; null for a base record. */
  readonly base: { readonly recordNumber: number; readonly sequenceNumber: number } | null;
  readonly attrs: readonly DecodedAttribute[];
}

/**
 * What a check sees of the pass. Every method but finish is optional; they are called in record order:
 * batch() before each piece, then for each record slot() and, when it is in use, record() or damaged().
 */
export interface MftVisitor<R> {
  /** Records [first, first + count) come next: read the matching piece of whatever is compared with them. */
  batch?(first: number, count: number): Promise<void>;
  /** Every record slot, in use ('FILE' and IN_USE) or not, whether or not it decodes. */
  slot?(n: number, inUse: boolean): void;
  /** Every in-use record that decodes. */
  record?(r: WalkRecord): void;
  /** Every in-use record that does not decode, and why. */
  damaged?(n: number, why: string): void;
  /** After the last record. `unreadFrom`: the first record $MFT's runs could not be read at (null: all read). */
  finish(unreadFrom: number | null): R;
}

/** A visitor made fresh for each volume's pass. */
export type MftVisitorFactory<R> = (sf: NtfsSystemFiles) => MftVisitor<R>;

const readMagic = intFieldReader(MFT_RECORD_HEADER, 'magic');
const readFlags = intFieldReader(MFT_RECORD_HEADER, 'flags');
const BASE_MFT_RECORD_OFFSET = MFT_RECORD_HEADER.fieldRange('baseMftRecord').offsetBytes;

/** Whether the slot at `at` of a piece holds an in-use record (the header's first sector needs no fixups). */
function slotInUse(view: DataView, at: number): boolean {
  return readMagic(view, at) === NTFS_RECORD_SIGNATURE.FILE && (readFlags(view, at) & MFT_RECORD_FLAG.IN_USE) !== 0;
}

/** Decodes the in-use record at `at` of the buffer once for every visitor; a decoder error is returned as its message. */
function decodeWalkRecord(n: number, buffer: Uint8Array, view: DataView, at: number, recordSize: number): WalkRecord | string {
  try {
    // The buffer is ours and read afresh for each piece: fixups are removed in it, no copy per record.
    const { fields, record } = decodeMftRecordEssentialsInPlace(buffer.subarray(at, at + recordSize), view, at, recordSize);
    const base = decodeMftRefAt(record, BASE_MFT_RECORD_OFFSET);
    const attrs = decodeAttributes(record, fields.attrsOffset, fields.bytesInUse);
    return {
      n, record, sequenceNumber: fields.sequenceNumber, linkCount: fields.linkCount, flags: fields.flags,
      attrsOffset: fields.attrsOffset, bytesInUse: fields.bytesInUse,
      base: base.recordNumber === 0 && base.sequenceNumber === 0 ? null : base, attrs,
    };
  } catch (e) {
    return errText(e);
  }
}

/**
 * Reads records [first, first + count) into `buffer` (reused for every piece); a piece the runs cannot map is
 * retried record by record up to the gap. Returns how many records were read.
 */
async function readPiece(sf: NtfsSystemFiles, first: number, count: number, buffer: Uint8Array): Promise<number> {
  const size = sf.g.mftRecordSize;
  const read = (n: number, records: number): Promise<boolean> => readStreamInto(sf.volume, sf.mftRuns, sf.g.clusterSize, n * size, buffer.subarray((n - first) * size, (n - first + records) * size));
  if (await read(first, count)) return count;
  let got = 0;
  while (got < count && (await read(first + got, 1))) got++;
  return got;
}

/** Runs one pass over every record of `sf`'s $MFT, feeding `visitors`; returns their results in order. */
export async function walkMftRecords(sf: NtfsSystemFiles, visitors: readonly MftVisitor<unknown>[]): Promise<unknown[]> {
  const size = sf.g.mftRecordSize;
  const total = sf.mftRecordCount;
  const perPiece = Math.max(1, Math.floor(WALK_READ_BYTES / size));
  const slots = visitors.filter((v) => v.slot);
  const records = visitors.filter((v) => v.record);
  const damaged = visitors.filter((v) => v.damaged);
  let unreadFrom: number | null = null;
  const buffer = new Uint8Array(Math.min(perPiece, total) * size);
  const view = viewOf(buffer);
  for (let first = 0; first < total && unreadFrom === null; first += perPiece) {
    const wanted = Math.min(perPiece, total - first);
    const count = await readPiece(sf, first, wanted, buffer);
    if (count < wanted) unreadFrom = first + count;
    for (const v of visitors) await v.batch?.(first, count);
    for (let i = 0; i < count; i++) {
      const n = first + i;
      const inUse = slotInUse(view, i * size);
      for (const v of slots) v.slot!(n, inUse);
      if (!inUse) continue;
      const r = decodeWalkRecord(n, buffer, view, i * size, size);
      if (typeof r === 'string') for (const v of damaged) v.damaged!(n, r);
      else for (const v of records) v.record!(r);
    }
  }
  return visitors.map((v) => v.finish(unreadFrom));
}
