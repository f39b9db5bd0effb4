// Patching one non-resident attribute of an MFT record in place: new runs and sizes, the rest of the record kept
// byte for byte (ntfs-3g layout.h ATTR_RECORD; libyal "NTFS" §"The attribute header"). Growing a volume changes
// only $Bitmap's unnamed $DATA (record 6) and $BadClus's $Bad (record 8); every other field, name, flag and
// attribute of those records stays as Windows, mkntfs or we wrote it.
import { GuestdiskError } from '../../errors.js';
import { readUint, writeIntN } from '../../binary/fields.js';
import { decodeAttributes, NON_RESIDENT_ATTRIBUTE_HEADER } from './attributes/attribute-header.js';
import { applyFixups } from './fixup.js';
import { decodeMftRecord, MFT_RECORD_HEADER } from './mft-record.js';
import { encodeRunlist, type Run } from './runlist.js';

/** ATTR_IS_COMPRESSED | ATTR_IS_SPARSE (layout.h ATTR_FLAGS): such headers carry compressed_size at 0x40. */
const ATTR_COMPRESSED_OR_SPARSE = 0x0001 | 0x8000;
const COMPRESSED_SIZE_OFFSET = 0x40;

export interface NonResidentPatch {
  readonly type: number;
  readonly name: string;
  readonly runs: readonly Run[];
  readonly allocatedSize: number;
  readonly dataSize: number;
  readonly initializedSize: number;
  /** For compressed_size, which counts allocated (non-sparse) clusters in bytes. */
  readonly clusterSize: number;
}

const align8 = (n: number): number => (n + 7) & ~7;

/** The next update sequence number after `usn` (1..0xfffe: 0 and 0xffff are never used, as ntfs-3g). */
function nextUsn(usn: number): number {
  return usn >= 0xfffe || usn < 1 ? 1 : usn + 1;
}

/** Clusters the runs map (sparse runs included): what highestVcn + 1 must equal. */
export function runClusters(runs: readonly Run[]): number {
  return runs.reduce((n, r) => n + r.length, 0);
}

/** Clusters actually allocated by the runs (sparse runs excluded). */
function allocatedClusters(runs: readonly Run[]): number {
  return runs.reduce((n, r) => n + (r.lcn === null ? 0 : r.length), 0);
}

/**
 * `protectedRecord` (as read from disk) with the attribute `type`/`name` given new runs and sizes; the result is
 * protected again with the next update sequence number. Throws CORRUPT_STRUCTURE when the attribute is missing,
 * resident, or not the only extent of its stream (lowest VCN ≠ 0), and INVALID_SPEC when the longer mapping
 * pairs no longer fit the record.
 */
export function patchNonResidentAttribute(protectedRecord: Uint8Array, recordSize: number, patch: NonResidentPatch): Uint8Array {
  const { header, record } = decodeMftRecord(protectedRecord, recordSize);
  const what = `MFT record ${header.mftRecordNumber} attribute 0x${patch.type.toString(16)}${patch.name ? ` "${patch.name}"` : ''}`;
  const attr = decodeAttributes(record, header.attrsOffset, header.bytesInUse).find((a) => a.type === patch.type && a.name === patch.name);
  if (!attr?.nonResident) throw new GuestdiskError('CORRUPT_STRUCTURE', `${what}: not found, or not non-resident`);
  const old = attr.nonResident.header;
  if (old.lowestVcn !== 0) throw new GuestdiskError('CORRUPT_STRUCTURE', `${what}: an extent starting at VCN ${old.lowestVcn} (attribute lists are not supported)`);
  const oldLength = readUint(record, attr.offsetBytes + 4, 4);
  const pairs = encodeRunlist(patch.runs);
  const newLength = align8(old.mappingPairsOffset + pairs.length);
  const bytesInUse = header.bytesInUse - oldLength + newLength;
  if (bytesInUse > recordSize) {
    throw new GuestdiskError('INVALID_SPEC', `${what}: ${patch.runs.length} runs need ${newLength} bytes, and the record would hold ${bytesInUse} of ${recordSize}`, { runs: patch.runs.length, bytesInUse, recordSize });
  }

  const attrBytes = new Uint8Array(newLength);
  attrBytes.set(record.subarray(attr.offsetBytes, attr.offsetBytes + old.mappingPairsOffset));
  NON_RESIDENT_ATTRIBUTE_HEADER.encodeInto(
    { ...old, length: newLength, highestVcn: runClusters(patch.runs) - 1, allocatedSize: patch.allocatedSize, dataSize: patch.dataSize, initializedSize: patch.initializedSize },
    attrBytes,
  );
  if ((old.flags & ATTR_COMPRESSED_OR_SPARSE) !== 0 && old.mappingPairsOffset >= COMPRESSED_SIZE_OFFSET + 8) {
    // compressed_size: the bytes really allocated, sparse runs excluded.
    writeIntN(attrBytes, COMPRESSED_SIZE_OFFSET, 8, allocatedClusters(patch.runs) * patch.clusterSize);
  }
  attrBytes.set(pairs, old.mappingPairsOffset);

  const out = new Uint8Array(recordSize);
  out.set(record.subarray(0, attr.offsetBytes));
  out.set(attrBytes, attr.offsetBytes);
  out.set(record.subarray(attr.offsetBytes + oldLength, header.bytesInUse), attr.offsetBytes + newLength);
  MFT_RECORD_HEADER.encodeInto({ ...header, bytesInUse }, out);
  return applyFixups(out, header.usaOfs, nextUsn(readUint(record, header.usaOfs, 2)));
}

