// NTFS constant sets: attribute types, collation rules, file attribute flags, system file numbers, MFT record and
// index flags. Values from ntfs-3g include/ntfs-3g/layout.h (enums ATTR_TYPES, COLLATION_RULES, FILE_ATTR_FLAGS,
// NTFS_SYSTEM_FILES, MFT_RECORD_FLAGS, ATTR_DEF_FLAGS, INDEX_HEADER_FLAGS, INDEX_ENTRY_FLAGS) and the libyal
// "NTFS" format document; names are the spec names without their AT_/COLLATION_/FILE_ATTR_ prefixes.

/** ATTR_TYPES: the type code that opens every attribute record; the list ends with END. */
export const ATTR_TYPE = {
  STANDARD_INFORMATION: 0x10,
  ATTRIBUTE_LIST: 0x20,
  FILE_NAME: 0x30,
  OBJECT_ID: 0x40,
  SECURITY_DESCRIPTOR: 0x50,
  VOLUME_NAME: 0x60,
  VOLUME_INFORMATION: 0x70,
  DATA: 0x80,
  INDEX_ROOT: 0x90,
  INDEX_ALLOCATION: 0xa0,
  BITMAP: 0xb0,
  REPARSE_POINT: 0xc0,
  EA_INFORMATION: 0xd0,
  EA: 0xe0,
  LOGGED_UTILITY_STREAM: 0x100,
  END: 0xffffffff,
} as const;
export type AttrType = (typeof ATTR_TYPE)[keyof typeof ATTR_TYPE];

/** AT_UNUSED: the indexed-attribute type of view indexes ($SII, $SDH, $O, $Q, $R), which index no attribute. */
export const ATTR_TYPE_UNUSED = 0;
/** AT_PROPERTY_SET (0xf0) existed in NTFS 1.2 only; $AttrDef of 3.x volumes does not list it. */
export const ATTR_TYPE_PROPERTY_SET = 0xf0;
/** AT_FIRST_USER_DEFINED_ATTRIBUTE */
export const ATTR_TYPE_FIRST_USER_DEFINED = 0x1000;

/** COLLATION_RULES: how an index (INDEX_ROOT.collation_rule) orders its keys. */
export const COLLATION = {
  BINARY: 0x00,
  FILE_NAME: 0x01,
  UNICODE_STRING: 0x02,
  NTOFS_ULONG: 0x10,
  NTOFS_SID: 0x11,
  NTOFS_SECURITY_HASH: 0x12,
  NTOFS_ULONGS: 0x13,
} as const;
export type CollationRule = (typeof COLLATION)[keyof typeof COLLATION];

/** FILE_ATTR_FLAGS: $STANDARD_INFORMATION.file_attributes and FILE_NAME.file_attributes (32-bit). */
export const FILE_ATTR = {
  READONLY: 0x1,
  HIDDEN: 0x2,
  SYSTEM: 0x4,
  DIRECTORY: 0x10,
  ARCHIVE: 0x20,
  DEVICE: 0x40,
  NORMAL: 0x80,
  TEMPORARY: 0x100,
  SPARSE_FILE: 0x200,
  REPARSE_POINT: 0x400,
  COMPRESSED: 0x800,
  OFFLINE: 0x1000,
  NOT_CONTENT_INDEXED: 0x2000,
  ENCRYPTED: 0x4000,
  /** copy of MFT_RECORD_IS_DIRECTORY, used in FILE_NAME attributes of directories */
  I30_INDEX_PRESENT: 0x10000000,
  /** copy of MFT_RECORD_IS_VIEW_INDEX (files with a non-$I30 index: $Secure, $Quota, $ObjId, $Reparse) */
  VIEW_INDEX_PRESENT: 0x20000000,
} as const;
/** FILE_ATTR_VALID_FLAGS and FILE_ATTR_VALID_SET_FLAGS masks from layout.h. */
export const FILE_ATTR_VALID_FLAGS = 0x00047fb7;
export const FILE_ATTR_VALID_SET_FLAGS = 0x000031a7;

/** NTFS_SYSTEM_FILES: fixed MFT record numbers of the metadata files. */
export const SYSTEM_FILE = {
  MFT: 0,
  MFT_MIRR: 1,
  LOG_FILE: 2,
  VOLUME: 3,
  ATTR_DEF: 4,
  ROOT: 5,
  BITMAP: 6,
  BOOT: 7,
  BAD_CLUS: 8,
  SECURE: 9,
  UP_CASE: 10,
  EXTEND: 11,
  /** records 12–15 are reserved; 15 may hold the first extent of $MFT:$DATA */
  RESERVED12: 12,
  RESERVED13: 13,
  RESERVED14: 14,
  MFT_DATA: 15,
  FIRST_USER: 16,
} as const;

/** MFT_RECORD_FLAGS (16-bit, FILE record header offset 0x16). */
export const MFT_RECORD_FLAG = {
  IN_USE: 0x0001,
  IS_DIRECTORY: 0x0002,
  IS_4: 0x0004,
  IS_VIEW_INDEX: 0x0008,
} as const;

/** ATTR_DEF_FLAGS: flags of an $AttrDef entry. */
export const ATTR_DEF_FLAG = {
  INDEXABLE: 0x02,
  MULTIPLE: 0x04,
  NOT_ZERO: 0x08,
  INDEXED_UNIQUE: 0x10,
  NAMED_UNIQUE: 0x20,
  RESIDENT: 0x40,
  ALWAYS_LOG: 0x80,
} as const;

/** ATTR_FLAGS of an attribute record header (offset 0x0c). */
export const ATTR_FLAG = {
  IS_COMPRESSED: 0x0001,
  IS_ENCRYPTED: 0x4000,
  IS_SPARSE: 0x8000,
} as const;

/** RESIDENT_ATTR_FLAGS (resident header offset 0x16): set on FILE_NAME, which the $I30 index references. */
export const RESIDENT_ATTR_IS_INDEXED = 0x01;

/** INDEX_HEADER_FLAGS (ih_flags): in an INDEX_ROOT, SMALL/LARGE; in an INDEX_BLOCK, LEAF/INDEX node. */
export const INDEX_HEADER_FLAG = {
  SMALL_INDEX: 0,
  LARGE_INDEX: 1,
  LEAF_NODE: 0,
  INDEX_NODE: 1,
} as const;

/** INDEX_ENTRY_FLAGS (16-bit). */
export const INDEX_ENTRY_FLAG = {
  NODE: 0x0001,
  END: 0x0002,
} as const;

/** Names of the system indexes (UTF-16 attribute names). */
export const INDEX_NAME = {
  I30: '$I30',
  SII: '$SII',
  SDH: '$SDH',
  O: '$O',
  Q: '$Q',
  R: '$R',
} as const;

/** Named data streams of system files. */
export const STREAM_NAME = {
  SDS: '$SDS',
  UPCASE_INFO: '$Info',
  BAD: '$Bad',
} as const;

/** FILE_NAME_TYPE_FLAGS: FILE_NAME.file_name_type. */
export const FILE_NAME_NAMESPACE = {
  POSIX: 0x00,
  WIN32: 0x01,
  DOS: 0x02,
  WIN32_AND_DOS: 0x03,
} as const;

/** Signatures of multi-sector-protected records, as the LE u32 read from their first four bytes. */
export const NTFS_RECORD_SIGNATURE = {
  /** "FILE" */
  FILE: 0x454c4946,
  /** "INDX" */
  INDX: 0x58444e49,
  /** "RSTR" */
  RSTR: 0x52545352,
  /** "RCRD" */
  RCRD: 0x44524352,
} as const;
