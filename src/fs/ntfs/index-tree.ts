// Index trees ($I30 directories, view indexes) built bottom-up from entries already in collation order. Layout
// facts from ntfs-3g layout.h (INDEX_ROOT, INDEX_BLOCK, INDEX_ENTRY) and libntfs-3g/index.c, and the libyal "NTFS"
// document §"Indexes": an NTFS index is a B-tree, not a B+ tree — every entry of every node is a real key; an entry
// with INDEX_ENTRY_FLAG.NODE ends in the VCN of the child holding the keys before it, and the END entry of such a
// node points at the child holding the keys after its last entry. The root lives in $INDEX_ROOT (resident, in the
// MFT record); the other nodes are INDX blocks of $INDEX_ALLOCATION, one $BITMAP bit per block in use.
//
// Shape. Leaves are cut from the sorted entries greedily up to a fill limit; the entry after each leaf moves up
// as the separator between it and the next leaf, and the separators are cut into nodes the same way, level by
// level, until one level's separators fit $INDEX_ROOT. Every leaf is therefore at the same depth, and no node is
// ever empty: ntfs-3g refuses to delete through an empty leaf ("Empty index block", index.c ntfs_index_rm_node).
// The last two nodes of a level are evened out so the last one is not a sliver.
import { GuestdiskError } from '../../errors.js';
import { writeIntN } from '../../binary/fields.js';
import { INDEX_ENTRY_FLAG } from './attribute-types.js';
import { FILE_NAME_HEADER } from './attributes/file-name.js';
import { encodeEndIndexEntry, FILE_INDEX_ENTRY_HEADER, fileIndexEntryShape } from './index-entry.js';
import {
  clustersPerIndexBlock,
  encodeIndexBlockInto,
  encodeIndexRoot,
  INDEX_BLOCK_HEADER,
  INDEX_HEADER,
  INDEX_ROOT_HEADER,
  indexBlockEntriesOffset,
} from './index-node.js';

/** sizeof(VCN): what INDEX_ENTRY_FLAG.NODE appends to an entry (its child's VCN, the entry's last 8 bytes). */
export const INDEX_ENTRY_VCN_BYTES = 8;
/** The END entry: a bare INDEX_ENTRY_HEADER, plus the VCN in a node that has children. */
export const INDEX_END_ENTRY_BYTES = FILE_INDEX_ENTRY_HEADER.sizeBytes;
/** The update sequence number our INDX blocks carry; ntfs-3g's ntfs_ib_alloc and mkntfs start blocks at 1 too. */
export const INDEX_BLOCK_USN = 1;
/** Longest $FILE_NAME (255 UTF-16 units). */
export const MAX_FILE_NAME_UNITS = 255;
/** Largest $I30 entry: header + FILE_NAME_ATTR + 255 units, 8-byte aligned (0x250; 0x258 with a child VCN). */
export const MAX_FILE_INDEX_ENTRY_BYTES = align8(FILE_INDEX_ENTRY_HEADER.sizeBytes + FILE_NAME_HEADER.sizeBytes + 2 * MAX_FILE_NAME_UNITS);
/**
 * Fill limit of every INDX block: its entry space minus room for one more entry of the largest size, with a
 * child VCN (0x258 bytes; about 85 % of a 4096-byte block). Why: the volume is meant to be written to afterwards.
 * With that room left, ntfs-3g (and Windows) insert any new name into any node, and replace a deleted node entry
 * by a longer successor (index.c ntfs_index_rm_node), without a split; the first split of a node comes only
 * after several inserts into it. A fuller node saves little: a directory takes about a sixth more blocks at this limit
 * than at 100 %. Never below half a block, so small blocks (or large view-index entries) still pair entries up.
 */
export const INDEX_NODE_RESERVE_BYTES = MAX_FILE_INDEX_ENTRY_BYTES + INDEX_ENTRY_VCN_BYTES;

export interface IndexTreeInput {
  /**
   * The index's entries in collation order, leaf form (no NODE or END flag), as encodeFileIndexEntry or
   * encodeViewIndexEntry make them. Leaf entries are copied once, into their block; entries that end up in an
   * upper node are copied once with their child VCN appended.
   */
  readonly entries: readonly Uint8Array[];
  /** INDEX_ROOT.type: ATTR_TYPE.FILE_NAME for $I30, 0 for view indexes */
  readonly type: number;
  /** INDEX_ROOT.collation_rule: COLLATION.* */
  readonly collationRule: number;
  /** bytes per INDX block (the boot sector's index record size) */
  readonly indexBlockSize: number;
  readonly clusterSize: number;
  /** room for the whole $INDEX_ROOT value (root header, index header, entries) in the MFT record, in bytes */
  readonly indexRootMaxBytes: number;
}

export interface IndexTree {
  /** the $INDEX_ROOT value: SMALL_INDEX holding every entry, or LARGE_INDEX holding the top level */
  readonly indexRoot: Uint8Array;
  /** protected INDX blocks in VCN order: block i is at VCN i × clustersPerIndexBlock, byte i × indexBlockSize */
  readonly indexBlocks: readonly Uint8Array[];
  /** the same blocks, one after the other (indexBlocks are views of it) */
  readonly indexBlockBytes: Uint8Array;
  /** the $BITMAP value (bit i: block i in use), padded to 8 bytes as ntfs-3g and Windows keep it; null when small */
  readonly bitmap: Uint8Array | null;
  /** levels of INDX blocks below the root: 0 for a small index */
  readonly depth: number;
}

/** How big the tree will be, without encoding it: to allocate $INDEX_ALLOCATION clusters before writing. */
export interface IndexTreeShape {
  readonly blockCount: number;
  readonly depth: number;
  readonly indexRootBytes: number;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** One level of the tree: its entries and, above the leaves, the VCN left of each entry plus the last child. */
interface Level {
  readonly entries: readonly Uint8Array[];
  /** children[i] holds the keys before entries[i]; children[entries.length] those after the last; null at leaves */
  readonly children: readonly number[] | null;
}

/** A node covers entries [start, end) of its level; entries[end] (when it exists) is the separator after it. */
interface NodeRange {
  readonly start: number;
  readonly end: number;
}

interface Geometry {
  readonly blockEntryBytes: number; // entry space of one INDX block, END entry included
  readonly fillLimitBytes: number;
  readonly vcnsPerBlock: number;
  readonly rootEntryBytes: number; // entry space of $INDEX_ROOT, END entry included
}

const ROOT_OVERHEAD_BYTES = INDEX_ROOT_HEADER.sizeBytes + INDEX_HEADER.sizeBytes;

function fail(message: string, details: Record<string, number> = {}): never {
  throw new GuestdiskError('INVALID_SPEC', `index tree: ${message}`, details);
}

function checkInput(input: IndexTreeInput): Geometry {
  const { indexBlockSize, clusterSize, indexRootMaxBytes } = input;
  if (!Number.isInteger(indexBlockSize) || indexBlockSize < 512 || (indexBlockSize & (indexBlockSize - 1)) !== 0) fail(`index block size ${indexBlockSize} is not a power of two ≥ 512`, { indexBlockSize });
  if (!Number.isInteger(clusterSize) || clusterSize < 512 || (clusterSize & (clusterSize - 1)) !== 0) fail(`cluster size ${clusterSize} is not a power of two ≥ 512`, { clusterSize });
  // INDEX_HEADER.allocated_size (block minus INDEX_BLOCK's 0x18 bytes) less entries_offset, which counts from that header.
  const blockEntryBytes = indexBlockSize - INDEX_BLOCK_HEADER.sizeBytes - indexBlockEntriesOffset(indexBlockSize);
  const rootEntryBytes = indexRootMaxBytes - ROOT_OVERHEAD_BYTES;
  if (!Number.isInteger(indexRootMaxBytes) || rootEntryBytes < INDEX_END_ENTRY_BYTES + INDEX_ENTRY_VCN_BYTES) {
    fail(`$INDEX_ROOT room of ${indexRootMaxBytes} bytes cannot hold an END entry with a child VCN (${ROOT_OVERHEAD_BYTES + INDEX_END_ENTRY_BYTES + INDEX_ENTRY_VCN_BYTES} bytes)`, { indexRootMaxBytes });
  }
  let largest = 0;
  input.entries.forEach((entry, i) => {
    if (entry.length < FILE_INDEX_ENTRY_HEADER.sizeBytes) FILE_INDEX_ENTRY_HEADER.decode(entry); // its CORRUPT_STRUCTURE
    const header = fileIndexEntryShape(entry);
    if (header.length !== entry.length || entry.length % 8 !== 0 || header.ieFlags !== 0 || header.keyLength === 0) {
      fail(`entry ${i} is not a leaf entry (${entry.length} bytes, length field ${header.length}, flags 0x${header.ieFlags.toString(16)}, key ${header.keyLength} bytes)`, { entry: i });
    }
    largest = Math.max(largest, entry.length);
  });
  // Two of the largest entries with VCNs and an END entry per block. With room for only one, every node holds
  // exactly one entry, so a level of n entries in k nodes needs n = 2k - 1: an even count cannot be balanced
  // without an empty node. $I30 entries (at most 0x258 bytes) take two to a 4096-byte block many times over.
  const nodeEntryBytes = INDEX_ENTRY_VCN_BYTES + largest;
  if (2 * nodeEntryBytes + INDEX_END_ENTRY_BYTES + INDEX_ENTRY_VCN_BYTES > blockEntryBytes) {
    fail(`entries of ${largest} bytes do not fit two to an index block of ${indexBlockSize} bytes`, { indexBlockSize, largest });
  }
  const reserve = Math.min(INDEX_NODE_RESERVE_BYTES, Math.floor(blockEntryBytes / 2));
  return {
    blockEntryBytes,
    fillLimitBytes: blockEntryBytes - reserve,
    vcnsPerBlock: clustersPerIndexBlock(indexBlockSize, clusterSize),
    rootEntryBytes,
  };
}

function entryBytes(level: Level, i: number): number {
  return level.entries[i].length + (level.children ? INDEX_ENTRY_VCN_BYTES : 0);
}

function endBytes(level: Level): number {
  return INDEX_END_ENTRY_BYTES + (level.children ? INDEX_ENTRY_VCN_BYTES : 0);
}

/** Bytes of the entries [start, end) of a level, END entry included. */
function rangeBytes(level: Level, start: number, end: number): number {
  let bytes = endBytes(level);
  for (let i = start; i < end; i++) bytes += entryBytes(level, i);
  return bytes;
}

/**
 * Splits the [from, to) entries of a level into a node, a separator and a node, both non-empty, as even in bytes
 * as the entries allow (needs to − from ≥ 3).
 */
function evenPair(level: Level, from: number, to: number): [NodeRange, NodeRange] {
  const total = rangeBytes(level, from, to);
  let left = endBytes(level);
  let best = from + 1;
  let bestMax = Infinity;
  for (let s = from + 1; s <= to - 2; s++) {
    left += entryBytes(level, s - 1);
    const right = total - left - entryBytes(level, s) + endBytes(level);
    const max = Math.max(left, right);
    if (max < bestMax) [best, bestMax] = [s, max];
  }
  return [{ start: from, end: best }, { start: best + 1, end: to }];
}

/** The nodes of one level: greedy up to the fill limit, then the last two evened out. */
function cutLevel(level: Level, geometry: Geometry): NodeRange[] {
  const count = level.entries.length;
  const nodes: NodeRange[] = [];
  let start = 0;
  while (start < count) {
    let used = endBytes(level) + entryBytes(level, start);
    let end = start + 1;
    while (end < count && used + entryBytes(level, end) <= geometry.fillLimitBytes) used += entryBytes(level, end++);
    nodes.push({ start, end });
    start = end + 1; // entries[end] is the separator that moves up
  }
  const last = nodes[nodes.length - 1];
  if (last.end === count - 1) {
    // The last entry became a separator with nothing after it: share the last node's entries with it.
    nodes.pop();
    if (count - last.start >= 3) nodes.push(...evenPair(level, last.start, count));
    else nodes.push({ start: last.start, end: count }); // two entries: one node (checkInput made sure they fit)
  } else if (nodes.length >= 2) {
    const before = nodes[nodes.length - 2];
    nodes.splice(nodes.length - 2, 2, ...evenPair(level, before.start, count));
  }
  return nodes;
}

/** The level above: each node's separator, with the node's VCN as its child; the last node becomes the last child. */
function levelAbove(level: Level, nodes: readonly NodeRange[], firstVcn: number, vcnsPerBlock: number): Level {
  return {
    entries: nodes.slice(0, -1).map((node) => level.entries[node.end]),
    children: nodes.map((_, j) => firstVcn + j * vcnsPerBlock),
  };
}

/** A copy of a leaf-form entry with INDEX_ENTRY_FLAG.NODE and `childVcn` in its last 8 bytes. */
function withChildVcn(entry: Uint8Array, childVcn: number): Uint8Array {
  const header = FILE_INDEX_ENTRY_HEADER.decode(entry);
  const out = new Uint8Array(entry.length + INDEX_ENTRY_VCN_BYTES);
  out.set(entry);
  FILE_INDEX_ENTRY_HEADER.encodeInto({ ...header, length: out.length, ieFlags: header.ieFlags | INDEX_ENTRY_FLAG.NODE }, out);
  writeIntN(out, entry.length, INDEX_ENTRY_VCN_BYTES, childVcn);
  return out;
}

/** The encoded entries of entries [start, end) of a level, END entry last. */
function nodeEntries(level: Level, start: number, end: number): Uint8Array[] {
  const { children } = level;
  const entries = children ? level.entries.slice(start, end).map((e, i) => withChildVcn(e, children[start + i])) : level.entries.slice(start, end);
  entries.push(encodeEndIndexEntry(children ? children[end] : null));
  return entries;
}

/** Levels of nodes from the leaves up, and the level the root holds; `onNode` sees each node in VCN order. */
function planTree(input: IndexTreeInput, geometry: Geometry, onNode: (level: Level, node: NodeRange, vcn: number) => void): { top: Level; depth: number; blockCount: number } {
  let level: Level = { entries: input.entries, children: null };
  if (rangeBytes(level, 0, level.entries.length) <= geometry.rootEntryBytes) return { top: level, depth: 0, blockCount: 0 };
  let blockCount = 0;
  let depth = 0;
  for (;;) {
    const nodes = cutLevel(level, geometry);
    const firstVcn = blockCount * geometry.vcnsPerBlock;
    nodes.forEach((node, j) => onNode(level, node, firstVcn + j * geometry.vcnsPerBlock));
    blockCount += nodes.length;
    depth++;
    level = levelAbove(level, nodes, firstVcn, geometry.vcnsPerBlock);
    if (rangeBytes(level, 0, level.entries.length) <= geometry.rootEntryBytes) return { top: level, depth, blockCount };
  }
}

/** $BITMAP of an index: `blockCount` bits set, in whole 8-byte words (ntfs-3g ntfs_ibm_add / ntfs_ibm_modify). */
export function encodeIndexBitmap(blockCount: number): Uint8Array {
  const out = new Uint8Array(Math.max(8, align8(Math.ceil(blockCount / 8))));
  for (let i = 0; i < blockCount; i++) out[i >> 3] |= 1 << (i & 7);
  return out;
}

/** The size of the tree buildIndexTree would make, from the entry sizes alone (nothing is encoded). */
export function measureIndexTree(input: IndexTreeInput): IndexTreeShape {
  const geometry = checkInput(input);
  const { top, depth, blockCount } = planTree(input, geometry, () => undefined);
  return { blockCount, depth, indexRootBytes: ROOT_OVERHEAD_BYTES + rangeBytes(top, 0, top.entries.length) };
}

/** The $INDEX_ROOT value, INDX blocks and $BITMAP value of an index holding `input.entries`. */
export function buildIndexTree(input: IndexTreeInput): IndexTree {
  const geometry = checkInput(input);
  const nodes: { level: Level; node: NodeRange; vcn: number }[] = [];
  const { top, depth, blockCount } = planTree(input, geometry, (level, node, vcn) => nodes.push({ level, node, vcn }));
  // Every block in one buffer, each encoded in its place: one allocation per index, and its blocks already joined
  // for writing (IndexTree.indexBlockBytes).
  const indexBlockBytes = new Uint8Array(blockCount * input.indexBlockSize);
  const indexBlocks = nodes.map(({ level, node, vcn }, i) => encodeIndexBlockInto({
    indexBlockSize: input.indexBlockSize,
    vcn,
    entries: nodeEntries(level, node.start, node.end),
    leaf: level.children === null,
    usn: INDEX_BLOCK_USN,
  }, indexBlockBytes.subarray(i * input.indexBlockSize, (i + 1) * input.indexBlockSize)));
  const indexRoot = encodeIndexRoot({
    type: input.type,
    collationRule: input.collationRule,
    indexBlockSize: input.indexBlockSize,
    clusterSize: input.clusterSize,
    entries: nodeEntries(top, 0, top.entries.length),
    large: depth > 0,
  });
  return { indexRoot, indexBlocks, indexBlockBytes, bitmap: depth > 0 ? encodeIndexBitmap(blockCount) : null, depth };
}
