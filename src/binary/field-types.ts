// The types of a field table (defineStruct in fields.ts): a leaf module, so that findings.ts can name a table's
// fields without importing fields.ts, which re-exports findings.ts.
export type FieldSpec =
  | { readonly offset: number; readonly type: 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64' }
  | { readonly offset: number; readonly type: 'bytes'; readonly length: number }
  /** Fixed-width ASCII; encode pads with `pad` (default 0x20, a space); decode returns every byte. */
  | { readonly offset: number; readonly type: 'ascii'; readonly length: number; readonly pad?: number }
  /** Fixed-width UTF-16LE, `length` in bytes; encode pads with NULs; decode stops at the first NUL unit. */
  | { readonly offset: number; readonly type: 'utf16'; readonly length: number }
  /** 16-byte GUID in the mixed-endian on-disk form, as an upper-case string. */
  | { readonly offset: number; readonly type: 'guid' };

export type FieldValue<F> = F extends { type: 'bytes' }
  ? Uint8Array
  : F extends { type: 'ascii' | 'utf16' | 'guid' }
    ? string
    : number;

export type Fields = Readonly<Record<string, FieldSpec>>;
export type StructValueOf<T extends Fields> = { readonly [K in keyof T]: FieldValue<T[K]> };

export interface Struct<T extends Fields> {
  readonly name: string;
  readonly sizeBytes: number;
  readonly fields: T;
  /** A fresh `sizeBytes` array holding `value`. */
  encode(value: StructValueOf<T>): Uint8Array;
  /** Writes `value` into `target` at `offsetBytes` (used when a structure sits inside a larger buffer). */
  encodeInto(value: StructValueOf<T>, target: Uint8Array, offsetBytes?: number): void;
  /** Reads the structure from the start of `bytes`; fewer than `sizeBytes` bytes is CORRUPT_STRUCTURE. */
  decode(bytes: Uint8Array): StructValueOf<T>;
  /** Byte offset and length of one field, for checksums and findings. */
  fieldRange(field: keyof T & string): { offsetBytes: number; lengthBytes: number };
}

export type StructValue<S> = S extends Struct<infer T> ? StructValueOf<T> : never;
