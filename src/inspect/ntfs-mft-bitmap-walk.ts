// $MFT:$BITMAP against every record past the system files, as a visitor of the one pass over $MFT: before each
// piece of records, the matching piece of the bitmap is read, so memory is a few hundred bytes of bitmap whatever
// the MFT's size. An in-use record whose bit is clear (NTFS would hand it to a new file) and a set bit over a
// free record (a record lost until chkdsk) are counted, with their first examples; the findings are made by
// checkMftBitmapAgainstRecords (ntfs-bitmap-checks.ts).
import { GuestdiskError } from '../errors.js';
import { ATTR_TYPE, SYSTEM_FILE } from '../fs/ntfs/attribute-types.js';
import type { Run } from '../fs/ntfs/runlist.js';
import { errText, LAST_CHECKED_RECORD, loadedRecord, readStream, runsOf, type NtfsSystemFiles } from './ntfs-volume-files.js';
import type { MftVisitor, MftVisitorFactory } from './ntfs-walk-record.js';

/** Examples kept of each direction. */
const MAX_RECORD_EXAMPLES = 16;

export interface MftBitmapComparison {
  /** In-use records marked free: how many, and the first ones. */
  readonly freeCount: number;
  readonly free: readonly number[];
  /** Free records marked in use. */
  readonly leakedCount: number;
  readonly leaked: readonly number[];
  /** Why the comparison stopped ($MFT:$BITMAP or $MFT unreadable); null when it ran to the end. */
  readonly problem: string | null;
}

/** Null when record 0 has no unnamed $BITMAP (another check reports that): nothing is compared. */
export const mftBitmapVisitor: MftVisitorFactory<MftBitmapComparison | null> = (sf) => {
  const attr = loadedRecord(sf, SYSTEM_FILE.MFT)?.attrs.find((a) => a.type === ATTR_TYPE.BITMAP && a.name === '');
  if (!attr) return { finish: () => null };
  let problem: string | null = null;
  let runs: Run[] | null = null;
  try {
    runs = attr.nonResident ? runsOf(attr) : null;
  } catch (e) {
    problem = errText(e);
  }
  const bitmapBytes = attr.resident ? attr.resident.value.length : Math.min(attr.nonResident?.header.dataSize ?? 0, Number.MAX_SAFE_INTEGER);
  let bits: Uint8Array = new Uint8Array(0);
  let bitsFrom = 0; // the byte of the bitmap bits[0] is
  const free: number[] = [];
  const leaked: number[] = [];
  let freeCount = 0;
  let leakedCount = 0;

  const visitor: MftVisitor<MftBitmapComparison> = {
    async batch(first, count) {
      const from = Math.max(first, LAST_CHECKED_RECORD + 1);
      const last = first + count - 1;
      if (problem !== null || last < from) return;
      try {
        bitsFrom = from >> 3;
        const length = Math.min((last >> 3) - bitsFrom + 1, Math.max(bitmapBytes - bitsFrom, 0));
        const read = length <= 0 ? new Uint8Array(0)
          : attr.resident ? attr.resident.value.subarray(bitsFrom, bitsFrom + length)
            : runs ? await readStream(sf.volume, runs, sf.g.clusterSize, bitsFrom, length) : null;
        if (!read) throw new GuestdiskError('CORRUPT_STRUCTURE', `$MFT:$BITMAP cannot be read at byte ${bitsFrom}`);
        bits = read;
      } catch (e) {
        problem = errText(e);
      }
    },
    slot(n, inUse) {
      if (n <= LAST_CHECKED_RECORD || problem !== null) return;
      const byte = (n >> 3) - bitsFrom;
      const marked = byte < bits.length && (bits[byte] & (1 << (n & 7))) !== 0;
      if (inUse && !marked && freeCount++ < MAX_RECORD_EXAMPLES) free.push(n);
      if (!inUse && marked && leakedCount++ < MAX_RECORD_EXAMPLES) leaked.push(n);
    },
    finish(unreadFrom) {
      if (problem === null && unreadFrom !== null) {
        problem = `$MFT records ${Math.max(unreadFrom, LAST_CHECKED_RECORD + 1)}–${sf.mftRecordCount - 1} lie outside the volume`;
      }
      return { freeCount, free, leakedCount, leaked, problem };
    },
  };
  return visitor;
};
