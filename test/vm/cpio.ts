// A writer for the cpio "newc" format (the Linux kernel's initramfs format: Documentation/driver-api/early-userspace/
// buffer-format.rst): each entry is a 110-byte ASCII header, the NUL-terminated name, the data, each padded to 4 bytes,
// and the archive ends with the entry "TRAILER!!!". Written here so the initramfs needs no cpio program.

export type CpioEntry =
  | { readonly kind: 'dir'; readonly name: string; readonly mode?: number }
  | { readonly kind: 'file'; readonly name: string; readonly data: Uint8Array; readonly mode?: number }
  | { readonly kind: 'symlink'; readonly name: string; readonly target: string };

const NEWC_MAGIC = '070701';
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const TRAILER = 'TRAILER!!!';

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
const pad4 = (n: number): number => (4 - (n % 4)) % 4;

function header(ino: number, mode: number, nlink: number, fileSize: number, nameSize: number): string {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  return NEWC_MAGIC + [ino, mode, 0, 0, nlink, 0, fileSize, 0, 0, 0, 0, nameSize, 0].map(hex8).join('');
}

function entryParts(ino: number, name: string, mode: number, nlink: number, data: Uint8Array): Uint8Array[] {
  const nameBytes = new TextEncoder().encode(`${name}\0`);
  const head = new TextEncoder().encode(header(ino, mode, nlink, data.length, nameBytes.length));
  return [head, nameBytes, new Uint8Array(pad4(head.length + nameBytes.length)), data, new Uint8Array(pad4(data.length))];
}

/** The whole archive: entries in the order given (a directory before what it holds), then the trailer. */
export function encodeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  entries.forEach((e, i) => {
    const ino = i + 1;
    if (e.kind === 'dir') parts.push(...entryParts(ino, e.name, S_IFDIR | (e.mode ?? 0o755), 2, new Uint8Array(0)));
    else if (e.kind === 'file') parts.push(...entryParts(ino, e.name, S_IFREG | (e.mode ?? 0o644), 1, e.data));
    else parts.push(...entryParts(ino, e.name, S_IFLNK | 0o777, 1, new TextEncoder().encode(e.target)));
  });
  parts.push(...entryParts(0, TRAILER, 0, 1, new Uint8Array(0)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
