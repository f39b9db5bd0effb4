// NTFS files as records: the boot sector's geometry, $MFT read through its own runlist, and a file's attributes
// gathered from its base record and, through $ATTRIBUTE_LIST, its extension records (non-resident pieces joined in
// VCN order). MFT records are read through a small block cache; the MFT itself is never held.
import { GuestdiskError, hex } from '../errors.js';
import { ATTR_TYPE, MFT_RECORD_FLAG, SYSTEM_FILE } from '../fs/ntfs/attribute-types.js';
import { decodeAttributeList } from '../fs/ntfs/attributes/attribute-list.js';
import { decodeAttributes, type DecodedAttribute } from '../fs/ntfs/attributes/attribute-header.js';
import { decodeClustersPerRecord, decodeNtfsBootSector, decodeSectorsPerCluster } from '../fs/ntfs/boot-sector.js';
import { decodeMftRecordInPlace } from '../fs/ntfs/mft-record.js';
import { decodeMftRef } from '../fs/ntfs/ntfs-time.js';
import { decodeRunlist, type Run } from '../fs/ntfs/runlist.js';
import type { BlockTarget } from '../target/block-target.js';
import { createBlockCache, type BlockCache } from './block-cache.js';
import { mapVcns, readAttributeBytes, runStarts, type ByteSource, type NtfsAttribute } from './ntfs-data.js';

/** An attribute list names at most a few thousand extents; anything larger is damage. */
const MAX_ATTRIBUTE_LIST_BYTES = 4 * 1024 * 1024;
/** Extension records one file may use (bounded so a damaged list cannot make us read the whole MFT). */
const MAX_EXTENSION_RECORDS = 4096;

export interface NtfsGeometry {
  readonly clusterSize: number;
  readonly mftRecordSize: number;
  readonly indexRecordSize: number;
  readonly volumeSizeBytes: number;
}

export interface NtfsFile {
  readonly recordNumber: number;
  readonly sequenceNumber: number;
  /** MFT_RECORD_FLAG.* of the base record */
  readonly flags: number;
  readonly attributes: readonly NtfsAttribute[];
}

export interface NtfsMft {
  readonly volume: BlockTarget;
  /** The volume through a small block cache: for index blocks, attribute lists and other metadata read in pieces. */
  readonly metadata: ByteSource;
  readonly geometry: NtfsGeometry;
  /** A file by record number: CORRUPT_STRUCTURE when the record is damaged, null when it is not in use. */
  loadFile(recordNumber: number): Promise<NtfsFile | null>;
}

export function readNtfsGeometry(bootSector: Uint8Array): NtfsGeometry & { readonly mftLcn: number } {
  const bs = decodeNtfsBootSector(bootSector);
  const clusterSize = bs.bytesPerSector * decodeSectorsPerCluster(bs.sectorsPerCluster);
  return {
    clusterSize,
    mftRecordSize: decodeClustersPerRecord(bs.clustersPerMftRecord, clusterSize),
    indexRecordSize: decodeClustersPerRecord(bs.clustersPerIndexRecord, clusterSize),
    volumeSizeBytes: bs.numberOfSectors * bs.bytesPerSector,
    mftLcn: bs.mftLcn,
  };
}

/** Non-resident pieces of one (type, name) joined into one attribute: the piece at VCN 0 gives the sizes. */
function joinAttributes(decoded: readonly DecodedAttribute[]): NtfsAttribute[] {
  const out: NtfsAttribute[] = [];
  const pieces = new Map<string, DecodedAttribute[]>();
  for (const a of decoded) {
    if (a.resident) {
      out.push({ type: a.type, name: a.name, resident: a.resident.value, nonResident: null });
      continue;
    }
    const key = `${a.type}:${a.name}`;
    const list = pieces.get(key);
    if (list) list.push(a);
    else pieces.set(key, [a]);
  }
  for (const list of pieces.values()) {
    list.sort((x, y) => x.nonResident!.header.lowestVcn - y.nonResident!.header.lowestVcn);
    const first = list[0].nonResident!.header;
    if (first.lowestVcn !== 0) throw new GuestdiskError('CORRUPT_STRUCTURE', `attribute ${hex(list[0].type, 2)} "${list[0].name}" has no piece starting at VCN 0`);
    const runs: Run[] = [];
    let vcn = 0;
    for (const piece of list) {
      const h = piece.nonResident!.header;
      if (h.lowestVcn < vcn) throw new GuestdiskError('CORRUPT_STRUCTURE', `attribute ${hex(piece.type, 2)} "${piece.name}": pieces overlap at VCN ${h.lowestVcn}`);
      if (h.lowestVcn > vcn) runs.push({ lcn: null, length: h.lowestVcn - vcn });
      for (const r of decodeRunlist(piece.nonResident!.mappingPairs)) runs.push(r);
      vcn = Math.max(h.lowestVcn, h.highestVcn + 1);
    }
    out.push({
      type: list[0].type,
      name: list[0].name,
      resident: null,
      nonResident: {
        dataSize: first.dataSize,
        initializedSize: first.initializedSize,
        allocatedSize: first.allocatedSize,
        compressionUnit: first.compressionUnit,
        flags: first.flags,
        runs,
      },
    });
  }
  return out;
}

export async function openNtfsMft(volume: BlockTarget): Promise<NtfsMft> {
  const g = readNtfsGeometry(await volume.read(0, 512));
  const cache: BlockCache = createBlockCache(volume);
  const recordBytes = g.mftRecordSize;

  // $MFT's own runs: first from record 0 read where the boot sector says, then (should $MFT have an attribute
  // list) completed through the extension records those first runs reach.
  let mftRuns: readonly Run[] = [{ lcn: g.mftLcn, length: Math.ceil((SYSTEM_FILE.FIRST_USER * recordBytes) / g.clusterSize) }];
  let mftStarts = runStarts(mftRuns);
  let mftRecordCount: number = SYSTEM_FILE.FIRST_USER;

  async function readRecord(n: number): Promise<{ sequenceNumber: number; flags: number; baseRecord: number; attrs: DecodedAttribute[] } | null> {
    if (!Number.isSafeInteger(n) || n < 0 || n >= mftRecordCount) return null;
    const byteAt = n * recordBytes;
    const out = new Uint8Array(recordBytes);
    let done = 0;
    const firstVcn = Math.floor(byteAt / g.clusterSize);
    const clusters = Math.ceil((byteAt + recordBytes) / g.clusterSize) - firstVcn;
    let skip = byteAt - firstVcn * g.clusterSize;
    for (const piece of mapVcns(mftRuns, mftStarts, firstVcn, clusters)) {
      if (piece.lcn === null) return null;
      const take = Math.min(piece.length * g.clusterSize - skip, recordBytes - done);
      await cache.readInto(piece.lcn * g.clusterSize + skip, out.subarray(done, done + take));
      done += take;
      skip = 0;
    }
    if (out[0] === 0 && out[1] === 0 && out[2] === 0 && out[3] === 0) return null; // never used
    const { header, record } = decodeMftRecordInPlace(out, recordBytes); // `out` is ours: no second copy per record
    if ((header.flags & MFT_RECORD_FLAG.IN_USE) === 0) return null;
    const base = decodeMftRef(header.baseMftRecord).recordNumber;
    return { sequenceNumber: header.sequenceNumber, flags: header.flags, baseRecord: base, attrs: decodeAttributes(record, header.attrsOffset, header.bytesInUse) };
  }

  async function loadFile(n: number): Promise<NtfsFile | null> {
    const base = await readRecord(n);
    if (!base || base.baseRecord !== 0) return null;
    const decoded = [...base.attrs];
    const listAttr = joinAttributes(base.attrs.filter((a) => a.type === ATTR_TYPE.ATTRIBUTE_LIST))[0];
    if (listAttr) {
      const list = decodeAttributeList(await readAttributeBytes(cache, g.clusterSize, listAttr, MAX_ATTRIBUTE_LIST_BYTES));
      const extensions = [...new Set(list.map((e) => e.recordNumber).filter((r) => r !== n))];
      if (extensions.length > MAX_EXTENSION_RECORDS) throw new GuestdiskError('CORRUPT_STRUCTURE', `MFT record ${n}: attribute list names ${extensions.length} extension records`);
      for (const r of extensions) {
        const ext = await readRecord(r);
        if (!ext || ext.baseRecord !== n) {
          throw new GuestdiskError('CORRUPT_STRUCTURE', `MFT record ${n}: extension record ${r} named by its attribute list is ${ext ? `the extension of record ${ext.baseRecord}` : 'not in use'}`, { recordNumber: n, extension: r });
        }
        decoded.push(...ext.attrs);
      }
    }
    return { recordNumber: n, sequenceNumber: base.sequenceNumber, flags: base.flags, attributes: joinAttributes(decoded) };
  }

  // Record 0's own first $DATA piece maps at least the records its extension records live in.
  const first = (await readRecord(SYSTEM_FILE.MFT))?.attrs.find((a) => a.type === ATTR_TYPE.DATA && a.name === '' && a.nonResident?.header.lowestVcn === 0);
  if (first?.nonResident) {
    mftRuns = decodeRunlist(first.nonResident.mappingPairs);
    mftStarts = runStarts(mftRuns);
    mftRecordCount = Math.floor(((first.nonResident.header.highestVcn + 1) * g.clusterSize) / recordBytes);
  }
  const mft = await loadFile(SYSTEM_FILE.MFT);
  const data = mft?.attributes.find((a) => a.type === ATTR_TYPE.DATA && a.name === '' && a.nonResident);
  if (!data?.nonResident) throw new GuestdiskError('CORRUPT_STRUCTURE', '$MFT (record 0) has no non-resident $DATA attribute');
  mftRuns = data.nonResident.runs;
  mftStarts = runStarts(mftRuns);
  mftRecordCount = Math.floor(data.nonResident.dataSize / recordBytes);
  return { volume, metadata: cache, geometry: g, loadFile };
}

export function findAttribute(file: NtfsFile, type: number, name = ''): NtfsAttribute | undefined {
  return file.attributes.find((a) => a.type === type && a.name === name);
}
