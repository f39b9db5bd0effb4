// $ATTRIBUTE_LIST against the records it names, from what the MFT walk gathered (ntfs-attribute-list-facts.ts):
// every entry names an in-use record of this file (the base record or one of its extension records, with the
// record's sequence number) that holds that attribute (type, name, lowest VCN, instance), no attribute is listed
// twice, and every attribute of an extension record is listed. Two findings: entries that lead nowhere, and
// attributes no entry leads to. Memory: one list at a time, plus what the walk kept.
import { ATTR_TYPE } from '../fs/ntfs/attribute-types.js';
import { decodeAttributes } from '../fs/ntfs/attributes/attribute-header.js';
import { decodeAttributeList, type AttributeListEntry } from '../fs/ntfs/attributes/attribute-list.js';
import { decodeMftRecord } from '../fs/ntfs/mft-record.js';
import { attributeIdentityHash, describeIdentity, identityOf, type AttributeIdentity, type ListSource } from './ntfs-attribute-list-facts.js';
import { MAX_EXAMPLES, mftWalkOf, type Examples, type MftWalk, type RecordProblem } from './ntfs-mft-walk.js';
import { errText, readStream, type NtfsSystemFiles } from './ntfs-volume-files.js';

/** An attribute list never grows past 256 KiB (Windows refuses to make a longer one). */
const MAX_LIST_BYTES = 0x40000;

export interface AttributeListProblems {
  /** Entries naming a record that is free or another file's, a stale sequence number, an absent attribute, or one listed twice. */
  readonly badEntries: Examples<RecordProblem>;
  /** Attributes of extension records that the base record's list does not name. */
  readonly unlisted: Examples<RecordProblem>;
}

function note(e: Examples<RecordProblem>, record: number, why: string): void {
  if (e.count++ < MAX_EXAMPLES) e.first.push({ record, why });
}

const identityKey = (a: AttributeIdentity): string => `${a.type}/${a.name}/${a.lowestVcn}/${a.instance}`;

const checked = new WeakMap<NtfsSystemFiles, Promise<AttributeListProblems>>();

/** The attribute-list comparison of `sf`'s volume, made once for both checks. */
export function attributeListProblemsOf(sf: NtfsSystemFiles): Promise<AttributeListProblems> {
  let p = checked.get(sf);
  if (!p) checked.set(sf, (p = compareAttributeLists(sf)));
  return p;
}

/** A list's entries: from the value the walk copied, or read now through its runs. */
async function entriesOf(sf: NtfsSystemFiles, list: ListSource): Promise<readonly AttributeListEntry[] | string> {
  if (list.problem !== null) return list.problem;
  let bytes = list.value;
  if (!bytes) {
    if (!list.runs) return 'no runs';
    if (list.dataSize > MAX_LIST_BYTES) return `${list.dataSize} bytes, more than an attribute list can hold (${MAX_LIST_BYTES})`;
    bytes = await readStream(sf.volume, list.runs, sf.g.clusterSize, 0, list.dataSize);
    if (!bytes) return 'its runs leave the volume';
  }
  try {
    return decodeAttributeList(bytes);
  } catch (e) {
    return errText(e);
  }
}

/** Names what differs between the entries naming `target` and the attributes it holds (the record is read again). */
async function diffRecord(sf: NtfsSystemFiles, base: number, target: number, entries: readonly AttributeIdentity[], out: AttributeListProblems): Promise<void> {
  const bytes = await sf.readRecord(target);
  let held: AttributeIdentity[];
  try {
    if (!bytes) throw new Error('unreachable: the walk read this record');
    const { header, record } = decodeMftRecord(bytes, sf.g.mftRecordSize);
    held = decodeAttributes(record, header.attrsOffset, header.bytesInUse).filter((a) => a.type !== ATTR_TYPE.ATTRIBUTE_LIST).map(identityOf);
  } catch (e) {
    return note(out.badEntries, base, `record ${target}, which its list names, cannot be read again: ${errText(e)}`);
  }
  const left = new Map<string, number>();
  for (const h of held) left.set(identityKey(h), (left.get(identityKey(h)) ?? 0) + 1);
  for (const e of entries) {
    const k = identityKey(e);
    const n = left.get(k) ?? 0;
    if (n > 0) left.set(k, n - 1);
    else note(out.badEntries, base, `its list names ${describeIdentity(e)} in record ${target}, which holds no such attribute`);
  }
  for (const h of held) {
    const k = identityKey(h);
    const n = left.get(k) ?? 0;
    if (n === 0) continue;
    left.set(k, n - 1);
    note(out.unlisted, target, `${describeIdentity(h)} is not in record ${base}'s attribute list`);
  }
}

/** Whether `target`, named by `list`, is an in-use record of that file ('stale': named with another sequence number); notes why not. */
function belongsToList(walk: MftWalk, list: ListSource, target: number, sequences: ReadonlySet<number>, out: AttributeListProblems): 'yes' | 'no' | 'stale' {
  const facts = walk.observed.attributeLists.records.get(target);
  if (target !== list.record) {
    if (!facts?.base) {
      const why = target < walk.baseSequence.length && walk.baseSequence[target] !== 0 ? "another file's base record" : 'a record not in use';
      note(out.badEntries, list.record, `its list names record ${target}, ${why}`);
      return 'no';
    }
    if (facts.base.record !== list.record) {
      note(out.badEntries, list.record, `its list names record ${target}, an extension record of record ${facts.base.record}`);
      return 'no';
    }
  }
  for (const s of sequences) {
    if (facts && s !== facts.sequence) {
      note(out.badEntries, list.record, `its list names record ${target} with sequence number ${s}, the record has ${facts.sequence}`);
      return 'stale';
    }
  }
  return 'yes';
}

/** Compares one list with the records it names; false when the list cannot be read. */
async function compareList(sf: NtfsSystemFiles, walk: MftWalk, list: ListSource, claimed: Set<number>, out: AttributeListProblems): Promise<boolean> {
  const entries = await entriesOf(sf, list);
  if (typeof entries === 'string') {
    note(out.badEntries, list.record, `its attribute list cannot be read: ${entries}`);
    return false;
  }
  const seen = new Set<string>();
  // Entries per record named; the list's own record first, so attributes of a base record missing from it show.
  const byRecord = new Map<number, { entries: AttributeIdentity[]; sequences: Set<number> }>([[list.record, { entries: [], sequences: new Set() }]]);
  for (const e of entries) {
    if (e.type === ATTR_TYPE.ATTRIBUTE_LIST) continue; // a list never names itself; tolerated
    // One attribute instance of one record, and one piece of a named attribute (only $FILE_NAME repeats: one per name).
    const keys = [`${e.recordNumber}#${e.instance}`, ...(e.type === ATTR_TYPE.FILE_NAME ? [] : [`${e.type}/${e.name}/${e.lowestVcn}`])];
    if (keys.some((k) => seen.has(k))) note(out.badEntries, list.record, `its list names ${describeIdentity(e)} twice`);
    for (const k of keys) seen.add(k);
    let group = byRecord.get(e.recordNumber);
    if (!group) byRecord.set(e.recordNumber, (group = { entries: [], sequences: new Set() }));
    group.entries.push(e);
    group.sequences.add(e.sequenceNumber);
  }
  for (const [target, group] of byRecord) {
    const belongs = belongsToList(walk, list, target, group.sequences, out);
    if (belongs !== 'no') claimed.add(target);
    if (belongs !== 'yes') continue;
    const facts = walk.observed.attributeLists.records.get(target)!;
    const hash = group.entries.reduce((h, e) => (h + attributeIdentityHash(e)) >>> 0, 0);
    if (hash !== facts.hash || group.entries.length !== facts.count) await diffRecord(sf, list.record, target, group.entries, out);
  }
  return true;
}

async function compareAttributeLists(sf: NtfsSystemFiles): Promise<AttributeListProblems> {
  const walk = await mftWalkOf(sf);
  const out: AttributeListProblems = { badEntries: { count: 0, first: [] }, unlisted: { count: 0, first: [] } };
  const claimed = new Set<number>();
  const { records, lists } = walk.observed.attributeLists;
  const hasList = new Set<number>();
  // The extension records of a list that cannot be read are not reported one by one: the list is the finding.
  const unreadable = new Set<number>();
  for (const list of lists) (await compareList(sf, walk, list, claimed, out) ? hasList : unreadable).add(list.record);
  for (const [n, facts] of records) {
    if (!facts.base || claimed.has(n) || facts.count === 0) continue;
    const base = facts.base.record;
    // An extension record whose base is free or reused is NTFS_EXTENSION_RECORD_ORPHAN already.
    if (base >= walk.baseSequence.length || walk.baseSequence[base] - 1 !== facts.base.sequence || unreadable.has(base)) continue;
    note(out.unlisted, n, hasList.has(base) ? `none of its ${facts.count} attributes is in record ${base}'s attribute list` : `its base record ${base} has no attribute list`);
  }
  return out;
}
