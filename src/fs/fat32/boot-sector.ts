// FAT32 boot sector (BPB + FAT32 extended BPB): fatgen103 (Microsoft FAT32 File System Specification 1.03),
// "Boot Sector and BPB Structure" and "FAT32 Structure Starting at Offset 36".
import { defineStruct, expectEqual, expectOneOf, finding, throwFirst, type Finding, type StructValue } from '../../binary/fields.js';

/** fatgen103: sector[510] = 0x55, sector[511] = 0xAA, read as the LE u16 0xAA55, at 510 whatever the sector size. */
export const FAT_BOOT_SIGNATURE = 0xaa55;
/** BS_BootSig: the three fields after it (volume id, label, type string) are present. */
export const FAT_EXTENDED_BOOT_SIGNATURE = 0x29;
/** BPB_Media for fixed disks; FAT[0]'s low byte repeats it. */
export const FAT_MEDIA_FIXED_DISK = 0xf8;
/** BS_DrvNum for a hard disk (INT 13h drive 0x80). */
export const FAT_DRIVE_NUMBER_HARD_DISK = 0x80;
/** BS_FilSysType: informational only (fatgen103: never used to decide the FAT type), but every tool prints it. */
export const FAT32_FILE_SYSTEM_TYPE = 'FAT32   ';
/** BS_VolLab when the volume has no label, as Windows and mkfs.fat write it. */
export const FAT_NO_NAME_LABEL = 'NO NAME    ';

/** The BPB proper (fatgen103 offsets 0–35), the same on FAT12, FAT16 and FAT32; each boot sector table spreads it. */
export const BPB_FIELDS = {
  jmpBoot:       { offset: 0x000, type: 'bytes', length: 3 }, // EB xx 90 or E9 xx xx
  oemName:       { offset: 0x003, type: 'ascii', length: 8 },
  bytsPerSec:    { offset: 0x00b, type: 'u16' },              // 512, 1024, 2048 or 4096
  secPerClus:    { offset: 0x00d, type: 'u8' },               // power of 2, 1–128
  rsvdSecCnt:    { offset: 0x00e, type: 'u16' },
  numFats:       { offset: 0x010, type: 'u8' },
  rootEntCnt:    { offset: 0x011, type: 'u16' },              // must be 0 on FAT32
  totSec16:      { offset: 0x013, type: 'u16' },              // must be 0 on FAT32
  media:         { offset: 0x015, type: 'u8' },
  fatSz16:       { offset: 0x016, type: 'u16' },              // must be 0 on FAT32
  secPerTrk:     { offset: 0x018, type: 'u16' },
  numHeads:      { offset: 0x01a, type: 'u16' },
  hiddSec:       { offset: 0x01c, type: 'u32' },              // sectors before the volume on its disk
  totSec32:      { offset: 0x020, type: 'u32' },
} as const;

export const FAT32_BOOT_SECTOR = defineStruct('Fat32BootSector', 512, {
  ...BPB_FIELDS,
  fatSz32:       { offset: 0x024, type: 'u32' },              // sectors per FAT
  extFlags:      { offset: 0x028, type: 'u16' },              // 0: FATs mirrored at run time
  fsVer:         { offset: 0x02a, type: 'u16' },              // 0.0
  rootClus:      { offset: 0x02c, type: 'u32' },
  fsInfo:        { offset: 0x030, type: 'u16' },              // sector of FSInfo
  bkBootSec:     { offset: 0x032, type: 'u16' },              // sector of the backup boot sector
  reserved:      { offset: 0x034, type: 'bytes', length: 12 }, // reserved, must be 0
  drvNum:        { offset: 0x040, type: 'u8' },
  reserved1:     { offset: 0x041, type: 'u8' },               // reserved, must be 0 (Windows NT uses it at run time)
  bootSig:       { offset: 0x042, type: 'u8' },
  volId:         { offset: 0x043, type: 'u32' },
  volLab:        { offset: 0x047, type: 'ascii', length: 11 },
  filSysType:    { offset: 0x052, type: 'ascii', length: 8 },
  bootCode:      { offset: 0x05a, type: 'bytes', length: 420 },
  signatureWord: { offset: 0x1fe, type: 'u16' },
});

export type Fat32BootSector = StructValue<typeof FAT32_BOOT_SECTOR>;

/** Bytes per sector FAT allows (fatgen103: 512, 1024, 2048, 4096). */
export const FAT_SECTOR_SIZES = [512, 1024, 2048, 4096] as const;
export const SECTORS_PER_CLUSTER = [1, 2, 4, 8, 16, 32, 64, 128] as const;

/** One sector (`sectorSize` bytes): the 512-byte structure, then zeros. */
export function encodeFat32BootSector(value: Fat32BootSector, sectorSize: number = value.bytsPerSec): Uint8Array {
  const out = new Uint8Array(sectorSize);
  FAT32_BOOT_SECTOR.encodeInto(value, out, 0);
  return out;
}

export function checkFat32BootSector(value: Fat32BootSector): Finding[] {
  const s = FAT32_BOOT_SECTOR;
  const out: Finding[] = [
    ...expectEqual(s, value, 'signatureWord', FAT_BOOT_SIGNATURE),
    ...expectOneOf(s, value, 'bytsPerSec', [...FAT_SECTOR_SIZES]),
    ...expectOneOf(s, value, 'secPerClus', [...SECTORS_PER_CLUSTER]),
    ...expectEqual(s, value, 'rootEntCnt', 0),
    ...expectEqual(s, value, 'totSec16', 0),
    ...expectEqual(s, value, 'fatSz16', 0),
    ...expectOneOf(s, value, 'numFats', [1, 2]),
  ];
  if (value.jmpBoot[0] !== 0xeb && value.jmpBoot[0] !== 0xe9) {
    out.push(finding({ code: 'FAT32_BOOT_SECTOR_JMP_BOOT', structure: s.name, field: 'jmpBoot', offsetBytes: 0,
      expected: '0xeb or 0xe9', actual: `0x${value.jmpBoot[0].toString(16).padStart(2, '0')}`,
      message: `${s.name}.jmpBoot: expected a jump (0xeb or 0xe9), found 0x${value.jmpBoot[0].toString(16)}` }));
  }
  if (value.rsvdSecCnt === 0) {
    out.push(finding({ code: 'FAT32_BOOT_SECTOR_RSVD_SEC_CNT', structure: s.name, field: 'rsvdSecCnt', offsetBytes: 0x0e,
      expected: '> 0', actual: '0', message: `${s.name}.rsvdSecCnt: must not be 0` }));
  }
  if (value.fatSz32 === 0) {
    out.push(finding({ code: 'FAT32_BOOT_SECTOR_FAT_SZ32', structure: s.name, field: 'fatSz32', offsetBytes: 0x24,
      expected: '> 0', actual: '0', message: `${s.name}.fatSz32: must not be 0 on FAT32` }));
  }
  return out;
}

export function decodeFat32BootSector(bytes: Uint8Array): Fat32BootSector {
  const value = FAT32_BOOT_SECTOR.decode(bytes);
  throwFirst(checkFat32BootSector(value));
  return value;
}
