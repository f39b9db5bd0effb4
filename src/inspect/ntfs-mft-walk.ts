// What the whole-volume NTFS checks compare, gathered in the one pass over $MFT (ntfs-walk-record.ts): the clusters
// each in-use record's non-resident attributes use, records that do not decode, extension records and the base
// records they name, and each file's link count beside its $FILE_NAME attributes. Memory grows with the number of
// records and runs (a few bytes a record, one entry a run), never with the volume size or a file's size; past
// MAX_WALK_RUNS runs the cluster comparison is given up (runsComplete false).
//
// This file is also where the pass is put together: MFT_VISITORS names every visitor that rides on it. A new
// whole-MFT check writes an MftVisitorFactory in a file of its own (importing ntfs-walk-record.ts, not this file),
// adds one line to MFT_VISITORS, and reads its result with mftVisitorResult(sf, 'itsName').
import { ATTR_TYPE, FILE_NAME_NAMESPACE, INDEX_NAME, MFT_RECORD_FLAG } from '../fs/ntfs/attribute-types.js';
import type { DecodedAttribute } from '../fs/ntfs/attributes/attribute-header.js';
import { FILE_NAME_HEADER } from '../fs/ntfs/attributes/file-name.js';
import { MFT_RECORD_HEADER } from '../fs/ntfs/mft-record.js';
import { decodeMftRefAt } from '../fs/ntfs/ntfs-time.js';
import { mftBitmapVisitor } from './ntfs-mft-bitmap-walk.js';
import { newRecordObserver, type RecordObservations } from './ntfs-record-observer.js';
import { errText, LAST_CHECKED_RECORD, runsOf, type NtfsSystemFiles } from './ntfs-volume-files.js';
import { examples, note, walkMftRecords, type Examples, type MftVisitor, type MftVisitorFactory, type RecordProblem, type WalkRecord } from './ntfs-walk-record.js';

export { MAX_EXAMPLES, type Examples, type RecordProblem } from './ntfs-walk-record.js';

const BASE_MFT_RECORD = MFT_RECORD_HEADER.fieldRange('baseMftRecord');

/** More runs than this (tens of MiB of run entries) and the cluster checks stop: the rest of the walk goes on. */
export const MAX_WALK_RUNS = 4_000_000;
/**
 * Directory records kept from the pass for the index walk, up to this many bytes (16,384 records of 1 KiB): each
 * would otherwise be read again, one small read per directory. Past it, the index walk reads the rest itself.
 */
export const MAX_KEPT_DIRECTORY_BYTES = 16 * 1024 * 1024;

/** A directory's base record as the pass decoded it (fixups removed), for the index walk. */
export interface KeptRecord {
  readonly record: Uint8Array;
  readonly attrsOffset: number;
  readonly bytesInUse: number;
}

/** Clusters [lcn, lcn+length) used by an attribute of MFT record `record`. */
export interface ClusterRun {
  readonly lcn: number;
  readonly length: number;
  readonly record: number;
}

export interface MftWalk {
  /** Every non-sparse run of every in-use record, sorted by LCN (then by record). */
  readonly runs: readonly ClusterRun[];
  /** False when a run list could not be decoded or there were too many runs: nothing to compare clusters with. */
  readonly runsComplete: boolean;
  /** In-use records past the system files whose fixups or attributes are damaged. */
  readonly damaged: Examples<RecordProblem>;
  /** Extension records whose base reference names no in-use base record of that sequence number. */
  readonly orphanExtensions: Examples<RecordProblem>;
  /** Base records whose link count matches no count of their $FILE_NAME attributes. */
  readonly linkCounts: Examples<RecordProblem>;
  /** Non-resident attributes whose sizes break initialized ≤ data ≤ allocated. */
  readonly sizes: Examples<RecordProblem>;
  /** Per record: its sequence number + 1 when it is an in-use base record, else 0. */
  readonly baseSequence: Uint32Array;
  /** Per record: 1 when it is an in-use directory (IS_DIRECTORY). */
  readonly isDirectory: Uint8Array;
  /** Per record: how many $FILE_NAME attributes it has (base and extension records), and their names' hashes summed. */
  readonly nameCount: Uint16Array;
  readonly nameHash: Uint32Array;
  /** Every $FILE_NAME's parent reference, flat: child record, parent record, parent sequence number. */
  readonly parents: readonly number[];
  /** In-use base records with an $I30 index root (in their base record). */
  readonly directories: readonly number[];
  /** Extension records of each base record that has any. */
  readonly extensionsOf: ReadonlyMap<number, readonly number[]>;
  /** Base records of directories, copied during the pass while they fit MAX_KEPT_DIRECTORY_BYTES. */
  readonly directoryRecords: ReadonlyMap<number, KeptRecord>;
  /** What the checks in their own files gathered on the same pass (ntfs-record-observer.ts). */
  readonly observed: RecordObservations;
}

/**
 * FNV-1a over what an $I30 entry and the $FILE_NAME it copies must share: parent record, namespace, name. Summed per
 * file, it lets the index walk compare a file's names with its entries without holding either.
 */
export function nameHashOf(parentRecord: number, namespace: number, name: Uint8Array): number {
  let h = 0x811c9dc5;
  // The parent's 48-bit record number, low byte first: the low 32 bits, then the 16 above them.
  const low = parentRecord >>> 0;
  const high = Math.floor(parentRecord / 0x1_0000_0000);
  for (let i = 0; i < 4; i++) h = Math.imul(h ^ ((low >>> (8 * i)) & 0xff), 0x01000193) >>> 0;
  for (let i = 0; i < 2; i++) h = Math.imul(h ^ ((high >>> (8 * i)) & 0xff), 0x01000193) >>> 0;
  h = Math.imul(h ^ namespace, 0x01000193) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name[i], 0x01000193) >>> 0;
  return h;
}

// Both are u8 fields: read by index, at the table's offsets.
const FILE_NAME_LENGTH_OFFSET = FILE_NAME_HEADER.fieldRange('fileNameLength').offsetBytes;
const FILE_NAME_TYPE_OFFSET = FILE_NAME_HEADER.fieldRange('fileNameType').offsetBytes;
const PARENT_DIRECTORY_OFFSET = FILE_NAME_HEADER.fieldRange('parentDirectory').offsetBytes;

/** The parts of a $FILE_NAME value the hash covers: parent record, namespace, the name's UTF-16 bytes. */
export function fileNameIdentity(value: Uint8Array): { parent: { recordNumber: number; sequenceNumber: number }; namespace: number; name: Uint8Array } | null {
  if (value.length < FILE_NAME_HEADER.sizeBytes) return null;
  const end = FILE_NAME_HEADER.sizeBytes + 2 * value[FILE_NAME_LENGTH_OFFSET];
  if (end > value.length) return null;
  return { parent: decodeMftRefAt(value, PARENT_DIRECTORY_OFFSET), namespace: value[FILE_NAME_TYPE_OFFSET], name: value.subarray(FILE_NAME_HEADER.sizeBytes, end) };
}

/** Names of a record: all of them, and those Windows counts as links (a DOS name pairs with a Win32 one). */
function countNames(attrs: readonly DecodedAttribute[]): { all: number; links: number } {
  let all = 0;
  let links = 0;
  for (const a of attrs) {
    if (a.type !== ATTR_TYPE.FILE_NAME || !a.resident || a.resident.value.length < FILE_NAME_HEADER.sizeBytes) continue;
    all++;
    if (a.resident.value[FILE_NAME_TYPE_OFFSET] !== FILE_NAME_NAMESPACE.DOS) links++;
  }
  return { all, links };
}

interface Extension {
  readonly record: number;
  readonly base: number;
  readonly baseSequence: number;
}

/** The core visitor: what the record, cluster, link-count and index checks compare. */
export const gatherVisitor: MftVisitorFactory<MftWalk> = (sf) => {
  const count = sf.mftRecordCount;
  // Per record: sequence number of in-use base records (0: none), link count, names seen (base + extensions).
  const baseSequence = new Uint32Array(count);
  const linkCount = new Uint16Array(count);
  const namesAll = new Uint16Array(count);
  const namesLinks = new Uint16Array(count);
  const extensions: Extension[] = [];
  const isDirectory = new Uint8Array(count);
  const nameHash = new Uint32Array(count);
  const parents: number[] = [];
  const directories: number[] = [];
  const extensionsOf = new Map<number, number[]>();
  const directoryRecords = new Map<number, KeptRecord>();
  let keptBytes = 0;
  const observer = newRecordObserver();
  const runs: ClusterRun[] = [];
  let runsComplete = true;
  const damaged = examples<RecordProblem>();
  const sizes = examples<RecordProblem>();
  const addNames = (owner: number, attrs: readonly DecodedAttribute[]): void => {
    if (owner >= count) return;
    for (const a of attrs) {
      if (a.type !== ATTR_TYPE.FILE_NAME || !a.resident) continue;
      const id = fileNameIdentity(a.resident.value);
      if (!id) continue;
      nameHash[owner] = (nameHash[owner] + nameHashOf(id.parent.recordNumber, id.namespace, id.name)) >>> 0;
      parents.push(owner, id.parent.recordNumber, id.parent.sequenceNumber);
    }
  };
  const addRuns = (n: number, attrs: readonly DecodedAttribute[]): void => {
    for (const a of attrs) {
      // Only an attribute's first piece carries its sizes (later pieces of an attribute list repeat zeros).
      const h = a.nonResident?.header;
      if (h && h.lowestVcn === 0 && !(h.initializedSize <= h.dataSize && h.dataSize <= h.allocatedSize)) {
        note(sizes, { record: n, why: `attribute 0x${a.type.toString(16)}${a.name ? ` ${a.name}` : ''}: initialized ${h.initializedSize}, data ${h.dataSize}, allocated ${h.allocatedSize}` });
      }
      if (!runsComplete || !a.nonResident) continue;
      try {
        for (const r of runsOf(a) ?? []) if (r.lcn !== null && r.length > 0) runs.push({ lcn: r.lcn, length: r.length, record: n });
      } catch (e) {
        errText(e);
        runsComplete = false;
      }
      if (runs.length > MAX_WALK_RUNS) runsComplete = false;
    }
  };
  const visitor: MftVisitor<MftWalk> = {
    damaged(n, why) {
      // The system records have findings of their own (NTFS_SYSTEM_RECORD_DAMAGED).
      if (n > LAST_CHECKED_RECORD) note(damaged, { record: n, why });
      runsComplete = false; // its clusters are unknown
    },
    record(r: WalkRecord) {
      const { n, attrs } = r;
      addRuns(n, attrs);
      observer.record(n, { baseMftRecord: r.record.subarray(BASE_MFT_RECORD.offsetBytes, BASE_MFT_RECORD.offsetBytes + BASE_MFT_RECORD.lengthBytes), sequenceNumber: r.sequenceNumber }, attrs);
      const names = countNames(attrs);
      if (r.base === null) {
        // A sequence number of 0 is legal (mkntfs gives it to $MFT): keep it one up so 0 means "no base record".
        baseSequence[n] = r.sequenceNumber + 1;
        linkCount[n] = r.linkCount;
        namesAll[n] += names.all;
        namesLinks[n] += names.links;
        addNames(n, attrs);
        if ((r.flags & MFT_RECORD_FLAG.IS_DIRECTORY) !== 0) isDirectory[n] = 1;
        if (attrs.some((a) => a.type === ATTR_TYPE.INDEX_ROOT && a.name === INDEX_NAME.I30)) {
          directories.push(n);
          if (keptBytes + r.record.length <= MAX_KEPT_DIRECTORY_BYTES) {
            keptBytes += r.record.length;
            directoryRecords.set(n, { record: r.record.slice(), attrsOffset: r.attrsOffset, bytesInUse: r.bytesInUse }); // the pass reuses its buffer
          }
        }
      } else {
        const base = r.base;
        extensions.push({ record: n, base: base.recordNumber, baseSequence: base.sequenceNumber });
        // An attribute list can move $FILE_NAME into an extension record: it counts for the base record.
        if (base.recordNumber < count) {
          namesAll[base.recordNumber] += names.all;
          namesLinks[base.recordNumber] += names.links;
          addNames(base.recordNumber, attrs);
          const list = extensionsOf.get(base.recordNumber);
          if (list) list.push(n);
          else extensionsOf.set(base.recordNumber, [n]);
          // A directory whose $I30 root an attribute list moved out of its base record is walked all the same.
          if (attrs.some((a) => a.type === ATTR_TYPE.INDEX_ROOT && a.name === INDEX_NAME.I30)) directories.push(base.recordNumber);
        }
      }
    },
    finish(unreadFrom) {
      // checkMftBitmapAgainstRecords reports $MFT records outside the volume.
      if (unreadFrom !== null) runsComplete = false;
      const orphanExtensions = examples<RecordProblem>();
      for (const x of extensions) {
        const known = x.base < count ? baseSequence[x.base] : 0;
        if (known === 0) {
          note(orphanExtensions, { record: x.record, why: `its base record ${x.base} is not an in-use base record` });
        } else if (known - 1 !== x.baseSequence) {
          note(orphanExtensions, { record: x.record, why: `it names base record ${x.base} with sequence number ${x.baseSequence}, the record has ${known - 1}` });
        }
      }
      // Windows counts a Win32 name and its DOS alias as one link; tools differ on whether the alias counts, so a
      // link count matching either count is accepted.
      const linkCounts = examples<RecordProblem>();
      for (let n = LAST_CHECKED_RECORD + 1; n < count; n++) {
        if (baseSequence[n] === 0 || namesAll[n] === 0) continue;
        if (linkCount[n] !== namesLinks[n] && linkCount[n] !== namesAll[n]) {
          note(linkCounts, { record: n, why: `link count ${linkCount[n]}, but ${namesLinks[n]} $FILE_NAME attributes (${namesAll[n]} with DOS names)` });
        }
      }
      runs.sort((a, b) => a.lcn - b.lcn || a.record - b.record);
      return { runs, runsComplete, damaged, orphanExtensions, linkCounts, sizes, baseSequence, isDirectory, nameCount: namesAll, nameHash, parents, directories, extensionsOf, directoryRecords, observed: observer.finish() };
    },
  };
  return visitor;
};

// ---- the pass: every visitor, one read of $MFT

/** Every visitor of the pass, by name. A new whole-MFT check: one line here (its factory in a file of its own). */
const MFT_VISITORS = {
  core: gatherVisitor,
  mftBitmap: mftBitmapVisitor,
} satisfies Record<string, MftVisitorFactory<unknown>>;

type VisitorName = keyof typeof MFT_VISITORS;
export type MftVisitorResults = { readonly [K in VisitorName]: ReturnType<ReturnType<(typeof MFT_VISITORS)[K]>['finish']> };

const passes = new WeakMap<NtfsSystemFiles, Promise<MftVisitorResults>>();

async function runPass(sf: NtfsSystemFiles): Promise<MftVisitorResults> {
  const names = Object.keys(MFT_VISITORS) as VisitorName[];
  const results = await walkMftRecords(sf, names.map((name) => MFT_VISITORS[name](sf) as MftVisitor<unknown>));
  return Object.fromEntries(names.map((name, i) => [name, results[i]])) as unknown as MftVisitorResults;
}

/** Every visitor's result of `sf`'s pass over $MFT, made once and shared by the checks that need it. */
export function mftPassOf(sf: NtfsSystemFiles): Promise<MftVisitorResults> {
  let pass = passes.get(sf);
  if (!pass) passes.set(sf, (pass = runPass(sf)));
  return pass;
}

/** One visitor's result of the pass. */
export async function mftVisitorResult<K extends VisitorName>(sf: NtfsSystemFiles, name: K): Promise<MftVisitorResults[K]> {
  return (await mftPassOf(sf))[name];
}

/** The core walk of `sf`'s volume (gatherVisitor's result). */
export function mftWalkOf(sf: NtfsSystemFiles): Promise<MftWalk> {
  return mftVisitorResult(sf, 'core');
}
