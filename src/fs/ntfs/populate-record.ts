// The MFT record of one copied file or directory (populate-plan.ts decided its number, names and clusters), and
// the $FILE_NAME values its parents' $I30 entries carry: the same bytes in both places, as every checker compares.
// - $STANDARD_INFORMATION (72-byte NTFS 3 form): created, MFT-changed and accessed = the copy's timestamp,
//   modified = the source's; ARCHIVE (and READONLY from the mode) for files, nothing for directories (as Windows
//   stores them); the security id of the inherited descriptor (inherited-security.ts).
// - $FILE_NAME per name, in the POSIX namespace (see COPIED_NAME_NAMESPACE); sizes as ntfs-3g
//   writes them (resident data: its length rounded to 8; non-resident: the clusters'; directories: 0).
// - files: resident or non-resident unnamed $DATA; a sparse one (populate-plan.ts) as ntfs-3g writes a sparse file:
//   ATTR_FLAG.IS_SPARSE, the 0x48-byte header with compression unit 4 and compressed size = the clusters its runs
//   allocate, FILE_ATTR.SPARSE_FILE in $STANDARD_INFORMATION and in every $FILE_NAME, whose allocated size is then
//   the compressed size (what Windows and ntfs-3g report as the file's allocation); directories: $INDEX_ROOT (+ $INDEX_ALLOCATION, $BITMAP) "$I30".
import { ATTR_FLAG, ATTR_TYPE, FILE_ATTR, FILE_NAME_NAMESPACE, MFT_RECORD_FLAG, RESIDENT_ATTR_IS_INDEXED, SYSTEM_FILE } from './attribute-types.js';
import {
  encodeNonResidentAttributeInto, encodeResidentAttribute, encodeResidentAttributeHeaderInto, encodeResidentAttributeInto, nonResidentAttributeBytes, residentAttributeBytes, residentValueOffset,
  type NonResidentAttributeInput,
} from './attributes/attribute-header.js';
import { encodeFileName, encodeFileNameInto, fileNameBytes, type FileName } from './attributes/file-name.js';
import { STANDARD_INFORMATION, encodeStandardInformation, encodeStandardInformationInto, standardInformationBytes, type StandardInformation } from './attributes/standard-information.js';
import { buildDirectoryIndex, type DirectoryIndex } from './directory-index.js';
import { FILE_INDEX_ENTRY_HEADER, encodeFileIndexEntryInto } from './index-entry.js';
import { COPIED_DIRECTORY_SECURITY_ID, COPIED_FILE_SECURITY_ID } from './inherited-security.js';
import { MFT_END_MARKER_BYTES, checkMftRecordFits, encodeMftRecordAround, mftAttrsOffset } from './mft-record.js';
import { encodeMftRef, encodeNtfsTime } from './ntfs-time.js';
import { compareNtfsNames } from './upcase.js';
import { FIRST_USER_RECORD, USER_SEQUENCE_NUMBER, allocatedClusters, dataRuns, childItems, indexEntryBytes, indexRootRoomBytes, namesOf, type NtfsPopulation, type PlacedFile, type PlacedItem, type PlacedName } from './populate-plan.js';
import { listedFileOfExtension } from './populate-extension.js';
import { encodeListedRecord, type ListedRecordParts } from './populate-extension-record.js';
import type { TreeDir } from '../../disk-types.js';

const I30 = '$I30';
/**
 * Every copied name is in the POSIX namespace, as Windows 10 writes names on a data volume, where it makes no
 * short names: every user file and directory of the Windows-made volumes in the test corpus (ntfs-lastaccess,
 * ntfs-ptrn: "1.txt", "test", even the 8.3-shaped "$RECYCLE.BIN") has one POSIX $FILE_NAME. A Win32 name without
 * a DOS companion is what Windows writes only with short names on, and ntfs-3g cannot unlink one (ntfs_delete
 * looks for the DOS name it expects beside it and fails with ENOENT), so renames and deletes on Linux would fail.
 */
const COPIED_NAME_NAMESPACE = FILE_NAME_NAMESPACE.POSIX;
const align8 = (n: number): number => (n + 7) & ~7;

export interface RecordContext {
  readonly mftRecordSize: number;
  readonly clusterSize: number;
  readonly indexRecordSize: number;
  /** Unix seconds: the copy's creation time */
  readonly timestamp: number;
  readonly upcase: Uint8Array;
  readonly population: NtfsPopulation;
}

function sequenceOf(record: number): number {
  return record === SYSTEM_FILE.ROOT ? SYSTEM_FILE.ROOT : USER_SEQUENCE_NUMBER;
}

function fileAttributesOf(item: PlacedItem): number {
  if (item.kind === 'dir') return 0;
  return FILE_ATTR.ARCHIVE | (item.node.readOnly ? FILE_ATTR.READONLY : 0) | (item.dataExtents ? FILE_ATTR.SPARSE_FILE : 0);
}

/** The $FILE_NAME of `item` under one of its names (`created`, `modified`: encodeNtfsTime of the copy's timestamp
 *  and of the item's mtime, made once per record or entry). */
function fileNameOf(item: PlacedItem, name: PlacedName, ctx: RecordContext, created: Uint8Array, modified: Uint8Array): FileName {
  let allocatedSize = 0;
  let dataSize = 0;
  if (item.kind === 'file') {
    dataSize = item.node.sizeBytes;
    allocatedSize = item.resident ? align8(dataSize) : allocatedClusters(item) * ctx.clusterSize;
  }
  return {
    parentDirectory: encodeMftRef(name.parentRecord, sequenceOf(name.parentRecord)),
    creationTime: created,
    lastDataChangeTime: modified,
    lastMftChangeTime: created,
    lastAccessTime: created,
    allocatedSize,
    dataSize,
    fileAttributes: item.kind === 'dir' ? FILE_ATTR.I30_INDEX_PRESENT : fileAttributesOf(item),
    reparsePointTag: 0,
    fileNameType: COPIED_NAME_NAMESPACE,
    fileName: name.name,
  };
}

/** The $FILE_NAME value of `item` under one of its names. */
export function fileNameValue(item: PlacedItem, name: PlacedName, ctx: RecordContext): Uint8Array {
  return encodeFileName(fileNameOf(item, name, ctx, encodeNtfsTime(ctx.timestamp), encodeNtfsTime(item.node.mtime)));
}

/** A directory's $I30 entries for its copied children, in $UpCase collation order, with their names. */
export function childIndexEntries(dir: TreeDir, record: number, ctx: RecordContext): { name: string; entry: Uint8Array }[] {
  // All entries encoded in place in one buffer: a directory of 100,000 names is one allocation, not 200,000.
  const shared = new Uint8Array(dir.entries.reduce((n, node) => n + indexEntryBytes(node.name), 0));
  const items = childItems(ctx.population, dir, record);
  const created = encodeNtfsTime(ctx.timestamp);
  let at = 0;
  const out = dir.entries.map((node, i) => {
    const item = items[i];
    const length = encodeFileIndexEntryInto(encodeMftRef(item.record, USER_SEQUENCE_NUMBER), fileNameBytes(node.name), shared, at);
    encodeFileNameInto(fileNameOf(item, { parentRecord: record, name: node.name }, ctx, created, encodeNtfsTime(item.node.mtime)), shared, at + FILE_INDEX_ENTRY_HEADER.sizeBytes);
    const entry = shared.subarray(at, at + length);
    at += length;
    return { name: node.name, entry };
  });
  return out.sort((a, b) => compareNtfsNames(ctx.upcase, a.name, b.name));
}

/** What a directory's record takes from its index: the $INDEX_ROOT value, the $BITMAP value and the block count
 *  (not the blocks themselves, which are written on their own). */
export interface IndexRecordValues {
  readonly rootValue: Uint8Array;
  readonly bitmap: Uint8Array | null;
  readonly blockCount: number;
}

export function indexRecordValues(index: DirectoryIndex): IndexRecordValues {
  return { rootValue: index.rootValue, bitmap: index.bitmap, blockCount: index.blocks.length };
}

/** A directory's index, built from its children's entries (the same block count the plan counted). */
export function directoryIndexOf(item: Extract<PlacedItem, { kind: 'dir' }>, ctx: RecordContext): DirectoryIndex {
  const entries = childIndexEntries(item.node, item.record, ctx).map((e) => e.entry);
  const index = buildDirectoryIndex({
    entries,
    indexBlockSize: ctx.indexRecordSize,
    clusterSize: ctx.clusterSize,
    rootRoomBytes: indexRootRoomBytes(ctx.mftRecordSize, namesOf(item), item.indexBlocks),
  });
  if (index.blocks.length !== item.indexBlocks) {
    throw new Error(`internal: directory ${item.node.name} has ${index.blocks.length} index blocks, planned ${item.indexBlocks}`);
  }
  return index;
}

/** Bytes the attributes of `item`'s record take (header and end marker excluded). */
function populatedAttributesBytes(item: PlacedItem, names: readonly PlacedName[], ctx: RecordContext, index: IndexRecordValues | null): number {
  let bytes = residentAttributeBytes('', STANDARD_INFORMATION.sizeBytes);
  for (const name of names) bytes += residentAttributeBytes('', fileNameBytes(name.name));
  if (item.kind === 'file') return bytes + (item.resident ? residentAttributeBytes('', item.node.sizeBytes) : nonResidentAttributeBytes(dataAttribute(item, ctx, 0)));
  bytes += residentAttributeBytes(I30, index!.rootValue.length);
  if (index!.blockCount > 0) bytes += nonResidentAttributeBytes(indexAllocationAttribute(item, ctx, index!, 0)) + residentAttributeBytes(I30, index!.bitmap!.length);
  return bytes;
}

function dataAttribute(item: Extract<PlacedItem, { kind: 'file' }>, ctx: RecordContext, instance: number): NonResidentAttributeInput {
  return {
    type: ATTR_TYPE.DATA,
    instance,
    runs: dataRuns(item),
    allocatedSize: item.clusters * ctx.clusterSize,
    dataSize: item.node.sizeBytes,
    initializedSize: item.node.sizeBytes,
    flags: item.dataExtents ? ATTR_FLAG.IS_SPARSE : 0,
    compressedSize: item.dataExtents ? allocatedClusters(item) * ctx.clusterSize : undefined,
  };
}

function indexAllocationAttribute(item: Extract<PlacedItem, { kind: 'dir' }>, ctx: RecordContext, index: IndexRecordValues, instance: number): NonResidentAttributeInput {
  const dataSize = index.blockCount * ctx.indexRecordSize;
  return {
    type: ATTR_TYPE.INDEX_ALLOCATION,
    name: I30,
    instance,
    runs: item.indexRuns,
    allocatedSize: item.indexRuns.reduce((n, r) => n + r.length, 0) * ctx.clusterSize,
    dataSize,
    initializedSize: dataSize,
  };
}

function standardInformationOf(item: PlacedItem, created: Uint8Array, modified: Uint8Array): StandardInformation {
  return {
    creationTime: created,
    lastDataChangeTime: modified,
    lastMftChangeTime: created,
    lastAccessTime: created,
    fileAttributes: fileAttributesOf(item),
    maximumVersions: 0,
    versionNumber: 0,
    classId: 0,
    ownerId: 0,
    securityId: item.kind === 'dir' ? COPIED_DIRECTORY_SECURITY_ID : COPIED_FILE_SECURITY_ID,
    quotaCharged: 0,
    usn: 0,
  };
}

/** What populate-extension-record.ts needs to encode the records of a file with an attribute list. */
function listedParts(item: PlacedFile, ctx: RecordContext): ListedRecordParts {
  const si = standardInformationOf(item, encodeNtfsTime(ctx.timestamp), encodeNtfsTime(item.node.mtime));
  return {
    mftRecordSize: ctx.mftRecordSize,
    clusterSize: ctx.clusterSize,
    standardInformation: (instance) => encodeResidentAttribute({ type: ATTR_TYPE.STANDARD_INFORMATION, instance, value: encodeStandardInformation(si) }),
    fileNameValue: (name) => fileNameValue(item, name, ctx),
  };
}

/** Record `record` when it is an extension record of a file with an attribute list (else null), in `into`. */
export function encodeExtensionRecord(record: number, ctx: RecordContext, into?: Uint8Array): Uint8Array | null {
  const listed = listedFileOfExtension(ctx.population.extensions, record);
  if (!listed) return null;
  const file = ctx.population.items[listed.base - FIRST_USER_RECORD] as PlacedFile;
  return encodeListedRecord(file, listed, record, listedParts(file, ctx), into);
}

/**
 * The record of `item`; `content` is a resident file's data (zeros stand in when it is not read yet); made in
 * `into` when given (zeros, one record long). The attributes are encoded straight into the record, in record order
 * ($STANDARD_INFORMATION, each $FILE_NAME, then $DATA or the $I30 attributes), with no array of their own.
 */
export function encodePopulatedRecord(item: PlacedItem, ctx: RecordContext, content: Uint8Array | null, index: IndexRecordValues | null, into?: Uint8Array): Uint8Array {
  const listed = ctx.population.extensions.byBase.get(item.record);
  if (listed && item.kind === 'file') return encodeListedRecord(item, listed, item.record, listedParts(item, ctx), into);
  const out = into ?? new Uint8Array(ctx.mftRecordSize);
  const created = encodeNtfsTime(ctx.timestamp);
  const modified = encodeNtfsTime(item.node.mtime);
  const names = namesOf(item);
  const idx = item.kind === 'dir' ? index ?? indexRecordValues(directoryIndexOf(item, ctx)) : null;
  const header = {
    recordSize: ctx.mftRecordSize,
    recordNumber: item.record,
    sequenceNumber: USER_SEQUENCE_NUMBER,
    linkCount: names.length,
    flags: MFT_RECORD_FLAG.IN_USE | (item.kind === 'dir' ? MFT_RECORD_FLAG.IS_DIRECTORY : 0),
    nextAttrInstance: 0,
  };
  const attrsOffset = mftAttrsOffset(ctx.mftRecordSize);
  checkMftRecordFits(header, attrsOffset + populatedAttributesBytes(item, names, ctx, idx) + MFT_END_MARKER_BYTES);
  let at = attrsOffset;
  let instance = 0;
  const si = standardInformationOf(item, created, modified);
  const siLength = encodeResidentAttributeHeaderInto({ type: ATTR_TYPE.STANDARD_INFORMATION, instance: instance++, valueLength: standardInformationBytes(si) }, out, at);
  encodeStandardInformationInto(si, out, at + residentValueOffset(''));
  at += siLength;
  for (const name of names) {
    const length = encodeResidentAttributeHeaderInto({ type: ATTR_TYPE.FILE_NAME, instance: instance++, valueLength: fileNameBytes(name.name), residentFlags: RESIDENT_ATTR_IS_INDEXED }, out, at);
    encodeFileNameInto(fileNameOf(item, name, ctx, created, modified), out, at + residentValueOffset(''));
    at += length;
  }
  if (item.kind === 'file') {
    if (item.resident) {
      const length = encodeResidentAttributeHeaderInto({ type: ATTR_TYPE.DATA, instance: instance++, valueLength: item.node.sizeBytes }, out, at);
      if (content) out.set(content, at + residentValueOffset(''));
      at += length;
    } else {
      at += encodeNonResidentAttributeInto(dataAttribute(item, ctx, instance++), out, at);
    }
  } else {
    at += encodeResidentAttributeInto({ type: ATTR_TYPE.INDEX_ROOT, name: I30, instance: instance++, value: idx!.rootValue }, out, at);
    if (idx!.blockCount > 0) {
      at += encodeNonResidentAttributeInto(indexAllocationAttribute(item, ctx, idx!, instance++), out, at);
      at += encodeResidentAttributeInto({ type: ATTR_TYPE.BITMAP, name: I30, instance: instance++, value: idx!.bitmap! }, out, at);
    }
  }
  return encodeMftRecordAround({ ...header, nextAttrInstance: instance }, at, out);
}
