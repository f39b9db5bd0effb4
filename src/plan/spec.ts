// DiskSpec: what the caller wants. Parsing raw CLI/API values happens here, at the edge, once.
import { GuestdiskError } from '../errors.js';
import { assertWellFormedUtf16 } from '../binary/utf16.js';
import type { FsKind, LogicalSectorSize, TableKind } from '../disk-types.js';

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
}

/** 9999-12-31T23:59:59Z: far inside NTFS's range (year 30828), and every ISO 8601 printer can show it. */
const MAX_TIMESTAMP = 253_402_300_799;

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
 *  KiB… would mislead fewer users than a silent decimal). Must come out a safe whole number of bytes. */
export function parseSize(text: string | number, what = 'size'): number {
  if (typeof text === 'number') return checkSize(text, what, String(text));
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) throw new GuestdiskError('INVALID_SPEC', `${what}: cannot read ${JSON.stringify(text)} as a size (e.g. 64G, 512MiB, 1048576)`, { [what]: text });
  const unit = SUFFIXES[m[2].toUpperCase()];
  if (unit === undefined) throw new GuestdiskError('INVALID_SPEC', `${what}: unknown unit ${JSON.stringify(m[2])} in ${JSON.stringify(text)}: use K, M, G, T (binary)`, { [what]: text });
  return checkSize(Number(m[1]) * unit, what, text);
}

function checkSize(bytes: number, what: string, raw: string): number {
  if (!Number.isFinite(bytes) || !Number.isInteger(bytes)) {
    throw new GuestdiskError('INVALID_SPEC', `${what}: ${JSON.stringify(raw)} is not a whole number of bytes`, { [what]: raw });
  }
  if (bytes <= 0) throw new GuestdiskError('INVALID_SPEC', `${what}: must be positive, got ${JSON.stringify(raw)}`, { [what]: raw });
  if (!Number.isSafeInteger(bytes)) throw new GuestdiskError('INVALID_SPEC', `${what}: ${JSON.stringify(raw)} is beyond ${Number.MAX_SAFE_INTEGER} bytes`, { [what]: raw });
  return bytes;
}

/** ISO 8601 or Unix seconds → Unix seconds. */
export function parseTimestamp(text: string | number): number {
  if (typeof text === 'number' || /^-?\d+$/.test(String(text).trim())) {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new GuestdiskError('INVALID_SPEC', `timestamp ${JSON.stringify(text)} is not a whole number of seconds`);
    return n;
  }
  const ms = Date.parse(String(text));
  if (Number.isNaN(ms)) throw new GuestdiskError('INVALID_SPEC', `cannot read timestamp ${JSON.stringify(text)}: use ISO 8601 (2024-01-31T12:00:00Z) or Unix seconds`, { timestamp: String(text) });
  return Math.floor(ms / 1000);
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
  if (spec.exfatVolumeGuid && spec.fs !== 'exfat') {
    throw new GuestdiskError('INVALID_SPEC', `--exfat-volume-guid is an exFAT directory entry; --fs is ${spec.fs}`, { fs: spec.fs });
  }
}
