// guestdisk's public API: make a disk (createDisk: the whole workflow), or plan and write it step by step, and the
// targets to write to.
export { GuestdiskError, type ErrorCode, type ErrorDetails } from './errors.js';
export { createDisk, planCreate, findTargetData, type CreateTarget, type CreateDiskOptions, type CreateDiskResult, type PlannedCreate, type StopSignal } from './create/create-disk.js';
export type { DiskState } from './create/disk-state.js';
export { planDisk, minimumDiskBytes } from './plan/plan-disk.js';
export { parseSize, parseTimestamp, parseSectorSize, parseTableKind, parseFsKind, type DiskSpec } from './plan/spec.js';
export type { Layout, Geometry, Step, StepKind, Chunk, PartitionPlan, TablePlan, GptTablePlan, MbrTablePlan, LogicalSectorSize, TableKind, FsKind } from './plan/layout.js';
export type { FsPlan } from './fs/registry.js';
export { writeDisk, type WriteOptions, type WriteResult } from './write/write-disk.js';
export type { BlockTarget } from './target/block-target.js';
export { sliceTarget } from './target/block-target.js';
export { openMemoryTarget, type MemoryTarget, type MemoryTargetOptions } from './target/memory-target.js';
export { openFileTarget, type FileTargetOptions } from './target/file-target.js';
export { openBlockDeviceTarget, readBlockDeviceGeometry, partitionRereadOf, type PartitionReread } from './target/block-device.js';
export { setIoctlEnabled } from './target/ioctl.js';
export { findExistingData } from './inspect/existing-data.js';
export { loadCopySources, parseCopyFrom, type CopyFrom, type LoadedSources } from './source/copy-from.js';
export type { FileTree, TreeDir, TreeFile, TreeNode, ContentRef, ContentReader } from './disk-types.js';
export type { Finding, Severity } from './binary/fields.js';
export { inspectDisk, type InspectOptions } from './inspect/inspect.js';
export { verifyDisk, verifyReport, checkExpectations, mainVolume } from './inspect/verify.js';
export { detectSectorSize, type SectorSizeGuess } from './inspect/sector-size.js';
export { FINDING_CODES, windowsMeaning, type FindingCode } from './inspect/finding-codes.js';
export type {
  DiskReport, VerifyReport, VerifyExpectations, InspectFinding, PartitionReport, FilesystemReport, TableReport,
  GptTableReport, MbrTableReport, GptHeaderReport, SectorSizeSource, FsDetails, NtfsReport, ExfatReport, FatReport,
} from './inspect/report.js';
export { openVolume, openDiskVolume, type DiskVolume } from './read/open-volume.js';
export type { VolumeReader, Entry, EntryKind, EntryTimes, EntryAttributes, StreamInfo, ReadOptions, VolumeWarning, ReadableFs } from './read/types.js';
export { planGrowFrom, growDisk, type PlannedGrow } from './grow/grow-disk.js';
export { writeGrow, type GrowWriteOptions, type GrowWriteResult } from './grow/write-grow.js';
export type { GrowPlan, GrowStep, GrowSource } from './grow/types.js';
