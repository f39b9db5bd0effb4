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

/**
 * User text inside a message: JSON-quoted, and also escaping what JSON leaves raw but a terminal would act on or
 * hide: DEL and the C1 controls (U+007F–U+009F), the line and paragraph separators, and the bidirectional
 * overrides and isolates that reorder what follows them (U+202A–U+202E, U+2066–U+2069).
 */
export function quoted(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** How many offenders one message lists; `details.offenders` carries them all. */
const LISTED_OFFENDERS = 20;

/** One INVALID_SPEC error naming every offender (`path: reason`), so a user fixes them all in one go. */
export function offendersError(what: string, offenders: readonly { readonly path: string; readonly reason: string }[]): GuestdiskError {
  const lines = offenders.slice(0, LISTED_OFFENDERS).map((p) => `  ${p.path}: ${p.reason}`);
  if (offenders.length > LISTED_OFFENDERS) lines.push(`  … and ${offenders.length - LISTED_OFFENDERS} more`);
  return new GuestdiskError('INVALID_SPEC', `${what}: ${offenders.length} problem${offenders.length === 1 ? '' : 's'}\n${lines.join('\n')}`, {
    offenders: offenders.map((p) => `${p.path}: ${p.reason}`),
  });
}
