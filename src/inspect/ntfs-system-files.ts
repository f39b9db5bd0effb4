// NTFS system-file checks for verify: MFT records 1–26 read through $MFT's own runlist (signature, fixups, in-use
// flag), $MFT:$BITMAP, $UpCase, $AttrDef, $LogFile's restart page, the first $Secure:$SDS entry, the root
// directory's first INDX block, and $Bitmap against the clusters the files use. Read-only and bounded: at most
// MAX_RECORDS records, MAX_STREAM_BYTES per stream read, MAX_BITMAP_BYTES of $Bitmap; garbage gives findings.
import { finding, type Finding } from '../binary/fields.js';
import { GuestdiskError, isGuestdiskError } from '../errors.js';
import { ATTR_TYPE, INDEX_NAME, MFT_RECORD_FLAG, NTFS_RECORD_SIGNATURE, STREAM_NAME, SYSTEM_FILE } from '../fs/ntfs/attribute-types.js';
import { buildAttrDef, decodeAttrDef } from '../fs/ntfs/attrdef.js';
import { decodeAttributes, type DecodedAttribute } from '../fs/ntfs/attributes/attribute-header.js';
import { decodeIndexBlock } from '../fs/ntfs/index-node.js';
import { decodeLogFileState } from '../fs/ntfs/logfile.js';
import { decodeMftRecord } from '../fs/ntfs/mft-record.js';
import { decodeRunlist, type Run } from '../fs/ntfs/runlist.js';
import { decodeSecurityDescriptorHeader, FIRST_SECURITY_ID, SECURITY_DESCRIPTOR_HEADER } from '../fs/ntfs/secure.js';
import { buildUpcaseTable, UPCASE_TABLE_SIZE_BYTES } from '../fs/ntfs/upcase.js';
import type { BlockTarget } from '../target/block-target.js';

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
const MAX_STREAM_BYTES = 256 * 1024;
const MAX_RUNS = 4096;
const LOGFILE_PAGE_BYTES = 4096;

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

interface Loaded {
  readonly flags: number;
  readonly attrs: readonly DecodedAttribute[];
}

function magicOf(bytes: Uint8Array): number {
  return bytes.length < 4 ? 0 : (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
}

type Reader = (n: number) => Promise<Uint8Array | null>;

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

export async function checkNtfsSystemFiles(volume: BlockTarget, g: NtfsSystemGeometry, mftRecordCount: number, readRecord: Reader): Promise<Finding[]> {
  const findings: Finding[] = [];
  const loaded = new Map<number, Loaded>();
  const load = async (n: number): Promise<Loaded | string> => {
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
  };

  // ---- records 0–26
  for (let n = 0; n <= Math.min(LAST_CHECKED_RECORD, mftRecordCount - 1); n++) {
    const bytes = n > LAST_SYSTEM_RECORD ? await readRecord(n) : null;
    const hasMagic = bytes !== null && magicOf(bytes) === NTFS_RECORD_SIGNATURE.FILE;
    if (n > LAST_SYSTEM_RECORD && !hasMagic) continue; // reserved records may be empty
    const rec = await load(n);
    if (typeof rec === 'string') {
      findings.push(finding({ code: 'NTFS_SYSTEM_RECORD_DAMAGED', structure: S, field: `MFT record ${n}`, actual: rec,
        message: `MFT record ${n} is damaged (${rec}): Windows runs chkdsk on the volume or refuses to mount it` }));
      continue;
    }
    loaded.set(n, rec);
    if (n <= LAST_SYSTEM_RECORD && (rec.flags & MFT_RECORD_FLAG.IN_USE) === 0) {
      findings.push(finding({ code: 'NTFS_SYSTEM_RECORD_NOT_IN_USE', structure: S, field: `MFT record ${n}`, actual: `flags 0x${rec.flags.toString(16)}`,
        message: `system file record ${n} is not marked in use: Windows and ntfs-3g treat the volume as corrupt` }));
    }
  }

  // ---- $MFT:$BITMAP: records 0–11 (and every in-use record checked above) must be marked in use
  const mft = loaded.get(SYSTEM_FILE.MFT);
  if (mft) {
    try {
      const bitmap = await streamBytes(volume, mft.attrs.find((a) => a.type === ATTR_TYPE.BITMAP && a.name === ''), g.clusterSize, 8);
      const missing: number[] = [];
      for (const [n, rec] of loaded) {
        if (n > LAST_SYSTEM_RECORD && (rec.flags & MFT_RECORD_FLAG.IN_USE) === 0) continue;
        if (!bitmap || n >> 3 >= bitmap.length || (bitmap[n >> 3] & (1 << (n & 7))) === 0) missing.push(n);
      }
      if (missing.length > 0) {
        findings.push(finding({ code: 'NTFS_MFT_BITMAP', structure: S, field: '$MFT:$BITMAP', actual: `records ${missing.join(', ')} marked free`,
          message: `$MFT's $BITMAP marks in-use records ${missing.join(', ')} free: NTFS would hand them out again and overwrite system files; chkdsk repairs it` }));
      }
    } catch (e) {
      findings.push(finding({ code: 'NTFS_MFT_BITMAP', structure: S, field: '$MFT:$BITMAP', actual: errText(e), message: `$MFT's $BITMAP cannot be read: ${errText(e)}` }));
    }
  }

  const dataOf = (n: number, name = ''): DecodedAttribute | undefined => loaded.get(n)?.attrs.find((a) => a.type === ATTR_TYPE.DATA && a.name === name);
  const tryStream = async (code: string, what: string, f: () => Promise<void>): Promise<void> => {
    try {
      await f();
    } catch (e) {
      findings.push(finding({ code, structure: S, field: what, actual: errText(e), message: `${what} cannot be read: ${errText(e)}` }));
    }
  };

  // ---- $UpCase
  if (loaded.has(SYSTEM_FILE.UP_CASE)) {
    await tryStream('NTFS_UPCASE_BAD', '$UpCase', async () => {
      const table = await streamBytes(volume, dataOf(SYSTEM_FILE.UP_CASE), g.clusterSize, UPCASE_TABLE_SIZE_BYTES);
      const standard = buildUpcaseTable();
      const unit = (t: Uint8Array, c: number): number => t[2 * c] | (t[2 * c + 1] << 8);
      // Windows versions ship different tables (2003's is not Vista's), so only ASCII is held to the standard.
      let asciiOk = table !== null && table.length === UPCASE_TABLE_SIZE_BYTES;
      for (let c = 0; asciiOk && c < 0x80; c++) asciiOk = unit(table!, c) === unit(standard, c);
      if (!asciiOk) {
        findings.push(finding({ code: 'NTFS_UPCASE_BAD', structure: S, field: '$UpCase',
          message: '$UpCase is missing, short or wrong even for ASCII: file name lookups fail; Windows runs chkdsk and ntfs-3g refuses the volume' }));
      }
    });
  }

  // ---- $AttrDef
  if (loaded.has(SYSTEM_FILE.ATTR_DEF)) {
    await tryStream('NTFS_ATTRDEF_BAD', '$AttrDef', async () => {
      const standard = buildAttrDef();
      const bytes = await streamBytes(volume, dataOf(SYSTEM_FILE.ATTR_DEF), g.clusterSize, Math.max(standard.length, 64 * 1024));
      const entries = bytes ? decodeAttrDef(bytes) : [];
      const types = new Set(entries.map((e) => e.type));
      const needed = [ATTR_TYPE.STANDARD_INFORMATION, ATTR_TYPE.FILE_NAME, ATTR_TYPE.DATA, ATTR_TYPE.INDEX_ROOT, ATTR_TYPE.INDEX_ALLOCATION, ATTR_TYPE.BITMAP];
      if (!bytes || needed.some((t) => !types.has(t))) {
        findings.push(finding({ code: 'NTFS_ATTRDEF_BAD', structure: S, field: '$AttrDef', actual: `${entries.length} entries`,
          message: '$AttrDef is missing the standard attribute definitions: Windows and ntfs-3g cannot create files on the volume' }));
      } else if (bytes.length < standard.length || standard.some((b, i) => b !== bytes[i])) {
        findings.push(finding({ severity: 'warning', code: 'NTFS_ATTRDEF_NONSTANDARD', structure: S, field: '$AttrDef',
          message: '$AttrDef differs from the standard definitions: attribute size limits or flags may not be what Windows expects' }));
      }
    });
  }

  // ---- $LogFile: an empty log (all 0xFF) or a restart page
  if (loaded.has(SYSTEM_FILE.LOG_FILE)) {
    await tryStream('NTFS_LOGFILE_BAD', '$LogFile', async () => {
      const page = await streamBytes(volume, dataOf(SYSTEM_FILE.LOG_FILE), g.clusterSize, LOGFILE_PAGE_BYTES);
      if (!page || page.length < 512) throw new GuestdiskError('CORRUPT_STRUCTURE', 'no first page');
      decodeLogFileState(page);
    });
  }

  // ---- $Secure:$SDS: the first entry's header
  if (loaded.has(SYSTEM_FILE.SECURE)) {
    await tryStream('NTFS_SECURE_SDS', '$Secure:$SDS', async () => {
      const head = await streamBytes(volume, dataOf(SYSTEM_FILE.SECURE, STREAM_NAME.SDS), g.clusterSize, SECURITY_DESCRIPTOR_HEADER.sizeBytes);
      const h = head && head.length === SECURITY_DESCRIPTOR_HEADER.sizeBytes ? decodeSecurityDescriptorHeader(head, 0) : null;
      if (!h || h.securityId < FIRST_SECURITY_ID) {
        findings.push(finding({ code: 'NTFS_SECURE_SDS', structure: S, field: '$Secure:$SDS', actual: h ? `security id ${h.securityId}` : 'missing',
          message: '$Secure:$SDS has no valid first security descriptor: files lose their permissions; chkdsk rebuilds $Secure' }));
      }
    });
  }

  // ---- the root directory's first INDX block
  const root = loaded.get(SYSTEM_FILE.ROOT);
  const alloc = root?.attrs.find((a) => a.type === ATTR_TYPE.INDEX_ALLOCATION && a.name === INDEX_NAME.I30);
  if (alloc) {
    await tryStream('NTFS_ROOT_INDEX_BAD', 'root directory $INDEX_ALLOCATION', async () => {
      const block = await streamBytes(volume, alloc, g.clusterSize, g.indexRecordSize);
      if (!block || block.length < g.indexRecordSize) throw new GuestdiskError('CORRUPT_STRUCTURE', 'short');
      decodeIndexBlock(block, g.indexRecordSize);
    });
  }

  // ---- $Bitmap against the clusters the files use
  await tryStream('NTFS_BITMAP_CLEAR', '$Bitmap', async () => {
    const bitmapAttr = dataOf(SYSTEM_FILE.BITMAP);
    const bitmapRuns = runsOf(bitmapAttr);
    if (!bitmapRuns || !mft) return;
    const bitmapBytes = Math.ceil(g.clusterCount / 8);
    const full = bitmapBytes <= MAX_BITMAP_BYTES && mftRecordCount <= MAX_RECORDS;
    const used = full ? new Uint8Array(bitmapBytes) : null;
    const systemRuns: Run[] = [{ lcn: 0, length: 1 }];
    let incomplete = false;
    // Files never share clusters, so more run clusters than the volume has means garbage: stop counting then.
    let marked = 0;
    const addRuns = (runs: readonly Run[], system: boolean): void => {
      for (const r of runs) {
        if (r.lcn === null) continue;
        if (system && systemRuns.length < MAX_RUNS) systemRuns.push(r);
        if (!used || incomplete) continue;
        marked += r.length;
        if (marked > g.clusterCount) {
          incomplete = true;
          continue;
        }
        for (let c = r.lcn; c < Math.min(r.lcn + r.length, g.clusterCount); c++) used[c >> 3] |= 1 << (c & 7);
      }
    };
    if (used) used[0] |= 1;
    const addRecord = (rec: Loaded, system: boolean): void => {
      for (const a of rec.attrs) {
        let runs: Run[] | null = null;
        try {
          runs = runsOf(a);
        } catch (e) {
          if (system) throw e;
          errText(e);
          incomplete = true; // a user file's runlist we cannot decode: its clusters are unknown
        }
        if (runs) addRuns(runs, system);
      }
    };
    for (const rec of loaded.values()) if ((rec.flags & MFT_RECORD_FLAG.IN_USE) !== 0) addRecord(rec, true);
    if (used) {
      for (let n = LAST_CHECKED_RECORD + 1; n < mftRecordCount && !incomplete; n++) {
        const bytes = await readRecord(n);
        if (!bytes || magicOf(bytes) !== NTFS_RECORD_SIGNATURE.FILE) continue; // never used (zeros)
        const rec = await load(n);
        // A record we cannot decode hides the clusters it uses: no leak count then.
        if (typeof rec === 'string') incomplete = (bytes[0x16] & MFT_RECORD_FLAG.IN_USE) !== 0;
        else if ((rec.flags & MFT_RECORD_FLAG.IN_USE) !== 0) addRecord(rec, false);
      }
    }
    // Clusters the system files use must be marked in use.
    const clear: number[] = [];
    let budget = MAX_BITMAP_BYTES;
    for (const r of systemRuns) {
      const first = r.lcn!;
      const last = Math.min(first + r.length, g.clusterCount, first + 8 * MAX_BITMAP_BYTES) - 1;
      if (last < first) continue;
      const from = first >> 3;
      budget -= (last >> 3) - from + 1;
      if (budget < 0) break;
      const bytes = await readStream(volume, bitmapRuns, g.clusterSize, from, (last >> 3) - from + 1);
      if (!bytes) throw new GuestdiskError('CORRUPT_STRUCTURE', '$Bitmap is shorter than the volume');
      for (let c = first; c <= last && clear.length < 16; c++) if ((bytes[(c >> 3) - from] & (1 << (c & 7))) === 0) clear.push(c);
    }
    if (clear.length > 0) {
      findings.push(finding({ code: 'NTFS_BITMAP_CLEAR', structure: S, field: '$Bitmap', actual: `clusters ${clear.join(', ')} marked free`,
        message: `$Bitmap marks clusters in use by system files free (${clear.slice(0, 4).join(', ')}…): NTFS would allocate them again and overwrite metadata; chkdsk repairs it` }));
    }
    // A damaged or free system record hides the clusters it uses: the leak count would only echo that finding.
    if (!used || incomplete || findings.some((f) => f.code.startsWith('NTFS_SYSTEM_RECORD_'))) return;
    const bitmap = await readStream(volume, bitmapRuns, g.clusterSize, 0, bitmapBytes);
    if (!bitmap) throw new GuestdiskError('CORRUPT_STRUCTURE', '$Bitmap is shorter than the volume');
    let leaked = 0;
    let firstLeak = -1;
    for (let i = 0; i < bitmapBytes; i++) {
      let extra = bitmap[i] & ~used[i];
      if (i === bitmapBytes - 1 && g.clusterCount % 8 !== 0) extra &= (1 << (g.clusterCount % 8)) - 1;
      if (extra === 0) continue;
      if (firstLeak < 0) firstLeak = i * 8 + (31 - Math.clz32(extra & -extra));
      for (let b = extra; b !== 0; b &= b - 1) leaked++;
    }
    if (leaked > 0) {
      findings.push(finding({ severity: 'warning', code: 'NTFS_BITMAP_LEAK', structure: S, field: '$Bitmap', actual: `${leaked} clusters from ${firstLeak}`,
        message: `$Bitmap marks ${leaked} clusters in use that no file uses (from cluster ${firstLeak}): the space is lost until chkdsk frees it` }));
    }
  });

  return findings;
}
