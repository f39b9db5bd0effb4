// Editing a bare NTFS volume image in memory, for the whole-volume check tests: where each MFT record lies, the
// record holding a file, and copies of the volume with one record (its fixups reapplied), one run or one bitmap
// bit changed.
import * as assert from 'uvu/assert';
import { writeIntN } from '../../src/binary/fields.js';
import { ATTR_TYPE } from '../../src/fs/ntfs/attribute-types.js';
import { decodeAttributes, type DecodedAttribute } from '../../src/fs/ntfs/attributes/attribute-header.js';
import { decodeFileName } from '../../src/fs/ntfs/attributes/file-name.js';
import { NTFS_BOOT_SECTOR, decodeClustersPerRecord, decodeSectorsPerCluster } from '../../src/fs/ntfs/boot-sector.js';
import { applyFixups } from '../../src/fs/ntfs/fixup.js';
import { decodeMftRecord, MFT_RECORD_HEADER } from '../../src/fs/ntfs/mft-record.js';
import { decodeMftRef } from '../../src/fs/ntfs/ntfs-time.js';
import { decodeRunlist } from '../../src/fs/ntfs/runlist.js';

export interface Geometry {
  readonly clusterSize: number;
  readonly clusterCount: number;
  readonly recordSize: number;
  readonly mftOffsets: (n: number) => number;
  readonly recordCount: number;
}

/** Where each MFT record of a bare volume lies, through record 0's $DATA runs. */
export function geometryOf(volume: Uint8Array): Geometry {
  const boot = NTFS_BOOT_SECTOR.decode(volume);
  const clusterSize = boot.bytesPerSector * decodeSectorsPerCluster(boot.sectorsPerCluster);
  const recordSize = decodeClustersPerRecord(boot.clustersPerMftRecord, clusterSize);
  const at = boot.mftLcn * clusterSize;
  const { header, record } = decodeMftRecord(volume.subarray(at, at + recordSize), recordSize);
  const data = decodeAttributes(record, header.attrsOffset, header.bytesInUse).find((a) => a.type === ATTR_TYPE.DATA && a.name === '')!;
  const runs = decodeRunlist(data.nonResident!.mappingPairs, 1024);
  const mftOffsets = (n: number): number => {
    let vcnBytes = 0;
    for (const r of runs) {
      const bytes = r.length * clusterSize;
      if (n * recordSize < vcnBytes + bytes) return r.lcn! * clusterSize + n * recordSize - vcnBytes;
      vcnBytes += bytes;
    }
    throw new Error(`record ${n} is not mapped`);
  };
  return { clusterSize, clusterCount: Math.floor(boot.numberOfSectors * boot.bytesPerSector / clusterSize), recordSize, mftOffsets, recordCount: data.nonResident!.header.dataSize / recordSize };
}

export interface FoundRecord {
  readonly n: number;
  readonly at: number;
  readonly header: ReturnType<typeof decodeMftRecord>['header'];
  readonly record: Uint8Array;
}

export function readRecord(volume: Uint8Array, g: Geometry, n: number): FoundRecord | null {
  const at = g.mftOffsets(n);
  const bytes = volume.subarray(at, at + g.recordSize);
  if (MFT_RECORD_HEADER.decode(bytes).magic !== 0x454c4946) return null;
  const { header, record } = decodeMftRecord(bytes, g.recordSize);
  return { n, at, header, record: Uint8Array.from(record) };
}

/** The in-use base record of the file named `name` (its $FILE_NAME may sit in an extension record). */
export function findFile(volume: Uint8Array, g: Geometry, name: string): FoundRecord {
  for (let n = 24; n < g.recordCount; n++) {
    const r = readRecord(volume, g, n);
    if (!r || (r.header.flags & 1) === 0) continue;
    const attrs = decodeAttributes(r.record, r.header.attrsOffset, r.header.bytesInUse);
    if (!attrs.some((a) => a.type === ATTR_TYPE.FILE_NAME && decodeFileName(a.resident!.value).fileName === name)) continue;
    const base = decodeMftRef(r.header.baseMftRecord).recordNumber;
    return base === 0 ? r : readRecord(volume, g, base)!;
  }
  throw new Error(`no record named ${name}`);
}

/** A changed copy of the volume: `edit` changes record `r` (fixups removed), which is protected again and written. */
export function withRecord(volume: Uint8Array, r: FoundRecord, edit: (record: Uint8Array, view: DataView) => void): Uint8Array {
  const record = Uint8Array.from(r.record);
  edit(record, new DataView(record.buffer));
  const usn = volume[r.at + r.header.usaOfs] | (volume[r.at + r.header.usaOfs + 1] << 8);
  const out = Uint8Array.from(volume);
  out.set(applyFixups(record, r.header.usaOfs, usn), r.at);
  return out;
}

/** Rewrites the first run's LCN of record `r`'s unnamed $DATA (the offset field keeps its width). */
export function withFirstLcn(volume: Uint8Array, r: FoundRecord, lcn: number): Uint8Array {
  return withRecord(volume, r, (record) => {
    const data = decodeAttributes(record, r.header.attrsOffset, r.header.bytesInUse).find((a) => a.type === ATTR_TYPE.DATA && a.name === '')!;
    const pairsAt = data.offsetBytes + data.nonResident!.header.mappingPairsOffset;
    const lengthBytes = record[pairsAt] & 0x0f;
    const offsetBytes = record[pairsAt] >> 4;
    assert.ok(offsetBytes >= 2, 'the first run\'s LCN field holds at least 2 bytes');
    writeIntN(record, pairsAt + 1 + lengthBytes, offsetBytes, lcn);
  });
}

/** A copy of the volume with cluster `lcn`'s bit in $Bitmap (record 6's first $DATA run) cleared. */
export function withClusterFree(volume: Uint8Array, g: Geometry, lcn: number): Uint8Array {
  const bitmapFile = readRecord(volume, g, 6)!;
  const at = firstLcn(bitmapFile).lcn * g.clusterSize + (lcn >> 3);
  const out = Uint8Array.from(volume);
  out[at] &= ~(1 << (lcn & 7));
  return out;
}

/** Where attribute `type` `name`'s resident value lies in a record copy. */
export function residentValue(r: FoundRecord, record: Uint8Array, type: number, name = ''): Uint8Array {
  const a = decodeAttributes(record, r.header.attrsOffset, r.header.bytesInUse).find((x) => x.type === type && x.name === name);
  assert.ok(a?.resident, `record ${r.n} has a resident attribute 0x${type.toString(16)} ${name}`);
  return a!.resident!.value;
}

/** Index root value: IndexRoot header (0x10), then IndexHeader (entriesOffset, indexLength, …) and the entries. */
export const INDEX_HEADER_AT = 0x10;

export function firstLcn(r: FoundRecord): { lcn: number; length: number } {
  const data = decodeAttributes(r.record, r.header.attrsOffset, r.header.bytesInUse).find((a) => a.type === ATTR_TYPE.DATA && a.name === '')!;
  const [run] = decodeRunlist(data.nonResident!.mappingPairs, 16);
  return { lcn: run.lcn!, length: run.length };
}

/** Record `r`'s attribute `type` `name` (the first one), as decoded from the record copy. */
export function attributeOf(r: FoundRecord, type: number, name = ''): DecodedAttribute {
  const a = decodeAttributes(r.record, r.header.attrsOffset, r.header.bytesInUse).find((x) => x.type === type && x.name === name);
  assert.ok(a, `record ${r.n} has attribute 0x${type.toString(16)} ${name}`);
  return a!;
}

/** The volume byte offsets of a non-resident attribute's first `length` bytes (one per byte, through its runs). */
function streamOffsets(g: Geometry, a: DecodedAttribute, length: number): number[] {
  const out: number[] = [];
  for (const run of decodeRunlist(a.nonResident!.mappingPairs, 1024)) {
    for (let i = 0; i < run.length * g.clusterSize && out.length < length; i++) out.push(run.lcn! * g.clusterSize + i);
  }
  assert.is(out.length, length, 'the stream is mapped');
  return out;
}

/** An attribute's value (resident) or data (non-resident), and a way to write a changed copy of the same length. */
export function streamOf(volume: Uint8Array, r: FoundRecord, g: Geometry, type: number, name = ''): { bytes: Uint8Array; with(bytes: Uint8Array): Uint8Array } {
  const a = attributeOf(r, type, name);
  if (a.resident) {
    return { bytes: Uint8Array.from(a.resident.value), with: (bytes) => withRecord(volume, r, (record) => record.set(bytes, a.resident!.value.byteOffset - r.record.byteOffset)) };
  }
  const offsets = streamOffsets(g, a, a.nonResident!.header.dataSize);
  return {
    bytes: Uint8Array.from(offsets, (at) => volume[at]),
    with: (bytes) => {
      const out = Uint8Array.from(volume);
      bytes.forEach((b, i) => { out[offsets[i]] = b; });
      return out;
    },
  };
}

/** A record number past the system files that is not in use. */
export function freeRecord(volume: Uint8Array, g: Geometry): number {
  for (let n = g.recordCount - 1; n > 26; n--) {
    const r = readRecord(volume, g, n);
    if (!r || (r.header.flags & 1) === 0) return n;
  }
  throw new Error('no free MFT record');
}

/** In-use extension records of base record `base`. */
export function extensionsOf(volume: Uint8Array, g: Geometry, base: number): FoundRecord[] {
  const out: FoundRecord[] = [];
  for (let n = 24; n < g.recordCount; n++) {
    const r = readRecord(volume, g, n);
    if (r && (r.header.flags & 1) !== 0 && decodeMftRef(r.header.baseMftRecord).recordNumber === base) out.push(r);
  }
  return out;
}
