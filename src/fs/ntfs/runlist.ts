// Runlists ("mapping pairs") of non-resident attributes: ntfs-3g libntfs-3g/runlist.c ntfs_mapping_pairs_build and
// the libyal "NTFS" document §"Data runs". Each run is a header byte (low nibble: bytes of the length, high nibble:
// bytes of the LCN delta; none for a sparse run), the length, then the LCN relative to the previous run, both as
// the shortest little-endian two's-complement integers; a 0 byte ends the list.
import { GuestdiskError } from '../../errors.js';
import { readIntN, writeIntN } from '../../binary/fields.js';

/** One run: `lcn` null for a sparse (unallocated) run. */
export interface Run {
  readonly lcn: number | null;
  readonly length: number;
}

/** Bytes needed for `value` as a signed little-endian integer (ntfs-3g ntfs_get_nr_significant_bytes). */
export function signedByteCount(value: number): number {
  let n = 1;
  let big = BigInt(value);
  while (big < -128n || big > 127n) {
    big >>= 8n;
    n++;
  }
  return n;
}

export function encodeRunlist(runs: readonly Run[]): Uint8Array {
  const out = new Uint8Array(runlistBytes(runs));
  encodeRunlistInto(runs, out, 0);
  return out;
}

function checkRunLength(run: Run): void {
  if (!Number.isSafeInteger(run.length) || run.length <= 0) {
    throw new GuestdiskError('INVALID_SPEC', `runlist: run length ${run.length} must be a positive integer`);
  }
}

/** Bytes encodeRunlist makes of `runs`, the closing 0 included. */
export function runlistBytes(runs: readonly Run[]): number {
  let bytes = 1;
  let prevLcn = 0;
  for (const run of runs) {
    checkRunLength(run);
    bytes += 1 + signedByteCount(run.length);
    if (run.lcn !== null) {
      bytes += signedByteCount(run.lcn - prevLcn);
      prevLcn = run.lcn;
    }
  }
  return bytes;
}

/** encodeRunlist into `out` at `at` (zeros, runlistBytes long); returns the bytes written. */
export function encodeRunlistInto(runs: readonly Run[], out: Uint8Array, at: number): number {
  let p = at;
  let prevLcn = 0;
  for (const run of runs) {
    checkRunLength(run);
    const lengthBytes = signedByteCount(run.length);
    const delta = run.lcn === null ? 0 : run.lcn - prevLcn;
    const lcnBytes = run.lcn === null ? 0 : signedByteCount(delta);
    out[p] = (lcnBytes << 4) | lengthBytes;
    writeIntN(out, p + 1, lengthBytes, run.length);
    if (run.lcn !== null) {
      writeIntN(out, p + 1 + lengthBytes, lcnBytes, delta);
      prevLcn = run.lcn;
    }
    p += 1 + lengthBytes + lcnBytes;
  }
  out[p++] = 0;
  return p - at;
}

/** Decodes up to the terminating 0 byte (or the end of `bytes`); at most `maxRuns` runs. */
export function decodeRunlist(bytes: Uint8Array, maxRuns = 65536): Run[] {
  const runs: Run[] = [];
  let at = 0;
  let lcn = 0;
  while (at < bytes.length && bytes[at] !== 0) {
    if (runs.length >= maxRuns) throw new GuestdiskError('CORRUPT_STRUCTURE', `runlist: more than ${maxRuns} runs`);
    const lengthBytes = bytes[at] & 0x0f;
    const lcnBytes = bytes[at] >> 4;
    if (lengthBytes === 0 || lengthBytes > 8 || lcnBytes > 8 || at + 1 + lengthBytes + lcnBytes > bytes.length) {
      throw new GuestdiskError('CORRUPT_STRUCTURE', `runlist: bad header byte 0x${bytes[at].toString(16)} at ${at}`, { offsetBytes: at });
    }
    const length = readIntN(bytes, at + 1, lengthBytes, true);
    if (length <= 0) throw new GuestdiskError('CORRUPT_STRUCTURE', `runlist: run length ${length} at ${at}`, { offsetBytes: at });
    if (lcnBytes === 0) {
      runs.push({ lcn: null, length });
    } else {
      lcn += readIntN(bytes, at + 1 + lengthBytes, lcnBytes, true);
      if (lcn < 0) throw new GuestdiskError('CORRUPT_STRUCTURE', `runlist: negative LCN ${lcn} at ${at}`, { offsetBytes: at });
      runs.push({ lcn, length });
    }
    at += 1 + lengthBytes + lcnBytes;
  }
  return runs;
}
