// Index nodes: $INDEX_ROOT's value (ntfs-3g layout.h INDEX_ROOT + INDEX_HEADER) and the 4096-byte INDX records of
// $INDEX_ALLOCATION (INDEX_BLOCK); libyal "NTFS" document §"The index root attribute", §"The index allocation
// attribute". INDX records are multi-sector protected like FILE records.
import { GuestdiskError } from '../../errors.js';
import { defineStruct, expectEqual, throwFirst, type Finding, type StructValue } from '../../binary/fields.js';
import { INDEX_HEADER_FLAG, NTFS_RECORD_SIGNATURE } from './attribute-types.js';
import { applyFixupsInPlace, removeFixups, updateSequenceCount } from './fixup.js';
import { concatBytes as concat } from '../../binary/concat.js';

export const INDEX_ROOT_HEADER = defineStruct('IndexRoot', 0x10, {
  type: { offset: 0x00, type: 'u32' }, // ATTR_TYPE.FILE_NAME for directories, 0 for view indexes
  collationRule: { offset: 0x04, type: 'u32' },
  indexBlockSize: { offset: 0x08, type: 'u32' }, // bytes
  clustersPerIndexBlock: { offset: 0x0c, type: 'u8' }, // clusters, or 512-byte blocks when a block is below a cluster
  reserved: { offset: 0x0d, type: 'bytes', length: 3 },
});
export type IndexRootHeader = StructValue<typeof INDEX_ROOT_HEADER>;

export const INDEX_HEADER = defineStruct('IndexHeader', 0x10, {
  entriesOffset: { offset: 0x00, type: 'u32' }, // from the start of this header
  indexLength: { offset: 0x04, type: 'u32' }, // bytes used, from the start of this header
  allocatedSize: { offset: 0x08, type: 'u32' },
  ihFlags: { offset: 0x0c, type: 'u8' }, // INDEX_HEADER_FLAG.*
  reserved: { offset: 0x0d, type: 'bytes', length: 3 },
});
export type IndexHeader = StructValue<typeof INDEX_HEADER>;

export const INDEX_BLOCK_HEADER = defineStruct('IndexBlock', 0x18, {
  magic: { offset: 0x00, type: 'u32' }, // "INDX"
  usaOfs: { offset: 0x04, type: 'u16' },
  usaCount: { offset: 0x06, type: 'u16' },
  lsn: { offset: 0x08, type: 'u64' },
  indexBlockVcn: { offset: 0x10, type: 'u64' },
});
export type IndexBlockHeader = StructValue<typeof INDEX_BLOCK_HEADER>;

/** INDEX_BLOCK.index_block_vcn / child VCNs count clusters, or 512-byte blocks when a block is below a cluster. */
export function clustersPerIndexBlock(indexBlockSize: number, clusterSize: number): number {
  return indexBlockSize >= clusterSize ? indexBlockSize / clusterSize : indexBlockSize / 512;
}

export interface IndexRootInput {
  readonly type: number;
  readonly collationRule: number;
  readonly indexBlockSize: number;
  readonly clusterSize: number;
  /** encoded entries in collation order, ending with the END entry */
  readonly entries: readonly Uint8Array[];
  /** LARGE_INDEX: the entries live in $INDEX_ALLOCATION and the END entry points there */
  readonly large: boolean;
}

export function encodeIndexRoot(input: IndexRootInput): Uint8Array {
  const body = concat(input.entries);
  const indexLength = INDEX_HEADER.sizeBytes + body.length;
  return concat([
    INDEX_ROOT_HEADER.encode({
      type: input.type,
      collationRule: input.collationRule,
      indexBlockSize: input.indexBlockSize,
      clustersPerIndexBlock: clustersPerIndexBlock(input.indexBlockSize, input.clusterSize),
      reserved: new Uint8Array(3),
    }),
    INDEX_HEADER.encode({
      entriesOffset: INDEX_HEADER.sizeBytes,
      indexLength,
      allocatedSize: indexLength,
      ihFlags: input.large ? INDEX_HEADER_FLAG.LARGE_INDEX : INDEX_HEADER_FLAG.SMALL_INDEX,
      reserved: new Uint8Array(3),
    }),
    body,
  ]);
}

/** INDX update sequence array right after the 0x28-byte header; entries start at the next 8-byte boundary. */
const INDEX_BLOCK_USA_OFFSET = INDEX_BLOCK_HEADER.sizeBytes + INDEX_HEADER.sizeBytes;

export interface IndexBlockInput {
  readonly indexBlockSize: number;
  readonly vcn: number;
  readonly entries: readonly Uint8Array[];
  readonly leaf: boolean;
  readonly usn: number;
}

/** INDEX_HEADER.entries_offset of an INDX record: past the header and the update sequence array, 8-byte aligned. */
export function indexBlockEntriesOffset(indexBlockSize: number): number {
  return (INDEX_HEADER.sizeBytes + 2 * updateSequenceCount(indexBlockSize) + 7) & ~7;
}

/** A protected INDX record of `indexBlockSize` bytes (its free space zero). */
export function encodeIndexBlock(input: IndexBlockInput): Uint8Array {
  return encodeIndexBlockInto(input, new Uint8Array(input.indexBlockSize));
}

/** encodeIndexBlock into `out` (zeros, indexBlockSize long: a block of a buffer holding several), which is
 *  returned; the entries are copied straight into it. */
export function encodeIndexBlockInto(input: IndexBlockInput, out: Uint8Array): Uint8Array {
  if (out.length !== input.indexBlockSize) throw new Error(`internal: index block laid out in ${out.length} bytes, not ${input.indexBlockSize}`);
  const usaCount = updateSequenceCount(input.indexBlockSize);
  const entriesOffset = indexBlockEntriesOffset(input.indexBlockSize);
  let bodyBytes = 0;
  for (const e of input.entries) bodyBytes += e.length;
  if (INDEX_BLOCK_HEADER.sizeBytes + entriesOffset + bodyBytes > input.indexBlockSize) {
    throw new Error(`index block: ${bodyBytes} bytes of entries do not fit ${input.indexBlockSize}`);
  }
  INDEX_BLOCK_HEADER.encodeInto(
    { magic: NTFS_RECORD_SIGNATURE.INDX, usaOfs: INDEX_BLOCK_USA_OFFSET, usaCount, lsn: 0, indexBlockVcn: input.vcn },
    out,
  );
  INDEX_HEADER.encodeInto(
    {
      entriesOffset,
      indexLength: entriesOffset + bodyBytes,
      allocatedSize: input.indexBlockSize - INDEX_BLOCK_HEADER.sizeBytes,
      ihFlags: input.leaf ? INDEX_HEADER_FLAG.LEAF_NODE : INDEX_HEADER_FLAG.INDEX_NODE,
      reserved: new Uint8Array(3),
    },
    out,
    INDEX_BLOCK_HEADER.sizeBytes,
  );
  let at = INDEX_BLOCK_HEADER.sizeBytes + entriesOffset;
  for (const e of input.entries) {
    out.set(e, at);
    at += e.length;
  }
  return applyFixupsInPlace(out, INDEX_BLOCK_USA_OFFSET, input.usn);
}

export interface DecodedIndexNode {
  readonly header: IndexHeader;
  /** the bytes of the entries, from entriesOffset to indexLength */
  readonly entries: Uint8Array;
}

function decodeNode(bytes: Uint8Array, headerAt: number, what: string): DecodedIndexNode {
  const header = INDEX_HEADER.decode(bytes.subarray(headerAt));
  const start = headerAt + header.entriesOffset;
  const end = headerAt + header.indexLength;
  if (header.entriesOffset < INDEX_HEADER.sizeBytes || end > bytes.length || start > end || header.indexLength > header.allocatedSize) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `${what}: entries [${header.entriesOffset}, ${header.indexLength}) do not fit ${bytes.length - headerAt} bytes`, {
      entriesOffset: header.entriesOffset,
      indexLength: header.indexLength,
      allocatedSize: header.allocatedSize,
    });
  }
  return { header, entries: bytes.subarray(start, end) };
}

export function decodeIndexRoot(bytes: Uint8Array): { root: IndexRootHeader } & DecodedIndexNode {
  const root = INDEX_ROOT_HEADER.decode(bytes);
  return { root, ...decodeNode(bytes, INDEX_ROOT_HEADER.sizeBytes, 'IndexRoot') };
}

export function checkIndexBlockHeader(header: IndexBlockHeader, indexBlockSize: number): Finding[] {
  return [
    ...expectEqual(INDEX_BLOCK_HEADER, header, 'magic', NTFS_RECORD_SIGNATURE.INDX),
    ...expectEqual(INDEX_BLOCK_HEADER, header, 'usaCount', updateSequenceCount(indexBlockSize)),
  ];
}

/** A protected INDX record: header checked, fixups verified and removed, node bounds checked. */
export function decodeIndexBlock(bytes: Uint8Array, indexBlockSize: number): { block: IndexBlockHeader } & DecodedIndexNode {
  const block = INDEX_BLOCK_HEADER.decode(bytes);
  throwFirst(checkIndexBlockHeader(block, indexBlockSize));
  const plain = removeFixups(bytes.subarray(0, indexBlockSize), block.usaOfs, block.usaCount, `INDX block at VCN ${block.indexBlockVcn}`);
  return { block, ...decodeNode(plain, INDEX_BLOCK_HEADER.sizeBytes, 'IndexBlock') };
}
