// $LogFile sizing and content (work in progress; signatures fixed for the formatter).
import { GuestdiskError } from '../../errors.js';
import type { Chunk } from '../../plan/layout.js';
export function logFileSizeBytes(volumeSizeBytes: number, clusterSize: number): number {
  void volumeSizeBytes; void clusterSize;
  throw new GuestdiskError('NOT_IMPLEMENTED', 'logFileSizeBytes: not yet');
}
export function logFileChunks(logFileSizeBytes: number): Iterable<Chunk> {
  void logFileSizeBytes;
  throw new GuestdiskError('NOT_IMPLEMENTED', 'logFileChunks: not yet');
}
