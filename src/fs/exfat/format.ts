// exFAT formatter: turns an ExfatPlan into chunks (offsets relative to the volume's first byte). The body is the
// FAT, the allocation bitmap, the up-case table and the root directory cluster, each written in full (zero ranges
// included) so that a reused disk shows nothing stale in them; then the backup boot region, then the main one.
import type { Chunk } from '../../disk-types.js';
import type { FsChunks } from '../fs-interface.js';
import { bitmapChunks } from './allocation-bitmap.js';
import { encodeBootRegion, BOOT_REGION_SECTORS } from './boot-region.js';
import { exfatBootCode, EXFAT_BOOT_SIGNATURE, EXFAT_DRIVE_SELECT, EXFAT_FILE_SYSTEM_NAME, EXFAT_FILE_SYSTEM_REVISION, EXFAT_JUMP_BOOT, type ExfatBootSector } from './boot-sector.js';
import { ALLOCATION_BITMAP_ENTRY, DIR_ENTRY_SIZE, ENTRY_TYPE, UPCASE_TABLE_ENTRY, VOLUME_GUID_ENTRY, VOLUME_LABEL_ENTRY, volumeGuidEntry, volumeLabelEntry } from './dir-entry.js';
import { fatChunks, type ClusterChain } from './fat.js';
import { FIRST_CLUSTER, type ExfatPlan } from './plan.js';
import { windowsUpcaseTable } from './upcase.js';
import { exfatUpcaseName, rootSystemEntries } from './content-plan.js';
import { encodeExfatDirectory, exfatDirectoryChains, exfatFatPieces, exfatFatPiecesBytes, exfatFileChunks, placeExfatTree, type ExfatPlacement } from './populate.js';

/** The boot sector the plan describes (main and backup are identical at format time). */
export function exfatBootSectorFor(plan: ExfatPlan): ExfatBootSector {
  return {
    jumpBoot: Uint8Array.from(EXFAT_JUMP_BOOT),
    fileSystemName: EXFAT_FILE_SYSTEM_NAME,
    mustBeZero: new Uint8Array(53),
    partitionOffset: plan.partitionOffset,
    volumeLength: plan.volumeLength,
    fatOffset: plan.fatOffset,
    fatLength: plan.fatLength,
    clusterHeapOffset: plan.clusterHeapOffset,
    clusterCount: plan.clusterCount,
    firstClusterOfRootDirectory: plan.firstClusterOfRootDirectory,
    volumeSerialNumber: plan.volumeSerialNumber,
    fileSystemRevision: EXFAT_FILE_SYSTEM_REVISION,
    volumeFlags: 0,
    bytesPerSectorShift: plan.bytesPerSectorShift,
    sectorsPerClusterShift: plan.sectorsPerClusterShift,
    numberOfFats: 1,
    driveSelect: EXFAT_DRIVE_SELECT,
    percentInUse: plan.percentInUse,
    reserved: new Uint8Array(7),
    bootCode: exfatBootCode(),
    bootSignature: EXFAT_BOOT_SIGNATURE,
  };
}

/** The root directory's entries, in Windows' order (label, bitmap, up-case), then the Volume GUID entry if the
 *  plan asks for it; the rest of the cluster is zero (end of directory). */
export function encodeRootEntries(plan: ExfatPlan): Uint8Array {
  const out = new Uint8Array(4 * DIR_ENTRY_SIZE);
  VOLUME_LABEL_ENTRY.encodeInto(volumeLabelEntry(plan.label), out, 0);
  ALLOCATION_BITMAP_ENTRY.encodeInto({ entryType: ENTRY_TYPE.allocationBitmap, bitmapFlags: 0, reserved: new Uint8Array(18), firstCluster: plan.bitmapFirstCluster, dataLength: plan.bitmapLengthBytes }, out, DIR_ENTRY_SIZE);
  UPCASE_TABLE_ENTRY.encodeInto({ entryType: ENTRY_TYPE.upcaseTable, reserved1: new Uint8Array(3), tableChecksum: plan.upcaseTableChecksum, reserved2: new Uint8Array(12), firstCluster: plan.upcaseFirstCluster, dataLength: plan.upcaseLengthBytes }, out, 2 * DIR_ENTRY_SIZE);
  if (plan.volumeGuidEntry) VOLUME_GUID_ENTRY.encodeInto(volumeGuidEntry(plan.volumeGuid), out, 3 * DIR_ENTRY_SIZE);
  return out;
}

function clusterOffsetBytes(plan: ExfatPlan, cluster: number): number {
  return plan.clusterHeapOffset * plan.bytesPerSector + (cluster - FIRST_CLUSTER) * plan.clusterSize;
}

/** `bytes` at the start of `clusterCount` clusters from `firstCluster`, padded to a sector, the rest a zero range. */
function* clusterContent(plan: ExfatPlan, firstCluster: number, clusterCount: number, bytes: Uint8Array): Generator<Chunk> {
  const at = clusterOffsetBytes(plan, firstCluster);
  const padded = new Uint8Array(Math.ceil(bytes.length / plan.bytesPerSector) * plan.bytesPerSector);
  padded.set(bytes);
  yield { offsetBytes: at, bytes: padded };
  const rest = clusterCount * plan.clusterSize - padded.length;
  if (rest > 0) yield { offsetBytes: at + padded.length, zeroBytes: rest };
}

function* body(plan: ExfatPlan): Generator<Chunk> {
  const clustersFor = (bytes: number): number => Math.ceil(bytes / plan.clusterSize);
  const bitmapClusters = clustersFor(plan.bitmapLengthBytes);
  const upcaseClusters = clustersFor(plan.upcaseLengthBytes);
  const chains: ClusterChain[] = [
    { firstCluster: plan.bitmapFirstCluster, clusterCount: bitmapClusters },
    { firstCluster: plan.upcaseFirstCluster, clusterCount: upcaseClusters },
    { firstCluster: plan.firstClusterOfRootDirectory, clusterCount: 1 },
  ];
  yield* fatChunks(plan.fatOffset * plan.bytesPerSector, plan.fatLength * plan.bytesPerSector, chains, plan.bytesPerSector);
  yield* bitmapChunks(clusterOffsetBytes(plan, plan.bitmapFirstCluster), bitmapClusters * plan.clusterSize,
    [{ firstIndex: 0, count: plan.usedClusterCount }], plan.bytesPerSector);
  const upcase = windowsUpcaseTable();
  yield* clusterContent(plan, plan.upcaseFirstCluster, upcaseClusters, upcase.bytes);
  yield* clusterContent(plan, plan.firstClusterOfRootDirectory, 1, encodeRootEntries(plan));
}

/** The body of a volume holding a copied tree: FAT chains (bitmap, up-case table, every directory), the bitmap
 *  (one run: populate.ts packs every cluster in use at the front), the up-case table, every directory. */
function* populatedBody(plan: ExfatPlan, placement: ExfatPlacement): Generator<Chunk> {
  const clustersFor = (bytes: number): number => Math.ceil(bytes / plan.clusterSize);
  const bitmapClusters = clustersFor(plan.bitmapLengthBytes);
  const upcaseClusters = clustersFor(plan.upcaseLengthBytes);
  const chains: ClusterChain[] = [
    { firstCluster: plan.bitmapFirstCluster, clusterCount: bitmapClusters },
    { firstCluster: plan.upcaseFirstCluster, clusterCount: upcaseClusters },
    ...exfatDirectoryChains(placement),
  ];
  const fatOffset = plan.fatOffset * plan.bytesPerSector;
  const fatHead = exfatFatPiecesBytes(placement.usedClusterCount, plan.bytesPerSector);
  yield* exfatFatPieces(chains, placement.usedClusterCount, plan.bytesPerSector, fatOffset);
  if (plan.fatLength * plan.bytesPerSector > fatHead) yield { offsetBytes: fatOffset + fatHead, zeroBytes: plan.fatLength * plan.bytesPerSector - fatHead };
  yield* bitmapChunks(clusterOffsetBytes(plan, plan.bitmapFirstCluster), bitmapClusters * plan.clusterSize,
    [{ firstIndex: 0, count: placement.usedClusterCount }], plan.bytesPerSector);
  yield* clusterContent(plan, plan.upcaseFirstCluster, upcaseClusters, windowsUpcaseTable().bytes);
  const rootHead = encodeRootEntries(plan).subarray(0, rootSystemEntries(plan.volumeGuidEntry) * DIR_ENTRY_SIZE);
  for (const dir of placement.dirs) {
    yield { offsetBytes: clusterOffsetBytes(plan, dir.firstCluster), bytes: encodeExfatDirectory(dir, placement, plan.clusterSize, plan.timestamp, dir.isRoot ? rootHead : new Uint8Array(0), exfatUpcaseName) };
  }
}

export function formatExfat(plan: ExfatPlan): FsChunks {
  const placement = plan.files === null ? null : placeExfatTree({
    root: plan.files.root, clusterSize: plan.clusterSize, rootFirstCluster: plan.firstClusterOfRootDirectory, rootSystemEntries: rootSystemEntries(plan.volumeGuidEntry),
  }).placement;
  return {
    body: () => (placement ? populatedBody(plan, placement) : body(plan)),
    files: () => (placement ? exfatFileChunks(placement, (c) => clusterOffsetBytes(plan, c), plan.bytesPerSector, plan.clusterSize) : []),
    bootBackup: () => [{ offsetBytes: BOOT_REGION_SECTORS * plan.bytesPerSector, bytes: encodeBootRegion(exfatBootSectorFor(plan)) }],
    boot: () => [{ offsetBytes: 0, bytes: encodeBootRegion(exfatBootSectorFor(plan)) }],
  };
}
