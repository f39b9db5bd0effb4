// The one error class that leaves the library. Codes are a closed union: the CLI maps each to an exit code.

export type ErrorCode =
  | 'INVALID_SPEC'
  | 'TARGET_TOO_SMALL'
  | 'TARGET_BUSY'
  | 'TARGET_HAS_DATA'
  | 'UNSUPPORTED_GEOMETRY'
  | 'CORRUPT_STRUCTURE'
  | 'OUT_OF_BOUNDS'
  | 'IO_FAILED'
  | 'HOST_COMMAND_FAILED'
  /** ls/cat/get: the path (or stream) is not on the volume, or is not the kind of entry the command needs. */
  | 'PATH_NOT_FOUND'
  | 'INTERRUPTED';

export type ErrorDetails = Readonly<Record<string, string | number | boolean | null | readonly (string | number)[]>>;

export class GuestdiskError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GuestdiskError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { error: { code: ErrorCode; message: string; details: ErrorDetails } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export function isGuestdiskError(value: unknown): value is GuestdiskError {
  return value instanceof GuestdiskError;
}

/** Hex for messages and details: `0x1c2a4f9e`. */
export function hex(value: number, digits = 8): string {
  return `0x${value.toString(16).padStart(digits, '0')}`;
}
