// The NTFS checks that need every MFT record (one walk, ntfs-mft-walk.ts, shared by all of them): records that
// do not decode, extension records without their base record, clusters two attributes claim, runs past the end of
// the volume, link counts. One small function each, in NTFS_WALK_CHECKS.
import { reportFinding, type FindingCode, type InspectFinding } from './finding-codes.js';
import type { VolumeCheck } from './fs-inspector.js';
import { indexWalkOf, type IndexWalk } from './ntfs-index-walk.js';
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

/** Every non-resident attribute keeps initialized size ≤ data size ≤ allocated size. */
export async function checkAttributeSizes(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  return recordFinding('NTFS_ATTRIBUTE_SIZES', (await mftWalkOf(sf)).sizes, 'attributes have sizes out of order (initialized ≤ data ≤ allocated)',
    'reads past the allocation fail or return stale bytes; chkdsk truncates the sizes');
}

type IndexPart = keyof IndexWalk;

/** A check over one list of the index walk. */
function indexCheck(part: IndexPart, code: FindingCode, what: string, consequence: string): (sf: NtfsSystemFiles) => Promise<InspectFinding[]> {
  return async (sf) => {
    const walk = await indexWalkOf(sf);
    return walk ? recordFinding(code, walk[part], what, consequence) : [];
  };
}

/** Every directory index decodes: root, blocks, entries; no block reached twice. */
export const checkIndexesReadable = indexCheck('damaged', 'NTFS_INDEX_DAMAGED', 'directory indexes are damaged', 'the directories cannot be listed in full; chkdsk rebuilds their indexes');
/** Every index entry names an in-use base record with its sequence number. */
export const checkIndexEntriesReachFiles = indexCheck('orphanEntries', 'NTFS_INDEX_ENTRY_ORPHAN', 'directory index entries name no file', 'opening the name fails or opens another file; chkdsk deletes the entries');
/** Entries of each index node in $UpCase order. */
export const checkIndexOrder = indexCheck('order', 'NTFS_INDEX_ORDER', 'directory indexes hold entries out of order', 'lookups by name miss files that are listed; chkdsk sorts the index');
/** Every index block in use is marked in its index $BITMAP. */
export const checkIndexBitmaps = indexCheck('bitmap', 'NTFS_INDEX_BITMAP', 'directory indexes use blocks their $BITMAP marks free', 'NTFS may hand the block out again and lose the entries in it; chkdsk repairs the bitmap');
/** Every name a file carries is held by its directory's index. */
export const checkFilesIndexed = indexCheck('notIndexed', 'NTFS_FILE_NOT_INDEXED', 'files have names no directory index holds', 'the files are invisible in their directory; chkdsk puts them back or into found.000');
/** The entries naming a file match its $FILE_NAME attributes (parent, name, namespace), and there are no extra ones. */
export const checkIndexEntriesMatchNames = indexCheck('mismatched', 'NTFS_INDEX_ENTRY_MISMATCH', 'files are named by index entries that match none of their names', 'the directory listing and the file disagree on its name or parent; chkdsk corrects the index');
/** Every $FILE_NAME's parent is an in-use directory with the sequence number the reference carries. */
export const checkParentReferences = indexCheck('parents', 'NTFS_PARENT_REFERENCE_BAD', 'files name a parent that is not an in-use directory', 'the files belong to no directory; chkdsk moves them to found.000');

/** The whole-volume checks, in report order. */
export const NTFS_WALK_CHECKS: readonly VolumeCheck<NtfsSystemFiles>[] = [
  checkRecordsIntact,
  checkExtensionRecords,
  checkClusterCrossLinks,
  checkRunsInsideVolume,
  checkLinkCounts,
  checkAttributeSizes,
  checkIndexesReadable,
  checkIndexEntriesReachFiles,
  checkIndexOrder,
  checkIndexBitmaps,
  checkFilesIndexed,
  checkIndexEntriesMatchNames,
  checkParentReferences,
];
