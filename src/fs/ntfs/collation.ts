// Index collation for $I30 (COLLATION_FILE_NAME): names compare unit by unit after mapping each UTF-16 unit
// through the volume's $UpCase table; a shorter name that is a prefix sorts first; names equal ignoring case
// fall back to a plain unit compare (ntfs-3g libntfs-3g/unistr.c ntfs_names_full_collate).
import { upcaseUnit } from './upcase.js';

export function collateFileNames(upcase: Uint8Array, a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ua = upcaseUnit(upcase, a.charCodeAt(i));
    const ub = upcaseUnit(upcase, b.charCodeAt(i));
    if (ua !== ub) return ua < ub ? -1 : 1;
  }
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) return ca < cb ? -1 : 1;
  }
  return 0;
}
