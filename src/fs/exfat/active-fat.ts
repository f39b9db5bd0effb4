// Which FAT and which Allocation Bitmap a volume uses: exFAT spec §3.1.13.1 (VolumeFlags.ActiveFat) and §7.1.2
// (BitmapFlags.BitmapIdentifier). Only TexFAT volumes (NumberOfFats = 2) have a second of each; ActiveFat names
// the pair in use, the other one is a stale copy a transaction may roll back to. Readers follow the active pair.
import type { ExfatBootSector } from './boot-sector.js';

/** VolumeFlags bit 0: 0 = the first FAT and bitmap are active, 1 = the second. */
export const EXFAT_VOLUME_FLAG_ACTIVE_FAT = 0x0001;
/** BitmapFlags bit 0: 0 = the bitmap for the first FAT, 1 = for the second. */
export const EXFAT_BITMAP_FLAG_SECOND = 0x01;

/** 0 or 1: the active FAT (always 0 with one FAT, whatever the flag says). */
export function activeFatIndex(bs: Pick<ExfatBootSector, 'numberOfFats' | 'volumeFlags'>): 0 | 1 {
  return bs.numberOfFats === 2 && (bs.volumeFlags & EXFAT_VOLUME_FLAG_ACTIVE_FAT) !== 0 ? 1 : 0;
}

/** The active FAT's first sector. */
export function activeFatOffset(bs: Pick<ExfatBootSector, 'numberOfFats' | 'volumeFlags' | 'fatOffset' | 'fatLength'>): number {
  return bs.fatOffset + activeFatIndex(bs) * bs.fatLength;
}

/** Whether an Allocation Bitmap entry with these BitmapFlags describes the active FAT's clusters. */
export function isActiveBitmap(bs: Pick<ExfatBootSector, 'numberOfFats' | 'volumeFlags'>, bitmapFlags: number): boolean {
  return ((bitmapFlags & EXFAT_BITMAP_FLAG_SECOND) !== 0 ? 1 : 0) === activeFatIndex(bs);
}
