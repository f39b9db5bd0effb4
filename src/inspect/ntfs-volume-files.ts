// What the NTFS system-file checks share: records 0–26 as read through $MFT's runlist, $MFT's runs for reading any
// other record, and the stream readers they all use. Read-only and bounded; decoder errors stay GuestdiskErrors
// until a check turns them into findings.
import { isGuestdiskError } from '../errors.js';
import { MFT_RECORD_FLAG, NTFS_RECORD_SIGNATURE, SYSTEM_FILE, ATTR_TYPE } from '../fs/ntfs/attribute-types.js';
import { decodeAttributes, type DecodedAttribute } from '../fs/ntfs/attributes/attribute-header.js';
import { decodeMftRecord, MFT_RECORD_HEADER } from '../fs/ntfs/mft-record.js';
import { decodeRunlist, type Run } from '../fs/ntfs/runlist.js';
import type { BlockTarget } from '../target/block-target.js';
import { reportFinding, type FindingCode, type InspectFinding } from './finding-codes.js';

export interface NtfsSystemGeometry {
  readonly clusterSize: number;
  readonly clusterCount: number;
  readonly mftRecordSize: number;
  readonly indexRecordSize: number;
}

export const S = 'NtfsVolume';
/** Records 0–11 are the system files proper; all must be in use. */
export const LAST_SYSTEM_RECORD = SYSTEM_FILE.EXTEND;
/** Records 12–26 are checked when they hold a record ($Extend's children sit at 24–26 on mkntfs volumes). */
export const LAST_CHECKED_RECORD = 26;
/** The system files' $Bitmap comparison reads at most this much $Bitmap. */
export const MAX_BITMAP_BYTES = 8 * 1024 * 1024;
export const MAX_RUNS = 4096;

export type Reader = (n: number) => Promise<Uint8Array | null>;

export interface Loaded {
  readonly flags: number;
  readonly attrs: readonly DecodedAttribute[];
}

/** What the checks share: records 0–26 as read, and the way to read any other. */
export interface NtfsSystemFiles {
  readonly volume: BlockTarget;
  readonly g: NtfsSystemGeometry;
  readonly mftRecordCount: number;
  readonly readRecord: Reader;
  /** $MFT's $DATA runs, to read records a batch at a time. */
  readonly mftRuns: readonly Run[];
  /** Records 0–26: decoded, or why not. A reserved record (12–26) that never held a record is absent. */
  readonly records: ReadonlyMap<number, Loaded | string>;
}

/** What a stream is read from: a volume, or a block cache over it. */
export type ByteReader = Pick<BlockTarget, 'read' | 'sizeBytes'>;

/** Reads [offset, offset+length) of a non-resident stream through its runs (sparse runs read as zeros). */
export async function readStream(volume: ByteReader, runs: readonly Run[], clusterSize: number, offsetBytes: number, lengthBytes: number): Promise<Uint8Array | null> {
  const out = new Uint8Array(lengthBytes);
  return (await readStreamInto(volume, runs, clusterSize, offsetBytes, out)) ? out : null;
}

/**
 * readStream into the caller's array (its whole length), reusing it from one piece to the next: a whole-MFT walk
 * would otherwise allocate a fresh piece per read, and memory outside the heap is given back only at a full
 * garbage collection. False when the runs do not map it all or it lies outside the volume.
 */
export async function readStreamInto(volume: ByteReader & Pick<BlockTarget, 'readInto'>, runs: readonly Run[], clusterSize: number, offsetBytes: number, out: Uint8Array): Promise<boolean> {
  const lengthBytes = out.length;
  if (lengthBytes === 0) return true;
  let vcnBytes = 0;
  let done = 0;
  for (const run of runs) {
    const runBytes = run.length * clusterSize;
    const from = offsetBytes + done;
    if (from >= vcnBytes && from < vcnBytes + runBytes) {
      const n = Math.min(lengthBytes - done, vcnBytes + runBytes - from);
      const into = out.subarray(done, done + n);
      if (run.lcn === null) {
        into.fill(0);
      } else {
        const at = run.lcn * clusterSize + (from - vcnBytes);
        if (at < 0 || at + n > volume.sizeBytes) return false;
        if (volume.readInto) await volume.readInto(at, into);
        else into.set(await volume.read(at, n));
      }
      done += n;
      if (done === lengthBytes) return true;
    }
    vcnBytes += runBytes;
  }
  return false;
}

/** The record's magic, read through the MFT record table (no fixups needed for the first sector). */
export function hasFileMagic(bytes: Uint8Array): boolean {
  return bytes.length >= MFT_RECORD_HEADER.sizeBytes && MFT_RECORD_HEADER.decode(bytes).magic === NTFS_RECORD_SIGNATURE.FILE;
}

export function isInUse(bytes: Uint8Array): boolean {
  return (MFT_RECORD_HEADER.decode(bytes).flags & MFT_RECORD_FLAG.IN_USE) !== 0;
}

export function runsOf(a: DecodedAttribute | undefined): Run[] | null {
  if (!a?.nonResident) return null;
  return decodeRunlist(a.nonResident.mappingPairs, MAX_RUNS);
}

/** A stream's bytes: resident value or the first `cap` bytes through the runs (at most its data size). */
export async function streamBytes(volume: BlockTarget, a: DecodedAttribute | undefined, clusterSize: number, cap: number): Promise<Uint8Array | null> {
  if (!a) return null;
  if (a.resident) return a.resident.value.subarray(0, cap);
  const runs = runsOf(a);
  if (!runs || !a.nonResident) return null;
  const size = Math.min(cap, a.nonResident.header.dataSize);
  if (size <= 0) return new Uint8Array(0);
  return readStream(volume, runs, clusterSize, 0, size);
}

export function errText(e: unknown): string {
  if (isGuestdiskError(e)) return e.message;
  throw e;
}

export async function loadRecord(readRecord: Reader, g: NtfsSystemGeometry, n: number): Promise<Loaded | string> {
  const bytes = await readRecord(n);
  if (!bytes) return 'not mapped by $MFT\'s runlist';
  try {
    const { header, record } = decodeMftRecord(bytes, g.mftRecordSize);
    // A free record past the system files holds whatever its formatter or last owner left (Windows and other
    // formatters leave reserved records 16–23 as a bare header over zeros): nothing reads its attributes, so
    // they are no damage. Free system records (0–11) are a finding of their own and keep their attributes.
    if (n > LAST_SYSTEM_RECORD && (header.flags & MFT_RECORD_FLAG.IN_USE) === 0) return { flags: header.flags, attrs: [] };
    return { flags: header.flags, attrs: decodeAttributes(record, header.attrsOffset, header.bytesInUse) };
  } catch (e) {
    return errText(e);
  }
}

/** Reads records 0–26 (12–26 only when they carry 'FILE'), for the checks below. */
export async function loadNtfsSystemFiles(volume: BlockTarget, g: NtfsSystemGeometry, mftRecordCount: number, mftRuns: readonly Run[], readRecord: Reader): Promise<NtfsSystemFiles> {
  const records = new Map<number, Loaded | string>();
  for (let n = 0; n <= Math.min(LAST_CHECKED_RECORD, mftRecordCount - 1); n++) {
    if (n > LAST_SYSTEM_RECORD) {
      const bytes = await readRecord(n);
      if (!bytes || !hasFileMagic(bytes)) continue; // reserved records may be empty
    }
    records.set(n, await loadRecord(readRecord, g, n));
  }
  return { volume, g, mftRecordCount, readRecord, mftRuns, records };
}

export function loadedRecord(sf: NtfsSystemFiles, n: number): Loaded | undefined {
  const r = sf.records.get(n);
  return typeof r === 'string' ? undefined : r;
}

export function dataOf(sf: NtfsSystemFiles, n: number, name = ''): DecodedAttribute | undefined {
  return loadedRecord(sf, n)?.attrs.find((a) => a.type === ATTR_TYPE.DATA && a.name === name);
}

/** Runs `f`; a decoder error on the way becomes a finding of `code` saying `what` cannot be read. */
export async function unreadableAs(code: FindingCode, what: string, f: () => Promise<InspectFinding[]>): Promise<InspectFinding[]> {
  try {
    return await f();
  } catch (e) {
    return [reportFinding(code, { structure: S, field: what, actual: errText(e), message: `${what} cannot be read: ${errText(e)}` })];
  }
}
