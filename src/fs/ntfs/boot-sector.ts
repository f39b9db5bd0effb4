// NTFS boot sector: ntfs-3g include/ntfs-3g/layout.h NTFS_BOOT_SECTOR / BIOS_PARAMETER_BLOCK and the libyal "NTFS"
// document §"The volume header". The 512 bytes below are the first 512 of the first sector (on 4Kn the sector's
// remaining bytes are zero); the backup is a copy in the partition's last sector.
import { defineStruct, expectEqual, expectOneOf, finding, throwFirst, type Finding, type StructValue } from '../../binary/fields.js';

export const NTFS_BOOT_SECTOR = defineStruct('NtfsBootSector', 512, {
  jump: { offset: 0x00, type: 'bytes', length: 3 },
  oemId: { offset: 0x03, type: 'ascii', length: 8 }, // "NTFS    "
  bytesPerSector: { offset: 0x0b, type: 'u16' },
  sectorsPerCluster: { offset: 0x0d, type: 'u8' }, // above 128: 256 − log2(sectors per cluster)
  reservedSectors: { offset: 0x0e, type: 'u16' }, // must be 0
  fats: { offset: 0x10, type: 'u8' }, // must be 0
  rootEntries: { offset: 0x11, type: 'u16' }, // must be 0
  sectors: { offset: 0x13, type: 'u16' }, // must be 0
  mediaType: { offset: 0x15, type: 'u8' }, // 0xf8, hard disk
  sectorsPerFat: { offset: 0x16, type: 'u16' }, // must be 0
  sectorsPerTrack: { offset: 0x18, type: 'u16' },
  heads: { offset: 0x1a, type: 'u16' },
  hiddenSectors: { offset: 0x1c, type: 'u32' }, // the partition's first LBA
  largeSectors: { offset: 0x20, type: 'u32' }, // must be 0
  physicalDrive: { offset: 0x24, type: 'u8' }, // 0x80
  currentHead: { offset: 0x25, type: 'u8' },
  extendedBootSignature: { offset: 0x26, type: 'u8' }, // 0x80
  reserved2: { offset: 0x27, type: 'u8' },
  numberOfSectors: { offset: 0x28, type: 'u64' },
  mftLcn: { offset: 0x30, type: 'u64' },
  mftmirrLcn: { offset: 0x38, type: 'u64' },
  clustersPerMftRecord: { offset: 0x40, type: 'i8' }, // negative: record size is 2^−n bytes
  reserved0: { offset: 0x41, type: 'bytes', length: 3 },
  clustersPerIndexRecord: { offset: 0x44, type: 'i8' },
  reserved1: { offset: 0x45, type: 'bytes', length: 3 },
  volumeSerialNumber: { offset: 0x48, type: 'bytes', length: 8 }, // u64, kept as bytes
  checksum: { offset: 0x50, type: 'u32' }, // 0, as Windows and mkntfs leave it
  bootstrap: { offset: 0x54, type: 'bytes', length: 426 },
  endOfSectorMarker: { offset: 0x1fe, type: 'u16' },
});
export type NtfsBootSector = StructValue<typeof NTFS_BOOT_SECTOR>;

export const NTFS_OEM_ID = 'NTFS    ';
export const NTFS_END_OF_SECTOR_MARKER = 0xaa55;
export const NTFS_MEDIA_TYPE_FIXED = 0xf8;

/**
 * Our own boot code, not Microsoft's: the jump lands at 0x54, which asks the BIOS for the next boot device
 * (INT 18h) and halts if it returns. A data disk is never booted; this only keeps a stray boot harmless.
 */
export const NTFS_JUMP = Uint8Array.of(0xeb, 0x52, 0x90); // jmp short 0x54; nop
const BOOT_STUB = Uint8Array.of(0xcd, 0x18, 0xfa, 0xf4, 0xeb, 0xfd); // int 18h; cli; hlt; jmp $-1

export function ntfsBootstrap(): Uint8Array {
  const code = new Uint8Array(426);
  code.set(BOOT_STUB, 0);
  return code;
}

/** BPB sectors_per_cluster: the count up to 128, else 256 − log2(count) (0xf4 for 4096 sectors). */
export function encodeSectorsPerCluster(sectorsPerCluster: number): number {
  return sectorsPerCluster <= 128 ? sectorsPerCluster : 256 - Math.log2(sectorsPerCluster);
}

export function decodeSectorsPerCluster(value: number): number {
  return value <= 0x80 ? value : 2 ** (256 - value);
}

/** clusters_per_mft_record / clusters_per_index_record: whole clusters, or −log2(bytes) below one cluster. */
export function encodeClustersPerRecord(recordSize: number, clusterSize: number): number {
  return recordSize >= clusterSize ? recordSize / clusterSize : -Math.log2(recordSize);
}

export function decodeClustersPerRecord(value: number, clusterSize: number): number {
  return value > 0 ? value * clusterSize : 2 ** -value;
}

export function encodeNtfsBootSector(value: NtfsBootSector): Uint8Array {
  return NTFS_BOOT_SECTOR.encode(value);
}

export function checkNtfsBootSector(value: NtfsBootSector): Finding[] {
  const S = NTFS_BOOT_SECTOR;
  const out: Finding[] = [
    ...expectEqual(S, value, 'oemId', NTFS_OEM_ID),
    ...expectOneOf(S, value, 'bytesPerSector', [256, 512, 1024, 2048, 4096]),
    ...expectEqual(S, value, 'endOfSectorMarker', NTFS_END_OF_SECTOR_MARKER),
    ...expectEqual(S, value, 'reservedSectors', 0),
    ...expectEqual(S, value, 'fats', 0),
    ...expectEqual(S, value, 'rootEntries', 0),
    ...expectEqual(S, value, 'sectors', 0),
    ...expectEqual(S, value, 'sectorsPerFat', 0),
    ...expectEqual(S, value, 'largeSectors', 0),
  ];
  const spc = value.sectorsPerCluster;
  const validSpc = spc !== 0 && (spc <= 0x80 ? (spc & (spc - 1)) === 0 : spc >= 0xf4);
  if (!validSpc) {
    out.push(finding({ code: 'NTFS_BOOT_SECTOR_SECTORS_PER_CLUSTER', structure: S.name, field: 'sectorsPerCluster', offsetBytes: 0x0d, actual: String(spc), message: `NtfsBootSector.sectorsPerCluster: ${spc} is not a power of two (or 0xf4–0xff)` }));
  }
  for (const field of ['clustersPerMftRecord', 'clustersPerIndexRecord'] as const) {
    const v = value[field];
    const ok = v > 0 ? (v & (v - 1)) === 0 : v <= -9 && v >= -31;
    if (!ok) {
      out.push(finding({ code: `NTFS_BOOT_SECTOR_${field === 'clustersPerMftRecord' ? 'CLUSTERS_PER_MFT_RECORD' : 'CLUSTERS_PER_INDEX_RECORD'}`, structure: S.name, field, offsetBytes: S.fields[field].offset, actual: String(v), message: `NtfsBootSector.${field}: ${v} is not a valid record size encoding` }));
    }
  }
  if (value.numberOfSectors === 0) {
    out.push(finding({ code: 'NTFS_BOOT_SECTOR_NUMBER_OF_SECTORS', structure: S.name, field: 'numberOfSectors', offsetBytes: 0x28, actual: '0', message: 'NtfsBootSector.numberOfSectors is 0' }));
  }
  return out;
}

export function decodeNtfsBootSector(bytes: Uint8Array): NtfsBootSector {
  const value = NTFS_BOOT_SECTOR.decode(bytes);
  throwFirst(checkNtfsBootSector(value));
  return value;
}
