// A file tree placed into a new FAT32 volume (create --copy-from). Pure: where each directory and file goes, then
// the chunks that say so (FAT chains, directory clusters, the files' data as ContentChunks the writer streams).
//
// Placement: every directory and file is one contiguous run of clusters, handed out in one pass from cluster 2 in
// tree order (a directory, then its files' data, then its subdirectories, depth first): the root directory starts
// at cluster 2 as the boot sector says, no run is fragmented, and the clusters in use are exactly 2 … 2 + used − 1,
// so the FAT is a sequence of chains and FSInfo's free count is clusterCount − used.
//
// Directory entries: "." and ".." first in subdirectories (fatgen103 "FAT Directory Structure"), then the names in
// the tree's order: a long name (LFN entries, last part first) and its short entry, or the short entry alone for a
// name that is already 8.3 (short-name.ts). The root has no dot entries; its label entry, when there is one, comes
// first, as Windows' format writes it. Times: modified = the source's (clamped to the DOS range), created and
// accessed = the spec's timestamp (when the copy was made, as a copy on Windows records it).
import { GuestdiskError } from '../../errors.js';
import { DOS_TIME_MAX_UNIX, DOS_TIME_MIN_UNIX, unixToDosDateTime, type DosDateTime } from '../../binary/time-formats.js';
import { intFieldWriter, viewOf, writeUintTo } from '../../binary/fields.js';
import type { Chunk, ContentChunk, TreeDir, TreeFile, TreeProblem } from '../../disk-types.js';
import { placedFilesInReadOrder, type PlacedFile } from '../placed-files.js';
import { ATTR_ARCHIVE, ATTR_DIRECTORY, ATTR_READ_ONLY, DIR_ENTRY, DIR_ENTRY_SIZE, type DirEntry } from './dir-entry.js';
import { FAT32_ENTRY_BYTES, FAT32_EOC, FIRST_DATA_CLUSTER, fat32MediaEntry } from './fat.js';
import { encodeLfnEntriesInto, lfnEntryCount } from './long-name-entry.js';
import { packShortName, shortNameChecksum, shortNamesFor, type ShortName } from './short-name.js';

/** fatgen103: a directory holds at most 65,536 32-byte entries (2 MiB). */
export const FAT32_MAX_DIR_ENTRIES = 65_536;
/** DIR_FileSize is 32 bits: a file of 4 GiB or more cannot be stored. */
export const FAT32_MAX_FILE_BYTES = 0xffffffff;
/** FAT pieces built at once (entries): 64 KiB, whatever the volume's size. */
const FAT_PIECE_ENTRIES = 16 * 1024;
/** Clusters up to this size get their slack written as zeros (fat32FileChunks / exfatFileChunks). */
export const SLACK_PAD_MAX_BYTES = 4096;

export interface Fat32PlacedDir {
  readonly node: TreeDir;
  readonly path: string;
  readonly firstCluster: number;
  readonly clusterCount: number;
  /** Cluster the ".." entry names: 0 when the parent is the root (fatgen103). null for the root itself. The short
   *  names are not kept here: encodeFat32Directory makes them again (the same ones: shortNamesFor is a function of
   *  the names), so a placed tree of 100,000 files holds no 100,000 short-name arrays between plan and write. */
  readonly parentCluster: number | null;
}

/** Where the tree goes. Only directories are listed: a directory's files follow its own clusters, in entry order
 *  (placedFilesOf), so a placement of 100,000 files holds no object, map entry or array slot per file. */
export interface Fat32Placement {
  /** In placement order (ascending first cluster). */
  readonly dirs: readonly Fat32PlacedDir[];
  /** Each directory's place, for the entry that names it in its parent. */
  readonly dirPlace: ReadonlyMap<TreeDir, Fat32PlacedDir>;
  /** Clusters 2 … 2 + usedClusterCount − 1 are in use. */
  readonly usedClusterCount: number;
  readonly clusterSize: number;
}

export interface Fat32PlaceInput {
  readonly root: TreeDir;
  readonly clusterSize: number;
  /** The root holds a volume label entry. */
  readonly hasLabel: boolean;
}

function dirEntryCount(dir: TreeDir, shortNames: readonly ShortName[], isRoot: boolean, hasLabel: boolean): number {
  let count = isRoot ? (hasLabel ? 1 : 0) : 2;
  for (let i = 0; i < dir.entries.length; i++) count += 1 + (shortNames[i].needsLongName ? lfnEntryCount(dir.entries[i].name) : 0);
  return count;
}

/** The last placement of each tree: planning (content-plan.ts) and formatting place the same tree with the same
 *  geometry (and --size +HEADROOM plans it at several sizes). */
const placed = new WeakMap<TreeDir, { input: Fat32PlaceInput; result: { placement: Fat32Placement; problems: TreeProblem[] } }>();

/** Where everything goes, and what cannot go at all (files of 4 GiB or more, over-full directories). */
export function placeFat32Tree(input: Fat32PlaceInput): { placement: Fat32Placement; problems: TreeProblem[] } {
  const last = placed.get(input.root);
  if (last && last.input.clusterSize === input.clusterSize && last.input.hasLabel === input.hasLabel) return last.result;
  const result = placeFat32TreeOnce(input);
  placed.set(input.root, { input, result });
  return result;
}

/** Clusters of a file that gets any: not empty, and under FAT32's 4 GiB (a larger one is a problem, not placed). */
function fileClusters(file: TreeFile, clusterSize: number): number {
  return file.sizeBytes > FAT32_MAX_FILE_BYTES ? 0 : Math.ceil(file.sizeBytes / clusterSize);
}

function placeFat32TreeOnce(input: Fat32PlaceInput): { placement: Fat32Placement; problems: TreeProblem[] } {
  const problems: TreeProblem[] = [];
  const cs = input.clusterSize;
  const dirs: Fat32PlacedDir[] = [];
  const dirPlace = new Map<TreeDir, Fat32PlacedDir>();
  let cursor = FIRST_DATA_CLUSTER;
  const stack: { dir: TreeDir; path: string; parentCluster: number | null }[] = [{ dir: input.root, path: '', parentCluster: null }];
  while (stack.length > 0) {
    const { dir, path, parentCluster } = stack.pop()!;
    const isRoot = parentCluster === null;
    const shortNames = shortNamesFor(dir.entries.map((e) => e.name));
    if (!shortNames) {
      problems.push({ path: path || '/', reason: 'too many names share one short-name basis (over 999,999)' });
      continue;
    }
    const entries = dirEntryCount(dir, shortNames, isRoot, input.hasLabel);
    if (entries > FAT32_MAX_DIR_ENTRIES) {
      problems.push({ path: path || '/', reason: `needs ${entries} directory entries; a FAT32 directory holds ${FAT32_MAX_DIR_ENTRIES} (long names take several each)` });
    }
    const place: Fat32PlacedDir = { node: dir, path, firstCluster: cursor, clusterCount: Math.max(1, Math.ceil((entries * DIR_ENTRY_SIZE) / cs)), parentCluster };
    cursor += place.clusterCount;
    dirPlace.set(dir, place);
    dirs.push(place);
    const subdirs: { dir: TreeDir; path: string; parentCluster: number }[] = [];
    for (const node of dir.entries) {
      if (node.kind === 'dir') {
        subdirs.push({ dir: node, path: `${path}/${node.name}`, parentCluster: isRoot ? 0 : place.firstCluster });
        continue;
      }
      if (node.sizeBytes > FAT32_MAX_FILE_BYTES) {
        problems.push({ path: `${path}/${node.name}`, reason: `${node.sizeBytes} bytes: FAT32 files must be smaller than 4 GiB (use --fs exfat or ntfs)` });
      }
      cursor += fileClusters(node, cs);
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
  }
  return { placement: { dirs, dirPlace, usedClusterCount: cursor - FIRST_DATA_CLUSTER, clusterSize: cs }, problems };
}

/** A directory's files that have clusters, with their places: right after the directory's own clusters, one after
 *  the other in entry order (placeFat32TreeOnce hands them out so). */
function* placedFilesOf(dir: Fat32PlacedDir, clusterSize: number): Generator<PlacedFile> {
  let next = dir.firstCluster + dir.clusterCount;
  for (const node of dir.node.entries) {
    if (node.kind !== 'file') continue;
    const clusterCount = fileClusters(node, clusterSize);
    if (clusterCount === 0) continue;
    yield { node, firstCluster: next, clusterCount };
    next += clusterCount;
  }
}

/** The last cluster of every run (each directory, each file), ascending: the FAT's end-of-chain marks. */
function* runEnds(placement: Fat32Placement): Generator<number> {
  for (const dir of placement.dirs) {
    yield dir.firstCluster + dir.clusterCount - 1;
    for (const f of placedFilesOf(dir, placement.clusterSize)) yield f.firstCluster + f.clusterCount - 1;
  }
}

/** FAT bytes for entries [0, 2 + used): media, clean-shutdown entry, then every run chained to its end. Pieces of
 *  at most FAT_PIECE_ENTRIES, sector padded; the caller zeroes the rest of the FAT. */
export function* fat32ChainPieces(placement: Fat32Placement, media: number, sectorSize: number, fatOffsetBytes: number): Generator<Chunk> {
  const endEntry = FIRST_DATA_CLUSTER + placement.usedClusterCount;
  // The run ends ascend, as the entries do: one iterator walks them beside the entries (no set of every run's end).
  const ends = runEnds(placement);
  let nextEnd = ends.next();
  for (let first = 0; first < endEntry; first += FAT_PIECE_ENTRIES) {
    const count = Math.min(FAT_PIECE_ENTRIES, endEntry - first);
    const bytes = new Uint8Array(Math.ceil((count * FAT32_ENTRY_BYTES) / sectorSize) * sectorSize);
    const view = viewOf(bytes);
    for (let i = 0; i < count; i++) {
      const c = first + i;
      while (!nextEnd.done && nextEnd.value < c) nextEnd = ends.next();
      const value = c === 0 ? fat32MediaEntry(media) : c === 1 || (!nextEnd.done && nextEnd.value === c) ? FAT32_EOC : c + 1;
      writeUintTo(view, i * FAT32_ENTRY_BYTES, 4, value);
    }
    yield { offsetBytes: fatOffsetBytes + first * FAT32_ENTRY_BYTES, bytes };
  }
}

/** Bytes of the FAT the chain pieces cover (sector padded). */
export function fat32ChainBytes(placement: Fat32Placement, sectorSize: number): number {
  const endEntry = FIRST_DATA_CLUSTER + placement.usedClusterCount;
  const fullPieces = Math.floor(endEntry / FAT_PIECE_ENTRIES);
  const rest = endEntry - fullPieces * FAT_PIECE_ENTRIES;
  const pieceBytes = Math.ceil((FAT_PIECE_ENTRIES * FAT32_ENTRY_BYTES) / sectorSize) * sectorSize;
  return fullPieces * pieceBytes + (rest > 0 ? Math.ceil((rest * FAT32_ENTRY_BYTES) / sectorSize) * sectorSize : 0);
}

function clampDos(unixSeconds: number): number {
  return Math.min(Math.max(unixSeconds, DOS_TIME_MIN_UNIX), DOS_TIME_MAX_UNIX);
}

function shortEntry(name: Uint8Array, ntRes: number, attr: number, firstCluster: number, sizeBytes: number, mtime: number, created: DosDateTime): DirEntry {
  const w = unixToDosDateTime(clampDos(mtime));
  return {
    name, attr, ntRes,
    crtTimeTenth: created.tenMs, crtTime: created.time, crtDate: created.date,
    lstAccDate: created.date,
    fstClusHi: firstCluster >>> 16, wrtTime: w.time, wrtDate: w.date, fstClusLo: firstCluster & 0xffff,
    fileSize: sizeBytes,
  };
}

// The fields putShortEntry writes, at the table's offsets (dir-entry.ts), into one view of the directory.
const entryField = {
  attr: intFieldWriter(DIR_ENTRY, 'attr'),
  ntRes: intFieldWriter(DIR_ENTRY, 'ntRes'),
  crtTimeTenth: intFieldWriter(DIR_ENTRY, 'crtTimeTenth'),
  crtTime: intFieldWriter(DIR_ENTRY, 'crtTime'),
  crtDate: intFieldWriter(DIR_ENTRY, 'crtDate'),
  lstAccDate: intFieldWriter(DIR_ENTRY, 'lstAccDate'),
  fstClusHi: intFieldWriter(DIR_ENTRY, 'fstClusHi'),
  wrtTime: intFieldWriter(DIR_ENTRY, 'wrtTime'),
  wrtDate: intFieldWriter(DIR_ENTRY, 'wrtDate'),
  fstClusLo: intFieldWriter(DIR_ENTRY, 'fstClusLo'),
  fileSize: intFieldWriter(DIR_ENTRY, 'fileSize'),
};
const NAME_AT = DIR_ENTRY.fieldRange('name').offsetBytes;

/** shortEntry's value written field by field into a directory's fresh (zero) clusters: one per copied name. */
function putShortEntry(out: Uint8Array, view: DataView, at: number, short: ShortName, attr: number, firstCluster: number, sizeBytes: number, mtime: number, created: DosDateTime): void {
  const w = unixToDosDateTime(clampDos(mtime));
  out.set(short.name, at + NAME_AT);
  entryField.attr(view, at, attr);
  entryField.ntRes(view, at, short.ntRes);
  entryField.crtTimeTenth(view, at, created.tenMs);
  entryField.crtTime(view, at, created.time);
  entryField.crtDate(view, at, created.date);
  entryField.lstAccDate(view, at, created.date);
  entryField.fstClusHi(view, at, firstCluster >>> 16);
  entryField.wrtTime(view, at, w.time);
  entryField.wrtDate(view, at, w.date);
  entryField.fstClusLo(view, at, firstCluster & 0xffff);
  entryField.fileSize(view, at, sizeBytes);
}

const DOT_NAME = packShortName('.', '');
const DOT_DOT_NAME = packShortName('..', '');

/** One directory's clusters: its entries, then zeros (the first zero entry ends the directory). */
export function encodeFat32Directory(dir: Fat32PlacedDir, placement: Fat32Placement, clusterSize: number, created: number, labelEntry: DirEntry | null): Uint8Array {
  const out = new Uint8Array(dir.clusterCount * clusterSize);
  const view = viewOf(out);
  const c = unixToDosDateTime(clampDos(created));
  let at = 0;
  const put = (entry: DirEntry): void => {
    DIR_ENTRY.encodeInto(entry, out, at);
    at += DIR_ENTRY_SIZE;
  };
  if (dir.parentCluster === null) {
    if (labelEntry) put(labelEntry);
  } else {
    put(shortEntry(DOT_NAME, 0, ATTR_DIRECTORY, dir.firstCluster, 0, dir.node.mtime, c));
    put(shortEntry(DOT_DOT_NAME, 0, ATTR_DIRECTORY, dir.parentCluster, 0, dir.node.mtime, c));
  }
  const shortNames = shortNamesFor(dir.node.entries.map((e) => e.name));
  if (!shortNames) throw new GuestdiskError('INVALID_SPEC', `${dir.path || '/'}: too many names share one short-name basis (placeFat32Tree reports this first)`);
  let nextFileCluster = dir.firstCluster + dir.clusterCount; // as placedFilesOf: the files follow the directory
  for (let i = 0; i < dir.node.entries.length; i++) {
    const node = dir.node.entries[i];
    const short = shortNames[i];
    if (short.needsLongName) at += encodeLfnEntriesInto(node.name, shortNameChecksum(short.name), out, at, view);
    if (node.kind === 'dir') {
      putShortEntry(out, view, at, short, ATTR_DIRECTORY, placement.dirPlace.get(node)!.firstCluster, 0, node.mtime, c);
    } else {
      const clusters = fileClusters(node, clusterSize);
      putShortEntry(out, view, at, short, ATTR_ARCHIVE | (node.readOnly ? ATTR_READ_ONLY : 0), clusters > 0 ? nextFileCluster : 0, node.sizeBytes, node.mtime, c);
      nextFileCluster += clusters;
    }
    at += DIR_ENTRY_SIZE;
  }
  return out;
}

/** The files' data, in the sources' read order (ContentRef.order), each padded with zeros to the end of its last
 *  cluster when clusters are small (≤ SLACK_PAD_MAX_BYTES: a few KiB of zeros make a directory's small files one
 *  write instead of one each), else to a whole sector (the rest of the cluster is slack no reader looks at). */
export function* fat32FileChunks(placement: Fat32Placement, clusterOffsetBytes: (cluster: number) => number, sectorSize: number, clusterSize: number): Generator<ContentChunk> {
  const placedFiles = function* (): Generator<PlacedFile> {
    for (const dir of placement.dirs) yield* placedFilesOf(dir, clusterSize);
  };
  for (const f of placedFilesInReadOrder(placedFiles)) {
    yield {
      offsetBytes: clusterOffsetBytes(f.firstCluster),
      content: f.node,
      contentBytes: f.node.sizeBytes,
      lengthBytes: clusterSize <= SLACK_PAD_MAX_BYTES ? f.clusterCount * clusterSize : Math.ceil(f.node.sizeBytes / sectorSize) * sectorSize,
    };
  }
}
