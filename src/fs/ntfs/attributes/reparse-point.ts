// $REPARSE_POINT (0xc0): ntfs-3g layout.h REPARSE_POINT, [MS-FSCC] §2.1.2.1 "REPARSE_DATA_BUFFER", §2.1.2.4
// "Symbolic Link Reparse Data Buffer", §2.1.2.5 "Mount Point Reparse Data Buffer". Both link buffers hold a
// substitute name (what the system opens, e.g. "\??\C:\dir") and a print name (what users see) in one UTF-16 buffer.
import { GuestdiskError } from '../../../errors.js';
import { defineStruct, type StructValue } from '../../../binary/fields.js';
import { decodeUtf16le } from '../../../binary/utf16.js';

export const REPARSE_POINT_HEADER = defineStruct('ReparsePoint', 0x08, {
  reparseTag: { offset: 0x00, type: 'u32' }, // IO_REPARSE_TAG_*
  reparseDataLength: { offset: 0x04, type: 'u16' },
  reserved: { offset: 0x06, type: 'u16' },
});
export type ReparsePointHeader = StructValue<typeof REPARSE_POINT_HEADER>;

/** Mount point (junction) data: the path buffer follows at 0x08. */
export const MOUNT_POINT_REPARSE_DATA = defineStruct('MountPointReparseData', 0x08, {
  substituteNameOffset: { offset: 0x00, type: 'u16' }, // bytes, in the path buffer
  substituteNameLength: { offset: 0x02, type: 'u16' },
  printNameOffset: { offset: 0x04, type: 'u16' },
  printNameLength: { offset: 0x06, type: 'u16' },
});
/** Symbolic link data: the same four fields, then flags; the path buffer follows at 0x0c. */
export const SYMLINK_REPARSE_DATA = defineStruct('SymlinkReparseData', 0x0c, {
  substituteNameOffset: { offset: 0x00, type: 'u16' },
  substituteNameLength: { offset: 0x02, type: 'u16' },
  printNameOffset: { offset: 0x04, type: 'u16' },
  printNameLength: { offset: 0x06, type: 'u16' },
  flags: { offset: 0x08, type: 'u32' }, // SYMLINK_FLAG_RELATIVE
});

/** IO_REPARSE_TAG_* values ([MS-FSCC] §2.1.2.1). */
export const REPARSE_TAG = {
  MOUNT_POINT: 0xa0000003,
  SYMLINK: 0xa000000c,
} as const;
/** Tag bit 29: the point stands for another named entity (links); other tags mark ordinary files and directories. */
export const REPARSE_TAG_NAME_SURROGATE = 0x20000000;
/** Symlink flags bit 0: the substitute name is relative to the link's directory. */
export const SYMLINK_FLAG_RELATIVE = 0x1;

export interface ReparsePoint {
  readonly tag: number;
  /** Links only: where they point, as stored. */
  readonly link: { readonly substituteName: string; readonly printName: string; readonly relative: boolean } | null;
}

export function decodeReparsePoint(bytes: Uint8Array): ReparsePoint {
  const header = REPARSE_POINT_HEADER.decode(bytes);
  const data = bytes.subarray(REPARSE_POINT_HEADER.sizeBytes, REPARSE_POINT_HEADER.sizeBytes + header.reparseDataLength);
  if (header.reparseTag !== REPARSE_TAG.SYMLINK && header.reparseTag !== REPARSE_TAG.MOUNT_POINT) return { tag: header.reparseTag, link: null };
  const symlink = header.reparseTag === REPARSE_TAG.SYMLINK;
  const names = symlink ? SYMLINK_REPARSE_DATA.decode(data) : { ...MOUNT_POINT_REPARSE_DATA.decode(data), flags: 0 };
  const bufferAt = symlink ? SYMLINK_REPARSE_DATA.sizeBytes : MOUNT_POINT_REPARSE_DATA.sizeBytes;
  const flags = names.flags;
  const name = (offset: number, length: number): string => {
    const from = bufferAt + offset;
    if (from + length > data.length) {
      throw new GuestdiskError('CORRUPT_STRUCTURE', `reparse point 0x${header.reparseTag.toString(16)}: name [${offset}, +${length}) runs past ${data.length} bytes`);
    }
    return decodeUtf16le(data.subarray(from, from + length));
  };
  return {
    tag: header.reparseTag,
    link: {
      substituteName: name(names.substituteNameOffset, names.substituteNameLength),
      printName: name(names.printNameOffset, names.printNameLength),
      relative: (flags & SYMLINK_FLAG_RELATIVE) !== 0,
    },
  };
}
