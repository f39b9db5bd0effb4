// Field tables: every on-disk structure is one `defineStruct` table, and both its encoder and its decoder are
// derived from it, so an offset is written exactly once. This is the only place the byte order is chosen.
import { GuestdiskError, hex } from '../errors.js';
import type { FieldSpec, Fields, Struct, StructValueOf } from './field-types.js';
import { decodeGuid, encodeGuidInto } from './guid.js';

/** Every structure we write is little-endian (GPT, MBR, NTFS, exFAT, FAT). */
const LITTLE_ENDIAN = true;

// The findings that checks over these tables produce live in findings.ts; re-exported so that a structure module
// needs one import for its table and its checks.
export * from './findings.js';

export type { FieldSpec, Fields, StructValueOf, Struct, StructValue } from './field-types.js';

const INT_SIZES = { u8: 1, u16: 2, u32: 4, u64: 8, i8: 1, i16: 2, i32: 4, i64: 8 } as const;

export function fieldLength(spec: FieldSpec): number {
  switch (spec.type) {
    case 'bytes':
    case 'ascii':
    case 'utf16':
      return spec.length;
    case 'guid':
      return 16;
    default:
      return INT_SIZES[spec.type];
  }
}

export function defineStruct<T extends Fields>(name: string, sizeBytes: number, fields: T): Struct<T> {
  const entries = Object.entries(fields) as [keyof T & string, FieldSpec][];
  for (const [key, spec] of entries) {
    if (spec.offset < 0 || spec.offset + fieldLength(spec) > sizeBytes) {
      throw new Error(`${name}.${key}: field [${spec.offset}, +${fieldLength(spec)}) outside ${sizeBytes} bytes`);
    }
  }

  // One small reader per field, chosen once: decoding is a loop over them (structures are decoded per MFT
  // record and per attribute, so a switch per field per call shows in a whole-volume walk).
  const keys = entries.map(([key]) => key);
  const readers = entries.map(([key, spec]) => fieldReader(name, key, spec));

  // And one writer per field: records are encoded by the hundred thousand when a tree is copied.
  const writers = entries.map(([key, spec]) => fieldWriter(name, key, spec));
  function encodeInto(value: StructValueOf<T>, target: Uint8Array, offsetBytes = 0): void {
    const view = new DataView(target.buffer, target.byteOffset + offsetBytes, sizeBytes);
    for (let i = 0; i < writers.length; i++) writers[i](view, target, offsetBytes, value[keys[i]] as unknown);
  }

  return {
    name,
    sizeBytes,
    fields,
    encode(value) {
      const bytes = new Uint8Array(sizeBytes);
      encodeInto(value, bytes, 0);
      return bytes;
    },
    encodeInto,
    decode(bytes) {
      if (bytes.length < sizeBytes) {
        throw new GuestdiskError('CORRUPT_STRUCTURE', `${name}: need ${sizeBytes} bytes, got ${bytes.length}`, {
          structure: name,
          expected: sizeBytes,
          actual: bytes.length,
        });
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset, sizeBytes);
      const out: Record<string, unknown> = {};
      for (let i = 0; i < readers.length; i++) out[keys[i]] = readers[i](view);
      return out as StructValueOf<T>;
    },
    fieldRange(field) {
      const spec = fields[field];
      return { offsetBytes: spec.offset, lengthBytes: fieldLength(spec) };
    },
  };
}

type Writer = (view: DataView, target: Uint8Array, offsetBytes: number, value: unknown) => void;

/** A writer of one field into a view of the structure (`view`), which starts at `offsetBytes` of `target`. */
function fieldWriter(struct: string, key: string, spec: FieldSpec): Writer {
  const at = spec.offset;
  switch (spec.type) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'i8':
    case 'i16':
    case 'i32':
    case 'u64':
    case 'i64': {
      const write = intWriter(struct, key, spec.type, at);
      return (view, _target, _offset, value) => write(view, 0, value as number);
    }
    case 'bytes':
      return (_view, target, offsetBytes, value) => {
        const bytes = value as Uint8Array;
        if (!(bytes instanceof Uint8Array) || bytes.length !== spec.length) {
          throw fieldError(struct, key, `expected ${spec.length} bytes`);
        }
        target.set(bytes, offsetBytes + at);
      };
    case 'ascii':
      return (view, _target, _offset, value) => {
        const text = value as string;
        if (text.length > spec.length || !/^[\x00-\x7f]*$/.test(text)) {
          throw fieldError(struct, key, `expected at most ${spec.length} ASCII characters, got ${JSON.stringify(text)}`);
        }
        for (let i = 0; i < spec.length; i++) view.setUint8(at + i, i < text.length ? text.charCodeAt(i) : spec.pad ?? 0x20);
      };
    case 'utf16':
      return (view, _target, _offset, value) => {
        const text = value as string;
        if (text.length * 2 > spec.length) throw fieldError(struct, key, `more than ${spec.length / 2} UTF-16 units`);
        for (let i = 0; i < spec.length / 2; i++) view.setUint16(at + 2 * i, i < text.length ? text.charCodeAt(i) : 0, LITTLE_ENDIAN);
      };
    case 'guid':
      return (_view, target, offsetBytes, value) => encodeGuidInto(value as string, target.subarray(offsetBytes + at, offsetBytes + at + 16));
    default: {
      const never: never = spec;
      throw new Error(`unknown field ${String(never)}`);
    }
  }
}

const INT_RANGES = {
  u8: [0, 0xff],
  u16: [0, 0xffff],
  u32: [0, 0xffffffff],
  i8: [-0x80, 0x7f],
  i16: [-0x8000, 0x7fff],
  i32: [-0x80000000, 0x7fffffff],
} as const;

type IntType = keyof typeof INT_RANGES | 'u64' | 'i64';

/** The writer of an integer field of type `type` at `at` from a base in a view, range-checked (u64/i64: safe
 *  integers, written as two 32-bit halves, the same bytes as setBigUint64 without a bigint per field). */
function intWriter(struct: string, key: string, type: IntType, at: number): (view: DataView, base: number, value: number) => void {
  if (type === 'u64') {
    return (view, base, n) => {
      if (!Number.isSafeInteger(n) || n < 0) throw fieldError(struct, key, `u64 ${String(n)} is not a safe non-negative integer`);
      view.setUint32(base + at, n % TWO_POW_32, LITTLE_ENDIAN);
      view.setUint32(base + at + 4, Math.floor(n / TWO_POW_32), LITTLE_ENDIAN);
    };
  }
  if (type === 'i64') {
    return (view, base, n) => {
      if (!Number.isSafeInteger(n)) throw fieldError(struct, key, `i64 ${String(n)} is not a safe integer`);
      const high = Math.floor(n / TWO_POW_32); // two's complement: the floor, then what is left of the low half
      view.setUint32(base + at, n - high * TWO_POW_32, LITTLE_ENDIAN);
      view.setInt32(base + at + 4, high, LITTLE_ENDIAN);
    };
  }
  const min = INT_RANGES[type][0];
  const max = INT_RANGES[type][1];
  const set = INT_SETTERS[type];
  return (view, base, n) => {
    if (!Number.isInteger(n) || n < min || n > max) throw fieldError(struct, key, `${type} out of range: ${String(n)}`);
    set(view, base + at, n);
  };
}

type Reader = (view: DataView, base?: number) => unknown;

/** 2^32, to join the halves of a 64-bit field without a bigint. */
const TWO_POW_32 = 0x1_0000_0000;
/** High halves above this put a u64 past 2^53. */
const MAX_SAFE_HIGH = 0x1f_ffff;

function u64Error(struct: string, key: string, view: DataView, at: number, signed: boolean): GuestdiskError {
  const big = signed ? view.getBigInt64(at, LITTLE_ENDIAN) : view.getBigUint64(at, LITTLE_ENDIAN);
  return new GuestdiskError('CORRUPT_STRUCTURE', `${struct}.${key}: ${signed ? 'i64' : 'u64'} ${big} is beyond ${signed ? '±' : ''}2^53`, {
    structure: struct,
    field: key,
    actual: big.toString(),
  });
}

/** A reader of one field at `base + offset` of a view (base 0: the structure starts the view). */
function fieldReader(struct: string, key: string, spec: FieldSpec): Reader {
  const at = spec.offset;
  switch (spec.type) {
    case 'u8': return (view, base = 0) => view.getUint8(base + at);
    case 'u16': return (view, base = 0) => view.getUint16(base + at, LITTLE_ENDIAN);
    case 'u32': return (view, base = 0) => view.getUint32(base + at, LITTLE_ENDIAN);
    case 'i8': return (view, base = 0) => view.getInt8(base + at);
    case 'i16': return (view, base = 0) => view.getInt16(base + at, LITTLE_ENDIAN);
    case 'i32': return (view, base = 0) => view.getInt32(base + at, LITTLE_ENDIAN);
    case 'u64': return (view, base = 0) => {
      const high = view.getUint32(base + at + 4, LITTLE_ENDIAN);
      if (high > MAX_SAFE_HIGH) throw u64Error(struct, key, view, base + at, false);
      return high * TWO_POW_32 + view.getUint32(base + at, LITTLE_ENDIAN);
    };
    case 'i64': return (view, base = 0) => {
      const high = view.getInt32(base + at + 4, LITTLE_ENDIAN);
      const low = view.getUint32(base + at, LITTLE_ENDIAN);
      // Safe when the high half is within ±2^21 (−2^21 itself only with a zero low half: −2^53 is not safe).
      if (high > MAX_SAFE_HIGH || high < -MAX_SAFE_HIGH - 1 || (high === -MAX_SAFE_HIGH - 1 && low === 0)) throw u64Error(struct, key, view, base + at, true);
      return high * TWO_POW_32 + low;
    };
    case 'bytes':
      return (view, base = 0) => new Uint8Array(view.buffer, view.byteOffset + base + at, spec.length).slice();
    case 'ascii': return (view, base = 0) => {
      let s = '';
      for (let i = 0; i < spec.length; i++) s += String.fromCharCode(view.getUint8(base + at + i));
      return s;
    };
    case 'utf16': return (view, base = 0) => {
      let s = '';
      for (let i = 0; i < spec.length / 2; i++) {
        const unit = view.getUint16(base + at + 2 * i, LITTLE_ENDIAN);
        if (unit === 0) break;
        s += String.fromCharCode(unit);
      }
      return s;
    };
    case 'guid':
      return (view, base = 0) => decodeGuid(new Uint8Array(view.buffer, view.byteOffset + base + at, 16));
    default: {
      const never: never = spec;
      throw new Error(`unknown field ${String(never)}`);
    }
  }
}

/** Integer fields (u8 to u64) of a table that hot loops read one at a time. */
type IntFieldKey<T extends Fields> = { [K in keyof T & string]: T[K] extends { type: 'bytes' | 'ascii' | 'utf16' | 'guid' } ? never : K }[keyof T & string];

/**
 * A reader of one integer field of `struct`, at the table's offset from `base` in a DataView: for loops over many
 * records (a whole-MFT walk), where decoding the whole structure to test one field costs too much. The offset and
 * width still come from the table alone.
 */
export function intFieldReader<T extends Fields>(struct: Struct<T>, field: IntFieldKey<T>): (view: DataView, base?: number) => number {
  return fieldReader(struct.name, field, struct.fields[field]) as (view: DataView, base?: number) => number;
}

/**
 * A writer of one integer field of `struct` (u8 to u64, a u64 as a safe number), at the table's offset from `base`
 * in a DataView: the encode side of intFieldReader, for loops that write many records into one buffer (a directory
 * of 100,000 entries), where an object and a view per record cost more than the bytes. Range checks as encode's.
 */
export function intFieldWriter<T extends Fields>(struct: Struct<T>, field: IntFieldKey<T>): (view: DataView, base: number, value: number) => void {
  const spec = struct.fields[field];
  return intWriter(struct.name, field, spec.type as IntType, spec.offset);
}

const INT_SETTERS: Record<keyof typeof INT_RANGES, (view: DataView, at: number, value: number) => void> = {
  u8: (view, at, value) => view.setUint8(at, value),
  u16: (view, at, value) => view.setUint16(at, value, LITTLE_ENDIAN),
  u32: (view, at, value) => view.setUint32(at, value, LITTLE_ENDIAN),
  i8: (view, at, value) => view.setInt8(at, value),
  i16: (view, at, value) => view.setInt16(at, value, LITTLE_ENDIAN),
  i32: (view, at, value) => view.setInt32(at, value, LITTLE_ENDIAN),
};

/** writeUint through a view the caller keeps (viewOf), for loops that would otherwise make a view per value. */
export function writeUintTo(view: DataView, offsetBytes: number, lengthBytes: 1 | 2 | 4, value: number): void {
  if (lengthBytes === 1) view.setUint8(offsetBytes, value);
  else if (lengthBytes === 2) view.setUint16(offsetBytes, value, LITTLE_ENDIAN);
  else view.setUint32(offsetBytes, value, LITTLE_ENDIAN);
}

/** A DataView over exactly `bytes` (for intFieldReader). */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
}

function fieldError(struct: string, key: string, what: string): GuestdiskError {
  return new GuestdiskError('INVALID_SPEC', `${struct}.${key}: ${what}`, { structure: struct, field: key });
}

/** Little-endian integer helpers for variable-layout data (runlists, bitmaps) that no fixed table describes. */
export function readUint(bytes: Uint8Array, offsetBytes: number, lengthBytes: 1 | 2 | 4): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (lengthBytes === 1) return view.getUint8(offsetBytes);
  if (lengthBytes === 2) return view.getUint16(offsetBytes, LITTLE_ENDIAN);
  return view.getUint32(offsetBytes, LITTLE_ENDIAN);
}

export function writeUint(bytes: Uint8Array, offsetBytes: number, lengthBytes: 1 | 2 | 4, value: number): void {
  writeUintTo(new DataView(bytes.buffer, bytes.byteOffset, bytes.length), offsetBytes, lengthBytes, value);
}

/** Signed little-endian integer of 1–8 bytes (NTFS runlist offsets), as a safe number. */
export function readIntN(bytes: Uint8Array, offsetBytes: number, lengthBytes: number, signed: boolean): number {
  let value = 0n;
  for (let i = lengthBytes - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[offsetBytes + i]);
  if (signed && lengthBytes > 0 && (bytes[offsetBytes + lengthBytes - 1] & 0x80) !== 0) value -= 1n << BigInt(8 * lengthBytes);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `integer of ${lengthBytes} bytes at ${offsetBytes} is beyond 2^53`);
  }
  return Number(value);
}

/** Writes `value` as a little-endian two's-complement integer of `lengthBytes` bytes. */
export function writeIntN(bytes: Uint8Array, offsetBytes: number, lengthBytes: number, value: number): void {
  let v = BigInt(value);
  if (v < 0n) v += 1n << BigInt(8 * lengthBytes);
  for (let i = 0; i < lengthBytes; i++) {
    bytes[offsetBytes + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Unsigned 64-bit little-endian as bigint, for identifiers such as the NTFS serial number. */
export function readU64Big(bytes: Uint8Array, offsetBytes: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getBigUint64(offsetBytes, LITTLE_ENDIAN);
}

export function writeU64Big(bytes: Uint8Array, offsetBytes: number, value: bigint): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.length).setBigUint64(offsetBytes, value, LITTLE_ENDIAN);
}

/** Fields must tile [0, sizeBytes) with no gap and no overlap (tested for every table). */
export function checkTiling(struct: Struct<Fields>): string[] {
  const ranges = Object.entries(struct.fields)
    .map(([key, spec]) => ({ key, start: spec.offset, end: spec.offset + fieldLength(spec) }))
    .sort((a, b) => a.start - b.start);
  const problems: string[] = [];
  let cursor = 0;
  for (const r of ranges) {
    if (r.start > cursor) problems.push(`gap [${hex(cursor, 2)}, ${hex(r.start, 2)}) before ${r.key}`);
    if (r.start < cursor) problems.push(`${r.key} at ${hex(r.start, 2)} overlaps the field before it`);
    cursor = Math.max(cursor, r.end);
  }
  if (cursor !== struct.sizeBytes) problems.push(`fields end at ${hex(cursor, 2)}, structure is ${hex(struct.sizeBytes, 2)}`);
  return problems;
}
