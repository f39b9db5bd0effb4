// A directory's $I30 index from its sorted leaf entries: the $INDEX_ROOT value, the INDX blocks of
// $INDEX_ALLOCATION and the $BITMAP value. A thin adapter over index-tree.ts (the balanced B-tree builder), in the
// terms the copy's planner uses: the room its MFT record leaves for $INDEX_ROOT, and the block count it must
// allocate clusters for before anything is encoded.
import { ATTR_TYPE, COLLATION } from './attribute-types.js';
import { buildIndexTree, measureIndexTree, type IndexTreeInput } from './index-tree.js';

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
  /** the same blocks one after the other, as $INDEX_ALLOCATION holds them (blocks are views of it) */
  readonly blockBytes: Uint8Array;
  /** the $I30 $BITMAP value (a multiple of 8 bytes), null for a small index */
  readonly bitmap: Uint8Array | null;
}

function treeInput(input: DirectoryIndexInput): IndexTreeInput {
  return {
    entries: input.entries,
    type: ATTR_TYPE.FILE_NAME,
    collationRule: COLLATION.FILE_NAME,
    indexBlockSize: input.indexBlockSize,
    clusterSize: input.clusterSize,
    indexRootMaxBytes: input.rootRoomBytes,
  };
}

export function buildDirectoryIndex(input: DirectoryIndexInput): DirectoryIndex {
  const tree = buildIndexTree(treeInput(input));
  return { rootValue: tree.indexRoot, blocks: tree.indexBlocks, blockBytes: tree.indexBlockBytes, bitmap: tree.bitmap };
}

/** INDX blocks buildDirectoryIndex would make for these entries (only their lengths are read). */
export function countDirectoryIndexBlocks(input: DirectoryIndexInput): number {
  return measureIndexTree(treeInput(input)).blockCount;
}
