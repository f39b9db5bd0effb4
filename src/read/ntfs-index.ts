// Directory ($I30) indexes walked in order: $INDEX_ROOT's entries, each preceded by its child node in
// $INDEX_ALLOCATION when it has one (a B+ tree; libyal "NTFS" §"Indexes"). Streamed: only the nodes on the path
// from the root to the current entry are held.
import { GuestdiskError } from '../errors.js';
import { ATTR_TYPE, INDEX_ENTRY_FLAG, INDEX_NAME } from '../fs/ntfs/attribute-types.js';
import { decodeFileName, type FileName } from '../fs/ntfs/attributes/file-name.js';
import { FILE_INDEX_ENTRY_HEADER, splitIndexEntries } from '../fs/ntfs/index-entry.js';
import { decodeIndexBlock, decodeIndexRoot } from '../fs/ntfs/index-node.js';
import { decodeMftRef } from '../fs/ntfs/ntfs-time.js';
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

export async function* walkDirectoryIndex(mft: NtfsMft, dir: NtfsFile): AsyncGenerator<IndexedName> {
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
    const bytes = await readAttributeBytes(mft.volume, clusterSize, allocation, blockSize, vcn * vcnBytes, blockSize);
    return decodeIndexBlock(bytes, blockSize).entries;
  }

  async function* walkNode(entries: Uint8Array, depth: number): AsyncGenerator<IndexedName> {
    if (depth > MAX_INDEX_DEPTH) throw new GuestdiskError('CORRUPT_STRUCTURE', `MFT record ${dir.recordNumber}: index deeper than ${MAX_INDEX_DEPTH} levels`);
    for (const entry of splitIndexEntries(entries, MAX_NODE_ENTRIES)) {
      if (entry.header.ieFlags & INDEX_ENTRY_FLAG.NODE) yield* walkNode(await readNode(childVcn(entry.bytes)), depth + 1);
      if (entry.header.ieFlags & INDEX_ENTRY_FLAG.END) return;
      const key = entry.bytes.subarray(FILE_INDEX_ENTRY_HEADER.sizeBytes, FILE_INDEX_ENTRY_HEADER.sizeBytes + entry.header.keyLength);
      const ref = decodeMftRef(entry.header.indexedFile);
      yield { recordNumber: ref.recordNumber, sequenceNumber: ref.sequenceNumber, fileName: decodeFileName(key) };
    }
  }

  yield* walkNode(root.entries, 0);
}
