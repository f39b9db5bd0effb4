// createDisk: the whole `create` workflow for library callers and the CLI alike. Order: look at the target → plan
// (all validation) → take the target (image files: the lock on the file, then the in-use checks; block devices:
// the in-use checks, then O_EXCL) → without force, refuse existing data (TARGET_HAS_DATA) → write → report. Nothing
// is written before everything that can be refused has been; a stopped run says what it left (disk-state.ts).
import { GuestdiskError } from '../errors.js';
import { findExistingData } from '../inspect/existing-data.js';
import type { ContentReader, Geometry, LogicalSectorSize } from '../disk-types.js';
import type { Layout } from '../plan/layout.js';
import { planDisk } from '../plan/plan-disk.js';
import type { DiskSpec } from '../plan/spec.js';
import type { BlockTarget } from '../target/block-target.js';
import { partitionRereadOf, type PartitionReread } from '../target/block-device.js';
import type { DomainDisksLookup } from '../target/device-checks.js';
import { checkFileForWrite } from '../target/file-checks.js';
import { acquireFileLock, identifyFile, type FileLock } from '../target/file-lock.js';
import { describeTarget, openTargetForRead, openTargetForWrite, removeImageFile, resolveGeometry, type TargetInfo, type TargetKind } from '../target/open-target.js';
import type { NextWrite } from '../write/write-chunks.js';
import { writeDisk, type WriteResult } from '../write/write-disk.js';
import { withDiskState, type StoppedRun } from './disk-state.js';

/** Where to make the disk. */
export interface CreateTarget {
  /** An image file (made sparse if missing) or a Linux block device. */
  readonly path: string;
  /** Image files: the size to make, or to grow an existing image to (with force). Block devices: must agree. */
  readonly sizeBytes?: number;
  /** Image files: 512 (default) or 4096. Block devices: must agree with the kernel's. */
  readonly logicalSectorSize?: LogicalSectorSize;
}

/** An AbortSignal, or anything with its two fields (the CLI's signal handler). */
export interface StopSignal {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

export interface CreateDiskOptions {
  /** Erase whatever the target holds, grow an existing image, allow a partition of a bigger disk. Never lifts
   *  "in use" (TARGET_BUSY). */
  readonly force?: boolean;
  /** Checked before every write: once aborted, the run stops between writes with INTERRUPTED. */
  readonly signal?: StopSignal;
  /** Called before every write (and flush), for progress reports; `diskBytes` is the disk's size. */
  readonly onProgress?: (next: NextWrite, diskBytes: number) => void;
  /** The disks of running libvirt domains (host/virsh.ts), for the in-use checks. */
  readonly domainDisks?: DomainDisksLookup;
  /**
   * The target is a volume the caller has just created (a new LVM logical volume): what it holds are stale
   * signatures of freed extents, not anyone's data, so they are erased without force (and listed in the result).
   */
  readonly freshVolume?: boolean;
  /** With files in the spec (spec.files): opens the reader their bytes are streamed through; opened just before
   *  the first write, closed after the last. */
  readonly openContent?: () => ContentReader;
}

export interface PlannedCreate {
  readonly target: TargetInfo;
  readonly geometry: Geometry;
  readonly layout: Layout;
}

export interface CreateDiskResult {
  readonly path: string;
  readonly kind: TargetKind;
  /** This run created the image file. */
  readonly createdFile: boolean;
  readonly layout: Layout;
  readonly write: WriteResult;
  /** Block devices: what the kernel did when asked to re-read the partition table. */
  readonly partitionReread: PartitionReread | null;
  /** freshVolume: the stale signatures found on it and written over. */
  readonly erasedStaleData: readonly string[];
}

/** Looks at the target and plans the disk; reads and writes nothing else. Everything invalid is refused here. */
export async function planCreate(spec: DiskSpec, target: CreateTarget): Promise<PlannedCreate> {
  if (target === null || typeof target !== 'object' || typeof target.path !== 'string' || target.path === '') {
    throw new GuestdiskError('INVALID_SPEC', 'the create target must be { path: string, sizeBytes?, logicalSectorSize? }');
  }
  const info = await describeTarget(target.path);
  const geometry = resolveGeometry(info, { sizeBytes: target.sizeBytes, logicalSectorSize: target.logicalSectorSize });
  if (info.kind === 'file' && info.exists && geometry.sizeBytes < info.currentSizeBytes) {
    throw new GuestdiskError('INVALID_SPEC', `${info.path} is ${info.currentSizeBytes} bytes, larger than --size ${geometry.sizeBytes}: guestdisk never shrinks a file`, { path: info.path, currentSizeBytes: info.currentSizeBytes, sizeBytes: geometry.sizeBytes });
  }
  return { target: info, geometry, layout: planDisk(spec, geometry) };
}

/** What an existing target already holds (empty for a new image or a target of zeros): for dry runs and refusals. */
export async function findTargetData(planned: PlannedCreate): Promise<string[]> {
  if (!planned.target.exists) return [];
  const reader = await openTargetForRead(planned.target.path, { logicalSectorSize: planned.geometry.logicalSectorSize });
  try {
    return await findExistingData(reader);
  } finally {
    await reader.close();
  }
}

function refuseFound(path: string, found: readonly string[]): void {
  if (found.length > 0) {
    throw new GuestdiskError('TARGET_HAS_DATA', `${path} already holds data (${found.join('; ')}); use --force to erase it`, { path, found });
  }
}

function refuseGrowth(info: TargetInfo, geometry: Geometry, force: boolean): void {
  // An empty file holds nothing: it may become a disk of any size.
  if (info.kind !== 'file' || force || info.currentSizeBytes === 0 || geometry.sizeBytes <= info.currentSizeBytes) return;
  throw new GuestdiskError('TARGET_HAS_DATA', `${info.path} exists with ${info.currentSizeBytes} bytes; growing it to ${geometry.sizeBytes} needs --force`, { path: info.path, currentSizeBytes: info.currentSizeBytes, sizeBytes: geometry.sizeBytes });
}

/** Throws INTERRUPTED once the signal is aborted; `before` (nothing written yet) says so in the message. */
function stopIfAborted(signal: StopSignal | undefined, before?: { readonly path: string }): void {
  if (!signal?.aborted) return;
  const reason = typeof signal.reason === 'string' ? signal.reason : signal.reason instanceof Error ? signal.reason.message : 'the caller';
  const e = new GuestdiskError('INTERRUPTED', `interrupted by ${reason}`, { signal: reason });
  if (!before) throw e;
  throw withDiskState(e, { path: before.path, wroteAny: false, mbrWritten: false, flushed: true, createdFile: false, removed: false, noSpace: false });
}

interface TakenTarget {
  readonly target: BlockTarget;
  readonly lock: FileLock | null;
  readonly createdFile: boolean;
  readonly erasedStaleData: readonly string[];
}

/** An existing image: lock the file, refuse it if in use, then (without force) refuse what it holds; then open it. */
async function takeExistingFile(planned: PlannedCreate, options: CreateDiskOptions): Promise<TakenTarget> {
  const { target: info, geometry } = planned;
  const lock = await acquireFileLock(info.path);
  try {
    await checkFileForWrite(info.path, await identifyFile(info.path), { domainDisks: options.domainDisks });
    const overwrite = (options.force ?? false) || (options.freshVolume ?? false);
    const found = options.force ? [] : await findTargetData(planned);
    if (!options.freshVolume) refuseFound(info.path, found);
    refuseGrowth(info, geometry, overwrite);
    stopIfAborted(options.signal, info);
    const target = await openTargetForWrite(info, geometry, { force: overwrite });
    return { target, lock, createdFile: false, erasedStaleData: options.freshVolume ? found : [] };
  } catch (e) {
    await lock.release();
    throw e;
  }
}

/** A new image: create it (exclusively: never a file that appeared meanwhile), then lock it. */
async function takeNewFile(planned: PlannedCreate, options: CreateDiskOptions): Promise<TakenTarget> {
  stopIfAborted(options.signal, planned.target);
  const target = await openTargetForWrite(planned.target, planned.geometry, { force: false });
  try {
    const lock = await acquireFileLock(planned.target.path);
    return { target, lock, createdFile: true, erasedStaleData: [] };
  } catch (e) {
    // Another run locked the file we made before we could: it is that run's now; leave it.
    await target.close().catch(() => {});
    throw e;
  }
}

/** A block device: the in-use checks and O_EXCL (openBlockDeviceTarget), then, without force, what it holds. */
async function takeDevice(planned: PlannedCreate, options: CreateDiskOptions): Promise<TakenTarget> {
  stopIfAborted(options.signal, planned.target);
  const target = await openTargetForWrite(planned.target, planned.geometry, { force: options.force ?? false, domainDisks: options.domainDisks });
  try {
    const found = options.force ? [] : await findExistingData(target);
    if (!options.freshVolume) refuseFound(planned.target.path, found);
    stopIfAborted(options.signal, planned.target);
    return { target, lock: null, createdFile: false, erasedStaleData: options.freshVolume ? found : [] };
  } catch (e) {
    await target.close().catch(() => {});
    throw e;
  }
}

function takeTarget(planned: PlannedCreate, options: CreateDiskOptions): Promise<TakenTarget> {
  if (planned.target.kind === 'block-device') return takeDevice(planned, options);
  return planned.target.exists ? takeExistingFile(planned, options) : takeNewFile(planned, options);
}

/** Makes the disk: see the top of this file. Throws GuestdiskError only; a stopped run's error says what it left. */
export async function createDisk(spec: DiskSpec, target: CreateTarget, options: CreateDiskOptions = {}): Promise<CreateDiskResult> {
  const planned = await planCreate(spec, target);
  const taken = await takeTarget(planned, options);
  const { path, kind } = planned.target;
  // An existing image rewritten with force was truncated when opened: its old content is already gone.
  let wroteAny = kind === 'file' && planned.target.exists && (options.force ?? false);
  let mbrWritten = false;
  try {
    let write: WriteResult;
    const content = options.openContent?.();
    try {
      write = await writeDisk(planned.layout, taken.target, {
        ...(content ? { content } : {}),
        between: (next) => {
          stopIfAborted(options.signal);
          if (next.kind !== 'flush') wroteAny = true;
          options.onProgress?.(next, planned.geometry.sizeBytes);
        },
        onStep: (step) => {
          if (step.kind === 'mbr') mbrWritten = true;
        },
      });
    } catch (e) {
      await content?.close().catch(() => {});
      const flushed = await taken.target.flush().then(() => true, () => false);
      await taken.target.close().catch(() => {});
      if (!(e instanceof GuestdiskError)) throw e;
      // A new image that is not a complete disk holds nothing anyone wants: remove it (it may also be what filled
      // the filesystem).
      const removed = taken.createdFile && !mbrWritten && (await removeImageFile(path));
      const noSpace = e.details.errno === 'ENOSPC';
      throw withDiskState(e, { path, wroteAny, mbrWritten, flushed, createdFile: taken.createdFile, removed, noSpace } satisfies StoppedRun);
    }
    await content?.close();
    await taken.target.close(); // block devices: fsync, then ask the kernel to re-read the table (BLKRRPART)
    return { path, kind, createdFile: taken.createdFile, layout: planned.layout, write, partitionReread: partitionRereadOf(taken.target), erasedStaleData: taken.erasedStaleData };
  } finally {
    await taken.lock?.release();
  }
}
