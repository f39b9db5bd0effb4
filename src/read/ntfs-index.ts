// Directory ($I30) indexes walked in order: $INDEX_ROOT's entries, each preceded by its child node in
// $INDEX_ALLOCATION when it has one (a B+ tree; libyal "NTFS" §"Indexes"). Streamed: only the nodes on the path
// from the root to the current entry are held.
import { GuestdiskError } from '../errors.js';
import { ATTR_TYPE, INDEX_ENTRY_FLAG, INDEX_NAME } from '../fs/ntfs/attribute-types.js';
import { decodeFileName, type FileName } from '../fs/ntfs/attributes/file-name.js';
import { FILE_INDEX_ENTRY_HEADER, splitIndexEntries } from '../fs/ntfs/index-entry.js';
import { decodeIndexBlock, decodeIndexRoot } from '../fs/ntfs/index-node.js';
import { decodeMftRef } from '../fs/ntfs/ntfs-time.js';
import { upcaseUnit } from '../fs/ntfs/upcase.js';
import { readAttributeBytes } from './ntfs-data.js';
import { findAttribute, type NtfsFile, type NtfsMft } from './ntfs-mft.js';

/** B+ trees of NTFS directories are a few levels deep; a deeper walk is a loop in damaged data. */
const MAX_INDEX_DEPTH = 32;
/** More entries than any index node of 64 KiB can hold. */
const MAX_NODE_ENTRIES = 8192;

export interface IndexedName {
  readonly recordNumber: number;
  readonly sequenceNumber: number;
  readonly fileName: FileName;
}

function childVcn(entry: Uint8Array): number {
  const view = new DataView(entry.buffer, entry.byteOffset, entry.length);
  const big = view.getBigUint64(entry.length - 8, true);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new GuestdiskError('CORRUPT_STRUCTURE', `index entry child VCN ${big} is beyond 2^53`);
  return Number(big);
}

interface IndexTree {
  readonly root: Uint8Array;
  readNode(vcn: number): Promise<Uint8Array>;
}

function indexTree(mft: NtfsMft, dir: NtfsFile): IndexTree {
  const rootAttr = findAttribute(dir, ATTR_TYPE.INDEX_ROOT, INDEX_NAME.I30);
  if (!rootAttr?.resident) throw new GuestdiskError('CORRUPT_STRUCTURE', `MFT record ${dir.recordNumber}: directory without a resident $INDEX_ROOT $I30`, { recordNumber: dir.recordNumber });
  const root = decodeIndexRoot(rootAttr.resident);
  const allocation = findAttribute(dir, ATTR_TYPE.INDEX_ALLOCATION, INDEX_NAME.I30);
  const { clusterSize } = mft.geometry;
  const blockSize = root.root.indexBlockSize;
  const vcnBytes = blockSize >= clusterSize ? clusterSize : 512;
  const visited = new Set<number>();

  async function readNode(vcn: number): Promise<Uint8Array> {
    if (!allocation) throw new GuestdiskError('CORRUPT_STRUCTURE', `MFT record ${dir.recordNumber}: index entry points to VCN ${vcn} but there is no $INDEX_ALLOCATION`);
    if (visited.has(vcn)) throw new GuestdiskError('CORRUPT_STRUCTURE', `MFT record ${dir.recordNumber}: index block at VCN ${vcn} is reached twice`);
    visited.add(vcn);
    const bytes = await readAttributeBytes(mft.metadata, clusterSize, allocation, blockSize, vcn * vcnBytes, blockSize);
    return decodeIndexBlock(bytes, blockSize).entries;
  }

  return { root: root.entries, readNode };
}

function keyOf(entry: { header: { indexedFile: Uint8Array; keyLength: number }; bytes: Uint8Array }): IndexedName {
  const key = entry.bytes.subarray(FILE_INDEX_ENTRY_HEADER.sizeBytes, FILE_INDEX_ENTRY_HEADER.sizeBytes + entry.header.keyLength);
  const ref = decodeMftRef(entry.header.indexedFile);
  return { recordNumber: ref.recordNumber, sequenceNumber: ref.sequenceNumber, fileName: decodeFileName(key) };
}

/** Every entry of a directory, in index order. */
export async function* walkDirectoryIndex(mft: NtfsMft, dir: NtfsFile): AsyncGenerator<IndexedName> {
  const tree = indexTree(mft, dir);
  async function* walkNode(entries: Uint8Array, depth: number): AsyncGenerator<IndexedName> {
    if (depth > MAX_INDEX_DEPTH) throw new GuestdiskError('CORRUPT_STRUCTURE', `MFT record ${dir.recordNumber}: index deeper than ${MAX_INDEX_DEPTH} levels`);
    for (const entry of splitIndexEntries(entries, MAX_NODE_ENTRIES)) {
      if (entry.header.ieFlags & INDEX_ENTRY_FLAG.NODE) yield* walkNode(await tree.readNode(childVcn(entry.bytes)), depth + 1);
      if (entry.header.ieFlags & INDEX_ENTRY_FLAG.END) return;
      yield keyOf(entry);
    }
  }
  yield* walkNode(tree.root, 0);
}

/** $I30 order ignoring case: names compared unit by unit through the volume's $UpCase, a prefix first. */
function compareIgnoringCase(upcase: Uint8Array, a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ua = upcaseUnit(upcase, a.charCodeAt(i));
    const ub = upcaseUnit(upcase, b.charCodeAt(i));
    if (ua !== ub) return ua < ub ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/**
 * The entries whose names equal `name` ignoring case, found by descending the B+ tree: in each node, the child
 * before the first entry that sorts after `name` (equal entries may sit on both sides of a child pointer, so those
 * children are searched too). Reads a few nodes, not the directory.
 */
export async function findInDirectoryIndex(mft: NtfsMft, dir: NtfsFile, name: string, upcase: Uint8Array): Promise<IndexedName[]> {
  const tree = indexTree(mft, dir);
  const found: IndexedName[] = [];
  async function search(entries: Uint8Array, depth: number): Promise<void> {
    if (depth > MAX_INDEX_DEPTH) throw new GuestdiskError('CORRUPT_STRUCTURE', `MFT record ${dir.recordNumber}: index deeper than ${MAX_INDEX_DEPTH} levels`);
    for (const entry of splitIndexEntries(entries, MAX_NODE_ENTRIES)) {
      const end = (entry.header.ieFlags & INDEX_ENTRY_FLAG.END) !== 0;
      const key = end ? null : keyOf(entry);
      const cmp = key === null ? -1 : compareIgnoringCase(upcase, name, key.fileName.fileName);
      if (cmp <= 0 && entry.header.ieFlags & INDEX_ENTRY_FLAG.NODE) await search(await tree.readNode(childVcn(entry.bytes)), depth + 1);
      if (cmp < 0) return;
      if (cmp === 0) found.push(key!);
    }
  }
  await search(tree.root, 0);
  return found;
}
