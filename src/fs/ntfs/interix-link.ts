// Interix (Services for Unix) symbolic links, as ntfs-3g writes them for `ln -s` with a relative target: a plain
// file with the SYSTEM attribute whose data is the magic "IntxLNK\1" and the target in UTF-16LE (ntfs-3g
// libntfs-3g/reparse.c and src/ntfs-3g.c ntfs_fuse_symlink, INTX_SYMBOLIC_LINK). Windows itself shows such a file
// as an ordinary system file; ntfs-3g and this reader show it as a link.
import { decodeUtf16le } from '../../binary/utf16.js';

export const INTERIX_SYMLINK_MAGIC = Uint8Array.from('IntxLNK\x01', (c) => c.charCodeAt(0));
/** A target of up to 4096 UTF-16 units (PATH_MAX), after the magic. */
export const INTERIX_SYMLINK_MAX_BYTES = INTERIX_SYMLINK_MAGIC.length + 2 * 4096;

/** The link target, or null when `data` is not an Interix symlink. */
export function decodeInterixSymlink(data: Uint8Array): string | null {
  if (data.length < INTERIX_SYMLINK_MAGIC.length || data.length > INTERIX_SYMLINK_MAX_BYTES || (data.length - INTERIX_SYMLINK_MAGIC.length) % 2 !== 0) return null;
  for (let i = 0; i < INTERIX_SYMLINK_MAGIC.length; i++) if (data[i] !== INTERIX_SYMLINK_MAGIC[i]) return null;
  return decodeUtf16le(data.subarray(INTERIX_SYMLINK_MAGIC.length));
}
