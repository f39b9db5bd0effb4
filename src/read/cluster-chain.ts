// Cluster chains of FAT32 and exFAT read as a stream: consecutive clusters are read together, up to
// READ_PIECE_BYTES at a time. A chain is bounded by the volume's cluster count, so a loop in a damaged FAT ends in
// CORRUPT_STRUCTURE instead of running forever.
import { GuestdiskError } from '../errors.js';
import type { BlockTarget } from '../target/block-target.js';
import { READ_PIECE_BYTES, readInside } from './ntfs-data.js';

export interface ClusterVolume {
  readonly volume: BlockTarget;
  readonly clusterSize: number;
  readonly clusterCount: number;
  /** Byte offset of cluster `c` (2 … clusterCount + 1) in the volume. */
  clusterOffset(c: number): number;
  /** The next cluster of a chain, or null at its end. */
  next(c: number): Promise<number | null>;
}

export interface ClusterChainReader {
  /**
   * The bytes of the chain from `firstCluster`: `sizeBytes` of them (a file), or every cluster when null (a
   * directory). `contiguous`: exFAT's NoFatChain, the clusters follow one another and the FAT is not consulted.
   * `reuse`: each piece is a view of one buffer, valid until the next piece is asked for.
   */
  readChain(firstCluster: number, sizeBytes: number | null, contiguous?: boolean, reuse?: boolean): AsyncGenerator<Uint8Array>;
}

export function clusterChainReader(cv: ClusterVolume): ClusterChainReader {
  const maxPiece = Math.max(1, Math.floor(READ_PIECE_BYTES / cv.clusterSize));
  const valid = (c: number): boolean => c >= 2 && c <= cv.clusterCount + 1;

  return {
    async *readChain(firstCluster, sizeBytes, contiguous = false, reuse = false) {
      const buffer = reuse ? new Uint8Array(maxPiece * cv.clusterSize) : null;
      let left = sizeBytes ?? Number.POSITIVE_INFINITY;
      const clustersNeeded = sizeBytes === null ? Number.POSITIVE_INFINITY : Math.ceil(sizeBytes / cv.clusterSize);
      let cluster: number | null = firstCluster;
      let visited = 0;
      while (cluster !== null && left > 0) {
        // A run: `cluster` and the clusters right after it that the chain also takes next.
        const start: number = cluster;
        let count = 0;
        let following: number | null = cluster;
        while (following !== null && following === start + count && count < maxPiece && visited < clustersNeeded) {
          if (!valid(following)) throw new GuestdiskError('CORRUPT_STRUCTURE', `cluster chain from ${firstCluster} reaches cluster ${following}, outside 2…${cv.clusterCount + 1}`, { firstCluster, cluster: following });
          if (++visited > cv.clusterCount) throw new GuestdiskError('CORRUPT_STRUCTURE', `cluster chain from ${firstCluster} is longer than the volume (a loop)`, { firstCluster });
          count++;
          following = contiguous ? (visited < clustersNeeded ? following + 1 : null) : await cv.next(following);
        }
        const bytes = Math.min(count * cv.clusterSize, left);
        const piece = buffer ? buffer.subarray(0, bytes) : new Uint8Array(bytes);
        await readInside(cv.volume, cv.clusterOffset(start), piece);
        yield piece;
        left -= bytes;
        cluster = visited < clustersNeeded ? following : null;
      }
      if (sizeBytes !== null && left > 0) {
        throw new GuestdiskError('CORRUPT_STRUCTURE', `cluster chain from ${firstCluster} ends ${left} bytes before the file's size ${sizeBytes}`, { firstCluster, sizeBytes });
      }
    },
  };
}
