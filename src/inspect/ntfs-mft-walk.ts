// One pass over every record of $MFT, a batch at a time, gathering what the whole-volume NTFS checks compare
// (ntfs-walk-checks.ts): the clusters each in-use record's non-resident attributes use, records that do not decode,
// extension records and the base records they name, and each file's link count beside its $FILE_NAME attributes.
// Memory grows with the number of records and runs (a few bytes a record, one entry a run), never with the volume
// size or a file's size; past MAX_WALK_RUNS runs the cluster comparison is given up (runsComplete false).
import { ATTR_TYPE, FILE_NAME_NAMESPACE, INDEX_NAME, MFT_RECORD_FLAG } from '../fs/ntfs/attribute-types.js';
import { decodeAttributes, type DecodedAttribute } from '../fs/ntfs/attributes/attribute-header.js';
import { FILE_NAME_HEADER } from '../fs/ntfs/attributes/file-name.js';
import { decodeMftRecord, type MftRecordHeader } from '../fs/ntfs/mft-record.js';
import { decodeMftRef } from '../fs/ntfs/ntfs-time.js';
import { newRecordObserver, type RecordObservations } from './ntfs-record-observer.js';
import { errText, hasFileMagic, isInUse, LAST_CHECKED_RECORD, readStream, runsOf, type NtfsSystemFiles } from './ntfs-volume-files.js';

/** Records read per volume read. */
const WALK_BATCH = 1024;
/** More runs than this (tens of MiB of run entries) and the cluster checks stop: the rest of the walk goes on. */
export const MAX_WALK_RUNS = 4_000_000;
/** How many examples of each kind of damage a walk keeps (the counts go on). */
export const MAX_EXAMPLES = 16;

/** Clusters [lcn, lcn+length) used by an attribute of MFT record `record`. */
export interface ClusterRun {
  readonly lcn: number;
  readonly length: number;
  readonly record: number;
}

export interface RecordProblem {
  readonly record: number;
  readonly why: string;
}

/** Counted problems with their first few examples. */
export interface Examples<T> {
  count: number;
  readonly first: T[];
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
  /** What the checks in their own files gathered on the same pass (ntfs-record-observer.ts). */
  readonly observed: RecordObservations;
}

/**
 * FNV-1a over what an $I30 entry and the $FILE_NAME it copies must share: parent record, namespace, name. Summed per
 * file, it lets the index walk compare a file's names with its entries without holding either.
 */
export function nameHashOf(parentRecord: number, namespace: number, name: Uint8Array): number {
  let h = 0x811c9dc5;
  const mix = (byte: number): void => {
    h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  };
  for (let i = 0; i < 6; i++) mix(Math.floor(parentRecord / 2 ** (8 * i)) & 0xff);
  mix(namespace);
  for (const b of name) mix(b);
  return h;
}

/** The parts of a $FILE_NAME value the hash covers: parent record, namespace, the name's UTF-16 bytes. */
export function fileNameIdentity(value: Uint8Array): { parent: { recordNumber: number; sequenceNumber: number }; namespace: number; name: Uint8Array } | null {
  if (value.length < FILE_NAME_HEADER.sizeBytes) return null;
  const h = FILE_NAME_HEADER.decode(value);
  const end = FILE_NAME_HEADER.sizeBytes + 2 * h.fileNameLength;
  if (end > value.length) return null;
  return { parent: decodeMftRef(h.parentDirectory), namespace: h.fileNameType, name: value.subarray(FILE_NAME_HEADER.sizeBytes, end) };
}

function note<T>(e: Examples<T>, item: T): void {
  if (e.count++ < MAX_EXAMPLES) e.first.push(item);
}

const walks = new WeakMap<NtfsSystemFiles, Promise<MftWalk>>();

/** The walk of `sf`'s volume, made once and shared by the checks that need it. */
export function mftWalkOf(sf: NtfsSystemFiles): Promise<MftWalk> {
  let walk = walks.get(sf);
  if (!walk) walks.set(sf, (walk = walkMft(sf)));
  return walk;
}

/** Names of a record: all of them, and those Windows counts as links (a DOS name pairs with a Win32 one). */
function countNames(attrs: readonly DecodedAttribute[]): { all: number; links: number } {
  let all = 0;
  let links = 0;
  for (const a of attrs) {
    if (a.type !== ATTR_TYPE.FILE_NAME || !a.resident || a.resident.value.length < FILE_NAME_HEADER.sizeBytes) continue;
    all++;
    if (FILE_NAME_HEADER.decode(a.resident.value).fileNameType !== FILE_NAME_NAMESPACE.DOS) links++;
  }
  return { all, links };
}

interface Extension {
  readonly record: number;
  readonly base: number;
  readonly baseSequence: number;
}

async function walkMft(sf: NtfsSystemFiles): Promise<MftWalk> {
  const count = sf.mftRecordCount;
  const size = sf.g.mftRecordSize;
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
  const runs: ClusterRun[] = [];
  const observer = newRecordObserver();
  let runsComplete = true;
  const damaged: Examples<RecordProblem> = { count: 0, first: [] };
  const sizes: Examples<RecordProblem> = { count: 0, first: [] };
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
  for (let first = 0; first < count; first += WALK_BATCH) {
    const last = Math.min(first + WALK_BATCH, count) - 1;
    const batch = await readStream(sf.volume, sf.mftRuns, sf.g.clusterSize, first * size, (last - first + 1) * size);
    if (!batch) {
      // checkMftBitmapAgainstRecords reports $MFT records outside the volume.
      runsComplete = false;
      break;
    }
    for (let n = first; n <= last; n++) {
      const bytes = batch.subarray((n - first) * size, (n - first + 1) * size);
      if (!hasFileMagic(bytes) || !isInUse(bytes)) continue;
      let header: MftRecordHeader;
      let attrs: DecodedAttribute[];
      try {
        const decoded = decodeMftRecord(bytes, size);
        header = decoded.header;
        attrs = decodeAttributes(decoded.record, header.attrsOffset, header.bytesInUse);
      } catch (e) {
        // The system records have findings of their own (NTFS_SYSTEM_RECORD_DAMAGED).
        const why = errText(e);
        if (n > LAST_CHECKED_RECORD) note(damaged, { record: n, why });
        runsComplete = false; // its clusters are unknown
        continue;
      }
      addRuns(n, attrs);
      observer.record(n, header, attrs);
      const names = countNames(attrs);
      const base = decodeMftRef(header.baseMftRecord);
      if (base.recordNumber === 0 && base.sequenceNumber === 0) {
        // A sequence number of 0 is legal (mkntfs gives it to $MFT): keep it one up so 0 means "no base record".
        baseSequence[n] = header.sequenceNumber + 1;
        linkCount[n] = header.linkCount;
        namesAll[n] += names.all;
        namesLinks[n] += names.links;
        addNames(n, attrs);
        if ((header.flags & MFT_RECORD_FLAG.IS_DIRECTORY) !== 0) isDirectory[n] = 1;
        if (attrs.some((a) => a.type === ATTR_TYPE.INDEX_ROOT && a.name === INDEX_NAME.I30)) directories.push(n);
      } else {
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
    }
  }
  const orphanExtensions: Examples<RecordProblem> = { count: 0, first: [] };
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
  const linkCounts: Examples<RecordProblem> = { count: 0, first: [] };
  for (let n = LAST_CHECKED_RECORD + 1; n < count; n++) {
    if (baseSequence[n] === 0 || namesAll[n] === 0) continue;
    if (linkCount[n] !== namesLinks[n] && linkCount[n] !== namesAll[n]) {
      note(linkCounts, { record: n, why: `link count ${linkCount[n]}, but ${namesLinks[n]} $FILE_NAME attributes (${namesAll[n]} with DOS names)` });
    }
  }
  runs.sort((a, b) => a.lcn - b.lcn || a.record - b.record);
  return { runs, runsComplete, damaged, orphanExtensions, linkCounts, sizes, baseSequence, isDirectory, nameCount: namesAll, nameHash, parents, directories, extensionsOf, observed: observer.finish() };
}
