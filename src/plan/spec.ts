// DiskSpec: what the caller wants. Parsing raw CLI/API values happens here, at the edge, once.
import { GuestdiskError } from '../errors.js';
import { assertWellFormedUtf16 } from '../binary/utf16.js';
import type { FileTree, FsKind, LogicalSectorSize, TableKind } from '../disk-types.js';

export interface DiskSpec {
  readonly table: TableKind;
  readonly fs: FsKind;
  /** undefined: the filesystem's default */
  readonly label?: string;
  /** bytes; undefined: the filesystem's default for the volume size */
  readonly clusterSize?: number;
  /** GPT partition name; default "Basic data partition", as Windows names it */
  readonly partitionName?: string;
  /** Every GUID and serial derives from it (binary/identity.ts). Required: the CLI draws one when none is given. */
  readonly seed: string;
  /** Unix seconds for every timestamp the filesystem stores. */
  readonly timestamp: number;
  /**
   * exFAT only: also write the optional Volume GUID directory entry (the GUID comes from the seed). Off by default,
   * as Windows formats: Linux's exfatprogs fsck up to 1.2.0 and exfat-fuse 1.3 refuse a volume that has one.
   */
  readonly exfatVolumeGuid?: boolean;
  /**
   * create --copy-from: files and directories to place in the new volume (src/source/ reads them from a directory
   * or a tar archive). Their bytes are streamed at write time through WriteOptions.content.
   */
  readonly files?: FileTree;
  /**
   * exFAT and FAT32: the disk size (bytes) the volume is made ready to grow to. Their FAT cannot grow once files sit
   * after it, so it is sized (and the cluster size chosen) for a disk this large: a later `guestdisk grow` up to it
   * fills the disk. undefined: the FAT is sized for the disk as it is, as mkfs does.
   */
  readonly maxSize?: number;
}

/** 9999-12-31T23:59:59Z: far inside NTFS's range (year 30828), and every ISO 8601 printer can show it. */
const MAX_TIMESTAMP = 253_402_300_799;

/** Filesystems that create --copy-from can populate. */
export const COPY_FILESYSTEMS: readonly FsKind[] = ['ntfs', 'exfat', 'fat32'];

const TABLES: readonly TableKind[] = ['gpt', 'mbr'];
const FILESYSTEMS: readonly FsKind[] = ['none', 'ntfs', 'exfat', 'fat32'];

export function parseTableKind(text: string): TableKind {
  const t = text.toLowerCase();
  if ((TABLES as readonly string[]).includes(t)) return t as TableKind;
  throw new GuestdiskError('INVALID_SPEC', `unknown partition table ${JSON.stringify(text)}: use gpt or mbr`, { table: text });
}

export function parseFsKind(text: string): FsKind {
  const t = text.toLowerCase();
  if ((FILESYSTEMS as readonly string[]).includes(t)) return t as FsKind;
  throw new GuestdiskError('INVALID_SPEC', `unknown filesystem ${JSON.stringify(text)}: use ntfs, exfat, fat32 or none`, { fs: text });
}

export function parseSectorSize(value: string | number): LogicalSectorSize {
  const n = typeof value === 'number' ? value : Number(value);
  if (n === 512 || n === 4096) return n;
  throw new GuestdiskError('INVALID_SPEC', `unsupported logical sector size ${JSON.stringify(value)}: use 512 or 4096`, { sectorSize: String(value) });
}

const SUFFIXES: Readonly<Record<string, number>> = {
  '': 1, B: 1,
  K: 2 ** 10, KB: 2 ** 10, KIB: 2 ** 10,
  M: 2 ** 20, MB: 2 ** 20, MIB: 2 ** 20,
  G: 2 ** 30, GB: 2 ** 30, GIB: 2 ** 30,
  T: 2 ** 40, TB: 2 ** 40, TIB: 2 ** 40,
  P: 2 ** 50, PB: 2 ** 50, PIB: 2 ** 50,
};

/** "64G", "512MiB", "1048576", "1.5T" → bytes (binary suffixes; KB/MB/GB are read as binary too, like parted's
 *  KiB… would mislead fewer users than a silent decimal). Must come out a safe whole number of bytes, exactly:
 *  the decimal is multiplied out in integers, so "1.00000000000000001T" is refused, not rounded to 1 TiB. */
export function parseSize(text: string | number, what = 'size'): number {
  if (typeof text === 'number') return checkSize(text, what, String(text));
  const m = /^\s*(\d+)(?:\.(\d+))?\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) throw new GuestdiskError('INVALID_SPEC', `${what}: cannot read ${JSON.stringify(text)} as a size (e.g. 64G, 512MiB, 1048576)`, { [what]: text });
  const unit = SUFFIXES[m[3].toUpperCase()];
  if (unit === undefined) throw new GuestdiskError('INVALID_SPEC', `${what}: unknown unit ${JSON.stringify(m[3])} in ${JSON.stringify(text)}: use K, M, G, T (binary)`, { [what]: text });
  return checkSize(exactBytes(m[1], m[2] ?? '', unit), what, text);
}

/** whole.fraction × unit, exactly: NaN when it is not a whole number, Infinity past 2^53 (checkSize names both). */
function exactBytes(whole: string, fraction: string, unit: number): number {
  const digits = fraction.replace(/0+$/, '');
  const scaled = BigInt(`${whole}${digits}`) * BigInt(unit);
  const divisor = 10n ** BigInt(digits.length);
  if (scaled % divisor !== 0n) return Number.NaN;
  const bytes = scaled / divisor;
  return bytes > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(bytes);
}

function checkSize(bytes: number, what: string, raw: string): number {
  if (bytes === Number.POSITIVE_INFINITY) throw new GuestdiskError('INVALID_SPEC', `${what}: ${JSON.stringify(raw)} is beyond ${Number.MAX_SAFE_INTEGER} bytes`, { [what]: raw });
  if (!Number.isFinite(bytes) || !Number.isInteger(bytes)) {
    throw new GuestdiskError('INVALID_SPEC', `${what}: ${JSON.stringify(raw)} is not a whole number of bytes`, { [what]: raw });
  }
  if (bytes <= 0) throw new GuestdiskError('INVALID_SPEC', `${what}: must be positive, got ${JSON.stringify(raw)}`, { [what]: raw });
  if (!Number.isSafeInteger(bytes)) throw new GuestdiskError('INVALID_SPEC', `${what}: ${JSON.stringify(raw)} is beyond ${Number.MAX_SAFE_INTEGER} bytes`, { [what]: raw });
  return bytes;
}

/** ISO 8601 date and time with an explicit zone: 2024-01-31T12:00:00Z, 2024-01-31T21:00:00+09:00 (seconds and a
 *  fraction optional; a space for the T, as RFC 3339 §5.6 allows). Without a zone a time is local, so the same
 *  command would give other bytes in another time zone: refused. */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;
const UNIX_SECONDS = /^-?\d+$/;

function daysInMonth(year: number, month: number): number {
  return month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Whole seconds since 1970 for an ISO 8601 match, or null when a field is out of range (Feb 30, 24:00, +25:00). */
function isoSeconds(m: RegExpExecArray): number | null {
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  const [offsetHours, offsetMinutes] = [Number(m[10] ?? 0), Number(m[11] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return null;
  const days = daysFromCivil(year, month, day);
  const offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  return days * 86400 + hour * 3600 + minute * 60 + second - offset; // a fraction of a second is dropped, as stored times are whole seconds
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Integer Unix seconds, or ISO 8601 with an explicit zone → Unix seconds. Nothing else: Date.parse would read a
 * date without a zone as local time, "1.5" or "5/6/7" as dates, and roll "Feb 30" over into March. `source` names
 * where the text came from for the message (SOURCE_DATE_EPOCH, whose specification allows integers only).
 */
export function parseTimestamp(text: string | number, source = 'timestamp'): number {
  const raw = String(text);
  const trimmed = raw.trim();
  const fromEnv = source === 'SOURCE_DATE_EPOCH';
  if (typeof text === 'number' || UNIX_SECONDS.test(trimmed)) {
    const n = Number(trimmed);
    if (!Number.isSafeInteger(n)) throw new GuestdiskError('INVALID_SPEC', `${source} ${JSON.stringify(raw)} is not a whole number of seconds`, { [source]: raw });
    return n;
  }
  const m = fromEnv ? null : ISO_8601.exec(trimmed);
  const seconds = m ? isoSeconds(m) : null;
  if (seconds !== null) return seconds;
  if (fromEnv) {
    throw new GuestdiskError('INVALID_SPEC', `SOURCE_DATE_EPOCH=${JSON.stringify(raw)} (from the environment) is not integer Unix seconds: fix or unset it, or give --timestamp`, { SOURCE_DATE_EPOCH: raw });
  }
  const why = m ? 'a field is out of range' : /\d{2}:\d{2}/.test(trimmed) && !/([Zz]|[+-]\d{2}:?\d{2})$/.test(trimmed) ? 'a time without a zone (Z or ±hh:mm) is local time, which differs between hosts' : 'not a form guestdisk reads';
  throw new GuestdiskError('INVALID_SPEC', `cannot read timestamp ${JSON.stringify(raw)} (${why}): use ISO 8601 with a zone (2024-01-31T12:00:00Z, 2024-01-31T21:00:00+09:00) or integer Unix seconds`, { timestamp: raw });
}

/** Checks that do not depend on the disk's geometry. */
export function validateSpec(spec: DiskSpec): void {
  if (spec === null || typeof spec !== 'object') throw new GuestdiskError('INVALID_SPEC', `the disk spec must be an object, got ${spec === null ? 'null' : typeof spec}`);
  parseTableKind(spec.table);
  parseFsKind(spec.fs);
  if (typeof spec.seed !== 'string' || spec.seed.length === 0) {
    throw new GuestdiskError('INVALID_SPEC', 'seed must be a non-empty string', { seed: String(spec.seed) });
  }
  if (!Number.isSafeInteger(spec.timestamp)) {
    throw new GuestdiskError('INVALID_SPEC', `timestamp must be whole Unix seconds, got ${String(spec.timestamp)}`);
  }
  if (spec.timestamp < 0) throw new GuestdiskError('INVALID_SPEC', `timestamp ${spec.timestamp} is before 1970`, { timestamp: spec.timestamp });
  if (spec.timestamp > MAX_TIMESTAMP) {
    throw new GuestdiskError('INVALID_SPEC', `timestamp ${spec.timestamp} is after 9999-12-31T23:59:59Z`, { timestamp: spec.timestamp });
  }
  if (spec.label !== undefined) {
    if (typeof spec.label !== 'string') throw new GuestdiskError('INVALID_SPEC', 'label must be a string');
    assertWellFormedUtf16(spec.label, 'label');
  }
  if (spec.clusterSize !== undefined && (!Number.isSafeInteger(spec.clusterSize) || spec.clusterSize <= 0)) {
    throw new GuestdiskError('INVALID_SPEC', `cluster size must be a positive number of bytes, got ${String(spec.clusterSize)}`);
  }
  if (spec.partitionName !== undefined) {
    assertWellFormedUtf16(spec.partitionName, 'partition name');
    if (spec.partitionName.length > 36) {
      throw new GuestdiskError('INVALID_SPEC', `partition name is ${spec.partitionName.length} UTF-16 units; GPT holds 36`, { partitionName: spec.partitionName });
    }
  }
  if (spec.fs === 'none' && (spec.label !== undefined || spec.clusterSize !== undefined)) {
    throw new GuestdiskError('INVALID_SPEC', '--label and --cluster-size need a filesystem (--fs ntfs|exfat|fat32)');
  }
  if (spec.exfatVolumeGuid !== undefined && typeof spec.exfatVolumeGuid !== 'boolean') {
    throw new GuestdiskError('INVALID_SPEC', `exfatVolumeGuid must be true or false, got ${String(spec.exfatVolumeGuid)}`);
  }
  if (spec.files !== undefined) {
    if (spec.files === null || typeof spec.files !== 'object' || spec.files.root?.kind !== 'dir') {
      throw new GuestdiskError('INVALID_SPEC', 'files must be a FileTree (make it with loadCopySources)');
    }
    if (!COPY_FILESYSTEMS.includes(spec.fs)) {
      throw new GuestdiskError('INVALID_SPEC', `--copy-from is not supported with --fs ${spec.fs} yet: use --fs ${COPY_FILESYSTEMS.join(' or ')}`, { fs: spec.fs });
    }
  }
  if (spec.maxSize !== undefined) {
    if (!Number.isSafeInteger(spec.maxSize) || spec.maxSize <= 0) {
      throw new GuestdiskError('INVALID_SPEC', `--max-size must be a positive number of bytes, got ${String(spec.maxSize)}`, { maxSize: String(spec.maxSize) });
    }
    if (spec.fs !== 'exfat' && spec.fs !== 'fat32') {
      // NTFS grows its $Bitmap anywhere on the volume, so nothing has to be sized ahead; a disk with no filesystem
      // has nothing to size. Accepting the option there would promise something it does not do.
      const why = spec.fs === 'ntfs' ? 'NTFS needs no room set aside: guestdisk grow extends its $Bitmap wherever there is room' : 'there is no filesystem to size';
      throw new GuestdiskError('INVALID_SPEC', `--max-size sizes an exFAT or FAT32 volume's FAT for a later grow; with --fs ${spec.fs} it would do nothing (${why}): drop it`, { fs: spec.fs });
    }
  }
  if (spec.exfatVolumeGuid && spec.fs !== 'exfat') {
    throw new GuestdiskError('INVALID_SPEC', `--exfat-volume-guid is an exFAT directory entry; --fs is ${spec.fs}`, { fs: spec.fs });
  }
}
