// Reads what an exFAT grow needs: the main boot region, the Allocation Bitmap's directory entry in the root
// directory's first cluster, and (for the planner) a run of clusters the old bitmap marks free. Bounded: sectors,
// one cluster, the old bitmap's FAT entries, and the bitmap a piece at a time.
import { GuestdiskError } from '../errors.js';
import { BOOT_REGION_SECTORS, checkBootRegion } from '../fs/exfat/boot-region.js';
import { decodeExfatBootSector } from '../fs/exfat/boot-sector.js';
import { ALLOCATION_BITMAP_ENTRY, DIR_ENTRY_SIZE, ENTRY_TYPE } from '../fs/exfat/dir-entry.js';
import { FAT_END_OF_CHAIN, FAT_ENTRY_BYTES } from '../fs/exfat/fat.js';
import { EXFAT_FIRST_CLUSTER, type ExfatGrowSource } from '../fs/exfat/grow.js';
import { BITMAP_PIECE_BYTES } from '../fs/exfat/allocation-bitmap.js';
import type { BlockTarget } from '../target/block-target.js';

function corrupt(message: string): GuestdiskError {
  return new GuestdiskError('CORRUPT_STRUCTURE', `${message}; repair the volume (fsck.exfat) before growing`);
}

/** Why a boot region cannot be used (its first failed check), or null when it passes. */
function bootRegionProblem(region: Uint8Array, s: number, where: string): string | null {
  let bps: number;
  try {
    bps = 2 ** decodeExfatBootSector(region.subarray(0, 512)).bytesPerSectorShift;
  } catch (e) {
    return `${where}: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (bps !== s) throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `the exFAT volume has ${bps}-byte sectors on a disk with ${s}-byte sectors: guestdisk grows only volumes whose sectors are the disk's`, { bytesPerSector: bps, sectorSize: s });
  const findings = checkBootRegion(region, bps, where);
  return findings.length > 0 ? findings[0].message : null;
}

export async function readExfatGrowSource(volume: BlockTarget): Promise<ExfatGrowSource> {
  const s = volume.logicalSectorSize;
  const regionBytes = BOOT_REGION_SECTORS * s;
  let bootRegion = await volume.read(0, regionBytes);
  const problem = bootRegionProblem(bootRegion, s, 'main boot region');
  let restoreMainBootRegion = false;
  if (problem) {
    // Both regions are written only by a grow's last two writes (backup, then main): a main region torn by an
    // interrupted commit leaves a complete backup, which the spec lets a reader use (§3: "the backup boot region
    // is for recovery").
    const backup = await volume.read(regionBytes, regionBytes);
    if (bootRegionProblem(backup, s, 'backup boot region')) throw corrupt(problem);
    bootRegion = backup;
    restoreMainBootRegion = true;
  }
  const bs = decodeExfatBootSector(bootRegion.subarray(0, 512));
  const bps = s;
  const cs = bps * 2 ** bs.sectorsPerClusterShift;
  const clusterOffset = (cluster: number): number => bs.clusterHeapOffset * bps + (cluster - EXFAT_FIRST_CLUSTER) * cs;
  // The bitmap entry sits among the root directory's first entries (mkfs.exfat, Windows and guestdisk put it there).
  const root = await volume.read(clusterOffset(bs.firstClusterOfRootDirectory), cs);
  let at = -1;
  for (let i = 0; i < cs; i += DIR_ENTRY_SIZE) {
    if (root[i] === 0) break; // end of directory (§6.2.1.1)
    if (root[i] === ENTRY_TYPE.allocationBitmap && (root[i + 1] & 1) === 0) {
      at = i;
      break;
    }
  }
  if (at < 0) throw corrupt('the exFAT root directory\'s first cluster holds no Allocation Bitmap entry');
  if (bs.numberOfFats !== 1) throw new GuestdiskError('INVALID_SPEC', 'the exFAT volume has two FATs and bitmaps (TexFAT): guestdisk grows volumes with one; nothing was written');
  const entry = ALLOCATION_BITMAP_ENTRY.decode(root.subarray(at, at + DIR_ENTRY_SIZE));
  if (entry.dataLength < Math.ceil(bs.clusterCount / 8) || entry.firstCluster < EXFAT_FIRST_CLUSTER || entry.firstCluster > bs.clusterCount + 1) {
    throw corrupt(`the Allocation Bitmap entry (first cluster ${entry.firstCluster}, ${entry.dataLength} bytes) does not fit the volume's ${bs.clusterCount} clusters`);
  }
  // The old bitmap is read as one contiguous run below: its FAT chain must say so.
  const clusters = Math.ceil(entry.dataLength / cs);
  const fat = await volume.read(bs.fatOffset * bps + entry.firstCluster * FAT_ENTRY_BYTES, clusters * FAT_ENTRY_BYTES);
  const view = new DataView(fat.buffer, fat.byteOffset, fat.length);
  for (let i = 0; i < clusters; i++) {
    const want = i === clusters - 1 ? FAT_END_OF_CHAIN : entry.firstCluster + i + 1;
    if (view.getUint32(i * FAT_ENTRY_BYTES, true) !== want) throw new GuestdiskError('INVALID_SPEC', `the exFAT allocation bitmap is fragmented (its cluster ${entry.firstCluster + i} does not lead to the next): guestdisk grows only a contiguous bitmap; nothing was written`);
  }
  const sectorOffsetBytes = clusterOffset(bs.firstClusterOfRootDirectory) + Math.floor(at / s) * s;
  return {
    kind: 'exfat',
    bootRegion,
    restoreMainBootRegion,
    bitmapEntry: { offsetBytes: clusterOffset(bs.firstClusterOfRootDirectory) + at, sectorOffsetBytes, sector: root.slice(sectorOffsetBytes - clusterOffset(bs.firstClusterOfRootDirectory), sectorOffsetBytes - clusterOffset(bs.firstClusterOfRootDirectory) + s) },
    bitmap: { firstCluster: entry.firstCluster, dataLength: entry.dataLength },
  };
}

/** The first cluster of a run of `count` clusters the old bitmap marks free (reading it a piece at a time), or null. */
export async function findExfatFreeRun(volume: BlockTarget, source: ExfatGrowSource, count: number): Promise<number | null> {
  const bs = decodeExfatBootSector(source.bootRegion.subarray(0, 512));
  const bps = 2 ** bs.bytesPerSectorShift;
  const cs = bps * 2 ** bs.sectorsPerClusterShift;
  const bitmapAt = bs.clusterHeapOffset * bps + (source.bitmap.firstCluster - EXFAT_FIRST_CLUSTER) * cs;
  const totalBytes = Math.ceil(bs.clusterCount / 8);
  let runStart = 0;
  let runLength = 0;
  for (let from = 0; from < totalBytes; from += BITMAP_PIECE_BYTES) {
    const piece = await volume.read(bitmapAt + from, Math.min(BITMAP_PIECE_BYTES, totalBytes - from));
    for (let i = 0; i < piece.length; i++) {
      const byte = piece[i];
      if (byte === 0 && runLength + 8 < count && (from + i + 1) * 8 <= bs.clusterCount) {
        if (runLength === 0) runStart = (from + i) * 8;
        runLength += 8;
        continue;
      }
      for (let b = 0; b < 8; b++) {
        const index = (from + i) * 8 + b;
        if (index >= bs.clusterCount) return null;
        if ((byte & (1 << b)) === 0) {
          if (runLength === 0) runStart = index;
          if (++runLength >= count) return runStart + EXFAT_FIRST_CLUSTER;
        } else runLength = 0;
      }
    }
  }
  return null;
}
