// The write order of an exFAT grow (docs/grow.md has the evidence), so that an interruption after any write leaves
// the old volume or the grown one valid:
//   (1) before the partition grows, inside the old volume and unreferenced: the new allocation bitmap in a run of
//       clusters the old bitmap marks free, its FAT chain, the FAT entries past the old cluster count set free
//       (with the FAT's new sectors when it grows into the room before the cluster heap); flush;
//   (2) the partition table (shared with NTFS);
//   (3) the bitmap's directory entry pointing at the new bitmap: from here the old volume reads its allocation
//       from the new bitmap, whose first ClusterCount bits describe it exactly (its own clusters in use, the old
//       bitmap's free) and whose DataLength is longer than the old volume needs, which the spec's readers accept;
//       flush;
//   (4) the backup boot region, then the main boot region in one 12-sector write (boot sector and checksum sector
//       together): the commit; flush.
import { EXFAT_FIRST_CLUSTER, exfatBootSectorOf, type ExfatGrowPlan } from '../fs/exfat/grow.js';
import { BOOT_REGION_SECTORS } from '../fs/exfat/boot-region.js';
import { FAT_ENTRY_BYTES } from '../fs/exfat/fat.js';
import { GuestdiskError } from '../errors.js';
import type { GrowSource, GrowStep } from './types.js';

function step(kind: GrowStep['kind'], offsetBytes: number, lengthBytes: number, description: string): GrowStep {
  return { kind, offsetBytes, lengthBytes, description };
}

function sourceOf(source: GrowSource) {
  if (source.filesystem.kind !== 'exfat') throw new GuestdiskError('INVALID_SPEC', 'exFAT plan without an exFAT source');
  return source.filesystem;
}

/** Sector-aligned byte range of FAT entries `[first, end)`, relative to the volume. */
export function fatEntryRange(fatOffsetBytes: number, bytesPerSector: number, first: number, end: number): { offsetBytes: number; lengthBytes: number } {
  const from = Math.floor((first * FAT_ENTRY_BYTES) / bytesPerSector) * bytesPerSector;
  const to = Math.ceil((end * FAT_ENTRY_BYTES) / bytesPerSector) * bytesPerSector;
  return { offsetBytes: fatOffsetBytes + from, lengthBytes: to - from };
}

export function exfatPrepareSteps(fs: ExfatGrowPlan, source: GrowSource, base: number): GrowStep[] {
  const bs = exfatBootSectorOf(sourceOf(source));
  const bps = 2 ** bs.bytesPerSectorShift;
  const fatAt = bs.fatOffset * bps;
  const nb = fs.newBitmap;
  if (!movesBitmap(fs)) return [];
  const chain = fatEntryRange(fatAt, bps, nb.firstCluster, nb.firstCluster + nb.clusters);
  const steps = [
    step('exfat-bitmap', base + bs.clusterHeapOffset * bps + (nb.firstCluster - EXFAT_FIRST_CLUSTER) * fs.clusterSize, nb.clusters * fs.clusterSize, `new allocation bitmap: clusters ${nb.firstCluster}–${nb.firstCluster + nb.clusters - 1} (${nb.dataLength} bytes), free in the old volume`),
    step('exfat-bitmap-chain', base + chain.offsetBytes, chain.lengthBytes, `FAT chain of the new allocation bitmap (entries ${nb.firstCluster}–${nb.firstCluster + nb.clusters - 1})`),
  ];
  if (fs.after.clusterCount > fs.before.clusterCount) {
    const tail = fatEntryRange(fatAt, bps, fs.before.clusterCount + EXFAT_FIRST_CLUSTER, fs.after.fatLength * bps / FAT_ENTRY_BYTES);
    steps.push(step('exfat-fat-tail', base + tail.offsetBytes, tail.lengthBytes, `FAT entries ${fs.before.clusterCount + EXFAT_FIRST_CLUSTER} onwards free, FAT ${fs.before.fatLength} → ${fs.after.fatLength} sectors`));
  }
  steps.push(step('flush', 0, 0, 'flush: the new allocation bitmap and its chain, unreferenced yet'));
  return steps;
}

export function exfatCommitSteps(fs: ExfatGrowPlan, source: GrowSource, base: number): GrowStep[] {
  const src = sourceOf(source);
  const bps = 2 ** exfatBootSectorOf(src).bytesPerSectorShift;
  const region = BOOT_REGION_SECTORS * bps;
  const entry = [
    step('exfat-bitmap-entry', base + src.bitmapEntry.sectorOffsetBytes, bps, `root directory: the allocation bitmap entry points at cluster ${fs.newBitmap.firstCluster}, ${fs.newBitmap.dataLength} bytes`),
    step('flush', 0, 0, 'flush: the old volume now reads the new bitmap'),
  ];
  return [
    ...(movesBitmap(fs) ? entry : []),
    step('exfat-backup-boot', base + region, region, `backup boot region: ${fs.after.volumeLength} sectors, ${fs.after.clusterCount} clusters, checksum`),
    step('exfat-boot', base, region, `main boot region: ${fs.after.volumeLength} sectors, ${fs.after.clusterCount} clusters, checksum (commit)`),
    step('flush', 0, 0, 'flush: volume grown'),
  ];
}

function movesBitmap(fs: ExfatGrowPlan): boolean {
  return fs.newBitmap.firstCluster !== fs.oldBitmap.firstCluster;
}

export function exfatNotes(fs: ExfatGrowPlan, restoresMain: boolean): string[] {
  const notes: string[] = [];
  if (restoresMain) notes.push('the exFAT main boot region fails its checksum and the backup region passes (a grow stopped during its last write): the backup is written back over it');
  if (fs.clustersBeyondFat > 0) {
    notes.push(`only ${fs.usableBytes} bytes of the grown exFAT volume are usable (${fs.after.clusterCount} clusters of ${fs.clusterSize} bytes); the last ${fs.unusableBytes} bytes (${fs.clustersBeyondFat} clusters) stay unused: its FAT (${fs.after.fatLength} sectors) has no room left before the cluster heap to address them, and moving the heap would move every file. A volume made by guestdisk create --max-size N has a FAT with room for a disk of N; to use this disk whole, copy the files to a volume made that way (or reformat)`);
  }
  if (fs.after.fatLength > fs.before.fatLength) notes.push(`the exFAT FAT grows from ${fs.before.fatLength} to ${fs.after.fatLength} sectors into the free room before the cluster heap`);
  return notes;
}
