// exFAT boot sector: exFAT spec §3.1 "Main and Backup Boot Sector Sub-regions" (the first 512 bytes; a larger
// sector's ExcessSpace after them is zero).
import { hex } from '../../errors.js';
import { defineStruct, expectEqual, fieldCode, finding, throwFirst, type Finding, type StructValue } from '../../binary/fields.js';

export const EXFAT_FILE_SYSTEM_NAME = 'EXFAT   ';
/** JMP short +0x76 (to BootCode at 0x78), NOP: the only JumpBoot the spec allows. */
export const EXFAT_JUMP_BOOT: readonly number[] = [0xeb, 0x76, 0x90];
export const EXFAT_BOOT_SIGNATURE = 0xaa55;
export const EXFAT_BOOT_CODE_BYTES = 390;
/** HLT: what the boot code area holds after our stub. */
const X86_HLT = 0xf4;

/**
 * Our own boot code (no Microsoft bytes): a data volume never boots, so JumpBoot lands on `int 18h` (the BIOS's
 * "not bootable, try the next device") and, should that return, halts. The rest is HLT. Not all zero on purpose:
 * with zeros, bytes 0x1be–0x1fd read as four empty MBR partition records before the 0x55aa, and libblkid then
 * reports a "dos" partition table inside the volume (and on a 1 MiB loop device, only that); Windows' own boot
 * code has the same effect as this stub.
 */
export function exfatBootCode(): Uint8Array {
  const code = new Uint8Array(EXFAT_BOOT_CODE_BYTES).fill(X86_HLT);
  code.set([0xcd, 0x18, X86_HLT, 0xeb, 0xfd], 0); // int 18h; hlt; jmp short back to the hlt
  return code;
}
/** FileSystemRevision 1.00: major in the high byte. */
export const EXFAT_FILE_SYSTEM_REVISION = 0x0100;
export const EXFAT_DRIVE_SELECT = 0x80;
/** PercentInUse when an implementation does not know it. */
export const EXFAT_PERCENT_IN_USE_UNKNOWN = 0xff;
/** Largest ClusterCount the spec allows (2^32 − 11). */
export const EXFAT_MAX_CLUSTER_COUNT = 0xfffffff5;

export const EXFAT_BOOT_SECTOR = defineStruct('ExfatBootSector', 512, {
  jumpBoot:                    { offset: 0x00, type: 'bytes', length: 3 },   // EB 76 90
  fileSystemName:              { offset: 0x03, type: 'ascii', length: 8 },   // "EXFAT   "
  mustBeZero:                  { offset: 0x0b, type: 'bytes', length: 53 },  // where FAT's BPB would be; all 0
  partitionOffset:             { offset: 0x40, type: 'u64' },                // sectors from the disk start; 0 = ignore
  volumeLength:                { offset: 0x48, type: 'u64' },                // sectors
  fatOffset:                   { offset: 0x50, type: 'u32' },                // sectors, ≥ 24
  fatLength:                   { offset: 0x54, type: 'u32' },                // sectors
  clusterHeapOffset:           { offset: 0x58, type: 'u32' },                // sectors
  clusterCount:                { offset: 0x5c, type: 'u32' },                // ≤ 2^32 − 11
  firstClusterOfRootDirectory: { offset: 0x60, type: 'u32' },
  volumeSerialNumber:          { offset: 0x64, type: 'u32' },
  fileSystemRevision:          { offset: 0x68, type: 'u16' },                // 0x0100
  volumeFlags:                 { offset: 0x6a, type: 'u16' },                // ActiveFat, VolumeDirty, MediaFailure, ClearToZero
  bytesPerSectorShift:         { offset: 0x6c, type: 'u8' },                 // 9..12
  sectorsPerClusterShift:      { offset: 0x6d, type: 'u8' },                 // 0..25 − bytesPerSectorShift
  numberOfFats:                { offset: 0x6e, type: 'u8' },                 // 1 (2 only for TexFAT)
  driveSelect:                 { offset: 0x6f, type: 'u8' },                 // 0x80
  percentInUse:                { offset: 0x70, type: 'u8' },                 // 0..100, or 0xff
  reserved:                    { offset: 0x71, type: 'bytes', length: 7 },
  bootCode:                    { offset: 0x78, type: 'bytes', length: 390 }, // ours: exfatBootCode()
  bootSignature:               { offset: 0x1fe, type: 'u16' },               // 0xaa55
});
export type ExfatBootSector = StructValue<typeof EXFAT_BOOT_SECTOR>;

/** A sector-sized boot sector: the 512-byte structure, then zero ExcessSpace. */
export function encodeExfatBootSector(value: ExfatBootSector): Uint8Array {
  const out = new Uint8Array(2 ** value.bytesPerSectorShift);
  EXFAT_BOOT_SECTOR.encodeInto(value, out, 0);
  return out;
}

function isZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

/** Every rule of §3.1 that a reader can check from the sector alone (geometry against the volume, too). */
export function checkExfatBootSector(bs: ExfatBootSector): Finding[] {
  const S = EXFAT_BOOT_SECTOR;
  const out: Finding[] = [
    ...expectEqual(S, bs, 'fileSystemName', EXFAT_FILE_SYSTEM_NAME),
    ...expectEqual(S, bs, 'bootSignature', EXFAT_BOOT_SIGNATURE),
  ];
  const bad = (field: keyof typeof S.fields & string, expected: string, actual: string): void => {
    out.push(finding({ code: fieldCode(S, field),
      structure: S.name, field, offsetBytes: S.fields[field].offset, expected, actual,
      message: `${S.name}.${field}: expected ${expected}, found ${actual}` }));
  };
  if (bs.jumpBoot[0] !== 0xeb || bs.jumpBoot[1] !== 0x76 || bs.jumpBoot[2] !== 0x90) {
    bad('jumpBoot', 'eb 76 90', [...bs.jumpBoot].map((b) => b.toString(16).padStart(2, '0')).join(' '));
  }
  if (!isZero(bs.mustBeZero)) bad('mustBeZero', 'all zero', 'non-zero bytes');
  if (bs.bytesPerSectorShift < 9 || bs.bytesPerSectorShift > 12) bad('bytesPerSectorShift', '9..12', String(bs.bytesPerSectorShift));
  if (bs.sectorsPerClusterShift > 25 - bs.bytesPerSectorShift) {
    bad('sectorsPerClusterShift', `0..${25 - bs.bytesPerSectorShift}`, String(bs.sectorsPerClusterShift));
  }
  if (bs.numberOfFats !== 1 && bs.numberOfFats !== 2) bad('numberOfFats', '1 or 2', String(bs.numberOfFats));
  if (bs.fatOffset < 24) bad('fatOffset', '≥ 24', String(bs.fatOffset));
  if (bs.clusterCount > EXFAT_MAX_CLUSTER_COUNT || bs.clusterCount === 0) bad('clusterCount', `1..${hex(EXFAT_MAX_CLUSTER_COUNT)}`, String(bs.clusterCount));
  const spc = 2 ** bs.sectorsPerClusterShift;
  const bps = 2 ** bs.bytesPerSectorShift;
  const fatNeeded = Math.ceil(((bs.clusterCount + 2) * 4) / bps);
  if (bs.fatLength < fatNeeded) bad('fatLength', `≥ ${fatNeeded}`, String(bs.fatLength));
  if (bs.clusterHeapOffset < bs.fatOffset + bs.fatLength * bs.numberOfFats) {
    bad('clusterHeapOffset', `≥ ${bs.fatOffset + bs.fatLength * bs.numberOfFats}`, String(bs.clusterHeapOffset));
  }
  if (bs.volumeLength < 2 ** 20 / bps) bad('volumeLength', `≥ ${2 ** 20 / bps}`, String(bs.volumeLength));
  if (bs.clusterHeapOffset + bs.clusterCount * spc > bs.volumeLength) {
    bad('clusterCount', `heap end ≤ volumeLength ${bs.volumeLength}`, `${bs.clusterHeapOffset + bs.clusterCount * spc}`);
  }
  if (bs.firstClusterOfRootDirectory < 2 || bs.firstClusterOfRootDirectory > bs.clusterCount + 1) {
    bad('firstClusterOfRootDirectory', `2..${bs.clusterCount + 1}`, String(bs.firstClusterOfRootDirectory));
  }
  if (bs.fileSystemRevision >> 8 !== 1) bad('fileSystemRevision', '1.xx', hex(bs.fileSystemRevision, 4));
  if (bs.percentInUse > 100 && bs.percentInUse !== EXFAT_PERCENT_IN_USE_UNKNOWN) bad('percentInUse', '0..100 or 255', String(bs.percentInUse));
  return out;
}

export function decodeExfatBootSector(bytes: Uint8Array): ExfatBootSector {
  const bs = EXFAT_BOOT_SECTOR.decode(bytes);
  throwFirst(checkExfatBootSector(bs));
  return bs;
}
