// Where a sparse source file holds data. Node has no SEEK_DATA/SEEK_HOLE, so a file whose allocated blocks are
// fewer than its size (the cheap sign of holes) is read once, when the tree is walked, and each SPARSE_UNIT_BYTES
// unit (aligned to the file's start) that is all zeros counts as a hole. What is kept is only the list of data
// ranges: a few numbers per file however large it is.
import { closeSync, openSync, readSync, type Stats } from 'node:fs';
import { SPARSE_UNIT_BYTES, type ByteRange } from '../disk-types.js';

/** Units read at once: 256 KiB. */
const SCAN_UNITS = 4;
/** The data ranges kept for one file at most (the tree holds them until the copy is written: about 1 MiB for one
 *  file at this bound; NTFS spreads the runs over extension records): past it the list stops growing and the file
 *  counts as not sparse. */
const MAX_DATA_RANGES = 16384;
/** st_blocks counts 512-byte blocks whatever the filesystem's block size (POSIX stat). */
const STAT_BLOCK_BYTES = 512;

/** The source gives fewer allocated bytes than its size: it may have holes. */
export function looksSparse(stat: Pick<Stats, 'size' | 'blocks'>): boolean {
  return stat.size >= SPARSE_UNIT_BYTES && stat.blocks * STAT_BLOCK_BYTES < stat.size;
}

function isZero(bytes: Uint8Array): boolean {
  // Eight bytes at a time where the buffer allows it (it always starts 8-aligned here).
  const words = new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.length >> 3);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0n) return false;
  for (let i = words.length << 3; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Adds the unit [offsetBytes, +lengthBytes) to `ranges`, merged with the last range when adjacent. */
function addRange(ranges: ByteRange[], offsetBytes: number, lengthBytes: number): void {
  const last = ranges[ranges.length - 1];
  if (last && last.offsetBytes + last.lengthBytes === offsetBytes) ranges[ranges.length - 1] = { offsetBytes: last.offsetBytes, lengthBytes: last.lengthBytes + lengthBytes };
  else ranges.push({ offsetBytes, lengthBytes });
}

/**
 * The data ranges of `path`, `sizeBytes` long, or undefined when no whole unit is zeros (nothing to gain). A file
 * that reads shorter than its size here is read again when written, which reports the change.
 */
export function scanDataRanges(path: string, sizeBytes: number): ByteRange[] | undefined {
  // Blocking reads, like the rest of the walk (source/directory.ts says why).
  const fd = openSync(path, 'r');
  try {
    const buffer = new Uint8Array(SCAN_UNITS * SPARSE_UNIT_BYTES);
    const ranges: ByteRange[] = [];
    let holes = 0;
    for (let at = 0; at < sizeBytes; at += buffer.length) {
      const want = Math.min(buffer.length, sizeBytes - at);
      let got = 0;
      while (got < want) {
        const bytesRead = readSync(fd, buffer, got, want - got, at + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got < want) return undefined;
      for (let u = 0; u < want; u += SPARSE_UNIT_BYTES) {
        const length = Math.min(SPARSE_UNIT_BYTES, want - u);
        if (isZero(buffer.subarray(u, u + length))) holes++;
        else addRange(ranges, at + u, length);
      }
      if (ranges.length > MAX_DATA_RANGES) return undefined;
    }
    return holes > 0 ? ranges : undefined;
  } finally {
    closeSync(fd);
  }
}
