// NTFS system-file checks for verify, one small function each (NTFS_SYSTEM_FILE_CHECKS): MFT records 0–26 read
// through $MFT's own runlist (signature, fixups, in-use flag), $MFT:$BITMAP, $UpCase, $AttrDef, $LogFile's restart
// page, the first $Secure:$SDS entry, the $Secure index roots, the root directory's first INDX block, and $Bitmap
// against the clusters the files use. Read-only and bounded: at most MAX_RECORDS records, MAX_STREAM_BYTES per
// stream read, MAX_BITMAP_BYTES of $Bitmap; garbage gives findings.
import { GuestdiskError, isGuestdiskError } from '../errors.js';
import { ATTR_TYPE, COLLATION, INDEX_ENTRY_FLAG, INDEX_HEADER_FLAG, INDEX_NAME, MFT_RECORD_FLAG, NTFS_RECORD_SIGNATURE, STREAM_NAME, SYSTEM_FILE } from '../fs/ntfs/attribute-types.js';
import { buildAttrDef, decodeAttrDef } from '../fs/ntfs/attrdef.js';
import { decodeAttributes, type DecodedAttribute } from '../fs/ntfs/attributes/attribute-header.js';
import { VIEW_INDEX_ENTRY_HEADER } from '../fs/ntfs/index-entry.js';
import { clustersPerIndexBlock, decodeIndexBlock, decodeIndexRoot, INDEX_HEADER, INDEX_ROOT_HEADER } from '../fs/ntfs/index-node.js';
import { decodeLogFileState } from '../fs/ntfs/logfile.js';
import { decodeMftRecord, MFT_RECORD_HEADER } from '../fs/ntfs/mft-record.js';
import { decodeRunlist, type Run } from '../fs/ntfs/runlist.js';
import { decodeSecurityDescriptorHeader, FIRST_SECURITY_ID, SDH_INDEX_KEY, SECURITY_DESCRIPTOR_HEADER, SII_INDEX_KEY } from '../fs/ntfs/secure.js';
import { buildUpcaseTable, UPCASE_TABLE_SIZE_BYTES } from '../fs/ntfs/upcase.js';
import type { BlockTarget } from '../target/block-target.js';
import { reportFinding, type FindingCode, type InspectFinding } from './finding-codes.js';
import type { VolumeCheck } from './fs-inspector.js';

export interface NtfsSystemGeometry {
  readonly clusterSize: number;
  readonly clusterCount: number;
  readonly mftRecordSize: number;
  readonly indexRecordSize: number;
}

const S = 'NtfsVolume';
/** Records 0–11 are the system files proper; all must be in use. */
const LAST_SYSTEM_RECORD = SYSTEM_FILE.EXTEND;
/** Records 12–26 are checked when they hold a record ($Extend's children sit at 24–26 on mkntfs volumes). */
const LAST_CHECKED_RECORD = 26;
/** The full $Bitmap comparison walks at most this many MFT records and this much $Bitmap. */
const MAX_RECORDS = 65536;
const MAX_BITMAP_BYTES = 8 * 1024 * 1024;
const MAX_RUNS = 4096;
const LOGFILE_PAGE_BYTES = 4096;

type Reader = (n: number) => Promise<Uint8Array | null>;

interface Loaded {
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
  /** The clusters the files use, computed once for the two $Bitmap checks. */
  readonly clusterUse: () => Promise<ClusterUse>;
}

/** Reads [offset, offset+length) of a non-resident stream through its runs (sparse runs read as zeros). */
async function readStream(volume: BlockTarget, runs: readonly Run[], clusterSize: number, offsetBytes: number, lengthBytes: number): Promise<Uint8Array | null> {
  const out = new Uint8Array(lengthBytes);
  let vcnBytes = 0;
  let done = 0;
  for (const run of runs) {
    const runBytes = run.length * clusterSize;
    const from = offsetBytes + done;
    if (from >= vcnBytes && from < vcnBytes + runBytes) {
      const n = Math.min(lengthBytes - done, vcnBytes + runBytes - from);
      if (run.lcn !== null) {
        const at = run.lcn * clusterSize + (from - vcnBytes);
        if (at < 0 || at + n > volume.sizeBytes) return null;
        out.set(await volume.read(at, n), done);
      }
      done += n;
      if (done === lengthBytes) return out;
    }
    vcnBytes += runBytes;
  }
  return null;
}

/** The record's magic, read through the MFT record table (no fixups needed for the first sector). */
function hasFileMagic(bytes: Uint8Array): boolean {
  return bytes.length >= MFT_RECORD_HEADER.sizeBytes && MFT_RECORD_HEADER.decode(bytes).magic === NTFS_RECORD_SIGNATURE.FILE;
}

function isInUse(bytes: Uint8Array): boolean {
  return (MFT_RECORD_HEADER.decode(bytes).flags & MFT_RECORD_FLAG.IN_USE) !== 0;
}

function runsOf(a: DecodedAttribute | undefined): Run[] | null {
  if (!a?.nonResident) return null;
  return decodeRunlist(a.nonResident.mappingPairs, MAX_RUNS);
}

/** A stream's bytes: resident value or the first `cap` bytes through the runs (at most its data size). */
async function streamBytes(volume: BlockTarget, a: DecodedAttribute | undefined, clusterSize: number, cap: number): Promise<Uint8Array | null> {
  if (!a) return null;
  if (a.resident) return a.resident.value.subarray(0, cap);
  const runs = runsOf(a);
  if (!runs || !a.nonResident) return null;
  const size = Math.min(cap, a.nonResident.header.dataSize);
  if (size <= 0) return new Uint8Array(0);
  return readStream(volume, runs, clusterSize, 0, size);
}

function errText(e: unknown): string {
  if (isGuestdiskError(e)) return e.message;
  throw e;
}

async function loadRecord(readRecord: Reader, g: NtfsSystemGeometry, n: number): Promise<Loaded | string> {
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
  let use: Promise<ClusterUse> | null = null;
  const sf: NtfsSystemFiles = { volume, g, mftRecordCount, readRecord, mftRuns, records, clusterUse: () => (use ??= scanClusterUse(sf)) };
  return sf;
}

function loadedRecord(sf: NtfsSystemFiles, n: number): Loaded | undefined {
  const r = sf.records.get(n);
  return typeof r === 'string' ? undefined : r;
}

function dataOf(sf: NtfsSystemFiles, n: number, name = ''): DecodedAttribute | undefined {
  return loadedRecord(sf, n)?.attrs.find((a) => a.type === ATTR_TYPE.DATA && a.name === name);
}

/** Runs `f`; a decoder error on the way becomes a finding of `code` saying `what` cannot be read. */
async function unreadableAs(code: FindingCode, what: string, f: () => Promise<InspectFinding[]>): Promise<InspectFinding[]> {
  try {
    return await f();
  } catch (e) {
    return [reportFinding(code, { structure: S, field: what, actual: errText(e), message: `${what} cannot be read: ${errText(e)}` })];
  }
}

// ---- the checks, in report order

function checkSystemRecordsIntact(sf: NtfsSystemFiles): InspectFinding[] {
  return [...sf.records].filter((e): e is [number, string] => typeof e[1] === 'string').map(([n, why]) => reportFinding('NTFS_SYSTEM_RECORD_DAMAGED', {
    structure: S, field: `MFT record ${n}`, actual: why,
    message: `MFT record ${n} is damaged (${why}): Windows runs chkdsk on the volume or refuses to mount it`,
  }));
}

function checkSystemRecordsInUse(sf: NtfsSystemFiles): InspectFinding[] {
  const out: InspectFinding[] = [];
  for (const [n, rec] of sf.records) {
    if (n > LAST_SYSTEM_RECORD || typeof rec === 'string' || (rec.flags & MFT_RECORD_FLAG.IN_USE) !== 0) continue;
    out.push(reportFinding('NTFS_SYSTEM_RECORD_NOT_IN_USE', { structure: S, field: `MFT record ${n}`, actual: `flags 0x${rec.flags.toString(16)}`,
      message: `system file record ${n} is not marked in use: Windows and ntfs-3g treat the volume as corrupt` }));
  }
  return out;
}

/** $MFT:$BITMAP: records 0–11, and every in-use record among 12–26, must be marked in use. */
async function checkMftBitmapMarksSystemRecords(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  const mft = loadedRecord(sf, SYSTEM_FILE.MFT);
  if (!mft) return [];
  return unreadableAs('NTFS_MFT_BITMAP', '$MFT:$BITMAP', async () => {
    const bitmap = await streamBytes(sf.volume, mft.attrs.find((a) => a.type === ATTR_TYPE.BITMAP && a.name === ''), sf.g.clusterSize, 8);
    const missing: number[] = [];
    for (const [n, rec] of sf.records) {
      if (typeof rec === 'string' || (n > LAST_SYSTEM_RECORD && (rec.flags & MFT_RECORD_FLAG.IN_USE) === 0)) continue;
      if (!bitmap || n >> 3 >= bitmap.length || (bitmap[n >> 3] & (1 << (n & 7))) === 0) missing.push(n);
    }
    if (missing.length === 0) return [];
    return [reportFinding('NTFS_MFT_BITMAP', { structure: S, field: '$MFT:$BITMAP', actual: `records ${missing.join(', ')} marked free`,
      message: `$MFT's $BITMAP marks in-use records ${missing.join(', ')} free: NTFS would hand them out again and overwrite system files; chkdsk repairs it` })];
  });
}

/** How many records each pass of the whole-$MFT checks reads between bitmap reads (bounded memory). */
const RECORD_BATCH = 1024;

/**
 * $MFT:$BITMAP against every record past the system files, streamed a batch at a time: an in-use record whose bit
 * is clear (NTFS would hand it to a new file) and a set bit over a free record (a record lost until chkdsk).
 */
async function checkMftBitmapAgainstRecords(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  const mft = loadedRecord(sf, SYSTEM_FILE.MFT);
  const attr = mft?.attrs.find((a) => a.type === ATTR_TYPE.BITMAP && a.name === '');
  if (!attr) return [];
  const free: number[] = [];
  const leaked: number[] = [];
  let freeCount = 0;
  let leakedCount = 0;
  try {
    const runs = attr.nonResident ? runsOf(attr) : null;
    const bitmapBytes = attr.resident ? attr.resident.value.length : Math.min(attr.nonResident?.header.dataSize ?? 0, Number.MAX_SAFE_INTEGER);
    for (let first = LAST_CHECKED_RECORD + 1; first < sf.mftRecordCount; first += RECORD_BATCH) {
      const last = Math.min(first + RECORD_BATCH, sf.mftRecordCount) - 1;
      const from = first >> 3;
      const length = Math.min((last >> 3) - from + 1, Math.max(bitmapBytes - from, 0));
      const bits = length <= 0 ? new Uint8Array(0)
        : attr.resident ? attr.resident.value.subarray(from, from + length)
          : runs ? await readStream(sf.volume, runs, sf.g.clusterSize, from, length) : null;
      if (!bits) throw new GuestdiskError('CORRUPT_STRUCTURE', `$MFT:$BITMAP cannot be read at byte ${from}`);
      const size = sf.g.mftRecordSize;
      const batch = await readStream(sf.volume, sf.mftRuns, sf.g.clusterSize, first * size, (last - first + 1) * size);
      if (!batch) throw new GuestdiskError('CORRUPT_STRUCTURE', `$MFT records ${first}–${last} lie outside the volume`);
      for (let n = first; n <= last; n++) {
        const byte = (n >> 3) - from;
        const marked = byte < bits.length && (bits[byte] & (1 << (n & 7))) !== 0;
        const bytes = batch.subarray((n - first) * size, (n - first + 1) * size);
        const inUse = bytes !== null && hasFileMagic(bytes) && isInUse(bytes);
        if (inUse && !marked && freeCount++ < 16) free.push(n);
        if (!inUse && marked && leakedCount++ < 16) leaked.push(n);
      }
    }
  } catch (e) {
    return [reportFinding('NTFS_MFT_BITMAP', { structure: S, field: '$MFT:$BITMAP', actual: errText(e), message: `$MFT's $BITMAP cannot be read: ${errText(e)}` })];
  }
  const out: InspectFinding[] = [];
  if (freeCount > 0) {
    out.push(reportFinding('NTFS_MFT_BITMAP_RECORD_FREE', { structure: S, field: '$MFT:$BITMAP', actual: `${freeCount} in-use records marked free (${free.join(', ')}${freeCount > free.length ? ', …' : ''})`,
      message: `$MFT's $BITMAP marks ${freeCount} in-use file records free (from record ${free[0]}): NTFS would give them to new files and lose the old ones; chkdsk repairs it` }));
  }
  if (leakedCount > 0) {
    out.push(reportFinding('NTFS_MFT_BITMAP_RECORD_LEAK', { structure: S, field: '$MFT:$BITMAP', actual: `${leakedCount} free records marked in use (${leaked.join(', ')}${leakedCount > leaked.length ? ', …' : ''})`,
      message: `$MFT's $BITMAP marks ${leakedCount} free file records in use (from record ${leaked[0]}): they are lost until chkdsk frees them` }));
  }
  return out;
}

async function checkUpcase(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  if (!sf.records.has(SYSTEM_FILE.UP_CASE) || !loadedRecord(sf, SYSTEM_FILE.UP_CASE)) return [];
  return unreadableAs('NTFS_UPCASE_BAD', '$UpCase', async () => {
    const table = await streamBytes(sf.volume, dataOf(sf, SYSTEM_FILE.UP_CASE), sf.g.clusterSize, UPCASE_TABLE_SIZE_BYTES);
    const standard = buildUpcaseTable();
    const unit = (t: Uint8Array, c: number): number => t[2 * c] | (t[2 * c + 1] << 8);
    // Windows versions ship different tables (2003's is not Vista's), so only ASCII is held to the standard.
    let asciiOk = table !== null && table.length === UPCASE_TABLE_SIZE_BYTES;
    for (let c = 0; asciiOk && c < 0x80; c++) asciiOk = unit(table!, c) === unit(standard, c);
    if (asciiOk) return [];
    return [reportFinding('NTFS_UPCASE_BAD', { structure: S, field: '$UpCase',
      message: '$UpCase is missing, short or wrong even for ASCII: file name lookups fail; Windows runs chkdsk and ntfs-3g refuses the volume' })];
  });
}

async function checkAttrDef(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  if (!loadedRecord(sf, SYSTEM_FILE.ATTR_DEF)) return [];
  return unreadableAs('NTFS_ATTRDEF_BAD', '$AttrDef', async () => {
    const standard = buildAttrDef();
    const bytes = await streamBytes(sf.volume, dataOf(sf, SYSTEM_FILE.ATTR_DEF), sf.g.clusterSize, Math.max(standard.length, 64 * 1024));
    const entries = bytes ? decodeAttrDef(bytes) : [];
    const types = new Set(entries.map((e) => e.type));
    const needed = [ATTR_TYPE.STANDARD_INFORMATION, ATTR_TYPE.FILE_NAME, ATTR_TYPE.DATA, ATTR_TYPE.INDEX_ROOT, ATTR_TYPE.INDEX_ALLOCATION, ATTR_TYPE.BITMAP];
    if (!bytes || needed.some((t) => !types.has(t))) {
      return [reportFinding('NTFS_ATTRDEF_BAD', { structure: S, field: '$AttrDef', actual: `${entries.length} entries`,
        message: '$AttrDef is missing the standard attribute definitions: Windows and ntfs-3g cannot create files on the volume' })];
    }
    if (bytes.length < standard.length || standard.some((b, i) => b !== bytes[i])) {
      return [reportFinding('NTFS_ATTRDEF_NONSTANDARD', { structure: S, field: '$AttrDef',
        message: '$AttrDef differs from the standard definitions: attribute size limits or flags may not be what Windows expects' })];
    }
    return [];
  });
}

/** $LogFile: an empty log (all 0xFF) or a restart page. */
async function checkLogFile(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  if (!loadedRecord(sf, SYSTEM_FILE.LOG_FILE)) return [];
  return unreadableAs('NTFS_LOGFILE_BAD', '$LogFile', async () => {
    const page = await streamBytes(sf.volume, dataOf(sf, SYSTEM_FILE.LOG_FILE), sf.g.clusterSize, LOGFILE_PAGE_BYTES);
    if (!page || page.length < 512) throw new GuestdiskError('CORRUPT_STRUCTURE', 'no first page');
    decodeLogFileState(page);
    return [];
  });
}

/** $Secure:$SDS: the first entry's header. */
async function checkSecureSds(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  if (!loadedRecord(sf, SYSTEM_FILE.SECURE)) return [];
  return unreadableAs('NTFS_SECURE_SDS', '$Secure:$SDS', async () => {
    const head = await streamBytes(sf.volume, dataOf(sf, SYSTEM_FILE.SECURE, STREAM_NAME.SDS), sf.g.clusterSize, SECURITY_DESCRIPTOR_HEADER.sizeBytes);
    const h = head && head.length === SECURITY_DESCRIPTOR_HEADER.sizeBytes ? decodeSecurityDescriptorHeader(head, 0) : null;
    if (h && h.securityId >= FIRST_SECURITY_ID) return [];
    return [reportFinding('NTFS_SECURE_SDS', { structure: S, field: '$Secure:$SDS', actual: h ? `security id ${h.securityId}` : 'missing',
      message: '$Secure:$SDS has no valid first security descriptor: files lose their permissions; chkdsk rebuilds $Secure' })];
  });
}

/** What a $Secure view index must look like: its collation, and the sizes of each entry's key and data. */
const SECURE_INDEXES = [
  { name: INDEX_NAME.SII, collation: COLLATION.NTOFS_ULONG, keyLength: SII_INDEX_KEY.sizeBytes },
  { name: INDEX_NAME.SDH, collation: COLLATION.NTOFS_SECURITY_HASH, keyLength: SDH_INDEX_KEY.sizeBytes },
] as const;

/** Why a $Secure index root is unusable, or null: header, node bounds, and every entry of the root node. */
function secureIndexRootProblem(value: Uint8Array, spec: (typeof SECURE_INDEXES)[number], g: NtfsSystemGeometry): string | null {
  const { root, header, entries } = decodeIndexRoot(value);
  if (root.type !== 0) return `indexed attribute type ${root.type}, expected 0 (a view index)`;
  if (root.collationRule !== spec.collation) return `collation rule 0x${root.collationRule.toString(16)}, expected 0x${spec.collation.toString(16)}`;
  if (root.indexBlockSize !== g.indexRecordSize) return `index block size ${root.indexBlockSize}, expected ${g.indexRecordSize}`;
  if (root.clustersPerIndexBlock !== clustersPerIndexBlock(g.indexRecordSize, g.clusterSize)) return `clusters per index block ${root.clustersPerIndexBlock}`;
  if (header.entriesOffset % 8 !== 0) return `entries offset ${header.entriesOffset} is not a multiple of 8`;
  if (header.allocatedSize !== value.length - INDEX_ROOT_HEADER.sizeBytes) return `allocated size ${header.allocatedSize}, the attribute holds ${value.length - INDEX_ROOT_HEADER.sizeBytes}`;
  if (header.ihFlags !== INDEX_HEADER_FLAG.SMALL_INDEX && header.ihFlags !== INDEX_HEADER_FLAG.LARGE_INDEX) return `index flags 0x${header.ihFlags.toString(16)}`;
  let at = 0;
  while (at + VIEW_INDEX_ENTRY_HEADER.sizeBytes <= entries.length) {
    const e = VIEW_INDEX_ENTRY_HEADER.decode(entries.subarray(at));
    if (e.length < VIEW_INDEX_ENTRY_HEADER.sizeBytes || e.length % 8 !== 0 || at + e.length > entries.length) return `entry at ${at}: length ${e.length}`;
    if ((e.ieFlags & ~(INDEX_ENTRY_FLAG.NODE | INDEX_ENTRY_FLAG.END)) !== 0) return `entry at ${at}: flags 0x${e.ieFlags.toString(16)}`;
    if ((e.ieFlags & INDEX_ENTRY_FLAG.NODE) !== 0 !== (header.ihFlags === INDEX_HEADER_FLAG.LARGE_INDEX)) return `entry at ${at}: node flag disagrees with the index flags`;
    if ((e.ieFlags & INDEX_ENTRY_FLAG.END) !== 0) return at + e.length === entries.length ? null : `entries after the end entry at ${at}`;
    if (e.keyLength !== spec.keyLength) return `entry at ${at}: key length ${e.keyLength}, expected ${spec.keyLength}`;
    if (e.dataLength !== SECURITY_DESCRIPTOR_HEADER.sizeBytes || e.dataOffset < VIEW_INDEX_ENTRY_HEADER.sizeBytes + e.keyLength || e.dataOffset + e.dataLength > e.length) {
      return `entry at ${at}: data [${e.dataOffset}, +${e.dataLength}) out of place`;
    }
    at += e.length;
  }
  return 'no end entry';
}

/** $Secure's $SII and $SDH index roots: ntfs-3g opens both when it mounts and refuses a volume whose roots are damaged. */
async function checkSecureIndexRoots(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  const secure = loadedRecord(sf, SYSTEM_FILE.SECURE);
  if (!secure) return [];
  const out: InspectFinding[] = [];
  for (const spec of SECURE_INDEXES) {
    const attr = secure.attrs.find((a) => a.type === ATTR_TYPE.INDEX_ROOT && a.name === spec.name);
    let problem: string | null;
    try {
      problem = attr?.resident ? secureIndexRootProblem(attr.resident.value, spec, sf.g) : 'no resident $INDEX_ROOT';
    } catch (e) {
      problem = errText(e);
    }
    if (problem !== null) {
      out.push(reportFinding('NTFS_SECURE_INDEX_BAD', { structure: S, field: `$Secure:${spec.name}`, actual: problem,
        message: `$Secure's ${spec.name} index root is damaged (${problem}): ntfs-3g refuses to mount the volume; chkdsk rebuilds $Secure` }));
    }
  }
  return out;
}

/** The root directory's first INDX block. */
async function checkRootIndexBlock(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  const alloc = loadedRecord(sf, SYSTEM_FILE.ROOT)?.attrs.find((a) => a.type === ATTR_TYPE.INDEX_ALLOCATION && a.name === INDEX_NAME.I30);
  if (!alloc) return [];
  return unreadableAs('NTFS_ROOT_INDEX_BAD', 'root directory $INDEX_ALLOCATION', async () => {
    const block = await streamBytes(sf.volume, alloc, sf.g.clusterSize, sf.g.indexRecordSize);
    if (!block || block.length < sf.g.indexRecordSize) throw new GuestdiskError('CORRUPT_STRUCTURE', 'short');
    decodeIndexBlock(block, sf.g.indexRecordSize);
    return [];
  });
}

// ---- $Bitmap against the clusters the files use

interface ClusterUse {
  /** $Bitmap's runs, null when $Bitmap or $MFT cannot be read (nothing to compare then). */
  readonly bitmapRuns: readonly Run[] | null;
  /** Runs of the system files (records 0–26 in use), and LCN 0 (the boot sector). */
  readonly systemRuns: readonly Run[];
  /** Every cluster a file uses, when the volume is small enough to hold that as a bitmap and every record decoded. */
  readonly used: Uint8Array | null;
  /** A system file's runlist could not be decoded: why. */
  readonly problem: string | null;
}

async function scanClusterUse(sf: NtfsSystemFiles): Promise<ClusterUse> {
  const { g } = sf;
  const bitmapRuns = runsOf(dataOf(sf, SYSTEM_FILE.BITMAP));
  if (!bitmapRuns || !loadedRecord(sf, SYSTEM_FILE.MFT)) return { bitmapRuns: null, systemRuns: [], used: null, problem: null };
  const bitmapBytes = Math.ceil(g.clusterCount / 8);
  let used: Uint8Array | null = bitmapBytes <= MAX_BITMAP_BYTES && sf.mftRecordCount <= MAX_RECORDS ? new Uint8Array(bitmapBytes) : null;
  const systemRuns: Run[] = [{ lcn: 0, length: 1 }];
  if (used) used[0] |= 1;
  // Files never share clusters, so more run clusters than the volume has means garbage: stop counting then.
  let marked = 0;
  const addRuns = (runs: readonly Run[], system: boolean): void => {
    for (const r of runs) {
      if (r.lcn === null) continue;
      if (system && systemRuns.length < MAX_RUNS) systemRuns.push(r);
      if (!used) continue;
      marked += r.length;
      if (marked > g.clusterCount) {
        used = null;
        continue;
      }
      for (let c = r.lcn; c < Math.min(r.lcn + r.length, g.clusterCount); c++) used[c >> 3] |= 1 << (c & 7);
    }
  };
  const addRecord = (rec: Loaded, system: boolean): void => {
    for (const a of rec.attrs) {
      let runs: Run[] | null = null;
      try {
        runs = runsOf(a);
      } catch (e) {
        if (system) throw e;
        errText(e);
        used = null; // a user file's runlist we cannot decode: its clusters are unknown
      }
      if (runs) addRuns(runs, system);
    }
  };
  try {
    for (const rec of sf.records.values()) if (typeof rec !== 'string' && (rec.flags & MFT_RECORD_FLAG.IN_USE) !== 0) addRecord(rec, true);
  } catch (e) {
    return { bitmapRuns, systemRuns, used: null, problem: errText(e) };
  }
  for (let n = LAST_CHECKED_RECORD + 1; used && n < sf.mftRecordCount; n++) {
    const bytes = await sf.readRecord(n);
    if (!bytes || !hasFileMagic(bytes)) continue; // never used (zeros)
    const rec = await loadRecord(sf.readRecord, g, n);
    // A record we cannot decode hides the clusters it uses: no leak count then.
    if (typeof rec === 'string') {
      if (isInUse(bytes)) used = null;
    } else if ((rec.flags & MFT_RECORD_FLAG.IN_USE) !== 0) addRecord(rec, false);
  }
  return { bitmapRuns, systemRuns, used, problem: null };
}

/** Clusters the system files use must be marked in use. */
async function checkBitmapMarksSystemFiles(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  return unreadableAs('NTFS_BITMAP_CLEAR', '$Bitmap', async () => {
    const use = await sf.clusterUse();
    if (use.problem !== null) throw new GuestdiskError('CORRUPT_STRUCTURE', use.problem);
    if (!use.bitmapRuns) return [];
    const clear: number[] = [];
    let budget = MAX_BITMAP_BYTES;
    for (const r of use.systemRuns) {
      const first = r.lcn!;
      const last = Math.min(first + r.length, sf.g.clusterCount, first + 8 * MAX_BITMAP_BYTES) - 1;
      if (last < first) continue;
      const from = first >> 3;
      budget -= (last >> 3) - from + 1;
      if (budget < 0) break;
      const bytes = await readStream(sf.volume, use.bitmapRuns, sf.g.clusterSize, from, (last >> 3) - from + 1);
      if (!bytes) throw new GuestdiskError('CORRUPT_STRUCTURE', '$Bitmap is shorter than the volume');
      for (let c = first; c <= last && clear.length < 16; c++) if ((bytes[(c >> 3) - from] & (1 << (c & 7))) === 0) clear.push(c);
    }
    if (clear.length === 0) return [];
    return [reportFinding('NTFS_BITMAP_CLEAR', { structure: S, field: '$Bitmap', actual: `clusters ${clear.join(', ')} marked free`,
      message: `$Bitmap marks clusters in use by system files free (${clear.slice(0, 4).join(', ')}…): NTFS would allocate them again and overwrite metadata; chkdsk repairs it` })];
  });
}

/** $Bitmap must mark nothing that no file uses (on volumes small enough to hold the cluster map). */
async function checkBitmapLeak(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  // A damaged or free system record hides the clusters it uses: the leak count would only echo that finding.
  const systemRecordProblem = [...sf.records].some(([n, rec]) => typeof rec === 'string' || (n <= LAST_SYSTEM_RECORD && (rec.flags & MFT_RECORD_FLAG.IN_USE) === 0));
  if (systemRecordProblem) return [];
  let use: ClusterUse;
  try {
    use = await sf.clusterUse();
  } catch (e) {
    errText(e);
    return []; // checkBitmapMarksSystemFiles reports an unreadable $Bitmap
  }
  if (!use.used || !use.bitmapRuns || use.problem !== null) return [];
  const bitmapBytes = Math.ceil(sf.g.clusterCount / 8);
  let bitmap: Uint8Array | null;
  try {
    bitmap = await readStream(sf.volume, use.bitmapRuns, sf.g.clusterSize, 0, bitmapBytes);
  } catch (e) {
    errText(e);
    bitmap = null;
  }
  if (!bitmap) return [];
  let leaked = 0;
  let firstLeak = -1;
  for (let i = 0; i < bitmapBytes; i++) {
    let extra = bitmap[i] & ~use.used[i];
    if (i === bitmapBytes - 1 && sf.g.clusterCount % 8 !== 0) extra &= (1 << (sf.g.clusterCount % 8)) - 1;
    if (extra === 0) continue;
    if (firstLeak < 0) firstLeak = i * 8 + (31 - Math.clz32(extra & -extra));
    for (let b = extra; b !== 0; b &= b - 1) leaked++;
  }
  if (leaked === 0) return [];
  return [reportFinding('NTFS_BITMAP_LEAK', { structure: S, field: '$Bitmap', actual: `${leaked} clusters from ${firstLeak}`,
    message: `$Bitmap marks ${leaked} clusters in use that no file uses (from cluster ${firstLeak}): the space is lost until chkdsk frees it` })];
}

/** Every system-file check, in report order. A new check: a row in FINDING_CODES, a function here, a corruption test. */
export const NTFS_SYSTEM_FILE_CHECKS: readonly VolumeCheck<NtfsSystemFiles>[] = [
  checkSystemRecordsIntact,
  checkSystemRecordsInUse,
  checkMftBitmapMarksSystemRecords,
  checkMftBitmapAgainstRecords,
  checkUpcase,
  checkAttrDef,
  checkLogFile,
  checkSecureSds,
  checkSecureIndexRoots,
  checkRootIndexBlock,
  checkBitmapMarksSystemFiles,
  checkBitmapLeak,
];
