// A file tree placed into a new exFAT volume (create --copy-from). Pure: where each directory and file goes, then
// the chunks that say so (FAT chains of the directories, directory clusters, the files' data as ContentChunks).
//
// Placement: one pass from the root directory's first cluster (right after the bitmap and up-case table), in tree
// order (a directory, then its files' data, then its subdirectories, depth first). Every run is contiguous and the
// clusters in use are exactly 2 … 2 + used − 1, so the allocation bitmap is one run of set bits.
// - Files: NoFatChain (§6.3.4.2: contiguous, the FAT is not consulted), as Windows writes contiguous files; their
//   FAT entries stay 0. Empty files: AllocationPossible with FirstCluster 0 and no clusters, as Windows.
// - Directories (the root included): FAT chains, as Windows keeps them (a directory grows one cluster at a time),
//   at least one cluster each. DataLength = ValidDataLength = their clusters' size (§7.6.5, §7.6.7: for a
//   directory both are the whole allocation).
// - Times: modified = the source's (clamped to the DOS range), created and accessed = the spec's timestamp, all
//   marked UTC (UtcOffset 0x80).
import { DOS_TIME_MAX_UNIX, DOS_TIME_MIN_UNIX } from '../../binary/time-formats.js';
import { viewOf, writeUintTo } from '../../binary/fields.js';
import type { Chunk, ContentChunk, TreeDir, TreeFile, TreeProblem } from '../../disk-types.js';
import { placedFilesInReadOrder, type PlacedFile } from '../placed-files.js';
import { DIR_ENTRY_SIZE } from './dir-entry.js';
import { FAT_END_OF_CHAIN, FAT_ENTRY_BYTES, FAT_MEDIA_ENTRY, FAT_RESERVED_ENTRY, type ClusterChain } from './fat.js';
import {
  ALLOCATION_POSSIBLE, EXFAT_ATTR_ARCHIVE, EXFAT_ATTR_DIRECTORY, EXFAT_ATTR_READ_ONLY, NO_FAT_CHAIN, encodeEntrySetInto, entrySetCount,
} from './file-entries.js';

/** §7.6.7 DataLength: for a directory, at most 256 MiB. */
export const EXFAT_MAX_DIRECTORY_BYTES = 256 * 1024 * 1024;
const FAT_PIECE_ENTRIES = 16 * 1024;
/** Clusters up to this size get their slack written as zeros (fat32FileChunks / exfatFileChunks). */
export const SLACK_PAD_MAX_BYTES = 4096;
const FIRST_CLUSTER = 2;

export interface ExfatPlacedDir {
  readonly node: TreeDir;
  readonly firstCluster: number;
  readonly clusterCount: number;
  readonly isRoot: boolean;
}

/** Where the tree goes. Only directories are listed: a directory's files follow its own clusters, in entry order
 *  (placedFilesOf), so a placement of 100,000 files holds no object, map entry or array slot per file. */
export interface ExfatPlacement {
  /** In placement order (ascending first cluster). */
  readonly dirs: readonly ExfatPlacedDir[];
  /** Each directory's place, for the entry that names it in its parent. */
  readonly dirPlace: ReadonlyMap<TreeDir, ExfatPlacedDir>;
  /** Clusters 2 … 2 + usedClusterCount − 1 are in use (bitmap, up-case table and everything placed here). */
  readonly usedClusterCount: number;
  readonly clusterSize: number;
}

export interface ExfatPlaceInput {
  readonly root: TreeDir;
  readonly clusterSize: number;
  readonly rootFirstCluster: number;
  /** Entries the root holds before the files (label, bitmap, up-case, Volume GUID). */
  readonly rootSystemEntries: number;
}

/** The last placement of each tree: planning (content-plan.ts) and formatting place the same tree with the same
 *  geometry (and --size +HEADROOM plans it at several sizes). */
const placed = new WeakMap<TreeDir, { input: ExfatPlaceInput; result: { placement: ExfatPlacement; problems: TreeProblem[] } }>();

export function placeExfatTree(input: ExfatPlaceInput): { placement: ExfatPlacement; problems: TreeProblem[] } {
  const last = placed.get(input.root);
  if (last && last.input.clusterSize === input.clusterSize && last.input.rootFirstCluster === input.rootFirstCluster && last.input.rootSystemEntries === input.rootSystemEntries) {
    return last.result;
  }
  const result = placeExfatTreeOnce(input);
  placed.set(input.root, { input, result });
  return result;
}

function fileClusters(file: TreeFile, clusterSize: number): number {
  return Math.ceil(file.sizeBytes / clusterSize);
}

function placeExfatTreeOnce(input: ExfatPlaceInput): { placement: ExfatPlacement; problems: TreeProblem[] } {
  const problems: TreeProblem[] = [];
  const cs = input.clusterSize;
  const dirs: ExfatPlacedDir[] = [];
  const dirPlace = new Map<TreeDir, ExfatPlacedDir>();
  let cursor = input.rootFirstCluster;
  const stack: { dir: TreeDir; path: string; isRoot: boolean }[] = [{ dir: input.root, path: '', isRoot: true }];
  while (stack.length > 0) {
    const { dir, path, isRoot } = stack.pop()!;
    let entries = isRoot ? input.rootSystemEntries : 0;
    for (const node of dir.entries) entries += entrySetCount(node.name);
    const bytes = entries * DIR_ENTRY_SIZE;
    if (bytes > EXFAT_MAX_DIRECTORY_BYTES) problems.push({ path: path || '/', reason: `needs ${bytes} bytes of directory entries; an exFAT directory holds 256 MiB` });
    const place: ExfatPlacedDir = { node: dir, firstCluster: cursor, clusterCount: Math.max(1, Math.ceil(bytes / cs)), isRoot };
    cursor += place.clusterCount;
    dirPlace.set(dir, place);
    dirs.push(place);
    const subdirs: { dir: TreeDir; path: string; isRoot: boolean }[] = [];
    for (const node of dir.entries) {
      if (node.kind === 'dir') subdirs.push({ dir: node, path: `${path}/${node.name}`, isRoot: false });
      else cursor += fileClusters(node, cs);
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
  }
  return { placement: { dirs, dirPlace, usedClusterCount: cursor - FIRST_CLUSTER, clusterSize: cs }, problems };
}

/** A directory's files that have clusters, with their places: right after the directory's own clusters, one after
 *  the other in entry order (placeExfatTreeOnce hands them out so). */
function* placedFilesOf(dir: ExfatPlacedDir, clusterSize: number): Generator<PlacedFile> {
  let next = dir.firstCluster + dir.clusterCount;
  for (const node of dir.node.entries) {
    if (node.kind !== 'file' || node.sizeBytes === 0) continue;
    const clusterCount = fileClusters(node, clusterSize);
    yield { node, firstCluster: next, clusterCount };
    next += clusterCount;
  }
}

/** The FAT's entries [0, 2 + used): media, reserved, the given chains (bitmap, up-case table, directories), 0 for
 *  the NoFatChain files' clusters. Pieces of FAT_PIECE_ENTRIES, sector padded; the caller zeroes the rest. */
export function* exfatFatPieces(chains: readonly ClusterChain[], usedClusterCount: number, bytesPerSector: number, fatOffsetBytes: number): Generator<Chunk> {
  const sortedChains = [...chains].sort((a, b) => a.firstCluster - b.firstCluster);
  const endEntry = FIRST_CLUSTER + usedClusterCount;
  let chain = 0;
  for (let first = 0; first < endEntry; first += FAT_PIECE_ENTRIES) {
    const count = Math.min(FAT_PIECE_ENTRIES, endEntry - first);
    const bytes = new Uint8Array(Math.ceil((count * FAT_ENTRY_BYTES) / bytesPerSector) * bytesPerSector);
    const view = viewOf(bytes);
    for (let i = 0; i < count; i++) {
      const c = first + i;
      while (chain < sortedChains.length && sortedChains[chain].firstCluster + sortedChains[chain].clusterCount <= c) chain++;
      const ch = sortedChains[chain];
      let value = 0;
      if (c === 0) value = FAT_MEDIA_ENTRY;
      else if (c === 1) value = FAT_RESERVED_ENTRY;
      else if (ch && c >= ch.firstCluster) value = c === ch.firstCluster + ch.clusterCount - 1 ? FAT_END_OF_CHAIN : c + 1;
      writeUintTo(view, i * FAT_ENTRY_BYTES, 4, value);
    }
    yield { offsetBytes: fatOffsetBytes + first * FAT_ENTRY_BYTES, bytes };
  }
}

/** Bytes of FAT the pieces cover. */
export function exfatFatPiecesBytes(usedClusterCount: number, bytesPerSector: number): number {
  let total = 0;
  const endEntry = FIRST_CLUSTER + usedClusterCount;
  for (let first = 0; first < endEntry; first += FAT_PIECE_ENTRIES) {
    total += Math.ceil((Math.min(FAT_PIECE_ENTRIES, endEntry - first) * FAT_ENTRY_BYTES) / bytesPerSector) * bytesPerSector;
  }
  return total;
}

function clampDos(unixSeconds: number): number {
  return Math.min(Math.max(unixSeconds, DOS_TIME_MIN_UNIX), DOS_TIME_MAX_UNIX);
}

/** One directory's clusters: `head` (the root's system entries), then an entry set per name, then zeros. */
export function encodeExfatDirectory(dir: ExfatPlacedDir, placement: ExfatPlacement, clusterSize: number, created: number, head: Uint8Array, upcase: (name: string) => string): Uint8Array {
  const out = new Uint8Array(dir.clusterCount * clusterSize);
  out.set(head, 0);
  let at = head.length;
  let nextFileCluster = dir.firstCluster + dir.clusterCount; // as placedFilesOf: the files follow the directory
  const stamp = clampDos(created);
  const view = viewOf(out);
  for (const node of dir.node.entries) {
    let firstCluster = 0;
    let dataLength: number;
    if (node.kind === 'dir') {
      const place = placement.dirPlace.get(node)!;
      firstCluster = place.firstCluster;
      dataLength = place.clusterCount * clusterSize;
    } else {
      dataLength = node.sizeBytes;
      if (node.sizeBytes > 0) {
        firstCluster = nextFileCluster;
        nextFileCluster += fileClusters(node, clusterSize);
      }
    }
    at += encodeEntrySetInto({
      name: node.name,
      upcasedName: upcase(node.name),
      attributes: node.kind === 'dir' ? EXFAT_ATTR_DIRECTORY : EXFAT_ATTR_ARCHIVE | (node.readOnly ? EXFAT_ATTR_READ_ONLY : 0),
      created: stamp,
      modified: clampDos(node.mtime),
      accessed: stamp,
      flags: node.kind === 'file' && node.sizeBytes > 0 ? ALLOCATION_POSSIBLE | NO_FAT_CHAIN : ALLOCATION_POSSIBLE,
      firstCluster,
      dataLength,
    }, out, at, view);
  }
  return out;
}

/** The directories' FAT chains. */
export function exfatDirectoryChains(placement: ExfatPlacement): ClusterChain[] {
  return placement.dirs.map((d) => ({ firstCluster: d.firstCluster, clusterCount: d.clusterCount }));
}

/** The files' data, in the sources' read order (ContentRef.order), each padded with zeros to the end of its last
 *  cluster when clusters are small (≤ SLACK_PAD_MAX_BYTES: a few KiB of zeros make a directory's small files one
 *  write instead of one each), else to a whole sector (the rest of the cluster is slack no reader looks at). */
export function* exfatFileChunks(placement: ExfatPlacement, clusterOffsetBytes: (cluster: number) => number, sectorSize: number, clusterSize: number): Generator<ContentChunk> {
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
