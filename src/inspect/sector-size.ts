// The logical sector size of an image file, read off its contents (a file has none of its own): where the GPT
// header is (byte 512 or 4096, else the backup in the last sector); for an MBR, where partition 1's boot
// sector makes sense; for a bare volume, its boot sector's bytes-per-sector. Otherwise 512.
import { readUint } from '../binary/fields.js';
import { EXFAT_BOOT_SECTOR } from '../fs/exfat/boot-sector.js';
import { NTFS_BOOT_SECTOR } from '../fs/ntfs/boot-sector.js';
import type { LogicalSectorSize } from '../disk-types.js';
import { GPT_HEADER_SIGNATURE } from '../partition/gpt-header.js';
import { MBR_TYPE } from '../partition/gpt-types.js';
import { MBR, MBR_BOOT_SIGNATURE, readMbr } from '../partition/mbr.js';
import { assertBlockTarget, type BlockTarget } from '../target/block-target.js';
import { isExtendedType } from './mbr-table.js';
import { ONE_MIB } from './partition-checks.js';
import { volumeSignatures } from './signatures.js';

const SIZES: readonly LogicalSectorSize[] = [512, 4096];

export interface SectorSizeGuess {
  readonly logicalSectorSize: LogicalSectorSize;
  /** False when nothing on the disk decided it and 512 was assumed. */
  readonly detected: boolean;
  /** What decided it, for messages. */
  readonly reason: string;
}

async function readAt(disk: BlockTarget, offsetBytes: number, lengthBytes: number): Promise<Uint8Array | null> {
  if (offsetBytes < 0 || offsetBytes + lengthBytes > disk.sizeBytes) return null;
  return disk.read(offsetBytes, lengthBytes);
}

function isGptSignature(bytes: Uint8Array | null): boolean {
  return bytes !== null && String.fromCharCode(...bytes.subarray(0, 8)) === GPT_HEADER_SIGNATURE;
}

/** Bytes per sector a volume boot sector declares (NTFS, FAT, exFAT), or null. */
export function bootSectorBytesPerSector(boot: Uint8Array): number | null {
  const names = volumeSignatures(boot);
  if (names.includes('exfat')) {
    const shift = boot[EXFAT_BOOT_SECTOR.fields.bytesPerSectorShift.offset];
    return shift >= 9 && shift <= 12 ? 2 ** shift : null;
  }
  // NTFS and FAT share the BPB's BytesPerSector (NTFS_BOOT_SECTOR.bytesPerSector is FAT's BPB_BytsPerSec).
  if (names.some((n) => n === 'ntfs' || n.startsWith('fat'))) return readUint(boot, NTFS_BOOT_SECTOR.fields.bytesPerSector.offset, 2);
  return null;
}

/** `disk` may have been opened with any sector size: only byte offsets are used. */
export async function detectSectorSize(disk: BlockTarget): Promise<SectorSizeGuess> {
  assertBlockTarget(disk, 'detectSectorSize');
  for (const s of SIZES) {
    if (isGptSignature(await readAt(disk, s, 8))) return { logicalSectorSize: s, reason: `GPT header at byte ${s}`, detected: true };
  }
  for (const s of SIZES) {
    const lastLba = Math.floor(disk.sizeBytes / s) - 1;
    if (lastLba > 1 && isGptSignature(await readAt(disk, lastLba * s, 8))) return { logicalSectorSize: s, reason: `backup GPT header in the last ${s}-byte sector`, detected: true };
  }
  const sector0 = await readAt(disk, 0, MBR.sizeBytes);
  if (!sector0) return { logicalSectorSize: 512, reason: 'too small to tell; assumed 512', detected: false };
  const bare = bootSectorBytesPerSector(sector0);
  if (bare === 512 || bare === 4096) return { logicalSectorSize: bare, reason: `boot sector at byte 0 declares ${bare}-byte sectors`, detected: true };

  const mbr = readMbr(sector0);
  if (mbr.signature !== MBR_BOOT_SIGNATURE) return { logicalSectorSize: 512, reason: 'no table or boot sector; assumed 512', detected: false };
  const records = mbr.partitionRecords.filter((r) => r.osType !== MBR_TYPE.EMPTY && r.sizeInLba > 0 && !isExtendedType(r.osType));
  const first = records[0];
  if (first) {
    for (const s of SIZES) {
      const boot = await readAt(disk, first.startingLba * s, 512);
      if (boot && bootSectorBytesPerSector(boot) === s) return { logicalSectorSize: s, reason: `partition 1's boot sector at LBA ${first.startingLba} × ${s} declares ${s}-byte sectors`, detected: true };
    }
    // No filesystem to ask: the size at which every partition fits and starts on 1 MiB, if only one does.
    const fits = SIZES.filter((s) => records.every((r) => (r.startingLba + r.sizeInLba) * s <= disk.sizeBytes && (r.startingLba * s) % ONE_MIB === 0));
    if (fits.length === 1) return { logicalSectorSize: fits[0], reason: `MBR partitions fit the disk and start on 1 MiB only with ${fits[0]}-byte sectors`, detected: true };
  }
  return { logicalSectorSize: 512, reason: 'MBR without a deciding boot sector; assumed 512', detected: false };
}
