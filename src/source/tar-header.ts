// tar header block: POSIX.1-2017 pax, "ustar Interchange Format" (the 512-byte header), with the GNU tar
// extensions we read (GNU tar manual, "Basic Tar Format": base-256 numbers, the 'L'/'K' long-name entries).
import { defineStruct, type StructValue } from '../binary/fields.js';
import { GuestdiskError } from '../errors.js';

export const TAR_BLOCK_BYTES = 512;

export const TAR_HEADER = defineStruct('TarHeader', TAR_BLOCK_BYTES, {
  name:     { offset: 0x000, type: 'bytes', length: 100 }, // NUL-terminated unless full
  mode:     { offset: 0x064, type: 'bytes', length: 8 },   // octal
  uid:      { offset: 0x06c, type: 'bytes', length: 8 },
  gid:      { offset: 0x074, type: 'bytes', length: 8 },
  size:     { offset: 0x07c, type: 'bytes', length: 12 },  // octal, or GNU base-256 when the top bit is set
  mtime:    { offset: 0x088, type: 'bytes', length: 12 },  // octal Unix seconds, or base-256
  chksum:   { offset: 0x094, type: 'bytes', length: 8 },   // octal sum of the header, this field read as spaces
  typeflag: { offset: 0x09c, type: 'u8' },
  linkname: { offset: 0x09d, type: 'bytes', length: 100 },
  magic:    { offset: 0x101, type: 'bytes', length: 6 },   // "ustar\0" (POSIX) or "ustar " (GNU)
  version:  { offset: 0x107, type: 'bytes', length: 2 },   // "00" (POSIX) or " \0" (GNU)
  uname:    { offset: 0x109, type: 'bytes', length: 32 },
  gname:    { offset: 0x129, type: 'bytes', length: 32 },
  devmajor: { offset: 0x149, type: 'bytes', length: 8 },
  devminor: { offset: 0x151, type: 'bytes', length: 8 },
  prefix:   { offset: 0x159, type: 'bytes', length: 155 }, // POSIX: path prefix; old GNU keeps times here
  reserved: { offset: 0x1f4, type: 'bytes', length: 12 },
});
export type TarHeader = StructValue<typeof TAR_HEADER>;

/** Typeflag values (ustar, pax and GNU). */
export const TAR_TYPE = {
  regular: 0x30, // '0'
  regularOld: 0x00, // NUL: pre-POSIX regular file
  hardLink: 0x31, // '1'
  symlink: 0x32, // '2'
  charDevice: 0x33,
  blockDevice: 0x34,
  directory: 0x35, // '5'
  fifo: 0x36,
  contiguous: 0x37, // '7': a regular file to every reader but a few old systems
  paxExtended: 0x78, // 'x': pax records for the next entry
  paxGlobal: 0x67, // 'g': pax records for every later entry
  gnuLongName: 0x4c, // 'L': the next entry's name
  gnuLongLink: 0x4b, // 'K': the next entry's link name
  gnuSparse: 0x53, // 'S'
  gnuVolumeLabel: 0x56, // 'V'
  gnuMultiVolume: 0x4d, // 'M'
} as const;

const POSIX_MAGIC = 'ustar\0';
const CHKSUM_FIELD_OFFSET = 0x094;
const CHKSUM_FIELD_BYTES = 8;

export function decodeTarHeader(block: Uint8Array): TarHeader {
  return TAR_HEADER.decode(block);
}

const TAR_FIELDS = Object.entries(TAR_HEADER.fields);

/**
 * The header with its byte fields as views of `block` (TAR_HEADER's offsets), not copies: valid only until the
 * block is read over. An archive of 100,000 members is 100,000 headers, and copying every field of each was
 * several KiB of garbage per header and most of the time spent listing the archive.
 */
export function viewTarHeader(block: Uint8Array): TarHeader {
  if (block.length < TAR_BLOCK_BYTES) return decodeTarHeader(block); // the decoder's own error
  const out: Record<string, Uint8Array | number> = {};
  for (const [key, spec] of TAR_FIELDS) out[key] = spec.type === 'bytes' ? block.subarray(spec.offset, spec.offset + spec.length) : block[spec.offset];
  return out as unknown as TarHeader;
}

/** A block of 512 zeros: two of them end the archive. */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** The header checksum holds (unsigned sum, as POSIX; or the signed sum some old tars wrote). */
export function tarChecksumMatches(block: Uint8Array, header: TarHeader): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK_BYTES; i++) {
    const b = i >= CHKSUM_FIELD_OFFSET && i < CHKSUM_FIELD_OFFSET + CHKSUM_FIELD_BYTES ? 0x20 : block[i];
    unsigned += b;
    signed += b >= 0x80 ? b - 0x100 : b;
  }
  const stored = parseTarNumber(header.chksum, 'chksum');
  return stored === unsigned || stored === signed;
}

/** An octal field (spaces and NULs around it ignored), or GNU's base-256 form (top bit of the first byte set). */
export function parseTarNumber(field: Uint8Array, what: string): number {
  if (field.length > 0 && (field[0] & 0x80) !== 0) {
    if ((field[0] & 0x40) !== 0) throw new GuestdiskError('INVALID_SPEC', `tar header: negative base-256 ${what}`);
    let n = field[0] & 0x3f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i];
    if (!Number.isSafeInteger(n)) throw new GuestdiskError('INVALID_SPEC', `tar header: ${what} is beyond ${Number.MAX_SAFE_INTEGER}`);
    return n;
  }
  const text = tarText(field).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new GuestdiskError('INVALID_SPEC', `tar header: ${what} ${JSON.stringify(text)} is not an octal number`);
  return parseInt(text, 8);
}

/** Bytes up to the first NUL (all of them when there is none), as Latin-1: numbers and magic only. */
export function tarText(field: Uint8Array): string {
  let end = field.indexOf(0);
  if (end < 0) end = field.length;
  let s = '';
  for (let i = 0; i < end; i++) s += String.fromCharCode(field[i]);
  return s;
}

/** Bytes up to the first NUL: names, which the caller decodes as UTF-8. */
export function tarBytes(field: Uint8Array): Uint8Array {
  const end = field.indexOf(0);
  return end < 0 ? field : field.subarray(0, end);
}

export function isPosixUstar(header: TarHeader): boolean {
  return tarText(header.magic) + (header.magic[5] === 0 ? '\0' : '') === POSIX_MAGIC;
}

/** The header's path: POSIX puts a prefix in front of the name; GNU's old format uses that space otherwise. */
export function tarHeaderPath(header: TarHeader): Uint8Array {
  const name = tarBytes(header.name);
  if (!isPosixUstar(header)) return name;
  const prefix = tarBytes(header.prefix);
  if (prefix.length === 0) return name;
  const out = new Uint8Array(prefix.length + 1 + name.length);
  out.set(prefix, 0);
  out[prefix.length] = 0x2f;
  out.set(name, prefix.length + 1);
  return out;
}

/** pax extended header records: "<length> <key>=<value>\n", length counting the whole record (pax §"pax Extended
 *  Header"). Keys and values are UTF-8. */
export function parsePaxRecords(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  const utf8 = new TextDecoder('utf-8');
  let at = 0;
  while (at < data.length) {
    let space = at;
    while (space < data.length && data[space] !== 0x20) space++;
    const lengthText = tarText(data.subarray(at, space));
    if (!/^\d+$/.test(lengthText)) break; // trailing NUL padding
    const length = Number(lengthText);
    if (length <= 0 || at + length > data.length) throw new GuestdiskError('INVALID_SPEC', 'tar: malformed pax extended header record');
    const record = utf8.decode(data.subarray(space + 1, at + length - 1));
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return out;
}
