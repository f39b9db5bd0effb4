// Extension records of a copied file whose attributes do not fit one MFT record (very many hard links, long names,
// a sparse file with many holes), the pure part: which attributes go to which record, and how a long $DATA runlist
// is split by VCN. Facts from ntfs-3g include/layout.h (MFT_RECORD.base_mft_record, ATTR_LIST_ENTRY), libntfs
// attrlist.c / inode.c / attrib.c (ntfs_inode_add_attrlist, ntfs_attrlist_entry_add,
// ntfs_non_resident_attr_record_add) and the libyal "NTFS" document §"The attribute list attribute".
// - Base record: $STANDARD_INFORMATION, then $ATTRIBUTE_LIST, then as many of the other attributes as fit, in list
//   order. The list names every attribute but itself ($STANDARD_INFORMATION included), sorted by type, then name,
//   then lowest VCN: ntfs_attrlist_entry_add inserts in that order, and readers walk it so. Our attributes are all
//   unnamed: $STANDARD_INFORMATION, each $FILE_NAME (in the file's name order: ntfs-3g adds a new name after the
//   others of its type), the $DATA extents by VCN.
// - The list is resident when the base record can hold it beside $STANDARD_INFORMATION and the first $FILE_NAME,
//   as ntfs-3g keeps it (ntfs_inode_add_attrlist adds it resident and ntfs_attr_truncate makes it non-resident only
//   when the record has no room); otherwise non-resident, in clusters of its own (a few runs at most, like a file's
//   data). More than 0x40000 bytes is refused, as ntfs-3g refuses it ("Windows would crash").
// - Extension records: the rest of the attributes, in list order, each record filled before the next opens.
//   Numbered after every base record (all extension records of the tree after the last file or directory record,
//   a file's own in a row, in record order of their files), so a directory's children keep consecutive records
//   (the plan finds a child's record by counting, see populate-plan.ts). Windows and ntfs-3g take any free record.
// - $DATA that needs extension records is non-resident (the record could not hold it resident); a sparse one is
//   cut between runs into extents that each fit an empty extension record, each with its lowest VCN.
// Runlists are sized before the clusters are placed: each run is counted at its longest (the LCN delta as wide as
// the volume's cluster count needs), plus the runs the allocation may add by splitting an extent across free pieces.
import { RESIDENT_ATTRIBUTE_HEADER, SPARSE_NON_RESIDENT_ATTRIBUTE_HEADER } from './attributes/attribute-header.js';
import { attributeListEntryBytes } from './attributes/attribute-list.js';
import { STANDARD_INFORMATION } from './attributes/standard-information.js';
import { mftAttrsOffset } from './mft-record.js';
import { signedByteCount, type Run } from './runlist.js';

/** ntfs-3g ntfs_attr_size_bounds_check: a longer $ATTRIBUTE_LIST "would crash Windows". */
export const MAX_ATTRIBUTE_LIST_BYTES = 0x40000;
const END_MARKER_BYTES = 8;
const STANDARD_INFORMATION_BYTES = RESIDENT_ATTRIBUTE_HEADER.sizeBytes + STANDARD_INFORMATION.sizeBytes;
/** One list entry of an unnamed attribute (all of ours are): the 0x1a-byte header padded to 8. */
const UNNAMED_LIST_ENTRY_BYTES = attributeListEntryBytes('');
const align8 = (n: number): number => (n + 7) & ~7;

/** A VCN range of a $DATA extent (length 0: an empty stream's one extent). */
export interface VcnRange {
  readonly vcn: number;
  readonly length: number;
}

/** Where a copied file's attributes go when one record cannot hold them. */
export interface ListedFile {
  /** the base record */
  readonly base: number;
  /** record number of its first extension record; the others follow */
  readonly firstExtension: number;
  readonly extensionCount: number;
  /** attribute i < nameCount is the $FILE_NAME of name i; then $DATA extent i − nameCount */
  readonly nameCount: number;
  readonly dataExtents: readonly VcnRange[];
  /** first attribute of each extension record (attributes before cuts[0] are in the base record) */
  readonly cuts: readonly number[];
  readonly listBytes: number;
  readonly listResident: boolean;
  /** clusters of a non-resident list (placed by the allocation) */
  listRuns: readonly Run[];
}

/** The listed files of a population: by base record, and in extension-record order. */
export interface PopulationExtensions {
  readonly byBase: Map<number, ListedFile>;
  readonly inOrder: ListedFile[];
  /** extension records of the whole tree */
  recordCount: number;
}

export function emptyExtensions(): PopulationExtensions {
  return { byBase: new Map(), inOrder: [], recordCount: 0 };
}

/** What a file needing a list brings: its names' $FILE_NAME record sizes and its $DATA runs, as the plan sized them. */
export interface ListedFileShape {
  readonly base: number;
  readonly fileNameBytes: readonly number[];
  /** the runs its $DATA will have (LCNs not yet known: non-null marks a run with clusters), or one extent's budget */
  readonly data: { readonly sparse: false; readonly clusters: number; readonly recordBytes: number } | { readonly sparse: true; readonly runs: readonly Run[] };
}

/** Bytes a run takes at most once its LCN delta is known (at most `lcnBytes` wide). */
function runBoundBytes(run: Run, lcnBytes: number): number {
  return 1 + signedByteCount(run.length) + (run.lcn === null ? 0 : lcnBytes);
}

/** Bytes of a sparse $DATA attribute record holding runs of `runBytes` bytes, with room for `extraRuns` more. */
export function sparseDataRecordBytes(runBytes: number, extraRuns: number, maxRunBytes: number): number {
  return SPARSE_NON_RESIDENT_ATTRIBUTE_HEADER.sizeBytes + align8(runBytes + extraRuns * maxRunBytes + 1);
}

/** Bytes of the longest runlist `runs` can become (the allocation places the data, at most `extraRuns` splits). */
export function sparseRunsBoundBytes(runs: readonly Run[], lcnBytes: number): number {
  return runs.reduce((n, r) => n + runBoundBytes(r, lcnBytes), 0);
}

/** Cuts a sparse runlist into VCN extents whose records each fit `roomBytes`, with each one's record size. */
function splitSparseRuns(runs: readonly Run[], roomBytes: number, g: ListGeometry): { range: VcnRange; recordBytes: number }[] {
  const out: { range: VcnRange; recordBytes: number }[] = [];
  let vcn = 0;
  let start = 0;
  let bytes = 0;
  const close = (): void => {
    out.push({ range: { vcn: start, length: vcn - start }, recordBytes: sparseDataRecordBytes(bytes, g.extraRuns, g.maxRunBytes) });
  };
  for (const run of runs) {
    const b = runBoundBytes(run, g.lcnBytes);
    if (vcn > start && sparseDataRecordBytes(bytes + b, g.extraRuns, g.maxRunBytes) > roomBytes) {
      close();
      start = vcn;
      bytes = 0;
    }
    bytes += b;
    vcn += run.length;
  }
  close();
  return out;
}

/** Bytes of the $ATTRIBUTE_LIST attribute record: resident with its value, or non-resident within `budgetBytes`. */
function listRecordBytes(listBytes: number, resident: boolean, nonResidentBytes: number): number {
  return resident ? RESIDENT_ATTRIBUTE_HEADER.sizeBytes + listBytes : nonResidentBytes;
}

export interface ListGeometry {
  readonly mftRecordSize: number;
  /** bytes of one LCN delta at most (the volume's cluster count, signed) */
  readonly lcnBytes: number;
  /** splits the allocation may add to a runlist, and the bytes of one run at most */
  readonly extraRuns: number;
  readonly maxRunBytes: number;
  /** bytes of a non-resident attribute record budgeted for a short runlist (the list's, an unsplit $DATA's) */
  readonly nonResidentBudgetBytes: number;
}

/** Places a file's attributes in its base record and extension records numbered from `firstExtension`, or says why
 *  it cannot (a list longer than NTFS allows). */
export function planListedFile(shape: ListedFileShape, firstExtension: number, g: ListGeometry): ListedFile | { problem: string } {
  const rs = g.mftRecordSize;
  const emptyRoom = rs - mftAttrsOffset(rs) - END_MARKER_BYTES;
  const pieces = shape.data.sparse
    ? splitSparseRuns(shape.data.runs, emptyRoom, g)
    : [{ range: { vcn: 0, length: shape.data.clusters }, recordBytes: shape.data.recordBytes }];
  const dataExtents = pieces.map((p) => p.range);
  const dataBytes = pieces.map((p) => p.recordBytes);
  const sizes = [...shape.fileNameBytes, ...dataBytes];
  const listBytes = UNNAMED_LIST_ENTRY_BYTES * (1 + sizes.length);
  if (listBytes > MAX_ATTRIBUTE_LIST_BYTES) {
    return { problem: `${shape.fileNameBytes.length} names and ${dataExtents.length} data extents need a ${listBytes}-byte attribute list, more than NTFS allows (${MAX_ATTRIBUTE_LIST_BYTES})` };
  }
  const baseFixed = mftAttrsOffset(rs) + STANDARD_INFORMATION_BYTES + END_MARKER_BYTES;
  // The first name stays in the base record, where tools that scan records for names (undelete, forensics) look.
  const listResident = baseFixed + listRecordBytes(listBytes, true, 0) + shape.fileNameBytes[0] <= rs;
  let room = rs - baseFixed - listRecordBytes(listBytes, listResident, g.nonResidentBudgetBytes);
  const cuts: number[] = [];
  sizes.forEach((bytes, i) => {
    if (bytes > room) {
      if (bytes > emptyRoom) throw new Error(`internal: a ${bytes}-byte attribute does not fit an empty ${rs}-byte record`);
      cuts.push(i);
      room = emptyRoom;
    }
    room -= bytes;
  });
  return { base: shape.base, firstExtension, extensionCount: cuts.length, nameCount: shape.fileNameBytes.length, dataExtents, cuts, listBytes, listResident, listRuns: [] };
}

/** The runs of `runs` inside the VCN range (cut at its ends). */
export function runsIn(runs: readonly Run[], range: VcnRange): Run[] {
  const out: Run[] = [];
  const end = range.vcn + range.length;
  let vcn = 0;
  for (const run of runs) {
    const from = Math.max(vcn, range.vcn);
    const to = Math.min(vcn + run.length, end);
    if (to > from) out.push({ lcn: run.lcn === null ? null : run.lcn + (from - vcn), length: to - from });
    vcn += run.length;
    if (vcn >= end) break;
  }
  return out;
}

/** The instance of $STANDARD_INFORMATION and of $ATTRIBUTE_LIST in the base record; the others follow. */
export const STANDARD_INFORMATION_INSTANCE = 0;
export const ATTRIBUTE_LIST_INSTANCE = 1;
const FIRST_LISTED_INSTANCE = 2;

/** Where attribute `i` of a listed file is: its record, and its instance there. Instances are numbered across the
 *  whole file (a record's own need only be unique in it), so that the list, sorted by type, name and lowest VCN, is
 *  sorted by instance within a type too: layout.h describes that order for Windows, ntfs-3g does not need it. */
export function placeOf(listed: ListedFile, i: number): { record: number; instance: number } {
  // The last cut at or before i (binary search: a file of a thousand long names has a thousand records).
  let lo = 0;
  let hi = listed.cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (listed.cuts[mid] <= i) lo = mid + 1;
    else hi = mid;
  }
  const j = lo - 1;
  return { record: j < 0 ? listed.base : listed.firstExtension + j, instance: FIRST_LISTED_INSTANCE + i };
}

/** The attributes [from, to) record `record` (base or extension) of a listed file holds. */
export function attributesOf(listed: ListedFile, record: number): { from: number; to: number } {
  const total = listed.nameCount + listed.dataExtents.length;
  if (record === listed.base) return { from: 0, to: listed.cuts[0] ?? total };
  const j = record - listed.firstExtension;
  return { from: listed.cuts[j], to: listed.cuts[j + 1] ?? total };
}

/** The listed file an extension record belongs to (binary search over the files in record order). */
export function listedFileOfExtension(extensions: PopulationExtensions, record: number): ListedFile | undefined {
  const list = extensions.inOrder;
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const f = list[mid];
    if (record < f.firstExtension) hi = mid - 1;
    else if (record >= f.firstExtension + f.extensionCount) lo = mid + 1;
    else return f;
  }
  return undefined;
}
