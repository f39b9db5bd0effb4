// Reads what growing an NTFS volume needs, through the decoders beside the encoders (src/fs/ntfs): the boot
// sector, $MFT's runlist, records 1 ($MFTMirr), 2 ($LogFile), 3 ($Volume), 6 ($Bitmap) and 8 ($BadClus). Refuses
// a volume Windows left in use: dirty (chkdsk pending), or with a $LogFile that is not clean (hibernation or Fast
// Startup keep the volume's metadata in the sleeping Windows' cache; growing under it loses what it cached).
import { GuestdiskError } from '../errors.js';
import { ATTR_TYPE, SYSTEM_FILE } from '../fs/ntfs/attribute-types.js';
import { decodeAttributes, type DecodedAttribute } from '../fs/ntfs/attributes/attribute-header.js';
import { decodeVolumeInformation, VOLUME_FLAG } from '../fs/ntfs/attributes/volume-information.js';
import { decodeClustersPerRecord, decodeNtfsBootSector, decodeSectorsPerCluster, NTFS_BOOT_SECTOR } from '../fs/ntfs/boot-sector.js';
import { mapStreamRange } from '../fs/ntfs/grow-bitmap.js';
import { MAX_COMMIT_SPAN_BYTES, type MftRecordAt, type NtfsGrowSource, type StreamLayout } from '../fs/ntfs/grow.js';
import { decodeLogFileState } from '../fs/ntfs/logfile.js';
import { decodeMftRecord } from '../fs/ntfs/mft-record.js';
import { decodeRunlist, type Run } from '../fs/ntfs/runlist.js';
import type { BlockTarget } from '../target/block-target.js';

const MAX_RUNS = 65536;

function corrupt(message: string): GuestdiskError {
  return new GuestdiskError('CORRUPT_STRUCTURE', `NTFS: ${message}`);
}

function streamOf(attr: DecodedAttribute | undefined, what: string): StreamLayout {
  if (!attr?.nonResident) throw corrupt(`${what} is missing or resident`);
  const h = attr.nonResident.header;
  if (h.lowestVcn !== 0) throw corrupt(`${what} starts at VCN ${h.lowestVcn} (an attribute list): not supported`);
  return { runs: decodeRunlist(attr.nonResident.mappingPairs, MAX_RUNS), allocatedSize: h.allocatedSize, dataSize: h.dataSize, initializedSize: h.initializedSize };
}

export async function readNtfsGrowSource(volume: BlockTarget): Promise<NtfsGrowSource> {
  const s = volume.logicalSectorSize;
  const bootSector = await volume.read(0, s);
  const bs = decodeNtfsBootSector(bootSector.subarray(0, NTFS_BOOT_SECTOR.sizeBytes));
  if (bs.bytesPerSector !== s) {
    throw new GuestdiskError('UNSUPPORTED_GEOMETRY', `NTFS: the boot sector says ${bs.bytesPerSector}-byte sectors, the disk has ${s}-byte sectors`, { bytesPerSector: bs.bytesPerSector, sectorSize: s });
  }
  const clusterSize = bs.bytesPerSector * decodeSectorsPerCluster(bs.sectorsPerCluster);
  const rs = decodeClustersPerRecord(bs.clustersPerMftRecord, clusterSize);
  const clusterCount = Math.floor((bs.numberOfSectors * bs.bytesPerSector) / clusterSize);
  if ((bs.numberOfSectors + 1) * s > volume.sizeBytes) {
    throw corrupt(`the volume (${bs.numberOfSectors} sectors and its backup boot sector) is larger than its partition (${volume.sizeBytes} bytes)`);
  }

  const rec0 = decodeMftRecord(await volume.read(bs.mftLcn * clusterSize, rs), rs);
  const mftRuns = streamOf(decodeAttributes(rec0.record, rec0.header.attrsOffset, rec0.header.bytesInUse).find((a) => a.type === ATTR_TYPE.DATA && a.name === ''), '$MFT:$DATA').runs;
  const recordAt = async (n: number): Promise<MftRecordAt> => {
    const pieces = mapStreamRange(mftRuns, clusterSize, n * rs, rs);
    if (pieces.length !== 1 || pieces[0].volumeOffsetBytes === null) throw corrupt(`MFT record ${n} is not in one mapped run of $MFT`);
    return { offsetBytes: pieces[0].volumeOffsetBytes, bytes: await volume.read(pieces[0].volumeOffsetBytes, rs) };
  };
  const attributesOf = (r: MftRecordAt): DecodedAttribute[] => {
    const { header, record } = decodeMftRecord(r.bytes, rs);
    return decodeAttributes(record, header.attrsOffset, header.bytesInUse);
  };

  // $Volume: the dirty flag.
  const info = attributesOf(await recordAt(SYSTEM_FILE.VOLUME)).find((a) => a.type === ATTR_TYPE.VOLUME_INFORMATION)?.resident;
  if (!info) throw corrupt('$Volume has no $VOLUME_INFORMATION');
  if ((decodeVolumeInformation(info.value).flags & VOLUME_FLAG.IS_DIRTY) !== 0) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', 'the NTFS volume is marked dirty (a check is pending): let Windows run chkdsk on it (or run ntfsfix), then grow it', { reason: 'dirty' });
  }
  // $LogFile: clean, or empty (mkntfs, ntfs-3g after unmounting).
  const log = streamOf(attributesOf(await recordAt(SYSTEM_FILE.LOG_FILE)).find((a) => a.type === ATTR_TYPE.DATA && a.name === ''), '$LogFile:$DATA');
  const first = log.runs[0];
  if (!first || first.lcn === null) throw corrupt('$LogFile has no first cluster');
  const state = decodeLogFileState(await volume.read(first.lcn * clusterSize, Math.min(4096, log.dataSize)));
  if (state.kind === 'restart' && !state.clean) {
    throw new GuestdiskError('TARGET_BUSY', 'the NTFS volume was not shut down cleanly: Windows is hibernated, used Fast Startup, or crashed, and may still hold its metadata in memory. Boot Windows and shut it down fully (shutdown /s /t 0, or turn Fast Startup off), then grow it', { reason: 'logfile-not-clean' });
  }

  const bitmapRecord = await recordAt(SYSTEM_FILE.BITMAP);
  const badClusRecord = await recordAt(SYSTEM_FILE.BAD_CLUS);
  const between = await recordAt(SYSTEM_FILE.BOOT);
  const contiguous = between.offsetBytes === bitmapRecord.offsetBytes + rs && badClusRecord.offsetBytes === between.offsetBytes + rs;
  const bitmap = streamOf(attributesOf(bitmapRecord).find((a) => a.type === ATTR_TYPE.DATA && a.name === ''), '$Bitmap:$DATA');
  const bad = streamOf(attributesOf(badClusRecord).find((a) => a.type === ATTR_TYPE.DATA && a.name === '$Bad'), '$BadClus:$Bad');
  // A commit write torn in half (a device that lost power mid-request) leaves the new boot sector over the old
  // records: $BadClus:$Bad still covers the old volume exactly, and the volume is grown again from there.
  let clusters = clusterCount;
  let sectors = bs.numberOfSectors;
  const badClusters = bad.runs.reduce((n, r) => n + r.length, 0);
  if (bitmap.dataSize * 8 < clusterCount && badClusters < clusterCount && bitmap.dataSize * 8 >= badClusters) {
    clusters = badClusters;
    sectors = (badClusters * clusterSize) / bs.bytesPerSector;
  } else if (bitmap.dataSize * 8 < clusterCount) {
    throw corrupt(`$Bitmap holds ${bitmap.dataSize * 8} bits for ${clusterCount} clusters`);
  }

  // $MFTMirr: records 6 and 8 are mirrored only when its stream is long enough (large clusters).
  const mirrStream = streamOf(attributesOf(await recordAt(SYSTEM_FILE.MFT_MIRR)).find((a) => a.type === ATTR_TYPE.DATA && a.name === ''), '$MFTMirr:$DATA');
  let mirror: NtfsGrowSource['mirror'] = null;
  if (mirrStream.dataSize >= (SYSTEM_FILE.BAD_CLUS + 1) * rs) {
    const at = (n: number): number => {
      const p = mapStreamRange(mirrStream.runs, clusterSize, n * rs, rs);
      if (p.length !== 1 || p[0].volumeOffsetBytes === null) throw corrupt(`$MFTMirr's copy of record ${n} is not in one run`);
      return p[0].volumeOffsetBytes;
    };
    mirror = { bitmapOffsetBytes: at(SYSTEM_FILE.BITMAP), badClusOffsetBytes: at(SYSTEM_FILE.BAD_CLUS) };
  }

  const headEnd = badClusRecord.offsetBytes + rs;
  const head = contiguous && headEnd <= MAX_COMMIT_SPAN_BYTES ? await volume.read(0, headEnd) : null;
  let serial = '';
  for (let i = 7; i >= 0; i--) serial += bs.volumeSerialNumber[i].toString(16).padStart(2, '0');
  return {
    kind: 'ntfs', bytesPerSector: bs.bytesPerSector, clusterSize, mftRecordSize: rs, totalSectors: sectors, clusterCount: clusters,
    bootSector, bitmapRecord, badClusRecord, bootRecord: contiguous ? between : null, head, mirror, bitmap, bad, serial,
  };
}

/** Bytes of the old $Bitmap read per request while searching free space. */
const SCAN_BYTES = 1024 * 1024;

/**
 * Free extents of at least `minClusters`... or, if none is that long, the longest ones met, found by streaming the
 * old $Bitmap (memory stays flat). Stops as soon as one extent of `wantClusters` is found.
 */
export async function findFreeExtents(volume: BlockTarget, source: NtfsGrowSource, wantClusters: number, maxExtents = 16): Promise<Run[]> {
  const found: Run[] = [];
  let runStart = -1;
  const close = (end: number): boolean => {
    if (runStart >= 0) {
      found.push({ lcn: runStart, length: end - runStart });
      found.sort((a, b) => b.length - a.length);
      if (found.length > maxExtents) found.pop();
      runStart = -1;
      return found[0].length >= wantClusters;
    }
    return false;
  };
  const bitmapBytes = Math.ceil(source.clusterCount / 8);
  for (let at = 0; at < bitmapBytes; at += SCAN_BYTES) {
    const length = Math.min(SCAN_BYTES, bitmapBytes - at);
    const bytes = new Uint8Array(length);
    for (const p of mapStreamRange(source.bitmap.runs, source.clusterSize, at, length)) {
      if (p.volumeOffsetBytes !== null) bytes.set(await volume.read(p.volumeOffsetBytes, p.lengthBytes), p.streamOffsetBytes - at);
    }
    for (let i = 0; i < length; i++) {
      const b = bytes[i];
      const base = (at + i) * 8;
      if (b === 0 && runStart >= 0) continue;
      if (b === 0xff && runStart < 0) continue;
      for (let bit = 0; bit < 8 && base + bit < source.clusterCount; bit++) {
        const used = (b >> bit) & 1;
        if (!used && runStart < 0) runStart = base + bit;
        else if (used && runStart >= 0 && close(base + bit)) return [found[0]];
      }
    }
  }
  if (close(source.clusterCount)) return [found[0]];
  return found.sort((a, b) => a.lcn! - b.lcn!);
}
