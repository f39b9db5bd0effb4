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

/** Filesystems Windows mounts and assigns a drive letter to (ReFS and BitLocker aside). */
export const WINDOWS_VOLUME_TYPES: readonly string[] = ['ntfs', 'exfat', 'fat32', 'fat16', 'fat12'];
/** Filesystems Windows cannot read at all. */
export const NON_WINDOWS_VOLUME_TYPES: readonly string[] = ['ext2/3/4', 'xfs', 'btrfs', 'swap', 'luks', 'lvm2'];
