// The bytes of one NTFS attribute: resident values, and non-resident runs with sparse runs, the initialized size,
// and LZNT1 compression units (ntfs-3g libntfs-3g/attrib.c ntfs_attr_pread, compress.c ntfs_compressed_attr_pread;
// libyal "NTFS" §"Compression"). Streams in pieces of at most READ_PIECE_BYTES; only one compression unit is held.
import { GuestdiskError } from '../errors.js';
import { ATTR_FLAG } from '../fs/ntfs/attribute-types.js';
import { decompressLznt1 } from '../fs/ntfs/lznt1.js';
import type { Run } from '../fs/ntfs/runlist.js';
import type { BlockTarget } from '../target/block-target.js';

/** Where attribute bytes come from: the volume itself, or its metadata cache (index blocks, lists, reparse data). */
export type ByteSource = Pick<BlockTarget, 'read' | 'readInto' | 'sizeBytes'>;

/** The largest piece a read yields (and the largest single target read it makes). Measured: 4 MiB pieces cost
 *  more CPU time than 1 MiB ones (the buffer no longer stays in the CPU's cache between read and write). */
export const READ_PIECE_BYTES = 1024 * 1024;

export interface NonResidentData {
  readonly dataSize: number;
  readonly initializedSize: number;
  readonly allocatedSize: number;
  /** log2 of the clusters per compression unit; 0 when not compressed */
  readonly compressionUnit: number;
  /** Attribute header flags (ATTR_FLAG.*) */
  readonly flags: number;
  /** Every run in VCN order, extents of an attribute list already joined. */
  readonly runs: readonly Run[];
}

export interface NtfsAttribute {
  readonly type: number;
  readonly name: string;
  readonly resident: Uint8Array | null;
  readonly nonResident: NonResidentData | null;
}

/** Run lengths summed: where each run starts, in clusters (for a binary search by VCN). */
export function runStarts(runs: readonly Run[]): number[] {
  const starts: number[] = [];
  let vcn = 0;
  for (const r of runs) {
    starts.push(vcn);
    vcn += r.length;
  }
  return starts;
}

/** The pieces of clusters [vcn, vcn + count) as (lcn or null, length); past the last run they are sparse. */
export function mapVcns(runs: readonly Run[], starts: readonly number[], vcn: number, count: number): Run[] {
  const out: Run[] = [];
  let lo = 0;
  let hi = runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= vcn) lo = mid;
    else hi = mid - 1;
  }
  let at = vcn;
  const end = vcn + count;
  for (let i = lo; i < runs.length && at < end; i++) {
    const runEnd = starts[i] + runs[i].length;
    if (runEnd <= at) continue;
    const n = Math.min(runEnd, end) - at;
    const lcn = runs[i].lcn;
    out.push({ lcn: lcn === null ? null : lcn + (at - starts[i]), length: n });
    at += n;
  }
  if (at < end) out.push({ lcn: null, length: end - at });
  return out;
}

export function attributeSize(attr: NtfsAttribute): number {
  return attr.resident ? attr.resident.length : attr.nonResident!.dataSize;
}

/** Bytes of clusters the attribute occupies (compressed and sparse attributes occupy fewer than their size). */
export function attributeAllocatedBytes(attr: NtfsAttribute, clusterSize: number): number {
  if (!attr.nonResident) return 0;
  return attr.nonResident.runs.reduce((n, r) => n + (r.lcn === null ? 0 : r.length), 0) * clusterSize;
}

/** Reads the clusters of `pieces` one after another into `out` from its start; sparse pieces become zeros. */
async function readClusters(volume: ByteSource, clusterSize: number, pieces: readonly Run[], out: Uint8Array): Promise<void> {
  let at = 0;
  for (const p of pieces) {
    const n = p.length * clusterSize;
    if (p.lcn === null) out.fill(0, at, at + n);
    else await readInside(volume, p.lcn * clusterSize, out.subarray(at, at + n));
    at += n;
  }
}

/** Fills `into` from the volume at `offsetBytes`, straight into the array where the volume can. */
export async function readInside(volume: ByteSource, offsetBytes: number, into: Uint8Array): Promise<void> {
  if (offsetBytes + into.length > volume.sizeBytes) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `data at byte ${offsetBytes} (+${into.length}) lies past the end of the volume (${volume.sizeBytes} bytes)`, { offsetBytes, lengthBytes: into.length });
  }
  if (volume.readInto) await volume.readInto(offsetBytes, into);
  else into.set(await volume.read(offsetBytes, into.length));
}

/**
 * Yields the attribute's bytes [fromBytes, toBytes) (default: all of it) in pieces; bytes past the initialized
 * size and in sparse runs are zeros. Encrypted data is refused: it would read as ciphertext. `reuse`: plain data
 * is read into one buffer, and each piece is a view of it, valid until the next piece is asked for.
 */
export async function* readAttribute(volume: ByteSource, clusterSize: number, attr: NtfsAttribute, fromBytes = 0, toBytes?: number, reuse = false): AsyncGenerator<Uint8Array> {
  if (attr.resident) {
    const end = Math.min(toBytes ?? attr.resident.length, attr.resident.length);
    if (fromBytes < end) yield attr.resident.slice(fromBytes, end);
    return;
  }
  const nr = attr.nonResident!;
  if (nr.flags & ATTR_FLAG.IS_ENCRYPTED) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', 'the stream is EFS-encrypted: its bytes cannot be read without the user\'s key', { flags: nr.flags });
  }
  const end = Math.min(toBytes ?? nr.dataSize, nr.dataSize);
  if (fromBytes >= end) return;
  const starts = runStarts(nr.runs);
  const compressed = nr.compressionUnit > 0 && (nr.flags & ATTR_FLAG.IS_COMPRESSED) !== 0;
  const unitBytes = compressed ? (2 ** nr.compressionUnit) * clusterSize : Math.max(clusterSize, Math.floor(READ_PIECE_BYTES / clusterSize) * clusterSize);
  // A unit starts on a cluster, so a plain unit spans at most unitBytes of clusters.
  const buffer = reuse && !compressed ? new Uint8Array(unitBytes) : null;
  // Compressed data is read by whole compression units; plain data from the cluster holding fromBytes, so a few
  // KiB in the middle (an index block) cost a few KiB of reading, not a whole piece.
  const firstStart = compressed ? Math.floor(fromBytes / unitBytes) * unitBytes : Math.floor(fromBytes / clusterSize) * clusterSize;
  for (let unitStart = firstStart; unitStart < end; unitStart += unitBytes) {
    const unit = compressed
      ? await readCompressionUnit(volume, clusterSize, nr, starts, unitStart / clusterSize, unitBytes)
      : await readPlain(volume, clusterSize, nr, starts, unitStart, Math.min(unitBytes, end - unitStart), buffer);
    // Past the initialized size the volume may hold anything: it reads as zeros.
    if (nr.initializedSize < unitStart + unit.length) unit.fill(0, Math.max(0, nr.initializedSize - unitStart));
    const from = Math.max(fromBytes, unitStart) - unitStart;
    const to = Math.min(end - unitStart, unit.length);
    yield from === 0 && to === unit.length ? unit : unit.subarray(from, to);
  }
}

/** `lengthBytes` of plain data from cluster-aligned `startBytes`: into `buffer` when given, else a fresh array. */
async function readPlain(volume: ByteSource, clusterSize: number, nr: NonResidentData, starts: readonly number[], startBytes: number, lengthBytes: number, buffer: Uint8Array | null): Promise<Uint8Array> {
  const firstVcn = startBytes / clusterSize;
  const clusters = Math.ceil(lengthBytes / clusterSize);
  const pieces = mapVcns(nr.runs, starts, firstVcn, clusters);
  const out = buffer ? buffer.subarray(0, lengthBytes) : new Uint8Array(lengthBytes);
  if (pieces.length === 1 && pieces[0].lcn !== null) {
    // One contiguous run (the usual case): one read of the whole piece.
    await readInside(volume, pieces[0].lcn * clusterSize, out);
    return out;
  }
  // Several runs: the last cluster may hold bytes past the file's end, so read whole clusters, then cut.
  const whole = buffer ? buffer.subarray(0, clusters * clusterSize) : new Uint8Array(clusters * clusterSize);
  await readClusters(volume, clusterSize, pieces, whole);
  return whole.subarray(0, lengthBytes);
}

/** One compression unit: all sparse is zeros, all allocated is stored plain, otherwise its allocated clusters
 *  hold LZNT1 data for the whole unit. */
async function readCompressionUnit(volume: ByteSource, clusterSize: number, nr: NonResidentData, starts: readonly number[], firstVcn: number, unitBytes: number): Promise<Uint8Array> {
  const clusters = unitBytes / clusterSize;
  const pieces = mapVcns(nr.runs, starts, firstVcn, clusters);
  const allocated = pieces.reduce((n, p) => n + (p.lcn === null ? 0 : p.length), 0);
  const out = new Uint8Array(unitBytes);
  if (allocated === 0) return out;
  if (allocated === clusters) {
    await readClusters(volume, clusterSize, pieces, out);
    return out;
  }
  const packed = new Uint8Array(allocated * clusterSize);
  await readClusters(volume, clusterSize, pieces.filter((p) => p.lcn !== null), packed);
  decompressLznt1(packed, out);
  return out;
}

/** A small attribute whole (attribute lists, reparse data, index blocks); refuses one larger than `maxBytes`. */
export async function readAttributeBytes(volume: ByteSource, clusterSize: number, attr: NtfsAttribute, maxBytes: number, fromBytes = 0, lengthBytes?: number): Promise<Uint8Array> {
  const size = attributeSize(attr);
  const length = lengthBytes ?? size - fromBytes;
  if (length > maxBytes) throw new GuestdiskError('CORRUPT_STRUCTURE', `attribute 0x${attr.type.toString(16)} of ${length} bytes is larger than the ${maxBytes} expected`, { lengthBytes: length });
  const out = new Uint8Array(length);
  let at = 0;
  for await (const piece of readAttribute(volume, clusterSize, attr, fromBytes, fromBytes + length)) {
    out.set(piece, at);
    at += piece.length;
  }
  if (at !== length) throw new GuestdiskError('CORRUPT_STRUCTURE', `attribute 0x${attr.type.toString(16)}: read ${at} of ${length} bytes`);
  return out;
}
