// On-disk time formats. Inputs are Unix seconds (the Layout's `timestamp`); no encoder reads the clock.
import { GuestdiskError } from '../errors.js';

/** 100-ns intervals between 1601-01-01 and 1970-01-01 (Windows FILETIME epoch). */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

/** NTFS/Windows FILETIME: 100-ns intervals since 1601-01-01 UTC, as a u64 bigint. */
export function unixToFiletime(unixSeconds: number): bigint {
  return BigInt(Math.floor(unixSeconds)) * 10_000_000n + FILETIME_UNIX_EPOCH;
}

export function filetimeToUnix(filetime: bigint): number {
  return Number((filetime - FILETIME_UNIX_EPOCH) / 10_000_000n);
}

/** First and last instants a DOS date can hold (FAT, exFAT): 1980-01-01 to 2107-12-31 23:59:58, UTC. */
export const DOS_TIME_MIN_UNIX = Date.UTC(1980, 0, 1) / 1000;
export const DOS_TIME_MAX_UNIX = Date.UTC(2107, 11, 31, 23, 59, 58) / 1000;

/** FAT and exFAT store DOS dates: a time they cannot hold is refused, not silently moved (fatgen103 §"Date
 *  and Time Formats": years 1980–2107). */
export function assertDosTimeRange(unixSeconds: number, fs: string): void {
  if (!Number.isFinite(unixSeconds) || unixSeconds < DOS_TIME_MIN_UNIX || unixSeconds > DOS_TIME_MAX_UNIX) {
    throw new GuestdiskError('INVALID_SPEC', `${fs}: timestamp ${unixSeconds} is outside the range ${fs} can store (1980-01-01 to 2107-12-31 23:59:58 UTC); give --timestamp within it`, {
      timestamp: unixSeconds,
      minimum: DOS_TIME_MIN_UNIX,
      maximum: DOS_TIME_MAX_UNIX,
    });
  }
}

export interface DosDateTime {
  /** bits 15–9 year − 1980, 8–5 month, 4–0 day */
  readonly date: number;
  /** bits 15–11 hours, 10–5 minutes, 4–0 seconds / 2 */
  readonly time: number;
  /** exFAT 10 ms increment / FAT CrtTimeTenth: 0–199, the odd second in units of 10 ms */
  readonly tenMs: number;
}

/** fatgen103 "Date and Time Formats"; exFAT §7.4.8. Times are taken as UTC (exFAT records the offset). */
export function unixToDosDateTime(unixSeconds: number): DosDateTime {
  if (!Number.isFinite(unixSeconds) || unixSeconds < DOS_TIME_MIN_UNIX || unixSeconds > DOS_TIME_MAX_UNIX + 1) {
    throw new GuestdiskError('INVALID_SPEC', `timestamp ${unixSeconds} is outside the FAT/exFAT range 1980-01-01 to 2107-12-31`, {
      timestamp: unixSeconds,
    });
  }
  const d = new Date(Math.floor(unixSeconds) * 1000);
  const date = ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
  const tenMs = (d.getUTCSeconds() & 1) * 100;
  return { date, time, tenMs };
}

export function dosDateTimeToUnix(value: DosDateTime): number {
  const year = 1980 + (value.date >> 9);
  const month = (value.date >> 5) & 0x0f;
  const day = value.date & 0x1f;
  const hours = value.time >> 11;
  const minutes = (value.time >> 5) & 0x3f;
  const seconds = (value.time & 0x1f) * 2 + Math.floor(value.tenMs / 100);
  return Date.UTC(year, month - 1, day, hours, minutes, seconds) / 1000;
}
