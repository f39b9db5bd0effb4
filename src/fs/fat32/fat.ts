// The File Allocation Table, FAT32 flavour: fatgen103, "FAT Data Structure". Entries are 32-bit little-endian,
// of which the low 28 bits are the cluster number; the high 4 are reserved and preserved.
import { writeUint } from '../../binary/fields.js';

export const FAT32_ENTRY_BYTES = 4;
export const FAT32_ENTRY_MASK = 0x0fffffff;
/** Any value at or above this ends a chain; Microsoft's drivers write 0x0FFFFFFF (fatgen103). */
export const FAT32_EOC_MIN = 0x0ffffff8;
export const FAT32_EOC = 0x0fffffff;
export const FAT32_BAD_CLUSTER = 0x0ffffff7;
/** FAT[1] bits (fatgen103): ClnShutBitMask set = volume was cleanly dismounted; HrdErrBitMask set = no disk error. */
export const FAT32_CLN_SHUT_BIT = 0x08000000;
export const FAT32_HRD_ERR_BIT = 0x04000000;
/** First cluster number of the data region. */
export const FIRST_DATA_CLUSTER = 2;
/** Cluster counts that make a volume FAT32: fatgen103 says ≥ 65,525. The top: cluster numbers 2 … count + 1 must
 *  stay below the reserved values (0x0FFFFFF7 = bad, ≥ 0x0FFFFFF8 = end of chain); we keep the count below
 *  2^28 − 16, the stricter of the limits in circulation, so every reader's arithmetic has room. */
export const FAT32_MIN_CLUSTERS = 65_525;
export const FAT32_MAX_CLUSTERS = 0x0ffffff0 - 1;
/** fatgen103: below 4,085 clusters a volume is FAT12, below 65,525 FAT16, whatever its boot sector says. */
export const FAT12_MAX_CLUSTERS = 4_084;

/** FAT[0]: the media byte in the low 8 bits, all other bits set. */
export function fat32MediaEntry(media: number): number {
  return (FAT32_ENTRY_MASK & ~0xff) | media;
}

/**
 * The first sector of a fresh FAT: FAT[0] = media, FAT[1] = clean and error free (0x0FFFFFFF), FAT[2] = the root
 * directory's end of chain; everything after is zero (free) and left to the caller as a zero range.
 */
export function encodeFat32Head(media: number, rootClus: number, sectorSize: number): Uint8Array {
  const out = new Uint8Array(sectorSize);
  writeUint(out, 0 * FAT32_ENTRY_BYTES, 4, fat32MediaEntry(media));
  writeUint(out, 1 * FAT32_ENTRY_BYTES, 4, FAT32_EOC); // both dirty-state bits set: clean, no error
  writeUint(out, rootClus * FAT32_ENTRY_BYTES, 4, FAT32_EOC);
  return out;
}

/** FAT sectors needed to hold entries 0 … clusterCount + 1. */
export function fat32SectorsFor(clusterCount: number, sectorSize: number): number {
  return Math.ceil(((clusterCount + FIRST_DATA_CLUSTER) * FAT32_ENTRY_BYTES) / sectorSize);
}
