// `guestdisk create`: plan, refuse what must be refused, then write. Order: look at the target → plan (all
// validation) → dry-run stops here → read existing data (refuse without --force) → open for write → write.
import { closeSync, openSync, readSync } from 'node:fs';
import { GuestdiskError } from '../errors.js';
import { findExistingData } from '../inspect/existing-data.js';
import type { Geometry } from '../disk-types.js';
import type { Layout } from '../plan/layout.js';
import { planDisk } from '../plan/plan-disk.js';
import { parseFsKind, parseSectorSize, parseSize, parseTableKind, parseTimestamp, type DiskSpec } from '../plan/spec.js';
import { acquireFileLock, type FileLock } from '../target/file-lock.js';
import { describeTarget, openTargetForRead, openTargetForWrite, resolveGeometry, type TargetInfo } from '../target/open-target.js';
import { writeDisk, type WriteResult } from '../write/write-disk.js';
import type { NextWrite } from '../write/write-chunks.js';
import { formatBytes, renderLayout } from './render.js';
import type { CliIo } from './io.js';
import { attachAfterCreate, checkHostOptions, libvirtDomainDisks, prepareLvm, type HostOptions } from './host-steps.js';
import { partitionRereadOf, type PartitionReread } from '../target/block-device.js';

export type { CliIo }; // its home is io.ts; re-exported for callers that import it from here

/** `create`'s options as commander hands them over; the LVM/libvirt ones are host-steps.ts's HostOptions. */
export interface CreateOptions extends HostOptions {
  size?: string;
  table: string;
  fs: string;
  label?: string;
  sectorSize?: string;
  clusterSize?: string;
  partitionName?: string;
  seed?: string;
  timestamp?: string;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
  exfatVolumeGuid?: boolean;
}

function pickSeed(options: CreateOptions): string {
  if (options.seed !== undefined) {
    if (options.seed === '') throw new GuestdiskError('INVALID_SPEC', '--seed must not be empty');
    return options.seed;
  }
  return randomSeed();
}

/**
 * 16 bytes from the kernel's random source, as hex. Read from /dev/urandom rather than through node:crypto, whose
 * OpenSSL start-up would add ~2 MB to the peak memory of every run (bench/, issue 9); guestdisk runs on Linux only.
 */
function randomSeed(): string {
  const bytes = new Uint8Array(16);
  const fd = openSync('/dev/urandom', 'r');
  try {
    if (readSync(fd, bytes) !== bytes.length) throw new Error('short read from /dev/urandom');
  } finally {
    closeSync(fd);
  }
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function pickTimestamp(options: CreateOptions, io: CliIo): number {
  if (options.timestamp !== undefined) return parseTimestamp(options.timestamp);
  const sde = io.env.SOURCE_DATE_EPOCH;
  if (sde !== undefined && sde !== '') return parseTimestamp(sde);
  return Math.floor(io.now() / 1000);
}

export async function runCreate(targetArg: string | undefined, options: CreateOptions, io: CliIo): Promise<number> {
  if (options.lvm !== undefined && targetArg !== undefined) {
    throw new GuestdiskError('INVALID_SPEC', 'give either TARGET or --lvm VG/LV, not both');
  }
  if (options.lvm === undefined && targetArg === undefined) {
    throw new GuestdiskError('INVALID_SPEC', 'missing TARGET (an image file or block device), or --lvm VG/LV');
  }
  if (options.dryRun && options.lvm !== undefined) {
    throw new GuestdiskError('INVALID_SPEC', '--dry-run with --lvm: plan against the volume after creating it (guestdisk create /dev/VG/LV --dry-run)');
  }
  checkHostOptions(options); // --lvm/--size/--bus/--target-dev/--cache are checked before anything is written
  const targetPath = targetArg ?? (await prepareLvm(options, io));
  const table = parseTableKind(options.table);
  const fs = parseFsKind(options.fs);
  const spec: DiskSpec = {
    table,
    fs,
    label: options.label,
    clusterSize: options.clusterSize !== undefined ? parseSize(options.clusterSize, 'cluster size') : undefined,
    partitionName: options.partitionName,
    seed: pickSeed(options),
    timestamp: pickTimestamp(options, io),
    ...(options.exfatVolumeGuid ? { exfatVolumeGuid: true } : {}),
  };
  const info = await describeTarget(targetPath);
  const geometry = resolveGeometry(info, {
    sizeBytes: options.size !== undefined && options.lvm === undefined ? parseSize(options.size) : undefined,
    logicalSectorSize: options.sectorSize !== undefined ? parseSectorSize(options.sectorSize) : undefined,
  });
  if (info.kind === 'file' && info.exists && geometry.sizeBytes < info.currentSizeBytes) {
    throw new GuestdiskError('INVALID_SPEC', `${targetPath} is ${info.currentSizeBytes} bytes, larger than --size ${geometry.sizeBytes}: guestdisk never shrinks a file`);
  }
  const layout = planDisk(spec, geometry);

  if (options.dryRun) {
    io.stdout(options.json ? JSON.stringify({ dryRun: true, target: targetPath, layout }, null, 2) : `${renderLayout(layout, targetPath)}\n(dry run: nothing written)`);
    return 0;
  }

  // Image files: one guestdisk at a time (block devices get the same from O_EXCL when opened for writing).
  const lock: FileLock | null = info.kind === 'file' ? await acquireFileLock(targetPath) : null;
  try {
    await refuseExistingData(targetPath, info, geometry, options);
    const { result, partitionReread } = await writeLayout(layout, info, geometry, options, io);
    if (options.attach !== undefined || options.printXml) await attachAfterCreate(targetPath, info.kind, options, io);
    io.stdout(options.json ? JSON.stringify({ target: targetPath, layout, result, partitionReread }, null, 2) : summary(layout, targetPath, result, partitionReread));
  } finally {
    await lock?.release();
  }
  return 0;
}

async function refuseExistingData(targetPath: string, info: TargetInfo, geometry: Geometry, options: CreateOptions): Promise<void> {
  // Block devices are checked through the exclusive write handle (writeLayout), so that a mounted or busy device
  // is reported as busy first: "use --force" would not help there.
  if (!info.exists || options.force || info.kind === 'block-device') return;
  const reader = await openTargetForRead(targetPath, { logicalSectorSize: geometry.logicalSectorSize });
  try {
    refuseFound(targetPath, await findExistingData(reader));
  } finally {
    await reader.close();
  }
  if (info.kind === 'file' && geometry.sizeBytes > info.currentSizeBytes) {
    throw new GuestdiskError('TARGET_HAS_DATA', `${targetPath} exists with ${info.currentSizeBytes} bytes; growing it to ${geometry.sizeBytes} needs --force`);
  }
}

function refuseFound(targetPath: string, found: string[]): void {
  if (found.length > 0) {
    throw new GuestdiskError('TARGET_HAS_DATA', `${targetPath} already holds data (${found.join('; ')}); use --force to erase it`, { found });
  }
}

async function writeLayout(layout: Layout, info: TargetInfo, geometry: Geometry, options: CreateOptions, io: CliIo): Promise<{ result: WriteResult; partitionReread: PartitionReread | null }> {
  const target = await openTargetForWrite(info, geometry, { force: options.force ?? false, domainDisks: libvirtDomainDisks(io) });
  if (info.kind === 'block-device' && !options.force) {
    try {
      refuseFound(info.path, await findExistingData(target));
    } catch (e) {
      await target.close().catch(() => {});
      throw e;
    }
  }
  // An existing image rewritten with --force was truncated when opened: its old content is already gone.
  let wroteAny = info.kind === 'file' && info.exists && (options.force ?? false);
  let mbrWritten = false;
  let result: WriteResult;
  const progress = options.json ? null : makeProgress(io, geometry.sizeBytes);
  try {
    result = await writeDisk(layout, target, {
      between: (next) => {
        const signal = io.interrupted();
        if (signal) throw new GuestdiskError('INTERRUPTED', `interrupted by ${signal}`, { signal });
        if (next.kind !== 'flush') wroteAny = true;
        progress?.update(next);
      },
      onStep: (step) => {
        if (step.kind === 'mbr') mbrWritten = true;
      },
    });
  } catch (e) {
    progress?.end();
    const flushed = await target.flush().then(() => true, () => false);
    await target.close().catch(() => {});
    if (!(e instanceof GuestdiskError)) throw e;
    throw new GuestdiskError(e.code, `${e.message}. ${diskState(wroteAny, mbrWritten, flushed, info.kind === 'file' && !info.exists)}`, { ...e.details, diskState: !wroteAny ? 'unchanged' : mbrWritten ? 'complete' : 'incomplete-no-table' }, { cause: e });
  }
  progress?.end();
  await target.close(); // block devices: fsync, then ask the kernel to re-read the table (BLKRRPART)
  return { result, partitionReread: partitionRereadOf(target) };
}

/** What a stopped run left, and what to do about it. */
function diskState(wroteAny: boolean, mbrWritten: boolean, flushed: boolean, newFile: boolean): string {
  if (!wroteAny) return newFile ? 'Nothing was written (the new image is empty): run the command again' : 'Nothing was written: the disk is as it was';
  if (mbrWritten) {
    return flushed
      ? 'Every structure, the partition table last, was already written and is now flushed: the disk is complete (check it with guestdisk verify)'
      : 'Every structure was written but the final flush failed: run guestdisk verify, or the same command with --force';
  }
  return 'The disk was not finished and shows no partition table: run the same command with --force to redo it';
}

/** A progress line on a terminal for runs longer than a second: bytes sent, rate, position, ETA. */
export function makeProgress(io: CliIo, diskBytes: number): { update(next: NextWrite): void; end(): void } | null {
  const show = io.progress;
  if (!show) return null;
  const started = io.now();
  let bytes = 0;
  let furthest = 0;
  let lastShown = 0;
  let shown = false;
  return {
    update(next) {
      bytes += next.lengthBytes;
      furthest = Math.max(furthest, next.offsetBytes + next.lengthBytes);
      const now = io.now();
      if (now - started < 1000 || now - lastShown < 200) return;
      lastShown = now;
      shown = true;
      const seconds = (now - started) / 1000;
      const fraction = Math.min(1, furthest / diskBytes);
      const eta = fraction > 0 ? Math.max(0, seconds / fraction - seconds) : 0;
      show(`writing: ${formatBytes(bytes)} sent, ${formatBytes(Math.round(bytes / seconds))}/s, at ${(fraction * 100).toFixed(1)}% of the disk, ETA ${Math.ceil(eta)} s`);
    },
    end() {
      if (shown) show(null);
    },
  };
}

function summary(layout: Layout, target: string, result: WriteResult, reread: PartitionReread | null): string {
  const lines = [renderLayout(layout, target), '', `wrote ${formatBytes(result.bytesWritten)} in ${result.writes} writes (${formatBytes(result.zeroBytes)} zero ranges), ${result.flushes} flushes`];
  if (reread) lines.push(reread.message);
  return lines.join('\n');
}
