// Partition type identifiers: the only place type GUIDs and MBR type bytes are spelled out.

/** Microsoft Basic Data (UEFI 2.10 Table 5.7 lists it via Windows; parted calls it `msftdata`). */
export const GPT_TYPE_BASIC_DATA = 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7';
export const GPT_TYPE_UNUSED = '00000000-0000-0000-0000-000000000000';

/** Names for the types inspect reports (a few common ones; anything else is shown as its GUID). */
export const GPT_TYPE_NAMES: Readonly<Record<string, string>> = {
  [GPT_TYPE_BASIC_DATA]: 'Microsoft basic data',
  'E3C9E316-0B5C-4DB8-817D-F92DF00215AE': 'Microsoft reserved',
  'DE94BBA4-06D1-4D40-A16A-BFD50179D6AC': 'Windows recovery environment',
  '5808C8AA-7E8F-42E0-85D2-E1E90434CFB3': 'Microsoft LDM metadata',
  'AF9B60A0-1431-4F62-BC68-3311714A69AD': 'Microsoft LDM data',
  'C12A7328-F81F-11D2-BA4B-00A0C93EC93B': 'EFI system',
  '0FC63DAF-8483-4772-8E79-3D69D8477DE4': 'Linux filesystem',
  'E6D6D379-F507-44C2-A23C-238F2A3DF928': 'Linux LVM',
  '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F': 'Linux swap',
  'A19D880F-05FC-4D3B-A006-743F0F84911E': 'Linux RAID',
};

/** The name Windows gives a Basic Data partition it creates. */
export const WINDOWS_BASIC_DATA_NAME = 'Basic data partition';

/** GPT attribute bits that hide a Basic Data volume from Windows (Microsoft "PARTITION_INFORMATION_GPT"). */
export const GPT_ATTRIBUTE_READ_ONLY_BIT = 60;
export const GPT_ATTRIBUTE_SHADOW_COPY_BIT = 61;
export const GPT_ATTRIBUTE_HIDDEN_BIT = 62;
export const GPT_ATTRIBUTE_NO_DRIVE_LETTER_BIT = 63;

/** MBR partition type bytes. */
export const MBR_TYPE = {
  EMPTY: 0x00,
  FAT16: 0x06,
  NTFS_EXFAT: 0x07,
  FAT32_CHS: 0x0b,
  FAT32_LBA: 0x0c,
  FAT16_LBA: 0x0e,
  EXTENDED_LBA: 0x0f,
  EXTENDED: 0x05,
  LINUX: 0x83,
  LINUX_LVM: 0x8e,
  GPT_PROTECTIVE: 0xee,
} as const;

export const MBR_TYPE_NAMES: Readonly<Record<number, string>> = {
  0x06: 'FAT16',
  0x07: 'HPFS/NTFS/exFAT',
  0x0b: 'W95 FAT32',
  0x0c: 'W95 FAT32 (LBA)',
  0x0e: 'W95 FAT16 (LBA)',
  0x05: 'Extended',
  0x0f: 'W95 Extended (LBA)',
  0x82: 'Linux swap',
  0x83: 'Linux',
  0x8e: 'Linux LVM',
  0xee: 'GPT protective',
};
