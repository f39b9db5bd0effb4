// Exit codes, one per error code (listed in the README). A new ErrorCode without one does not compile.
import type { ErrorCode } from '../errors.js';

export const EXIT_OK = 0;
/** verify: the disk has error findings. */
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;
/** Any thrown value that is not a GuestdiskError: a bug in guestdisk. */
export const EXIT_BUG = 70;

export const EXIT_CODE = {
  INVALID_SPEC: 2,
  TARGET_TOO_SMALL: 3,
  TARGET_BUSY: 4,
  TARGET_HAS_DATA: 5,
  UNSUPPORTED_GEOMETRY: 6,
  CORRUPT_STRUCTURE: 7,
  OUT_OF_BOUNDS: 8,
  IO_FAILED: 9,
  HOST_COMMAND_FAILED: 10,
  PATH_NOT_FOUND: 11,
  INTERRUPTED: 130,
} as const satisfies Record<ErrorCode, number>;
