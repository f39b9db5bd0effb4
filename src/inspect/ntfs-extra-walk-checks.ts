// The whole-volume NTFS checks that live in files of their own (index blocks no node reaches, attribute lists,
// security ids), in report order after the walk checks of ntfs-walk-checks.ts.
import { reportFinding, type FindingCode, type InspectFinding } from './finding-codes.js';
import type { VolumeCheck } from './fs-inspector.js';
import { attributeListProblemsOf, type AttributeListProblems } from './ntfs-attribute-list-checks.js';
import { indexWalkOf } from './ntfs-index-walk.js';
import { MAX_EXAMPLES, type Examples, type RecordProblem } from './ntfs-mft-walk.js';
import { checkSecurityIds } from './ntfs-secure-checks.js';
import { S, type NtfsSystemFiles } from './ntfs-volume-files.js';

/** One finding of `code` for a list of record problems, naming the first ones. */
function recordFinding(code: FindingCode, problems: Examples<RecordProblem>, what: string, consequence: string): InspectFinding[] {
  if (problems.count === 0) return [];
  const first = problems.first[0];
  const more = problems.count > MAX_EXAMPLES ? ` and ${problems.count - MAX_EXAMPLES} more` : '';
  return [reportFinding(code, { structure: S, field: `MFT record ${first.record}`,
    actual: `${problems.count}: ${problems.first.map((p) => `record ${p.record}: ${p.why}`).join('; ')}${more}`,
    message: `${problems.count} ${what} (record ${first.record}: ${first.why}): ${consequence}` })];
}

function listCheck(part: keyof AttributeListProblems, code: FindingCode, what: string, consequence: string): VolumeCheck<NtfsSystemFiles> {
  return async (sf) => recordFinding(code, (await attributeListProblemsOf(sf))[part], what, consequence);
}

/** Every index block its $BITMAP marks in use is reached from the index root. */
export async function checkIndexBlocksReached(sf: NtfsSystemFiles): Promise<InspectFinding[]> {
  const walk = await indexWalkOf(sf);
  return walk ? recordFinding('NTFS_INDEX_BLOCK_UNREACHED', walk.unreached, 'directory index blocks are marked in use but no index node reaches them',
    'names in them are lost to lookups and the blocks to the index; chkdsk frees them') : [];
}

/** Every attribute list entry leads to an in-use record of its file holding that attribute, once. */
export const checkAttributeListEntries = listCheck('badEntries', 'NTFS_ATTRIBUTE_LIST_ENTRY_BAD', 'attribute list entries lead to no attribute (or repeat one)',
  'Windows cannot open the attribute (a stream, a name or part of the data) and may fail to open the file; chkdsk repairs the list');
/** Every attribute of an extension record is named by its base record's attribute list. */
export const checkAttributesListed = listCheck('unlisted', 'NTFS_ATTRIBUTE_NOT_LISTED', 'attributes in extension records are missing from their file\'s attribute list',
  'Windows never finds them (a stream, a name or part of the data is lost); chkdsk frees the records or repairs the list');

export const NTFS_EXTRA_WALK_CHECKS: readonly VolumeCheck<NtfsSystemFiles>[] = [
  checkIndexBlocksReached,
  checkAttributeListEntries,
  checkAttributesListed,
  checkSecurityIds,
];
