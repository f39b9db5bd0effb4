// A file tree placed into a new NTFS volume (create --copy-from), the pure part: which MFT record each file and
// directory gets, which names it carries, whether its data stays resident, how many INDX blocks its directory index
// needs, and (once the system files have taken their clusters) where its clusters go.
//
// - Records: the root directory is record 5; everything else is numbered from FIRST_USER_RECORD in tree order (a
//   directory's entries, then its subdirectories'), one record per file: hard links share it, one $FILE_NAME per name.
// - Data: resident when the whole record (header, $STANDARD_INFORMATION, every $FILE_NAME, the $DATA value) fits, as
//   Windows and ntfs-3g keep small files; otherwise non-resident, each file one contiguous run where the free space
//   allows, allocated first-fit after the MFT zone in tree order (a directory's INDX blocks, then its files' data).
// - Sparse: a source file with holes (TreeFile.dataRanges) gets a sparse $DATA when that saves at least one 64 KiB
//   unit: its data units (whole units, as Windows allocates a sparse file, but never past its last cluster) take
//   clusters, contiguous where the free space allows, and its zero units become runs without clusters.
// - A file whose attributes one record cannot hold (very many hard links or long names, a sparse file with many
//   holes) gets an $ATTRIBUTE_LIST and extension records, numbered after every base record (populate-extension.ts).
// Memory: columns (typed arrays) indexed by item, about 25 bytes per file or directory, not an object each (110
// bytes in node's 64-bit heap); objects only for the rare files with more names, several runs or holes, and for the
// directories. No copy of a name (the tree node's), no map from tree node to record (a directory's children have
// consecutive records, hard links aside); records and index blocks are encoded only when written.
import { GuestdiskError } from '../../errors.js';
import { SYSTEM_FILE } from './attribute-types.js';
import type { TreeDir, TreeFile, TreeNode, TreeProblem } from '../../disk-types.js';
import { NON_RESIDENT_ATTRIBUTE_HEADER, RESIDENT_ATTRIBUTE_HEADER } from './attributes/attribute-header.js';
import { SPARSE_UNIT_BYTES } from '../../disk-types.js';
import { FILE_NAME_HEADER } from './attributes/file-name.js';
import { STANDARD_INFORMATION } from './attributes/standard-information.js';
import { FILE_INDEX_ENTRY_HEADER } from './index-entry.js';
import { countDirectoryIndexBlocks } from './directory-index.js';
import { compareNtfsNames } from './upcase.js';
import { mftAttrsOffset } from './mft-record.js';
import type { ClusterAllocator } from './cluster-allocator.js';
import { signedByteCount, type Run } from './runlist.js';
import { emptyExtensions, planListedFile, sparseDataRecordBytes, sparseRunsBoundBytes, type ListGeometry, type PopulationExtensions } from './populate-extension.js';

/** ntfs-3g RESERVED_MFT_RECORDS: records below 64 are left to the system (Windows adds $Extend files there). */
export const FIRST_USER_RECORD = 64;
/** The user records' sequence number (a record used for the first time). */
export const USER_SEQUENCE_NUMBER = 1;
/** $I30 attribute name, in the record ("$I30" is 4 UTF-16 units: 8 bytes, already 8-aligned). */
const I30_NAME_BYTES = 8;
const END_MARKER_BYTES = 8;
/** Runs a non-resident $DATA is budgeted for: contiguous allocation may still step over $MFTMirr and $LogFile. */
const BUDGET_RUNS = 3;
/** Bytes of one run in a runlist at most: header, 8-byte length, 8-byte LCN delta. */
const MAX_RUN_BYTES = 17;

/** Arithmetic, not `& ~7`: a file's size passes 2^31, where the bitwise form turns negative. */
const align8 = (n: number): number => Math.ceil(n / 8) * 8;
/** The runs of every item without clusters (resident files, small indexes): one shared empty list, not one each. */
const NO_RUNS: readonly Run[] = Object.freeze([]);

export interface PlacedName {
  /** the directory's MFT record (5 for the volume's root) */
  readonly parentRecord: number;
  readonly name: string;
}

export interface PlacedFile {
  readonly kind: 'file';
  readonly record: number;
  /** the first name's node: its size, time, read-only bit and content are the file's */
  readonly node: TreeFile;
  /** the directory of the first name (node.name); namesOf gives every name */
  readonly parentRecord: number;
  /** hard links: the names after the first, null for a file with one name */
  readonly links: PlacedName[] | null;
  readonly resident: boolean;
  /** non-resident: clusters of data (its VCNs: holes included when sparse) */
  readonly clusters: number;
  /** stored in one run (runs null): its first cluster; the plan keeps two numbers, not a runlist per file */
  readonly lcn: number;
  /** the runlist when it is not one run of `clusters` from `lcn` (several pieces, or sparse); dataRuns reads both */
  readonly runs: readonly Run[] | null;
  /** sparse: the VCN ranges that get clusters (the rest are holes); null for a file stored whole */
  readonly dataExtents: readonly VcnExtent[] | null;
}

export interface VcnExtent {
  readonly vcn: number;
  readonly length: number;
}

export interface PlacedDir {
  readonly kind: 'dir';
  readonly record: number;
  readonly node: TreeDir;
  readonly parentRecord: number;
  readonly links: null;
  /** index in `items` of its first child's record: the others follow in entry order (hard links to an earlier
   *  record excepted) */
  readonly firstChildItem: number;
  /** INDX blocks of its $I30 (0: a small index, all in $INDEX_ROOT) */
  readonly indexBlocks: number;
  readonly indexRuns: readonly Run[];
}

export type PlacedItem = PlacedFile | PlacedDir;

/** Flags of an item in PlacedItems.flags. */
const DIR = 1;
const RESIDENT = 2;
/** stored in one run: `clusters` from `lcn` (else its runs are NO_RUNS or kept in `rare`) */
const ONE_RUN = 4;

/** What few files have: more names, a runlist that is not one run, holes. */
interface RareFields {
  links: PlacedName[] | null;
  runs: readonly Run[] | null;
  dataExtents: readonly VcnExtent[] | null;
}

interface DirFields {
  firstChildItem: number;
  indexBlocks: number;
  indexRuns: readonly Run[];
}

/**
 * The plan's files and directories, by record − FIRST_USER_RECORD, as columns: `at(i)` makes the PlacedItem view of
 * one (a short-lived object; changing it changes nothing: the plan's functions write the columns).
 */
export class PlacedItems {
  length = 0;
  nodes: TreeNode[] = [];
  readonly parents: Uint32Array;
  readonly flags: Uint8Array;
  /** a file's VCNs: more than 2^32 only for a sparse file of 16 TiB and more */
  readonly clusters: Float64Array;
  /** 32 bits when the volume's clusters fit (every volume Windows mounts) */
  readonly lcns: Uint32Array | Float64Array;
  readonly rare = new Map<number, RareFields>();
  readonly dirs = new Map<number, DirFields>();

  constructor(capacity: number, clusterCount: number) {
    this.parents = new Uint32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.clusters = new Float64Array(capacity);
    this.lcns = clusterCount <= 2 ** 32 ? new Uint32Array(capacity) : new Float64Array(capacity);
  }

  /** Once every item is in: the nodes' array at its length (pushing left it up to half again as long). */
  trim(): void {
    this.nodes = this.nodes.slice();
  }

  push(node: TreeNode, parentRecord: number): number {
    const i = this.length++;
    this.nodes.push(node);
    this.parents[i] = parentRecord;
    if (node.kind === 'dir') {
      this.flags[i] = DIR;
      this.dirs.set(i, { firstChildItem: 0, indexBlocks: 0, indexRuns: NO_RUNS });
    }
    return i;
  }

  rareOf(i: number): RareFields {
    let r = this.rare.get(i);
    if (!r) {
      r = { links: null, runs: null, dataExtents: null };
      this.rare.set(i, r);
    }
    return r;
  }

  isFile(i: number): boolean {
    return (this.flags[i] & DIR) === 0;
  }

  isResident(i: number): boolean {
    return (this.flags[i] & RESIDENT) !== 0;
  }

  /** The item `i` as an object (undefined past the last). */
  at(i: number): PlacedItem | undefined {
    if (i < 0 || i >= this.length) return undefined;
    const record = FIRST_USER_RECORD + i;
    const parentRecord = this.parents[i];
    const flags = this.flags[i];
    if (flags & DIR) {
      const d = this.dirs.get(i)!;
      return { kind: 'dir', record, node: this.nodes[i] as TreeDir, parentRecord, links: null, firstChildItem: d.firstChildItem, indexBlocks: d.indexBlocks, indexRuns: d.indexRuns };
    }
    const rare = this.rare.get(i);
    const runs = flags & ONE_RUN ? null : (rare?.runs ?? NO_RUNS);
    return { kind: 'file', record, node: this.nodes[i] as TreeFile, parentRecord, links: rare?.links ?? null, resident: (flags & RESIDENT) !== 0, clusters: this.clusters[i], lcn: this.lcns[i], runs, dataExtents: rare?.dataExtents ?? null };
  }

  *[Symbol.iterator](): Generator<PlacedItem> {
    for (let i = 0; i < this.length; i++) yield this.at(i)!;
  }

  forEach(f: (item: PlacedItem, i: number) => void): void {
    for (let i = 0; i < this.length; i++) f(this.at(i)!, i);
  }
}

/** Nodes in the tree under `dir` (an upper bound of the items: hard links share one). */
function countNodes(dir: TreeDir): number {
  let n = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    n += d.entries.length;
    for (const e of d.entries) if (e.kind === 'dir') stack.push(e);
  }
  return n;
}

export interface NtfsPopulation {
  readonly root: TreeDir;
  /** by record − FIRST_USER_RECORD */
  readonly items: PlacedItems;
  /** hard-linked tree nodes (each name's) to the index of the item that holds them; other nodes are found by
   *  childItems */
  readonly linked: ReadonlyMap<TreeNode, number>;
  /** INDX blocks of the root directory's $I30 (system files included) and their clusters */
  rootIndexBlocks: number;
  rootIndexRuns: readonly Run[];
  /** files with an attribute list, and their extension records (numbered after every item's record) */
  readonly extensions: PopulationExtensions;
}

export interface PopulationGeometry {
  readonly mftRecordSize: number;
  readonly indexRecordSize: number;
  readonly clusterSize: number;
  /** the volume's: it bounds the width of a runlist's LCN deltas */
  readonly clusterCount: number;
  readonly upcase: Uint8Array;
}

/** Names the root directory holds before any copied file (system-files.ts links them). */
export const ROOT_SYSTEM_NAMES: readonly string[] = ['.', '$MFT', '$MFTMirr', '$LogFile', '$AttrDef', '$Bitmap', '$Boot', '$Volume', '$BadClus', '$Secure', '$UpCase', '$Extend'];

/** Bytes of a $FILE_NAME attribute record (resident, indexed) for `name`. */
export function fileNameAttributeBytes(name: string): number {
  return RESIDENT_ATTRIBUTE_HEADER.sizeBytes + align8(FILE_NAME_HEADER.sizeBytes + 2 * name.length);
}

/** Bytes of the $I30 entry naming `name`. */
export function indexEntryBytes(name: string): number {
  return align8(FILE_INDEX_ENTRY_HEADER.sizeBytes + FILE_NAME_HEADER.sizeBytes + 2 * name.length);
}

/** Every name of `item`, the first one first (made on demand: the plan keeps no copy of a single name). */
export function namesOf(item: PlacedItem): PlacedName[] {
  const first: PlacedName = { parentRecord: item.parentRecord, name: item.node.name };
  return item.links === null ? [first] : [first, ...item.links];
}

/** The items of a directory's children (`record` 5: the root), in the order of its entries. */
export function childItems(population: NtfsPopulation, dir: TreeDir, record: number): PlacedItem[] {
  const items = population.items;
  let next = record === SYSTEM_FILE.ROOT ? 0 : items.dirs.get(record - FIRST_USER_RECORD)!.firstChildItem;
  return dir.entries.map((node) => {
    const linked = population.linked.get(node);
    const i = linked ?? next;
    if (items.nodes[next] === node) next++;
    else if (linked === undefined) throw new Error(`internal: no record for ${node.name}`);
    return items.at(i)!;
  });
}

const STANDARD_INFORMATION_BYTES = RESIDENT_ATTRIBUTE_HEADER.sizeBytes + STANDARD_INFORMATION.sizeBytes;

function fixedBytes(rs: number, names: readonly PlacedName[]): number {
  return mftAttrsOffset(rs) + STANDARD_INFORMATION_BYTES + names.reduce((n, x) => n + fileNameAttributeBytes(x.name), 0) + END_MARKER_BYTES;
}

/** Bytes of a non-resident attribute record with `runs` runs at most, named with `nameBytes` bytes. */
export function nonResidentBudgetBytes(runs: number, nameBytes = 0): number {
  return NON_RESIDENT_ATTRIBUTE_HEADER.sizeBytes + nameBytes + align8(1 + runs * MAX_RUN_BYTES);
}

/** Room a directory record leaves for its $INDEX_ROOT value, with `blocks` INDX blocks (0: a small index). */
export function indexRootRoomBytes(rs: number, names: readonly PlacedName[], blocks: number): number {
  let used = fixedBytes(rs, names) + RESIDENT_ATTRIBUTE_HEADER.sizeBytes + I30_NAME_BYTES;
  if (blocks > 0) {
    used += nonResidentBudgetBytes(BUDGET_RUNS, I30_NAME_BYTES);
    used += RESIDENT_ATTRIBUTE_HEADER.sizeBytes + I30_NAME_BYTES + align8(Math.ceil(blocks / 64) * 8);
  }
  return rs - used;
}

/** INDX blocks a directory index of these entry sizes (in collation order) needs, given its record's room: entries
 *  of the same lengths stand in for the real ones, which are made only when the directory is written. */
export function planIndexBlocks(entryBytes: readonly number[], geometry: PopulationGeometry, room: (blocks: number) => number): number {
  // One stand-in per length, shared: a directory of 100,000 names has only a few hundred lengths.
  const byLength = new Map<number, Uint8Array>();
  const dummies = entryBytes.map((n) => {
    let e = byLength.get(n);
    if (!e) {
      e = new Uint8Array(n);
      FILE_INDEX_ENTRY_HEADER.encodeInto({ indexedFile: new Uint8Array(8), length: n, keyLength: n - FILE_INDEX_ENTRY_HEADER.sizeBytes, ieFlags: 0, reserved: 0 }, e);
      byLength.set(n, e);
    }
    return e;
  });
  let blocks = 0;
  for (let round = 0; round < 8; round++) {
    const built = countDirectoryIndexBlocks({ entries: dummies, indexBlockSize: geometry.indexRecordSize, clusterSize: geometry.clusterSize, rootRoomBytes: room(blocks) });
    if (built === blocks) return blocks;
    blocks = built;
  }
  return blocks;
}

/** A directory's names in $I30 order: the system names (root only) and one per child name. */
export function sortedDirectoryNames(dir: TreeDir, isRoot: boolean, upcase: Uint8Array): string[] {
  const names = dir.entries.map((n) => n.name);
  if (isRoot) names.push(...ROOT_SYSTEM_NAMES);
  return names.sort((a, b) => compareNtfsNames(upcase, a, b));
}

/** Clusters the non-resident data of `file` takes. */
function dataClusters(file: TreeFile, clusterSize: number): number {
  return Math.ceil(file.sizeBytes / clusterSize);
}

/** The runlist of a file's $DATA (empty when it has no clusters). */
export function dataRuns(file: PlacedFile): readonly Run[] {
  return file.runs ?? [{ lcn: file.lcn, length: file.clusters }];
}

/** Clusters a non-resident file allocates: all its VCNs, or only its data extents when sparse. */
export function allocatedClusters(file: PlacedFile): number {
  return file.dataExtents ? file.dataExtents.reduce((n, e) => n + e.length, 0) : file.clusters;
}

/** Clusters per allocation unit of a sparse file: 64 KiB, or one cluster when clusters are larger. */
export function sparseUnitClusters(clusterSize: number): number {
  return Math.max(1, SPARSE_UNIT_BYTES / clusterSize);
}

/**
 * The VCN ranges of a file with source holes that get clusters: each data range widened to whole units (a cluster
 * larger than 64 KiB is one unit), merged, cut at the file's last cluster. Null (stored whole) when the holes do
 * not save a unit.
 */
function sparseExtents(file: TreeFile, clusters: number, clusterSize: number): VcnExtent[] | null {
  if (!file.dataRanges) return null;
  const unit = sparseUnitClusters(clusterSize);
  const unitBytes = unit * clusterSize;
  const extents: { vcn: number; length: number }[] = [];
  for (const r of file.dataRanges) {
    const from = Math.floor(r.offsetBytes / unitBytes) * unit;
    const to = Math.min(clusters, Math.ceil((r.offsetBytes + r.lengthBytes) / unitBytes) * unit);
    const last = extents[extents.length - 1];
    if (last && last.vcn + last.length >= from) last.length = Math.max(last.length, to - last.vcn);
    else if (to > from) extents.push({ vcn: from, length: to - from });
  }
  const allocated = extents.reduce((n, e) => n + e.length, 0);
  if (clusters - allocated < unit) return null;
  return extents;
}

/** A sparse file's runlist before its clusters are placed (a non-null LCN marks a run with clusters). */
function unplacedSparseRuns(file: PlacedFile): Run[] {
  return sparseRuns(file.dataExtents!, file.clusters, [{ lcn: 0, length: allocatedClusters(file) }]);
}

function listGeometry(geometry: PopulationGeometry): ListGeometry {
  return { mftRecordSize: geometry.mftRecordSize, lcnBytes: signedByteCount(geometry.clusterCount), extraRuns: BUDGET_RUNS - 1, maxRunBytes: MAX_RUN_BYTES, nonResidentBudgetBytes: nonResidentBudgetBytes(BUDGET_RUNS) };
}

/** Bytes the $DATA record of a non-resident file takes at most, all in one record. */
function dataRecordBudgetBytes(file: PlacedFile, g: ListGeometry): number {
  if (!file.dataExtents) return g.nonResidentBudgetBytes;
  return sparseDataRecordBytes(sparseRunsBoundBytes(unplacedSparseRuns(file), g.lcnBytes), g.extraRuns, g.maxRunBytes);
}

/** Gives `file`, whose attributes its record cannot hold, an attribute list and extension records. */
function listFile(file: PlacedFile, population: NtfsPopulation, g: ListGeometry, firstExtension: number): string | null {
  const data = file.dataExtents ? { sparse: true as const, runs: unplacedSparseRuns(file) } : { sparse: false as const, clusters: file.clusters, recordBytes: g.nonResidentBudgetBytes };
  const listed = planListedFile({ base: file.record, fileNameBytes: namesOf(file).map((n) => fileNameAttributeBytes(n.name)), data }, firstExtension, g);
  if ('problem' in listed) return listed.problem;
  population.extensions.byBase.set(file.record, listed);
  population.extensions.inOrder.push(listed);
  population.extensions.recordCount += listed.extensionCount;
  return null;
}

/** Records the copied tree takes from FIRST_USER_RECORD on: every file and directory, then the extension records. */
export function populatedRecordCount(population: NtfsPopulation): number {
  return population.items.length + population.extensions.recordCount;
}

/** A sparse file's runlist: its data extents laid, in VCN order, over the clusters `pieces` allocated (in order),
 *  holes (runs without an LCN) between them and up to `clusters`. */
export function sparseRuns(extents: readonly VcnExtent[], clusters: number, pieces: readonly Run[]): Run[] {
  const runs: Run[] = [];
  let vcn = 0;
  let piece = 0;
  let usedOfPiece = 0;
  for (const e of extents) {
    if (e.vcn > vcn) runs.push({ lcn: null, length: e.vcn - vcn });
    let left = e.length;
    while (left > 0) {
      const p = pieces[piece];
      const take = Math.min(left, p.length - usedOfPiece);
      const lcn = p.lcn! + usedOfPiece;
      const last = runs[runs.length - 1];
      if (last && last.lcn !== null && last.lcn + last.length === lcn) runs[runs.length - 1] = { lcn: last.lcn, length: last.length + take };
      else runs.push({ lcn, length: take });
      left -= take;
      usedOfPiece += take;
      if (usedOfPiece === p.length) {
        piece++;
        usedOfPiece = 0;
      }
    }
    vcn = e.vcn + e.length;
  }
  if (clusters > vcn) runs.push({ lcn: null, length: clusters - vcn });
  return runs;
}

/** Records, names, residency and index sizes: everything but cluster positions. */
export function shapePopulation(root: TreeDir, geometry: PopulationGeometry): { population: NtfsPopulation; problems: TreeProblem[] } {
  const rs = geometry.mftRecordSize;
  const items = new PlacedItems(countNodes(root), geometry.clusterCount);
  const linked = new Map<TreeNode, number>();
  const groups = new Map<string, number>();
  const problems: TreeProblem[] = [];
  const pathOf = new Map<number, string>();
  const population: NtfsPopulation = { root, items, linked, rootIndexBlocks: 0, rootIndexRuns: NO_RUNS, extensions: emptyExtensions() };
  const lg = listGeometry(geometry);
  // Paths are made only where a problem may need one: the root's names, and the files with several names.
  const stack: { dir: TreeDir; record: number; path: string }[] = [{ dir: root, record: SYSTEM_FILE.ROOT, path: '' }];
  const rootNames = new Set(ROOT_SYSTEM_NAMES.map((n) => n.toUpperCase()));
  while (stack.length > 0) {
    const { dir, record, path } = stack.pop()!;
    if (record !== SYSTEM_FILE.ROOT) items.dirs.get(record - FIRST_USER_RECORD)!.firstChildItem = items.length;
    const subdirs: { dir: TreeDir; record: number; path: string }[] = [];
    for (const node of dir.entries) {
      if (record === SYSTEM_FILE.ROOT && rootNames.has(node.name.toUpperCase())) problems.push({ path: `${path}/${node.name}`, reason: `${node.name} is an NTFS system file name in the root directory` });
      if (node.kind === 'dir') {
        const i = items.push(node, record);
        subdirs.push({ dir: node, record: FIRST_USER_RECORD + i, path: `${path}/${node.name}` });
        continue;
      }
      const shared = node.linkGroup === null ? undefined : groups.get(node.linkGroup);
      if (shared !== undefined) {
        (items.rareOf(shared).links ??= []).push({ parentRecord: record, name: node.name });
        linked.set(node, shared);
        continue;
      }
      const i = items.push(node, record);
      // Only a file with several names can outgrow its record: its path is kept for the error.
      if (node.linkGroup !== null) {
        linked.set(node, i);
        groups.set(node.linkGroup, i);
        pathOf.set(i, `${path}/${node.name}`);
      }
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
  }
  items.trim();
  for (let i = 0; i < items.length; i++) {
    if (!items.isFile(i)) continue;
    const node = items.nodes[i] as TreeFile;
    const links = items.rare.get(i)?.links ?? null;
    const fixed = links === null ? fixedBytesOneName(rs, node.name) : fixedBytes(rs, namesOf(items.at(i)!));
    const residentBytes = RESIDENT_ATTRIBUTE_HEADER.sizeBytes + align8(node.sizeBytes);
    if (fixed + residentBytes <= rs) {
      items.flags[i] |= RESIDENT;
      continue;
    }
    const clusters = dataClusters(node, geometry.clusterSize);
    items.clusters[i] = clusters;
    const extents = sparseExtents(node, clusters, geometry.clusterSize);
    if (extents) items.rareOf(i).dataExtents = extents;
    const file = items.at(i) as PlacedFile;
    if (fixed + dataRecordBudgetBytes(file, lg) > rs) {
      const problem = listFile(file, population, lg, FIRST_USER_RECORD + populatedRecordCount(population));
      if (problem) problems.push({ path: pathOf.get(i) ?? node.name, reason: problem });
    }
  }
  for (const [i, d] of items.dirs) {
    const dir = items.at(i)!;
    const entryBytes = sortedDirectoryNames(dir.node as TreeDir, false, geometry.upcase).map(indexEntryBytes);
    d.indexBlocks = planIndexBlocks(entryBytes, geometry, (blocks) => indexRootRoomBytes(rs, namesOf(dir), blocks));
  }
  return { population, problems };
}

/** fixedBytes of a record with one name. */
function fixedBytesOneName(rs: number, name: string): number {
  return mftAttrsOffset(rs) + STANDARD_INFORMATION_BYTES + fileNameAttributeBytes(name) + END_MARKER_BYTES;
}

/** Clusters the copied tree needs outside the MFT: every directory's INDX blocks and every non-resident file. */
export function populationClusters(population: NtfsPopulation, geometry: PopulationGeometry): number {
  const items = population.items;
  let total = 0;
  for (const d of items.dirs.values()) total += indexClusters(d.indexBlocks, geometry);
  for (let i = 0; i < items.length; i++) if (items.isFile(i)) total += allocatedClustersOf(items, i);
  for (const listed of population.extensions.inOrder) total += listed.listResident ? 0 : Math.ceil(listed.listBytes / geometry.clusterSize);
  return total;
}

/** allocatedClusters of item `i` (a file), from the columns. */
function allocatedClustersOf(items: PlacedItems, i: number): number {
  const extents = items.rare.get(i)?.dataExtents;
  return extents ? extents.reduce((n, e) => n + e.length, 0) : items.clusters[i];
}

export function indexClusters(blocks: number, geometry: Pick<PopulationGeometry, 'indexRecordSize' | 'clusterSize'>): number {
  return Math.ceil((blocks * geometry.indexRecordSize) / geometry.clusterSize);
}

/** Gives every directory index and non-resident file its clusters, in record (tree) order. */
export function allocatePopulation(population: NtfsPopulation, geometry: PopulationGeometry, alloc: ClusterAllocator): void {
  const items = population.items;
  for (let i = 0; i < items.length; i++) {
    const node = items.nodes[i];
    if (!items.isFile(i)) {
      const d = items.dirs.get(i)!;
      if (d.indexBlocks > 0) d.indexRuns = alloc.allocateScattered(indexClusters(d.indexBlocks, geometry), `the index of ${node.name}`);
    } else if (!items.isResident(i) && items.clusters[i] > 0) {
      // One run where a free range is long enough (the first that is, from the MFT zone's end); else first-fit
      // pieces (a file larger than the space between $MFTMirr/$LogFile and the volume's ends), as few as the
      // record has room for. A sparse file's data part is allocated the same way, then laid over its extents.
      const wanted = allocatedClustersOf(items, i);
      const run = wanted > 0 ? alloc.allocateContiguous(wanted) : null;
      const pieces = run ? [run] : wanted > 0 ? alloc.allocateScattered(wanted, node.name) : [];
      if (pieces.length > BUDGET_RUNS) {
        throw new GuestdiskError('TARGET_TOO_SMALL', `NTFS: the free space left for ${node.name} is in ${pieces.length} pieces, more than its MFT record holds; give a larger --size`, { runs: pieces.length });
      }
      const extents = items.rare.get(i)?.dataExtents;
      if (extents) {
        items.rareOf(i).runs = sparseRuns(extents, items.clusters[i], pieces);
      } else if (pieces.length === 1) {
        items.lcns[i] = pieces[0].lcn!;
        items.flags[i] |= ONE_RUN;
      } else {
        items.rareOf(i).runs = pieces;
      }
    }
  }
  // Non-resident attribute lists last, in record order: each budgeted BUDGET_RUNS runs like a file's data.
  for (const listed of population.extensions.inOrder) {
    if (listed.listResident) continue;
    const clusters = Math.ceil(listed.listBytes / geometry.clusterSize);
    const run = alloc.allocateContiguous(clusters);
    listed.listRuns = run ? [run] : alloc.allocateScattered(clusters, `the attribute list of record ${listed.base}`);
    if (listed.listRuns.length > BUDGET_RUNS) {
      throw new GuestdiskError('TARGET_TOO_SMALL', `NTFS: the free space left for the attribute list of record ${listed.base} is in ${listed.listRuns.length} pieces, more than its MFT record holds; give a larger --size`, { runs: listed.listRuns.length });
    }
  }
}

