// The NTFS checks that need every MFT record (one walk, ntfs-mft-walk.ts, shared by all of them): records that
// do not decode, extension records without their base record, clusters two attributes claim, runs past the end of
// the volume, link counts. One small function each, in NTFS_WALK_CHECKS.
import { reportFinding, type FindingCode, type InspectFinding } from './finding-codes.js';
import type { VolumeCheck } from './fs-inspector.js';
import { mftWalkOf, MAX_EXAMPLES, type Examples, type RecordProblem } from './ntfs-mft-walk.js';
import { S, type NtfsSystemFiles } from './ntfs-volume-files.js';

function more(count: number): string {
  return count > MAX_EXAMPLES ? ` and ${count - MAX_EXAMPLES} more` : '';
}

/** One finding of `code` for a list of record problems, naming the first ones. */
function recordFinding(code: FindingCode, problems: Examples<RecordProblem>, what: string, consequence: string): InspectFinding[] {
  if (problems.count === 0) return [];
  const first = problems.first[0];
  return [reportFinding(code, { structure: S, field: `MFT record ${first.record}`,
    actual: `${problems.count} records: ${problems.first.map((p) => `${p.record} (${p.why})`).join('; ')}${more(problems.count)}`,
    message: `${problems.count} ${what} (record ${first.record}: ${first.why}): ${consequence}` })];
}

/** Every in-use record past the system files decodes: fixups intact, every attribute inside the record. */
export async function checkRecordsIntact(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  return recordFinding('NTFS_RECORD_DAMAGED', (await mftWalkOf(sf)).damaged, 'in-use MFT records are damaged',
    'the files they hold cannot be opened; chkdsk deletes or repairs them');
}

/** Every extension record names an in-use base record with the same sequence number. */
export async function checkExtensionRecords(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  return recordFinding('NTFS_EXTENSION_RECORD_ORPHAN', (await mftWalkOf(sf)).orphanExtensions, 'extension records belong to no in-use base record',
    'their attributes are lost to the file; chkdsk frees them');
}

/** No cluster belongs to two attributes (of one file or of two). */
export async function checkClusterCrossLinks(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  const walk = await mftWalkOf(sf);
  if (!walk.runsComplete) return [];
  let count = 0;
  let clusters = 0;
  const first: string[] = [];
  let end = 0;
  let owner = -1;
  for (const r of walk.runs) {
    if (r.lcn < end) {
      clusters += Math.min(end, r.lcn + r.length) - r.lcn;
      if (count++ < MAX_EXAMPLES) first.push(`records ${owner} and ${r.record} at LCN ${r.lcn}`);
    }
    if (r.lcn + r.length > end) {
      end = r.lcn + r.length;
      owner = r.record;
    }
  }
  if (count === 0) return [];
  return [reportFinding('NTFS_CLUSTER_CROSS_LINKED', { structure: S, field: '$DATA runs', actual: `${clusters} clusters in ${count} overlaps: ${first.join('; ')}${more(count)}`,
    message: `${clusters} clusters are used by two attributes at once (${first[0]}): writing one file overwrites the other; chkdsk gives the clusters to one file and copies the other's data` })];
}

/** No run reaches past the last cluster of the volume. */
export async function checkRunsInsideVolume(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  const walk = await mftWalkOf(sf);
  const outside = walk.runs.filter((r) => r.lcn + r.length > sf.g.clusterCount);
  if (outside.length === 0) return [];
  const first = outside.slice(0, MAX_EXAMPLES).map((r) => `record ${r.record}: LCN ${r.lcn}+${r.length}`);
  return [reportFinding('NTFS_RUN_BEYOND_VOLUME', { structure: S, field: '$DATA runs', expected: `clusters below ${sf.g.clusterCount}`,
    actual: `${outside.length} runs: ${first.join('; ')}${more(outside.length)}`,
    message: `${outside.length} runs reach past the volume's ${sf.g.clusterCount} clusters (${first[0]}): reading those files fails; chkdsk truncates them` })];
}

/** A file's link count is its number of names (a Win32 name and its DOS alias count once). */
export async function checkLinkCounts(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  return recordFinding('NTFS_LINK_COUNT', (await mftWalkOf(sf)).linkCounts, 'files have a link count other than their number of names',
    'deleting a name can free a file that still has names, or leave one no name reaches; chkdsk corrects the count');
}

/** The whole-volume checks, in report order. */
export const NTFS_WALK_CHECKS: readonly VolumeCheck<NtfsSystemFiles>[] = [
  checkRecordsIntact,
  checkExtensionRecords,
  checkClusterCrossLinks,
  checkRunsInsideVolume,
  checkLinkCounts,
];
