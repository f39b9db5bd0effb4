// $LogFile (MFT record 2): mkntfs's sizing rule and content, plus decoders of the restart page header and restart
// area for inspection. Sources: ntfs-3g ntfsprogs/mkntfs.c (mkntfs_initialize_rl_logfile, mkntfs_logfile_write),
// include/ntfs-3g/logfile.h (RESTART_PAGE_HEADER, RESTART_AREA), libyal "NTFS" §"Metadata file: $LogFile".
//
// mkntfs writes no restart pages: the whole log is 0xFF bytes, an empty journal (ntfs-3g logfile.c
// ntfs_check_logfile: a page whose magic reads 0xFFFFFFFF is "empty"); the first read-write mount initialises it.
import { GuestdiskError, hex } from '../../errors.js';
import { defineStruct, expectOneOf, finding, throwFirst, type Finding, type StructValue } from '../../binary/fields.js';
import type { Chunk } from '../../disk-types.js';
import { NTFS_RECORD_SIGNATURE } from './attribute-types.js';

/** mkntfs refuses to make a $LogFile smaller than this ("would cause Windows to blue screen"). */
export const LOGFILE_MIN_SIZE_BYTES = 256 * 1024;
/** From 12 GiB up the log is 64 MiB. */
export const LOGFILE_MAX_DEFAULT_SIZE_BYTES = 64 * 1024 * 1024;
/** The byte every position of a fresh $LogFile holds. */
export const LOGFILE_FILL_BYTE = 0xff;
/** Size of the 0xFF buffer logFileChunks reuses. */
const LOGFILE_FILL_CHUNK_BYTES = 1024 * 1024;

export interface LogFileSizeOptions {
  /** First cluster of $LogFile: the size is halved until it ends before the last cluster. Default: where mkntfs puts
   *  it, right after $MFTMirr in the middle of the volume. */
  readonly logFileLcn?: number;
  /** MFT record size, for the default $MFTMirr length (4 records). Default 1024. */
  readonly mftRecordSize?: number;
}

/**
 * The $LogFile size mkntfs chooses. `volumeSizeBytes` is the size the boot sector declares (total sectors × sector
 * size; mkntfs keeps the device's last sector for the backup boot sector outside it).
 *   < 2 MiB: 256 KiB; < 4,000,000 bytes: 512 KiB; ≤ 200 MiB: 2 MiB; ≥ 12 GiB: 64 MiB; else volume/200, rounded down
 *   to a cluster. Halved while it would reach the volume's last cluster, then rounded up to a cluster.
 * Throws TARGET_TOO_SMALL where mkntfs refuses (a log under 256 KiB).
 */
export function logFileSizeBytes(volumeSizeBytes: number, clusterSize: number, options: LogFileSizeOptions = {}): number {
  if (!Number.isSafeInteger(volumeSizeBytes) || volumeSizeBytes <= 0 || !Number.isSafeInteger(clusterSize) || clusterSize <= 0) {
    throw new GuestdiskError('INVALID_SPEC', `$LogFile size: bad volume size ${volumeSizeBytes} or cluster size ${clusterSize}`);
  }
  const clusterCount = Math.floor(volumeSizeBytes / clusterSize);
  const volumeBytes = clusterCount * clusterSize; // mkntfs: nr_clusters << cluster_size_bits
  const mftRecordSize = options.mftRecordSize ?? 1024;
  const logFileLcn = options.logFileLcn ??
    Math.floor(Math.floor(volumeSizeBytes / 2) / clusterSize) + Math.ceil((4 * mftRecordSize) / clusterSize);

  let size: number;
  if (volumeBytes < 2 * 1024 * 1024) size = 256 * 1024;
  else if (volumeBytes < 4_000_000) size = 512 * 1024;
  else if (volumeBytes <= 200 * 1024 * 1024) size = 2 * 1024 * 1024;
  else if (volumeBytes >= 12 * 1024 * 1024 * 1024) size = LOGFILE_MAX_DEFAULT_SIZE_BYTES;
  else size = Math.floor(volumeBytes / 200 / clusterSize) * clusterSize;

  while (size >= LOGFILE_MIN_SIZE_BYTES && logFileLcn + Math.floor(size / clusterSize) >= clusterCount) {
    size = Math.floor(size / 2);
  }
  size = Math.ceil(size / clusterSize) * clusterSize;
  if (size < LOGFILE_MIN_SIZE_BYTES) {
    throw new GuestdiskError(
      'TARGET_TOO_SMALL',
      `NTFS volume of ${volumeSizeBytes} bytes: $LogFile at cluster ${logFileLcn} would be ${size} bytes, under the 256 KiB minimum`,
      { volumeSizeBytes, clusterSize, logFileLcn, logFileSizeBytes: size, minimumBytes: LOGFILE_MIN_SIZE_BYTES },
    );
  }
  return size;
}

/**
 * The $LogFile content relative to its first byte, as mkntfs writes it: every byte 0xFF. One buffer of at most
 * 1 MiB (one full write) is allocated per call and handed out again for each chunk (its content never changes).
 */
export function* logFileChunks(logFileSizeBytes: number): Iterable<Chunk> {
  if (!Number.isSafeInteger(logFileSizeBytes) || logFileSizeBytes < 0) {
    throw new GuestdiskError('INVALID_SPEC', `$LogFile size ${logFileSizeBytes} is not a byte count`);
  }
  if (logFileSizeBytes === 0) return;
  const fill = new Uint8Array(Math.min(LOGFILE_FILL_CHUNK_BYTES, logFileSizeBytes)).fill(LOGFILE_FILL_BYTE);
  for (let at = 0; at < logFileSizeBytes; at += fill.length) {
    const length = Math.min(fill.length, logFileSizeBytes - at);
    yield { offsetBytes: at, bytes: length === fill.length ? fill : fill.subarray(0, length) };
  }
}

// ---- restart pages (for inspection) --------------------------------------------------------------------------------

/** "CHKD": a restart page chkdsk has marked. */
export const LOGFILE_CHKD_SIGNATURE = 0x444b4843;

/** RESTART_PAGE_HEADER: opens each of the two restart pages (0 and system_page_size). */
export const RESTART_PAGE_HEADER = defineStruct('RestartPageHeader', 0x20, {
  magic:             { offset: 0x00, type: 'u32' }, // "RSTR" (or "CHKD")
  usaOfs:            { offset: 0x04, type: 'u16' },
  usaCount:          { offset: 0x06, type: 'u16' },
  chkdskLsn:         { offset: 0x08, type: 'u64' },
  systemPageSize:    { offset: 0x10, type: 'u32' }, // power of 2, >= 512
  logPageSize:       { offset: 0x14, type: 'u32' }, // power of 2, >= 512; 4096 by default
  restartAreaOffset: { offset: 0x18, type: 'u16' }, // 8-byte aligned
  minorVer:          { offset: 0x1a, type: 'i16' },
  majorVer:          { offset: 0x1c, type: 'i16' },
  usn:               { offset: 0x1e, type: 'u16' }, // first update sequence array entry when usaOfs is 0x1e
});
export type RestartPageHeader = StructValue<typeof RESTART_PAGE_HEADER>;

/** RESTART_AREA flags */
export const RESTART_VOLUME_IS_CLEAN = 0x0002;

/** RESTART_AREA: at restartAreaOffset in a restart page. */
export const RESTART_AREA = defineStruct('RestartArea', 0x30, {
  currentLsn:             { offset: 0x00, type: 'u64' },
  logClients:             { offset: 0x08, type: 'u16' }, // 1
  clientFreeList:         { offset: 0x0a, type: 'u16' },
  clientInUseList:        { offset: 0x0c, type: 'u16' },
  flags:                  { offset: 0x0e, type: 'u16' }, // RESTART_VOLUME_IS_CLEAN
  seqNumberBits:          { offset: 0x10, type: 'u32' },
  restartAreaLength:      { offset: 0x14, type: 'u16' },
  clientArrayOffset:      { offset: 0x16, type: 'u16' },
  fileSize:               { offset: 0x18, type: 'u64' }, // usable bytes of the log
  lastLsnDataLength:      { offset: 0x20, type: 'u32' },
  logRecordHeaderLength:  { offset: 0x24, type: 'u16' },
  logPageDataOffset:      { offset: 0x26, type: 'u16' },
  restartLogOpenCount:    { offset: 0x28, type: 'u32' },
  reserved:               { offset: 0x2c, type: 'u32' },
});
export type RestartArea = StructValue<typeof RESTART_AREA>;

function isPowerOfTwoAtLeast512(n: number): boolean {
  return n >= 512 && (n & (n - 1)) === 0;
}

export function checkRestartPageHeader(header: RestartPageHeader): Finding[] {
  const findings = expectOneOf(RESTART_PAGE_HEADER, header, 'magic', [NTFS_RECORD_SIGNATURE.RSTR, LOGFILE_CHKD_SIGNATURE]);
  for (const field of ['systemPageSize', 'logPageSize'] as const) {
    if (!isPowerOfTwoAtLeast512(header[field])) {
      findings.push(finding({
        code: `RESTART_PAGE_HEADER_${field === 'logPageSize' ? 'LOG' : 'SYSTEM'}_PAGE_SIZE`, structure: RESTART_PAGE_HEADER.name, field,
        offsetBytes: RESTART_PAGE_HEADER.fields[field].offset, expected: 'a power of 2 >= 512', actual: String(header[field]),
        message: `$LogFile restart page ${field} ${header[field]}: not a power of 2 >= 512`,
      }));
    }
  }
  if (header.restartAreaOffset % 8 !== 0) {
    findings.push(finding({
      code: 'RESTART_PAGE_HEADER_RESTART_AREA_OFFSET', structure: RESTART_PAGE_HEADER.name, field: 'restartAreaOffset',
      offsetBytes: RESTART_PAGE_HEADER.fields.restartAreaOffset.offset, expected: 'a multiple of 8', actual: hex(header.restartAreaOffset, 4),
      message: `$LogFile restart area offset ${hex(header.restartAreaOffset, 4)} is not 8-byte aligned`,
    }));
  }
  return findings;
}

export function decodeRestartPageHeader(bytes: Uint8Array): RestartPageHeader {
  const header = RESTART_PAGE_HEADER.decode(bytes);
  throwFirst(checkRestartPageHeader(header));
  return header;
}

/** What the first page of a $LogFile shows. */
export type LogFileState =
  | { readonly kind: 'empty' } // all 0xFF: mkntfs-made, never mounted
  | { readonly kind: 'restart'; readonly header: RestartPageHeader; readonly area: RestartArea; readonly clean: boolean };

/** Reads the first restart page (at least its first 512 bytes; the restart area lies within them). */
export function decodeLogFileState(firstPage: Uint8Array): LogFileState {
  if (firstPage.length > 0 && firstPage.every((b) => b === LOGFILE_FILL_BYTE)) return { kind: 'empty' };
  const header = decodeRestartPageHeader(firstPage);
  if (header.restartAreaOffset + RESTART_AREA.sizeBytes > firstPage.length) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `$LogFile restart area at ${hex(header.restartAreaOffset, 4)} is outside the ${firstPage.length} bytes read`);
  }
  // The restart area sits before the first sector's end, so the update sequence fixup cannot touch it.
  const area = RESTART_AREA.decode(firstPage.subarray(header.restartAreaOffset));
  return { kind: 'restart', header, area, clean: (area.flags & RESTART_VOLUME_IS_CLEAN) !== 0 };
}
