// NTFS system-file checks for verify, one small function each (NTFS_SYSTEM_FILE_CHECKS): MFT records 0–26 (signature,
// fixups, in-use flag), $MFT:$BITMAP and $Bitmap (ntfs-bitmap-checks.ts), $UpCase, $AttrDef, $LogFile's restart
// page, the first $Secure:$SDS entry, the $Secure index roots, the root directory's first INDX block. Read-only
// and bounded; garbage gives findings.
import { GuestdiskError } from '../errors.js';
import { ATTR_TYPE, COLLATION, INDEX_ENTRY_FLAG, INDEX_HEADER_FLAG, INDEX_NAME, MFT_RECORD_FLAG, STREAM_NAME, SYSTEM_FILE } from '../fs/ntfs/attribute-types.js';
import { buildAttrDef, decodeAttrDef } from '../fs/ntfs/attrdef.js';
import { VIEW_INDEX_ENTRY_HEADER } from '../fs/ntfs/index-entry.js';
import { clustersPerIndexBlock, decodeIndexBlock, decodeIndexRoot, INDEX_ROOT_HEADER } from '../fs/ntfs/index-node.js';
import { decodeLogFileState } from '../fs/ntfs/logfile.js';
import { decodeSecurityDescriptorHeader, FIRST_SECURITY_ID, SDH_INDEX_KEY, SECURITY_DESCRIPTOR_HEADER, SII_INDEX_KEY } from '../fs/ntfs/secure.js';
import { buildUpcaseTable, UPCASE_TABLE_SIZE_BYTES } from '../fs/ntfs/upcase.js';
import { reportFinding, type InspectFinding } from './finding-codes.js';
import type { VolumeCheck } from './fs-inspector.js';
import { checkBitmapMarksSystemFiles, checkMftBitmapAgainstRecords, checkMftBitmapMarksSystemRecords } from './ntfs-bitmap-checks.js';
import { checkBitmapAgainstRuns } from './ntfs-bitmap-walk.js';
import { NTFS_EXTRA_WALK_CHECKS } from './ntfs-extra-walk-checks.js';
import { NTFS_WALK_CHECKS } from './ntfs-walk-checks.js';
import { dataOf, errText, LAST_SYSTEM_RECORD, loadedRecord, S, streamBytes, unreadableAs, type NtfsSystemFiles, type NtfsSystemGeometry } from './ntfs-volume-files.js';

export { loadNtfsSystemFiles, type NtfsSystemFiles, type NtfsSystemGeometry } from './ntfs-volume-files.js';

const LOGFILE_PAGE_BYTES = 4096;

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

/** The checks below that walk the whole volume (every MFT record, every index): verify runs them, inspect does not. */
export const NTFS_WHOLE_VOLUME_CHECKS: readonly VolumeCheck<NtfsSystemFiles>[] = [
  checkMftBitmapAgainstRecords,
  checkBitmapAgainstRuns,
  ...NTFS_WALK_CHECKS,
  ...NTFS_EXTRA_WALK_CHECKS,
];

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
  checkBitmapAgainstRuns,
  ...NTFS_WALK_CHECKS,
  ...NTFS_EXTRA_WALK_CHECKS,
];
