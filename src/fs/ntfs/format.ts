// NTFS formatter: the plan's volume as chunks relative to the partition start. Every region whose content
// matters is written, zeros included (a reused disk may hold old bytes there): $Boot, the $MFT bitmap cluster,
// $MFT, $MFTMirr, $LogFile, $Bitmap and every allocated stream up to the end of its last cluster. Free clusters,
// the MFT zone and $BadClus stay untouched. $Bitmap is made in pieces from the allocation list, so memory does
// not grow with the volume.
import type { Chunk } from '../../disk-types.js';
import type { FsChunks } from '../fs-interface.js';
import {
  NTFS_BOOT_SECTOR,
  NTFS_END_OF_SECTOR_MARKER,
  NTFS_JUMP,
  NTFS_MEDIA_TYPE_FIXED,
  NTFS_OEM_ID,
  encodeClustersPerRecord,
  encodeSectorsPerCluster,
  ntfsBootstrap,
  type NtfsBootSector,
} from './boot-sector.js';
import { logFileChunks } from './logfile.js';
import type { Extent } from './cluster-allocator.js';
import { layoutVolume } from './system-files.js';
import { BOOT_FILE_BYTES, type NtfsPlan } from './plan.js';
import type { Run } from './runlist.js';
import { populatedFileChunks, populatedMftChunks, populatedMirrorBytes, recordContext, rootIndexChunks } from './populate-format.js';

/** $Bitmap is produced in pieces of this many bytes (a multiple of every sector size). */
const BITMAP_PIECE_BYTES = 256 * 1024;

export function ntfsBootSectorValue(plan: NtfsPlan): NtfsBootSector {
  const serial = new Uint8Array(8);
  for (let i = 0; i < 8; i++) serial[i] = parseInt(plan.serial.slice(14 - 2 * i, 16 - 2 * i), 16);
  return {
    jump: NTFS_JUMP,
    oemId: NTFS_OEM_ID,
    bytesPerSector: plan.bytesPerSector,
    sectorsPerCluster: encodeSectorsPerCluster(plan.clusterSize / plan.bytesPerSector),
    reservedSectors: 0,
    fats: 0,
    rootEntries: 0,
    sectors: 0,
    mediaType: NTFS_MEDIA_TYPE_FIXED,
    sectorsPerFat: 0,
    sectorsPerTrack: plan.sectorsPerTrack,
    heads: plan.heads,
    hiddenSectors: plan.hiddenSectors,
    largeSectors: 0,
    physicalDrive: 0x80,
    currentHead: 0,
    extendedBootSignature: 0x80,
    reserved2: 0,
    numberOfSectors: plan.totalSectors,
    mftLcn: plan.mftLcn,
    mftmirrLcn: plan.mftMirrLcn,
    clustersPerMftRecord: encodeClustersPerRecord(plan.mftRecordSize, plan.clusterSize),
    reserved0: new Uint8Array(3),
    clustersPerIndexRecord: encodeClustersPerRecord(plan.indexRecordSize, plan.clusterSize),
    reserved1: new Uint8Array(3),
    volumeSerialNumber: serial,
    checksum: 0,
    bootstrap: ntfsBootstrap(),
    endOfSectorMarker: NTFS_END_OF_SECTOR_MARKER,
  };
}

/** $Boot's 8 KiB: the boot sector (its sector's tail zero), then zeros. */
export function encodeBootFile(plan: NtfsPlan): Uint8Array {
  const out = new Uint8Array(BOOT_FILE_BYTES);
  NTFS_BOOT_SECTOR.encodeInto(ntfsBootSectorValue(plan), out);
  return out;
}

const roundUp = (n: number, unit: number): number => Math.ceil(n / unit) * unit;

/** Stream-relative chunks: `bytes` (padded with zeros to a sector) then zeros up to `allocatedBytes`. */
export function* streamChunks(bytes: Uint8Array, allocatedBytes: number, sectorSize: number): Generator<Chunk> {
  const padded = Math.min(roundUp(bytes.length, sectorSize), allocatedBytes);
  if (padded > 0) {
    if (padded === bytes.length) yield { offsetBytes: 0, bytes };
    else {
      const buf = new Uint8Array(padded);
      buf.set(bytes.subarray(0, padded));
      yield { offsetBytes: 0, bytes: buf };
    }
  }
  if (allocatedBytes > padded) yield { offsetBytes: padded, zeroBytes: allocatedBytes - padded };
}

/** Maps stream-relative chunks onto the clusters of `runs` (splitting at run boundaries). */
export function* placeStream(runs: readonly Run[], clusterSize: number, chunks: Iterable<Chunk>): Generator<Chunk> {
  const starts: number[] = [];
  let vcnBytes = 0;
  for (const r of runs) {
    starts.push(vcnBytes);
    vcnBytes += r.length * clusterSize;
  }
  for (const chunk of chunks) {
    const length = 'bytes' in chunk ? chunk.bytes.length : chunk.zeroBytes;
    let at = chunk.offsetBytes;
    const end = at + length;
    for (let i = 0; i < runs.length && at < end; i++) {
      const runStart = starts[i];
      const runEnd = runStart + runs[i].length * clusterSize;
      if (at >= runEnd || end <= runStart) continue;
      const from = Math.max(at, runStart);
      const to = Math.min(end, runEnd);
      const lcn = runs[i].lcn;
      if (lcn !== null) {
        const offsetBytes = lcn * clusterSize + (from - runStart);
        if ('bytes' in chunk) {
          const part = chunk.bytes.subarray(from - chunk.offsetBytes, to - chunk.offsetBytes);
          yield { offsetBytes, bytes: part };
        } else {
          yield { offsetBytes, zeroBytes: to - from };
        }
      }
      at = to;
    }
  }
}

/** Sets bits [fromBit, toBit) of `buf`. */
function setBits(buf: Uint8Array, fromBit: number, toBit: number): void {
  let bit = fromBit;
  while (bit < toBit && bit & 7) {
    buf[bit >> 3] |= 1 << (bit & 7);
    bit++;
  }
  const fullEnd = toBit - (toBit & 7);
  if (bit < fullEnd) {
    buf.fill(0xff, bit >> 3, fullEnd >> 3);
    bit = fullEnd;
  }
  while (bit < toBit) {
    buf[bit >> 3] |= 1 << (bit & 7);
    bit++;
  }
}

/**
 * $Bitmap:$DATA as stream-relative chunks: in each piece that holds a set bit, only the sectors from the first to
 * the last set bit are built; everything else is a zero range. Memory stays a piece at most, whatever the volume
 * size (a 16 TiB volume's bitmap is 512 MiB), and nothing all-zero is built only to be scanned and dropped.
 */
export function* bitmapChunks(allocated: readonly Extent[], bitmapBytes: number, allocatedBytes: number, sectorSize: number): Generator<Chunk> {
  const pieceBits = BITMAP_PIECE_BYTES * 8;
  const touched = new Set<number>();
  for (const e of allocated) {
    const first = Math.floor(e.lcn / pieceBits);
    const last = Math.floor((e.lcn + e.length - 1) / pieceBits);
    for (let p = first; p <= last; p++) touched.add(p);
  }
  const pieces = [...touched].sort((a, b) => a - b).filter((p) => p * BITMAP_PIECE_BYTES < bitmapBytes);
  let cursor = 0;
  for (const p of pieces) {
    const pieceStart = p * BITMAP_PIECE_BYTES;
    const pieceEnd = Math.min(pieceStart + BITMAP_PIECE_BYTES, bitmapBytes);
    const bits = allocated
      .map((e) => ({ from: Math.max(e.lcn, pieceStart * 8), to: Math.min(e.lcn + e.length, pieceEnd * 8) }))
      .filter((b) => b.from < b.to);
    if (bits.length === 0) continue;
    const start = Math.max(cursor, Math.floor(Math.min(...bits.map((b) => b.from)) / 8 / sectorSize) * sectorSize);
    const end = Math.min(roundUp(Math.ceil(Math.max(...bits.map((b) => b.to)) / 8), sectorSize), allocatedBytes);
    if (start > cursor) yield { offsetBytes: cursor, zeroBytes: start - cursor };
    const buf = new Uint8Array(end - start);
    for (const b of bits) setBits(buf, b.from - start * 8, b.to - start * 8);
    yield { offsetBytes: start, bytes: buf };
    cursor = end;
  }
  if (allocatedBytes > cursor) yield { offsetBytes: cursor, zeroBytes: allocatedBytes - cursor };
}

function* shift(chunks: Iterable<Chunk>, byBytes: number): Generator<Chunk> {
  for (const c of chunks) yield 'bytes' in c ? { offsetBytes: c.offsetBytes + byBytes, bytes: c.bytes } : { offsetBytes: c.offsetBytes + byBytes, zeroBytes: c.zeroBytes };
}

export function formatNtfs(plan: NtfsPlan): FsChunks {
  const cs = plan.clusterSize;
  const sector = plan.bytesPerSector;
  return {
    *body() {
      const files = layoutVolume(plan);
      const parts: { startBytes: number; chunks: () => Iterable<Chunk> }[] = [];
      const bootBytes = files.bootClusters * cs;
      if (bootBytes > BOOT_FILE_BYTES) {
        parts.push({ startBytes: BOOT_FILE_BYTES, chunks: () => [{ offsetBytes: BOOT_FILE_BYTES, zeroBytes: bootBytes - BOOT_FILE_BYTES }] });
      }
      const at = (lcn: number, clusters: number, bytes: Uint8Array): void => {
        parts.push({ startBytes: lcn * cs, chunks: () => shift(streamChunks(bytes, clusters * cs, sector), lcn * cs) });
      };
      const mftBitmapAllocated = files.mftBitmapRuns.reduce((n, r) => n + r.length, 0) * cs;
      parts.push({ startBytes: (files.mftBitmapRuns[0].lcn ?? 0) * cs, chunks: () => placeStream(files.mftBitmapRuns, cs, streamChunks(files.mftBitmap, mftBitmapAllocated, sector)) });
      if (files.population && files.rootIndex) {
        const ctx = recordContext(plan, files);
        const rootIndex = files.rootIndex;
        parts.push({ startBytes: plan.mftLcn * cs, chunks: () => populatedMftChunks(plan, files, ctx) });
        at(plan.mftMirrLcn, files.mftMirrClusters, populatedMirrorBytes(plan, files, ctx));
        parts.push({ startBytes: (files.population.rootIndexRuns[0]?.lcn ?? 0) * cs, chunks: () => rootIndexChunks(plan, files, ctx, rootIndex.systemEntries, rootIndex.roomBytes) });
      } else {
        at(plan.mftLcn, files.mftClusters, files.mft);
        at(plan.mftMirrLcn, files.mftMirrClusters, files.mft.subarray(0, files.mftMirrClusters * cs));
      }
      parts.push({ startBytes: plan.logFileLcn * cs, chunks: () => shift(logFileChunks(plan.logFileSizeBytes), plan.logFileLcn * cs) });
      for (const p of files.placed) {
        const allocatedBytes = p.runs.reduce((n, r) => n + r.length, 0) * cs;
        parts.push({ startBytes: (p.runs[0].lcn ?? 0) * cs, chunks: () => placeStream(p.runs, cs, streamChunks(p.bytes, allocatedBytes, sector)) });
      }
      const bitmapAllocated = files.lcnBitmapRuns.reduce((n, r) => n + r.length, 0) * cs;
      parts.push({
        startBytes: (files.lcnBitmapRuns[0].lcn ?? 0) * cs,
        chunks: () => placeStream(files.lcnBitmapRuns, cs, bitmapChunks(files.allocated, files.lcnBitmapBytes, bitmapAllocated, sector)),
      });
      parts.sort((a, b) => a.startBytes - b.startBytes);
      for (const part of parts) yield* part.chunks();
    },
    files() {
      const files = layoutVolume(plan);
      return files.population ? populatedFileChunks(plan, files, recordContext(plan, files)) : [];
    },
    *bootBackup() {
      // mkntfs writes the first sector of $Boot into the partition's last sector.
      yield { offsetBytes: plan.partitionSizeBytes - sector, bytes: encodeBootFile(plan).slice(0, sector) };
    },
    *boot() {
      yield { offsetBytes: 0, bytes: encodeBootFile(plan) };
    },
  };
}
