// Filesystem and table signatures by magic bytes, for "is there data here?" and for inspect's type guess.
// Offsets are each format's published superblock location (the same ones libblkid probes).

export interface Signature {
  readonly name: string;
  readonly offsetBytes: number;
  readonly magic: Uint8Array;
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Signatures relative to the start of a volume (or of the whole disk, for a "superfloppy"). */
export const VOLUME_SIGNATURES: readonly Signature[] = [
  { name: 'ntfs', offsetBytes: 3, magic: ascii('NTFS    ') },
  { name: 'exfat', offsetBytes: 3, magic: ascii('EXFAT   ') },
  { name: 'refs', offsetBytes: 3, magic: Uint8Array.of(0x52, 0x65, 0x46, 0x53, 0, 0, 0, 0) },
  { name: 'bitlocker', offsetBytes: 3, magic: ascii('-FVE-FS-') },
  { name: 'fat32', offsetBytes: 0x52, magic: ascii('FAT32   ') },
  { name: 'fat16', offsetBytes: 0x36, magic: ascii('FAT16   ') },
  { name: 'fat12', offsetBytes: 0x36, magic: ascii('FAT12   ') },
  { name: 'ext2/3/4', offsetBytes: 1024 + 0x38, magic: Uint8Array.of(0x53, 0xef) },
  { name: 'xfs', offsetBytes: 0, magic: ascii('XFSB') },
  { name: 'btrfs', offsetBytes: 0x10040, magic: ascii('_BHRfS_M') },
  { name: 'swap', offsetBytes: 4096 - 10, magic: ascii('SWAPSPACE2') },
  { name: 'swap', offsetBytes: 4096 - 10, magic: ascii('SWAP-SPACE') },
  { name: 'luks', offsetBytes: 0, magic: Uint8Array.of(0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe) },
  { name: 'lvm2', offsetBytes: 512 + 0x18, magic: ascii('LVM2 001') },
];

/**
 * Disk image containers, at the start of the file: a raw disk written over one of them destroys the guest data it
 * holds. qcow2: QEMU's docs/interop/qcow2.txt ("QFI\xfb"); VHDX: MS-VHDX §2.2.1 file type identifier; VMDK:
 * VMware's "Virtual Disk Format 5.0" (sparse extent magic "KDMV", or a text descriptor); VDI: VirtualBox's header
 * signature 0xbeda107f at 0x40; VHD: the "conectix" cookie of the footer, copied to the start of a dynamic disk
 * (the fixed disk's footer is in its last sector: DISK_IMAGE_TAIL_SIGNATURES).
 */
export const DISK_IMAGE_SIGNATURES: readonly Signature[] = [
  { name: 'qcow2/qcow disk image', offsetBytes: 0, magic: Uint8Array.of(0x51, 0x46, 0x49, 0xfb) },
  { name: 'VHDX disk image', offsetBytes: 0, magic: ascii('vhdxfile') },
  { name: 'VHD disk image (dynamic)', offsetBytes: 0, magic: ascii('conectix') },
  { name: 'VMDK disk image (sparse extent)', offsetBytes: 0, magic: ascii('KDMV') },
  { name: 'VMDK disk image (descriptor)', offsetBytes: 0, magic: ascii('# Disk DescriptorFile') },
  { name: 'VDI disk image', offsetBytes: 0x40, magic: Uint8Array.of(0x7f, 0x10, 0xda, 0xbe) },
  { name: 'ISO 9660 filesystem', offsetBytes: 0x8001, magic: ascii('CD001') },
  { name: 'Linux RAID member (md 1.1)', offsetBytes: 0, magic: Uint8Array.of(0xfc, 0x4e, 0x2b, 0xa9) },
  { name: 'Linux RAID member (md 1.2)', offsetBytes: 4096, magic: Uint8Array.of(0xfc, 0x4e, 0x2b, 0xa9) },
];

/** Signatures relative to the last 512-byte sector: the fixed VHD's footer (its only header). */
export const DISK_IMAGE_TAIL_SIGNATURES: readonly Signature[] = [
  { name: 'VHD disk image (fixed)', offsetBytes: 0, magic: ascii('conectix') },
];

export function matches(bytes: Uint8Array, sig: Signature): boolean {
  if (sig.offsetBytes + sig.magic.length > bytes.length) return false;
  for (let i = 0; i < sig.magic.length; i++) if (bytes[sig.offsetBytes + i] !== sig.magic[i]) return false;
  return true;
}

/** Names of the volume signatures found at the start of `head` (which should be ≥ 68 KiB to see btrfs). */
export function volumeSignatures(head: Uint8Array): string[] {
  return [...new Set(VOLUME_SIGNATURES.filter((s) => matches(head, s)).map((s) => s.name))];
}

export const VOLUME_PROBE_BYTES = 0x10040 + 8;

/** Names of the disk image containers (and other whole-disk formats) found at the start of `head`. */
export function diskImageSignatures(head: Uint8Array): string[] {
  return [...new Set(DISK_IMAGE_SIGNATURES.filter((s) => matches(head, s)).map((s) => s.name))];
}

/** Filesystems Windows mounts and assigns a drive letter to (ReFS and BitLocker aside). */
export const WINDOWS_VOLUME_TYPES: readonly string[] = ['ntfs', 'exfat', 'fat32', 'fat16', 'fat12'];
/** Filesystems Windows cannot read at all. */
export const NON_WINDOWS_VOLUME_TYPES: readonly string[] = ['ext2/3/4', 'xfs', 'btrfs', 'swap', 'luks', 'lvm2'];
