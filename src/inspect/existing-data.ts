// Before `create` without --force: does the target hold anything a user might still want? Known formats are named
// (partition tables, filesystems, disk image containers, LUKS, LVM, RAID); anything else that is not zero in the
// first or the last MiB is "unrecognised data": a disk of only zeros is the one thing that may be written unasked.
import { assertBlockTarget, type BlockTarget } from '../target/block-target.js';
import { DISK_IMAGE_TAIL_SIGNATURES, diskImageSignatures, matches, VOLUME_PROBE_BYTES, volumeSignatures } from './signatures.js';

const MBR_SIGNATURE_OFFSET = 0x1fe;
const EFI_PART = Uint8Array.from('EFI PART', (c) => c.charCodeAt(0));
/** Where partitions usually start: 1 MiB (Windows, parted), 64 KiB (Windows XP-era small disks), 63 sectors. */
const USUAL_PARTITION_STARTS = [1024 * 1024, 64 * 1024, 63 * 512, 2048 * 4096];
/** How much of each end must be zero: where every partition table, boot sector and image header lives. */
export const EDGE_BYTES = 1024 * 1024;
/** The last sector of a disk, as the fixed VHD footer counts it. */
const VHD_FOOTER_BYTES = 512;

/** What a volume signature's short name is, said in full for a message. */
const VOLUME_NAMES: Readonly<Record<string, string>> = {
  ntfs: 'NTFS', exfat: 'exFAT', refs: 'ReFS', bitlocker: 'BitLocker', fat32: 'FAT32', fat16: 'FAT16', fat12: 'FAT12',
  'ext2/3/4': 'ext2/3/4', xfs: 'XFS', btrfs: 'Btrfs', swap: 'Linux swap', luks: 'LUKS encrypted volume', lvm2: 'LVM physical volume',
};

function describeVolume(name: string, where: string): string {
  const full = VOLUME_NAMES[name] ?? name;
  return name === 'luks' || name === 'lvm2' ? `${full} ${where}` : `${full} ${name === 'swap' ? 'area' : 'filesystem'} ${where}`;
}

function firstNonZero(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return i;
  return -1;
}

/** Describes what the target already holds ("GPT partition table", "NTFS filesystem at byte 1048576"); empty when nothing. */
export async function findExistingData(target: BlockTarget): Promise<string[]> {
  assertBlockTarget(target, 'findExistingData');
  const found: string[] = [];
  const headLength = Math.min(target.sizeBytes, Math.max(VOLUME_PROBE_BYTES, EDGE_BYTES));
  const head = await target.read(0, headLength);
  found.push(...diskImageSignatures(head));
  for (const sectorSize of [512, 4096]) {
    if (head.length >= sectorSize + 8 && matches(head, { name: 'gpt', offsetBytes: sectorSize, magic: EFI_PART })) {
      found.push(`GPT partition table (${sectorSize}-byte sectors)`);
    }
  }
  const wholeDisk = volumeSignatures(head);
  if (head.length >= 512 && head[MBR_SIGNATURE_OFFSET] === 0x55 && head[MBR_SIGNATURE_OFFSET + 1] === 0xaa) {
    const isVolume = wholeDisk.some((n) => n === 'ntfs' || n === 'exfat' || n.startsWith('fat'));
    if (!isVolume) found.push('MBR partition table (boot signature 0x55AA)');
  }
  for (const name of wholeDisk) found.push(describeVolume(name, 'on the whole disk'));
  for (const start of USUAL_PARTITION_STARTS) {
    if (start + 512 > target.sizeBytes) continue;
    const length = Math.min(VOLUME_PROBE_BYTES, target.sizeBytes - start);
    const volume = start + length <= head.length ? head.subarray(start, start + length) : await target.read(start, length);
    for (const name of volumeSignatures(volume)) found.push(describeVolume(name, `at byte ${start}`));
  }
  const tailStart = Math.max(0, target.sizeBytes - EDGE_BYTES);
  const tail = await target.read(tailStart, target.sizeBytes - tailStart);
  for (const sectorSize of [512, 4096]) {
    if (target.sizeBytes < 2 * sectorSize) continue;
    if (matches(tail, { name: 'gpt', offsetBytes: tail.length - sectorSize, magic: EFI_PART })) found.push(`backup GPT header in the last ${sectorSize}-byte sector`);
  }
  if (tail.length >= VHD_FOOTER_BYTES) {
    const footer = tail.subarray(tail.length - VHD_FOOTER_BYTES);
    for (const sig of DISK_IMAGE_TAIL_SIGNATURES) if (matches(footer, sig)) found.push(sig.name);
  }
  if (found.length === 0) {
    const atHead = firstNonZero(head.subarray(0, Math.min(head.length, EDGE_BYTES)));
    const atTail = firstNonZero(tail);
    if (atHead >= 0) found.push(`unrecognised data (a non-zero byte at ${atHead}, in the first MiB)`);
    else if (atTail >= 0) found.push(`unrecognised data (a non-zero byte at ${tailStart + atTail}, in the last MiB)`);
  }
  return [...new Set(found)];
}
