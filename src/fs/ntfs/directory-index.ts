// A directory's $I30 index from its sorted leaf entries: the $INDEX_ROOT value, the INDX blocks of
// $INDEX_ALLOCATION and the $BITMAP value (ntfs-3g layout.h INDEX_ROOT / INDEX_BLOCK; libyal "NTFS" §"Indexes").
// The entries stay in the $INDEX_ROOT when they fit the room its record leaves (a small index, as Windows keeps a
// small directory); otherwise they go to INDX blocks, each filled in turn, and every entry between two blocks moves
// up to the root with the NODE flag and the VCN of the block that holds what sorts before it.
// Only one level of blocks below the root is made here.
import { GuestdiskError } from '../../errors.js';
import { ATTR_TYPE, COLLATION, INDEX_ENTRY_FLAG } from './attribute-types.js';
import { FILE_INDEX_ENTRY_HEADER, encodeEndIndexEntry } from './index-entry.js';
import { INDEX_BLOCK_HEADER, INDEX_HEADER, INDEX_ROOT_HEADER, clustersPerIndexBlock, encodeIndexBlock, encodeIndexRoot } from './index-node.js';
import { updateSequenceCount } from './fixup.js';

/** The USN our INDX blocks carry (system-files.ts writes the same). */
const INDX_USN = 1;
const END_ENTRY_BYTES = FILE_INDEX_ENTRY_HEADER.sizeBytes;
const CHILD_VCN_BYTES = 8;

export interface DirectoryIndexInput {
  /** $I30 entries (encodeFileIndexEntry) in $UpCase collation order, without the END entry */
  readonly entries: readonly Uint8Array[];
  readonly indexBlockSize: number;
  readonly clusterSize: number;
  /** bytes the $INDEX_ROOT value may take in its MFT record */
  readonly rootRoomBytes: number;
}

export interface DirectoryIndex {
  readonly rootValue: Uint8Array;
  /** protected INDX blocks; block i is at VCN i × clustersPerIndexBlock */
  readonly blocks: readonly Uint8Array[];
  /** the $I30 $BITMAP value (a multiple of 8 bytes), null for a small index */
  readonly bitmap: Uint8Array | null;
}

/** Bytes of entries an INDX block holds besides its END entry. */
function blockRoomBytes(indexBlockSize: number): number {
  const entriesOffset = (INDEX_HEADER.sizeBytes + 2 * updateSequenceCount(indexBlockSize) + 7) & ~7;
  return indexBlockSize - INDEX_BLOCK_HEADER.sizeBytes - entriesOffset - END_ENTRY_BYTES - CHILD_VCN_BYTES;
}

/** `entry` with the NODE flag and `vcn` appended: it now points at the block of what sorts before it. */
function withChildVcn(entry: Uint8Array, vcn: number): Uint8Array {
  const out = new Uint8Array(entry.length + CHILD_VCN_BYTES);
  out.set(entry);
  const view = new DataView(out.buffer);
  view.setUint16(FILE_INDEX_ENTRY_HEADER.fields.length.offset, out.length, true);
  view.setUint16(FILE_INDEX_ENTRY_HEADER.fields.ieFlags.offset, view.getUint16(FILE_INDEX_ENTRY_HEADER.fields.ieFlags.offset, true) | INDEX_ENTRY_FLAG.NODE, true);
  view.setBigUint64(entry.length, BigInt(vcn), true);
  return out;
}

export function buildDirectoryIndex(input: DirectoryIndexInput): DirectoryIndex {
  const rootHeaderBytes = INDEX_ROOT_HEADER.sizeBytes + INDEX_HEADER.sizeBytes;
  const total = input.entries.reduce((n, e) => n + e.length, 0);
  const common = { type: ATTR_TYPE.FILE_NAME, collationRule: COLLATION.FILE_NAME, indexBlockSize: input.indexBlockSize, clusterSize: input.clusterSize };
  if (rootHeaderBytes + total + END_ENTRY_BYTES <= input.rootRoomBytes) {
    return { rootValue: encodeIndexRoot({ ...common, entries: [...input.entries, encodeEndIndexEntry(null)], large: false }), blocks: [], bitmap: null };
  }
  const room = blockRoomBytes(input.indexBlockSize);
  const vcnStep = clustersPerIndexBlock(input.indexBlockSize, input.clusterSize);
  const leaves: Uint8Array[][] = [[]];
  const separators: Uint8Array[] = [];
  let used = 0;
  for (const entry of input.entries) {
    if (used + entry.length > room && leaves[leaves.length - 1].length > 0) {
      // This entry closes the block: it goes up to the root, the next entries start a new block.
      separators.push(withChildVcn(entry, (leaves.length - 1) * vcnStep));
      leaves.push([]);
      used = 0;
      continue;
    }
    leaves[leaves.length - 1].push(entry);
    used += entry.length;
  }
  const rootEntries = [...separators, encodeEndIndexEntry((leaves.length - 1) * vcnStep)];
  const rootValue = encodeIndexRoot({ ...common, entries: rootEntries, large: true });
  if (rootValue.length > input.rootRoomBytes) {
    throw new GuestdiskError('INVALID_SPEC', `NTFS: a directory of ${input.entries.length} entries needs more than one level of index blocks, which this build does not write`, {
      entries: input.entries.length,
    });
  }
  const blocks = leaves.map((entries, i) => encodeIndexBlock({ indexBlockSize: input.indexBlockSize, vcn: i * vcnStep, entries: [...entries, encodeEndIndexEntry(null)], leaf: true, usn: INDX_USN }));
  const bitmap = new Uint8Array(Math.ceil(blocks.length / 64) * 8);
  for (let i = 0; i < blocks.length; i++) bitmap[i >> 3] |= 1 << (i & 7);
  return { rootValue, blocks, bitmap };
}
