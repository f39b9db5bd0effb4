// exFAT File Allocation Table: exFAT spec §4.1 "First FAT Sub-region". Entry 0 is the media type (0xFFFFFFF8),
// entry 1 is reserved (0xFFFFFFFF); a cluster chain links each cluster to the next and ends in 0xFFFFFFFF.
import { readUint } from '../../binary/fields.js';
import type { Chunk } from '../../disk-types.js';

export const FAT_ENTRY_BYTES = 4;
export const FAT_MEDIA_ENTRY = 0xfffffff8;
export const FAT_RESERVED_ENTRY = 0xffffffff;
export const FAT_END_OF_CHAIN = 0xffffffff;
/** §4.1.2: a cluster marked bad. Entries 0xFFFFFFF8–0xFFFFFFFE are read as end of chain, as Windows does. */
export const FAT_BAD_CLUSTER = 0xfffffff7;
const FAT_END_MIN = 0xfffffff8;
/** 0 never links a chain (the allocation bitmap, not the FAT, says which clusters are free). */
export const FAT_FREE_ENTRY = 0;

export interface ClusterChain {
  readonly firstCluster: number;
  readonly clusterCount: number;
}

/** The FAT's used head: entries 0..last chained cluster, in a sector-padded array (a few KiB at most). */
export function encodeFatHead(chains: readonly ClusterChain[], bytesPerSector: number): Uint8Array {
  const lastCluster = Math.max(1, ...chains.map((c) => c.firstCluster + c.clusterCount - 1));
  const bytes = new Uint8Array(Math.ceil(((lastCluster + 1) * FAT_ENTRY_BYTES) / bytesPerSector) * bytesPerSector);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, FAT_MEDIA_ENTRY, true);
  view.setUint32(FAT_ENTRY_BYTES, FAT_RESERVED_ENTRY, true);
  for (const chain of chains) {
    for (let i = 0; i < chain.clusterCount; i++) {
      const cluster = chain.firstCluster + i;
      view.setUint32(cluster * FAT_ENTRY_BYTES, i + 1 < chain.clusterCount ? cluster + 1 : FAT_END_OF_CHAIN, true);
    }
  }
  return bytes;
}

/** The whole FAT region [offsetBytes, +lengthBytes): the head, then one zero range (free clusters are 0). */
export function* fatChunks(offsetBytes: number, lengthBytes: number, chains: readonly ClusterChain[], bytesPerSector: number): Generator<Chunk> {
  const head = encodeFatHead(chains, bytesPerSector);
  yield { offsetBytes, bytes: head };
  if (lengthBytes > head.length) yield { offsetBytes: offsetBytes + head.length, zeroBytes: lengthBytes - head.length };
}

/** What one FAT entry says about the cluster after its own. */
export type FatLink =
  | { readonly kind: 'next'; readonly cluster: number }
  | { readonly kind: 'end' }
  | { readonly kind: 'free' }
  | { readonly kind: 'bad' };

/** Decodes the FAT entry at `offsetBytes` of `bytes` (a slice of the FAT). */
export function decodeFatEntry(bytes: Uint8Array, offsetBytes = 0): FatLink {
  const value = readUint(bytes, offsetBytes, FAT_ENTRY_BYTES);
  if (value >= FAT_END_MIN) return { kind: 'end' };
  if (value === FAT_BAD_CLUSTER) return { kind: 'bad' };
  if (value === FAT_FREE_ENTRY) return { kind: 'free' };
  return { kind: 'next', cluster: value };
}
