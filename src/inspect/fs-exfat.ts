// exFAT inspector: decodes the main boot region (falling back to the backup when its checksum or boot sector is
// bad), compares the two regions, checks PartitionOffset and VolumeLength against the partition, then walks the
// root directory (through the FAT, bounded) for the label, allocation bitmap and up-case table, whose checksum it
// verifies. Read-only; every loop is bounded; garbage gives findings or a GuestdiskError, nothing else.
import { finding, type Finding } from '../binary/fields.js';
import { GuestdiskError, hex, isGuestdiskError } from '../errors.js';
import { BOOT_REGION_SECTORS, checkBootRegion } from '../fs/exfat/boot-region.js';
import { EXFAT_BOOT_SECTOR, checkExfatBootSector, type ExfatBootSector } from '../fs/exfat/boot-sector.js';
import { BOOT_CHECKSUM_SKIPPED_OFFSETS } from '../fs/exfat/checksum.js';
import {
  ALLOCATION_BITMAP_ENTRY, DIR_ENTRY_SIZE, ENTRY_TYPE, UPCASE_TABLE_ENTRY, VOLUME_GUID_ENTRY, VOLUME_LABEL_ENTRY, VOLUME_LABEL_MAX_UNITS,
  checkVolumeGuidEntry,
} from '../fs/exfat/dir-entry.js';
import { FAT_ENTRY_BYTES } from '../fs/exfat/fat.js';
import { upcaseTableChecksum } from '../fs/exfat/upcase.js';
import type { BlockTarget } from '../target/block-target.js';
import type { VolumeGeometryReport } from './report.js';
import type { FsInspectContext } from './fs-dispatch.js';

export interface ExfatReport extends VolumeGeometryReport {
  readonly type: 'exfat';
  /** The first in-use Volume Label entry's text; null when there is none (Windows' unused 0x03 entry: no label). */
  readonly label: string | null;
  /** VolumeSerialNumber, 8 lower-case hex digits. */
  readonly serial: string;
  /** The Volume GUID entry's GUID (optional; Windows' format writes none); null when the root has none. */
  readonly volumeGuid: string | null;
  /** PartitionOffset, in sectors (0: "ignore"). */
  readonly partitionOffset: number;
  readonly percentInUse: number;
  readonly volumeFlags: number;
  /** The main boot region was unusable and the values come from the backup (sectors 12–23). */
  readonly usedBackupBootRegion: boolean;
}

const S = 'ExfatVolume';
const VOLUME_DIRTY = 0x0002;
/** Root directory clusters and bytes we are willing to read (a fresh root is one cluster). */
const MAX_ROOT_CLUSTERS = 256;
const MAX_ROOT_BYTES = 4 * 1024 * 1024;
/** An up-case table never needs more than 65,536 two-byte entries (a compressed one is shorter). */
const MAX_UPCASE_BYTES = 0x10000 * 2;
const FAT_FREE = 0;
const FAT_BAD = 0xfffffff7;
const FAT_END_MIN = 0xfffffff8;

interface Region {
  readonly bs: ExfatBootSector;
  readonly bytes: Uint8Array;
  readonly bytesPerSector: number;
}

async function readIfInside(volume: BlockTarget, offsetBytes: number, lengthBytes: number): Promise<Uint8Array | null> {
  if (!Number.isSafeInteger(offsetBytes) || !Number.isSafeInteger(lengthBytes) || offsetBytes < 0 || lengthBytes <= 0 || offsetBytes + lengthBytes > volume.sizeBytes) return null;
  return volume.read(offsetBytes, lengthBytes);
}

/** The boot region starting at sector `firstSector`, or why it is unusable ('checksum' problems apart). */
async function readRegion(volume: BlockTarget, firstSector: number, bytesPerSector: number): Promise<{ region: Region | null; problem: string; checksumOnly: boolean }> {
  const bytes = await readIfInside(volume, firstSector * bytesPerSector, BOOT_REGION_SECTORS * bytesPerSector);
  if (!bytes) return { region: null, problem: `no room for a ${bytesPerSector}-byte-sector boot region at sector ${firstSector}`, checksumOnly: false };
  let bs: ExfatBootSector;
  try {
    bs = EXFAT_BOOT_SECTOR.decode(bytes);
  } catch (e) {
    if (!isGuestdiskError(e)) throw e;
    return { region: null, problem: e.message, checksumOnly: false };
  }
  const bsErrors = checkExfatBootSector(bs).filter((f) => f.severity === 'error');
  if (bsErrors.length > 0) return { region: null, problem: bsErrors[0].message, checksumOnly: false };
  if (2 ** bs.bytesPerSectorShift !== bytesPerSector) {
    return { region: null, problem: `BytesPerSectorShift ${bs.bytesPerSectorShift} does not match ${bytesPerSector}-byte sectors`, checksumOnly: false };
  }
  const regionErrors = checkBootRegion(bytes, bytesPerSector, firstSector === 0 ? 'main boot region' : 'backup boot region');
  const region = { bs, bytes, bytesPerSector };
  if (regionErrors.length > 0) return { region, problem: regionErrors[0].message, checksumOnly: true };
  return { region, problem: '', checksumOnly: false };
}

/** Sector sizes to try for a region whose own BytesPerSectorShift cannot be trusted. */
function candidateSectorSizes(shiftByte: number): number[] {
  const all = [512, 4096, 1024, 2048];
  const own = shiftByte >= 9 && shiftByte <= 12 ? 2 ** shiftByte : null;
  return own === null ? all : [own, ...all.filter((s) => s !== own)];
}

/** Follows a FAT chain from `first` for at most `maxClusters`; stops at end-of-chain, free, bad or a repeat. */
async function clusterChain(volume: BlockTarget, bs: ExfatBootSector, first: number, maxClusters: number): Promise<{ clusters: number[]; problem: string | null }> {
  const bps = 2 ** bs.bytesPerSectorShift;
  const clusters: number[] = [];
  const seen = new Set<number>();
  let c = first;
  for (let i = 0; i < maxClusters; i++) {
    if (c < 2 || c > bs.clusterCount + 1) return { clusters, problem: `cluster ${c} is outside the heap (2..${bs.clusterCount + 1})` };
    if (seen.has(c)) return { clusters, problem: `the chain loops back to cluster ${c}` };
    seen.add(c);
    clusters.push(c);
    const entryAt = bs.fatOffset * bps + c * FAT_ENTRY_BYTES;
    const entry = await readIfInside(volume, entryAt, FAT_ENTRY_BYTES);
    if (!entry) return { clusters, problem: `FAT entry ${c} lies past the end of the volume` };
    const next = new DataView(entry.buffer, entry.byteOffset, 4).getUint32(0, true);
    if (next >= FAT_END_MIN) return { clusters, problem: null };
    if (next === FAT_FREE || next === FAT_BAD) return { clusters, problem: `FAT entry ${c} is ${next === FAT_FREE ? 'free' : 'bad'} inside a chain` };
    c = next;
  }
  return { clusters, problem: null }; // long enough for what we read
}

async function readClusters(volume: BlockTarget, bs: ExfatBootSector, clusters: readonly number[], lengthBytes: number): Promise<Uint8Array | null> {
  const bps = 2 ** bs.bytesPerSectorShift;
  const clusterSize = bps * 2 ** bs.sectorsPerClusterShift;
  const out = new Uint8Array(lengthBytes);
  let done = 0;
  for (const c of clusters) {
    if (done >= lengthBytes) break;
    const n = Math.min(clusterSize, lengthBytes - done);
    const part = await readIfInside(volume, bs.clusterHeapOffset * bps + (c - 2) * clusterSize, n);
    if (!part) return null;
    out.set(part, done);
    done += n;
  }
  return done === lengthBytes ? out : null;
}

/** At most this many clusters of each metadata chain are checked against the allocation bitmap. */
const MAX_MARK_CHECKS = 4096;

/** The allocation bitmap must mark its own clusters and those of the up-case table and root directory in use. */
async function checkBitmapMarks(volume: BlockTarget, bs: ExfatBootSector, entry: { firstCluster: number; dataLength: number }, others: readonly number[], findings: Finding[]): Promise<void> {
  const clusterSize = 2 ** bs.bytesPerSectorShift * 2 ** bs.sectorsPerClusterShift;
  const bitmapClusters = Math.ceil(Math.min(entry.dataLength, Math.ceil(bs.clusterCount / 8)) / clusterSize);
  const chain = await clusterChain(volume, bs, entry.firstCluster, Math.min(bitmapClusters, MAX_MARK_CHECKS));
  if (chain.problem) {
    findings.push(finding({ code: 'EXFAT_ALLOCATION_BITMAP', structure: S, message: `the allocation bitmap's chain: ${chain.problem}` }));
    return;
  }
  const wanted = [...chain.clusters, ...others.slice(0, MAX_MARK_CHECKS)];
  const cache = new Map<number, Uint8Array | null>();
  const free: number[] = [];
  for (const c of wanted) {
    const byte = (c - 2) >> 3;
    const index = Math.floor(byte / clusterSize);
    if (index >= chain.clusters.length) continue;
    if (!cache.has(index)) cache.set(index, await readClusters(volume, bs, [chain.clusters[index]], clusterSize));
    const part = cache.get(index);
    if (part && (part[byte % clusterSize] & (1 << ((c - 2) & 7))) === 0) free.push(c);
  }
  if (free.length > 0) {
    findings.push(finding({ code: 'EXFAT_BITMAP_METADATA_FREE', structure: S, actual: `clusters ${free.slice(0, 8).join(', ')} marked free`,
      message: `the allocation bitmap marks clusters of the bitmap, up-case table or root directory free (${free.slice(0, 4).join(', ')}): a new file would overwrite them` }));
  }
}

function differingByte(main: Uint8Array, backup: Uint8Array): number {
  for (let i = 0; i < main.length; i++) {
    if (main[i] !== backup[i] && !BOOT_CHECKSUM_SKIPPED_OFFSETS.includes(i)) return i;
  }
  return -1;
}

export async function inspectExfatVolume(volume: BlockTarget, ctx: FsInspectContext): Promise<{ report: ExfatReport; findings: Finding[] }> {
  if (volume.sizeBytes < 512) {
    throw new GuestdiskError('CORRUPT_STRUCTURE', `exFAT volume of ${volume.sizeBytes} bytes has no room for a boot sector`, { sizeBytes: volume.sizeBytes });
  }
  const findings: Finding[] = [];
  const first = await volume.read(0, 512);
  const sizes = candidateSectorSizes(first[EXFAT_BOOT_SECTOR.fields.bytesPerSectorShift.offset]);

  const main = await readRegion(volume, 0, sizes[0]);
  let region: Region;
  let usedBackup = false;
  if (main.region && !main.checksumOnly) {
    region = main.region;
  } else {
    let backup: Region | null = null;
    for (const s of sizes) {
      const b = await readRegion(volume, BOOT_REGION_SECTORS, s);
      if (b.region && !b.checksumOnly) {
        backup = b.region;
        break;
      }
    }
    if (!backup) {
      throw new GuestdiskError('CORRUPT_STRUCTURE', `no usable exFAT boot region: main: ${main.problem}`, { reason: main.problem });
    }
    findings.push(finding({ code: main.checksumOnly ? 'EXFAT_BOOT_CHECKSUM' : 'EXFAT_BOOT_SECTOR_BAD', structure: S, offsetBytes: 0, actual: main.problem,
      message: `the main boot region is unusable (${main.problem}); the backup boot region (sectors 12–23) is used, as Windows does; fsck.exfat restores the main one` }));
    region = backup;
    usedBackup = true;
  }
  const { bs, bytesPerSector } = region;
  const clusterSize = bytesPerSector * 2 ** bs.sectorsPerClusterShift;
  const volumeSizeBytes = bs.volumeLength * bytesPerSector;

  if (!usedBackup) {
    const backup = await readIfInside(volume, BOOT_REGION_SECTORS * bytesPerSector, BOOT_REGION_SECTORS * bytesPerSector);
    const at = backup ? differingByte(region.bytes, backup) : 0;
    if (!backup || at >= 0) {
      findings.push(finding({ code: 'EXFAT_BACKUP_BOOT_DIFFERS', structure: S, offsetBytes: BOOT_REGION_SECTORS * bytesPerSector + Math.max(at, 0),
        message: backup
          ? `the backup boot region differs from the main one at byte ${hex(at, 4)} (sector ${Math.floor(at / bytesPerSector)}): a damaged main region could not be recovered from it`
          : 'no room for the backup boot region' }));
    }
  }
  if (ctx.partitionStartLba !== null && bs.partitionOffset !== ctx.partitionStartLba) {
    findings.push(finding({ severity: 'warning', code: 'EXFAT_PARTITION_OFFSET', structure: S, field: 'partitionOffset', offsetBytes: EXFAT_BOOT_SECTOR.fields.partitionOffset.offset,
      expected: String(ctx.partitionStartLba), actual: String(bs.partitionOffset),
      message: `PartitionOffset ${bs.partitionOffset} differs from the partition start LBA ${ctx.partitionStartLba}: data volumes mount, booting from it would not` }));
  }
  if (volumeSizeBytes > ctx.partitionSizeBytes) {
    findings.push(finding({ code: 'EXFAT_VOLUME_TOO_LARGE', structure: S, field: 'volumeLength', offsetBytes: EXFAT_BOOT_SECTOR.fields.volumeLength.offset,
      expected: `at most ${ctx.partitionSizeBytes} bytes`, actual: `${volumeSizeBytes} bytes`,
      message: `the exFAT volume (${volumeSizeBytes} bytes) is larger than its partition (${ctx.partitionSizeBytes} bytes): Windows refuses to mount it` }));
  }
  if ((bs.volumeFlags & VOLUME_DIRTY) !== 0) {
    findings.push(finding({ severity: 'warning', code: 'EXFAT_VOLUME_DIRTY', structure: S, field: 'volumeFlags', offsetBytes: EXFAT_BOOT_SECTOR.fields.volumeFlags.offset,
      message: 'VolumeDirty is set: the volume was not unmounted cleanly; Windows checks it before use' }));
  }

  // Root directory: label, allocation bitmap, up-case table.
  let label: string | null = null;
  let volumeGuid: string | null = null;
  const rootChain = await clusterChain(volume, bs, bs.firstClusterOfRootDirectory, Math.min(MAX_ROOT_CLUSTERS, Math.floor(MAX_ROOT_BYTES / clusterSize) || 1));
  if (rootChain.problem) {
    findings.push(finding({ code: 'EXFAT_ROOT_DIRECTORY', structure: S, message: `root directory chain: ${rootChain.problem}` }));
  }
  const root = rootChain.clusters.length > 0 ? await readClusters(volume, bs, rootChain.clusters, rootChain.clusters.length * clusterSize) : null;
  let sawBitmap = false;
  let sawUpcase = false;
  let bitmapEntry: { firstCluster: number; dataLength: number } | null = null;
  let upcaseClusters: readonly number[] = [];
  if (root) {
    for (let at = 0; at + DIR_ENTRY_SIZE <= root.length; at += DIR_ENTRY_SIZE) {
      const type = root[at];
      if (type === ENTRY_TYPE.endOfDirectory) break;
      const entry = root.subarray(at, at + DIR_ENTRY_SIZE);
      if (type === ENTRY_TYPE.volumeLabel && label === null) {
        const e = VOLUME_LABEL_ENTRY.decode(entry);
        if (e.characterCount > VOLUME_LABEL_MAX_UNITS) {
          findings.push(finding({ code: 'EXFAT_VOLUME_LABEL', structure: S, actual: String(e.characterCount), message: `the Volume Label entry claims ${e.characterCount} characters (at most ${VOLUME_LABEL_MAX_UNITS})` }));
        }
        if (type === ENTRY_TYPE.volumeLabel) label = e.volumeLabel.slice(0, Math.min(e.characterCount, VOLUME_LABEL_MAX_UNITS));
      } else if (type === ENTRY_TYPE.volumeGuid && volumeGuid === null) {
        const e = VOLUME_GUID_ENTRY.decode(entry);
        volumeGuid = e.volumeGuid;
        // A bad set checksum makes Windows treat the entry as corrupt (chkdsk removes it); the volume still mounts.
        findings.push(...checkVolumeGuidEntry(e));
      } else if (type === ENTRY_TYPE.allocationBitmap) {
        const e = ALLOCATION_BITMAP_ENTRY.decode(entry);
        sawBitmap = true;
        if (!bitmapEntry) bitmapEntry = { firstCluster: e.firstCluster, dataLength: e.dataLength };
        if (e.dataLength < Math.ceil(bs.clusterCount / 8)) {
          findings.push(finding({ code: 'EXFAT_ALLOCATION_BITMAP', structure: S, expected: `≥ ${Math.ceil(bs.clusterCount / 8)} bytes`, actual: `${e.dataLength} bytes`, message: `the allocation bitmap (${e.dataLength} bytes) is too short for ${bs.clusterCount} clusters` }));
        }
      } else if (type === ENTRY_TYPE.upcaseTable && !sawUpcase) {
        sawUpcase = true;
        const e = UPCASE_TABLE_ENTRY.decode(entry);
        if (e.dataLength === 0 || e.dataLength > MAX_UPCASE_BYTES) {
          findings.push(finding({ code: 'EXFAT_UPCASE_CHECKSUM', structure: S, actual: `${e.dataLength} bytes`, message: `the up-case table is ${e.dataLength} bytes long (1..${MAX_UPCASE_BYTES})` }));
          continue;
        }
        const chain = await clusterChain(volume, bs, e.firstCluster, Math.ceil(e.dataLength / clusterSize));
        const table = chain.problem ? null : await readClusters(volume, bs, chain.clusters, e.dataLength);
        if (!table) {
          findings.push(finding({ code: 'EXFAT_UPCASE_CHECKSUM', structure: S, message: `the up-case table at cluster ${e.firstCluster} cannot be read${chain.problem ? `: ${chain.problem}` : ''}` }));
          continue;
        }
        upcaseClusters = chain.clusters;
        const sum = upcaseTableChecksum(table);
        if (sum !== e.tableChecksum) {
          findings.push(finding({ code: 'EXFAT_UPCASE_CHECKSUM', structure: S, expected: hex(e.tableChecksum), actual: hex(sum),
            message: `the up-case table's checksum is ${hex(sum)}, its directory entry says ${hex(e.tableChecksum)}: Windows and fsck.exfat reject the volume` }));
        }
      }
    }
  }
  if (bitmapEntry) await checkBitmapMarks(volume, bs, bitmapEntry, [...rootChain.clusters, ...upcaseClusters], findings);
  if (!sawBitmap || !sawUpcase) {
    findings.push(finding({ code: 'EXFAT_ROOT_METADATA_MISSING', structure: S,
      message: `the root directory has no ${[!sawBitmap ? 'Allocation Bitmap' : '', !sawUpcase ? 'Up-case Table' : ''].filter(Boolean).join(' or ')} entry: no implementation mounts it` }));
  }

  return {
    report: {
      type: 'exfat',
      label,
      volumeGuid,
      serial: bs.volumeSerialNumber.toString(16).padStart(8, '0'),
      bytesPerSector,
      clusterSize,
      clusterCount: bs.clusterCount,
      volumeSizeBytes,
      partitionSizeBytes: ctx.partitionSizeBytes,
      partitionOffset: bs.partitionOffset,
      percentInUse: bs.percentInUse,
      volumeFlags: bs.volumeFlags,
      usedBackupBootRegion: usedBackup,
    },
    findings,
  };
}
