// A file tree placed into a new NTFS volume (create --copy-from), the pure part: which MFT record each file and
// directory gets, which names it carries, whether its data stays resident, how many INDX blocks its directory index
// needs, and (once the system files have taken their clusters) where its clusters go.
//
// - Records: the root directory is record 5; everything else is numbered from FIRST_USER_RECORD in tree order (a
//   directory's entries, then its subdirectories'), one record per file: hard links share it, one $FILE_NAME per name.
// - Data: resident when the whole record (header, $STANDARD_INFORMATION, every $FILE_NAME, the $DATA value) fits, as
//   Windows and ntfs-3g keep small files; otherwise non-resident, each file one contiguous run where the free space
//   allows, allocated first-fit after the MFT zone in tree order (a directory's INDX blocks, then its files' data).
// - A record that cannot hold its attributes (very many hard links) would need an $ATTRIBUTE_LIST and extension
//   records, which are not written: such a tree is refused before anything is written.
// Memory: one small object per file or directory; records and index blocks are encoded only when written.
import { GuestdiskError } from '../../errors.js';
import { SYSTEM_FILE } from './attribute-types.js';
import type { TreeDir, TreeFile, TreeNode, TreeProblem } from '../../disk-types.js';
import { NON_RESIDENT_ATTRIBUTE_HEADER, RESIDENT_ATTRIBUTE_HEADER } from './attributes/attribute-header.js';
import { FILE_NAME_HEADER } from './attributes/file-name.js';
import { STANDARD_INFORMATION } from './attributes/standard-information.js';
import { FILE_INDEX_ENTRY_HEADER } from './index-entry.js';
import { countDirectoryIndexBlocks } from './directory-index.js';
import { compareNtfsNames } from './upcase.js';
import { mftAttrsOffset } from './mft-record.js';
import type { ClusterAllocator } from './cluster-allocator.js';
import type { Run } from './runlist.js';

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

const align8 = (n: number): number => (n + 7) & ~7;

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
  readonly names: PlacedName[];
  resident: boolean;
  /** non-resident: clusters of data */
  clusters: number;
  runs: readonly Run[];
}

export interface PlacedDir {
  readonly kind: 'dir';
  readonly record: number;
  readonly node: TreeDir;
  readonly names: PlacedName[];
  /** INDX blocks of its $I30 (0: a small index, all in $INDEX_ROOT) */
  indexBlocks: number;
  indexRuns: readonly Run[];
}

export type PlacedItem = PlacedFile | PlacedDir;

export interface NtfsPopulation {
  readonly root: TreeDir;
  /** by record − FIRST_USER_RECORD */
  readonly items: readonly PlacedItem[];
  /** every tree node (each hard link's too) to the item that holds it */
  readonly itemOf: ReadonlyMap<TreeNode, PlacedItem>;
  /** INDX blocks of the root directory's $I30 (system files included) and their clusters */
  rootIndexBlocks: number;
  rootIndexRuns: readonly Run[];
}

export interface PopulationGeometry {
  readonly mftRecordSize: number;
  readonly indexRecordSize: number;
  readonly clusterSize: number;
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

/** Records, names, residency and index sizes: everything but cluster positions. */
export function shapePopulation(root: TreeDir, geometry: PopulationGeometry): { population: NtfsPopulation; problems: TreeProblem[] } {
  const rs = geometry.mftRecordSize;
  const items: PlacedItem[] = [];
  const itemOf = new Map<TreeNode, PlacedItem>();
  const groups = new Map<string, PlacedFile>();
  const problems: TreeProblem[] = [];
  const pathOf = new Map<PlacedItem, string>();
  const stack: { dir: TreeDir; record: number; path: string }[] = [{ dir: root, record: SYSTEM_FILE.ROOT, path: '' }];
  const rootNames = new Set(ROOT_SYSTEM_NAMES.map((n) => n.toUpperCase()));
  while (stack.length > 0) {
    const { dir, record, path } = stack.pop()!;
    const subdirs: { dir: TreeDir; record: number; path: string }[] = [];
    for (const node of dir.entries) {
      const p = `${path}/${node.name}`;
      if (record === SYSTEM_FILE.ROOT && rootNames.has(node.name.toUpperCase())) problems.push({ path: p, reason: `${node.name} is an NTFS system file name in the root directory` });
      const name: PlacedName = { parentRecord: record, name: node.name };
      if (node.kind === 'dir') {
        const item: PlacedDir = { kind: 'dir', record: FIRST_USER_RECORD + items.length, node, names: [name], indexBlocks: 0, indexRuns: [] };
        items.push(item);
        itemOf.set(node, item);
        subdirs.push({ dir: node, record: item.record, path: p });
        continue;
      }
      const shared = node.linkGroup === null ? undefined : groups.get(node.linkGroup);
      if (shared) {
        shared.names.push(name);
        itemOf.set(node, shared);
        continue;
      }
      const item: PlacedFile = { kind: 'file', record: FIRST_USER_RECORD + items.length, node, names: [name], resident: false, clusters: 0, runs: [] };
      items.push(item);
      itemOf.set(node, item);
      // Only a file with several names can outgrow its record: its path is kept for the error.
      if (node.linkGroup !== null) {
        groups.set(node.linkGroup, item);
        pathOf.set(item, p);
      }
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
  }
  for (const item of items) {
    if (item.kind === 'file') {
      const fixed = fixedBytes(rs, item.names);
      const residentBytes = RESIDENT_ATTRIBUTE_HEADER.sizeBytes + align8(item.node.sizeBytes);
      if (fixed + residentBytes <= rs) {
        item.resident = true;
      } else {
        item.clusters = dataClusters(item.node, geometry.clusterSize);
        if (fixed + nonResidentBudgetBytes(BUDGET_RUNS) > rs) {
          problems.push({ path: pathOf.get(item) ?? item.node.name, reason: `${item.names.length} hard links do not fit one ${rs}-byte MFT record (an attribute list would be needed, which guestdisk does not write)` });
        }
      }
    }
  }
  const population: NtfsPopulation = { root, items, itemOf, rootIndexBlocks: 0, rootIndexRuns: [] };
  for (const item of items) {
    if (item.kind !== 'dir') continue;
    const entryBytes = sortedDirectoryNames(item.node, false, geometry.upcase).map(indexEntryBytes);
    item.indexBlocks = planIndexBlocks(entryBytes, geometry, (blocks) => indexRootRoomBytes(rs, item.names, blocks));
  }
  return { population, problems };
}

/** Clusters the copied tree needs outside the MFT: every directory's INDX blocks and every non-resident file. */
export function populationClusters(population: NtfsPopulation, geometry: PopulationGeometry): number {
  let total = 0;
  for (const item of population.items) total += item.kind === 'dir' ? indexClusters(item.indexBlocks, geometry) : item.clusters;
  return total;
}

export function indexClusters(blocks: number, geometry: Pick<PopulationGeometry, 'indexRecordSize' | 'clusterSize'>): number {
  return Math.ceil((blocks * geometry.indexRecordSize) / geometry.clusterSize);
}

/** Gives every directory index and non-resident file its clusters, in record (tree) order. */
export function allocatePopulation(population: NtfsPopulation, geometry: PopulationGeometry, alloc: ClusterAllocator): void {
  for (const item of population.items) {
    if (item.kind === 'dir') {
      if (item.indexBlocks > 0) item.indexRuns = alloc.allocateScattered(indexClusters(item.indexBlocks, geometry), `the index of ${item.node.name}`);
    } else if (!item.resident && item.clusters > 0) {
      // One run where a free range is long enough (the first that is, from the MFT zone's end); else first-fit
      // pieces (a file larger than the space between $MFTMirr/$LogFile and the volume's ends), as few as the
      // record has room for.
      const run = alloc.allocateContiguous(item.clusters);
      item.runs = run ? [run] : alloc.allocateScattered(item.clusters, item.node.name);
      if (item.runs.length > BUDGET_RUNS) {
        throw new GuestdiskError('TARGET_TOO_SMALL', `NTFS: the free space left for ${item.node.name} is in ${item.runs.length} pieces, more than its MFT record holds; give a larger --size`, { runs: item.runs.length });
      }
    }
  }
}

