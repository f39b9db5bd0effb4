// The records of a copied file with an attribute list (populate-extension.ts placed its attributes): the base record
// ($STANDARD_INFORMATION, $ATTRIBUTE_LIST, what else fits) and its extension records, and the list's clusters when
// it is non-resident. As ntfs-3g writes them (libntfs attrib.c ntfs_non_resident_attr_record_add, mft.c
// ntfs_mft_record_format):
// - an extension record: in use, not a directory, link count 0, its base record's MFT_REF (with sequence number) in
//   base_mft_record, and next_attr_instance past the instances it holds (placeOf numbers them across the file);
// - a $DATA extent after the first: lowest and highest VCN of its own runs, whose LCN deltas start again from 0
//   (each attribute record's mapping pairs decode alone), and zero sizes (only the VCN-0 extent carries allocated,
//   data, initialized and compressed sizes); a sparse attribute's extents all have the 0x48-byte header and the
//   first one's compression unit (ntfs-3g leaves 0 in later extents and reads only the first's: one value per
//   attribute is what every reader can agree with);
// - each list entry: type, lowest VCN, the holding record's MFT_REF and the attribute's instance there.
import { ATTR_FLAG, ATTR_TYPE, MFT_RECORD_FLAG, RESIDENT_ATTR_IS_INDEXED } from './attribute-types.js';
import { encodeNonResidentAttribute, encodeResidentAttribute, type EncodedAttribute } from './attributes/attribute-header.js';
import { encodeAttributeList, type AttributeListEntry } from './attributes/attribute-list.js';
import { encodeMftRecord, encodeMftRecordInto } from './mft-record.js';
import { encodeMftRef } from './ntfs-time.js';
import { ATTRIBUTE_LIST_INSTANCE, STANDARD_INFORMATION_INSTANCE, attributesOf, placeOf, runsIn, type ListedFile } from './populate-extension.js';
import { USER_SEQUENCE_NUMBER, allocatedClusters, dataRuns, namesOf, type PlacedFile, type PlacedName } from './populate-plan.js';
import type { Chunk } from '../../disk-types.js';

/** What the record encoder (populate-record.ts) makes of a file: the values shared with records without a list. */
export interface ListedRecordParts {
  readonly mftRecordSize: number;
  readonly clusterSize: number;
  standardInformation(instance: number): EncodedAttribute;
  fileNameValue(name: PlacedName): Uint8Array;
}

/** The list value: $STANDARD_INFORMATION, then every other attribute in its place (already in list order). */
export function attributeListValue(listed: ListedFile): Uint8Array {
  const entry = (type: number, lowestVcn: number, at: { record: number; instance: number }): AttributeListEntry => ({
    type, name: '', lowestVcn, recordNumber: at.record, sequenceNumber: USER_SEQUENCE_NUMBER, instance: at.instance,
  });
  const entries = [entry(ATTR_TYPE.STANDARD_INFORMATION, 0, { record: listed.base, instance: STANDARD_INFORMATION_INSTANCE })];
  for (let i = 0; i < listed.nameCount; i++) entries.push(entry(ATTR_TYPE.FILE_NAME, 0, placeOf(listed, i)));
  listed.dataExtents.forEach((range, k) => entries.push(entry(ATTR_TYPE.DATA, range.vcn, placeOf(listed, listed.nameCount + k))));
  return encodeAttributeList(entries);
}

/** Attribute `i` of a listed file ($FILE_NAME of a name, or a $DATA extent) with `instance`. */
function listedAttribute(file: PlacedFile, listed: ListedFile, i: number, instance: number, parts: ListedRecordParts, names: readonly PlacedName[]): EncodedAttribute {
  if (i < listed.nameCount) {
    return encodeResidentAttribute({ type: ATTR_TYPE.FILE_NAME, instance, value: parts.fileNameValue(names[i]), residentFlags: RESIDENT_ATTR_IS_INDEXED });
  }
  const k = i - listed.nameCount;
  const range = listed.dataExtents[k];
  const first = k === 0;
  const cs = parts.clusterSize;
  return encodeNonResidentAttribute({
    type: ATTR_TYPE.DATA,
    instance,
    runs: runsIn(dataRuns(file), range),
    lowestVcn: range.vcn,
    allocatedSize: first ? file.clusters * cs : 0,
    dataSize: first ? file.node.sizeBytes : 0,
    initializedSize: first ? file.node.sizeBytes : 0,
    ...(file.dataExtents ? { flags: ATTR_FLAG.IS_SPARSE, compressedSize: first ? allocatedClusters(file) * cs : 0 } : {}),
  });
}

/** The $ATTRIBUTE_LIST attribute of the base record: the value itself, or its clusters' runs. */
function attributeListAttribute(listed: ListedFile, cs: number): EncodedAttribute {
  if (listed.listResident) return encodeResidentAttribute({ type: ATTR_TYPE.ATTRIBUTE_LIST, instance: ATTRIBUTE_LIST_INSTANCE, value: attributeListValue(listed) });
  return encodeNonResidentAttribute({
    type: ATTR_TYPE.ATTRIBUTE_LIST,
    instance: ATTRIBUTE_LIST_INSTANCE,
    runs: listed.listRuns,
    allocatedSize: listed.listRuns.reduce((n, r) => n + r.length, 0) * cs,
    dataSize: listed.listBytes,
    initializedSize: listed.listBytes,
  });
}

/** Record `record` (the base record or one of its extension records) of a listed file, in `into` when given. */
export function encodeListedRecord(file: PlacedFile, listed: ListedFile, record: number, parts: ListedRecordParts, into?: Uint8Array): Uint8Array {
  const names = namesOf(file);
  const isBase = record === listed.base;
  const attributes: EncodedAttribute[] = isBase ? [parts.standardInformation(STANDARD_INFORMATION_INSTANCE), attributeListAttribute(listed, parts.clusterSize)] : [];
  const { from, to } = attributesOf(listed, record);
  let nextInstance = ATTRIBUTE_LIST_INSTANCE + 1;
  for (let i = from; i < to; i++) {
    const { instance } = placeOf(listed, i);
    attributes.push(listedAttribute(file, listed, i, instance, parts, names));
    nextInstance = instance + 1;
  }
  const input = {
    recordSize: parts.mftRecordSize,
    recordNumber: record,
    sequenceNumber: USER_SEQUENCE_NUMBER,
    linkCount: isBase ? names.length : 0,
    flags: MFT_RECORD_FLAG.IN_USE,
    nextAttrInstance: nextInstance,
    ...(isBase ? {} : { baseMftRecord: encodeMftRef(listed.base, USER_SEQUENCE_NUMBER) }),
    attributes,
  };
  return into ? encodeMftRecordInto(input, into) : encodeMftRecord(input);
}

/** A non-resident list's value over its clusters (the slack of the last one as zeros). */
export function* attributeListChunks(listed: ListedFile, clusterSize: number): Generator<Chunk> {
  if (listed.listResident) return;
  const value = attributeListValue(listed);
  let at = 0;
  for (const run of listed.listRuns) {
    const length = run.length * clusterSize;
    const part = value.subarray(Math.min(at, value.length), Math.min(at + length, value.length));
    if (part.length > 0) yield { offsetBytes: run.lcn! * clusterSize, bytes: part };
    if (part.length < length) yield { offsetBytes: run.lcn! * clusterSize + part.length, zeroBytes: length - part.length };
    at += length;
  }
}
