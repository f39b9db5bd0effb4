// The other half of an index's $BITMAP against its $INDEX_ALLOCATION (the index walk checks that every block it
// reaches is marked): a block the bitmap marks in use that no node of the index reaches holds entries no lookup
// finds, and is space the index never gives back.
import { MAX_EXAMPLES, type Examples, type RecordProblem } from './ntfs-mft-walk.js';

/** What the index walk knows of one directory's blocks once its tree has been walked. */
export interface IndexBlockUse {
  readonly dir: number;
  /** The index $BITMAP bytes (null: none). */
  readonly bitmap: Uint8Array | null;
  /** VCNs of the blocks the walk reached. */
  readonly reachedVcns: ReadonlySet<number>;
  readonly blockSize: number;
  /** Bytes a VCN counts (a cluster, or 512 when blocks are smaller than a cluster). */
  readonly vcnBytes: number;
  /** $INDEX_ALLOCATION's data size. */
  readonly allocationBytes: number;
}

/** Notes the blocks inside the allocation whose $BITMAP bit is set but that no index node reaches. */
export function noteUnreachedIndexBlocks(use: IndexBlockUse, out: Examples<RecordProblem>): void {
  if (!use.bitmap || use.blockSize <= 0) return;
  const reached = new Set([...use.reachedVcns].map((vcn) => Math.floor(vcn * use.vcnBytes / use.blockSize)));
  const blocks = Math.min(Math.floor(use.allocationBytes / use.blockSize), use.bitmap.length * 8);
  for (let block = 0; block < blocks; block++) {
    if ((use.bitmap[block >> 3] & (1 << (block & 7))) === 0 || reached.has(block)) continue;
    if (out.count++ < MAX_EXAMPLES) out.first.push({ record: use.dir, why: `index block ${block} is marked in its $BITMAP but no index node reaches it` });
  }
}
