// The volume $Bitmap against the union of every in-use record's runs (from the MFT walk, sorted by LCN), a chunk
// of $Bitmap at a time: memory is one chunk of bitmap plus the run list, whatever the volume size. Leaked clusters
// (marked, used by nothing) and file clusters marked free are the two findings; the system files' own clusters
// marked free are NTFS_BITMAP_CLEAR (ntfs-bitmap-checks.ts), so they are left out of the second here.
import { GuestdiskError } from '../errors.js';
import { MFT_RECORD_FLAG, SYSTEM_FILE } from '../fs/ntfs/attribute-types.js';
import { reportFinding, type InspectFinding } from './finding-codes.js';
import { mftWalkOf, type ClusterRun } from './ntfs-mft-walk.js';
import { dataOf, errText, LAST_CHECKED_RECORD, LAST_SYSTEM_RECORD, readStream, runsOf, S, type NtfsSystemFiles } from './ntfs-volume-files.js';

/** Clusters compared per $Bitmap read (1 MiB of bitmap). */
const CHUNK_CLUSTERS = 8 * 1024 * 1024;

/** Sets bits [from, to) of `bits` (bit 0 = the chunk's first cluster). */
function setBits(bits: Uint8Array, from: number, to: number): void {
  let c = from;
  for (; c < to && (c & 7) !== 0; c++) bits[c >> 3] |= 1 << (c & 7);
  if (c + 8 <= to) {
    bits.fill(0xff, c >> 3, (to >> 3));
    c = to & ~7;
  }
  for (; c < to; c++) bits[c >> 3] |= 1 << (c & 7);
}

interface Tally {
  count: number;
  first: number;
}

function tally(t: Tally, bits: number, byteIndex: number, firstCluster: number): void {
  if (bits === 0) return;
  if (t.first < 0) t.first = firstCluster + byteIndex * 8 + (31 - Math.clz32(bits & -bits));
  for (let b = bits; b !== 0; b &= b - 1) t.count++;
}

/** $Bitmap marks exactly the clusters some in-use record's runs use (and the boot sector, LCN 0). */
export async function checkBitmapAgainstRuns(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  // A damaged or free system record hides the clusters it uses: the counts would only echo that finding.
  const systemRecordProblem = [...sf.records].some(([n, rec]) => typeof rec === 'string' || (n <= LAST_SYSTEM_RECORD && (rec.flags & MFT_RECORD_FLAG.IN_USE) === 0));
  if (systemRecordProblem) return [];
  const walk = await mftWalkOf(sf);
  if (!walk.runsComplete) return [];
  let bitmapRuns;
  try {
    bitmapRuns = runsOf(dataOf(sf, SYSTEM_FILE.BITMAP));
  } catch (e) {
    errText(e);
    return []; // checkBitmapMarksSystemFiles reports an unreadable $Bitmap
  }
  if (!bitmapRuns) return [];
  const { clusterCount, clusterSize } = sf.g;
  const runs: readonly ClusterRun[] = [{ lcn: 0, length: 1, record: SYSTEM_FILE.BOOT }, ...walk.runs];
  const leaked: Tally = { count: 0, first: -1 };
  const free: Tally = { count: 0, first: -1 };
  let next = 0;
  let carry: ClusterRun[] = [];
  try {
    for (let c0 = 0; c0 < clusterCount; c0 += CHUNK_CLUSTERS) {
      const c1 = Math.min(c0 + CHUNK_CLUSTERS, clusterCount);
      const bytes = Math.ceil((c1 - c0) / 8);
      const used = new Uint8Array(bytes);
      const userUsed = new Uint8Array(bytes);
      const stillOpen: ClusterRun[] = [];
      const mark = (r: ClusterRun): void => {
        const from = Math.max(r.lcn, c0) - c0;
        const to = Math.min(r.lcn + r.length, c1) - c0;
        if (to > from) {
          setBits(used, from, to);
          if (r.record > LAST_CHECKED_RECORD) setBits(userUsed, from, to);
        }
        if (r.lcn + r.length > c1) stillOpen.push(r);
      };
      carry.forEach(mark);
      while (next < runs.length && runs[next].lcn < c1) mark(runs[next++]);
      carry = stillOpen;
      const bitmap = await readStream(sf.volume, bitmapRuns, clusterSize, c0 / 8, bytes);
      if (!bitmap) throw new GuestdiskError('CORRUPT_STRUCTURE', `$Bitmap is shorter than the volume's ${clusterCount} clusters`);
      const tailMask = (c1 - c0) % 8 === 0 ? 0xff : (1 << ((c1 - c0) % 8)) - 1;
      for (let i = 0; i < bytes; i++) {
        const mask = i === bytes - 1 ? tailMask : 0xff;
        tally(leaked, bitmap[i] & ~used[i] & mask, i, c0);
        tally(free, userUsed[i] & ~bitmap[i] & mask, i, c0);
      }
    }
  } catch (e) {
    return [reportFinding('NTFS_BITMAP_CLEAR', { structure: S, field: '$Bitmap', actual: errText(e), message: `$Bitmap cannot be read: ${errText(e)}` })];
  }
  const out: InspectFinding[] = [];
  if (leaked.count > 0) {
    out.push(reportFinding('NTFS_BITMAP_LEAK', { structure: S, field: '$Bitmap', actual: `${leaked.count} clusters from ${leaked.first}`,
      message: `$Bitmap marks ${leaked.count} clusters in use that no file uses (from cluster ${leaked.first}): the space is lost until chkdsk frees it` }));
  }
  if (free.count > 0) {
    out.push(reportFinding('NTFS_BITMAP_FILE_CLUSTERS_FREE', { structure: S, field: '$Bitmap', actual: `${free.count} clusters from ${free.first}`,
      message: `$Bitmap marks ${free.count} clusters that files use free (from cluster ${free.first}): NTFS would give them to new data and overwrite those files; chkdsk repairs it` }));
  }
  return out;
}
