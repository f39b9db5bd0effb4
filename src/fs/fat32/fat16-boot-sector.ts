// FAT12/FAT16 boot sector (BPB + the extended fields at offset 36): fatgen103, "Fat12 and Fat16 Structure Starting
// at Offset 36". We never write FAT12/16; the inspector decodes it to say what a volume is.
import { defineStruct, expectEqual, expectOneOf, throwFirst, type Finding, type StructValue } from '../../binary/fields.js';
import { BPB_FIELDS, FAT_BOOT_SIGNATURE, FAT_SECTOR_SIZES, SECTORS_PER_CLUSTER } from './boot-sector.js';

export const FAT16_BOOT_SECTOR = defineStruct('Fat16BootSector', 512, {
  ...BPB_FIELDS,
  drvNum:        { offset: 0x024, type: 'u8' },
  reserved1:     { offset: 0x025, type: 'u8' },               // reserved, must be 0
  bootSig:       { offset: 0x026, type: 'u8' },               // 0x29: the next three fields are present
  volId:         { offset: 0x027, type: 'u32' },
  volLab:        { offset: 0x02b, type: 'ascii', length: 11 },
  filSysType:    { offset: 0x036, type: 'ascii', length: 8 },  // "FAT12   ", "FAT16   " or "FAT     "
  bootCode:      { offset: 0x03e, type: 'bytes', length: 448 },
  signatureWord: { offset: 0x1fe, type: 'u16' },
});

export type Fat16BootSector = StructValue<typeof FAT16_BOOT_SECTOR>;

export function checkFat16BootSector(value: Fat16BootSector): Finding[] {
  const s = FAT16_BOOT_SECTOR;
  return [
    ...expectEqual(s, value, 'signatureWord', FAT_BOOT_SIGNATURE),
    ...expectOneOf(s, value, 'bytsPerSec', [...FAT_SECTOR_SIZES]),
    ...expectOneOf(s, value, 'secPerClus', [...SECTORS_PER_CLUSTER]),
    ...expectOneOf(s, value, 'numFats', [1, 2]),
  ];
}

export function decodeFat16BootSector(bytes: Uint8Array): Fat16BootSector {
  const value = FAT16_BOOT_SECTOR.decode(bytes);
  throwFirst(checkFat16BootSector(value));
  return value;
}
