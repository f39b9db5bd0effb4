// The NTFS checks of bitmaps: $MFT:$BITMAP against the records' in-use flags (system records here, every record
// in the one pass over $MFT), and the system files' clusters against the volume $Bitmap (every other file's clusters: ntfs-bitmap-walk.ts).
// Memory stays bounded: records and bitmap bytes are read a batch at a time.
import { GuestdiskError } from '../errors.js';
import { ATTR_TYPE, MFT_RECORD_FLAG, SYSTEM_FILE } from '../fs/ntfs/attribute-types.js';
import type { Run } from '../fs/ntfs/runlist.js';
import { reportFinding, type InspectFinding } from './finding-codes.js';
import { mftVisitorResult } from './ntfs-mft-walk.js';
import {
  dataOf, errText, LAST_SYSTEM_RECORD, loadedRecord, MAX_BITMAP_BYTES, MAX_RUNS, readStream, runsOf, S, streamBytes,
  unreadableAs, type NtfsSystemFiles,
} from './ntfs-volume-files.js';

/** $MFT:$BITMAP: records 0–11, and every in-use record among 12–26, must be marked in use. */
export async function checkMftBitmapMarksSystemRecords(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  const mft = loadedRecord(sf, SYSTEM_FILE.MFT);
  if (!mft) return [];
  return unreadableAs('NTFS_MFT_BITMAP', '$MFT:$BITMAP', async () => {
    const bitmap = await streamBytes(sf.volume, mft.attrs.find((a) => a.type === ATTR_TYPE.BITMAP && a.name === ''), sf.g.clusterSize, 8);
    const missing: number[] = [];
    for (const [n, rec] of sf.records) {
      if (typeof rec === 'string' || (n > LAST_SYSTEM_RECORD && (rec.flags & MFT_RECORD_FLAG.IN_USE) === 0)) continue;
      if (!bitmap || n >> 3 >= bitmap.length || (bitmap[n >> 3] & (1 << (n & 7))) === 0) missing.push(n);
    }
    if (missing.length === 0) return [];
    return [reportFinding('NTFS_MFT_BITMAP', { structure: S, field: '$MFT:$BITMAP', actual: `records ${missing.join(', ')} marked free`,
      message: `$MFT's $BITMAP marks in-use records ${missing.join(', ')} free: NTFS would hand them out again and overwrite system files; chkdsk repairs it` })];
  });
}

/**
 * $MFT:$BITMAP against every record past the system files, compared during the one pass over $MFT
 * (ntfs-mft-bitmap-walk.ts): an in-use record whose bit is clear (NTFS would hand it to a new file) and a set bit
 * over a free record (a record lost until chkdsk).
 */
export async function checkMftBitmapAgainstRecords(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  const c = await mftVisitorResult(sf, 'mftBitmap');
  if (!c) return [];
  if (c.problem !== null) {
    return [reportFinding('NTFS_MFT_BITMAP', { structure: S, field: '$MFT:$BITMAP', actual: c.problem, message: `$MFT's $BITMAP cannot be read: ${c.problem}` })];
  }
  const { free, freeCount, leaked, leakedCount } = c;
  const out: InspectFinding[] = [];
  if (freeCount > 0) {
    out.push(reportFinding('NTFS_MFT_BITMAP_RECORD_FREE', { structure: S, field: '$MFT:$BITMAP', actual: `${freeCount} in-use records marked free (${free.join(', ')}${freeCount > free.length ? ', …' : ''})`,
      message: `$MFT's $BITMAP marks ${freeCount} in-use file records free (from record ${free[0]}): NTFS would give them to new files and lose the old ones; chkdsk repairs it` }));
  }
  if (leakedCount > 0) {
    out.push(reportFinding('NTFS_MFT_BITMAP_RECORD_LEAK', { structure: S, field: '$MFT:$BITMAP', actual: `${leakedCount} free records marked in use (${leaked.join(', ')}${leakedCount > leaked.length ? ', …' : ''})`,
      message: `$MFT's $BITMAP marks ${leakedCount} free file records in use (from record ${leaked[0]}): they are lost until chkdsk frees them` }));
  }
  return out;
}

// ---- $Bitmap against the clusters the files use

interface ClusterUse {
  /** $Bitmap's runs, null when $Bitmap or $MFT cannot be read (nothing to compare then). */
  readonly bitmapRuns: readonly Run[] | null;
  /** Runs of the system files (records 0–26 in use), and LCN 0 (the boot sector). */
  readonly systemRuns: readonly Run[];
  /** A system file's runlist could not be decoded: why. */
  readonly problem: string | null;
}

/** The system files' clusters (every other file's are compared in ntfs-bitmap-walk.ts, from the MFT walk). */
async function clusterUseOf(sf: NtfsSystemFiles): Promise<ClusterUse> {
  const bitmapRuns = runsOf(dataOf(sf, SYSTEM_FILE.BITMAP));
  if (!bitmapRuns || !loadedRecord(sf, SYSTEM_FILE.MFT)) return { bitmapRuns: null, systemRuns: [], problem: null };
  const systemRuns: Run[] = [{ lcn: 0, length: 1 }];
  try {
    for (const rec of sf.records.values()) {
      if (typeof rec === 'string' || (rec.flags & MFT_RECORD_FLAG.IN_USE) === 0) continue;
      for (const a of rec.attrs) for (const r of runsOf(a) ?? []) if (r.lcn !== null && systemRuns.length < MAX_RUNS) systemRuns.push(r);
    }
  } catch (e) {
    return { bitmapRuns, systemRuns, problem: errText(e) };
  }
  return { bitmapRuns, systemRuns, problem: null };
}

/** Clusters the system files use must be marked in use. */
export async function checkBitmapMarksSystemFiles(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  return unreadableAs('NTFS_BITMAP_CLEAR', '$Bitmap', async () => {
    const use = await clusterUseOf(sf);
    if (use.problem !== null) throw new GuestdiskError('CORRUPT_STRUCTURE', use.problem);
    if (!use.bitmapRuns) return [];
    const clear: number[] = [];
    let budget = MAX_BITMAP_BYTES;
    for (const r of use.systemRuns) {
      const first = r.lcn!;
      const last = Math.min(first + r.length, sf.g.clusterCount, first + 8 * MAX_BITMAP_BYTES) - 1;
      if (last < first) continue;
      const from = first >> 3;
      budget -= (last >> 3) - from + 1;
      if (budget < 0) break;
      const bytes = await readStream(sf.volume, use.bitmapRuns, sf.g.clusterSize, from, (last >> 3) - from + 1);
      if (!bytes) throw new GuestdiskError('CORRUPT_STRUCTURE', '$Bitmap is shorter than the volume');
      for (let c = first; c <= last && clear.length < 16; c++) if ((bytes[(c >> 3) - from] & (1 << (c & 7))) === 0) clear.push(c);
    }
    if (clear.length === 0) return [];
    return [reportFinding('NTFS_BITMAP_CLEAR', { structure: S, field: '$Bitmap', actual: `clusters ${clear.join(', ')} marked free`,
      message: `$Bitmap marks clusters in use by system files free (${clear.slice(0, 4).join(', ')}…): NTFS would allocate them again and overwrite metadata; chkdsk repairs it` })];
  });
}
