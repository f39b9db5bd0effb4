// Opening a volume for reading: by its boot sector's signature, the reader of NTFS, exFAT or FAT32; and, for a
// whole disk, the partition to read (the only readable one, or the one asked for).
import { GuestdiskError } from '../errors.js';
import { readPartitionTable } from '../inspect/partition-table.js';
import { volumeSignatures } from '../inspect/signatures.js';
import { sliceTarget, type BlockTarget } from '../target/block-target.js';
import { openExfatReader } from './exfat-reader.js';
import { openFat32Reader } from './fat32-reader.js';
import { openNtfsReader } from './ntfs-reader.js';
import type { ReadableFs, VolumeReader } from './types.js';

const READABLE: readonly string[] = ['ntfs', 'exfat', 'fat32'];

async function readableType(volume: BlockTarget): Promise<ReadableFs | null> {
  if (volume.sizeBytes < 512) return null;
  const found = volumeSignatures(await volume.read(0, 512)).filter((s) => READABLE.includes(s));
  if (found.length > 0) return found[0] as ReadableFs;
  // exFAT keeps a backup boot region at sector 12: a damaged main boot sector is still a readable volume.
  for (const sector of [512, 4096]) {
    if (13 * sector <= volume.sizeBytes && volumeSignatures(await volume.read(12 * sector, 512)).includes('exfat')) return 'exfat';
  }
  return null;
}

/** A reader for the filesystem in `volume` (a partition, e.g. from sliceTarget): UNSUPPORTED_GEOMETRY otherwise. */
export async function openVolume(volume: BlockTarget): Promise<VolumeReader> {
  const type = await readableType(volume);
  switch (type) {
    case 'ntfs': return openNtfsReader(volume);
    case 'exfat': return openExfatReader(volume);
    case 'fat32': return openFat32Reader(volume);
    case null: {
      const other = volume.sizeBytes >= 512 ? volumeSignatures(await volume.read(0, 512)) : [];
      throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `${volume.description} holds ${other.length ? other.join(', ') : 'no filesystem guestdisk can read'}: only NTFS, exFAT and FAT32 are read`, { target: volume.description });
    }
    default: {
      const never: never = type;
      throw new Error(`unknown filesystem ${String(never)}`);
    }
  }
}

export interface DiskVolume {
  /** The partition number (1-based, as inspect shows it), or null for a filesystem on the whole disk. */
  readonly partition: number | null;
  readonly offsetBytes: number;
  readonly sizeBytes: number;
  readonly reader: VolumeReader;
}

/**
 * The volume of a disk to read: partition `partition` when given, else the only partition holding NTFS, exFAT or
 * FAT32 (several: INVALID_SPEC naming them), else a filesystem on the whole disk ("superfloppy").
 */
export async function openDiskVolume(disk: BlockTarget, options: { partition?: number } = {}): Promise<DiskVolume> {
  const s = disk.logicalSectorSize;
  const read = await readPartitionTable(disk, { sectorSize: s, sizeLba: Math.floor(disk.sizeBytes / s) });
  const usable = read.partitions.filter((p) => !p.extended && p.startLba * s < disk.sizeBytes);
  const slice = (p: (typeof usable)[number]): BlockTarget => {
    const offsetBytes = p.startLba * s;
    return sliceTarget(disk, offsetBytes, Math.min(p.sizeLba * s, disk.sizeBytes - offsetBytes));
  };
  if (options.partition !== undefined) {
    const p = usable.find((q) => q.number === options.partition);
    if (!p) throw new GuestdiskError('PATH_NOT_FOUND', `${disk.description} has no partition ${options.partition} (partitions: ${usable.map((q) => q.number).join(', ') || 'none'})`, { partition: options.partition });
    const volume = slice(p);
    return { partition: p.number, offsetBytes: p.startLba * s, sizeBytes: volume.sizeBytes, reader: await openVolume(volume) };
  }
  if (usable.length === 0) {
    return { partition: null, offsetBytes: 0, sizeBytes: disk.sizeBytes, reader: await openVolume(disk) };
  }
  const readable: { p: (typeof usable)[number]; volume: BlockTarget }[] = [];
  for (const p of usable) {
    const volume = slice(p);
    if ((await readableType(volume)) !== null) readable.push({ p, volume });
  }
  if (readable.length === 0) throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `no partition of ${disk.description} holds NTFS, exFAT or FAT32`, { partitions: usable.map((q) => q.number) });
  if (readable.length > 1) {
    throw new GuestdiskError('INVALID_SPEC', `${disk.description} has ${readable.length} readable partitions (${readable.map((r) => r.p.number).join(', ')}): choose one with --partition N`, { partitions: readable.map((r) => r.p.number) });
  }
  const [{ p, volume }] = readable;
  return { partition: p.number, offsetBytes: p.startLba * s, sizeBytes: volume.sizeBytes, reader: await openVolume(volume) };
}
