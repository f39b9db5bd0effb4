// Every directory's $I30 index walked in order (root, then each child INDX block through $INDEX_ALLOCATION), after
// the MFT walk (ntfs-mft-walk.ts): entries in $UpCase order, each naming an in-use record of the same sequence
// number, each block used with its $I30 $BITMAP bit set; and per file, the count and summed hashes of the entries
// that name it, to compare with its own $FILE_NAME attributes. Memory: a few bytes a record plus the nodes on the
// current path of one directory.
import { GuestdiskError } from '../errors.js';
import { ATTR_TYPE, INDEX_ENTRY_FLAG, INDEX_NAME, SYSTEM_FILE } from '../fs/ntfs/attribute-types.js';
import { decodeAttributes, type DecodedAttribute } from '../fs/ntfs/attributes/attribute-header.js';
import { FILE_INDEX_ENTRY_HEADER, splitIndexEntries } from '../fs/ntfs/index-entry.js';
import { decodeIndexBlock, decodeIndexRoot } from '../fs/ntfs/index-node.js';
import { decodeMftRecord } from '../fs/ntfs/mft-record.js';
import { decodeMftRef } from '../fs/ntfs/ntfs-time.js';
import { decodeRunlist, type Run } from '../fs/ntfs/runlist.js';
import { buildUpcaseTable, upcaseUnit, UPCASE_TABLE_SIZE_BYTES } from '../fs/ntfs/upcase.js';
import { noteUnreachedIndexBlocks } from './ntfs-index-block-checks.js';
import { fileNameIdentity, MAX_EXAMPLES, mftWalkOf, nameHashOf, type Examples, type MftWalk, type RecordProblem } from './ntfs-mft-walk.js';
import { createBlockCache } from '../target/block-cache.js';
import { dataOf, errText, MAX_RUNS, readStream, streamBytes, type ByteReader, type NtfsSystemFiles } from './ntfs-volume-files.js';

/** B+ trees of NTFS directories are a few levels deep; deeper is a loop in damaged data. */
const MAX_INDEX_DEPTH = 32;
const MAX_NODE_ENTRIES = 8192;
/**
 * Index blocks are read through a cache of pieces this large: a directory's blocks mostly lie side by side, so one
 * read brings dozens of them (a read per 4 KiB block made the walk wait on I/O). Memory: INDEX_CACHE_PIECES of them.
 */
const INDEX_CACHE_PIECE_BYTES = 256 * 1024;
const INDEX_CACHE_PIECES = 16;

export interface IndexWalk {
  /** Index roots or blocks that cannot be decoded (or are reached twice). */
  readonly damaged: Examples<RecordProblem>;
  /** Entries naming a free record, an extension record, or another sequence number. */
  readonly orphanEntries: Examples<RecordProblem>;
  /** Entries out of $UpCase order. */
  readonly order: Examples<RecordProblem>;
  /** Blocks an index uses whose $I30 $BITMAP bit is clear. */
  readonly bitmap: Examples<RecordProblem>;
  /** Blocks the $I30 $BITMAP marks in use that no node reaches (ntfs-index-block-checks.ts). */
  readonly unreached: Examples<RecordProblem>;
  /** Files with names no index holds. */
  readonly notIndexed: Examples<RecordProblem>;
  /** Files whose entries do not match their names (another parent, name or namespace, or an extra entry). */
  readonly mismatched: Examples<RecordProblem>;
  /** $FILE_NAME parent references to a record that is not an in-use directory of that sequence number. */
  readonly parents: Examples<RecordProblem>;
}

const walks = new WeakMap<NtfsSystemFiles, Promise<IndexWalk | null>>();

/** The index walk of `sf`'s volume (null when the MFT walk could not see every record), made once. */
export function indexWalkOf(sf: NtfsSystemFiles): Promise<IndexWalk | null> {
  let walk = walks.get(sf);
  if (!walk) walks.set(sf, (walk = walkIndexes(sf)));
  return walk;
}

const examples = <T>(): Examples<T> => ({ count: 0, first: [] });
function note(e: Examples<RecordProblem>, record: number, why: string): void {
  if (e.count++ < MAX_EXAMPLES) e.first.push({ record, why });
}

/** The $I30 attributes of a directory, from its base record and its extension records. */
async function directoryAttributes(sf: NtfsSystemFiles, walk: MftWalk, dir: number): Promise<DecodedAttribute[]> {
  const out: DecodedAttribute[] = [];
  for (const n of [dir, ...(walk.extensionsOf.get(dir) ?? [])]) {
    const kept = walk.directoryRecords.get(n);
    if (kept) {
      out.push(...decodeAttributes(kept.record, kept.attrsOffset, kept.bytesInUse).filter((a) => a.name === INDEX_NAME.I30));
      continue;
    }
    const bytes = await sf.readRecord(n);
    if (!bytes) continue;
    const { header, record } = decodeMftRecord(bytes, sf.g.mftRecordSize);
    out.push(...decodeAttributes(record, header.attrsOffset, header.bytesInUse).filter((a) => a.name === INDEX_NAME.I30));
  }
  return out;
}

/** The runs of a non-resident attribute split over several records, in VCN order. */
function joinedRuns(pieces: readonly DecodedAttribute[]): Run[] {
  return [...pieces].sort((a, b) => a.nonResident!.header.lowestVcn - b.nonResident!.header.lowestVcn)
    .flatMap((a) => decodeRunlist(a.nonResident!.mappingPairs, MAX_RUNS));
}

/** -1, 0, 1: names compared unit by unit through $UpCase (the part of $I30 order every writer agrees on). */
function compareIgnoringCase(upcase: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length) >> 1;
  for (let i = 0; i < n; i++) {
    const ua = upcaseUnit(upcase, a[2 * i] | (a[2 * i + 1] << 8));
    const ub = upcaseUnit(upcase, b[2 * i] | (b[2 * i + 1] << 8));
    if (ua !== ub) return ua < ub ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

async function walkIndexes(sf: NtfsSystemFiles): Promise<IndexWalk | null> {
  const walk = await mftWalkOf(sf);
  if (!walk.runsComplete) return null;
  const count = sf.mftRecordCount;
  const upcase = (await streamBytes(sf.volume, dataOf(sf, SYSTEM_FILE.UP_CASE), sf.g.clusterSize, UPCASE_TABLE_SIZE_BYTES).catch(() => null)) ?? buildUpcaseTable();
  const indexCount = new Uint16Array(count);
  const indexHash = new Uint32Array(count);
  const result: IndexWalk = { damaged: examples(), orphanEntries: examples(), order: examples(), bitmap: examples(), unreached: examples(), notIndexed: examples(), mismatched: examples(), parents: examples() };
  let everyIndexRead = true;
  const blocks = createBlockCache(sf.volume, INDEX_CACHE_PIECE_BYTES, INDEX_CACHE_PIECES);
  for (const dir of walk.directories) {
    try {
      await walkDirectory(sf, blocks, walk, dir, upcase, result, indexCount, indexHash);
    } catch (e) {
      note(result.damaged, dir, errText(e));
      everyIndexRead = false;
    }
  }
  // A directory whose index root sits outside its base record was not walked: its files would look unindexed.
  const walked = new Set(walk.directories);
  for (let n = 0; n < count && everyIndexRead; n++) if (walk.isDirectory[n] && walk.baseSequence[n] !== 0 && !walked.has(n)) everyIndexRead = false;
  if (everyIndexRead) {
    for (let n = 0; n < count; n++) {
      if (walk.baseSequence[n] === 0 || walk.nameCount[n] === 0) continue;
      if (indexCount[n] < walk.nameCount[n]) note(result.notIndexed, n, `${walk.nameCount[n]} names, ${indexCount[n]} index entries`);
      else if (indexCount[n] !== walk.nameCount[n] || indexHash[n] !== walk.nameHash[n]) note(result.mismatched, n, `${walk.nameCount[n]} names, ${indexCount[n]} index entries that do not all match them`);
    }
  }
  for (let i = 0; i < walk.parents.length; i += 3) {
    const [child, parent, sequence] = [walk.parents[i], walk.parents[i + 1], walk.parents[i + 2]];
    const known = parent < count ? walk.baseSequence[parent] : 0;
    if (known === 0 || !walk.isDirectory[parent]) note(result.parents, child, `its parent record ${parent} is not an in-use directory`);
    else if (known - 1 !== sequence) note(result.parents, child, `its parent reference to record ${parent} has sequence number ${sequence}, the record ${known - 1}`);
  }
  return result;
}

async function walkDirectory(sf: NtfsSystemFiles, blocks: ByteReader, walk: MftWalk, dir: number, upcase: Uint8Array, out: IndexWalk, indexCount: Uint16Array, indexHash: Uint32Array): Promise<void> {
  const attrs = await directoryAttributes(sf, walk, dir);
  const rootAttr = attrs.find((a) => a.type === ATTR_TYPE.INDEX_ROOT && a.resident);
  if (!rootAttr?.resident) throw new GuestdiskError('CORRUPT_STRUCTURE', 'unreachable: the MFT walk saw an $I30 root');
  const root = decodeIndexRoot(rootAttr.resident.value);
  const allocation = attrs.filter((a) => a.type === ATTR_TYPE.INDEX_ALLOCATION && a.nonResident);
  const allocationRuns = allocation.length > 0 ? joinedRuns(allocation) : [];
  const blockSize = root.root.indexBlockSize;
  const vcnBytes = blockSize >= sf.g.clusterSize ? sf.g.clusterSize : 512;
  const bitmapAttr = attrs.find((a) => a.type === ATTR_TYPE.BITMAP);
  const allocationBytes = allocation.reduce((n, a) => Math.max(n, a.nonResident!.header.dataSize), 0);
  const bitmap = bitmapAttr ? await streamBytes(sf.volume, bitmapAttr, sf.g.clusterSize, Math.ceil(allocationBytes / blockSize / 8) + 8) : null;
  const visited = new Set<number>();
  let previous: Uint8Array | null = null;

  const readBlock = async (vcn: number): Promise<Uint8Array> => {
    if (visited.has(vcn)) throw new GuestdiskError('CORRUPT_STRUCTURE', `index block at VCN ${vcn} is reached twice`);
    visited.add(vcn);
    const block = Math.floor(vcn * vcnBytes / blockSize);
    if (!bitmap || block >> 3 >= bitmap.length || (bitmap[block >> 3] & (1 << (block & 7))) === 0) note(out.bitmap, dir, `index block ${block} (VCN ${vcn}) is used but its $BITMAP bit is clear`);
    const bytes = allocationRuns.length > 0 ? await readStream(blocks, allocationRuns, sf.g.clusterSize, vcn * vcnBytes, blockSize) : null;
    if (!bytes) throw new GuestdiskError('CORRUPT_STRUCTURE', `index block at VCN ${vcn} is not mapped by $INDEX_ALLOCATION`);
    return decodeIndexBlock(bytes, blockSize).entries;
  };

  const visitEntry = (entry: { header: { indexedFile: Uint8Array; keyLength: number }; bytes: Uint8Array }): void => {
    const key = entry.bytes.subarray(FILE_INDEX_ENTRY_HEADER.sizeBytes, FILE_INDEX_ENTRY_HEADER.sizeBytes + entry.header.keyLength);
    const id = fileNameIdentity(key);
    if (!id) throw new GuestdiskError('CORRUPT_STRUCTURE', `an entry's $FILE_NAME key of ${key.length} bytes is cut short`);
    if (previous && compareIgnoringCase(upcase, previous, id.name) > 0) note(out.order, dir, 'an entry sorts before the one ahead of it');
    previous = id.name;
    const ref = decodeMftRef(entry.header.indexedFile);
    const known = ref.recordNumber < walk.baseSequence.length ? walk.baseSequence[ref.recordNumber] : 0;
    if (known === 0) return note(out.orphanEntries, dir, `an entry names record ${ref.recordNumber}, which is not an in-use base record`);
    if (known - 1 !== ref.sequenceNumber) return note(out.orphanEntries, dir, `an entry names record ${ref.recordNumber} with sequence number ${ref.sequenceNumber}, the record has ${known - 1}`);
    indexCount[ref.recordNumber]++;
    indexHash[ref.recordNumber] = (indexHash[ref.recordNumber] + nameHashOf(id.parent.recordNumber, id.namespace, id.name)) >>> 0;
  };

  const walkNode = async (entries: Uint8Array, depth: number): Promise<void> => {
    if (depth > MAX_INDEX_DEPTH) throw new GuestdiskError('CORRUPT_STRUCTURE', `index deeper than ${MAX_INDEX_DEPTH} levels`);
    for (const entry of splitIndexEntries(entries, MAX_NODE_ENTRIES)) {
      if (entry.header.ieFlags & INDEX_ENTRY_FLAG.NODE) {
        const vcn = new DataView(entry.bytes.buffer, entry.bytes.byteOffset, entry.bytes.length).getBigUint64(entry.bytes.length - 8, true);
        if (vcn > BigInt(Number.MAX_SAFE_INTEGER)) throw new GuestdiskError('CORRUPT_STRUCTURE', `child VCN ${vcn} is beyond 2^53`);
        await walkNode(await readBlock(Number(vcn)), depth + 1);
      }
      if (entry.header.ieFlags & INDEX_ENTRY_FLAG.END) return;
      visitEntry(entry);
    }
  };
  await walkNode(root.entries, 0);
  noteUnreachedIndexBlocks({ dir, bitmap, reachedVcns: visited, blockSize, vcnBytes, allocationBytes }, out.unreached);
}
